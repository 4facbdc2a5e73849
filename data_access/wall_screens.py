"""Send to the wall (投屏, issue #13): which view and region each named wall screen shows.

A wall screen is a kiosk token (`kiosk_token`: its name is the screen's name, its scope the
region it is bound to). `assign` records what a screen is to show (`wall_assignment`, one row
per screen, so the assignment outlives reloads and restarts); the screen reads it with
`current` on its own tick and follows.

Scope: a caller sees and assigns only screens bound inside its jurisdiction, and only regions
inside both its jurisdiction and the screen's. A screen outside is answered exactly like one
that does not exist. Which paths may be sent is the caller's to say (`paths`, from the view
registry): data_access knows no views.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from .schema import kiosk_token, region, wall_assignment
from .scope import NotInScope, Region, RegionError, Scope, level_column, lookup, resolve, unknown

ROTATE_MIN, ROTATE_MAX = 5, 3600  # seconds per view (assets/redgrid.js turns its carousel in this range)
PLAYLIST_MAX = 12
GRID = "grid"  # the level a path template's region must have ("/grid/<code>")


class WallRefused(RegionError):
    """An assignment that cannot be made as asked (a bad view, carousel or region for the screen)."""

    status = 400


def _screen_unknown(kiosk_id) -> NotInScope:
    return NotInScope(unknown("大屏", kiosk_id))


def _positive_int(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        return None
    return value


def screens(conn: Connection, scope: Scope) -> list[dict]:
    """The active screens bound inside the scope, with their current assignment (or None)."""
    bound, shown = region.alias("bound"), region.alias("shown")
    rows = conn.execute(
        select(kiosk_token.c.id, kiosk_token.c.name, kiosk_token.c.scope_code, bound.c.name.label("scope_name"),
               wall_assignment.c.path, wall_assignment.c.region_code, wall_assignment.c.rotate,
               wall_assignment.c.playlist, wall_assignment.c.assigned_by, wall_assignment.c.assigned_at,
               wall_assignment.c.version, shown.c.name.label("region_name"))
        .select_from(kiosk_token.join(bound, bound.c.code == kiosk_token.c.scope_code)
                     .outerjoin(wall_assignment, wall_assignment.c.kiosk_id == kiosk_token.c.id)
                     .outerjoin(shown, shown.c.code == wall_assignment.c.region_code))
        .where(kiosk_token.c.active.is_(True), level_column(bound, scope.level) == scope.code)
        .order_by(kiosk_token.c.name, kiosk_token.c.id)).all()
    return [{"id": r.id, "name": r.name, "scope_code": r.scope_code, "scope_name": r.scope_name,
             "assignment": {**_assignment(r), "region_name": r.region_name} if r.path is not None else None}
            for r in rows]


def _assignment(r) -> dict:
    return {"path": r.path, "region_code": r.region_code, "rotate": r.rotate,
            "playlist": r.playlist.split(",") if r.playlist else None,
            "assigned_by": r.assigned_by, "assigned_at": r.assigned_at, "version": r.version}


def screen(conn: Connection, scope: Scope, kiosk_id) -> tuple[object, Region]:
    """An active screen bound inside the scope, and the region it is bound to; NotInScope
    (worded as "does not exist") otherwise."""
    kid = _positive_int(kiosk_id)
    if kid is None:
        raise WallRefused("请选择一块大屏")
    row = conn.execute(select(kiosk_token).where(kiosk_token.c.id == kid, kiosk_token.c.active.is_(True))).first()
    if row is None:
        raise _screen_unknown(kid)
    try:
        bound = lookup(conn, row.scope_code)
    except RegionError:
        raise _screen_unknown(kid) from None
    if not scope.contains(bound):
        raise _screen_unknown(kid)
    return row, bound


def _check_view(path, level: str, paths: dict[str, bool]) -> str:
    """`paths`: every path that may be sent → whether it is a template taking a grid's code."""
    if not isinstance(path, str) or path not in paths:
        raise WallRefused("请选择可投屏的页面")
    if paths[path] != (level == GRID):
        raise WallRefused("一格一档只能投放网格；其他页面请选择网格以上的区划" if paths[path]
                          else "该页面不能显示单个网格，请选择网格以上的区划或“一格一档”")
    return path


def assign(conn: Connection, scope: Scope, kiosk_id, path, region_code, rotate, playlist,
           actor: str, now: dt.datetime, paths: dict[str, bool]) -> dict:
    """Send `path` for `region_code` to a screen (or a carousel: `rotate` seconds per view,
    through `playlist` if given, else the wall's own carousel). Checks, in order: the screen is
    bound inside the caller's scope; the region is inside the caller's scope and the screen's;
    the view may be sent; the carousel is sane. Returns the assignment as stored."""
    row, bound = screen(conn, scope, kiosk_id)
    # No region: the screen's own. Anything else is checked (digits only, inside the caller's scope).
    target = resolve(conn, scope, bound.code if region_code in (None, "") else region_code)
    if not Scope(bound.code, bound.level).contains(target):
        raise WallRefused(f"区划“{target.name}”不在大屏“{row.name}”的范围（{bound.name}）内")
    path = _check_view(path, target.level, paths)
    if rotate is not None:
        if _positive_int(rotate) is None or not ROTATE_MIN <= rotate <= ROTATE_MAX:
            raise WallRefused(f"轮播间隔应为 {ROTATE_MIN}–{ROTATE_MAX} 秒的整数")
    if paths[path] and (rotate is not None or playlist):
        raise WallRefused("一格一档不能轮播")
    listed = None
    if playlist:
        if rotate is None:
            raise WallRefused("轮播列表需要填写轮播间隔")
        if not isinstance(playlist, (list, tuple)) or len(playlist) > PLAYLIST_MAX:
            raise WallRefused(f"轮播列表最多 {PLAYLIST_MAX} 个页面")
        listed = [_check_view(p, target.level, paths) for p in playlist]
        if path not in listed:
            listed.insert(0, path)
    values = {"path": path, "region_code": target.code, "rotate": rotate,
              "playlist": ",".join(listed) if listed else None, "assigned_by": actor[:64], "assigned_at": now}
    version = conn.execute(select(wall_assignment.c.version).where(wall_assignment.c.kiosk_id == row.id)).scalar()
    if version is None:
        conn.execute(insert(wall_assignment).values(kiosk_id=row.id, version=1, **values))
    else:
        done = conn.execute(update(wall_assignment).where(and_(wall_assignment.c.kiosk_id == row.id,
                                                               wall_assignment.c.version == version))
                            .values(version=version + 1, **values)).rowcount
        if done != 1:
            raise WallRefused(f"大屏“{row.name}”刚被他人调整，请刷新后重试")
    return {"screen": row.name, "screen_id": row.id, "region_name": target.name,
            **values, "playlist": listed, "version": (version or 0) + 1}


def current(conn: Connection, kiosk_id: int) -> dict | None:
    """What an active screen is to show (None: nothing assigned, it keeps its own URL)."""
    r = conn.execute(select(wall_assignment).join(kiosk_token, kiosk_token.c.id == wall_assignment.c.kiosk_id)
                     .where(wall_assignment.c.kiosk_id == kiosk_id, kiosk_token.c.active.is_(True))).first()
    return _assignment(r) if r is not None else None
