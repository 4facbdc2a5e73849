"""考核评价: one month's assessment of a region's subtree, and the records behind one score.

Not a live snapshot (a month does not change by the second): computed on request and kept for
CACHE_SECONDS per (month, weights version, scope, region) for every screen. The version is part of
the key, so a new version shows at once for the month it applies to.
"""
from __future__ import annotations

import datetime as dt

from data_access import assessment
from data_access.cache import remember
from data_access.scope import resolve

CACHE_SECONDS = 600


def report(engine, scope, code, month_key, now: dt.datetime) -> dict:
    """The month's townships, villages and workers, ranked, with the weights they were scored by."""
    month = assessment.parse_month(month_key, now)
    with engine.connect() as conn:
        weights = assessment.weights_for(conn, month.key)
        region = resolve(conn, scope, code)

    def run():
        with engine.connect() as conn:
            return assessment.assess(conn, scope, region, month, weights)
    return remember(f"assessment#{month.key}#v{weights.version}", scope.code, region.code, now, CACHE_SECONDS, run)


def evidence(engine, scope, kind, ident, indicator, month_key, now: dt.datetime) -> dict:
    month = assessment.parse_month(month_key, now)
    with engine.connect() as conn:
        return assessment.evidence(conn, scope, kind, ident, indicator, month,
                                   assessment.weights_for(conn, month.key))


def weights_panel(engine, month_key, now: dt.datetime) -> dict:
    """The version in force for the month and every version saved."""
    with engine.connect() as conn:
        return {"applied": assessment.weights_for(conn, month_key).plain(),
                "versions": [v.plain() for v in assessment.versions(conn)],
                "current_month": assessment.current_month_key(now)}
