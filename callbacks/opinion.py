"""社情民意晴雨表 callbacks: first render, live ticks (Patch of values only), topic filter."""
from __future__ import annotations

from dash import Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, opinion
from dashboard import runtime
from layouts import opinion as view

from . import live

KIND = "opinion"


def compute(conn, scope, code, now) -> dict:
    return {"summary": opinion.headline(conn, scope, code, now),
            "children": opinion.children(conn, scope, code, now),
            "trends": opinion.trends(conn, scope, code, now),
            "recent": opinion.recent(conn, scope, code, now)}


def page(code: str | None):
    region, chain, _ = live.place(code)
    snap = live.snapshot(KIND, region.code, compute)
    return view.opinion_page(region, chain, snap, runtime.setting("REFRESH_SECONDS"), live.first_state(snap))


def known_topic(value) -> str | None:
    """A topic the filter may use, or None: anything else from the client is refused."""
    return value if isinstance(value, str) and value in opinion.KNOWN_TOPICS else None


def clicked_topic(click) -> str | None:
    try:
        return known_topic(click["points"][0]["customdata"])
    except (TypeError, KeyError, IndexError):
        return None


def recent(code, topic: str | None) -> list[dict]:
    with runtime.engine().connect() as conn:
        return opinion.recent(conn, runtime.scope(), code, runtime.now(), topic)


def _figure_patches(trends: dict) -> list[Patch]:
    """New numbers into the figures already on screen; layout and styling stay in the browser."""
    days = trends["days"]
    vol, neg, sat, top, chan = Patch(), Patch(), Patch(), Patch(), Patch()
    s = view.volume_series(days)
    vol["data"][0]["x"], vol["data"][0]["y"] = s["x"], s["bars"]
    vol["data"][1]["x"], vol["data"][1]["y"] = s["x"], s["baseline"]
    m = view.mood_series(days)
    neg["data"][0]["x"], neg["data"][0]["y"] = m["x"], m["negative"]
    sat["data"][0]["x"], sat["data"][0]["y"] = m["x"], m["satisfaction"]
    t = view.topic_series(trends["topics"])
    top["data"][0]["x"], top["data"][0]["y"], top["data"][0]["customdata"] = t["x"], t["y"], t["customdata"]
    top["data"][0]["marker"]["color"] = t["colours"]
    c = view.channel_series(trends["channels"])
    chan["data"][0]["labels"], chan["data"][0]["values"] = c["labels"], c["values"]
    return [vol, neg, sat, top, chan]


def render(snap: dict, topic: str | None, code) -> list:
    summary, trends = snap["summary"], snap["trends"]
    rising = sum(1 for t in trends["topics"] if t["rising"])
    if topic is None:
        rows = view.recent_rows(snap["recent"])
    else:
        try:
            rows = view.recent_rows(recent(code, topic))
        except (RegionError, DatabaseError):
            rows = no_update  # keep the filtered list on screen; the next tick tries again
    return [view.kpis(summary), view.weather_panel(summary), *_figure_patches(trends),
            view.rising_table(trends["topics"]), str(rising), "danger" if rising else "secondary",
            view.children_table(snap["children"]), rows]


TICK_OUTPUTS = [
    Output("op-kpis", "children"), Output("op-weather", "children"),
    Output("op-volume", "figure"), Output("op-negative", "figure"), Output("op-satisfaction", "figure"),
    Output("op-topics", "figure"), Output("op-channels", "figure"),
    Output("op-rising", "children"), Output("op-rising-count", "children"), Output("op-rising-count", "color"),
    Output("op-children", "children"), Output("op-recent", "rowData"),
]


def tick(_n, code, state, topic):
    topic = known_topic(topic)
    return live.tick(KIND, code, state, compute, lambda snap: render(snap, topic, code), len(TICK_OUTPUTS))


def pick_topic(click, _clear, code, current):
    """A click on a topic bar filters the list to it (a second click, or 清除筛选, shows all)."""
    current = known_topic(current)
    if ctx.triggered_id == "op-topic-clear":
        topic = None
    else:
        topic = clicked_topic(click)
        if topic is None:
            raise PreventUpdate  # not a known topic: refused, nothing is queried
        if topic == current:
            topic = None
    try:
        rows = recent(code, topic)
    except (RegionError, DatabaseError):
        raise PreventUpdate from None
    return topic, view.recent_rows(rows), view.filter_note(topic)


def register(app) -> None:
    app.callback(
        *TICK_OUTPUTS, Output("op-updated", "children"), Output("op-state", "data"),
        Input("op-tick", "n_intervals"), State("op-region", "data"), State("op-state", "data"),
        State("op-topic", "data"), prevent_initial_call=True,
    )(tick)
    app.callback(
        Output("op-topic", "data"), Output("op-recent", "rowData", allow_duplicate=True),
        Output("op-filter", "children"),
        Input("op-topics", "clickData"), Input("op-topic-clear", "n_clicks"),
        State("op-region", "data"), State("op-topic", "data"), prevent_initial_call=True,
    )(pick_topic)
