"""The children ranking every view shows: one link per child, one level down the same view."""
from __future__ import annotations

from typing import Callable

import dash_bootstrap_components as dbc
from dash import dcc, html


def child_href(path: str, child: dict) -> str:
    """The same view one level down; a grid opens its profile (一格一档)."""
    return f"/grid/{child['code']}" if child["level"] == "grid" else f"{path}?region={child['code']}"


def ranking_table(children: list[dict], path: str, id_prefix: str,
                  columns: list[tuple[str, Callable[[dict], object]]], sort_key: Callable[[dict], tuple],
                  alarming: Callable[[dict], set[str]] = lambda c: set(), numbered: bool = False):
    """columns: (header, cell(child)); alarming(child) names the headers to show in red."""
    if not children:
        return html.P("网格为最小单元，无下级区域。", className="text-muted p-2 mb-0", id=f"{id_prefix}no-children")
    head = html.Thead(html.Tr(([html.Th("#")] if numbered else []) + [html.Th("下级区域")] +
                              [html.Th(h) for h, _ in columns]))
    rows = []
    for i, c in enumerate(sorted(children, key=sort_key), 1):
        red = alarming(c)
        rows.append(html.Tr(([html.Td(i)] if numbered else []) + [
            html.Td(dcc.Link(c["name"], href=child_href(path, c), id=f"{id_prefix}{c['code']}"))] + [
            html.Td(cell(c), className="text-danger fw-bold" if h in red else None) for h, cell in columns]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, striped=True,
                     className="mb-0 children-table")
