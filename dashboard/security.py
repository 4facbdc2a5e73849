"""Security headers on every response (issue #7).

Scripts only from this site plus the hashes of Dash's own inline bootstrap
scripts (`app.csp_hashes()`), never 'unsafe-eval'. Styles allow inline
attributes because plotly and Dash set element styles; no stylesheet comes
from elsewhere. Map tiles and fonts are local, so nothing else is needed.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, request

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


def init_app(server) -> None:
    server.after_request(add_headers)
    server.register_error_handler(Exception, _unexpected)


def _unexpected(exc):
    """A bug answers a short message, never a stack trace; the log has the details."""
    from werkzeug.exceptions import HTTPException
    if isinstance(exc, HTTPException):
        return exc
    logging.getLogger(__name__).exception("unhandled error on %s", request.path)
    return jsonify({"error": "服务器内部错误，已记录日志"}), 500


def guard_callbacks(app) -> None:
    """Dash answers a malformed /_dash-update-component body (unknown output, a browser-only
    callback, wrong shapes) with a 500; refuse those with a 400 before Dash sees them."""
    callback_map = app.callback_map

    def check():
        if request.path != "/_dash-update-component" or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": "无效的回调请求"}), 400
        spec = callback_map.get(body.get("output")) if isinstance(body.get("output"), str) else None
        shapes_ok = (isinstance(body.get("inputs"), list) and isinstance(body.get("state", []), list)
                     and isinstance(body.get("changedPropIds", []), list)
                     and all(isinstance(x, dict) for x in [*body["inputs"], *body.get("state", [])]))
        if spec is None or "callback" not in spec or not shapes_ok \
                or len(body["inputs"]) != len(spec["inputs"]) or len(body.get("state", [])) != len(spec["state"]):
            return jsonify({"error": "无效的回调请求"}), 400
        return None
    app.server.before_request(check)


def allow_inline_scripts(app) -> None:
    """Hash Dash's inline scripts once the layout and callbacks are known."""
    app.server.config[HASHES_KEY] = app.csp_hashes()
