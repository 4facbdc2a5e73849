"""智慧地图: a village's or a grid's 人、地、物、事、组织 as switchable map layers; above village
level, the children coloured by their open events (click to drill down to a village).

Points carry no name of a person and no address: hover shows kinds and counts, a click opens
the record's file or card (callbacks/smart_map.py). Offline: no tiles, our own polygons
(figures.OFFLINE_STYLE), circles only (symbols need a sprite we do not have); the clusters'
counts use our own glyphs of digits (deploy/make_glyphs.py).
"""
from __future__ import annotations

import math

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from data_access.vocabulary import INCIDENT_STATUS_NAMES, SEVERITY_NAMES

from . import figures, fmt
from .shell import breadcrumb, schematic_note, updated_badge

PATH = "/map"
# Layers a user switches (key -> label); each trace belongs to one.
LAYERS = {"events": "事", "people": "人", "land": "地", "things": "物", "orgs": "组织"}
# Trace order of the point map; ticks patch by index.
GRIDS, STATIONS, THINGS, ORGS, ENTERPRISES, PEOPLE, HALO, EVENTS = range(8)
TRACE_LAYER = ("land", "land", "things", "orgs", "orgs", "people", "events", "events")
REGISTER_TRACES = (STATIONS, THINGS, ORGS, ENTERPRISES, PEOPLE)  # patched by the slow register tick

STATE_COLORS = {"reported": "#dc2626", "dispatched": "#ea580c", "in_progress": "#ca8a04", "closed": "#16a34a"}
STATE_LABELS = {"reported": "待处置", "dispatched": "已吹哨", "in_progress": "处置中", "closed": "已办结"}
THING_COLORS = {"避难场所": "#059669", "监控点位": "#64748b", "危险源": "#7c3aed"}
# Colours stay under the wall's luminance limit of 0.6 (the legend's dots are drawn on it too).
ORG_COLORS = {"网格党支部": "#e11d48", "志愿服务队": "#d97706", "调解组织": "#0891b2"}
STATION_COLOR, PEOPLE_COLOR, KEY_PERSON_COLOR = "#2563eb", "#0d9488", "#c026d3"
ENTERPRISE_COLOR, RISKY_COLOR = "#a16207", "#b91c1c"
HALO_COLOR = "rgba(220,38,38,0.35)"
# A village's map opens at zoom 12–15 (the tiny city: median 13.5), a grid's at 15–17: on a
# village's map events close together on the screen merge into one circle with their count; on
# a grid's, and zoomed in, every event is its own dot.
CLUSTER_MAXZOOM = 15
RECENT_EVENTS = 15


def _scatter(name: str, layer: str, cluster: bool = False) -> go.Scattermap:
    trace = go.Scattermap(lon=[], lat=[], mode="markers", name=name, hovertemplate="%{hovertext}<extra></extra>",
                          hovertext=[], customdata=[], marker={"size": 10, "color": []}, meta=layer,
                          showlegend=False)
    if cluster:
        # Dense events merge into one circle per cluster with its count (plotly's own clustering;
        # zoomed in they split, and from CLUSTER_MAXZOOM on never merge).
        trace.update(cluster={"enabled": True, "maxzoom": CLUSTER_MAXZOOM, "size": [22, 28, 36], "step": [10, 30],
                              "color": "#f87171", "opacity": 0.92},  # light: the count is drawn in black
                     textfont={"family": figures.MAP_FONT, "size": 14, "color": "#ffffff"})
    return trace


# --- the layers' values (the same for the page and its ticks) --------------------------------

def _event_hover(e: dict) -> str:
    state = STATE_LABELS.get(e["state"], e["state"]) + (" · 超期" if e["overdue"] else "")
    return (f"<b>{e['category']}</b> · {state}<br>{e['title']}<br>"
            f"{fmt.short_stamp(e['reported_at'])} · {e['source']} · {e['case_code']}")


def _tag_text(tags: dict) -> str:
    return " · ".join(f"{k} {v}" for k, v in tags.items())


def events_values(layers: dict) -> dict:
    """The 事 traces: open events pulse (their halo), every event a dot coloured by its state."""
    events = layers["incidents"]
    open_ = [e for e in events if e["state"] != "closed"]
    traces: list[dict] = [{} for _ in range(EVENTS + 1)]
    traces[HALO] = {"lon": [e["lon"] for e in open_], "lat": [e["lat"] for e in open_],
                    "customdata": [f"incident:{e['id']}" for e in open_],
                    "hovertext": [_event_hover(e) for e in open_]}
    traces[EVENTS] = {"lon": [e["lon"] for e in events], "lat": [e["lat"] for e in events],
                      "customdata": [f"incident:{e['id']}" for e in events],
                      "hovertext": [_event_hover(e) for e in events],
                      "marker": {"color": [STATE_COLORS.get(e["state"], "#dc2626") for e in events],
                                 "size": [16 if e["overdue"] else 13 if e["state"] != "closed" else 10
                                          for e in events]}}
    return {"traces": traces}


def register_values(layers: dict) -> dict:
    """The 人 / 地 / 物 / 组织 traces (they change with the register, rarely)."""
    traces: list[dict] = [{} for _ in range(PEOPLE + 1)]
    st = layers["stations"]
    traces[STATIONS] = {"lon": [p["lon"] for p in st], "lat": [p["lat"] for p in st],
                        "customdata": [f"place:{p['id']}" for p in st],
                        "hovertext": [f"<b>{p['kind']}</b><br>{p['name']}" for p in st]}
    th = layers["things"]
    traces[THINGS] = {"lon": [p["lon"] for p in th], "lat": [p["lat"] for p in th],
                      "customdata": [f"place:{p['id']}" for p in th],
                      "hovertext": [f"<b>{p['kind']}</b><br>{p['name']}" + (f"<br>{p['detail']}" if p["detail"] else "")
                                    for p in th],
                      "marker": {"color": [THING_COLORS.get(p["kind"], "#64748b") for p in th]}}
    og = layers["organizations"]
    traces[ORGS] = {"lon": [o["lon"] for o in og], "lat": [o["lat"] for o in og],
                    "customdata": [f"organization:{o['id']}" for o in og],
                    "hovertext": [f"<b>{o['kind']}</b><br>{o['name']}"
                                  + (f"<br>成员 {o['members']} 人" if o["members"] else "") for o in og],
                    "marker": {"color": [ORG_COLORS.get(o["kind"], "#d97706") for o in og]}}
    en = layers["enterprises"]
    traces[ENTERPRISES] = {
        "lon": [e["lon"] for e in en], "lat": [e["lat"] for e in en],
        "customdata": [f"enterprise:{e['id']}" for e in en],
        "hovertext": [f"<b>企业 · {e['kind']}</b><br>{e['name']}<br>从业 {e['employees'] or '—'} 人"
                      + (f"<br>{'、'.join(e['tags'])}" if e["tags"] else "")
                      + ("<br>检查逾期" if e["inspection_overdue"] else "") for e in en],
        "marker": {"color": [RISKY_COLOR if e["tags"] else ENTERPRISE_COLOR for e in en]}}
    pe = layers["people"]
    traces[PEOPLE] = {
        "lon": [c["lon"] for c in pe], "lat": [c["lat"] for c in pe],
        "customdata": ["household:" + ",".join(str(i) for i in c["ids"]) for c in pe],
        "hovertext": [f"<b>本点位</b> 重点人员 {c['key_persons']} · 标签户 {c['households']}"
                      + (f"<br>{_tag_text(c['tags'])}" if c["tags"] else "") for c in pe],
        "marker": {"color": [KEY_PERSON_COLOR if c["key_persons"] else PEOPLE_COLOR for c in pe],
                   "size": [6 + 3 * math.sqrt(c["households"] + c["key_persons"]) for c in pe]}}
    return {"traces": traces}


def _apply(fig: go.Figure, values: dict) -> None:
    for i, trace in enumerate(values["traces"]):
        if trace:
            fig.data[i].update(trace)


def point_map(code: str, geojson: dict, layers: dict, visible=tuple(LAYERS), height: int | None = 680,
              fit: tuple[int, int] = (900, 640)) -> go.Figure:
    """The map of a village or a grid: its polygons (地), then the register's points, the events on
    top; zoomed so the polygons fill about `fit` pixels."""
    lon, lat, zoom = figures.view_of(geojson, *fit) if geojson["features"] else (None, None, 15)
    codes = [f["id"] for f in geojson["features"]]
    grids = go.Choroplethmap(geojson=geojson, locations=codes, z=[0] * len(codes), featureidkey="id",
                             customdata=codes, text=[f["properties"]["name"] for f in geojson["features"]],
                             colorscale=[[0, "rgba(148,163,184,0.18)"], [1, "rgba(148,163,184,0.18)"]],
                             showscale=False, marker={"line": {"width": 2, "color": "#475569"}},
                             hovertemplate="%{text}<extra></extra>", meta="land", name="网格")
    fig = go.Figure([grids, _scatter("网格驿站", "land"), _scatter("物", "things"), _scatter("组织", "orgs"),
                     _scatter("企业", "orgs"), _scatter("人", "people"), _scatter("事件光环", "events"),
                     _scatter("事", "events", cluster=True)])
    fig.data[STATIONS].marker.update(color=STATION_COLOR, size=14)
    fig.data[THINGS].marker.update(size=9)
    fig.data[ORGS].marker.update(size=12)
    fig.data[ENTERPRISES].marker.update(size=9)
    fig.data[PEOPLE].marker.update(opacity=0.55)  # many and small: under the events, not over them
    fig.data[HALO].marker.update(color=HALO_COLOR, size=30)
    _apply(fig, register_values(layers))
    _apply(fig, events_values(layers))
    for i, layer in enumerate(TRACE_LAYER):
        fig.data[i].visible = layer in visible
    fig.update_layout(map={"style": figures.OFFLINE_STYLE, "center": {"lon": lon, "lat": lat}, "zoom": zoom},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=height, paper_bgcolor="rgba(0,0,0,0)",
                      uirevision=code, showlegend=False, hoverlabel={"font": {"size": 15}})
    return fig


def children_map(code: str, geojson: dict, children: list[dict], height: int | None = 680) -> go.Figure:
    """Above village level: the children coloured by their open events (a click drills down)."""
    return figures.region_map(geojson, [c["code"] for c in children], [c["name"] for c in children],
                              [c["open"] for c in children], "未办结事件", code, height=height)


# --- the side panel ---------------------------------------------------------------------------

def _dot(color: str):
    return html.Span(className="map-dot", style={"backgroundColor": color})


def _row(layer: str, parts: list, id_: str):
    return html.Div([html.Span(LAYERS[layer], className="map-layer-name"), html.Span(parts, className="map-layer-facts")],
                    className="map-legend-row", id=id_)


def legend(layers: dict, grids: int):
    """Each layer's colours with its counts: what the dots mean, and how many there are."""
    ev = layers["incidents"]
    by_state = {s: sum(1 for e in ev if e["state"] == s) for s in STATE_COLORS}
    overdue = sum(1 for e in ev if e["overdue"])
    people = layers["people"]
    tags: dict = {}
    for c in people:
        for k, v in c["tags"].items():
            tags[k] = tags.get(k, 0) + v
    things: dict = {}
    for p in layers["things"]:
        things[p["kind"]] = things.get(p["kind"], 0) + 1
    orgs: dict = {}
    for o in layers["organizations"]:
        orgs[o["kind"]] = orgs.get(o["kind"], 0) + 1
    risky = sum(1 for e in layers["enterprises"] if e["tags"])
    late = sum(1 for e in layers["enterprises"] if e["inspection_overdue"])
    def fact(color, text, id_=None):
        return html.Span([_dot(color), text], className="map-fact", **({"id": id_} if id_ else {}))
    return html.Div([
        _row("events", [fact(STATE_COLORS[s], f"{STATE_LABELS[s]} {by_state[s]}", f"map-count-{s}")
                        for s in STATE_COLORS] + [html.Span(f"超期 {overdue}", className="map-fact text-danger fw-bold",
                                                            id="map-count-overdue")], "map-legend-events"),
        _row("people", [fact(KEY_PERSON_COLOR, f"重点人员 {sum(c['key_persons'] for c in people)}", "map-count-kp"),
                        fact(PEOPLE_COLOR, f"标签户 {sum(c['households'] for c in people)}", "map-count-households")]
             + [html.Span(f"{k} {v}", className="map-fact text-muted") for k, v in
                sorted(tags.items(), key=lambda kv: -kv[1])[:4]], "map-legend-people"),
        _row("land", [fact("#475569", f"网格 {grids}"),
                      fact(STATION_COLOR, f"网格驿站 {len(layers['stations'])}", "map-count-stations")],
             "map-legend-land"),
        _row("things", [fact(THING_COLORS.get(k, "#64748b"), f"{k} {v}") for k, v in sorted(things.items())],
             "map-legend-things"),
        _row("orgs", [fact(ORG_COLORS.get(k, "#d97706"), f"{k} {v}") for k, v in sorted(orgs.items())]
             + [fact(RISKY_COLOR, f"风险企业 {risky}"),
                fact(ENTERPRISE_COLOR, f"其他企业 {len(layers['enterprises']) - risky}"),
                html.Span(f"检查逾期 {late}", className="map-fact text-muted")], "map-legend-orgs"),
    ], className="map-legend")


def recent_events(layers: dict, limit: int = RECENT_EVENTS):
    """The newest open events of the area, as a list beside the map."""
    open_ = [e for e in layers["incidents"] if e["state"] != "closed"][:limit]
    if not open_:
        return html.P("当前无未办结事件", className="text-muted mb-0 p-2", id="map-events-list")
    return html.Ul([html.Li([
        html.Span(fmt.short_stamp(e["reported_at"]), className="map-event-time"),
        dbc.Badge("超期" if e["overdue"] else STATE_LABELS.get(e["state"], e["state"]),
                  color="danger" if e["overdue"] or e["state"] == "reported" else "warning",
                  className="mx-1 map-state"),
        html.Span(e["category"], className="me-1 fw-bold"), html.Span(e["title"], className="map-event-title"),
    ], className="map-event", id=f"map-event-{e['id']}") for e in open_], className="list-unstyled mb-0",
        id="map-events-list")


def risk_points(layers: dict):
    """What needs a look on the ground: hazard sources, and risky enterprises overdue for inspection."""
    rows = [[p["kind"], p["name"], p["detail"] or "—"] for p in layers["things"] if p["kind"] == "危险源"]
    rows += [["企业 · 检查逾期", e["name"], "、".join(e["tags"])] for e in layers["enterprises"]
             if e["tags"] and e["inspection_overdue"]]
    if not rows:
        return html.P("无危险源或检查逾期的风险企业", className="text-muted mb-0 p-2", id="map-risks-table")
    return dbc.Table([html.Thead(html.Tr([html.Th("类型"), html.Th("名称"), html.Th("说明")])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                     size="sm", className="mb-0 wall-table recent-table", id="map-risks-table")


def layer_switch(visible=tuple(LAYERS), wall: bool = False):
    return dbc.Checklist(id="map-layers", value=list(visible), inline=True, switch=True,
                         options=[{"label": label, "value": key} for key, label in LAYERS.items()],
                         className="map-layers" + (" wall-measure" if wall else ""))


HINT = "点击地图上的点位查看档案：户、企业打开档案页，事件、场所、组织在此显示。"


def detail_hint():
    return html.P(HINT, className="text-muted small mb-0")


# --- what a click opens (cards from data_access.smart_map) ------------------------------------

def incident_card(c: dict):
    steps = [("上报", c["reported_at"]), ("吹哨派遣", c["dispatched_at"]), ("到场处置", c["arrived_at"]),
             ("办结", c["closed_at"]), ("办理时限", c["sla_due_at"])]
    state = STATE_LABELS.get(c["state"], INCIDENT_STATUS_NAMES.get(c["state"], c["state"]))
    return dbc.Card([
        dbc.CardHeader([html.Span("事件档案 ", className="fw-bold"), html.Span(c["case_code"], id="map-card-code"),
                        dbc.Badge("超期" if c["overdue"] else state, color="danger" if c["overdue"] else "secondary",
                                  className="ms-2")]),
        dbc.CardBody([
            html.H6(c["title"], id="map-card-title"),
            html.P(f"{c['category']} · {SEVERITY_NAMES.get(c['severity'], '—')} · {c['source']}"
                   + (f" · {c['department']}" if c["department"] else "")
                   + (f" · 同一事件{c['reports']}份报告" if c["reports"] > 1 else ""), className="small mb-1"),
            dbc.Table(html.Tbody([html.Tr([html.Td(k), html.Td(fmt.stamp(v))]) for k, v in steps]),
                      size="sm", className="mb-2"),
            dcc.Link(f"一格一档：{c['grid_name']}", href=f"/grid/{c['grid_code']}", id="map-card-grid"),
        ]),
    ], id="map-card", className="map-card")


def households_card(rows: list[dict]):
    if not rows:
        return dbc.Alert("该点位无可查看的户", color="secondary", id="map-card")
    return dbc.Card([
        dbc.CardHeader(f"本点位 {len(rows)} 户（地址已脱敏）"),
        dbc.ListGroup([dbc.ListGroupItem([
            dcc.Link(f"户 #{h['id']}", href=f"/household/{h['id']}", id=f"map-household-{h['id']}",
                     className="me-2 fw-bold"),
            html.Span(h["address"] or "—", className="me-2"), html.Span(f"{h['members'] or '—'}人", className="me-2"),
            html.Span(("重点人员 %d · " % h["key_persons"] if h["key_persons"] else "") + "、".join(h["tags"]),
                      className="text-muted small")]) for h in rows], flush=True),
    ], id="map-card", className="map-card")


def point_card(c: dict):
    """A place's or an organisation's card (`what`: "place" or "organization")."""
    extra = c.get("detail") if c["what"] == "place" else (f"成员 {c['members']} 人" if c.get("members") else "")
    return dbc.Card([
        dbc.CardHeader(f"{'场所' if c['what'] == 'place' else '组织'} · {c['kind'] or '—'}"),
        dbc.CardBody([html.H6(c["name"] or "—", id="map-card-title"), html.P(extra or "", className="small"),
                      dcc.Link(f"一格一档：{c['grid_name']}", href=f"/grid/{c['grid_code']}", id="map-card-grid")]),
    ], id="map-card", className="map-card")


def refusal(message: str):
    return dbc.Alert(message, color="warning", id="map-card")


# --- the page ---------------------------------------------------------------------------------

def hidden(code: str, refresh_seconds: int, state: dict, rstate: dict, register_seconds: int) -> list:
    return [dcc.Store(id="map-region", data=code), dcc.Store(id="map-state", data=state),
            dcc.Store(id="map-rstate", data=rstate), dcc.Interval(id="map-tick", interval=refresh_seconds * 1000),
            dcc.Interval(id="map-rtick", interval=register_seconds * 1000),
            dcc.Interval(id="map-pulse", interval=700), html.Div(id="map-rupdated", hidden=True)]


def map_page(code: str, snap: dict, geojson: dict, refresh_seconds: int, state: dict, rstate: dict,
             register_seconds: int):
    chain = snap["chain"]
    name = chain[-1]["name"]
    head = html.Div([html.H4(f"{name} · 智慧地图", className="mb-0 me-3"),
                     html.Div(updated_badge(snap["as_of"]), id="map-updated", className="ms-auto")],
                    className="d-flex align-items-center mb-2")
    if "layers" not in snap:
        # The ticks' other outputs exist (empty) so that one callback serves every level.
        empty = html.Div([html.Div(id="map-legend"), html.Div(id="map-events"), html.Div(id="map-detail"),
                          layer_switch()], hidden=True)
        return html.Div([*hidden(code, refresh_seconds, state, rstate, register_seconds), empty,
                         breadcrumb(chain, PATH), head,
                         dbc.Alert("选择一个村（社区）或网格，查看人、地、物、事、组织图层。点击地图下钻。",
                                   color="info", className="py-2", id="map-drill-hint"),
                         dcc.Graph(id="map-graph", figure=children_map(code, geojson, snap["children"]),
                                   config={"displayModeBar": False}),
                         schematic_note()])
    layers = snap["layers"]
    grid_link = dcc.Link("一格一档", href=f"/grid/{code}", id="map-grid-link", className="btn btn-sm btn-outline-primary ms-2") \
        if snap["level"] == "grid" else None
    # Last month's assessment of the area's workers (and, up the breadcrumb, of its township).
    assess_link = dcc.Link("考核评价", href=f"/assessment?region={code}", id="map-assessment-link",
                           className="btn btn-sm btn-outline-secondary ms-2")
    return html.Div([
        *hidden(code, refresh_seconds, state, rstate, register_seconds),
        breadcrumb(chain, PATH), head,
        dbc.Row([
            dbc.Col([dcc.Graph(id="map-graph", figure=point_map(code, geojson, layers),
                               config={"displayModeBar": False, "scrollZoom": True}), schematic_note()], lg=8),
            dbc.Col([
                dbc.Card([dbc.CardHeader(["图层", grid_link, assess_link]), dbc.CardBody([
                    layer_switch(), html.Div(legend(layers, snap["grids"]), id="map-legend")])],
                    className="mb-2"),
                html.Div(detail_hint(), id="map-detail", className="mb-2"),
                dbc.Card([dbc.CardHeader("最新未办结事件"),
                          dbc.CardBody(html.Div(recent_events(layers), id="map-events"),
                                       className="p-1 map-events-scroll")], className="mb-2"),
                dbc.Card([dbc.CardHeader("风险点位（危险源、检查逾期的风险企业）"),
                          dbc.CardBody(html.Div(risk_points(layers), id="map-risks"),
                                       className="p-0 map-events-scroll")]),
            ], lg=4),
        ], className="g-2"),
    ], className="smart-map")
