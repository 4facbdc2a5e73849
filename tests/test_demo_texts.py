"""Tests for the synthetic appeal / incident text generator (dashboard.demo.texts)."""

import math
import random
import time
from collections import Counter

import pytest

from dashboard.demo import texts as T

PLACE = "港北区贵城街道石羊塘社区"
PLACES = (PLACE, "大圩镇三连村", "贵城街道石羊塘社区居委会", "大圩镇三连村委会",
          "寻旺乡长安老乡家园社区居委会", "桂平市金田镇某某村", "")
# sentiment kinds: (name, sentiment value)
KINDS = (("furious", -0.95), ("angry", -0.65), ("worried", -0.3), ("neutral", 0.0), ("praise", 0.6))
PRAISE_MARKERS = ("感谢", "谢谢", "赞", "满意", "表扬")  # 赞: 点赞, 点个赞
NEUTRAL_MARKERS = ("请问", "咨询", "想问", "问一下", "请教", "想了解", "建议", "能不能", "能否", "？")
LEFTOVERS = ("{", "}", "[", "]", "|", "##")

# Words a human would use to file the text under its topic (其他 is a catch-all).
TOPIC_KEYWORDS = {
    "邻里纠纷": "邻居|邻里|隔壁|楼上|楼下|对门|屋后|两家|调解|有户人家",
    "劳资纠纷": "工资|工钱|欠薪|工头|劳动|劳务|社保|辞退|工伤|加班|押金|补偿|招工|上岗|老板|干活|上班|工人|工友|临时工|一分钱",
    "土地山林": "地|山|林|树|界|确权|田|鱼塘|果园|承包|补偿|屯",
    "环境污染": "污|排|臭|烟|粉尘|垃圾|水|味|烧|废料|废渣|环评|除尘",
    "噪音扰民": "吵|噪|音|睡|喇叭|施工|安静|响|叫|炸街|跳舞|广场舞|装修|电钻|鞭炮|跺地板",
    "城建市容": "违建|违章|搭|加盖|电梯|城管|排水|占道|摊|路灯|井盖|广告|横幅|灯箱|涂|绿化|绿地|花坛|草坪|电线|杂草|公厕|"
                "人行道|积水|内涝|建筑垃圾|路面|改造|招牌|雨棚|市容|拆除|乱建",
    "道路交通": "路|道|车|交通|红绿灯|交警|公交|停车",
    "社会保障": "低保|补贴|养老|医保|社保|救助|残疾|公租房|失业|退休|丧葬|供养|五保|特困|报销|就医",
    "教育医疗": "学|校|医|院|卫生|老师|孩子|疫苗|药|病|幼儿园|初中|教育",
    "治安": "偷|盗|赌|打架|诈|骗|监控|传销|治安|巡逻|高利贷|门禁|抢|派出所|民警|报案|可疑|吸|闹事|来历不明|游荡",
}


def _batch(seed, topic, sentiment, n=1000, place=PLACE):
    rng = random.Random(seed)
    return [T.appeal_text(rng, topic, sentiment, place) for _ in range(n)]


def test_constants():
    assert T.TOPICS == ("邻里纠纷", "劳资纠纷", "土地山林", "环境污染", "噪音扰民", "城建市容",
                        "道路交通", "社会保障", "教育医疗", "治安", "其他")
    assert T.INCIDENT_CATEGORIES == ("矛盾纠纷", "治安隐患", "安全生产", "消防安全", "环境卫生",
                                     "道路交通", "民生服务", "城建市容", "群体性事件", "其他")


def test_deterministic_with_same_seed():
    def run(seed):
        rng = random.Random(seed)
        out = []
        for i in range(600):
            out.append(T.appeal_text(rng, T.TOPICS[i % 11], math.sin(i), PLACES[i % len(PLACES)]))
            out.append(T.incident_text(rng, T.INCIDENT_CATEGORIES[i % 10], PLACES[i % len(PLACES)]))
        return out
    assert run(42) == run(42)
    assert run(42) != run(43)


def test_uses_only_the_given_rng():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    rng = random.Random(1)
    for t in T.TOPICS:
        T.appeal_text(rng, t, -0.5, PLACE)
    for c in T.INCIDENT_CATEGORIES:
        T.incident_text(rng, c, PLACE)
    assert random.random() == expected


@pytest.mark.parametrize("topic", T.TOPICS)
def test_appeals_non_empty_clean_and_sized(topic):
    rng = random.Random(7)
    lengths = []
    for i in range(3000):
        s = rng.uniform(-1, 1)
        place = PLACES[i % len(PLACES)]
        text = T.appeal_text(rng, topic, s, place)
        assert isinstance(text, str) and text.strip() == text and text
        assert not any(x in text for x in LEFTOVERS), text
        assert "，，" not in text and "。。" not in text and "，。" not in text, text
        assert "社区居委会" not in text and "村委会" not in text, text  # committee -> place
        lengths.append(len(text))
    lengths.sort()
    assert lengths[0] >= 12
    assert lengths[int(0.95 * len(lengths))] <= 120
    assert lengths[-1] <= 170


@pytest.mark.parametrize("topic", T.TOPICS)
@pytest.mark.parametrize("kind,sentiment", KINDS)
def test_variety(topic, kind, sentiment):
    texts = _batch(11, topic, sentiment)
    assert len(set(texts)) >= 600, (topic, kind, len(set(texts)))


@pytest.mark.parametrize("topic", T.TOPICS)
def test_variety_mixed_sentiment(topic):
    rng = random.Random(3)
    texts = {T.appeal_text(rng, topic, rng.uniform(-1, 1), PLACE) for _ in range(1000)}
    assert len(texts) >= 900


@pytest.mark.parametrize("topic", T.TOPICS)
def test_sentiment_direction(topic):
    praise = _batch(1, topic, 0.7, 2000) + _batch(2, topic, 0.21, 500) + _batch(3, topic, 1.0, 500)
    for text in praise:
        assert any(m in text for m in PRAISE_MARKERS), text
    complaints = [t for s in (-0.21, -0.4, -0.6, -0.9, -1.0) for t in _batch(4, topic, s, 600)]
    for text in complaints:
        assert not any(m in text for m in PRAISE_MARKERS), text
    neutral = _batch(5, topic, 0.0, 1000) + _batch(6, topic, 0.2, 300) + _batch(7, topic, -0.2, 300)
    for text in neutral:
        assert any(m in text for m in NEUTRAL_MARKERS), text
        assert "！！" not in text and "忍无可忍" not in text, text
    # stronger words the more negative: exclamations climb with anger
    def bang(texts):
        return sum("！" in t for t in texts) / len(texts)
    worried, angry, furious = (_batch(8, topic, s, 1000) for s in (-0.3, -0.65, -0.95))
    assert bang(worried) < 0.3 < bang(angry) < bang(furious)
    assert bang(furious) >= 0.9


def test_sentiment_boundaries_and_nan():
    rng = random.Random(0)
    # -0.2 and 0.2 are neutral; just outside them are complaint / praise
    assert any(m in T.appeal_text(rng, "治安", 0.2000001, PLACE) for m in PRAISE_MARKERS)
    with pytest.raises(ValueError):
        T.appeal_text(rng, "治安", float("nan"), PLACE)


@pytest.mark.parametrize("topic", [t for t in T.TOPICS if t in TOPIC_KEYWORDS])
def test_topic_recognisable(topic):
    words = TOPIC_KEYWORDS[topic].split("|")
    for _, s in KINDS:
        for text in _batch(9, topic, s, 1500):
            assert any(w in text for w in words), (topic, text)


def test_place_woven_in_or_omitted():
    rng = random.Random(5)
    texts = [T.appeal_text(rng, t, s, PLACE) for t in T.TOPICS for _, s in KINDS for _ in range(200)]
    share = sum(PLACE in x for x in texts) / len(texts)
    assert 0.45 <= share <= 0.9, share
    starts = sum(x.startswith(PLACE) for x in texts) / len(texts)
    assert starts < 0.25  # not always at the start
    rng = random.Random(5)
    for t in T.TOPICS:
        for _, s in KINDS:
            for _ in range(200):
                x = T.appeal_text(rng, t, s, "")
                assert x and not any(b in x for b in ("住在，", "家在，", "是的居民", "：。", "们这边")), x
    rng = random.Random(5)
    village = [T.appeal_text(rng, "土地山林", -0.5, "大圩镇三连村委会") for _ in range(300)]
    assert any("大圩镇三连村" in x for x in village)
    assert not any("村委会" in x and "大圩镇三连村委会" in x for x in village)


def test_unknown_topic_and_category():
    rng = random.Random(0)
    for bad in ("不存在", "", "邻里", None):
        with pytest.raises(ValueError):
            T.appeal_text(rng, bad, 0.0, PLACE)
        with pytest.raises(ValueError):
            T.incident_text(rng, bad, PLACE)
    with pytest.raises(ValueError):
        T.incident_text(rng, "邻里纠纷", PLACE)  # an appeal topic, not an incident category


@pytest.mark.parametrize("category", T.INCIDENT_CATEGORIES)
def test_incidents(category):
    rng = random.Random(17)
    titles, descs, pairs = set(), set(), set()
    long_place = "桂平市寻旺乡长安老乡家园社区居委会"
    for i in range(1000):
        place = (PLACE, "大圩镇三连村", long_place, "")[i % 4]
        title, desc = T.incident_text(rng, category, place)
        assert isinstance(title, str) and isinstance(desc, str)
        assert 4 <= len(title) <= T.TITLE_MAX == 30, title
        assert not any(x in title + desc for x in LEFTOVERS), (title, desc)
        ends = sum(desc.count(p) for p in "。！？")
        assert 1 <= ends <= 3 and desc[-1] in "。！？", desc
        assert 15 <= len(desc) <= 160, desc
        if place == PLACE:
            assert title.startswith(PLACE) or title.startswith("石羊塘社区"), title
        if place == "大圩镇三连村":
            assert title.startswith("大圩镇三连村"), title
        if place == long_place:
            assert "委会" not in title and "长安老乡家园社区" in title, title
        titles.add(title)
        descs.add(desc)
        pairs.add((title, desc))
    assert len(titles) >= 30
    assert len(descs) >= 600
    assert len(pairs) >= 650


def test_incident_rural_urban_locations():
    rng = random.Random(2)
    rural = [T.incident_text(rng, "环境卫生", "大圩镇三连村")[1] for _ in range(500)]
    urban = [T.incident_text(rng, "环境卫生", PLACE)[1] for _ in range(500)]
    assert not any("小区门口" in d or "安置小区" in d for d in rural)
    assert not any("屯里" in d or "晒谷场" in d for d in urban)


def test_speed_report():
    rng = random.Random(0)
    n = 100_000
    args = [(T.TOPICS[i % 11], (i % 41) / 20 - 1, PLACES[i % 3]) for i in range(n)]
    t0 = time.perf_counter()
    for topic, s, place in args:
        T.appeal_text(rng, topic, s, place)
    rate = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(20_000):
        T.incident_text(rng, T.INCIDENT_CATEGORIES[i % 10], PLACES[i % 3])
    irate = 20_000 / (time.perf_counter() - t0)
    print(f"\nappeal_text: {rate:,.0f} calls/s; incident_text: {irate:,.0f} calls/s")


def test_print_samples():
    rng = random.Random(2024)
    print()
    for kind, s in KINDS:
        print(f"--- {kind} ({s})")
        for t in rng.sample(T.TOPICS, 5):
            print(f"  [{t}] {T.appeal_text(rng, t, s, rng.choice(PLACES[:2]))}")
    print("--- incidents")
    for c in T.INCIDENT_CATEGORIES[:5]:
        print(f"  [{c}] {T.incident_text(rng, c, rng.choice(PLACES[:2]))}")
    counts = Counter(len(T.appeal_text(rng, t, rng.uniform(-1, 1), PLACE)) // 20 * 20
                     for t in T.TOPICS for _ in range(300))
    print("  length histogram:", dict(sorted(counts.items())))
