"""The incident ticker: the newest incidents of a subtree, as known at now."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.engine import Connection

from . import quality
from .privacy import mask_text
from .schema import incident, region
from .scope import Scope, in_region, resolve
from .vocabulary import SOURCE_NAMES

# Look back this far first, then the whole window: a city has ~200 incidents in 6 h, and
# reading its 3 days (12,500 rows, sorted for 15) made the ticker 5x slower on PostgreSQL.
WINDOWS = (dt.timedelta(hours=6), dt.timedelta(days=3))


def latest(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
           limit: int = 15) -> list[dict]:
    """Newest first (within 3 days). Shared by every screen on this region (via the snapshot)."""
    r = resolve(conn, scope, code)
    for window in WINDOWS:
        rows = _newest(conn, r, now, window, limit)
        if len(rows) >= limit:
            break
    return [{"id": row.id, "reported_at": row.reported_at.isoformat(), "source": SOURCE_NAMES.get(row.source, row.source),
             "category": row.category, "severity": row.severity, "title": mask_text(row.title),
             "place": f"{row.township or ''}{row.village or ''}"} for row in rows]


def _newest(conn: Connection, r, now: dt.datetime, window: dt.timedelta, limit: int) -> list:
    joined, located = in_region(incident, r)
    town = region.alias("town")
    village = region.alias("village")
    return conn.execute(
        select(incident.c.id, incident.c.reported_at, incident.c.source, incident.c.category,
               incident.c.severity, incident.c.title, town.c.name.label("township"),
               village.c.name.label("village"))
        .select_from(joined.outerjoin(town, town.c.code == incident.c.township_code)
                     .outerjoin(village, village.c.code == incident.c.village_code))
        .where(located, quality.incident_ok(now),
               incident.c.reported_at >= now - window)
        .order_by(incident.c.reported_at.desc(), incident.c.id.desc()).limit(limit)).all()
