"""Tick updates of figures already on screen: new values only, as a Dash Patch.

One way for every view: the layout modules give {"traces": [{key: value}], "layout": {...}}
(nested dicts for nested properties) and `values_patch` turns it into a Patch."""
from __future__ import annotations

from dash import Patch


def values_patch(values: dict) -> Patch:
    """Only data arrays (and the few layout values that move) go back on a tick: styling,
    axes and hover text stay in the browser."""
    patch = Patch()
    for i, trace in enumerate(values.get("traces", ())):
        _assign(patch["data"][i], trace)
    # A tick never resizes a figure: the page sized it (the wall's panels size theirs).
    _assign(patch["layout"], {k: v for k, v in values.get("layout", {}).items() if k not in ("height", "width")})
    return patch


def _assign(target, values: dict) -> None:
    # Leaf by leaf: assigning a whole dict (a Sankey's node) would drop its styling.
    for key, value in values.items():
        if isinstance(value, dict):
            _assign(target[key], value)
        else:
            target[key] = value
