"""The view registry: one declaration per view, as Dash's `register_page` does.

Each view module ends with `VIEW = View(...)`; `callbacks.VIEWS` lists them once. The
router, the navigation, the wall carousel, the refresher's jobs (through the view's
snapshots, `services.SNAPSHOTS`) and the tests' list of views are derived from it.

Why not Dash Pages itself: its router is a server callback of Dash's own (outside the
permission table every callback declares, dashboard/access.py), it calls a layout per
request (our region views render once per snapshot for every screen, `live.cached_page`),
and a layout that refuses a region must become a 4xx page in the frame, not a callback
error. The declaration follows its shape (path, path template, title, order) so that a
later move to it stays small.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dashboard import access
from services import Snapshot


@dataclass(frozen=True)
class View:
    """path: "/incidents"; a path template "/grid/<code>" takes the region from the path
    instead of ?region=. page(code) builds the desk layout, wall_page(code) the wall's (same
    component ids, so the same callbacks serve both); register(app) adds its callbacks."""

    path: str
    title: str
    page: Callable
    register: Callable | None = None
    nav: int | None = None          # order in the navigation bar; None: reached by links only
    carousel: bool = False          # shown by the wall's carousel (?screen=1&rotate=N)
    wall_page: Callable | None = None  # wall_page(code): its 1920×1080 composition (?screen=1)
    permission: str = access.READ   # who may open it (the router refuses others with 403)
    snapshots: tuple[Snapshot, ...] = ()  # its live snapshots (computed by the refresher too)

    @property
    def prefix(self) -> str | None:
        """"/grid/" for "/grid/<code>"; None for a plain path."""
        return self.path.split("<", 1)[0] if "<" in self.path else None

    @property
    def nav_id(self) -> str:
        return f"nav-{self.path.strip('/') or 'overview'}"


def find(views, pathname: str) -> tuple[View | None, str | None]:
    """The view for a path and, for a path template, the region code it carries."""
    for view in views:
        if view.prefix is None and pathname == view.path:
            return view, None
        if view.prefix is not None and pathname.startswith(view.prefix):
            return view, pathname[len(view.prefix):]
    return None, None


def navigation(views) -> list[tuple[str, str, str]]:
    """(path, label, element id) of the navigation bar, in order."""
    return [(v.path, v.title, v.nav_id) for v in sorted((v for v in views if v.nav is not None),
                                                          key=lambda v: v.nav)]


def carousel(views) -> list[str]:
    """The wall's rotation, in navigation order."""
    return [v.path for v in sorted((v for v in views if v.carousel), key=lambda v: (v.nav is None, v.nav or 0))]
