"""The app factory: a Flask server with the Dash app, the cache and the JSON API on it."""
from __future__ import annotations

from pathlib import Path

import dash
from flask import Flask

import callbacks
from data_access.cache import cache
from data_access.engine import make_engine
from layouts.shell import app_shell

from . import api, runtime, scheduler, settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> dash.Dash:
    config = settings.load(overrides)
    server = Flask(__name__)
    server.config.update(config)
    server.extensions[runtime.ENGINE_KEY] = make_engine(
        config["DATABASE_URL"], config["STATEMENT_TIMEOUT_MS"])
    if config["CACHE_REDIS_URL"]:
        cache.init_app(server, config={"CACHE_TYPE": "RedisCache",
                                       "CACHE_REDIS_URL": config["CACHE_REDIS_URL"]})
    else:
        cache.init_app(server, config={"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000})
    server.register_blueprint(api.bp)
    server.extensions["redgrid.scheduler"] = scheduler.start(
        server.extensions[runtime.ENGINE_KEY], config["WARNINGS_EVALUATE_SECONDS"])

    app = dash.Dash(
        __name__, server=server, title="红格指挥舱", update_title=None,
        assets_folder=str(ROOT / "assets"), serve_locally=True,
        suppress_callback_exceptions=True,  # pages are rendered by the router callback
    )
    app.layout = app_shell(config["ALARM_SECONDS"])
    callbacks.register(app)
    return app
