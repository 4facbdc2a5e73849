"""社情民意晴雨表 callbacks: first render, live ticks (Patch of values only), and a click from a
topic bar, a 风向标 row or a hot word to the appeals behind it."""
from __future__ import annotations

from dash import ALL, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, opinion, regions
from dashboard import access, runtime
from layouts import opinion as view
from layouts import wall_opinion as wall
from layouts.patches import values_patch
from services import opinion as service
from services.opinion import SNAPSHOT

from . import live
from .views import View


def page(code: str | None):
    region, chain, _ = live.place(code)
    snap = live.snapshot(SNAPSHOT, region.code)
    return view.opinion_page(region, chain, snap, runtime.setting("REFRESH_SECONDS"), live.first_state(snap))


def wall_page(code: str | None):
    region, _, _ = live.place(code)
    snap = live.snapshot(SNAPSHOT, region.code)
    return wall.wall_page(region, snap, runtime.setting("REFRESH_SECONDS"), live.first_state(snap))


def known_topic(value) -> str | None:
    """A topic the filter may use, or None: anything else from the client is refused."""
    return value if isinstance(value, str) and value in opinion.KNOWN_TOPICS else None


def clicked_topic(click) -> str | None:
    try:
        return known_topic(click["points"][0]["customdata"])
    except (TypeError, KeyError, IndexError):
        return None


def known_word(value) -> str | None:
    return opinion.known_word(value)


def clicked_word(click) -> str | None:
    try:
        return known_word(click["points"][0]["customdata"])
    except (TypeError, KeyError, IndexError):
        return None


def listed(code, topic: str | None, word: str | None) -> tuple[list[dict], int | None]:
    """The appeals behind a topic or a word ({rows, total}), or the latest ones (total None)."""
    scope = runtime.scope()
    with runtime.engine().connect() as conn:
        return service.listed(conn, scope, regions.get(conn, scope, code), runtime.now(), topic, word)


def _figure_patches(trends: dict, words_list: list[dict]) -> list[Patch]:
    """New numbers into the figures already on screen; layout and styling stay in the browser."""
    days = trends["days"]
    s, m = view.volume_series(days), view.mood_series(days)
    t, c = view.topic_series(trends["topics"]), view.channel_series(trends["channels"])
    w = view.words_series(words_list)
    return [values_patch(v) for v in (
        {"traces": [{"x": s["x"], "y": s["bars"]}, {"x": s["x"], "y": s["baseline"]}]},
        {"traces": [{"x": m["x"], "y": m["negative"]}]},
        {"traces": [{"x": m["x"], "y": m["satisfaction"]}]},
        {"traces": [{"x": t["x"], "y": t["y"], "customdata": t["customdata"], "marker": {"color": t["colours"]}}]},
        {"traces": [{"labels": c["labels"], "values": c["values"]}]},
        {"traces": [{"x": w["x"], "y": w["y"], "customdata": w["customdata"], "text": w["text"],
                     "marker": {"color": w["colours"]}}]})]


def render(snap: dict, topic: str | None, word: str | None, code) -> list:
    summary, trends = snap["summary"], snap["trends"]
    rising = sum(1 for t in trends["topics"] if t["rising"])
    if topic is None and word is None:
        rows = view.recent_rows(snap["recent"])
    else:
        try:
            rows = view.recent_rows(listed(code, topic, word)[0])
        except (RegionError, DatabaseError, ValueError):
            rows = no_update  # keep the filtered list on screen; the next tick tries again
    return [view.kpis(summary), view.weather_panel(summary), *_figure_patches(trends, snap["words"]),
            view.rising_table(trends["topics"]), str(rising), "danger" if rising else "secondary",
            view.children_table(snap["children"]), rows]


TICK_OUTPUTS = [
    Output("op-kpis", "children"), Output("op-weather", "children"),
    Output("op-volume", "figure"), Output("op-negative", "figure"), Output("op-satisfaction", "figure"),
    Output("op-topics", "figure"), Output("op-channels", "figure"), Output("op-words", "figure"),
    Output("op-rising", "children"), Output("op-rising-count", "children"), Output("op-rising-count", "color"),
    Output("op-children", "children"), Output("op-recent", "rowData"),
]


def tick(_n, code, state, topic, word):
    topic, word = known_topic(topic), known_word(word)
    if topic is not None:
        word = None
    return live.tick(SNAPSHOT, code, state, lambda snap: render(snap, topic, word, code),
                     len(TICK_OUTPUTS))


def _clicks(button: dict):
    """The clicked 风向标 button's n_clicks, found by its id among the inputs (ctx.triggered's value
    misses ids with Chinese text: the server escapes them when it matches, the browser does not)."""
    rows = ctx.inputs_list[3] if len(ctx.inputs_list) > 3 and isinstance(ctx.inputs_list[3], list) else []
    return next((b.get("value") for b in rows if isinstance(b, dict) and b.get("id") == button), None)


def _picked() -> tuple[str | None, str | None]:
    """(topic, word) the click asks for; (None, None) for 清除筛选. Raises PreventUpdate for junk."""
    trigger = ctx.triggered_id
    if trigger == "op-topic-clear":
        return None, None
    if trigger == "op-topics":
        topic = clicked_topic(ctx.triggered[0]["value"])
        if topic is not None:
            return topic, None
    elif trigger == "op-words":
        word = clicked_word(ctx.triggered[0]["value"])
        if word is not None:
            return None, word
    elif isinstance(trigger, dict) and trigger.get("type") == view.RISING_PICK and _clicks(trigger):
        # The button's id names its topic (rows re-rendered by a tick do not have to line up).
        topic = known_topic(trigger.get("topic"))
        if topic is not None:
            return topic, None
    raise PreventUpdate  # not a known topic or a plausible word: refused, nothing is queried


def pick(_topic_click, _word_click, _clear, _row_clicks, code, current_topic, current_word):
    """A click on a topic bar, a 风向标 topic or a hot word lists the appeals behind it
    (the same click again, or 清除筛选, shows the latest appeals)."""
    topic, word = _picked()
    if (topic, word) != (None, None) and (topic, word) == (known_topic(current_topic), known_word(current_word)):
        topic, word = None, None
    try:
        rows, total = listed(code, topic, word)
    except (RegionError, DatabaseError, ValueError):
        raise PreventUpdate from None
    return topic, word, view.recent_rows(rows), view.filter_note(topic, word, total)


def register(app) -> None:
    access.callback(app, access.READ, 
        *TICK_OUTPUTS, Output("op-updated", "children"), Output("op-state", "data"),
        Input("op-tick", "n_intervals"), State("op-region", "data"), State("op-state", "data"),
        State("op-topic", "data"), State("op-word", "data"), prevent_initial_call=True,
    )(tick)
    access.callback(app, access.READ, 
        Output("op-topic", "data"), Output("op-word", "data"),
        Output("op-recent", "rowData", allow_duplicate=True), Output("op-filter", "children"),
        Input("op-topics", "clickData"), Input("op-words", "clickData"),
        Input("op-topic-clear", "n_clicks"), Input({"type": view.RISING_PICK, "topic": ALL}, "n_clicks"),
        State("op-region", "data"), State("op-topic", "data"), State("op-word", "data"), prevent_initial_call=True,
    )(pick)


VIEW = View("/opinion", "社情民意", page, register, nav=4, carousel=True, wall_page=wall_page,
            snapshots=(SNAPSHOT,))
