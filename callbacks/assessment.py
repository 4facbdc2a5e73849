"""考核评价 callbacks: the month's ranking per tab, the records behind a clicked score, the Excel
file for the monthly meeting, and a new weights version (admins).

Any client can send anything: the month is parsed against the calendar, the region and the
drilled row re-resolved in the caller's scope (a worker or region outside it answers like an
unknown one), the editor's numbers validated in data_access.assessment, and the author of a
version is always the signed-in account. A version and its audit row commit together; a file
leaves only once its audit row is written.
"""
from __future__ import annotations

from dash import Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError
from data_access import assessment as data
from dashboard import access, assessment_files, auth, runtime
from layouts import assessment as view
from services import assessment as service

from . import live
from .views import View

WEIGHTS_PERMISSION = "admin"
EXPORT_PERMISSION = "export"


def _short(value) -> str:
    return str(value)[:40]


def _code(value) -> str:
    """The region from the page's store: text, else refused (an empty one would mean the scope's root)."""
    if not isinstance(value, str) or not value:
        raise data.AssessmentError("区划代码无效")
    return value


def _level(value) -> str:
    return value if value in data.LEVELS else "worker"


def may_edit() -> bool:
    """Weights are one city-wide table: only an admin of the whole city edits them."""
    return runtime.can(WEIGHTS_PERMISSION) and runtime.scope().level == "city"


def page(code: str | None):
    region, chain, _ = live.place(code)
    now = runtime.now()
    months = data.month_options(now)
    default = data.default_month(now)
    selected = default if any(m.key == default for m in months) else months[0].key
    edit = None
    if may_edit():
        latest = service.weights_panel(runtime.engine(), selected, now)["versions"][0]
        this = data.current_month_key(now)
        edit = view.editor(latest, [this, data.shift_month(this, 1), data.shift_month(this, 2)])
    return view.assessment_page(region, chain, [{"label": m.label, "value": m.key} for m in months], selected,
                                runtime.can(EXPORT_PERMISSION), edit)


def show(month_key, tab, _changed, region_code):
    """The chosen month's ranking for the chosen tab, and the weights it was scored with."""
    level, now = _level(tab), runtime.now()
    try:
        report = service.report(runtime.engine(), runtime.scope(), _code(region_code), month_key, now)
        panel = service.weights_panel(runtime.engine(), report["month"], now)
    except RegionError as exc:  # a bad month, or a region outside the jurisdiction (read as unknown)
        auth.audit("assessment_view", target=f"region:{_short(region_code)}",
                   detail={"month": _short(month_key), "refused": str(exc)[:200]}, ok=False)
        return view.error(str(exc)), [], view.COLUMNS[level], None, view.evidence_hint(), view.table_style(0)
    except DatabaseError:
        raise PreventUpdate  # keep the last table on screen
    rows = view.rows(report, level)
    return (view.summary(report, level), rows, view.COLUMNS[level],
            view.weights_view(panel, report["month_label"]), view.evidence_hint(), view.table_style(len(rows)))


def _subject(row_id) -> tuple[str, object]:
    kind, _, ident = str(row_id).partition(":")
    if kind == "worker":
        if not ident.isdigit() or len(ident) > 12:
            raise data.AssessmentError("网格员编号无效")
        return kind, int(ident)
    return kind, ident


def drill(cell, month_key, region_code, search):
    """A click on a score shows the records behind it; a click on a region's name opens it."""
    if not isinstance(cell, dict):
        raise PreventUpdate
    column, row_id = cell.get("colId"), cell.get("rowId")
    try:
        kind, ident = _subject(row_id)
        if column == "name" and kind in ("village", "township"):
            with runtime.engine().connect() as conn:  # the region must be the caller's to open
                target, _ = data.subject_region(conn, runtime.scope(), kind, ident)
            path, query = live.drilled(target.code, search, view.PATH)
            return no_update, path, query
        if column not in data.INDICATORS:
            raise PreventUpdate
        found = service.evidence(runtime.engine(), runtime.scope(), kind, ident, column, month_key, runtime.now())
    except RegionError as exc:
        auth.audit("assessment_view", target=f"{_short(row_id)}:{_short(column)}",
                   detail={"region": _short(region_code), "month": _short(month_key), "refused": str(exc)[:200]},
                   ok=False)
        return view.error(str(exc)), no_update, no_update
    except DatabaseError:
        raise PreventUpdate
    return view.evidence_view(found), no_update, no_update


def export(n_clicks, month_key, region_code):
    """The month's workbook (every row of every tab) for the monthly meeting; audited."""
    if not isinstance(n_clicks, int) or isinstance(n_clicks, bool) or n_clicks < 1:
        raise PreventUpdate
    now = runtime.now()
    try:
        report = service.report(runtime.engine(), runtime.scope(), _code(region_code), month_key, now)
    except RegionError as exc:
        auth.audit(assessment_files.ACTION, target=f"region:{_short(region_code)}",
                   detail={"month": _short(month_key), "refused": str(exc)[:200]}, ok=False)
        return no_update, view.error(str(exc))
    except DatabaseError:
        return no_update, view.feedback("数据库暂时不可用，请稍后再试。", "danger")
    body = assessment_files.workbook(report)
    name = assessment_files.filename(report)
    try:
        auth.audited(assessment_files.ACTION, target=f"assessment:{report['region']['code']}:{report['month']}",
                     detail={"region": report["region"]["code"], "month": report["month"],
                             "weights_version": report["weights"]["version"], "file": name})
    except auth.AuditUnavailable as exc:
        return no_update, view.feedback(exc.message, "danger")
    return dcc.send_bytes(body, name), view.feedback(f"已导出 {name}", "success")


def save(n_clicks, *values):
    """A new weights version from the admin's form, with its audit row in the same transaction."""
    if not isinstance(n_clicks, int) or isinstance(n_clicks, bool) or n_clicks < 1:
        raise PreventUpdate
    n = len(data.INDICATORS)
    names = list(data.THRESHOLD_NAMES)
    weights = dict(zip(data.INDICATORS, values[:n]))
    thresholds = dict(zip(names, values[n:n + len(names)]))
    effective, comment, changed = values[n + len(names):]
    me, now = runtime.user().name, runtime.now()
    try:
        if runtime.scope().level != "city":
            raise data.AssessmentError("考核权重全市统一，仅市级管理员可修改")
        with runtime.engine().begin() as conn:  # the version and its audit row commit together
            made = data.add_version(conn, weights, thresholds, effective, comment, me, now)
            auth.audit_in(conn, "assessment_weights", target=f"assessment_weights:v{made.version}",
                          detail={"effective_from": made.effective_from, "weights": made.weights,
                                  "thresholds": made.thresholds, "comment": made.comment})
    except RegionError as exc:
        auth.audit("assessment_weights", target="assessment_weights",
                   detail={"refused": str(exc)[:200], "effective_from": _short(effective)}, ok=False)
        return view.feedback(str(exc), "warning"), no_update
    except DatabaseError:
        return view.feedback("数据库或审计日志暂时不可用，权重未保存，请稍后重试。", "danger"), no_update
    return (view.feedback(f"已保存权重版本 v{made.version}，自 {made.effective_from} 起生效。", "success"),
            (changed if isinstance(changed, int) else 0) + 1)


def register(app) -> None:
    access.callback(app, access.READ, Output("asm-summary", "children"), Output("asm-table", "rowData"),
                    Output("asm-table", "columnDefs"), Output("asm-weights", "children"),
                    Output("asm-evidence", "children"), Output("asm-table", "style"),
                    Input("asm-month", "value"), Input("asm-tab", "active_tab"), Input("asm-changed", "data"),
                    State("asm-region", "data"))(show)
    access.callback(app, access.READ, Output("asm-evidence", "children", allow_duplicate=True),
                    Output("url", "pathname", allow_duplicate=True), Output("url", "search", allow_duplicate=True),
                    Input("asm-table", "cellClicked"), State("asm-month", "value"), State("asm-region", "data"),
                    State("url", "search"), prevent_initial_call=True)(drill)
    access.callback(app, EXPORT_PERMISSION, Output("asm-download", "data"), Output("asm-export-msg", "children"),
                    Input("asm-export", "n_clicks"), State("asm-month", "value"), State("asm-region", "data"),
                    prevent_initial_call=True, audit=assessment_files.ACTION)(export)
    access.callback(app, WEIGHTS_PERMISSION, Output("asm-weights-feedback", "children"),
                    Output("asm-changed", "data"), Input("asm-save", "n_clicks"),
                    *[State(f"asm-w-{k}", "value") for k in data.INDICATORS],
                    *[State(f"asm-t-{k}", "value") for k in data.THRESHOLD_NAMES],
                    State("asm-eff", "value"), State("asm-comment", "value"), State("asm-changed", "data"),
                    prevent_initial_call=True, audit="assessment_weights")(save)


# nav 5.7: after 交接班 (5.5), before 周报 (6), without renumbering the others.
VIEW = View(view.PATH, "考核评价", page, register, nav=5.7)
