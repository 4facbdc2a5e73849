"""社情民意晴雨表: the barometer as weather, volume against its baseline, mood, topics, channels.

Pure functions: the view's snapshot in, components and figures out.
"""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from data_access.metrics import weather
from data_access.vocabulary import (APPEAL_KPIS, BAROMETER_LABELS, CHANNEL_NAMES, KPI_LABELS,
                                    UNCLASSIFIED_TOPIC, WITH_TEXT_LABELS)

from . import figures  # noqa: F401 - importing it registers the house plotly template
from . import fmt, ranking
from .kpis import exact, kpi_card
from .shell import breadcrumb, updated_badge

KPI_KEYS = APPEAL_KPIS
# weather label -> (Bootstrap icon, colour)
WEATHER = {"晴": ("bi-sun", "#f59e0b"), "多云": ("bi-cloud-sun", "#eab308"),
           "阴": ("bi-cloud", "#64748b"), "雨": ("bi-cloud-rain", "#2563eb"),
           "暴雨": ("bi-cloud-lightning-rain", "#7c3aed")}
PARTS = ("volume_score", "mood_score", "satisfaction_score")
RELATIVE_NOTE = ("指数是相对值：诉求量、情绪各与本区域自己的前28日相比（如常=80），满意度为绝对值；"
                 "晴不等于负面少，各分项下为绝对数。≥80晴 ≥65多云 ≥50阴 ≥35雨 <35暴雨。")
RED, BLUE, GREY = "#b91c1c", "#2563eb", "#94a3b8"
TREND_DAYS = 30  # negative share and satisfaction charts
GRAPH_CONFIG = {"displayModeBar": False}
SENTIMENT_NOTE = ("来源系统未标注话题或情绪的近35日诉求，由文本识别补齐（docs/opinion.md）；"
                  "无文本可读的计为“未分类”、不计入负面情绪占比。上方卡片与指数仅按来源标注。")
HOT_WORDS_SHOWN = 15
WORDS_NOTE = ("只列比本区域前28日常态高出1.5倍以上、且统计上显著的词（对数几率，docs/opinion.md），按突出程度排序；"
              "“申请”“晚上”这类天天都有的词不列；没有突出的词时此处为空。条长为件数，颜色越红负面诉求占比越高。点击热词查看其诉求。")


# --- small helpers ------------------------------------------------------------

def channel_name(code) -> str:
    return CHANNEL_NAMES.get(code, code or "未知")


def p_text(p) -> str:
    if p is None:
        return "—"
    if p < 1e-300:
        return "≈0"  # below what a float holds
    return f"{p:.1e}" if p < 1e-4 else f"{p:.4f}"


def ratio_text(topic: dict) -> str:
    if topic["ratio"] is None:
        return "新出现" if topic["count_7d"] else "—"
    return f"{topic['ratio']:.2f}×"


def sentiment_text(value) -> str:
    """Bands of docs/opinion.md: below -0.2 a complaint, above 0.2 thanks or praise."""
    if value is None:
        return "未标注"
    mood = "负面" if value < -0.2 else ("正面" if value > 0.2 else "中性")
    return f"{mood} {value:+.2f}"


def read_text(topic_read: bool, sentiment_read: bool) -> str:
    if topic_read and sentiment_read:
        return "文本识别"
    if topic_read:
        return "话题为识别"
    return "情绪为识别" if sentiment_read else "来源标注"


def kpis(summary: dict):
    """The four appeal KPI cards (kpi-<key> ids, exact values in titles), a quarter row each."""
    return dbc.Row([dbc.Col(kpi_card(k, summary.get(k)), xs=6, xl=3, className="mb-2") for k in KPI_KEYS],
                   className="g-2")


def weather_icon(index):
    label = weather(index)
    return label, *WEATHER.get(label, ("bi-question-circle", GREY))


def child_href(child: dict) -> str:
    return ranking.child_href("/opinion", child)


# --- the barometer ------------------------------------------------------------

def _score_colour(score) -> str:
    score = score or 0
    return "success" if score >= 65 else "warning" if score >= 35 else "danger"


def _fact(key: str, value, show, label: str | None = None):
    """One absolute figure: its label (data-label) and its value (id op-abs-<key>, exact in the title)."""
    label = BAROMETER_LABELS.get(key, label)
    return html.Span(html.Span(show(value), id=f"op-abs-{key}", title=exact(value), className="fw-bold"),
                     **{"data-label": label})


def _part_facts(key: str, baro: dict, summary: dict) -> list:
    """Under each part, in place of a hint, the absolute figures it is read from."""
    per_day = lambda v: f"{fmt.decimal(v)} 件"  # noqa: E731
    if key in ("volume_score", "mood_score"):
        week, base, show = (("appeals_per_day_7d", "appeals_per_day_28d", per_day) if key == "volume_score"
                            else ("negative_share_7d", "negative_share_28d", fmt.percent))
        return [f"{BAROMETER_LABELS[week]} ", _fact(week, baro.get(week), show),
                "（前28日 ", _fact(base, baro.get(base), show), "）"]
    sat = summary.get("satisfaction_30d")
    return [f"{KPI_LABELS['satisfaction_30d']} ",
            _fact("satisfaction_30d", sat, lambda v: fmt.decimal(v, 2), KPI_LABELS["satisfaction_30d"])]


def weather_panel(summary: dict):
    """The index as weather: one glyph readable from 5 m, the index, its three parts, and under
    each part the absolute figures it is read from (the index is relative to the region's own
    past, and says so). Under the shared labels, metrics' figures (stored labels); the index
    with text-read sentiments under its own label. Compact: the wall shows this panel too."""
    index = summary.get("barometer_index")
    baro = summary.get("barometer") or {}
    label, icon, colour = weather_icon(index)
    parts = []
    for key in PARTS:
        score = baro.get(key)
        parts.append(html.Div([
            html.Div([html.Span(BAROMETER_LABELS[key], className="fw-bold"),
                      html.Span(fmt.decimal(score), id=f"op-part-{key}",
                                title="" if score is None else str(score), className="fw-bold fs-5")],
                     className="d-flex justify-content-between"),
            dbc.Progress(value=score or 0, max=100, style={"height": "10px"}, color=_score_colour(score)),
            html.Small(_part_facts(key, baro, summary), className="text-muted"),
        ], className="mb-2"))
    # That the index is relative is said by the card's footer (the wall: its panel's note).
    note = []
    if summary.get("read_35d"):
        text_index = (summary.get("with_text") or {}).get("barometer_index")
        note.append(html.Div([f"{WITH_TEXT_LABELS['barometer_index']} ",
                              html.Span(fmt.decimal(text_index), id="op-text-barometer_index",
                                        title=exact(text_index), className="fw-bold")]))
    return dbc.Row([
        dbc.Col(html.Div([
            html.I(className=f"bi {icon}", id="op-weather-icon",
                   style={"fontSize": "7.5rem", "lineHeight": "1", "color": colour}),
            html.Div(label, id="op-weather-label", title=label,
                     style={"fontSize": "3.2rem", "fontWeight": 800, "lineHeight": "1.1", "color": colour}),
            html.Div([f"{KPI_LABELS['barometer_index']} ", html.Span(fmt.decimal(index), id="op-weather-index",
                                                                   title=exact(index))],
                     style={"fontSize": "1.6rem", "fontWeight": 700}),
            html.Div(note, className="small text-muted", id="op-weather-note"),
        ], className="text-center"), xs=12, md=5, className="d-flex align-items-center justify-content-center"),
        dbc.Col(parts, xs=12, md=7),
    ], className="align-items-center g-2")


# --- figures --------------------------------------------------------------------

def _layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    base = {"height": height, "margin": {"l": 44, "r": 12, "t": 8, "b": 30},
            "legend": {"orientation": "h", "y": 1.14}, "hovermode": "x unified"}
    fig.update_layout(**{**base, **extra})
    return fig


def volume_series(days: list[dict]) -> dict:
    return {"x": [d["day"] for d in days], "bars": [d["appeals"] for d in days],
            "baseline": [d["baseline"] for d in days]}


def volume_figure(days: list[dict]) -> go.Figure:
    s = volume_series(days)
    fig = go.Figure([
        go.Bar(x=s["x"], y=s["bars"], name="每日诉求", marker_color=RED, opacity=0.85),
        go.Scatter(x=s["x"], y=s["baseline"], name="前28日均值（基线）", mode="lines",
                   line={"color": BLUE, "width": 3}),
    ])
    return _layout(fig, 280, bargap=0.25, xaxis={"tickformat": "%m-%d"})


def mood_series(days: list[dict]) -> dict:
    tail = days[-TREND_DAYS:]
    return {"x": [d["day"] for d in tail],
            "negative": [None if d["negative_share"] is None else round(d["negative_share"] * 100, 1)
                         for d in tail],
            "satisfaction": [d["satisfaction"] for d in tail]}


def negative_figure(days: list[dict]) -> go.Figure:
    s = mood_series(days)
    fig = go.Figure(go.Scatter(x=s["x"], y=s["negative"], name="负面占比%", mode="lines+markers",
                               line={"color": RED, "width": 3}, connectgaps=False))
    return _layout(fig, 230, yaxis={"ticksuffix": "%", "rangemode": "tozero"}, xaxis={"tickformat": "%m-%d"})


def satisfaction_figure(days: list[dict]) -> go.Figure:
    s = mood_series(days)
    fig = go.Figure(go.Scatter(x=s["x"], y=s["satisfaction"], name="满意度", mode="lines+markers",
                               line={"color": "#16a34a", "width": 3}, connectgaps=False))
    return _layout(fig, 230, yaxis={"range": [1, 5.1]}, xaxis={"tickformat": "%m-%d"})


def topic_series(topics: list[dict]) -> dict:
    shown = list(reversed(topics[:12]))  # the busiest at the top of a horizontal bar chart
    colours = [RED if t["rising"] else GREY if t["topic"] == UNCLASSIFIED_TOPIC else BLUE for t in shown]
    return {"y": [t["topic"] for t in shown], "x": [t["count_7d"] for t in shown],
            "customdata": [t["topic"] for t in shown], "colours": colours}


def topics_figure(topics: list[dict]) -> go.Figure:
    s = topic_series(topics)
    fig = go.Figure(go.Bar(
        y=s["y"], x=s["x"], customdata=s["customdata"], orientation="h",
        marker={"color": s["colours"]},
        hovertemplate="%{y}：%{x} 件（点击筛选下方列表）<extra></extra>"))
    return _layout(fig, 340, hovermode="closest", margin={"l": 80, "r": 12, "t": 8, "b": 30},
                   yaxis={"type": "category"})


def _share_colour(share) -> str:
    """Blue (calm) to red (angry) by the negative share of the appeals behind a word."""
    if share is None:
        return GREY
    t = max(0.0, min(1.0, (share - 0.3) / 0.6))
    a, b = (37, 99, 235), (185, 28, 28)
    return "#%02x%02x%02x" % tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def words_series(words: list[dict]) -> dict:
    shown = list(reversed(words[:HOT_WORDS_SHOWN]))  # the hottest at the top
    return {"y": [w["word"] for w in shown], "x": [w["appeals"] for w in shown],
            "customdata": [w["word"] for w in shown],
            "text": [f"{w['topic']} · 常态{fmt.decimal(w.get('expected'))}件 · 负面{fmt.percent(w['negative_share'])}"
                     for w in shown],
            "colours": [_share_colour(w["negative_share"]) for w in shown]}


def words_figure(words: list[dict]) -> go.Figure:
    """Hot words as a ranked bar (reads from 5 m, unlike a word cloud); colour = negative share."""
    s = words_series(words)
    fig = go.Figure(go.Bar(
        y=s["y"], x=s["x"], customdata=s["customdata"], text=s["text"], orientation="h",
        textposition="auto", insidetextanchor="end", marker={"color": s["colours"]},
        hovertemplate="%{y}：%{x} 件，%{text}（点击查看诉求）<extra></extra>"))
    return _layout(fig, 340, hovermode="closest", margin={"l": 80, "r": 12, "t": 8, "b": 30},
                   yaxis={"type": "category"}, uniformtext={"minsize": 10, "mode": "hide"})


def channel_series(channels: list[dict]) -> dict:
    return {"labels": [channel_name(c["channel"]) for c in channels],
            "values": [c["appeals"] for c in channels]}


def channels_figure(channels: list[dict]) -> go.Figure:
    s = channel_series(channels)
    fig = go.Figure(go.Pie(labels=s["labels"], values=s["values"], hole=0.5, sort=False,
                           textinfo="label+percent",
                           marker={"colors": [RED, BLUE, "#16a34a", "#f59e0b", "#7c3aed", GREY]}))
    return _layout(fig, 300, showlegend=False, hovermode="closest", margin={"l": 10, "r": 10, "t": 10, "b": 10})


# --- tables --------------------------------------------------------------------

def _trend_mark(rising: bool):
    if rising:
        return html.Span([html.I(className="bi bi-arrow-up-right-circle-fill me-1"), "上升"],
                         className="text-danger fw-bold")
    return html.Span("平稳", className="text-muted")


RISING_ROWS = 12  # 11 topics and 未分类
RISING_PICK = "op-rising-pick"  # a row's button id is {"type": RISING_PICK, "topic": <its topic>}


def rising_order(topics: list[dict]) -> list[str]:
    """The 风向标 rows' topics, top to bottom: rising first, then by p-value."""
    ranked = sorted(topics, key=lambda t: (not t["rising"], t["p_value"], -t["count_7d"]))
    return [t["topic"] for t in ranked][:RISING_ROWS]


def rising_table(topics: list[dict]):
    """风向标: each topic this week against what its previous 28 days lead one to expect.
    Every topic is a button whose id names the topic, so a click lists that topic's appeals
    whatever order the rows were in when the screen last changed."""
    order = rising_order(topics)
    by_topic = {t["topic"]: t for t in topics}
    if not topics:
        return html.P("近35日无诉求", className="text-muted p-2 mb-0")
    ranked = [by_topic[t] for t in order]
    head = html.Thead(html.Tr([html.Th("话题"), html.Th("近7日"), html.Th("预期"), html.Th("倍数"),
                               html.Th("p值"), html.Th("风向")]))
    body = html.Tbody([html.Tr([
        html.Td(dbc.Button(t["topic"], id={"type": RISING_PICK, "topic": t["topic"]}, color="link",
                           size="sm", className="p-0 align-baseline", title="查看该话题近7日诉求")),
        html.Td(fmt.count(t["count_7d"])), html.Td(fmt.decimal(t["expected"])),
        html.Td(ratio_text(t)), html.Td(p_text(t["p_value"]), title=repr(t["p_value"])),
        html.Td(_trend_mark(t["rising"])),
    ], id=f"op-rising-{i}", className="table-danger" if t["rising"] else None,
        **{"data-topic": t["topic"], "data-rising": "1" if t["rising"] else "0"})
        for i, t in enumerate(ranked)])
    return dbc.Table([head, body], size="sm", hover=True, className="mb-0 children-table")


def children_table(children: list[dict]):
    """Children, stormiest first (lowest barometer index), each a link one level down."""
    def index_cell(c):
        label, icon, colour = weather_icon(c["barometer_index"])
        return html.Span([html.I(className=f"bi {icon} me-1", style={"color": colour}),
                          fmt.decimal(c["barometer_index"]), html.Small(f" {label}", className="text-muted")],
                         title=str(c["barometer_index"]))
    return ranking.ranking_table(children, "/opinion", "op-child-", [
        (KPI_LABELS["appeals_today"], lambda c: fmt.count(c["appeals_today"])),
        (KPI_LABELS["negative_share_today"], lambda c: fmt.percent(c["negative_share_today"])),
        (KPI_LABELS["barometer_index"], index_cell),
    ], sort_key=lambda c: (c["barometer_index"] if c["barometer_index"] is not None else 999, c["code"]),
        numbered=True)


RECENT_COLUMNS = [
    {"field": "time", "headerName": "受理时间", "width": 155},
    {"field": "channel", "headerName": "渠道", "width": 100},
    {"field": "topic", "headerName": "话题", "width": 100},
    {"field": "sentiment", "headerName": "情绪", "width": 110},
    {"field": "read", "headerName": "标注", "width": 105},
    {"field": "place", "headerName": "所在区域", "flex": 1, "minWidth": 180, "tooltipField": "place"},
    {"field": "content", "headerName": "诉求内容", "flex": 2, "minWidth": 260, "tooltipField": "content"},
]


def recent_rows(rows: list[dict]) -> list[dict]:
    """AG Grid rows: plain strings only (the grid shows text, never HTML)."""
    return [{"id": str(a["id"]), "time": fmt.stamp(a["received_at"]), "channel": channel_name(a["channel"]),
             "topic": a["topic"], "sentiment": sentiment_text(a["sentiment"]),
             "read": read_text(a.get("topic_read", False), a.get("sentiment_read", False)),
             "place": a["place"], "content": a["content"]} for a in rows]


def recent_grid(rows: list[dict]):
    return dag.AgGrid(
        id="op-recent", columnDefs=RECENT_COLUMNS, rowData=recent_rows(rows),
        getRowId="params.data.id", defaultColDef={"resizable": True, "sortable": True},
        dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                         "localeText": {"noRowsToShow": "暂无诉求"}},
        style={"height": "440px"})


def filter_note(topic: str | None, word: str | None = None, total: int | None = None):
    if topic is None and word is None:
        return html.Span("最新诉求（点击话题、风向标或热词查看其背后的诉求）", className="text-muted small")
    badge = (dbc.Badge(f"话题：{topic}", color="danger", className="me-2", id="op-filter-topic")
             if topic is not None else
             dbc.Badge(f"热词：{word}", color="danger", className="me-2", id="op-filter-word"))
    count = "" if total is None else f"近7日共 {fmt.count(total)} 件，显示最新 50 件；"
    return html.Span([badge, html.Span(f"（{count}再次点击或“清除筛选”恢复全部）", className="text-muted small",
                                       id="op-filter-total", title="" if total is None else str(total))])


# --- the page -----------------------------------------------------------------------

def _card(header, body, footer=None, **col):
    parts = [dbc.CardHeader(header), dbc.CardBody(body, className="p-1")]
    if footer is not None:
        parts.append(dbc.CardFooter(html.Small(footer, className="text-muted")))
    return dbc.Col(dbc.Card(parts, className="h-100"), className="mb-3", **col)


def opinion_page(region, chain, snap: dict, refresh_seconds: int, state: dict):
    summary, trends = snap["summary"], snap["trends"]
    days, topics = trends["days"], trends["topics"]
    rising = sum(1 for t in topics if t["rising"])
    return html.Div([
        dcc.Store(id="op-region", data=region.code),
        dcc.Store(id="op-state", data=state),
        dcc.Store(id="op-topic", data=None),
        dcc.Store(id="op-word", data=None),
        dcc.Interval(id="op-tick", interval=refresh_seconds * 1000),
        breadcrumb(chain, "/opinion"),
        html.Div([html.H4(f"{region.name} · 社情民意晴雨表", className="mb-0 me-3"),
                  html.Div(updated_badge(snap["as_of"]), id="op-updated")],
                 className="d-flex align-items-center mb-2"),
        dbc.Row([
            _card([html.I(className="bi bi-cloud-sun me-1"), "晴雨表"],
                  html.Div(weather_panel(summary), id="op-weather", className="p-2"),
                  html.Span(RELATIVE_NOTE, id="op-abs-relative"), lg=5),
            dbc.Col([
                html.Div(kpis(summary), id="op-kpis", className="mb-1"),
                dbc.Card([dbc.CardHeader("每日诉求量与基线（近35日）"),
                          dbc.CardBody(dcc.Graph(id="op-volume", figure=volume_figure(days),
                                                 config=GRAPH_CONFIG), className="p-1"),
                          dbc.CardFooter(html.Small("基线 = 该日之前28日的日均诉求量；今日截至当前。",
                                                    className="text-muted"))]),
            ], lg=7, className="mb-3"),
        ]),
        dbc.Row([
            _card("每日负面情绪占比（近30日，含文本识别）",
                  dcc.Graph(id="op-negative", figure=negative_figure(days), config=GRAPH_CONFIG),
                  SENTIMENT_NOTE, lg=6),
            _card("每日平均满意度（近30日，1–5分）",
                  dcc.Graph(id="op-satisfaction", figure=satisfaction_figure(days), config=GRAPH_CONFIG),
                  "按受理日统计已评价诉求的平均满意度；近几日的诉求多未办结评价，仅含已办结者。", lg=6),
        ]),
        dbc.Row([
            _card([html.I(className="bi bi-bar-chart-line me-1"), "热点话题（近7日，红色为上升）"],
                  dcc.Graph(id="op-topics", figure=topics_figure(topics), config=GRAPH_CONFIG),
                  "话题含文本识别（来源未标注的诉求）。点击话题柱查看其诉求。", lg=6),
            _card([html.I(className="bi bi-fire me-1"), "本期热词（近7日，较前28日突出）"],
                  dcc.Graph(id="op-words", figure=words_figure(snap["words"]), config=GRAPH_CONFIG),
                  WORDS_NOTE, lg=6),
        ]),
        dbc.Row([
            _card([html.I(className="bi bi-wind me-1"), "风向标：上升话题",
                   dbc.Badge(str(rising), color="danger" if rising else "secondary", className="ms-2",
                             id="op-rising-count")],
                  html.Div(rising_table(topics), id="op-rising", className="children-scroll"),
                  "预期 = 本区域前28日该话题数 ÷ 28 × 7；p值为泊松分布单侧检验 P(X ≥ 近7日数)。"
                  "p < 0.01 且近7日 ≥ 5 件标为上升。", lg=7),
            _card("诉求渠道构成（近30日）",
                  dcc.Graph(id="op-channels", figure=channels_figure(trends["channels"]), config=GRAPH_CONFIG),
                  lg=5),
        ]),
        dbc.Row([
            _card("下级区域晴雨排行（指数由低到高，点击下钻）",
                  html.Div(children_table(snap["children"]), id="op-children", className="children-scroll"),
                  lg=12),
        ]),
        dbc.Row([
            _card(html.Div([html.Span("诉求明细", className="me-3"),
                            html.Div(filter_note(None), id="op-filter", className="d-inline"),
                            dbc.Button("清除筛选", id="op-topic-clear", size="sm", color="link",
                                       className="py-0")],
                           className="d-flex align-items-center flex-wrap"),
                  recent_grid(snap["recent"]), lg=12),
        ]),
    ])
