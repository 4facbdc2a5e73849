"""JSON routes: /healthz and /api/v1/…"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from data_access import DatabaseError, RegionError, health, metrics, warnings
from data_access.cache import cache, remember
from data_access.schema import OPEN_WARNING_STATUSES, WARNING_STATUSES

from . import access, fallback_cache, runtime

bp = Blueprint("api", __name__)


@bp.get("/healthz")
@access.route(access.PUBLIC)
def healthz():
    now = runtime.now()
    body = {"status": "ok", "now": now.isoformat(), **health.check(runtime.engine(), now),
            **fallback_cache.status(cache)}
    if body["database"] != "ok" or body.get("cache_down_since"):
        body["status"] = "degraded"
    return jsonify(body), 200 if body["database"] == "ok" else 503


@bp.get("/api/v1/summary")
@access.route(access.READ)
def summary():
    code = request.args.get("region") or None  # none: the caller's whole jurisdiction
    now = runtime.now()
    try:
        scope = runtime.scope()
        with runtime.engine().connect() as conn:
            data = remember("summary", scope.code, code, now, runtime.setting("REFRESH_SECONDS"),
                            lambda: metrics.summary(conn, scope, code, now))
    except RegionError as exc:
        return jsonify({"error": str(exc)}), exc.status
    except DatabaseError:
        return jsonify({"error": "数据库暂时不可用"}), 503
    body = {k: data[k] for k in metrics.KEYS}
    body.update({"region": code, "as_of": now.isoformat(), "barometer": data["barometer"]})
    return jsonify(body)


@bp.get("/api/v1/warnings")
@access.route(access.READ)
def warning_list():
    """Warnings in the region's subtree: status=open (default), all, or one status."""
    code = request.args.get("region") or None  # none: the caller's whole jurisdiction
    status = request.args.get("status") or "open"
    statuses = {"open": OPEN_WARNING_STATUSES, "all": WARNING_STATUSES}.get(
        status, (status,) if status in WARNING_STATUSES else None)
    if statuses is None:
        return jsonify({"error": "status 应为 open、all 或 " + "、".join(WARNING_STATUSES)}), 400
    now = runtime.now()
    try:
        scope = runtime.scope()
        with runtime.engine().connect() as conn:
            rows = warnings.list_warnings(conn, scope, code, now, statuses)
    except RegionError as exc:
        return jsonify({"error": str(exc)}), exc.status
    except DatabaseError:
        return jsonify({"error": "数据库暂时不可用"}), 503
    keys = ("id", "level", "rule", "region", "region_name", "subject", "reason", "status", "created_at")
    return jsonify([{k: w[k] for k in keys} for w in rows])
