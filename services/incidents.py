"""事件流转: KPIs, flows by source and category, overdue list, departments, 30-day trend."""
from __future__ import annotations

from data_access import incidents
from data_access.cache import remember
from data_access.timeutil import local_day

from .snapshot import Snapshot

# The 30-day figures (daily trend, department response times) cost most of a city-level
# compute and move slowly: they are recomputed every SLOW_SECONDS, not every tick; the
# trend's today point still comes live from the KPIs.
SLOW_SECONDS = 300


def compute(conn, scope, region, now) -> dict:
    kpis, children = incidents.kpis_and_children(conn, scope, region, now)

    def slow():
        return {"trend": incidents.daily_trend(conn, scope, region, now),
                "departments": incidents.response_times(conn, scope, region, now)}
    # The local day in the key: the 30-day window moves at midnight, not at a bucket edge.
    month = remember(f"incidents-30d-{local_day(now)}", scope.code, region.code, now, SLOW_SECONDS, slow)
    return {"kpis": kpis,
            "flows": incidents.flows(conn, scope, region, now),
            "overdue": incidents.overdue(conn, scope, region, now),
            "children": children,
            "trend": incidents.with_today(month["trend"], kpis, now),
            "departments": month["departments"]}


SNAPSHOT = Snapshot("incidents", compute)
