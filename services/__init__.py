"""Services: what each view shows, computed from data_access as plain data.

A service's compute takes a connection, the caller's scope, a `Region` resolved
once at the edge (callbacks or the refresher) and a moment, and returns plain
values (dicts, lists, numbers, text) that any cache can hold and any layout can
draw. Each live snapshot is declared once (`Snapshot`): its cache kind, its
compute and the setting that sets its bucket length. The web workers and the
refresher process (`python -m dashboard refresher`) both read `SNAPSHOTS`;
nothing registers itself on import.

Services import data_access only (tests/test_imports.py checks it).
"""
from __future__ import annotations

from . import grid, incidents, opinion, overview, patrols, smart_map, warnings
from .snapshot import Snapshot

SNAPSHOTS: dict[str, Snapshot] = {s.kind: s for s in (
    overview.SNAPSHOT, incidents.SNAPSHOT, patrols.SNAPSHOT, patrols.WORKERS, opinion.SNAPSHOT, grid.SNAPSHOT,
    warnings.SNAPSHOT, smart_map.SNAPSHOT)}

__all__ = ["SNAPSHOTS", "Snapshot"]
