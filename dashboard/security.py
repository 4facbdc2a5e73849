"""Security headers on every response (issue #7).

Scripts only from this site plus the hashes of Dash's own inline bootstrap
scripts (`app.csp_hashes()`), never 'unsafe-eval'. Styles allow inline
attributes because plotly and Dash set element styles; no stylesheet comes
from elsewhere. Map tiles and fonts are local, so nothing else is needed.
"""
from __future__ import annotations

from flask import current_app

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


def allow_inline_scripts(app) -> None:
    """Hash Dash's inline scripts once the layout and callbacks are known."""
    app.server.config[HASHES_KEY] = app.csp_hashes()
