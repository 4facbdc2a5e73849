"""The declaration of one live snapshot."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Callable

from data_access import RegionNotFound, cache, regions


@dataclass(frozen=True)
class Snapshot:
    """What a view's screens read: one value per (scope, region, time bucket) for every screen.

    `compute(conn, scope, region, now)` returns a dict of plain values; `period` names the
    setting whose seconds are the bucket length; `grid_only` refuses regions that are no grid."""

    kind: str
    compute: Callable
    period: str = "REFRESH_SECONDS"
    grid_only: bool = False


def signature(snap: dict) -> str:
    """A short hash of a snapshot's values (its time left out): equal values, equal signature."""
    body = json.dumps({k: v for k, v in snap.items() if k != "as_of"}, sort_keys=True, default=str)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def compute_entry(snapshot: Snapshot, engine, scope, code: str | None, now: dt.datetime, seconds: int) -> dict:
    """This bucket's entry {"snap", "sig"}: the region resolved once at this edge, then the service.
    The signature and the time are also kept alone under their own key ({kind}#sig: [sig, as_of]),
    so a tick reads a few bytes, not the snapshot. Web workers and the refresher both call this."""
    with engine.connect() as conn:
        region = regions.get(conn, scope, code)
        if snapshot.grid_only and region.level != "grid":  # the 一格一档 view is for grids only
            raise RegionNotFound(f"{region.code} 不是网格")
        snap = {**snapshot.compute(conn, scope, region, now), "as_of": now}
    entry = {"snap": snap, "sig": signature(snap)}
    cache.put(f"{snapshot.kind}#sig", scope.code, code, now, seconds, [entry["sig"], now.isoformat()])
    return entry
