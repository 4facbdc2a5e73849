"""Headline KPI cards. Every card carries id="kpi-<key>" and an exact value in its title."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from data_access.vocabulary import BAROMETER_LABELS, HEADLINE, KPI_KEYS, KPI_LABELS

from . import fmt

# key -> (formatter, icon); the keys and their labels are the vocabulary's (data_access/vocabulary.py)
_LOOKS = {
    "incidents_today": (fmt.count, "bi-inbox"),
    "closed_today": (fmt.count, "bi-check2-circle"),
    "clearance_rate_today": (fmt.percent, "bi-speedometer2"),
    "open_incidents": (fmt.count, "bi-hourglass-split"),
    "overdue_incidents": (fmt.count, "bi-alarm"),
    "patrol_coverage_today": (fmt.percent, "bi-geo-alt"),
    "visit_on_time_rate": (fmt.percent, "bi-person-check"),
    "appeals_today": (fmt.count, "bi-chat-left-text"),
    "negative_share_today": (fmt.percent, "bi-emoji-frown"),
    "satisfaction_30d": (lambda v: fmt.decimal(v, 2), "bi-star"),
    "active_warnings": (fmt.count, "bi-exclamation-triangle"),
    "barometer_index": (fmt.decimal, "bi-cloud-sun"),
    # view-specific cards
    "patrols_today": (fmt.count, "bi-person-walking"),
    "blind_spot_grids": (fmt.count, "bi-eye-slash"),
    "key_persons_overdue": (fmt.count, "bi-person-exclamation"),
}
# key -> (label, formatter, icon)
_CARDS = {key: (KPI_LABELS[key], *looks) for key, looks in _LOOKS.items()}
# A card for every KPI of the vocabulary and none else (the headline among them), in its order.
assert set(_CARDS) == set(KPI_KEYS), sorted(set(_CARDS) ^ set(KPI_KEYS))
KPI_CARDS = {key: _CARDS[key] for key in KPI_KEYS}
# Cards whose non-zero value is bad news.
ALARMING = {"overdue_incidents", "active_warnings", "blind_spot_grids", "key_persons_overdue"}


def exact(value) -> str:
    return "" if value is None else str(value)


def kpi_value(key: str, value):
    """The changing part of a card (also what a refresh tick sends)."""
    return KPI_CARDS[key][1](value)


def kpi_class(key: str, value) -> str:
    """Bad news in red: an alarming card with a non-zero value."""
    return "kpi-value" + (" text-danger" if key in ALARMING and value else "")


def kpi_card(key: str, value):
    label, _, icon = KPI_CARDS[key]
    return dbc.Card(dbc.CardBody([
        html.Div([html.I(className=f"bi {icon} me-1"), label], className="kpi-label"),
        html.Div(kpi_value(key, value), id=f"kpi-{key}", title=exact(value), className=kpi_class(key, value)),
    ]), className="kpi-card h-100")


def kpi_row(summary: dict, keys=HEADLINE):
    return dbc.Row([dbc.Col(kpi_card(k, summary.get(k)), xs=6, md=4, xl=2, className="mb-2")
                    for k in keys], className="g-2")


# --- the barometer's absolute figures ------------------------------------------

RELATIVE_NOTE = "晴雨表指数是相对值：诉求量和情绪都与本区域自己的前28日相比（如常=80），不是绝对水平；绝对数见旁。"
# (key, formatter) of metrics.barometer's absolute figures, in reading order
_ABSOLUTE = (("appeals_per_day_7d", lambda v: f"{fmt.decimal(v)} 件"),
             ("appeals_per_day_28d", lambda v: f"{fmt.decimal(v)} 件"),
             ("volume_ratio", lambda v: "—" if v is None else f"{v:.2f} 倍"),
             ("negative_share_7d", fmt.percent),
             ("negative_share_28d", fmt.percent))


def barometer_facts(summary: dict, prefix: str):
    """The absolute figures behind 晴雨表指数 (metrics.barometer's, the index's own inputs) and the
    note that the index is relative to the region's own past. Each value: id <prefix><key>, exact
    value in its title; labels from the vocabulary."""
    baro = summary.get("barometer") or {}
    items = [(BAROMETER_LABELS[k], k, baro.get(k), show) for k, show in _ABSOLUTE]
    items.append((KPI_LABELS["satisfaction_30d"], "satisfaction_30d", summary.get("satisfaction_30d"),
                  lambda v: fmt.decimal(v, 2)))
    return html.Div([
        html.Div(RELATIVE_NOTE, className="small text-muted mb-1", id=f"{prefix}relative"),
        html.Div([html.Span([html.Span(label, className="text-muted me-1"),
                             html.Span(show(value), id=f"{prefix}{key}", title=exact(value), className="fw-bold")],
                            className="me-3 text-nowrap d-inline-block", **{"data-label": label})
                  for label, key, value, show in items], className="small"),
    ], className="barometer-facts")
