"""The briefing's content: figures with their week-on-week change, the summary text, the
charts and the tables — one structure that the Word, Excel and PDF writers all read.

`build` turns data_access.briefing.report() into a `Briefing` without touching the database.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from data_access import briefing as data
from data_access.metrics import weather
from data_access.timeutil import SHANGHAI, local_day
from data_access.vocabulary import INCIDENT_CATEGORIES as CATEGORY_ORDER
from data_access.vocabulary import INCIDENT_STATUS_NAMES as STATES
from data_access.vocabulary import KPI_LABELS
from data_access.vocabulary import SEVERITY_NAMES as SEVERITY
from data_access.vocabulary import WARNING_LEVEL_NAMES

PRINT_OVERDUE, PRINT_TOPICS, PRINT_WARNINGS = 10, 10, 20  # rows in Word and PDF
# The printed report's own wording for warning states (the desk's is vocabulary.WARNING_STATUS_NAMES).
STATUS_NAMES = {"new": "待处置", "acknowledged": "已签收", "assigned": "已交办", "resolved": "已办结",
                "dismissed": "已排除"}
LEVEL_WORDS = {level: f"{name}色" for level, name in WARNING_LEVEL_NAMES.items()}  # 红色 …


# --- cells ---------------------------------------------------------------------------------

def display(value, kind: str) -> str:
    """A cell as the Word and PDF tables show it (Excel keeps the value and a number format)."""
    if value is None:
        return "—"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "rank":
        return str(int(value))
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind in ("score", "delta2"):
        return f"{value:+.2f}" if kind == "delta2" else f"{value:.2f}"
    if kind in ("index", "hours"):
        return f"{value:.1f}"
    if kind == "float1":
        return f"{value:,.1f}"
    if kind == "delta1":
        return f"{value:+.1f}"
    if kind == "pct_change":
        return "持平" if value == 0 else f"{value * 100:+.1f}%"
    if kind == "pp_change":
        return "持平" if value == 0 else f"{value:+.1f}个百分点"
    if kind == "datetime":
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return str(value)


@dataclass
class Column:
    header: str
    kind: str = "text"
    width: float = 1.0  # relative width in the Word and PDF tables


@dataclass
class Table:
    key: str           # the Excel sheet's name
    title: str
    columns: list[Column]
    rows: list[list]
    note: str = ""
    kinds: list[list[str]] | None = None  # per-cell kinds where a column mixes them
    print_limit: int | None = None  # Word and PDF show this many rows; Excel has them all

    @property
    def printed(self) -> int:
        return len(self.rows) if self.print_limit is None else min(self.print_limit, len(self.rows))

    @property
    def print_note(self) -> str:
        """The note as Word and PDF show it: says so when rows were left to the Excel file."""
        if self.printed < len(self.rows):
            return f"{self.note}此处列出前{self.printed}条，完整清单见 Excel 文件“{self.key}”表。"
        return self.note

    def kind(self, i: int, j: int) -> str:
        if self.kinds is not None and self.kinds[i][j]:
            return self.kinds[i][j]
        return self.columns[j].kind

    def text(self, i: int, j: int) -> str:
        return display(self.rows[i][j], self.kind(i, j))


@dataclass
class Chart:
    key: str
    title: str
    figure: object     # a plotly figure from the dashboard's own builders
    width: int
    height: int
    caption: str = ""
    png: bytes | None = None


@dataclass
class Briefing:
    region_code: str
    region_name: str
    level: str
    week: str
    monday: dt.date
    sunday: dt.date
    start: dt.datetime
    as_of: dt.datetime
    complete: bool
    issued: dt.date
    heading: str
    issue_line: str
    issuer: str
    summary: list[str]
    key_figures: Table
    tables: list[Table]
    data_tables: list[Table]
    charts: list[Chart] = field(default_factory=list)

    @property
    def as_of_text(self) -> str:
        """When the figures stand: the week's end (24:00 Sunday) or the running week's now."""
        if self.complete:
            return f"{self.sunday.year}年{self.sunday.month}月{self.sunday.day}日24时"
        local = self.as_of.astimezone(SHANGHAI)
        return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"

    def filename(self, ext: str) -> str:
        return f"briefing-{self.region_code}-{self.week}.{ext}"

    @property
    def period(self) -> str:
        """'2026年11月16日—11月22日', or up to the as-of time while the week runs."""
        end = self.sunday if self.complete else local_day(self.as_of)
        text = f"{self.monday.year}年{self.monday.month}月{self.monday.day}日—{end.month}月{end.day}日"
        if not self.complete:
            text += self.as_of.astimezone(SHANGHAI).strftime(" %H:%M")
        return text


# --- week-on-week ---------------------------------------------------------------------------

def change(this, prev, kind: str):
    """The week-on-week change of a figure of `kind`: relative for counts, percentage points
    for rates, plain difference for scores; None when there is nothing to compare with."""
    if this is None or prev is None:
        return None
    if kind == "int":
        if prev == 0:
            return 0.0 if this == 0 else None  # nothing to compare a rise from zero with
        return round((this - prev) / prev, 4)
    if kind == "rate":
        return round((this - prev) * 100, 1)
    if kind == "score":
        return round(this - prev, 2)
    return round(this - prev, 1)


# The week's pooled same-day clearance: the desk's 日清零率 is today's, so the week's has its own label.
WEEK_CLEARANCE = "日清零率（全周）"

CHANGE_KIND = {"int": "pct_change", "rate": "pp_change", "score": "delta2", "index": "delta1"}

# (label, key, kind); keys name headline() fields, "warnings.red" one level's count.
KEY_FIGURES = (
    ("受理事件（件）", "received", "int"),
    ("办结事件（件）", "closed", "int"),
    (WEEK_CLEARANCE, "clearance_rate", "rate"),
    ("期末在办事件（件）", "open", "int"),
    ("期末超期事件（件）", "overdue", "int"),
    ("日均巡查覆盖率", "patrol_coverage", "rate"),
    ("巡查（次）", "patrols", "int"),
    ("巡查发现问题（个）", "issues", "int"),
    (KPI_LABELS["visit_on_time_rate"], "visit_on_time_rate", "rate"),  # at the week's end, as the desk
    ("群众诉求（件）", "appeals", "int"),
    ("诉求满意度（分）", "satisfaction", "score"),
    (KPI_LABELS["barometer_index"], "barometer_index", "index"),  # at the week's end, as the desk
    ("红色预警（条）", "warnings.red", "int"),
    ("橙色预警（条）", "warnings.orange", "int"),
    ("黄色预警（条）", "warnings.yellow", "int"),
    ("蓝色预警（条）", "warnings.blue", "int"),
)


def figure(h: dict, key: str):
    if key.startswith("warnings."):
        return h["warnings"][key.split(".", 1)[1]]
    return h[key]


def key_figures(this: dict, prev: dict) -> Table:
    rows, kinds = [], []
    for label, key, kind in KEY_FIGURES:
        a, b = figure(this, key), figure(prev, key)
        rows.append([label, a, b, change(a, b, kind)])
        kinds.append(["text", kind, kind, CHANGE_KIND[kind]])
    return Table("主要指标", "主要指标", [Column("指标", width=2.2), Column("本周", width=1.2),
                                           Column("上周", width=1.2), Column("环比", width=1.4)],
                 rows, kinds=kinds,
                 note="期末：周日24时的状态。环比：件数为增减百分比，比率为增减百分点，分值为差值。")


# --- the summary paragraph -----------------------------------------------------------------

def area_word(name: str, level: str) -> str:
    """全市 / 全区 / 全县 / 全镇 / 全街道 / 全村 / 全社区 / 本网格 — how the text names the area."""
    if level == "grid":
        return "本网格"
    for suffix, word in (("街道", "全街道"), ("社区", "全社区"), ("居委会", "全社区"), ("村委会", "全村"),
                         ("区", "全区"), ("县", "全县"), ("市", "全市"), ("镇", "全镇"), ("乡", "全乡"),
                         ("村", "全村")):
        if name.endswith(suffix):
            return word
    return "全" + {"city": "市", "county": "县", "township": "镇", "village": "村"}.get(level, "域")


def _count(n) -> str:
    return f"{int(n):,}"


def _pct(r) -> str:
    return "—" if r is None else f"{r * 100:.1f}%"


def _trend_words(this, prev) -> str:
    """'环比上升8.2%' / '环比下降1.0%' / '与上周持平' / '上周为0'."""
    c = change(this, prev, "int")
    if c is None:
        return "上周为0" if this else "与上周持平"
    if c == 0:
        return "与上周持平"
    return f"环比{'上升' if c > 0 else '下降'}{abs(c) * 100:.1f}%"


def _pp_words(this, prev, up="提高", down="下降") -> str:
    c = change(this, prev, "rate")
    if c is None:
        return ""
    if c == 0:
        return "，与上周持平"
    return f"，较上周{up if c > 0 else down}{abs(c):.1f}个百分点"


def summary(report: dict) -> list[str]:
    """The text for the leaders' meeting, written from the figures (numbers as in the tables)."""
    t, p = report["this"], report["prev"]
    region = report["region"]
    area = area_word(region["name"], region["level"])
    monday, sunday = report["monday"], report["sunday"]
    paras = []
    span = f"本周（{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日）"
    text = (f"{span}，{area}共受理事件{_count(t['received'])}件，{_trend_words(t['received'], p['received'])}；"
            f"办结{_count(t['closed'])}件，{_trend_words(t['closed'], p['closed'])}；"
            f"{WEEK_CLEARANCE}{_pct(t['clearance_rate'])}{_pp_words(t['clearance_rate'], p['clearance_rate'])}。")
    text += f"期末在办事件{_count(t['open'])}件，其中超期{_count(t['overdue'])}件"
    late = sorted((c for c in report["children"] if c["overdue"]), key=lambda c: (-c["overdue"], c["code"]))[:3]
    if t["overdue"] and late:
        text += "，主要集中在" + "、".join(f"{c['name']}（{c['overdue']}件）" for c in late)
    text += "。"
    paras.append(text)

    text = (f"网格日均巡查覆盖率{_pct(t['patrol_coverage'])}{_pp_words(t['patrol_coverage'], p['patrol_coverage'])}，"
            f"全周巡查{_count(t['patrols'])}次，发现问题{_count(t['issues'])}个；"
            f"重点人员走访及时率{_pct(t['visit_on_time_rate'])}"
            f"{_pp_words(t['visit_on_time_rate'], p['visit_on_time_rate'])}。")
    paras.append(text)

    sat = "暂无评价" if t["satisfaction"] is None else f"满意度{t['satisfaction']:.2f}分"
    baro = t["barometer_index"]
    db = change(baro, p["barometer_index"], "index")
    baro_change = "" if not db else f"，较上周{'上升' if db > 0 else '下降'}{abs(db):.1f}"
    text = (f"受理群众诉求{_count(t['appeals'])}件，{_trend_words(t['appeals'], p['appeals'])}，{sat}；"
            f"社情民意晴雨表指数{baro:.1f}（{weather(baro)}）{baro_change}。")
    hot = [x for x in report["topics"] if x["topic"] != data.UNCLASSIFIED][:3]
    if hot:
        text += "诉求较多的是" + "、".join(f"{x['topic']}（{_count(x['appeals'])}件）" for x in hot) + "。"
    paras.append(text)

    w = t["warnings"]
    if t["warnings_total"]:
        parts = [f"{LEVEL_WORDS[lvl]}{w[lvl]}条" for lvl in ("red", "orange", "yellow", "blue") if w[lvl]]
        paras.append(f"本周共发出风险预警{t['warnings_total']}条，其中" + "、".join(parts) + "。")
    else:
        paras.append("本周未发出风险预警。")
    if not report["complete"]:
        paras.append(f"（本周尚未结束，数据截至{report['as_of'].astimezone(SHANGHAI):%m月%d日 %H:%M}，"
                     "环比为与上周同一时段比较。）")
    return paras


# --- tables -----------------------------------------------------------------------------------

def _rank_key(c: dict):
    # Best first: highest 日清零率 (none last), then fewest overdue, then busiest, then code.
    rate = c["clearance_rate"]
    return (rate is None, -(rate or 0), c["overdue"], -c["received"], c["code"])


CHILD_NAMES = {"county": "县（市、区）", "township": "乡镇（街道）", "village": "村（社区）", "grid": "网格"}


def children_table(children: list[dict], child_level: str | None) -> Table:
    cols = [Column("排名", "rank", 0.6), Column(CHILD_NAMES.get(child_level, "下级区域"), width=1.8),
            Column("受理", "int"), Column("办结", "int"), Column(WEEK_CLEARANCE, "rate"), Column("期末超期", "int"),
            Column("日均巡查覆盖率", "rate", 1.2), Column("走访及时率", "rate"), Column("诉求", "int"),
            Column("满意度", "score"), Column(KPI_LABELS["barometer_index"], "index"), Column("红橙预警", "int")]
    rows = [[i, c["name"], c["received"], c["closed"], c["clearance_rate"], c["overdue"], c["patrol_coverage"],
             c["visit_on_time_rate"], c["appeals"], c["satisfaction"], c["barometer_index"], c["warnings_red_orange"]]
            for i, c in enumerate(sorted(children, key=_rank_key), 1)]
    note = (f"按{WEEK_CLEARANCE}从高到低排名（相同时超期少者在前）。" if rows else "网格为最小单元，无下级区域。")
    return Table("下级区域排名", "下级区域排名", cols, rows, note)


def workers_table(workers: dict) -> Table:
    cols = [Column("排名", "rank", 0.7), Column("姓名", width=0.8), Column("职务", width=1.3),
            Column("所在网格", width=2.6), Column("巡查次数", "int"), Column("里程（公里）", "float1"),
            Column("发现问题", "int"), Column("网格事件", "int"), Column("按时办结", "int"),
            Column("按时办结率", "rate")]
    rows = [[w["rank"], w["name"], w["role"], w["grid"], w["patrols"], w["km"], w["issues"], w["incidents"],
             w["closed_on_time"], w["on_time_rate"]] for w in workers["rows"]]
    total = workers["total"]
    note = (f"在岗网格员共{total:,}名，按巡查次数、里程排名"
            + (f"，列出前{data.TOP_WORKERS}名和后{data.TOP_WORKERS}名" if workers["truncated"] else "")
            + "；按时办结：本周本网格上报事件中，在办理时限内办结的件数。姓名已脱敏。")
    return Table("网格员考核", "网格员考核", cols, rows, note)


def overdue_table(overdue: dict) -> Table:
    cols = [Column("序号", "rank", 0.5), Column("事件", width=2.4), Column("类别", width=0.9),
            Column("等级", width=0.8), Column("所在网格", width=2.2), Column("承办部门", width=1.1),
            Column("上报时间", "datetime", 1.3), Column("办理时限", "datetime", 1.3),
            Column("超期（小时）", "hours", 0.9), Column("状态", width=0.8)]
    rows = [[i, r["title"] or "（无标题）", r["category"] or "未知",
             f"{r['severity']}级·{SEVERITY.get(r['severity'], '')}" if r["severity"] else "—",
             " / ".join(x for x in (r["township"], r["village"], r["grid"]) if x),
             r["department"] or "网格自办", r["reported_at"], r["sla_due_at"], r["hours_late"],
             STATES.get(r["state"], r["state"])] for i, r in enumerate(overdue["rows"], 1)]
    if not overdue["total"]:
        note = "期末无超期在办事件。"
    elif len(rows) < overdue["total"]:
        note = f"期末超期在办事件共{overdue['total']:,}件，按超期时长排列，列出{len(rows)}件。"
    else:
        note = f"期末超期在办事件共{overdue['total']:,}件，按超期时长排列。"
    return Table("超期事件", "超期事件", cols, rows, note, print_limit=PRINT_OVERDUE)


def topics_table(topics: list[dict]) -> Table:
    cols = [Column("话题", width=1.4), Column("本周", "int"), Column("上周", "int"),
            Column("环比", "pct_change"), Column("负面占比", "rate"), Column("满意度", "score")]
    rows = [[t["topic"], t["appeals"], t["prev"], change(t["appeals"], t["prev"], "int"), t["negative_share"],
             t["satisfaction"]] for t in topics]
    return Table("诉求热点", "诉求热点", cols, rows,
                 "本周诉求按话题排列；未标注话题的诉求计入“未分类”。" if rows else "本周无诉求。",
                 print_limit=PRINT_TOPICS)


def warnings_table(warnings: list[dict], total_red_orange: int) -> Table:
    cols = [Column("级别", width=0.6), Column("类型", width=1.0), Column("区域", width=1.8),
            Column("预警内容", width=3.6), Column("状态", width=0.7), Column("发出时间", "datetime", 1.3)]
    rows = [[LEVEL_WORDS.get(w["level"], w["level"]), w["rule"], w["region"], w["reason"],
             STATUS_NAMES.get(w["status"], w["status"]), w["created_at"]] for w in warnings]
    if not total_red_orange:
        note = "本周未发出红色、橙色预警。"
    elif len(rows) < total_red_orange:
        note = f"本周红色、橙色预警共{total_red_orange}条，红色在前，列出{len(rows)}条。"
    else:
        note = f"本周红色、橙色预警共{total_red_orange}条，红色在前。"
    return Table("红橙预警", "红色和橙色预警", cols, rows, note, print_limit=PRINT_WARNINGS)


def trend_table(trend: list[dict]) -> Table:
    cols = [Column("日期", "date"), Column("受理", "int"), Column("办结", "int"), Column("当日办结", "int"),
            Column("日清零率", "rate")]
    rows = [[dt.date.fromisoformat(d["day"]), d["reported"], d["closed"], d["cleared_same_day"],
             d["clearance_rate"]] for d in trend]
    return Table("每日事件", "每日事件（近14日）", cols, rows)


def categories_table(categories: list[dict]) -> Table:
    cols = [Column("类别", width=1.4), Column("本周", "int"), Column("上周", "int"), Column("环比", "pct_change")]
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    rows = [[c["category"] or "未知", c["this"], c["prev"], change(c["this"], c["prev"], "int")]
            for c in sorted(categories, key=lambda c: (order.get(c["category"], 99), str(c["category"])))]
    return Table("事件类别", "事件类别", cols, rows)



CN_NUMBERS = "一二三四五六七八九十"


def sections(b: Briefing) -> list[tuple[str, str, object]]:
    """The document's sections in order, numbered the Chinese way: (title, kind, body)."""
    items = [("本周概况", "summary", b.summary), ("主要指标", "table", b.key_figures)]
    if b.charts:
        items.append(("图表", "charts", b.charts))
    items += [(t.title, "table", t) for t in b.tables]
    return [(f"{CN_NUMBERS[i]}、{title}", kind, body) for i, (title, kind, body) in enumerate(items)]


# --- putting it together ------------------------------------------------------------------------

def issuer(name: str, level: str) -> str:
    return f"{name}网格化服务管理中心" if level in ("city", "county", "township") else f"{name}网格服务站"


def build(report: dict, issued: dt.date) -> Briefing:
    """The briefing from data_access.briefing.report(); charts are added by charts.attach()."""
    region = report["region"]
    monday, sunday = report["monday"], report["sunday"]
    year, number, _ = monday.isocalendar()
    this = report["this"]
    red_orange = this["warnings"]["red"] + this["warnings"]["orange"]
    return Briefing(
        region_code=region["code"], region_name=region["name"], level=region["level"], week=report["week"],
        monday=monday, sunday=sunday, start=report["start"], as_of=report["as_of"], complete=report["complete"],
        issued=issued,
        heading=f"{region['name']}网格化社会治理周报",
        issue_line=f"{year}年第{number}周（{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日）",
        issuer=issuer(region["name"], region["level"]),
        summary=summary(report),
        key_figures=key_figures(this, report["prev"]),
        tables=[children_table(report["children"], region["child_level"]), workers_table(report["workers"]),
                overdue_table(report["overdue"]), topics_table(report["topics"]),
                warnings_table(report["warnings"], red_orange)],
        data_tables=[trend_table(report["trend"]), categories_table(report["categories"])],
    )

