"""总览: headline KPIs, the children's map values, the 7-day trend and the ticker."""
from __future__ import annotations

from data_access import incidents, metrics, ticker
from data_access.cache import remember
from data_access.timeutil import local_day

from .snapshot import Snapshot


def compute(conn, scope, region, now) -> dict:
    summary, children = metrics.summary_and_children(conn, scope, region, now)
    # Past days no longer change: recomputed at most hourly with the incident view's own
    # trend function; today's point comes live from the summary.
    today = local_day(now).isoformat()
    month = remember(f"trend7-{today}", scope.code, region.code, now, 3600,
                     lambda: incidents.daily_trend(conn, scope, region, now, days=7))
    past = [{"day": d["day"], "reported": d["reported"], "closed": d["closed"]}
            for d in month if d["day"] < today][-6:]
    return {"summary": summary, "children": children,
            "trend": past + [{"day": today, "reported": summary["incidents_today"],
                              "closed": summary["closed_today"]}],
            "ticker": ticker.latest(conn, scope, region, now)}


SNAPSHOT = Snapshot("overview", compute)
