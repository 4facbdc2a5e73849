"""An independent reading of docs/metrics.md: raw rows into pandas, counted by the book.

Deliberately written apart from data_access (no shared code) so the two can disagree.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text

SH = "Asia/Shanghai"
TIME_COLS = {"incident": ["reported_at", "dispatched_at", "arrived_at", "closed_at", "sla_due_at"],
             "patrol": ["started_at", "ended_at"], "appeal": ["received_at", "resolved_at"],
             "visit": ["visited_at"]}


def table(conn, name: str) -> pd.DataFrame:
    df = pd.read_sql(text("SELECT * FROM " + name), conn)
    for col in TIME_COLS.get(name, []):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df


def grids(conn) -> pd.DataFrame:
    return pd.read_sql(text("SELECT code, city_code, county_code, township_code, village_code "
                            "FROM region WHERE level = 'grid'"), conn)


def located(df: pd.DataFrame, g: pd.DataFrame, level: str, code: str) -> pd.DataFrame:
    """Rows whose grid exists with the same ancestors, inside region `code` of `level`."""
    m = df.merge(g, left_on=["grid_code", "village_code", "township_code", "county_code"],
                 right_on=["code", "village_code", "township_code", "county_code"], how="inner")
    col = "code" if level == "grid" else f"{level}_code"
    return m[m[col] == code]


def summary(conn, level: str, code: str, now: dt.datetime) -> dict:
    now = pd.Timestamp(now)
    start = now.tz_convert(SH).normalize().tz_convert("UTC")
    g = grids(conn)
    inc = located(table(conn, "incident"), g, level, code)
    inc = inc[inc.reported_at.notna() & (inc.reported_at <= now)]
    inc = inc[~(inc.closed_at.notna() & (inc.closed_at < inc.reported_at))]
    # The same source record twice counts once: keep the lowest id (over all rows, like the source system).
    allinc = table(conn, "incident").sort_values("id")
    first = allinc.drop_duplicates(["source", "source_ref"], keep="first").id
    inc = inc[inc.id.isin(first)]
    closed = inc.closed_at.notna() & (inc.closed_at <= now)
    today = inc[inc.reported_at >= start]
    open_ = inc[~closed]
    pat = located(table(conn, "patrol"), g, level, code)
    pat = pat[pat.started_at.notna() & (pat.started_at <= now) & (pat.started_at >= start)]
    pat = pat[~(pat.ended_at.notna() & (pat.ended_at < pat.started_at))]
    ngrids = len(g[(g["code"] if level == "grid" else g[f"{level}_code"]) == code])
    app = located(table(conn, "appeal"), g, level, code)
    app = app[app.received_at.notna() & (app.received_at <= now)]
    app = app[~(app.resolved_at.notna() & (app.resolved_at < app.received_at))]
    app_today = app[app.received_at >= start]
    rated = app_today[app_today.sentiment.notna()]
    month = app[app.received_at >= now - pd.Timedelta(days=30)]
    kp = located(table(conn, "key_person"), g, level, code)
    vis = table(conn, "visit")
    last = vis[vis.visited_at <= now].groupby("key_person_id").visited_at.max()
    kp = kp.assign(last=kp.id.map(last))
    on_time = (kp["last"].notna() & (kp["last"] >= now - pd.to_timedelta(kp.visit_interval_days, unit="D"))).sum()
    sat = month.satisfaction.dropna()
    return {
        "incidents_today": len(today),
        "closed_today": int((closed & (inc.closed_at >= start)).sum()),
        "clearance_rate_today": round(closed[today.index].sum() / len(today), 4) if len(today) else None,
        "open_incidents": len(open_),
        "overdue_incidents": int((open_.sla_due_at < now).sum()),
        "patrol_coverage_today": round(pat.grid_code.nunique() / ngrids, 4) if ngrids else None,
        "visit_on_time_rate": round(on_time / len(kp), 4) if len(kp) else None,
        "appeals_today": len(app_today),
        "negative_share_today": round((rated.sentiment < 0).sum() / len(rated), 4) if len(rated) else None,
        "satisfaction_30d": round(float(sat.mean()), 2) if len(sat) else None,
    }
