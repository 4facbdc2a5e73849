"""What a first Dash app would do per request: read the raw rows the view shows into pandas
and compute its figures there (no rollups, no shared snapshot, no cache).

Used only as the yardstick of benchmarks/view_speed.py. It reads the same windows as
the views (today, 7, 30 and 35 days, the open incidents, 30 days of patrols, every
key person and their visits) for the region's subtree and counts with the same rules
in spirit; the numbers are not the views' to the last row (no duplicate check), only
the work is comparable.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text

SH = "Asia/Shanghai"


def _where(level: str) -> str:
    return "1=1" if level == "city" else f"{level}_code = :code"


def _read(conn, sql: str, params: dict, times=()) -> pd.DataFrame:
    df = pd.read_sql(text(sql), conn, params=params)
    for col in times:
        df[col] = pd.to_datetime(df[col], utc=True, format="mixed")
    return df


def _p(conn, now: dt.datetime, code: str, days: int) -> dict:
    since = now - dt.timedelta(days=days)
    if conn.dialect.name == "sqlite":
        return {"code": code, "since": since.strftime("%Y-%m-%d %H:%M:%S"), "now": now.strftime("%Y-%m-%d %H:%M:%S")}
    return {"code": code, "since": since, "now": now}


def _child(level: str) -> str:
    return {"city": "county_code", "county": "township_code", "township": "village_code"}.get(level, "grid_code")


def overview(conn, level: str, code: str, now: dt.datetime) -> dict:
    w = _where(level)
    day0 = pd.Timestamp(now).tz_convert(SH).normalize().tz_convert("UTC")
    inc = _read(conn, f"SELECT * FROM incident WHERE {w} AND reported_at >= :since AND reported_at <= :now",
                _p(conn, now, code, 7), ("reported_at", "closed_at", "sla_due_at"))
    open_ = _read(conn, f"SELECT * FROM incident WHERE {w} AND closed_at IS NULL", _p(conn, now, code, 0),
                  ("reported_at", "sla_due_at"))
    pat = _read(conn, f"SELECT grid_code, county_code, township_code, village_code, started_at FROM patrol "
                f"WHERE {w} AND started_at >= :since AND started_at <= :now", _p(conn, now, code, 1), ("started_at",))
    app = _read(conn, f"SELECT * FROM appeal WHERE {w} AND received_at >= :since AND received_at <= :now",
                _p(conn, now, code, 35), ("received_at",))
    kp = _read(conn, f"SELECT id, visit_interval_days, county_code, township_code, village_code, grid_code "
               f"FROM key_person WHERE {w}", _p(conn, now, code, 0))
    vis = _read(conn, "SELECT key_person_id, visited_at FROM visit WHERE visited_at >= :since AND visited_at <= :now",
                _p(conn, now, code, 90), ("visited_at",))
    today = inc[inc.reported_at >= day0]
    pat_today = pat[pat.started_at >= day0]
    last = vis.groupby("key_person_id").visited_at.max()
    kp["last"] = kp.id.map(last)
    kp["on_time"] = kp["last"] >= pd.Timestamp(now) - pd.to_timedelta(kp.visit_interval_days, unit="D")
    week = app[app.received_at >= pd.Timestamp(now) - pd.Timedelta(days=7)]
    child = _child(level)
    return {
        "incidents_today": len(today), "open": len(open_),
        "overdue": int((open_.sla_due_at < pd.Timestamp(now)).sum()),
        "patrol_grids": pat_today.grid_code.nunique(), "on_time": int(kp.on_time.sum()),
        "appeals_7d": len(week), "satisfaction": app.satisfaction.mean(),
        "children": today.groupby(child).size().to_dict(),
        "trend": inc.groupby(inc.reported_at.dt.tz_convert(SH).dt.date).size().to_dict(),
    }


def incidents(conn, level: str, code: str, now: dt.datetime) -> dict:
    w = _where(level)
    inc = _read(conn, f"SELECT * FROM incident WHERE {w} AND reported_at >= :since AND reported_at <= :now",
                _p(conn, now, code, 30), ("reported_at", "dispatched_at", "arrived_at", "closed_at", "sla_due_at"))
    t = pd.Timestamp(now)
    week = inc[inc.reported_at >= t - pd.Timedelta(days=7)]
    flows = week.groupby(["source", "category", "handling_level", "status"]).size()
    resp = inc.dropna(subset=["dispatched_at", "arrived_at"])
    minutes = (resp.arrived_at - resp.dispatched_at).dt.total_seconds() / 60
    depts = minutes.groupby(resp.department).quantile([0.5, 0.9])
    overdue = inc[(inc.closed_at.isna()) & (inc.sla_due_at < t)].sort_values("sla_due_at").head(200)
    day = inc.reported_at.dt.tz_convert(SH).dt.date
    trend = inc.groupby(day).agg(reported=("id", "size"), closed=("closed_at", "count"))
    return {"flows": len(flows), "depts": len(depts), "overdue": len(overdue), "trend": len(trend),
            "children": inc.groupby(_child(level)).size().to_dict()}


def patrols(conn, level: str, code: str, now: dt.datetime) -> dict:
    w = _where(level)
    pat = _read(conn, f"SELECT grid_code, county_code, township_code, village_code, started_at FROM patrol "
                f"WHERE {w} AND started_at >= :since AND started_at <= :now", _p(conn, now, code, 30), ("started_at",))
    grids = _read(conn, f"SELECT code, county_code, township_code, village_code FROM region WHERE level = 'grid' "
                  f"AND {'1=1' if level == 'city' else level + '_code = :code'}", {"code": code})
    last = pat.groupby("grid_code").started_at.max()
    grids["last"] = grids.code.map(last)
    hours = (pd.Timestamp(now) - grids["last"]).dt.total_seconds() / 3600
    blind = grids[hours.isna() | (hours >= 72)]
    kp = _read(conn, f"SELECT id, category, visit_interval_days FROM key_person WHERE {w}", {"code": code})
    vis = _read(conn, "SELECT key_person_id, visited_at FROM visit WHERE visited_at <= :now",
                _p(conn, now, code, 0), ("visited_at",))
    kp["last"] = kp.id.map(vis.groupby("key_person_id").visited_at.max())
    return {"blind": len(blind), "median_hours": hours.median(),
            "by_category": kp.groupby("category").size().to_dict()}


VIEWS = {"overview": overview, "incidents": incidents, "patrols": patrols}
