"""Synthetic Chinese text for demo appeals (诉求) and incidents (事件).

Combinatorial template banks, compiled once at import. Template syntax:
``{name}`` picks from a word pool, ``[a|b|c]`` is an inline choice, ``{place}``
is the caller's place. All randomness comes from the caller's ``random.Random``.
"""
from __future__ import annotations

import random
import re

from data_access.vocabulary import INCIDENT_CATEGORIES, TOPICS

__all__ = ["TOPICS", "INCIDENT_CATEGORIES", "appeal_text", "incident_text", "incident_event"]

TITLE_MAX = 30
MONTHS = tuple(range(1, 13))


def _tags(line: str) -> tuple[str, tuple[int, int] | None, frozenset]:
    """Leading tags of a template line: ``@2-3`` the severities (1 一般 … 4 重大) the event can
    have, ``@m6-8`` the months it can happen in (``@m11-2`` wraps over the new year; none: all
    year). Returns (line without tags, (lowest, highest) or None, months)."""
    sev, months = None, frozenset(MONTHS)
    while line.startswith("@"):
        tag, _, line = line.partition(" ")
        body = tag[1:]
        if body.startswith("m"):
            lo, _, hi = body[1:].partition("-")
            lo, hi = int(lo), int(hi or lo)
            months = frozenset(m for m in MONTHS if (lo <= m <= hi if lo <= hi else (m >= lo or m <= hi)))
        else:
            lo, _, hi = body.partition("-")
            sev = (int(lo), int(hi or lo))
        line = line.lstrip()
    return line, sev, months


# ---------------------------------------------------------------- helpers

def _split_top(s: str, sep: str = "|") -> list[str]:
    """Split on sep, ignoring separators inside [...]."""
    out, cur, depth = [], [], 0
    for ch in s:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _expand(s: str) -> list[str]:
    """All combinations of the inline [a|b] groups in s."""
    i = s.find("[")
    if i < 0:
        return [s]
    j = s.index("]", i)
    tails = _expand(s[j + 1:])
    return [s[:i] + o + t for o in s[i + 1:j].split("|") for t in tails]


def _pool(s: str) -> tuple[str, ...]:
    return tuple(x for item in _split_top(s.strip()) for x in _expand(item.strip()))


def _pools(d: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {k: _pool(v) for k, v in d.items()}


def _lines(s: str) -> list[str]:
    return [ln.strip() for ln in s.strip().splitlines() if ln.strip() and not ln.strip().startswith("#")]


_TOKEN = re.compile(r"\{(\w+)\}|\[([^\]]*)\]")  # import time only


def _compile(tpl: str, *dicts: dict) -> tuple:
    """Template -> ((literal, options|None, name), ...), tail). None options = place."""
    parts, lit, pos = [], "", 0
    for m in _TOKEN.finditer(tpl):
        lit += tpl[pos:m.start()]
        pos = m.end()
        name, inline = m.group(1), m.group(2)
        if name == "place":
            parts.append((lit, None, name))
            lit = ""
            continue
        if name is not None:
            for d in dicts:
                if name in d:
                    opts = d[name]
                    break
            else:
                raise KeyError(f"texts: unknown slot {{{name}}} in {tpl!r}")
        else:
            opts, name = tuple(inline.split("|")), ""
        if len(opts) == 1:
            lit += opts[0]
            continue
        parts.append((lit, opts, name))
        lit = ""
    return tuple(parts), lit + tpl[pos:]


# ---------------------------------------------------------------- shared pools

_COMMON = _pools({
    "when": "昨天晚上|前天|这几天|上个星期|最近|今天早上|前几天|上周末|这段时间|昨天下午|前天晚上|这个月",
    "night": "晚上十一点多|凌晨一两点|半夜十二点|晚上十点以后|凌晨三四点|夜里一点多|晚上十二点多",
    "freq": "天天|几乎每天|每天晚上|三天两头|隔三差五|一到周末就|经常",
    "dur": "好几天|一个多星期|半个多月|一个多月|两三个月|大半年|好几个月",
    "kid": "小孩|老人小孩|我家老人|孩子|家里的老人和小孩",
    "people": "好多人|不少住户|周边居民|我们几户人家|整栋楼的人|左邻右舍|附近的街坊",
    "officials": "社区|村委|街道|办事大厅",
    # praise
    "worker": "网格员小韦|网格员小覃|网格员小梁|网格员|社区网格员|村委的同志|街道的工作人员|网格员黄姐|网格员李哥|网格员小王|社区的小黄",
    "speed": "当天就|第二天就|接到电话没多久就|不到两个小时就|当天下午就|很快就|第二天一早就",
    "thank": "非常感谢|特别感谢|真心感谢|十分感谢|感谢|谢谢|衷心感谢",
    "praise_tail": "必须点个赞！|给你们点赞！|我们很满意！|大家都很满意。|效率真高，点赞！|谢谢你们！|真心谢谢你们！"
                   "|这效率，满意！|太感谢了！|给你们点个大大的赞！|感谢你们的辛苦付出！",
    "popen": "||||你好，|您好，|反馈一下，|跟你们说一声，|打个电话表扬一下，",
    "pclose": "|||||辛苦了！|为你们点赞！|以后有事还找你们。|希望多一些这样的好干部。|你们辛苦了。|这样的服务真暖心。",
    # neutral
    "nopen": "||||你好，|您好，|打扰一下，",
    "ask": "请问|想问一下，|想咨询一下，|问一下，|请教一下，|请问一下，",
    "nclose": "||||谢谢。|麻烦回复一下，谢谢。|谢谢！|等你们回复。|麻烦了。|有空回个电话，谢谢。|得闲回个电话就行。",
})

# Complaint pools by intensity: 0 worried/mild, 1 angry, 2 furious.
_LEVELS = [_pools(d) for d in (
    {
        "open": "||||||你好，|您好，|反映个问题，|想反映一下，|你好，想反映个事情，|麻烦你们关注一下，",
        "demand": "希望有关部门能来看看。|麻烦派人来看一下吧。|能不能帮忙协调处理一下？|希望能尽快解决。|请帮忙处理一下。"
                  "|希望早点有个说法。|麻烦你们安排人来看看吧。|麻烦得闲派人过来看一下。|看看能不能想想办法。|希望能管一管。",
        "close": "||||||麻烦了。|辛苦了。|拜托了。|等你们消息。|麻烦你们了。",
        "feel": "心里有点担心|有点不放心|大家都有点担心|实在有点影响生活|真的挺困扰的|不知道怎么办才好|怕时间长了出事|心里很着急|挺头疼的",
        "rhet": "这样下去怎么行呢？|这个事该找谁呢？|总不能一直这样吧？|不知道有没有人能管一下？|真不知道该怎么办了。",
        "tried": "|||之前跟网格员提过，还没解决，|之前也反映过，还没解决，|之前也说过一次，|我们自己去沟通过，没什么用，|上门说了几次，",
        "very": "有点|比较|挺",
    },
    {
        "open": "||||我要投诉，|我要反映个问题，|你好，我要投诉，|又来反映了，|实在没办法了才打这个电话，|再反映一次，",
        "demand": "请有关部门尽快处理！|希望你们这次真的能管一管！|到底有没有人管啊？|请尽快派人来处理，不要再拖了！"
                  "|麻烦给个准确答复，什么时候能解决？|请尽快解决，不要又是推来推去。|希望领导重视一下这个问题！|请相关部门马上来看看！",
        "close": "||||麻烦了！|尽快！|等回复。|急！|尽快吧。",
        "feel": "实在受不了了|大家意见好大|太气人了|日子都没法过了|越想越气|太让人窝火了|好多人都有意见|真的忍不下去了",
        "rhet": "难道就没人管得了吗？|这还让不让人过日子了？|凭什么啊？|这到底算怎么回事？|就这样一直拖着吗？",
        "tried": "||找过网格员好几次，都没解决，|找过好几个部门，都没解决，|打过好几次电话了，一直没人来，"
                 "|反映过不止一次了，每次都说会处理，|都说了大半个月了，还是老样子，|跟对方讲道理，人家根本不理，",
        "very": "很|特别|非常",
    },
    {
        "open": "|我要实名投诉！|我要投诉！|已经是第[三|四|五]次反映了！|忍无可忍了！|你们到底管不管？|这个事情必须有人管！|又打电话了！",
        "demand": "要求立即处理，给我们一个说法！|今天必须给个答复！|再没人管我们就去市里反映了！|如果还不处理，我就向媒体曝光！"
                  "|强烈要求相关部门马上处理！|出了事谁负责？！|你们再不管，我们只能自己想办法了！|强烈要求严肃处理，追究责任！",
        "close": "|||急！！|请尽快回电！|等你们答复！|尽快！！",
        "feel": "简直忍无可忍|大家都气炸了|简直无法无天|真是欺人太甚|实在是太过分了|已经被逼得没办法了|简直不把老百姓当回事",
        "rhet": "还有没有人管啊？！|这还有天理吗？！|到底还要拖到什么时候？！|你们到底是干什么的？！|老百姓的事就没人当回事吗？！",
        "tried": "打了十几次电话了，一点用都没有，|找谁都是推来推去，|反映了大半年了，根本没人管，"
                 "|每次都说马上处理，结果一拖再拖，|找了社区找街道，谁都不管，|电话打爆了都没人理，",
        "very": "非常非常|极其|十分|相当",
    },
)]

# Place woven in front of (or after) bodies that do not mention it.
_INTRO = {
    "neg": ("我住在{place}，", "我家在{place}，", "我是{place}的居民，"),
    "neu": ("我是{place}的居民，", "我住在{place}，", "我家在{place}，"),
    "pos": ("我是{place}的居民，", "我们{place}这边，", "我家在{place}，"),
}
_SUFFIX_NEG = "[地址|具体位置|地点]：{place}。"


# ---------------------------------------------------------------- appeal banks

_TOPIC_DATA: dict[str, dict] = {}

_TOPIC_DATA["邻里纠纷"] = dict(
    pools={
        "nb": "楼上邻居|隔壁邻居|对门那户|楼下那家|隔壁那户人家|屋后那家|隔壁老黄家|楼上老李家|隔壁韦家|对门梁家",
        "leak": "卫生间漏水|厨房漏水|阳台往下滴水|水管爆了渗水|地板渗水",
        "damage": "天花板发霉|墙皮都掉了|家里的柜子都泡坏了|墙角长了好多霉斑|吊顶都塌了一块",
        "corridor": "鞋柜|旧家具|电动车|纸箱废品|煤气罐|花盆|旧床垫",
        "spot": "楼道|过道|楼梯口|消防通道|单元门口",
        "animals": "鸡鸭|狗|几只鹅|猫",
        "path": "出入的小路|共用的巷道|门前的通道|两家之间的过道",
        "wall": "围墙|铁皮棚|杂物房|水泥台阶",
        "ditch": "排水沟|排水管|屋檐滴水|化粪池",
        "nb_cause": "停车位|楼道卫生|晾衣服|一点小事|门口放东西|小孩打架",
        "bcause": "围墙|屋檐|门口那块空地|巷道",
        "dept": "调解员|司法所|社区调委会|村调委会|派出所",
    },
    neg="""
我住{place}，{nb}{leak}，我家{damage}，{tried}对方就是不肯修，{feel}。
{nb}长期在{spot}堆放{corridor}，上下楼都要侧着身子走，{tried}{feel}。
我们{place}这边，{nb}把{wall}建到了{path}上，我们家进出都不方便了，{tried}{feel}。
{nb}养的{animals}天天跑到我家院子里，菜都被糟蹋光了，说了[好几次|几回|很多次]都不管。{rhet}
我家和{nb}因为{ditch}的问题闹了{dur}，他家的脏水全往我家这边流，{feel}。
{nb}装修把墙打掉了一面，我家墙上都裂了缝，{tried}{feel}。
{when}{nb}因为{nb_cause}跟我家吵了起来，还推了[我家老人|我老婆|我家孩子]一把，{feel}。
我们{place}有户人家把{path}堵了，说是他家的地，其他住户进出都要绕远路，{feel}。
{nb}在窗外晾衣服，水直接滴到我家晒的被子上，{tried}{feel}。
{nb}的树长得太高，挡住我家的采光，树枝都伸到屋顶上了，{tried}{feel}。
{nb}在{spot}装了个摄像头，正对着我家大门，感觉一点隐私都没了。{rhet}
反映{place}的邻里矛盾：{nb}占了我家的车位{dur}，跟他讲道理反而骂人，{feel}。
{nb}把空调外机装在我家窗口下面，热风对着我家吹，{tried}{feel}。
{nb}的化粪池满了往外冒，臭水流到我家门口，{tried}{feel}。
两家因为{bcause}的边界吵了{dur}，我家老人气得[血压都高了|饭都吃不下|睡不着觉]，{feel}。
{nb}老是把垃圾丢在我家门口，跟他说了也不改，{feel}。
我和{nb}的矛盾已经闹到要动手的地步了，{tried}希望有人出面调解一下。{nodemand}
{nb}的[小孩|孩子|几个小孩]天天在{spot}玩球，把我家门都踢坏了，家长还护短，{feel}。
""",
    neu="""
{ask}邻居家{leak}渗到我家，这种情况应该找谁协调呢？
{ask}{nb}在{spot}堆放{corridor}，社区可以出面劝一下吗？
我们{place}两家人因为{nb_cause}有点小矛盾，想请网格员帮忙调解一下，要怎么预约？
{ask}邻里纠纷可以申请人民调解吗？需要带什么材料？
{nb}装修想借我家阳台搭架子，这个要不要签个协议？想听听社区的意见。
想了解一下，楼上{leak}的维修费用一般怎么分摊？
建议{place}多搞点邻里活动，大家熟了，好多小矛盾就没了。
{ask}{place}的调解室在哪里？[平时几点有人|周末有没有人|要不要预约]？
{ask}{nb}的树枝伸到我家屋顶了，我能不能自己修剪？
{ask}和{nb}因为{nb_cause}有分歧，[能不能请网格员|社区能不能|调解员能不能]来帮忙说和一下？
""",
    pos="""
之前和{nb}因为{nb_cause}闹矛盾，{worker}{speed}上门调解，现在两家又能坐下来喝茶了，{thank}！
{thank}{worker}！我家和{nb}{leak}的问题终于解决了，{praise_tail}
{place}{spot}堆的{corridor}已经清走了，{worker}跟邻居很耐心地做了工作，{praise_tail}
我们两家的{bcause}纠纷拖了{dur}，多亏{worker}跑了好几趟，现在签了协议，{thank}！
{dept}调解[很公道|很有办法|讲得在理]，两家都服气，{praise_tail}
{place}的网格员[小韦|小覃|黄姐|李哥|小梁]太负责了，为了我们邻居之间那点事[跑了三四趟|晚上还上门|周末都没休息]，{thank}！
之前投诉{nb}乱堆杂物，现在已经搞掂了，过道宽敞多了，{thank}。
{nb}的化粪池修好了，不臭了，{thank}{worker}和{dept}。
""",
)

_TOPIC_DATA["劳资纠纷"] = dict(
    pools={
        "boss": "老板|包工头|工头|厂里老板|项目经理|劳务公司|承包老板",
        "site": "工地|电动车厂|板材厂|糖厂|造船厂|羽绒厂|建材厂|物流公司|饭店|服装厂|家具厂",
        "wage": "两个月工资|三个月工资|半年工资|去年的工钱|一万多块工钱|两万多块工钱|八千多块工钱|加班费|年底的工钱",
        "workers_n": "我们十几个工友|我们班组二十多个人|我和几个老乡|我们三十多个工人|我们夫妻两个|我们一家三口",
        "excuse": "说工程款还没结|说资金周转不过来|说甲方没给钱|一直说过几天就发|说要等年底一起算|说公司账上没钱",
        "daypay": "两百块|一百八|一百五|三百块|两百五",
        "years": "三年|两年多|五年|一年半|七八年",
        "dept": "劳动监察大队|人社局|劳动监察的同志|街道劳动保障所|网格员和劳动监察|仲裁委的同志",
    },
    neg="""
我在{place}附近的{site}干活，{boss}拖欠{wage}不发，{excuse}，{feel}。
{workers_n}在{site}做了{dur}，到现在一分钱都没拿到，{boss}电话也不接了，{feel}。
{boss}欠{wage}，{excuse}，可家里老人看病、孩子上学都等着用钱，{feel}。
我在{site}上班，一直没签劳动合同，现在被辞退了，一分钱补偿都不给，{feel}。
{site}不给我们交社保，入职的时候说好要交的，{tried}{feel}。
我在{site}干活时受了伤，[手指被机器压断了|腿摔骨折了|腰扭伤了]，{boss}只给了[两千|几百|一千]块就不管了，{feel}。
{boss}[卷钱跑路了|换了手机号|躲起来了]，{workers_n}的工钱[都没着落|一分没拿到]。{rhet}
{site}每天让我们干十二个小时，加班费一分都没有，{feel}。
辞职的时候{boss}扣着我[一个月|半个月|二十多天]的工资和押金不退，{tried}{feel}。
@m12-2 快过年了，{workers_n}的工钱还没结，{boss}{excuse}，大家都回不了家，{feel}。
{site}拖欠工资{dur}了，[每次去问|去财务问|找老板]都说下个月发，{feel}。
我在{place}的{site}做临时工，说好一天{daypay}，结账的时候只给了一半，{feel}。
{boss}用白条打发我们，白条上写的{wage}到现在都兑不了现。{rhet}
{site}突然说要搬走，{workers_n}的补偿一点没提，问了也不回答，{feel}。
我们在{site}干活，工资被{boss}层层克扣，到手比说好的少了[好多|一大截|三分之一]，{feel}。
试用期结束{boss}说我不合格，工资也只给了一半，明摆着欺负人，{feel}。
在{site}做了{years}，{boss}一句话就让我走人，经济补偿一分没有，{feel}。
""",
    neu="""
{ask}{boss}拖欠工资，应该去哪里投诉？要带什么材料？
{ask}{site}不签劳动合同，我可以要求赔偿吗？
{ask}劳动仲裁怎么申请？在{place}附近有没有办事的地方？
我在{site}上班，{ask}加班费是怎么算的呢？
{ask}工伤认定要多长时间？需要单位出什么证明？
想了解一下农民工工资专户是怎么回事，我们{site}有没有？
{ask}被辞退了能领失业金吗？我在{site}做了{years}。
{ask}{place}这边有没有招工信息？想在家门口找份工作。
{ask}{site}要我们交[押金|培训费|工装费]才能上岗，这样合规吗？
""",
    pos="""
之前反映{boss}拖欠{wage}的事，{dept}{speed}介入了，钱已经全部拿到手，{thank}！
@m12-2 {thank}{dept}帮我们讨回了工钱，{workers_n}终于可以安心回家过年了！
工伤的事{dept}帮忙协调好了，医药费老板全部出了，{praise_tail}
{worker}陪我们去找{boss}谈了好几次，拖了{dur}的工资终于发了，{thank}！
{dept}办事效率真高，{speed}把{site}的欠薪问题搞掂了，{praise_tail}
押金和工资都退回来了，{dept}讲政策讲得很清楚，{praise_tail}
经过{dept}调解，{site}补签了劳动合同，还补交了社保，{thank}。
""",
)

_TOPIC_DATA["土地山林"] = dict(
    pools={
        "land": "承包地|责任田|自留地|宅基地|菜地|鱼塘|甘蔗地|果园|水田",
        "forest": "山林|林地|桉树林|松树林|八角林|竹林|荒山",
        "who": "隔壁屯的人|邻村的村民|同村的韦某|一个外地老板|村里一户人家|本屯的黄某|邻屯的覃某",
        "deed": "强行挖了地界|把界桩拔了|在地里种上了桉树|把地占去建了房|把地推平了",
        "deed2": "挖了坟|修了路|种了桉树|搭了棚子|砍了树",
        "comp": "征地补偿款|青苗补偿费|林地补偿款|土地流转租金",
        "area": "两亩|半亩多|一亩多|三分|五亩多",
        "dept": "司法所|自然资源所|林业站|村委和司法所|乡镇的调处组|国土所的同志",
    },
    neg="""
我家在{place}的{land}被{who}占了，对方硬说是他祖上的，{tried}{feel}。
{who}{deed}，那块{land}我家种了二十多年，有承包合同的，{feel}。
我们{place}的{comp}到现在都没发到位，村里也说不清钱去哪了，{feel}。
我家的{forest}被人偷砍了[几十棵|一百多棵|一大片]树，拉出去卖了，{tried}{feel}。
两个屯为了{forest}的山界吵了{dur}，{when}差点打起来，{feel}。
{who}承包了我们的{land}，说好每年给租金，已经拖了{dur}不给，{feel}。
林权证上写的明明是我家的{forest}，{who}硬说是他家的，还在山上{deed2}。{rhet}
{place}修路占了我家{area}{land}，补偿标准比别人低一半，{feel}。
村里重新分地，我家[儿媳|孙子|外嫁回来的女儿]没分到，{tried}{feel}。
{who}在我家{land}边上挖沟，把水都引走了，我的[稻田|甘蔗|菜]都干死了，{feel}。
我们申请宅基地审批[一年多|大半年|两年]了，材料交了好几次，一直批不下来，{feel}。
有人在{place}的{forest}里乱挖山土，一座山挖空了一大块，{feel}。
我家祖坟所在的山地被{who}开发了，坟边都被挖开了。{rhet}
{place}有人私自把基本农田挖成鱼塘，还填土建房，{feel}。
土地确权的时候我家{land}少登记了[一亩多|好几分|两亩]，{tried}{feel}。
{who}把{land}的界桩偷偷往我家这边挪了好几米，{feel}。
{comp}被村干部拿去分了，我们一家一分钱都没见到，{feel}。
""",
    neu="""
{ask}土地承包经营权证丢了，怎么补办？
{ask}{land}流转给别人种，合同要到哪里备案？
我们{place}要修路，{ask}占用{land}的补偿标准是多少？
{ask}{forest}采伐要办什么手续？我家想砍一批[桉树|松树|杉木]。
想了解一下宅基地申请需要哪些材料，在{place}哪里办？
{ask}林地边界有争议，可以申请哪个部门来勘界？
{ask}外嫁女的土地权益是怎么规定的？
{ask}{comp}的发放标准在哪里可以查到？
{ask}我家{land}想改种[果树|甘蔗|桉树]，需要报批吗？
""",
    pos="""
我家和{who}的{land}纠纷，{dept}{speed}来现场丈量，重新定了界桩，{thank}！
拖了{dur}的{comp}终于发下来了，{thank}{dept}！
山界纠纷调处好了，两个屯签了协议，[司法所的同志|调处组的同志|调解员]很公道，{praise_tail}
宅基地审批办下来了，{worker}帮我们跑了好多趟，{thank}！
{dept}把偷砍我家{forest}的人找到了，赔偿也谈妥了，{praise_tail}
我家{land}确权的面积已经更正了，{dept}办事认真，{praise_tail}
{place}的{land}纠纷拖了好多年，这次终于搞掂了，{thank}{worker}。
""",
)

_TOPIC_DATA["环境污染"] = dict(
    pools={
        "src": "养猪场|养鸭场|板材厂|砖厂|石场|塑料厂|洗沙场|小作坊|化工厂|废品收购站|搅拌站",
        "src_s": "养猪场|养鸭场|板材厂|塑料厂|小作坊|化工厂|废品收购站|橡胶厂|造纸厂",
        "src_d": "石场|砖厂|洗沙场|搅拌站|水泥厂|板材厂",
        "src_w": "养猪场|养鸭场|化工厂|小作坊|洗沙场|造纸厂|板材厂|屠宰场",
        "smell": "臭味|刺鼻气味|怪味|酸臭味|臭气",
        "water": "污水|黑水|粪水|废水",
        "river": "河里|鱼塘|水沟|小河|江边|水渠",
        "crop": "秧苗|菜|甘蔗|稻子",
        "dept": "环保局|生态环境局的同志|执法大队|镇里的环保站|生态环境部门",
    },
    neg="""
{place}附近的{src_s}{freq}排出{smell}，窗户都不敢开，{feel}。
{src_w}把{water}直接排到{river}，水都变黑了，鱼死了好多，{feel}。
{place}有人{freq}烧垃圾，烟大得很，{kid}一直咳嗽，{feel}。
{src_d}的粉尘{very}大，晾在外面的衣服一天就黑了，{tried}{feel}。
{when}[河里|鱼塘里|水沟里|江边]漂了好多死鱼，怀疑是上游的{src_w}偷排。{rhet}
{src_w}晚上偷偷排{water}，白天看不出来，晚上臭得睡不着，{feel}。
@m11-4 甘蔗收完了，{place}周边{freq}烧甘蔗叶，烟雾呛人，{feel}。
{src_s}的{smell}{very}重，{people}都说闻了头痛，{tried}{feel}。
我家的井水最近发黄还有味道，旁边就是{src}，{feel}。
{place}{river}边上有人倒了好多建筑垃圾和生活垃圾，越堆越多，{feel}。
{src_w}的{water}流到我家田里，{crop}都死了一片，{feel}。
{src_s}手续都不齐全就开工了，{smell}飘得到处都是。{rhet}
{src_d}{freq}冒黑烟，{people}都不敢在外面晾衣服，{feel}。
我们{place}的垃圾站{dur}没人清运，苍蝇蚊子满天飞，臭气熏天，{feel}。
{src}把废渣倒在山脚下，一下雨就冲到{river}，{feel}。
{src}偷偷在院子里挖坑埋废料，{people}都看到了，{feel}。
{place}的{src_s}一开工，整条街都是{smell}，{kid}闻了[头晕|恶心|咳个不停]，{feel}。
""",
    neu="""
{ask}发现企业偷排{water}，除了打12345还能找哪个部门？
{ask}{place}旁边要建{src}，有没有做环评？
{ask}村里的生活污水什么时候能接入管网？
想了解一下{river}的水质检测结果在哪里可以查到？
建议在{place}多放几个垃圾桶，现在大家没地方扔就乱丢。
{ask}秸秆和甘蔗叶不让烧，有没有统一回收的地方？
{ask}家里的井水能不能申请免费检测呢？
{ask}{src}的排污许可证可以在网上查到吗？
{ask}闻到{src_s}那边有{smell}，是不是正常的？要不要紧？
""",
    pos="""
之前反映的{src_s}{smell}问题，{dept}{speed}来查了，现在已经整改，空气好多了，{thank}！
{river}里的{water}终于没了，{dept}把偷排的{src_w}查封了，{praise_tail}
{place}堆了好久的垃圾清走了，{worker}还带着大家搞了卫生，{thank}！
{thank}{dept}，{src_d}装了除尘设备，现在衣服可以晾外面了。
{src_s}已经停产整改，这段时间没再闻到{smell}，{praise_tail}
{dept}处理很及时，{speed}来取了水样，后面的整改我们也很满意。
{place}的垃圾站现在天天有人清运，干净多了，{praise_tail}
""",
)

_TOPIC_DATA["噪音扰民"] = dict(
    pools={
        "dance": "广场舞|跳舞音响|露天卡拉OK|广场音响",
        "shop": "烧烤摊|夜宵店|KTV|酒吧|麻将馆|大排档",
        "site": "工地|搅拌站|加工厂|木材加工厂|石材厂|板材厂",
        "speaker": "卖手机的店|服装店|超市|药店|卖鞋的店",
        "dept": "城管|派出所|环保执法队|城管和派出所|综合执法队",
    },
    neg="""
{place}的{dance}{freq}开到{night}，音量开得{very}大，{kid}根本睡不着，{feel}。
{site}{freq}通宵施工，{night}还在打桩，{tried}{feel}。
楼下的{shop}每天营业到{night}，划拳喝酒吵得要命，{feel}。
{speaker}门口的喇叭一天到晚循环播放，{people}都被吵得头痛，{feel}。
{freq}有人开着改装摩托车在{place}的路上炸街，声音像放炮一样。{rhet}
楼上邻居{freq}搞到{night}，拖椅子、跺地板，{tried}{feel}。
隔壁装修周末一大早就开电钻，[上周六|上周日|这个周末|前天]早上七点不到就开始了，{feel}。
{place}的{site}机器声日夜不停，{people}{dur}没睡过一个好觉，{feel}。
附近的{shop}装了大音箱，{night}还在放歌，{tried}{feel}。
我家就在{site}旁边，{night}还有大车进出，喇叭按个不停，{feel}。
{place}有户人家办酒席，连着[三天|好几天|一个星期]放鞭炮、唱卡拉OK到{night}，{feel}。
对面{shop}的排风扇吵得{very}厉害，晚上关着窗都听得到，{feel}。
小区里有人养的狗{freq}叫到{night}，主人也不管。{rhet}
[前天|昨天|上周六|这几天]{night}，楼下还有人喝酒吵架，整栋楼都听得到，{feel}。
{place}附近的{dance}离居民楼太近了，我家有高考生，{freq}被吵得没法复习，{feel}。
{site}的切割机{freq}从早响到晚，{kid}被吵得[直哭|睡不好|头疼]，{feel}。
""",
    neu="""
{ask}夜间施工需要办许可吗？{place}附近的{site}晚上还在干活。
{ask}{dance}的音量有没有规定？能不能协调一下时间？
建议在{place}的广场装个分贝显示屏，提醒大家注意音量。
{ask}装修的施工时间是怎么规定的？周末可以装修吗？
{ask}{shop}晚上吵，应该找派出所还是找城管呢？
{ask}小区里的狗晚上叫，物业能不能管？
我们{place}想跟跳舞的阿姨们商量一下音量，社区能不能出面组织一下？
@m5-6 {ask}高考期间{place}附近的{site}晚上会不会停工？怕吵到考生。
{ask}噪音扰民可以请环保部门来测一下分贝吗？
""",
    pos="""
之前反映{dance}太吵，{worker}{speed}来协调了，现在九点就停，音量也小了，{thank}！
{site}不再夜间施工了，这几天终于能睡个好觉，{thank}{dept}！
楼下{shop}装了隔音设施，晚上安静多了，{praise_tail}
{dept}{speed}来处理了炸街的摩托车，{praise_tail}
{worker}很会做工作，楼上邻居现在晚上[走路|搬东西]都轻手轻脚的，不吵了，{thank}。
{speaker}门口的喇叭已经撤了，{dept}处理得很快，{praise_tail}
{place}晚上终于安静了，{dept}和{worker}辛苦了，{thank}！
""",
)

_TOPIC_DATA["城建市容"] = dict(
    pools={
        "illegal": "违章搭建|私搭乱建|违建的铁皮房|加盖楼层",
        "stall": "水果摊|烧烤摊|卖菜的|早餐摊|流动摊贩|卖衣服的摊子",
        "manhole": "不见了|烂了一块|松动了|塌下去了",
        "brick": "烂了好多块|翘起来了|缺了一大片",
        "ad": "小广告|乱涂乱画|横幅|广告牌",
        "green": "绿化带|花坛|草坪|街心绿地",
        "dept": "城管|住建局|市政的师傅|综合执法队|街道城管中队",
    },
    neg="""
{place}有户人家在楼顶搞{illegal}，{dur}了都没人管，{feel}。
{place}门口的{stall}把人行道全占了，行人只能走机动车道，{feel}。
{place}的路灯{dur}都不亮了，晚上黑乎乎的，{kid}出门都不安全，{feel}。
{place}路边的井盖{manhole}，差点有人掉下去。{rhet}
{ad}贴得{place}到处都是，墙上、电线杆上全是，{feel}。
@m6-8 {place}一下大雨就内涝，积水到膝盖那么深，排水沟{dur}没人清，{feel}。
{green}被人挖了种菜，还在上面堆杂物，{tried}{feel}。
{place}的电线像蜘蛛网一样乱拉，还垂得很低，{feel}。
{place}的空地上杂草长得比人还高，蛇虫都出来了，{feel}。
{stall}{freq}在路口摆摊，收摊后垃圾扔一地，{tried}{feel}。
有人在{place}的{green}里乱停车，草都被压死了，{feel}。
{place}的公厕{dur}没人打扫，臭得根本进不去，{feel}。
我家对面在搞{illegal}，把我家的采光全挡了，{tried}{feel}。
{place}的人行道砖{brick}，老人走路经常绊倒，{feel}。
商铺把[横幅|广告牌|灯箱]挂得到处都是，风一吹摇摇晃晃的，随时会砸到人。{rhet}
{place}的路面挖开了{dur}，一直没恢复，到处是泥，{feel}。
{place}有人把建筑垃圾堆在路边，一堆就是{dur}，{feel}。
""",
    neu="""
{ask}在自家院子里搭个[雨棚|车棚|阳光房]需要审批吗？
{ask}{place}的路灯坏了该找哪个部门报修？
建议在{place}规划一个临时摆摊点，现在{stall}没地方去只能占道。
{ask}老旧小区改造{place}有没有列入计划？
{ask}店铺门口的招牌要不要办手续呢？
{ask}{place}附近的公厕什么时候能建好？
建议在{place}多装几盏路灯，晚上出门散步的人挺多的。
{ask}老楼想加装电梯，需要找哪个部门？
{ask}{place}的排水沟堵了，是城管管还是街道管？
""",
    pos="""
{place}的路灯修好了，晚上亮堂堂的，{thank}{dept}！
占道的{stall}已经规范到摊点里了，路宽敞多了，{praise_tail}
对面的{illegal}已经拆除了，{dept}处理得很果断，{praise_tail}
之前反映的井盖问题，{dept}{speed}换了新的，{thank}！
{worker}带人把{place}的{ad}清理得干干净净，{thank}！
{place}老旧小区改造完成了，环境变化好大，我们住户都很满意，给你们点赞！
{green}恢复了原样，还补种了花草，{praise_tail}
""",
)

_TOPIC_DATA["道路交通"] = dict(
    pools={
        "road": "村道|进村那条路|乡道|路口|主干道|小区门口那条路|学校门口那条路",
        "truck": "渣土车|泥头车|拉沙的大货车|运甘蔗的车|运木头的货车",
        "dept": "交警|交通局|公路站|交警大队|镇里",
    },
    neg="""
{place}的{road}坑坑洼洼，{dur}没修了，下雨天电动车经常摔倒，{feel}。
{truck}{freq}在{road}上超速，[撒了一路的泥沙|把路面都压坏了|差点撞到学生]，{feel}。
{place}那个路口的红绿灯坏了{dur}，车乱开人乱走，{feel}。
学校门口[每天上下学的时候|一到放学]就堵得水泄不通，家长的车随便停，{kid}过马路很危险，{feel}。
{road}边上停了一辆僵尸车{dur}了，占着位置还挡视线，{feel}。
{place}的路口视线被树挡住了，{when}又有两辆电动车撞在一起。{rhet}
{road}拐弯的地方没有护栏，下面就是鱼塘，晚上骑车{very}危险，{feel}。
{place}附近{freq}有人把车停在人行道和盲道上，推婴儿车都过不去，{feel}。
{road}修了一半就停工了，{dur}了都没人管，{feel}。
{truck}{freq}半夜经过{place}，路面都被压烂了，{feel}。
学校附近的{road}没有斑马线也没有减速带，车都开得飞快，{feel}。
{place}的公交车[经常不按时来|一个钟头才一班|说停就停了]，老人出门看病都不方便，{feel}。
{road}上的减速带被压坏了，螺丝都露出来了，扎坏了好多车胎，{feel}。
{place}路口{freq}有人逆行，电动车、三轮车乱窜，{feel}。
{road}上路灯和标志牌都没有，外地车经常开错路，{feel}。
{road}边的水沟没有盖板，{when}有人骑车掉下去摔伤了。{rhet}
""",
    neu="""
{ask}{place}附近能不能加一个公交站点？
建议在{road}加装减速带和警示牌，车开得太快了。
{ask}电动车上牌在哪里办？需要带什么？
{ask}{road}什么时候动工修路？大家都在问。
{ask}小区门口划停车位，需要找哪个部门？
{ask}学校门口上下学时段能不能安排交警疏导一下？
想了解一下农村道路硬化的申请流程。
{ask}{truck}晚上能不能走{road}？有没有限行规定？
{ask}{place}到市区的公交[首班车几点|末班车几点|多久一班]？
""",
    pos="""
{place}的{road}修好了，又平又宽，{thank}{dept}！
路口的红绿灯{speed}修好了，{praise_tail}
学校门口现在每天有交警和志愿者疏导，{kid}上学安全多了，{thank}！
僵尸车已经拖走了，{dept}处理很快，{praise_tail}
{road}拐弯处装了护栏和反光镜，{worker}还专门打电话回访，{thank}。
之前反映的{truck}超速问题，{dept}在路口设了卡，现在规矩多了，{praise_tail}
""",
)

_TOPIC_DATA["社会保障"] = dict(
    pools={
        "benefit": "低保|高龄补贴|残疾人补贴|养老金|特困供养金|临时救助金",
        "who8": "我家老人|我父亲|我母亲|我|我哥哥|我奶奶|我爷爷",
        "hard": "一家老小靠我一个人|老人常年生病|孩子是残疾|老公瘫痪在床",
        "poor": "五保户|低保户|特困户",
        "dept": "民政办|社保所|医保局|人社局|民政局的同志|社保局",
    },
    neg="""
{who8}的{benefit}{dur}没到账了，去问也说不清楚，{feel}。
我家{hard}，申请低保没批，村里有些有车有楼的反而在领，{feel}。
医保报销{dur}了还没下来，材料跑了好几趟，{feel}。
[我家老人|我父亲|我母亲|我奶奶|我爷爷]今年八十多了，高龄补贴一直没办下来，{tried}{feel}。
城乡居民医保交了，去医院看病却说没参保。{rhet}
{who8}养老保险交了十几年，算待遇的时候少算了[好几年|五年|三年]的缴费，{feel}。
我申请临时救助交了材料{dur}，一点消息都没有，{feel}。
{who8}的残疾证办了[半年|好几个月|一年]还没拿到，{tried}{feel}。
社保卡补办说要等{dur}，{who8}还等着看病报销，{feel}。
{who8}去世后的丧葬补助一直没发，{tried}{feel}。
公租房申请排了{dur}，一直说没有房源，{feel}。
村里评{benefit}一点都不公开，也不张榜公示。{rhet}
{who8}是{poor}，这个月的钱少发了，问谁都说不知道，{feel}。
退休手续办了{dur}，养老金还没开始发，家里快揭不开锅了，{feel}。
{who8}在外地住院，异地医保报销要跑好多地方，{tried}{feel}。
失业金申请被退回来好几次，每次说缺的材料都不一样，{feel}。
{place}办{benefit}要开一大堆证明，老人跑了好几趟都没办成，{feel}。
""",
    neu="""
{ask}{benefit}怎么申请？需要准备哪些材料？
{ask}城乡居民养老保险今年的缴费档次有哪些？
{ask}异地就医备案怎么办？{who8}在[广州|南宁|深圳]住院。
{ask}老人满八十岁了，高龄补贴在{place}哪里办？
{ask}灵活就业人员的社保能在手机上交吗？
想了解一下残疾人两项补贴的标准是多少？
{ask}医保个人账户的钱可以给家里人用吗？
{ask}{who8}的养老金认证可以在手机上做吗？
{ask}{benefit}每个月几号发？
""",
    pos="""
{who8}的{benefit}已经补发到位了，{worker}还专门上门讲了政策，{thank}！
{thank}{dept}，{who8}的医保报销{speed}办好了，少跑了好多路。
{worker}帮我家老人代办了高龄补贴，不用我们跑腿，{praise_tail}
临时救助金拿到了，解了我们家的燃眉之急，{thank}{dept}！
{dept}服务态度很好，一次就把{benefit}的手续办完了，{praise_tail}
残疾证和补贴都办下来了，{worker}{speed}上门帮忙，{thank}。
""",
)

_TOPIC_DATA["教育医疗"] = dict(
    pools={
        "school": "小学|幼儿园|初中|中心小学|公办幼儿园",
        "hosp": "卫生院|社区卫生服务中心|人民医院|村卫生室|妇幼保健院|中医院",
        "who8": "我家老人|我父亲|我母亲|我|我奶奶|孩子",
        "fee": "资料费|补课费|校服费|兴趣班的钱|午托费",
        "dept": "教育局|学校|镇中心校|卫健局|教育局的同志|医院",
    },
    neg="""
我们住在{place}，孩子上{school}却被划到了[好远|十几公里外|另一个镇]的学校，{feel}。
{school}又要收{fee}，家长都不敢不交，{feel}。
{hosp}的医生态度{very}差，{who8}多问两句就被凶，{feel}。
{hosp}看病排队要排[一上午|三四个钟头|大半天]，挂号窗口只开一个，{feel}。
{school}的食堂饭菜{very}差，孩子[吃了拉肚子|回家说吃不饱|说菜里有虫]，{feel}。
{school}的校车严重超载，一辆面包车塞了[十几个|二十个]孩子。{rhet}
{who8}在{hosp}做了个小手术，收费清单里有好多没用过的项目，{feel}。
{school}老师上课不好好讲，放学让孩子去他家补课，一个月收[一千多|八百|两千]，{feel}。
村卫生室{freq}关门，医生都找不到人，{kid}半夜发烧只能跑到镇上，{feel}。
孩子的入学材料交了，{school}一直说学位不够，{tried}{feel}。
{hosp}开的药比外面药店贵了[一倍|好多|三四十块]，{feel}。
{school}门口的小卖部卖三无零食，孩子吃了[肚子痛|起疹子]，{feel}。
{when}{hosp}把{who8}的病看错了，耽误了治疗。{rhet}
{school}附近开了网吧，学生放学就往里钻，{tried}{feel}。
孩子在{school}被同学欺负，老师不管不问，{feel}。
孩子打疫苗预约不上，{hosp}每次都说没货，{feel}。
{place}的{school}教室漏雨、厕所也是坏的，孩子在里面上课，{feel}。
""",
    neu="""
{ask}{place}的孩子上{school}，划片范围是怎么定的？
{ask}外地户口的孩子在贵港读书需要什么材料？
{ask}{hosp}周末有没有儿科门诊？
{ask}家庭医生签约怎么办理？家里老人有[高血压|糖尿病|老胃病]。
@m6-9 {ask}{school}今年秋季学期什么时候报名？
想了解一下学生资助政策，家庭困难的怎么申请？
{ask}{hosp}可以用医保卡直接结算吗？
{ask}孩子打[乙肝|麻疹|流感]疫苗要去哪里预约？
{ask}{place}附近的{school}有没有课后托管服务？
""",
    pos="""
{hosp}的医生很耐心，{who8}住院期间照顾得很周到，{thank}！
孩子上学的问题解决了，{dept}{speed}协调好了学位，{thank}！
{school}的老师对孩子很用心，家长们都很满意，给老师点赞！
家庭医生[每个月|定期|隔段时间就]上门给老人量血压，服务太贴心了，{thank}！
{school}食堂整改后饭菜好多了，孩子说吃得饱，{praise_tail}
{hosp}现在可以网上预约了，不用排长队，{praise_tail}
之前反映的乱收{fee}问题，[教育局|学校|镇中心校]查清楚了，钱也退了，{thank}。
""",
)

_TOPIC_DATA["治安"] = dict(
    pools={
        "theft": "电动车|电瓶车|摩托车|手机|电动车电池",
        "theft_lost": "电动车丢了好几辆|好多家的电瓶被偷了|晚上经常有人偷电动车电池|接连有摩托车被偷",
        "bad": "几个年轻人|几个喝醉的人|一伙外地人|几个不三不四的人|一帮小青年",
        "victim": "我家老人|我妈|我|我朋友|我们楼里一个阿姨",
        "loot": "金项链|现金|手机|金手镯",
        "dept": "派出所|民警|派出所的民警|辅警|公安",
    },
    neg="""
{place}最近{theft_lost}，{when}我家的也被偷了，{feel}。
{place}有人{freq}聚众赌博，[进进出出的人很杂|还有人放高利贷|半夜还在吵]，{feel}。
{bad}{freq}在{place}的路口游荡，还拦着学生要钱。{rhet}
{when}我家被人撬门入室盗窃，{loot}都没了，报警到现在还没结果，{feel}。
{place}的监控{dur}都是坏的，出了事根本查不到，{feel}。
{when}{bad}在{place}的夜宵摊打架，[还拿了刀|砸了摊子|有人受伤]，{feel}。
{victim}接到冒充公检法的电话，被骗了[三万多|八千块|一万多]，{feel}。
有人在{place}挨家挨户推销保健品，专骗老人，{feel}。
{place}的出租屋住了好多来历不明的人，{freq}半夜进进出出，{feel}。
{bad}{freq}在{place}飙车、喝酒闹事，{tried}{feel}。
有人在{place}搞传销，把外地来的年轻人关在屋里上课。{rhet}
{place}这片路灯不亮，晚上经常有人被抢包，{feel}。
我家的[鸡鸭|牛|鱼塘的鱼|甘蔗]{when}被人偷了，{tried}{feel}。
{place}附近有人放高利贷，还上门泼油漆、堵锁眼，{feel}。
{bad}{freq}在{place}的桥底下吸东西，[针头|锡纸]丢了一地，{feel}。
{place}的小区门禁坏了{dur}，什么人都能进来，{feel}。
""",
    neu="""
{ask}丢了{theft}要去哪个派出所报案？
{ask}出租房屋要不要去派出所登记？
建议在{place}的路口多装几个监控，晚上巡逻也多来几趟。
{ask}接到可疑电话，怎么确认是不是诈骗？
{ask}{place}有没有组织治安巡逻队，我想报名参加。
{ask}国家反诈中心APP怎么注册？{victim}想装一个。
{ask}电动车装防盗定位器在哪里可以登记？
{ask}家门口想装个监控，对着公共走廊会不会违规？
{ask}{place}最近是不是有{theft}被偷？我们要注意点什么？
""",
    pos="""
{when}被偷的{theft}找回来了，{dept}{speed}破了案，{thank}！
{place}现在晚上有巡逻队了，治安好多了，{thank}{dept}！
{dept}及时拦下了一笔诈骗转账，{victim}的养老钱保住了，{thank}！
赌博窝点端掉了，{place}终于清净了，{praise_tail}
{worker}和民警一起上门宣传反诈，讲得很明白，{praise_tail}
监控修好了还加装了几个，{worker}办事靠谱，{thank}。
""",
)

_TOPIC_DATA["其他"] = dict(
    pools={
        "lost": "钱包|身份证|手机|一串钥匙|背包",
        "dept": "自来水公司|供电所|物业|社区|燃气公司",
    },
    neg="""
{place}有人养狗不拴绳，{when}把{kid}咬了一口，主人还不承认，{feel}。
{place}{dur}停了好几次水，事先也没有通知，{feel}。
快递站把我的包裹弄丢了，找他们[推来推去|一直不理|只肯赔十块钱]，{feel}。
物业费每年都在涨，服务却越来越差，{tried}{feel}。
{place}的手机信号{very}差，在家打电话都要跑到阳台上，{feel}。
在{place}附近的超市买到过期食品，找老板退货还被骂，{feel}。
{place}{freq}停电，冰箱里的东西都坏了。{rhet}
燃气公司上门安检说要换管子，一开口就要[几百块|三百多|五百块]，{feel}。
网上买的东西质量有问题，商家不给退，平台也不管，{feel}。
{place}有人在楼下喂流浪猫，现在猫越来越多，到处是猫屎，{feel}。
办个证明跑了{officials}好几次，每次都说缺材料。{rhet}
宽带说好[三天|一周]装好，{dur}了还没人来，{feel}。
{place}的自来水发黄，烧开了还有沉淀，{feel}。
有人在{place}楼顶养鸽子，鸽子屎落得到处都是，{feel}。
驾校收了学费迟迟不安排练车，退钱也不给，{feel}。
房东不退押金，说墙上有钉子眼要扣钱，{feel}。
""",
    neu="""
{ask}在{place}附近丢了{lost}，有没有人捡到交上来？
{ask}户口从外地迁到贵港需要哪些材料？
{ask}身份证过期了，在{place}附近哪里可以补办？
{ask}家里的狗要办养犬登记吗？在哪里办？
{ask}居住证怎么办理？需要住满多久？
{ask}{place}的老年食堂什么时候开？
{ask}我在路边捡到一只小狗，可以送到哪里？
建议{place}多组织点文体活动，年轻人下班后没地方去。
{ask}停水停电的通知在哪里可以查到？
{ask}{place}的[快递驿站|便民服务点|政务服务点]几点开门？
""",
    pos="""
丢的{lost}找回来了，{worker}{speed}联系上了捡到的人，{thank}！
小区的流浪狗问题处理好了，{worker}联系了救助站，{praise_tail}
{thank}{worker}帮我办好了居住证，一趟就搞掂了。
停水的问题已经恢复了，[自来水公司|水厂的师傅]抢修很及时，{praise_tail}
我在网上咨询的问题{speed}有了答复，{praise_tail}
{place}的老年食堂开起来了，饭菜便宜又好吃，老人们都很满意，{thank}！
[供电所|电工师傅|物业]上门把线路修好了，还提醒我们注意安全，{thank}。
""",
)


def _build_appeals() -> tuple[dict, dict]:
    """{month: {topic: 5 tuples (3 complaint levels, neutral, praise)}} with-place and no-place;
    month None holds every template, 1..12 those that fit the month (the ``@m`` tags)."""
    full: dict = {m: {} for m in (None, *MONTHS)}
    noplace: dict = {m: {} for m in (None, *MONTHS)}
    for topic in TOPICS:
        data = _TOPIC_DATA[topic]
        tp = _pools(data["pools"])
        kinds = []  # per kind: [(compiled template, months)]
        for lvl in range(3):
            tpls = []
            for i, line in enumerate(_lines(data["neg"])):
                body, _, months = _tags(line)
                tail = "{close}"
                if "{nodemand}" in body:
                    body = body.replace("{nodemand}", "")
                else:
                    tail = "{demand}{close}"
                tpls.append(("{open}" + body + tail, months))
                if "{place}" not in body:
                    if i % 3 == 2:
                        tpls.append(("{open}" + body + tail + _SUFFIX_NEG, months))
                    else:
                        tpls.append(("{open}" + _INTRO["neg"][i % 3] + body + tail, months))
            kinds.append([(_compile(t, _LEVELS[lvl], tp, _COMMON), m) for t, m in tpls])
        for kind, wrap in (("neu", ("{nopen}", "{nclose}")), ("pos", ("{popen}", "{pclose}"))):
            tpls = []
            for i, line in enumerate(_lines(data[kind])):
                body, _, months = _tags(line)
                tpls.append((wrap[0] + body + wrap[1], months))
                if "{place}" not in body:
                    tpls.append((wrap[0] + _INTRO[kind][i % 3] + body + wrap[1], months))
            kinds.append([(_compile(t, tp, _COMMON), m) for t, m in tpls])
        for month in (None, *MONTHS):
            fit = [[t for t, m in k if month is None or month in m] for k in kinds]
            full[month][topic] = tuple(tuple(k) for k in fit)
            noplace[month][topic] = tuple(tuple(t for t in k if all(p[1] is not None for p in t[0]))
                                          for k in fit)
    return full, noplace


_APPEALS_BY_MONTH, _APPEALS_NOPLACE_BY_MONTH = _build_appeals()
_APPEALS, _APPEALS_NOPLACE = _APPEALS_BY_MONTH[None], _APPEALS_NOPLACE_BY_MONTH[None]

# Committee names -> the place itself (大圩镇三连村委会 -> 大圩镇三连村).
_PLACE_SUFFIXES = (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("村民委员会", "村"),
                   ("村委会", "村"), ("居民委员会", "社区"), ("居委会", "社区"))
_PLACE_CACHE: dict[str, str] = {}


def _clean_place(place: str) -> str:
    p = _PLACE_CACHE.get(place)
    if p is None:
        p = place.strip()
        for suf, rep in _PLACE_SUFFIXES:
            if p.endswith(suf):
                p = p[: -len(suf)] + rep
                break
        if len(_PLACE_CACHE) > 50_000:
            _PLACE_CACHE.clear()
        _PLACE_CACHE[place] = p
    return p


def appeal_text(rng: random.Random, topic: str, sentiment: float, place: str, month: int | None = None) -> str:
    """One appeal's content.

    sentiment < -0.2: complaint (stronger the more negative: -0.5 and -0.8 are the
    steps); -0.2..0.2: neutral inquiry/request; > 0.2: thanks/praise.
    place is woven in by some templates; an empty place is never mentioned.
    month (1–12, local time): only texts that fit the season (no New-Year wages in June,
    no flooding in December); None: any.
    Raises ValueError for an unknown topic or a NaN sentiment.
    """
    try:
        bank = (_APPEALS_BY_MONTH if place else _APPEALS_NOPLACE_BY_MONTH)[month][topic]
    except (KeyError, TypeError):
        raise ValueError(f"unknown appeal topic: {topic!r}") from None
    if sentiment < -0.2:
        k = 0 if sentiment >= -0.5 else (1 if sentiment >= -0.8 else 2)
    elif sentiment <= 0.2:
        k = 3
    elif sentiment > 0.2:
        k = 4
    else:
        raise ValueError("sentiment is NaN")
    r = rng.random
    tpls = bank[k]
    parts, tail = tpls[int(r() * len(tpls))]
    out = []
    add = out.append
    for lit, opts, _ in parts:
        add(lit)
        if opts is None:
            add(_PLACE_CACHE.get(place) or _clean_place(place))
        else:
            add(opts[int(r() * len(opts))])
    add(tail)
    return "".join(out)


# ---------------------------------------------------------------- incidents

_INC_COMMON = _pools({
    "src_i": "|||网格员日常巡查发现，|网格员走访时发现，|群众通过“随手拍”上报，|12345热线转办，|视频监控发现，"
             "|村（居）委会报告，|群众来电反映，|网格员入户时了解到，",
    "itime": "今日上午|今天下午|昨晚|今晨|中午|傍晚|昨日下午|今日凌晨|当晚九点左右",
    "sn1": "韦某|覃某|黄某|梁某|甘某|蒙某",
    "sn2": "李某|王某|陈某|莫某|罗某|刘某",
    "count": "2|3|4|5|6",
    "days": "一周|十天|半个月|两周|一个多月",
    "money": "2万|3.6万|8000|5万余|1.2万|10万余",
    "meters": "50|100|200余|30|80",
    "area": "20|30|50|80|100余",
    "n_g": "20余|30余|十余|50余|40余",
    "hh_n": "100余|200多|50余|300余",
    "hours": "10|12|24|36|20",
})

# Where in the village/community; rural vs urban by the place's last character.
_LOC_URBAN = _pool("小区门口|市场旁|主路边|老街|桥头|学校后面|出租屋集中区|巷子里|安置小区|菜市场后面|商业街")
_LOC_RURAL = _pool("村口|屯里|村道边|桥头|学校后面|村委旁|晒谷场边|老街|圩场边|屯口")
_LOC_ANY = _pool("桥头|老街|学校后面|主路边")

_INC_DATA: dict[str, dict] = {}

# Each scenario line: title ## description ## description ...
_INC_DATA["矛盾纠纷"] = dict(
    pools={
        "hh2": "两户|两家", "party": "村民|居民|住户",
        "cause": "宅基地边界|排水沟走向|屋檐滴水|共用通道|建房采光|围墙位置|鱼塘用水",
        "family": "一对夫妻|婆媳二人|兄弟二人|父子二人|姐弟俩",
        "fcause": "赡养老人|分家析产|家庭琐事|彩礼退还|照顾老人",
        "n_w": "5|6|8|十余|12",
        "pcause": "停车收费|物业费上涨|电梯维修|楼顶漏水维修|垃圾清运",
        "ccause": "商品质量|找零|价格|退换货|缺斤少两",
        "forest": "山林|林地|桉树林|荒山",
        "mu": "30|50|80|100余|20",
        "money2": "1000|1500|2000|800|3000",
        "ncause": "楼上漏水|占用车位|楼道堆物|饲养宠物|空调滴水",
        "day": "明天上午|本周内|后天|近日",
        "mediator": "村调委会|社区调解委员会|司法所|人民调解员|派出所和司法所",
    },
    act="网格员已到场劝离双方，并约定{day}由{mediator}组织调解。|网格员已现场劝解，双方情绪基本稳定，待进一步调解。"
        "|已上报{mediator}，建议尽快组织双方调解。|网格员已做好记录，并联系{mediator}介入。"
        "|经网格员现场调解，双方初步达成一致，后续将跟踪回访。",
    scen="""
@1-2 {hh2}{party}因{cause}发生争执 ## {itime}，{sn1}家与{sn2}家因{cause}问题发生争执，双方[言语激烈|一度推搡|互不相让]，[现场有十余名群众围观|所幸未造成人员受伤|经劝说暂时平息]。 ## {sn1}反映邻居{sn2}[建房|砌围墙|挖排水沟]时占用了自家[一米多|半米|两尺多]的地方，两家已多次争吵，矛盾有激化苗头。
@1-2 {family}因{fcause}产生矛盾 ## {itime}，辖区居民{sn1}家{family}因{fcause}问题发生激烈争吵，[家中老人情绪低落|邻居听到摔东西的声音|一方扬言要搬走]。 ## {src_i}{family}因{fcause}积怨已久，{itime}再次发生口角，[邻居担心矛盾升级|有动手迹象|一方到村委会哭诉]。
@2-3 {n_w}名工人与包工头因工钱结算起纠纷 ## {n_w}名务工人员反映在辖区[一处工地|一家板材厂|一个装修项目]干活，包工头拖欠工钱约{money}元，双方在现场争吵。 ## {itime}，{n_w}名工人在工棚门口与包工头{sn1}就工钱结算发生争执，工人称被拖欠[两个月|三个月|半年]工资。
@1-2 业主与物业因{pcause}产生矛盾 ## 小区[部分业主|十余户业主|多名业主]对{pcause}问题有意见，{itime}在物业办公室与工作人员发生争执。 ## {src_i}业主{sn1}因{pcause}问题与物业多次交涉未果，在业主群发布过激言论，引起其他业主跟帖。
@1 商户与顾客因{ccause}发生口角 ## {itime}，[菜市场|一家服装店|一家水果店|一家手机店]内顾客{sn1}与店主因{ccause}问题发生口角，双方[拉扯了几下|情绪激动|引来较多群众围观]。 ## 顾客{sn1}反映在{loc}的店里买东西遇到{ccause}问题，与店主协商不成，双方争执不下。
@2-3 两屯村民因{forest}权属发生纠纷 ## 两屯村民就一片约{mu}亩{forest}的权属各执一词，{itime}一方上山砍树，另一方阻拦，双方发生推搡。 ## {src_i}{sn1}与邻屯村民就{forest}边界长期有争议，近日对方在争议地块[种植桉树|修建林道|砍伐树木]，矛盾有激化风险。
@1 租客与房东因押金退还起争执 ## 租客{sn1}退租时，房东{sn2}以[墙面损坏|家具损坏|提前退租]为由扣除押金{money2}元，双方协商未果。 ## {itime}，租客与房东因押金退还问题在出租屋门口争吵，[声音较大影响邻居|一方报警求助|双方各执聊天记录互不相让]。
@1-2 邻里因{ncause}引发矛盾 ## 居民{sn1}反映楼上住户{sn2}家因{ncause}问题与其多次争吵，{itime}双方在楼道内发生口角。 ## 两户邻居因{ncause}积怨较深，{itime}再次发生争执，[一方扬言要报复|邻居前来劝架|一方情绪激动]。
""",
)

_INC_DATA["治安隐患"] = dict(
    pools={
        "sus": "聚赌|传销|电诈窝点",
        "theft_i": "电动车|电瓶|摩托车|电缆",
        "itime": "昨晚|今日凌晨|深夜|昨夜十一点左右|凌晨两点左右|傍晚",
    },
    act="已报告辖区派出所，民警已到场处置。|已通报派出所，网格员将加强巡查。|已拍照留存并上报综治中心。"
        "|已提醒周边住户提高警惕，并联系派出所加强夜间巡逻。|已录入平台并推送派出所跟进。",
    scen="""
@2-3 一出租屋人员进出频繁疑似{sus} ## {src_i}{loc}一处出租屋近期[每晚|经常|深夜]有大量陌生人员进出，门窗紧闭，周边群众怀疑存在{sus}情况。 ## 房东{sn1}反映其出租给外地人员的房屋[人员频繁更换|窗户用报纸糊住|夜间吵闹]，疑似{sus}。
@1 背街小巷路灯不亮存在治安隐患 ## {src_i}{loc}附近背街小巷有{count}盏路灯损坏，夜间漆黑，近期[有群众反映被尾随|发生两起抢包事件|居民晚归时受到惊吓]。 ## 网格员夜间巡查发现{loc}一带照明不足，多名女性居民反映晚上回家不安全。
@2 接连发生{theft_i}被盗 ## {src_i}{loc}近{days}内接连发生{count}起{theft_i}被盗案件，[作案时间多在凌晨|监控拍到一名戴头盔男子|失主均已报警]。 ## 居民{sn1}反映{itime}停放在{loc}的{theft_i}被盗，周边[没有监控|监控损坏]，群众担心类似情况再次发生。
@1 {count}处公共监控损坏未修复 ## {src_i}{loc}等路段有{count}处公共监控探头[损坏|无画面|被树枝遮挡]，已影响治安防控。 ## 雪亮工程平台显示{loc}监控点位离线已超过{days}，现场检查发现[线路被剪断|设备进水|电源故障]。
@2 有人醉酒滋事扰乱秩序 ## {itime}，{count}名男子在{loc}夜宵摊醉酒后[大声喧哗|摔砸桌椅|与摊主发生争执]，影响周边群众休息。 ## {src_i}一名男子在{loc}醉酒后拦截过往车辆，情绪激动。
@2-3 发现疑似赌博窝点 ## {src_i}{loc}一处民房内[经常聚集十余人|夜间灯火通明|有人专门望风]，疑似聚众赌博。 ## 群众举报{loc}一间[麻将馆|棋牌室|仓库]存在赌博行为，[赌资较大|有人放贷|有外村人员参与]。
@2 有人上门推销保健品疑似诈骗老人 ## {src_i}有[两三名|几名]外地人员在{loc}挨家挨户推销“保健品”，以免费体检为名诱导老人购买，[一盒要价上千元|已有老人购买|自称是专家]。 ## 独居老人{sn1}家中发现大量来历不明的保健品，据了解花费[3000|5000余|1.2万|8000]元，疑似被骗。
@1-2 发现可疑人员深夜徘徊 ## {itime}，{loc}有[一名|两名]陌生男子在居民楼附近来回徘徊，[逐个查看电动车|试拉车门|四处张望]，形迹可疑。 ## {src_i}凌晨时段有可疑人员在{loc}一带出没，[多次出现在监控画面中|身背大包|骑无牌摩托车]。
""",
)

_INC_DATA["安全生产"] = dict(
    pools={
        "factory": "板材厂|小作坊|石场|砖厂|电动车配件厂|家具厂|汽修店|木材加工厂",
        "hazard": "违规动火作业|电线私拉乱接|危化品露天堆放|设备无防护罩",
        "site_h": "脚手架未设防护网|基坑边未设护栏|工人高空作业未系安全带|塔吊未按期检测",
        "eatery": "餐馆|粉店|夜宵店|食堂",
    },
    act="已责令立即停止作业并整改，同步上报应急管理部门。|已向业主下达整改提醒，约定三日内复查。|已通知镇安监站到场核查。"
        "|网格员已现场督促整改，并拍照上报。|已报告街道应急办，相关部门将联合检查。",
    scen="""
@2-3 一{factory}存在{hazard} ## {src_i}{loc}一家{factory}车间内存在{hazard}情况，[工人未佩戴防护用品|现场无安全警示标识|周边堆放大量易燃物]。 ## {itime}检查发现{factory}[安全管理制度缺失|未开展员工安全培训|消防器材不足]，且存在{hazard}问题。
@2-3 在建工地{site_h} ## {src_i}{loc}一处在建工地{site_h}，[作业人员较多|紧邻居民区|下方有行人通行]，存在坠落风险。 ## 居民反映{loc}工地{site_h}，[施工方称马上整改|现场负责人不在|已持续多日]。
@2-3 自建房违规加层存在安全隐患 ## {src_i}{loc}一栋[三层|四层|五层]自建房正在加建，未见审批手续，墙体已出现裂缝。 ## {sn1}家自建房[用于出租|一楼开店|住了十几个租户]，近期私自加层，周边居民担心房屋安全。
@3 采石场违规爆破作业 ## {src_i}{loc}附近采石场{itime}进行爆破作业，未提前告知周边群众，[碎石飞落到村道上|附近民房玻璃被震裂|村民受到惊吓]。 ## 村民反映采石场爆破[频繁|时间不固定|警戒范围不够]，[运矿车辆超载|山体出现裂缝]，存在安全隐患。
@2-4 一{eatery}燃气管道老化存在泄漏风险 ## {src_i}{loc}一家{eatery}后厨燃气软管[老化开裂|过长且穿墙|未安装报警器]，现场有明显燃气味。 ## 检查发现{eatery}液化气瓶[与灶具距离过近|放置在密闭空间|存放数量超标]，存在泄漏爆炸隐患。
@2-3 液化气站周边违规堆放杂物 ## {src_i}{loc}液化气站周边堆放大量[纸箱|木材|废旧轮胎]，距离储罐不足[十米|五米]。 ## 液化气站{itime}被发现[消防通道堆放杂物|工作人员在站内吸烟|安全警示牌缺失]，存在安全隐患。
@3-4 @m11-2 居民烧炭取暖引发一氧化碳中毒险情 ## {src_i}{loc}有住户在门窗紧闭的房间内[烧炭取暖|用炭盆取暖|关窗烧煤炉]，存在一氧化碳中毒风险。 ## {itime}，{loc}一户居民烧炭取暖后[出现头晕恶心|一家三口感到不适|老人晕倒在床边]，已送医救治。
@3-4 @m6-8 汛期强降雨致山体出现滑坡隐患 ## {itime}受持续强降雨影响，{loc}附近山体出现[裂缝|局部滑塌|落石]，[坡下有几户民房|紧邻村道|泥土已冲到路面]。 ## {src_i}汛期巡查发现{loc}后山[出现新裂缝|有渗水|土体松动]，坡下住户需转移避险。
@2 高压线下有人垂钓存在触电风险 ## {src_i}{loc}鱼塘上方有高压线经过，[周末|傍晚]经常有人在线下用碳素鱼竿垂钓，触电风险较大。已劝离垂钓人员，并联系供电部门设置警示牌。{noact} ## {itime}，有[三四名|多名]钓友在{loc}高压线下钓鱼，现场未设置警示标识。网格员已现场劝离，并报告供电所。{noact}
@3-4 一{factory}发生工人受伤事故 ## {itime}，{factory}一名工人在操作[切割机|压板机|吊装设备]时[手部受伤|被砸伤腿部|从高处坠落]，已送医救治。 ## {src_i}{factory}一名工人作业时受伤，企业[未及时上报|设备防护装置缺失|未签订劳动合同]，需进一步核查。
""",
)

_INC_DATA["消防安全"] = dict(
    pools={
        "fac_f": "损坏失效|无水可用|过期未换",
        "mu2": "2|3|5|半|1",
    },
    act="已督促当事人立即清理整改。|已开展消防安全宣传并发放告知书。|已上报街道安监办，约定近期复查。"
        "|已通知消防救援站并跟踪整改情况。|已现场整改完毕，网格员将定期回访。",
    scen="""
@2 居民楼道内电动车飞线充电 ## {src_i}{loc}楼道内有[三辆|多辆|两辆]电动车通过从窗户拉出的电线充电，旁边还堆放着纸箱。 ## {itime}巡查时发现{loc}有住户将电动车推入楼道充电，[插线板直接放在地上|电线从三楼垂下|充电器明显发烫]。
@2-3 一处“三合一”场所违规住人 ## {src_i}{loc}一家[服装加工作坊|五金店|小超市]生产、经营和住宿混在一起，[阁楼住了工人|没有单独疏散通道|灭火器已过期]。 ## 检查发现{loc}一商铺在[二楼|阁楼|仓库]隔出房间住人，且[电线私拉乱接|堆放大量易燃物|仅有一个出口]。
@2 消防通道被杂物堵塞 ## {src_i}{loc}消防通道被[车辆|建材|废旧家具|摊点]长期占用，消防车无法通行。 ## {loc}住户在消防通道[堆放杂物|搭建雨棚|停放三轮车]，经劝说仍未清理。
@1-2 小区消防设施{fac_f} ## {src_i}{loc}的消火栓[打开后无水|箱门锈死|水带缺失]，灭火器[压力不足|已过期|被人拿走]。 ## 物业反映{loc}消防设施{fac_f}问题已存在{days}，一直未维修。
@2-3 @m11-4 甘蔗叶焚烧引发小面积火情 ## {itime}，{loc}附近有村民焚烧甘蔗叶，火势蔓延至[旁边的山坡|相邻的桉树林|田边草地]，过火面积约{mu2}亩。 ## {src_i}有人在{loc}附近甘蔗地焚烧蔗叶，烟雾较大，火点距离[林地|民房|高压线]较近。
@2-3 一民房厨房起火 ## {itime}，居民{sn1}家厨房因[油锅着火|电线短路|液化气泄漏]起火，[邻居用灭火器扑灭|消防员赶到后扑灭]，无人员受伤。网格员已协助做好善后。{noact} ## {src_i}{loc}一民房冒出浓烟，经查系[厨房电线老化|蚊香引燃杂物|灶台边杂物着火]引起，火已扑灭，[未造成人员伤亡|财产损失不大]。{noact}
@2-3 电动车室内充电冒烟 ## {itime}，{loc}一住户将电动车推进客厅充电，电池突然冒烟，家人及时断电并移到屋外，未起火。 ## {src_i}{loc}一出租屋内电动车电池充电时冒烟，[楼内住户紧急疏散|消防员到场处置|所幸未造成伤亡]。
@2-3 @m11-2 居民使用取暖器不当引燃杂物 ## {itime}，居民{sn1}家中[电暖器|小太阳取暖器|电热毯]使用不当，[引燃床边被褥|烤着了晾在旁边的衣物|引燃沙发一角]，家人及时扑灭，无人员受伤。 ## {src_i}{loc}一出租屋内[取暖器整夜未关|电热毯老化|用取暖器烘烤衣物]冒烟起火，[邻居帮忙扑灭|已断电处置]。
@2 @m11-2 冬季用电高峰出租屋私拉电线取暖 ## {src_i}{loc}出租屋住户冬季[多台取暖器同时使用|从楼道私拉电线接取暖器|插线板串接取暖器]，线路明显发烫，存在火灾隐患。 ## 检查发现{loc}[群租房|老旧居民楼]冬季用电负荷大，[电表箱频繁跳闸|电线外皮老化|私接电线较多]。
@1 一商铺灭火器过期未更换 ## {src_i}{loc}一[饭店|五金店|网吧|超市]的灭火器已过期[一年多|两年|半年]，应急照明灯也不亮。 ## 检查发现{loc}商铺[灭火器压力不足|未配备灭火器|安全出口被货物堵住]，店主称不知道要更换。
""",
)

_INC_DATA["环境卫生"] = dict(
    pools={
        "animal": "猪|鸡鸭|狗",
    },
    act="已上报相关部门安排处理。|已联系责任单位限期整改。|网格员已拍照取证并上报街道。"
        "|已现场督促整改，将持续跟踪。|已联系环卫部门，预计今日内处理完毕。",
    scen="""
@1 垃圾收集点满溢未及时清运 ## {src_i}{loc}垃圾收集点[已两天未清运|垃圾满溢到路面|散发恶臭]，引来大量蚊蝇。 ## 居民反映{loc}垃圾桶{days}没人清理，[臭味很大|流浪狗翻得到处都是|垃圾堆到了人行道上]。
@1 河道漂浮大量生活垃圾 ## {src_i}{loc}河段水面漂浮[塑料袋|泡沫箱|水葫芦和生活垃圾]，长度约{meters}米。 ## {itime}，{loc}河道[拦污网堵塞|岸边堆满垃圾|水面发黑]，影响周边环境。
@1 有人随意倾倒建筑垃圾 ## {src_i}{loc}一块空地被人倾倒[大量|约十车|几堆]建筑垃圾，[占了半边路|堵住了排水沟|还夹杂着生活垃圾]。 ## 监控显示{itime}有一辆[农用车|泥头车|三轮车]在{loc}倾倒建筑垃圾后离开。
@1-2 养殖场粪污直排水沟 ## {src_i}{loc}一家[养猪场|养鸭场|养牛场]将粪污直接排入水沟，[水沟发黑发臭|流进了下游鱼塘|周边臭味明显]。 ## 村民反映{loc}养殖场[化粪池破损|夜间偷排|下雨时粪水外溢]，污染农田。
@1 公厕卫生状况较差 ## {src_i}{loc}公厕[无人保洁|冲水设施损坏|地面积水]，臭味较大，群众意见较多。 ## {itime}巡查发现{loc}公厕[洗手池堵塞|照明损坏|门锁损坏]，保洁记录已{days}未更新。
@2 发现病死{animal}被随意丢弃 ## {src_i}{loc}[河边|路边草丛|水渠里]发现被丢弃的病死{animal}，已发臭，存在疫病传播风险。 ## 群众反映{itime}有人将病死{animal}装袋丢在{loc}，[引来大量苍蝇|被野狗拖咬|气味难闻]。
@1 有人露天焚烧垃圾 ## {src_i}{loc}有人[在空地上|在河边|在自家门口]焚烧[塑料|生活垃圾|废旧轮胎]，浓烟较大。 ## {itime}，{loc}有村民露天焚烧垃圾，烟雾飘进附近[学校|居民区|卫生院]，群众反映较大。
@1-2 污水管道堵塞外溢 ## {src_i}{loc}污水井[堵塞外溢|井盖冒水|堵塞返臭]，污水漫过路面约{meters}米。 ## 居民反映{loc}下水道{days}堵塞，[污水倒灌进一楼住户|路面污水横流|臭味刺鼻]。
""",
)

_INC_DATA["道路交通"] = dict(
    pools={
        "vehicles": "两车|电动车与小车|摩托车与货车|两辆电动车",
        "meters2": "1|2|1.5|3",
        "loc_u": "主干道|学校门口|菜市场路段|镇区主街|桥头|小区路口|环城路",
        "loc_r": "村道|进村路口|桥头|国道边|圩场路段|屯口|乡道",
    },
    act="已通知交警到场处置。|已设置临时警示标志并上报交通部门。|已联系养护单位安排修复。"
        "|网格员已协助疏导交通，现场秩序恢复正常。|已上报街道，等待相关部门处理。",
    scen="""
@2-3 路段发生{vehicles}碰撞事故 ## {itime}，{loc}发生{vehicles}碰撞，[一人轻伤已送医|无人员受伤|造成短时拥堵]。 ## {src_i}{loc}发生一起{vehicles}剐蹭事故，双方因责任问题在现场争执，[影响车辆通行|交警正在赶来]。
@2-3 路面塌陷形成大坑 ## {src_i}{loc}路面塌陷形成一个直径约{meters2}米的坑，[深约半米|坑内积水|旁边就是学校]，存在安全隐患。 ## {itime}，{loc}路面[出现塌陷|开裂下沉|水管爆裂后塌陷]，已有电动车驶入受损。
@1 车辆乱停导致道路拥堵 ## {src_i}{loc}两侧车辆乱停乱放，[大货车无法通过|公交车被堵|救护车一度受阻]。 ## {itime}，{loc}有多辆车占道停放，造成[双向拥堵|路口堵死|半小时无法通行]。
@1-2 学校门口上下学时段拥堵 ## {src_i}[放学|上学]时段学校门口接送车辆[占满道路|乱停乱放|频繁掉头]，学生穿行车流间，存在安全隐患。 ## 家长反映学校门口[缺少斑马线|没有护栏|没有交通协管员]，上下学高峰拥堵严重。
@2 路口信号灯故障 ## {src_i}{loc}的信号灯[黄灯常闪|全部不亮|红绿灯同时亮起]，车辆通行混乱。 ## {itime}起{loc}红绿灯故障，已有群众自发指挥交通。
@1-2 渣土车抛洒泥沙污染路面 ## {src_i}{loc}有渣土车[未加盖篷布|超载行驶|车轮带泥上路]，沿途抛洒泥沙约{meters}米，路面湿滑。 ## {itime}，多辆渣土车经过{loc}时抛洒泥沙，[已有电动车滑倒|扬尘较大|遇雨后路面泥泞]。
@2 村道临水路段护栏缺失 ## {src_i}{loc}[临鱼塘|临河|急弯]路段没有护栏和警示标志，[夜间照明不足|曾发生过车辆落水|路面较窄]。 ## 村民反映{loc}[急弯|陡坡]路段缺少护栏，{itime}一辆[三轮车|电动车]险些翻下路基。
@2-3 @m3-10 大树倒伏阻断道路 ## {itime}受[大风|暴雨]影响，{loc}一棵大树倒伏横在路中间，[车辆无法通行|压断了电线|砸中一辆停放的小车]。 ## {src_i}{loc}路边大树被风吹倒，占用[半幅|整个]路面。
""",
)

_INC_DATA["民生服务"] = dict(
    pools={
        "days2": "两天|三天|好几天",
        "age": "82|79|86|90|77",
    },
    act="网格员已上门了解情况并登记需求。|已上报社区，安排专人跟进。|已协调相关部门上门服务。"
        "|已联系责任单位尽快处理。|网格员已登记情况，纳入重点关爱对象。",
    scen="""
@2-3 片区停水已超过{hours}小时 ## {src_i}{loc}一带{hh_n}户居民家中停水已超过{hours}小时，事先未收到通知，[老人做饭困难|小孩没法洗澡|群众情绪较大]。 ## 居民反映{loc}因[水管爆裂|水泵故障|管网改造]停水，已持续{hours}小时。
@2-3 独居老人多日未出门需上门探访 ## 邻居反映独居老人{sn1}（{age}岁）已{days2}未出门，电话无人接听。 ## {src_i}独居老人{sn1}[腿脚不便|患有高血压|子女在外务工]，近日独自在家，需要上门照看。
@1-2 困难家庭申请临时救助 ## {loc}居民{sn1}家[因病致贫|遭遇火灾|主要劳动力受伤]，生活困难，向网格员提出临时救助申请。 ## {src_i}{sn1}家[孩子患重病|房屋受损|收入中断]，急需帮扶。
@1 行动不便老人需上门办理养老金认证 ## {sn1}家老人[卧床多年|行动不便|视力不好]，无法到场办理养老金认证，家属请求上门服务。 ## {src_i}辖区有{count}名高龄老人尚未完成年度认证，均行动不便。
@2 片区突发停电 ## {itime}，{loc}一带突然停电，涉及约{hh_n}户，[供电部门尚未发布通知|群众纷纷询问|部分商户被迫停业]。 ## 居民反映{loc}[频繁跳闸|电压不稳|变压器有异响]，{itime}已停电。
@1-2 残疾人家庭房屋漏雨需帮扶 ## {src_i}残疾人{sn1}家[瓦房|老房子]屋顶破损，下雨时[屋里多处漏水|床铺被淋湿|墙体渗水]，需要帮扶修缮。 ## {sn1}家有[肢体残疾|智力残疾|视力残疾]人员，房屋漏雨严重，家中无劳动力修缮。
@2 @m7-8 留守儿童暑期无人看护 ## {src_i}{loc}[两名|三名|一名]留守儿童父母在外务工，跟随[年迈的爷爷奶奶|奶奶|外婆]生活，暑期经常独自到河边玩耍。 ## {sn1}家孩子父母[在广东打工|常年在外]，暑假期间无人看护，存在溺水隐患。
@2-3 居民反映燃气供应中断 ## {itime}起{loc}管道燃气[停气|气压偏低]，约{hh_n}户居民无法做饭，燃气公司电话难以打通。 ## {src_i}{loc}部分住户管道燃气中断，[燃气公司称在检修|事先未通知|群众急需恢复]。
""",
)

_INC_DATA["城建市容"] = dict(
    pools={
        "stall": "水果摊|流动摊贩|烧烤摊|早餐摊|修车铺",
    },
    act="已通知城管中队到场处置。|已劝导当事人自行整改。|已拍照上报街道，等待相关部门处理。"
        "|已联系相关部门处理。|网格员已现场督促整改，将跟踪复查。",
    scen="""
@1 {stall}占道经营 ## {src_i}{loc}人行道被{stall}占用，[摊位延伸到机动车道|行人只能绕行|收摊后垃圾满地]。 ## {itime}，{loc}有{count}个{stall}占道经营，经劝导后[仍未撤离|部分撤离|换个位置继续摆]。
@1-2 发现一处新增违建约{area}平方米 ## {src_i}{loc}有住户在[楼顶|院内|屋后空地]搭建[铁皮房|砖混房|钢架棚]约{area}平方米，未见审批手续。 ## {sn1}家在{loc}[加盖一层|扩建院墙|占用公共绿地]，面积约{area}平方米，周边住户有意见。
@2-3 井盖缺失存在安全隐患 ## {src_i}{loc}一处[污水井盖|雨水井盖|电缆井盖]缺失，[仅用树枝遮挡|夜间无照明|旁边是小学]。 ## {itime}，{loc}井盖[破损下陷|被盗|松动]，已有行人险些踩空。
@1 墙面乱张贴小广告 ## {src_i}{loc}墙面、电线杆被张贴大量[办证|开锁|贷款]小广告，影响市容。 ## {loc}新出现大面积喷涂小广告，约{meters}米长的围墙被涂满。
@2-3 户外广告牌松动有坠落风险 ## {src_i}{loc}一商铺的广告牌[固定螺丝锈蚀|一角已脱落|随风摇晃]，下方是人行道。 ## {itime}大风过后，{loc}一块广告牌[倾斜|部分脱落|悬挂在半空]，存在坠落风险。
@2-3 @m6-8 汛期暴雨致低洼路段内涝 ## {itime}受强降雨影响，{loc}低洼路段积水约[半米|齐膝深|三四十厘米]，[有车辆熄火|部分商铺进水|行人无法通行]。 ## {src_i}{loc}排水不畅，暴雨后[一楼住户进水|道路被淹|积水久久不退]。
@1 路灯连续{count}盏不亮 ## {src_i}{loc}路段有{count}盏路灯不亮，[夜间照明不足|路面漆黑|晚上行人较多]。 ## 居民反映{loc}路灯已{days}不亮，[晚上出行不便|存在安全隐患|电动车容易摔倒]。
@1 绿化带被毁改种蔬菜 ## {src_i}{loc}绿化带约{area}平方米被人铲掉种上[青菜|玉米|红薯]，还堆放了[农家肥|杂物]。 ## {loc}绿化带[被人踩出小路|被车辆碾压|花木被挖走]，影响市容。
@1-2 空中线缆杂乱低垂 ## {src_i}{loc}上空[通信线|电线|网线]杂乱交织，部分线缆垂到[两米左右|头盔高度|门口]，存在安全隐患。 ## 居民反映{loc}[废弃线缆|蜘蛛网式飞线]长期无人清理，影响出行和市容。
""",
)

_INC_DATA["群体性事件"] = dict(
    pools={
        "issue": "房屋交付延期|物业收费|小区配套不到位|房屋质量",
        "project": "道路|光伏项目|垃圾中转站|通信基站|养殖场",
        "school_issue": "校车停运|学位分配|食堂伙食|学校撤并",
        "env_issue": "养殖场臭味|工厂污染|石场粉尘|垃圾场异味",
        "itime2": "明天|周末|下周一",
        "itime": "今日上午|今天下午|中午|昨日下午|上午九点左右|傍晚",
    },
    act="已第一时间上报街道和派出所，工作人员正在做劝导工作。|已安排专人做好解释疏导工作，并登记群众诉求。"
        "|街道已约定组织对话协商，现场人员已逐步散去。|已启动应急预案，相关部门正赶赴现场。"
        "|网格员已在现场做好稳控，并报告综治中心。",
    scen="""
@4 {n_g}名工人聚集讨薪 ## {itime}，{n_g}名工人聚集在[工地门口|项目部|开发商售楼部]，反映被拖欠工资约{money}元，[情绪较为激动|拉起横幅|现场秩序总体平稳]。 ## {src_i}{n_g}名务工人员因[包工头失联|工程款未结|公司停产]聚集讨要工资，部分人员情绪激动。
@4 部分业主聚集反映{issue}问题 ## {itime}，约{n_g}名业主在[售楼部|物业中心|小区门口]聚集，反映{issue}问题，[现场有人拉横幅|要求开发商出面|有人在网上直播]。 ## {src_i}小区业主群内讨论{issue}问题情绪激烈，有人号召{itime2}集体到[街道|开发商|政府门口]反映。
@4 村民聚集阻挠{project}施工 ## {itime}，{n_g}名村民聚集在{project}施工现场，以[补偿不到位|担心污染|没征求意见]为由阻止施工。 ## {src_i}村民对{project}建设有意见，部分人员在施工现场[拉横幅|堵住机械|与施工人员争执]。
@4 {n_g}名村民到村委反映征地补偿 ## {itime}，{n_g}名村民到村委会反映[修路|工业园|高速公路]征地补偿[标准低|未足额发放|分配不公]，要求公开账目。 ## {src_i}部分村民对征地补偿分配方案有异议，准备{itime2}集体到镇政府反映。
@4 商户聚集反对市场搬迁 ## {itime}，{n_g}名[农贸市场|批发市场|夜市]商户聚集在管理处门口，反对市场搬迁，要求[延长过渡期|减免租金|给予补偿]。 ## {src_i}市场即将搬迁，部分商户对[新址位置|租金标准|摊位分配]不满，有聚集苗头。
@4 学生家长聚集反映{school_issue} ## {itime}，约{n_g}名家长聚集在学校门口，反映{school_issue}问题，要求校方[给出说法|公开方案|校长出面]。 ## {src_i}家长群内对{school_issue}问题意见较大，有人号召{itime2}到教育局反映。
@4 群众聚集反映{env_issue}问题 ## {itime}，{n_g}名群众聚集到[村委会|街道办|工厂门口]，反映{env_issue}问题长期未解决。 ## {src_i}周边群众对{env_issue}问题不满，{itime}有人在厂门口[堵车|拉横幅|与厂方争执]。
@4 公寓租户集体要求退还押金 ## {itime}，{n_g}名租户聚集在[公寓前台|中介门店|房东家门口]，称[二房东跑路|中介公司关门|公寓停业]，押金无法退还。 ## {src_i}一家长租公寓[突然停业|拖欠房东租金|负责人失联]，{n_g}名租户担心押金损失，情绪不稳。
""",
)

_INC_DATA["其他"] = dict(
    pools={
        "lost": "钱包|手机|身份证|一串钥匙|背包",
    },
    act="网格员已到场处置。|已联系相关单位处理。|已做好记录并持续跟进。|已通报村（居）委会，安排专人跟进。"
        "|已上报平台并跟踪办结。",
    scen="""
@2 发现一名走失老人 ## {itime}，群众在{loc}发现一名[七八十岁|年约七旬|神志不太清醒]的老人独自徘徊，说不清住址。 ## {src_i}{loc}有老人迷路，[身上没有证件|只记得儿子名字|说话带外地口音]，已暂时安置在[社区|村委|便利店]。
@2 流浪犬咬伤路人 ## {itime}，{loc}一条流浪犬咬伤[一名小学生|一名老人|一名外卖骑手]，伤者已前往打狂犬疫苗。 ## {src_i}{loc}有[三四条|多条|一群]流浪犬聚集，[追咬路人|翻垃圾桶|夜间狂吠]，群众出行担心。
@1-2 @m5-10 发现马蜂窝影响通行 ## {src_i}{loc}[树上|屋檐下|路边电杆上]有一个[脸盆大|篮球大|较大]的马蜂窝，已有行人被蜇。 ## 居民反映{loc}马蜂窝越来越大，[附近有小学|老人经常经过|蜂群有时攻击人]。
@2-3 @m6-8 汛期山塘水位上涨需加强巡查 ## {src_i}汛期连日降雨，{loc}附近山塘水位[接近溢洪道|明显上涨|漫过坝顶步道]，坝体[有渗水|需加密巡查]。 ## {itime}巡查发现{loc}附近[小水库|山塘]水位上涨较快，已通知管护人员值守。
@1 群众拾到{lost}待认领 ## {itime}，群众在{loc}拾到{lost}，已交到网格服务站，[正在联系失主|内有证件|暂未找到失主]。 ## {src_i}{loc}有人捡到{lost}，网格员正通过微信群发布认领信息。
@1-2 @m5-9 山塘边缺少防溺水警示牌 ## {src_i}{loc}附近[山塘|水库|鱼塘]边没有防溺水警示牌和救生设施，天热时常有孩子在附近玩耍。 ## {itime}巡查发现{loc}附近[河边|山塘边]的防溺水警示牌[被风吹倒|字迹模糊|已缺失]。
@1 @m4-10 有蛇进入居民家中 ## {itime}，居民{sn1}家中发现一条[一米多长|手臂粗|不明种类]的蛇，[躲进了柜子底下|盘在门口|家人不敢进屋]。 ## {src_i}{loc}近期多次有蛇出没，[附近草丛较深|靠近山边|有小孩上下学经过]。
@2-3 @m5-9 巡查发现学生下河游泳 ## {itime}，巡查发现{count}名学生在{loc}附近[河边|水库|鱼塘]游泳，无大人陪同。 ## {src_i}{loc}附近河段有[三五名|多名|几名]学生结伴下水，经劝说已上岸。
@2-3 独居老人突发疾病求助 ## {itime}，独居老人{sn1}突发[头晕|胸闷|腹痛]，邻居向网格员求助，已拨打120送医。 ## {src_i}{loc}一名老人在家中摔倒无法起身，网格员与邻居协助送医。
""",
)


def _build_incidents() -> dict:
    """category -> ({month: scenarios that fit it; None: all}, loc_u, loc_r, loc_any); a scenario
    is (title template, ((description + action variants), ...), (lowest, highest severity))."""
    out = {}
    for cat in INCIDENT_CATEGORIES:
        data = _INC_DATA[cat]
        cp = _pools(data["pools"])
        loc_u, loc_r = cp.pop("loc_u", _LOC_URBAN), cp.pop("loc_r", _LOC_RURAL)
        cp["loc"] = loc_u + loc_r
        acts = [a.strip() for a in _split_top(data["act"])]
        scen = []
        for line in _lines(data["scen"]):
            line, sev, months = _tags(line)
            assert sev is not None, f"texts: a scenario needs its severities (@lo-hi): {line}"
            title, *descs = [s.strip() for s in line.split("##")]
            assert descs, line
            ds = []
            for d in descs:
                # closing action sentence, unless the description has its own
                variants = [d.replace("{noact}", "")] if "{noact}" in d else [d + a for a in acts]
                ds.append(tuple(_compile(v, cp, _INC_COMMON) for v in variants))
            scen.append(((_compile(title, cp, _INC_COMMON), tuple(ds), sev), months))
        by_month = {m: tuple(x for x, months in scen if m is None or m in months) for m in (None, *MONTHS)}
        out[cat] = (by_month, loc_u, loc_r, _LOC_ANY if "loc_u" not in data["pools"] else loc_u + loc_r)
    return out


_INCIDENTS = _build_incidents()
_SHORT_CACHE: dict[str, str] = {}


def _short_place(place: str) -> str:
    """'港北区贵城街道石羊塘社区' -> '石羊塘社区' (part after the township)."""
    s = _SHORT_CACHE.get(place)
    if s is None:
        s, best = place, None
        for mark in ("街道", "镇", "乡"):
            i = place.find(mark, 2)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, len(mark))
        if best is not None and place[best[0] + best[1]:]:
            s = place[best[0] + best[1]:]
        if len(_SHORT_CACHE) > 50_000:
            _SHORT_CACHE.clear()
        _SHORT_CACHE[place] = s
    return s


def _fill_shared(tpl: tuple, memo: dict, r) -> str:
    """Fill a compiled template; named slots keep one value per memo."""
    parts, tail = tpl
    out = []
    for lit, opts, name in parts:
        out.append(lit)
        if name:
            v = memo.get(name)
            if v is None:
                v = memo[name] = opts[int(r() * len(opts))]
            out.append(v)
        else:
            out.append(opts[int(r() * len(opts))])
    out.append(tail)
    return "".join(out)


def incident_text(rng: random.Random, category: str, place: str, month: int | None = None) -> tuple[str, str]:
    """(title, description) for one incident. Title is place + event, at most 30
    characters (the place is shortened or dropped to fit). Raises ValueError for
    an unknown category."""
    return incident_event(rng, category, place, month)[:2]


def incident_event(rng: random.Random, category: str, place: str,
                   month: int | None = None, detail: dict | None = None) -> tuple[str, str, tuple[int, int]]:
    """(title, description, (lowest, highest) severity the event can have) for one incident:
    a 小广告 is 1 (一般) whatever happens, a gas leak or a mass incident may be 4 (重大).
    month (1–12, local time): only events of the season (no 暑期 in December, flood-season
    events June–August, heating fires in winter); None: any."""
    try:
        by_month, loc_u, loc_r, loc_any = _INCIDENTS[category]
        scen = by_month[month]
    except (KeyError, TypeError):
        raise ValueError(f"unknown incident category: {category!r}") from None
    r = rng.random
    p = _clean_place(place) if place else ""
    title_tpl, descs, sev = scen[int(r() * len(scen))]
    locs = loc_r if p.endswith("村") else (loc_u if p.endswith("社区") else loc_any)
    memo = {"loc": locs[int(r() * len(locs))]}
    body = _fill_shared(title_tpl, memo, r)
    which = int(r() * len(descs))
    variants = descs[which]
    desc = _fill_shared(variants[int(r() * len(variants))], memo, r)
    if detail is not None:  # what a second report of the same happening retells (incident_retelling)
        detail.update(descs=descs, which=which, memo=memo, body=body, place=p)
    title = body
    if p:
        if len(p) + len(body) <= TITLE_MAX:
            title = p + body
        else:
            sp = _short_place(p)
            if len(sp) + len(body) <= TITLE_MAX:
                title = sp + body
    return title[:TITLE_MAX], desc, sev


# ---------------------------------------------------------------- one event, several reports (一事一码)

# How each source words a report of a happening someone else has already reported: its own
# title framing and opening (12345 tickets quote the caller, 110 records the alarm), then one of
# the scenario's other descriptions with the same persons and place (the memo) but re-drawn wording.
_RETELL = {
    "hotline_12345": (_pool("市民来电反映|12345转办：|群众来电：|来电反映"),
                      _pool("市民来电反映：|12345热线工单：来电人称，|群众致电12345反映，|来电人反映，"
                            "|市民通过12345热线反映，")),
    "police_110": (_pool("110警情：|报警称|110接警："),
                   _pool("110接警：报警人称，|报警人称，|110指挥中心转来警情：|接群众报警，"
                         "|辖区派出所接报警，")),
    "wechat": (_pool("网格群反映：|群众在网格群反映|网格群：|微信群反映"),
               _pool("群众在网格微信群反映，|网格群里有居民发消息说，|居民在小区群里反映，|网格群内群众反映：")),
    "patrol": (_pool("|网格员上报："),
               _pool("网格员接报后到场核实：|网格员现场核实，|网格员到现场了解到，|经网格员核实，")),
    "mediation": (_pool("矛调中心受理：|"), _pool("矛调中心受理：当事人反映，|当事人到矛调中心反映，")),
    "department": (_pool("部门移交：|"), _pool("相关部门移交：|职能部门转来线索：")),
}
_LEAD = re.compile(r"^(网格员日常巡查发现，|网格员走访时发现，|群众通过“随手拍”上报，|12345热线转办，"
                   r"|视频监控发现，|村（居）委会报告，|群众来电反映，|网格员入户时了解到，)")


def incident_retelling(rng: random.Random, detail: dict, source: str) -> tuple[str, str]:
    """(title, description) of another report of the event `detail` (filled by incident_event)
    as `source` words it: the same place, persons and event, in other words."""
    descs = detail["descs"]
    others = [i for i in range(len(descs)) if i != detail["which"]] or [detail["which"]]
    r = rng.random
    variants = descs[others[int(r() * len(others))]]
    # The same 韦某 at the same 桥头: named slots are kept in the event's memo, so every report
    # of it names the same persons and numbers; who noticed it and when are the teller's own.
    memo = detail["memo"]
    own = {k: memo.pop(k) for k in ("src_i", "itime") if k in memo}
    desc = _LEAD.sub("", _fill_shared(variants[int(r() * len(variants))], memo, r))
    for k in ("src_i", "itime"):
        memo.pop(k, None)
    memo.update(own)
    titles, opens = _RETELL.get(source, _RETELL["hotline_12345"])
    head = titles[int(r() * len(titles))]
    p, body = detail["place"], detail["body"]
    where = _short_place(p) if p else ""
    title = head + (where + body if where and len(head) + len(where) + len(body) <= TITLE_MAX else body)
    return title[:TITLE_MAX], opens[int(r() * len(opens))] + (where + "，" if where and r() < 0.5 else "") + desc


# --- the register (一户一档 · 一企一档): addresses, enterprise names, places, organisations ---

ROADS = ("建设路", "中山路", "民主路", "港城大道", "金港大道", "荷城路", "江南路", "仙衣路", "布山路", "石羊塘路",
         "光明路", "新兴路", "富林路", "解放路", "人民路", "城北路", "迎宾路", "广场路")
ENTERPRISE_WORDS = ("金港", "荷城", "鑫源", "华盛", "桂平", "南江", "恒通", "永兴", "宏达", "东泰", "富民",
                    "兴业", "达成", "郁江", "新塘", "龙山", "利源", "盛世", "嘉禾", "福临")
# kind -> (name endings, share urban, share rural, median employees)
ENTERPRISE_KINDS = {
    "制造业": (("机械厂", "木业有限公司", "板材厂", "电子有限公司", "食品厂"), 0.14, 0.30, 45),
    "建筑业": (("建筑工程有限公司", "建材有限公司", "砖厂"), 0.08, 0.12, 30),
    "批发零售": (("商贸有限公司", "超市", "农资店", "五金店"), 0.36, 0.28, 6),
    "住宿餐饮": (("酒店", "大酒楼", "宾馆", "餐饮店"), 0.22, 0.10, 12),
    "交通运输": (("物流有限公司", "运输有限公司", "汽车站"), 0.06, 0.06, 20),
    "危化品经营": (("加油站", "燃气供应站", "化工有限公司"), 0.04, 0.06, 15),
    "其他服务": (("物业服务有限公司", "培训中心", "美容美发店", "汽车维修店"), 0.10, 0.08, 8),
}
INSPECTION_RESULTS = ("合格", "限期整改", "停产整顿")
# 检查记录 findings: what an inspector writes down, by the enterprise's risk tag (and for any).
INSPECTION_FINDINGS = {
    "危化品": ("危化品台账不全", "危化品储存超量", "防雷防静电检测过期", "特种作业人员无证上岗"),
    "消防重点": ("消防通道堵塞", "疏散指示标志损坏", "消防设施未定期维保", "安全出口上锁"),
    "劳动密集": ("员工宿舍与生产区未分隔", "安全教育培训记录缺失", "机械防护装置缺失"),
    "有限空间": ("有限空间作业未审批", "有限空间未设警示标识", "未配备气体检测仪"),
    "": ("灭火器过期或压力不足", "电气线路私拉乱接", "隐患排查台账不全", "安全生产责任制未落实",
         "应急预案未演练"),
}
# 停产整顿 follows a serious hazard (重大事故隐患) the inspector names first.
SERIOUS_FINDINGS = ("重大事故隐患未按期整改", "无证从事生产经营", "违规动火作业")
HAZARDS = (("加油站", "重大危险源（易燃液体）"), ("液化气储配站", "重大危险源（易燃气体）"),
           ("地质灾害隐患点", "滑坡隐患，汛期每日巡查"), ("小型水库", "汛期值守，泄洪预警"),
           ("高压线走廊", "防外力破坏"), ("危化品仓库", "一般危险源（腐蚀品）"))
CAMERAS = ("路口高清球机", "小区出入口人脸抓拍", "河道监控", "学校周边监控", "市场监控")
SHELTERS = ("小学操场", "文化广场", "村委会大院", "体育馆", "公园")


def short_place(place: str) -> str:
    """村民委员会 → 村, 社区居民委员会 → 社区: how people write an address."""
    return _clean_place(place)
