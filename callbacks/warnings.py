"""预警研判 callbacks: the duty desk (queue, detail, actions) and the wall's alarm poll.

Every input is checked here before it reaches data_access: a client can send any
payload to any callback, so ids must be positive ints, filters known values.
"""
from __future__ import annotations

import hashlib

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from data_access import (DatabaseError, RegionError, handover, regions, warning_board, warning_counts,
                         warning_desk, warning_silences, warnings)
from data_access.warning_rules import WarningConfig
from data_access.cache import remember
from data_access.schema import OPEN_WARNING_STATUSES, WARNING_LEVELS, WARNING_STATUSES
from dashboard import access, auth, runtime
from layouts import warnings as view

from . import live, warnings_wall
from .views import View

BUTTONS = {"warn-ack": "acknowledge", "warn-assign": "assign", "warn-resolve": "resolve",
           "warn-dismiss": "dismiss", "warn-reopen": "reopen"}
MAX_LIST = 20


def page(code: str | None):
    region, chain, _ = live.place(code)
    with runtime.engine().connect() as conn:
        counts, children = _summary(conn, region)
    u = runtime.user()
    return view.desk_page(region, chain, counts, children, runtime.setting("REFRESH_SECONDS"),
                          u.name, runtime.can("act_warnings"))


def _summary(conn, region) -> tuple[dict, list[dict]]:
    """Open warnings per level and per child region: the desk's header and badges."""
    scope = runtime.scope()
    by_level, by_child = warning_counts.open_counts(conn, scope, region, runtime.now())
    return by_level, [{"code": c.code, "name": c.name, "open": by_child.get(c.code, 0)}
                      for c in regions.children(conn, scope, region)]


def _names(conn, rows) -> dict:
    """Names of the levels warnings were escalated to (few: counties and the city)."""
    codes = {w.get("escalated_to") for w in rows} - {None}
    return {c: regions.get(conn, runtime.scope(), c).name for c in codes if _inside(conn, c)}


def _inside(conn, code) -> bool:
    try:
        regions.get(conn, runtime.scope(), code)
        return True
    except RegionError:
        return False


def _filters(levels, rules, status):
    """Known values only; anything else is a hostile or stale payload."""
    if not isinstance(levels, list) or not all(isinstance(x, str) and x in WARNING_LEVELS for x in levels):
        raise ValueError("级别筛选无效")
    rules = rules or []
    if not isinstance(rules, list) or not all(isinstance(x, str) and x in warnings.RULES for x in rules):
        raise ValueError("规则筛选无效")
    if status == "open":
        statuses = OPEN_WARNING_STATUSES
    elif status == "all":
        statuses = WARNING_STATUSES
    elif isinstance(status, str) and status in WARNING_STATUSES:
        statuses = (status,)
    else:
        raise ValueError("状态筛选无效")
    return levels, rules, statuses


def queue(_tick, levels, rules, status, _changed, selected, search):
    """The queue, and with it the header's counts and the sub-regions' badges: all three are
    recounted on every tick and after every action (warn-changed), whatever the filters."""
    try:
        levels, rules, statuses = _filters(levels, rules, status)
    except ValueError as exc:
        return view.feedback(str(exc), "warning"), no_update, no_update
    try:
        with runtime.engine().connect() as conn:
            region = regions.get(conn, runtime.scope(), live.region_from_search(_text(search)))
            counts, children = _summary(conn, region)
            rows = warning_desk.queue(conn, runtime.scope(), region, runtime.now(),
                                      statuses, levels, rules) if levels else []
            names = _names(conn, rows)
    except RegionError as exc:
        return view.feedback(str(exc), "warning"), no_update, no_update
    except DatabaseError:
        raise PreventUpdate  # keep the last good queue on screen
    return (view.queue_list(rows, names, _selected_id(selected), runtime.now(), _deadlines()),
            view.level_counts(counts), view.child_badges(children))


def _deadlines() -> dict:
    """{level: minutes to acknowledge before it escalates}: the desk's deadlines."""
    return dict(WarningConfig().escalate_minutes)


def health(_tick, _changed, search):
    """The desk's own health and the silences of its region, on every tick and after every action."""
    scope, now = runtime.scope(), runtime.now()
    try:
        with runtime.engine().connect() as conn:
            region = regions.get(conn, scope, live.region_from_search(_text(search)))
            shift = handover.shift_at(handover.parse_times(runtime.setting("SHIFTS")), now)
            h = warning_board.desk_health(conn, scope, region, now, deadlines=_deadlines(), since=shift.start)
            silences = warning_silences.listing(conn, scope, region, now)
    except RegionError:
        raise PreventUpdate  # the queue says what is wrong with the region
    except DatabaseError:
        raise PreventUpdate
    return view.health_strip(h), view.silence_list(silences, runtime.can("act_warnings"))


def silence(_add, _ends, rule, minutes, reason, search, changed):
    """静默 / 解除静默: one audited write each; the queue, the banner and the pushes follow."""
    trigger = ctx.triggered_id
    bump = (changed if isinstance(changed, int) else 0) + 1
    scope, now, actor = runtime.scope(), runtime.now(), runtime.user().name
    try:
        with runtime.engine().begin() as conn:  # the silence and its audit row commit together
            if trigger == "warn-silence-add":
                if not isinstance(_add, int) or _add < 1:
                    raise PreventUpdate
                region = regions.get(conn, scope, live.region_from_search(_text(search)))
                s = warning_silences.add(conn, scope, None if rule == view.ALL_RULES else rule, region,
                                         minutes, reason, actor, now)
                auth.audit_in(conn, "warning_silence", target=f"silence:{s['id']}",
                              detail={"rule": s["rule"], "region": s["region"], "minutes": minutes,
                                      "reason": s["reason"]})
                done = view.silence_done(s, ended=False)
            elif isinstance(trigger, dict) and trigger.get("type") == "warn-unsilence":
                if not any(isinstance(c, int) and c > 0 for c in _ends):
                    raise PreventUpdate  # the list was re-rendered, nobody clicked
                s = warning_silences.cancel(conn, scope, trigger.get("index"), actor, now)
                auth.audit_in(conn, "warning_unsilence", target=f"silence:{s['id']}",
                              detail={"rule": s["rule"], "region": s["region"]})
                done = view.silence_done(s, ended=True)
            else:
                raise PreventUpdate
    except (warning_silences.SilenceRefused, RegionError) as exc:
        return view.feedback(str(exc), "danger"), no_update, no_update
    except DatabaseError:
        return view.feedback("数据库暂时不可用，操作未保存，请稍后重试。", "danger"), no_update, no_update
    return view.feedback(done, "success"), bump, ""


def _text(value) -> str | None:
    """A URL part from the client: text or nothing (any JSON can arrive)."""
    return value if isinstance(value, str) else None


def _selected_id(selected) -> int | None:
    value = selected.get("id") if isinstance(selected, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def select(clicks):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(c for c in clicks if isinstance(c, int)):
        raise PreventUpdate  # the queue was re-rendered, nobody clicked
    return {"id": trigger.get("index")}


def _disabled(status) -> list[bool]:
    """One flag per button of BUTTONS: live only for the actions the status allows, and only
    for an account that may act (the server refuses the others anyway)."""
    allowed = warning_desk.allowed_actions(status) if runtime.can("act_warnings") else set()
    return [action not in allowed for action in BUTTONS.values()]


def show(selected, _tick, _changed):
    wid = _selected_id(selected)
    if wid is None:
        raise PreventUpdate
    scope, now = runtime.scope(), runtime.now()
    try:
        with runtime.engine().connect() as conn:
            w = warning_desk.get(conn, scope, wid)
            history = warning_desk.history(conn, scope, wid)
            focus = warning_desk.focus(conn, scope, wid, now)
            names = _names(conn, [w])
    except RegionError as exc:
        return view.feedback(str(exc), "warning"), None, *_disabled(None)
    except DatabaseError:
        raise PreventUpdate
    return (view.detail(w, history, focus, names), {"id": w["id"], "version": w["version"], "status": w["status"]},
            *_disabled(w["status"]))


def act(*args):
    *_clicks, current, comment, assignee, changed = args
    action = BUTTONS.get(ctx.triggered_id)
    if action is None or not any(isinstance(c, int) and c > 0 for c in _clicks):
        raise PreventUpdate
    wid = _selected_id(current)
    version = current.get("version") if isinstance(current, dict) else None
    if wid is None:
        return view.feedback("请先从左侧选择一条预警", "warning"), no_update, no_update, no_update
    bump = (changed if isinstance(changed, int) else 0) + 1
    try:
        with runtime.engine().begin() as conn:  # the action and its audit row commit together
            w = warning_desk.act(conn, runtime.scope(), wid, version, action, runtime.user().name, runtime.now(),
                                 comment, assignee)
            auth.audit_in(conn, f"warning_{action}", target=f"warning:{wid}",
                          detail={"comment": comment, "assignee": assignee})
    except warning_desk.Conflict as exc:
        return view.feedback(str(exc), "warning"), bump, no_update, no_update
    except (warning_desk.ActionRefused, RegionError) as exc:
        return view.feedback(str(exc), "danger"), no_update, no_update, no_update
    except DatabaseError:
        return view.feedback("数据库暂时不可用，操作未保存，请稍后重试。", "danger"), no_update, no_update, no_update
    # Saved: both text fields are emptied, so nothing typed for this action leaks into the next.
    return (view.feedback(f"已{warning_desk.ACTION_NAMES[action]}：预警 {w['id']}，当前状态"
                          f"“{warning_desk.STATUS_NAMES[w['status']]}”", "success"), bump, "", "")


# --- the wall: flash, sound, takeover ----------------------------------------------

def _int_list(values) -> list[int]:
    if not isinstance(values, list):
        return []
    return [v for v in values[:50] if isinstance(v, int) and not isinstance(v, bool) and v > 0]


def alarm(_tick, pathname, search, pinned, released, state):
    """Unacknowledged red/orange warnings of the region on screen: one cached list per
    (scope, region, bucket) whatever the number of screens; nothing sent when unchanged."""
    pathname, search = _text(pathname), _text(search)
    code = live.region_of(pathname, search)
    scope, now = runtime.scope(), runtime.now()
    seconds = runtime.setting("ALARM_SECONDS")
    try:
        rows, counts = remember("alarms", scope.code, code, now, seconds,
                                lambda: _alarm_rows(scope, code, now))
    except RegionError:
        rows, counts = [], {}  # the page says what is wrong with the region
    except DatabaseError:
        raise PreventUpdate
    big = live.big_screen(search)
    released = set(_int_list(released))
    pin = (_int_list([pinned]) or [None])[0]
    red = [w for w in rows if w["level"] == "red" and w["id"] not in released]
    hold = pin or (red[0]["id"] if red and big else None)
    sig = hashlib.blake2b(repr(([(w["id"], w["version"]) for w in rows], sorted(counts.items()), hold, pin,
                                big)).encode(),
                          digest_size=8).hexdigest()
    if isinstance(state, dict) and state.get("sig") == sig:
        raise PreventUpdate
    panel = None
    if hold and big:
        try:
            with runtime.engine().connect() as conn:
                panel = view.takeover(warning_desk.focus(conn, scope, hold, now), now, pinned=hold == pin)
        except (RegionError, DatabaseError):
            panel = None
    u = runtime.user()
    # A wall (?screen=1, or any kiosk) also reads each new red warning aloud (assets/redgrid.js).
    speaks = big or bool(u is not None and u.is_kiosk)
    data = {"sig": sig, "ids": [w["id"] for w in rows], "levels": [w["level"] for w in rows],
            "takeover": panel is not None, "hold": hold if panel is not None else None,
            "speech": view.alarm_speech(rows) if speaks else []}
    return view.alarm_banner(rows, counts), panel, data


def _alarm_rows(scope, code, now):
    with runtime.engine().connect() as conn:
        rows = warning_desk.alarms(conn, scope, code, now, limit=MAX_LIST)
        for w in rows:
            if w["level"] == "red":  # the place a wall speaks: 港北区港城街道…第1网格, not "第1网格"
                w["place"] = _place(conn, scope, w["region"])
        # The banner counts every waiting warning, not only the MAX_LIST rows fetched.
        counts = warning_desk.alarm_counts(conn, scope, code, now) if len(rows) >= MAX_LIST else None
        return rows, counts or _counted(rows)


def _counted(rows) -> dict:
    counts: dict = {}
    for w in rows:
        counts[w["level"]] = counts.get(w["level"], 0) + 1
    return counts


def _place(conn, scope, code) -> str | None:
    try:
        chain = regions.breadcrumb(conn, scope, code)
    except RegionError:
        return None
    return "".join(r.name for r in chain if r.level != "city") or None


def pin(pin_clicks, release_clicks, state, pinned, released):
    """The operator holds the takeover on screen, or sends the screen back to the carousel."""
    wid = _int_list([state.get("hold")] if isinstance(state, dict) else [])
    if not wid:
        raise PreventUpdate
    if ctx.triggered_id == "takeover-pin-btn" and pin_clicks:
        return (None if pinned == wid[0] else wid[0]), no_update
    if ctx.triggered_id == "takeover-release-btn" and release_clicks:
        return None, (_int_list(released) + wid)[-50:]
    raise PreventUpdate


def register(app) -> None:
    access.callback(app, access.READ, Output("warn-queue", "children"), Output("warn-counts", "children"),
                 Output("warn-children", "children"),
                 Input("warn-tick", "n_intervals"), Input("warn-levels", "value"), Input("warn-rules", "value"),
                 Input("warn-status", "value"), Input("warn-changed", "data"), Input("warn-selected", "data"),
                 State("url", "search"))(queue)
    access.callback(app, access.READ, Output("warn-health", "children"), Output("warn-silence-list", "children"),
                    Input("warn-tick", "n_intervals"), Input("warn-changed", "data"), State("url", "search"))(health)
    access.callback(app, "act_warnings", Output("warn-silence-feedback", "children"),
                    Output("warn-changed", "data", allow_duplicate=True), Output("warn-silence-reason", "value"),
                    Input("warn-silence-add", "n_clicks"), Input({"type": "warn-unsilence", "index": ALL}, "n_clicks"),
                    State("warn-silence-rule", "value"), State("warn-silence-minutes", "value"),
                    State("warn-silence-reason", "value"), State("url", "search"), State("warn-changed", "data"),
                    audit="warning_silence", prevent_initial_call=True)(silence)
    access.callback(app, access.READ, Output("warn-selected", "data"), Input({"type": "warn-item", "index": ALL}, "n_clicks"),
                 prevent_initial_call=True)(select)
    access.callback(app, access.READ, Output("warn-detail", "children"), Output("warn-current", "data"),
                 *[Output(b, "disabled") for b in BUTTONS],
                 Input("warn-selected", "data"), Input("warn-tick", "n_intervals"),
                 Input("warn-changed", "data"))(show)
    access.callback(app, "act_warnings", Output("warn-feedback", "children"), Output("warn-changed", "data"),
                 Output("warn-comment", "value"), Output("warn-assignee", "value"),
                 *[Input(b, "n_clicks") for b in BUTTONS],
                 State("warn-current", "data"), State("warn-comment", "value"),
                 State("warn-assignee", "value"), State("warn-changed", "data"),
                 prevent_initial_call=True, audit="warning_act")(act)
    access.callback(app, access.READ, Output("alarm-banner", "children"), Output("takeover", "children"), Output("alarm-store", "data"),
                 Input("alarm-tick", "n_intervals"), Input("url", "pathname"), Input("url", "search"),
                 Input("takeover-pin", "data"), Input("takeover-release", "data"),
                 State("alarm-store", "data"))(alarm)
    access.callback(app, access.READ, Output("takeover-pin", "data"), Output("takeover-release", "data"),
                 Input("takeover-pin-btn", "n_clicks"), Input("takeover-release-btn", "n_clicks"),
                 State("alarm-store", "data"), State("takeover-pin", "data"), State("takeover-release", "data"),
                 prevent_initial_call=True)(pin)
    # Flash, sound and the takeover class are presentation: assets/redgrid.js.
    app.clientside_callback(ClientsideFunction("redgrid", "alarm"),
                            Output("alarm-sound", "className"), Input("alarm-store", "data"))


def register_view(app) -> None:
    register(app)
    warnings_wall.register(app)  # the wall's composition has its own tick (callbacks/warnings_wall.py)


VIEW = View("/warnings", "预警研判", page, register_view, nav=5, wall_page=warnings_wall.page,
            snapshots=(warnings_wall.SNAPSHOT,))
