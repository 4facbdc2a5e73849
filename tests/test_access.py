"""One permission check on every path (issue #14): every Flask route and every server callback
declares what it needs, the declarations match docs/security.md, and nothing undeclared runs."""
from __future__ import annotations

import json
import re
from pathlib import Path

from dashboard import access, create_app

from .conftest import sign_in

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def _app(db_url):
    return create_app({"DATABASE_URL": db_url})


def test_acc001_every_route_declares_a_permission(db_url):
    app = _app(db_url)
    server = app.server
    undeclared = [r.rule for r in server.url_map.iter_rules() if access.route_rule(server, r.endpoint) is None]
    assert undeclared == []
    rules = {r.rule: access.route_rule(server, r.endpoint).permission for r in server.url_map.iter_rules()}
    # The acts and the public doors, as the docs name them.
    assert rules["/briefing/download"] == "export"
    assert {p for p, perm in rules.items() if perm == access.PUBLIC} == {
        "/static/<path:filename>", "/login", "/logout", "/kiosk", "/healthz", "/assets/<path:filename>",
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>", "/_favicon.ico"}


def test_acc002_every_server_callback_declares_a_permission(db_url):
    app = _app(db_url)
    server_side = [k for k, spec in app.callback_map.items() if "callback" in spec]
    assert len(server_side) > 15
    missing = [k for k in server_side if access.callback_rule(app.server, k) is None]
    assert missing == []
    acts = {k: access.callback_rule(app.server, k).permission for k in server_side
            if access.callback_rule(app.server, k).permission != access.READ}
    assert sorted(acts.values()) == ["act_warnings", "act_warnings", "admin", "admin", "cases", "export", "export",
                                    "handover", "handover", "send_to_wall", "unmask", "unmask"], acts


def test_acc003_docs_match_the_declarations(db_url):
    """docs/security.md's table of routes and callbacks lists each one with its permission."""
    app = _app(db_url)
    text = DOC.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([^`]+)` \| `([a-z_]+)` \|", text, re.M))
    for r in app.server.url_map.iter_rules():
        assert table.get(r.rule) == access.route_rule(app.server, r.endpoint).permission, r.rule
    for key, spec in app.callback_map.items():
        if "callback" in spec:
            first = key.strip(".").split("...")[0].split("@")[0]
            assert table.get(first) == access.callback_rule(app.server, key).permission, first


def test_acc004_an_undeclared_callback_is_refused(db_url):
    """A callback registered behind the registry's back (plain app.callback) runs for nobody."""
    from dash import Input, Output
    app = _app(db_url)
    app.callback(Output("clock", "children", allow_duplicate=True), Input("clock-tick", "disabled"),
                 prevent_initial_call=True)(lambda _: "x")
    key = next(k for k in app.callback_map if k.startswith("clock.children@"))
    c = app.server.test_client()
    assert sign_in(c, "city_admin").status_code == 302
    body = {"output": key, "outputs": {"id": "clock", "property": "children"},
            "inputs": [{"id": "clock-tick", "property": "disabled", "value": True}],
            "changedPropIds": ["clock-tick.disabled"]}
    r = c.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 403 and "x" not in r.get_data(as_text=True)


def test_acc005_an_undeclared_route_is_refused(db_url):
    app = _app(db_url)
    app.server.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    c = app.server.test_client()
    assert sign_in(c, "city_admin").status_code == 302
    r = c.get("/undeclared")
    assert r.status_code == 403 and b"secret" not in r.data
