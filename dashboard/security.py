"""Security headers on every response (issue #7).

Scripts only from this site plus the hashes of Dash's own inline bootstrap
scripts (`app.csp_hashes()`), never 'unsafe-eval'. Styles allow inline
attributes because plotly and Dash set element styles; no stylesheet comes
from elsewhere. Map tiles and fonts are local, so nothing else is needed.
"""
from __future__ import annotations

import json
import logging
import re

from flask import current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider

HASHES_KEY = "CSP_SCRIPT_HASHES"


def _policy(hashes: list[str]) -> str:
    script = " ".join(["'self'", *hashes])  # csp_hashes() come quoted
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",  # the map library draws in a blob worker
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def add_headers(response):
    response.headers["Content-Security-Policy"] = _policy(current_app.config.get(HASHES_KEY, []))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if response.mimetype == "application/json":
        response.headers["Cache-Control"] = "no-store"  # personal data never sits in a shared cache
    return response


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _JSONProvider(DefaultJSONProvider):
    """Bodies that are not JSON text are malformed input (400), not server errors: nested deeper
    than the parser goes, or carrying a lone UTF-16 surrogate (no UTF-8 text, no database column
    can hold one). Answers are UTF-8, so a refusal reads as written."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None
        text = s.decode("utf-8", "replace") if isinstance(s, (bytes, bytearray)) else s
        if isinstance(text, str) and _SURROGATE.search(text):
            try:
                json.dumps(value, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("JSON carries a lone surrogate") from None
        return value


def init_app(server) -> None:
    server.json = _JSONProvider(server)
    server.after_request(add_headers)
    server.register_error_handler(Exception, _unexpected)


def _unexpected(exc):
    """A bug answers a short message, never a stack trace; the log has the details."""
    from werkzeug.exceptions import HTTPException
    if isinstance(exc, HTTPException):
        return exc
    logging.getLogger(__name__).exception("unhandled error on %s", request.path)
    return jsonify({"error": "服务器内部错误，已记录日志"}), 500


def _entry_ok(entry, spec: dict) -> bool:
    """One inputs/state entry shaped as the renderer sends it: {"id", "property", "value"} for a
    plain id, a list of those with id dicts of the pattern's shape for ALL / ALLSMALLER."""
    if not spec["id"].startswith("{"):
        return isinstance(entry, dict) and entry.get("id") == spec["id"] and entry.get("property") == spec["property"]
    pattern = json.loads(spec["id"])
    fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
    many = any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
    items = entry if many else [entry]
    return isinstance(items, list) and all(
        isinstance(x, dict) and x.get("property") == spec["property"] and isinstance(x.get("id"), dict)
        and set(x["id"]) == set(pattern) and all(x["id"][k] == v for k, v in fixed.items())
        and all(isinstance(x["id"][k], (str, int, float, bool)) for k in pattern)
        for x in items)


def _outputs_ok(key: str, outputs) -> bool:
    n = key.count("...") + 1 if key.startswith("..") else 1
    items = outputs if key.startswith("..") else [outputs]
    return isinstance(items, list) and len(items) == n and all(
        isinstance(o, dict) and isinstance(o.get("id"), (str, dict)) and isinstance(o.get("property"), str)
        for o in items)


def guard_callbacks(app) -> None:
    """Dash answers a malformed /_dash-update-component body (unknown output, a browser-only
    callback, wrong shapes) with a 500; refuse those with a 400 before Dash sees them. Then the
    callback's declared permission (dashboard.access): none declared, or not the caller's, 403."""
    from . import access, auth
    callback_map = app.callback_map

    def check():
        if request.path != "/_dash-update-component" or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": "无效的回调请求"}), 400
        key = body.get("output")
        spec = callback_map.get(key) if isinstance(key, str) else None
        if spec is None or "callback" not in spec:
            return jsonify({"error": "无效的回调请求"}), 400
        inputs, state = body.get("inputs"), body.get("state", [])
        changed = body.get("changedPropIds", [])
        shapes_ok = (isinstance(inputs, list) and isinstance(state, list) and isinstance(changed, list)
                     and len(inputs) == len(spec["inputs"]) and len(state) == len(spec["state"])
                     and all(isinstance(c, str) for c in changed)
                     and all(_entry_ok(e, s) for e, s in zip(inputs, spec["inputs"]))
                     and all(_entry_ok(e, s) for e, s in zip(state, spec["state"]))
                     and ("outputs" not in body or _outputs_ok(key, body["outputs"])))
        if not shapes_ok:
            return jsonify({"error": "无效的回调请求"}), 400
        rule = access.callback_rule(app.server, key)
        if rule is None:
            logging.getLogger(__name__).error("callback %s declares no permission: refused", key[:200])
            return jsonify({"error": "未授权的访问"}), 403
        if not access.allowed(auth.current(), rule.permission):
            return auth.refuse_act(rule, target=key[:200])
        return None
    app.server.before_request(check)


def allow_inline_scripts(app) -> None:
    """Hash Dash's inline scripts once the layout and callbacks are known."""
    app.server.config[HASHES_KEY] = app.csp_hashes()
