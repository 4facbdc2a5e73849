"""The app factory: a Flask server with the Dash app, the cache and the JSON API on it."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import dash
from flask import Flask

import callbacks
from callbacks import views
from data_access import DatabaseError
from data_access import cache as snapshots
from data_access.cache import cache
from data_access.engine import create_own_tables, make_engine
from layouts.shell import app_shell

from . import api, auth, handover_files, runtime, scheduler, security, sessions, settings, throttle
from .briefing import web as briefing_web

ROOT = Path(__file__).resolve().parent.parent


def _refresher_beats(server):
    def beating() -> bool:
        with server.app_context():
            return snapshots.refresher_alive()
    return beating


def create_app(overrides: dict | None = None) -> dash.Dash:
    config = settings.load(overrides)
    server = Flask(__name__)
    server.config.update(config)
    server.config.update(
        SECRET_KEY=config["SECRET_KEY"] or _local_secret(),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(config["COOKIE_SECURE"]), SESSION_COOKIE_NAME="redgrid_session",
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SECURE=bool(config["COOKIE_SECURE"]),
        MAX_CONTENT_LENGTH=config["REQUEST_MAX_BYTES"],
        TRUSTED_HOSTS=[h.strip() for h in str(config["TRUSTED_HOSTS"]).split(",") if h.strip()] or None,
        WTF_CSRF_TIME_LIMIT=3600,  # the login form's token
    )
    server.extensions[runtime.ENGINE_KEY] = make_engine(
        config["DATABASE_URL"], config["STATEMENT_TIMEOUT_MS"])
    if config["CACHE_REDIS_URL"]:
        # Redis shared by every worker; a per-process cache while it is away (dashboard/fallback_cache.py).
        snapshots.init_app(server, {"CACHE_TYPE": "dashboard.fallback_cache.RedisWithFallback",
                                    "CACHE_REDIS_URL": config["CACHE_REDIS_URL"]})
    else:
        snapshots.init_app(server, {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000})
    _own_tables(server.extensions[runtime.ENGINE_KEY])
    sessions.init_app(server, cache)
    throttle.init_app(server)
    auth.init_app(server)
    security.init_app(server)
    server.register_blueprint(api.bp)
    server.register_blueprint(briefing_web.bp)
    server.register_blueprint(handover_files.bp)
    # A web worker leaves the maintenance (rollups, warnings, text readings) to a live refresher
    # process, which runs it off the web tier; without one (SimpleCache, or it died) it does it.
    server.extensions["redgrid.scheduler"] = scheduler.start(
        server.extensions[runtime.ENGINE_KEY], config["WARNINGS_EVALUATE_SECONDS"],
        defer=None if config.get("REDGRID_REFRESHER") else _refresher_beats(server))

    app = dash.Dash(
        __name__, server=server, title="红格指挥舱", update_title=None,
        assets_folder=str(ROOT / "assets"), serve_locally=True,
        suppress_callback_exceptions=True,  # pages are rendered by the router callback
    )
    nav, carousel = views.navigation(callbacks.VIEWS), views.carousel(callbacks.VIEWS)
    app.layout = app_shell(nav, carousel, config["ALARM_SECONDS"])
    callbacks.register(app)
    security.allow_inline_scripts(app)
    security.guard_callbacks(app)
    return app


def _local_secret() -> str:
    """One random key per installation, kept beside the embedded database (mode 0600)."""
    path = ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _own_tables(engine) -> None:
    """The dashboard's own tables (accounts, audit, warnings) exist before the first login."""
    try:
        create_own_tables(engine)
    except DatabaseError as exc:  # the database is away: the app starts and says so in /healthz
        logging.getLogger(__name__).warning("cannot prepare the dashboard's tables: %s", type(exc).__name__)
