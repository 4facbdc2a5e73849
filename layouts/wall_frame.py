"""The wall's frame: one 1920×1080 canvas per view, every panel on screen at once.

A wall page is the same pieces as the desk page (same component ids, so the same tick
callbacks fill both), arranged by CSS grid areas (assets/wall.css) instead of Bootstrap rows,
with figures re-lettered to be read from five metres. Long lists sit in `autoscroll`
boxes that assets/wall.js scrolls slowly (轮播表): every row is shown over time, none
overflows the canvas.
"""
from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from .shell import updated_badge

# Letter sizes on the 1,080-px canvas (they scale with it to any screen).
FONT = 16
TICK_FONT = 14
TITLE_FONT = 17


def figure(fig: go.Figure, **layout) -> go.Figure:
    """A copy of a desk figure lettered for the wall (the data arrays are shared, so a tick's
    Patch of values fits both). Heights come from the panel, not the figure."""
    wall = go.Figure(fig)
    # Labels inside bars shrink to fit by default: on the wall they are shown at a readable
    # size or not at all (the axis still carries the value).
    wall.update_layout(font={"size": FONT}, height=None, autosize=True, legend={"font": {"size": TICK_FONT}},
                       uniformtext={"minsize": TICK_FONT, "mode": "hide"})
    if not any(t.type in ("choroplethmap", "sankey", "pie") for t in wall.data):
        # Tight margins (the axes make room for their own labels): every category label fits.
        wall.update_layout(margin={"t": 30, "b": 10, "l": 10, "r": 10, "pad": 2})
        wall.update_xaxes(automargin=True)
        wall.update_yaxes(automargin=True)
    wall.update_layout(**layout)
    wall.update_xaxes(tickfont={"size": TICK_FONT}, title_font={"size": TICK_FONT})
    wall.update_yaxes(tickfont={"size": TICK_FONT}, title_font={"size": TICK_FONT})
    for annotation in wall.layout.annotations or ():
        annotation.font = {**(annotation.font.to_plotly_json() if annotation.font else {}), "size": TITLE_FONT}
    _every_category(wall)
    return wall


def _every_category(fig: go.Figure, most: int = 20) -> None:
    """Name every category of a short category axis (plotly drops every other label when it
    thinks they are crowded, leaving bars without a name); long axes (30 days) may thin out."""
    for trace in fig.data:
        for letter in ("x", "y"):
            values = getattr(trace, letter, None)
            if values is None or not len(values) or not all(isinstance(v, str) for v in values):
                continue
            if len(set(values)) <= most:
                axis = (getattr(trace, f"{letter}axis", None) or letter).replace(letter, f"{letter}axis", 1)
                fig.layout[axis].update(dtick=1)


def graph(id_: str, fig: go.Figure, **layout) -> dcc.Graph:
    """A graph that fills its panel (the panel's size comes from the wall's grid)."""
    return dcc.Graph(id=id_, figure=figure(fig, **layout), config={"displayModeBar": False, "staticPlot": False},
                     responsive=True, className="wall-graph", style={"height": "100%", "width": "100%"})


def panel(title, body, area: str, note=None, scroll: bool = False) -> html.Section:
    """One titled panel in grid area `area`; `scroll`: its body is an auto-scrolling list."""
    parts = [html.H3(title, className="wall-panel-title"),
             html.Div(body, className="wall-panel-body" + (" autoscroll" if scroll else ""))]
    if note:
        parts.append(html.Div(note, className="wall-panel-note"))
    return html.Section(parts, className="wall-panel", style={"gridArea": area})


def page(view: str, title: str, updated_id: str, as_of, hidden: list, kpis, panels: list) -> html.Div:
    """The canvas: a head line (title, freshness), the KPI strip (None: the view places its KPIs
    in a panel), then the view's grid."""
    return html.Div([
        *hidden,
        html.Div([html.H2(title, className="wall-title"),
                  html.Div(updated_badge(as_of), id=updated_id, className="wall-updated")],
                 className="wall-head"),
        *([kpis] if kpis is not None else []),
        html.Div(panels, className=f"wall-grid wall-{view}"),
    ], className="wall-page")
