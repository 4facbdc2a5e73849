"""一户一档 · 一人一档 · 一企一档: the file pages (/household/ID, /person/ID, /enterprise/ID) and
their unmasking act. A file is read once per page open (no live tick: a register changes
slowly); the id comes from the path and is checked against the reader's scope in data_access."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, files
from dashboard import access, auth, runtime
from layouts import files as view

from .grid import checked_reason
from .views import View


def _read(reader, raw_id):
    with runtime.engine().connect() as conn:
        return reader(conn, runtime.scope(), raw_id, runtime.now())


def _unmask(subjects):
    return view.unmask_panel(subjects) if runtime.can("unmask") and subjects else None


def household_page(raw_id: str):
    data = _read(files.household_file, raw_id)
    subjects = [(f"household:{data['id']}", f"本户住址（{data['address']}）")] + \
        [(f"person:{p['id']}", f"{p['name']}（{p['relation']}）") for p in data["residents"]]
    return view.household_page(data, _unmask(subjects))


def person_page(raw_id: str):
    data = _read(files.person_file, raw_id)
    return view.person_page(data, _unmask([(f"person:{data['id']}", f"{data['name']}（{data['relation']}）")]))


def enterprise_page(raw_id: str):
    data = _read(files.enterprise_file, raw_id)
    return view.enterprise_page(data, _unmask([(f"enterprise:{data['id']}",
                                                f"企业联系人（{data['contact_name'] or '—'}）")]))


def unmask(n_clicks, subject, reason):
    """Role-gated (`unmask`), with a typed reason, audited granted or refused; the data is shown
    only once the granted row is committed with the read that found it (as on 一格一档)."""
    if not n_clicks:
        raise PreventUpdate
    target = str(subject)[:40]
    reason, refusal = checked_reason(target, reason)
    if refusal is not None:
        return refusal
    try:
        with runtime.engine().begin() as conn:
            found = files.reveal(conn, runtime.scope(), subject)
            auth.audit_in(conn, "unmask", target=found["target"], detail=reason)
    except RegionError as exc:
        auth.audit("unmask", target=target, detail={"refused": "scope", "reason": reason}, ok=False)
        return dbc.Alert(str(exc), color="danger")
    except DatabaseError:
        return dbc.Alert(auth.AuditUnavailable.message, color="danger")
    return view.revealed(found)


def register(app) -> None:
    access.callback(app, "unmask", Output("file-reveal-result", "children"), Input("file-reveal-go", "n_clicks"),
                    State("file-reveal-subject", "value"), State("file-reveal-reason", "value"),
                    prevent_initial_call=True, audit="unmask")(unmask)


HOUSEHOLD = View("/household/<id>", "一户一档", household_page, register)
PERSON = View("/person/<id>", "一人一档", person_page)
ENTERPRISE = View("/enterprise/<id>", "一企一档", enterprise_page)
