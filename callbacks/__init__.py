"""Thin callbacks: parse and check inputs, ask services or data_access, hand to layouts.

`VIEWS` is the registry (callbacks/views.py): adding a view is a service module, a layout
module, a view module ending in `VIEW = View(...)`, and its line here."""
from . import admin, assessment, briefing, grid, handover, incidents, opinion, overview, patrols, router, wall, warnings

VIEWS = (overview.VIEW, incidents.VIEW, patrols.VIEW, opinion.VIEW, warnings.VIEW, handover.VIEW, assessment.VIEW,
         briefing.VIEW, grid.VIEW, admin.VIEW, wall.VIEW)


def register(app) -> None:
    router.register(app, VIEWS)
    for view in VIEWS:
        if view.register is not None:
            view.register(app)
