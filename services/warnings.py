"""预警研判 on the wall: the board of a region's warnings (levels, children, ages, days, the
desk's speed) and the open queue's first rows, one snapshot for every screen."""
from __future__ import annotations

from data_access import privacy, regions, warning_board, warnings

from .snapshot import Snapshot

QUEUE_ROWS = 60  # the wall's scrolling queue; the counts cover every open warning


def compute(conn, scope, region, now) -> dict:
    queue = warnings.open_warnings(conn, scope, region, now, limit=QUEUE_ROWS)
    return {"board": warning_board.board(conn, scope, region, now),
            "children": [{"code": c.code, "name": c.name} for c in regions.children(conn, scope, region)],
            # The wall is a public room: the reason is masked again whatever the rule wrote.
            "queue": [{**{k: w.get(k) for k in ("id", "level", "rule", "region", "region_name", "status",
                                                "created_at", "escalated_to")},
                       "reason": privacy.mask_text(w.get("reason") or "")} for w in queue]}


SNAPSHOT = Snapshot("warnings", compute)
