"""Thin callbacks: parse and check inputs, ask data_access, hand to layouts."""
from . import admin, grid, incidents, opinion, overview, patrols, router, warnings
from . import briefing


def register(app) -> None:
    for module in (router, overview, incidents, patrols, opinion, grid, warnings, admin):
        module.register(app)
    briefing.register(app)
