"""Scope: the region subtree a caller may read, checked before any query runs.

Every public query in data_access takes a `Scope` and a region: a code, which is
validated, looked up, and checked to lie inside the scope, or a `Region` the
caller resolved once (checked against the scope without a query); fact rows are then
filtered in SQL by joining their grid to the region tree (`located`), which at
once drops rows whose grid is unknown or whose ancestor codes disagree with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from .schema import LEVELS, region

CODE_PATTERN = re.compile(r"^[0-9]{6}(?:[0-9]{3}){0,3}$")  # ASCII digits only (no full-width)
CHILD_LEVEL = dict(zip(LEVELS, LEVELS[1:]))


class RegionError(Exception):
    """A region code the caller may not use; `status` is the HTTP answer."""

    status = 400


class BadRegionCode(RegionError):
    status = 400


class RegionNotFound(RegionError):
    status = 404


class OutOfScope(RegionError):
    status = 403


class NotInScope(OutOfScope):
    """A region, warning or person outside the caller's jurisdiction: answered exactly like one
    that does not exist (same message, same status), so a refusal tells nothing of where it lies."""

    status = 404


def unknown(what: str, ident) -> str:
    """The one refusal text for "does not exist" and "not yours"."""
    return f"{what} {str(ident)[:40]} 不存在或无权查看"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    city_code: str | None
    county_code: str | None
    township_code: str | None
    village_code: str | None
    is_urban: bool
    population: int | None
    households: int | None
    enterprises: int | None
    lon: float | None
    lat: float | None

    @property
    def child_level(self) -> str | None:
        return CHILD_LEVEL.get(self.level)

    def ancestor(self, level: str) -> str | None:
        if level == "grid":
            return self.code if self.level == "grid" else None
        return getattr(self, f"{level}_code")


@dataclass(frozen=True)
class Scope:
    """The root of the subtree a caller may read (its code and level)."""

    code: str
    level: str

    def contains(self, r: Region) -> bool:
        return r.ancestor(self.level) == self.code


REGION_COLUMNS = [region.c[f] for f in Region.__dataclass_fields__]


def check_code(code: object) -> str:
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise BadRegionCode("区划代码格式错误：应为 6、9、12 或 15 位数字")
    return code


def lookup(conn: Connection, code: str) -> Region:
    row = conn.execute(select(*REGION_COLUMNS).where(region.c.code == check_code(code))).first()
    if row is None:
        raise RegionNotFound(unknown("区划", code))
    return Region(**row._mapping)


def scope_of(conn: Connection, code: str) -> Scope:
    r = lookup(conn, code)
    return Scope(r.code, r.level)


def resolve(conn: Connection, scope: Scope, code: str | Region | None) -> Region:
    """The region to show: defaults to the scope root; refuses anything outside it.

    A `Region` already resolved at the edge (services) comes back as it is, checked against
    the scope without a query: a region is looked up once per request, not once per function."""
    if isinstance(code, Region):
        if not scope.contains(code):
            raise NotInScope(unknown("区划", code.code))
        return code
    r = lookup(conn, scope.code if code in (None, "") else code)
    if not scope.contains(r):
        raise NotInScope(unknown("区划", r.code))
    return r


def in_region(table, r: Region):
    """Join and filter that keep the fact rows of `table` located inside region `r`."""
    g = region.alias("g")
    on = and_(
        g.c.code == table.c.grid_code,
        g.c.level == "grid",
        g.c.village_code == table.c.village_code,
        g.c.township_code == table.c.township_code,
        g.c.county_code == table.c.county_code,
    )
    conds = [level_column(g, r.level) == r.code]
    if r.level != "city":
        # Same test on the fact's own column so the planner can use its index.
        conds.append(table.c[f"{r.level}_code"] == r.code)
    return table.join(g, on), and_(*conds)


def level_column(region_table, level: str):
    """The region-table column holding each row's ancestor code at `level`."""
    return region_table.c.code if level == "grid" else region_table.c[f"{level}_code"]


def child_column(table, r: Region):
    """The fact column naming each row's child of `r` (None at grid level)."""
    return table.c[f"{r.child_level}_code"] if r.child_level else None
