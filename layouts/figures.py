"""Figure builders: data in, plotly figure out. No database, no callbacks."""
from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio

# One template for every figure: transparent backgrounds so the page (light desk or dark wall)
# shows through, and the CJK fonts the viewer's machine has.
pio.templates["redgrid"] = go.layout.Template(pio.templates["plotly_white"])
pio.templates["redgrid"].layout.update(
    paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    font={"family": "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"})
pio.templates.default = "redgrid"

# A map style with nothing to fetch: the polygons are the map. The background is see-through so
# the page's CSS (light desk, dark wall) decides its colour. Its one source is an empty inline
# GeoJSON, not `{}`: the browser drops an empty object from a figure a tick has patched, and
# maplibre then refuses the style ("missing required property sources"), failing every later
# redraw of the map.
# Text on a map (the counts of clustered events) reads our own glyphs, served with the assets
# (deploy/make_glyphs.py): the digits and Latin letters of font stack "RedGrid".
OFFLINE_STYLE = {"version": 8, "layers": [], "glyphs": "/assets/glyphs/{fontstack}/{range}.pbf",
                 "sources": {"blank": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}}}
MAP_FONT = "RedGrid"  # a map trace's textfont family (the stack plotly asks the glyphs of)


def view_of(fc: dict, width: int = 640, height: int = 460):
    """(centre lon, centre lat, zoom) that shows every polygon of `fc` in about width×height px."""
    xs, ys = [], []

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)
    for f in fc.get("features", []):
        walk(f["geometry"]["coordinates"])
    if not xs:
        return 109.6, 23.1, 9.0
    lon_span = max(max(xs) - min(xs), 1e-4)
    lat_span = max(max(ys) - min(ys), 1e-4)
    # Web-mercator zoom that fits the span into width×height px (~640×460 by default), with a margin.
    zoom = min(math.log2(360 * width / 256 / lon_span), math.log2(170 * height / 256 / lat_span)) - 0.35
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(1.0, min(zoom, 17.0))


def region_map(fc: dict, codes: list[str], names: list[str], values: list, label: str, region: str,
               height: int | None = None) -> go.Figure:
    lon, lat, zoom = view_of(fc)
    fig = go.Figure(go.Choroplethmap(
        geojson=fc, locations=codes, z=[0 if v is None else v for v in values],
        featureidkey="id", customdata=codes, text=names,
        colorscale="YlOrRd", marker={"opacity": 0.8, "line": {"width": 1, "color": "#ffffff"}},
        hovertemplate="%{text}<br>" + label + "：%{z}<extra></extra>",
        colorbar={"title": {"text": label}, "thickness": 12},
    ))
    fig.update_layout(
        map={"style": OFFLINE_STYLE,
             "center": {"lon": lon, "lat": lat}, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=height,
        paper_bgcolor="rgba(0,0,0,0)", uirevision=region,  # keep the user's pan/zoom across ticks, reset on drill-down
    )
    return fig


def daily_bars(days: list[str], bars: list, line: list, bar_name: str, line_name: str,
               height: int | None = None) -> go.Figure:
    """Bars for what came in per day, a line for what was done (trend panels).

    The x labels are categories, whatever they look like: left to guess, plotly reads
    "MM-DD" labels such as "12-01" as dates ("YY-MM", year 2012) and the axis shows
    "Jan 2012 … Jul 2012"."""
    fig = go.Figure([
        go.Bar(x=days, y=bars, name=bar_name, marker_color="#b91c1c", opacity=0.85),
        go.Scatter(x=days, y=line, name=line_name, mode="lines+markers", line={"color": "#0ea5e9", "width": 3}),
    ])
    fig.update_layout(height=height, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                      legend={"orientation": "h", "y": 1.12}, bargap=0.3, xaxis={"type": "category"})
    return fig
