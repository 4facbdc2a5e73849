"""Thin callbacks: parse and check inputs, ask services or data_access, hand to layouts.

`VIEWS` is the registry (callbacks/views.py): adding a view is a service module, a layout
module, a view module ending in `VIEW = View(...)`, and its line here."""
from . import (admin, assessment, briefing, files, grid, handover, incidents, opinion, overview, patrols, router,
               smart_map, wall, warnings)

VIEWS = (overview.VIEW, incidents.VIEW, patrols.VIEW, opinion.VIEW, smart_map.VIEW, warnings.VIEW, handover.VIEW,
         assessment.VIEW, briefing.VIEW, grid.VIEW, admin.VIEW, wall.VIEW)
# Files of one record (一户一档 · 一人一档 · 一企一档): the path carries a record's id, not a region
# code, so they are routed like the views but are not views of a region (no navigation, no wall).
FILES = (files.HOUSEHOLD, files.PERSON, files.ENTERPRISE)


def register(app) -> None:
    router.register(app, VIEWS + FILES)
    for view in VIEWS + FILES:
        if view.register is not None:
            view.register(app)
