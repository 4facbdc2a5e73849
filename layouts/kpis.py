"""Headline KPI cards. Every card carries id="kpi-<key>" and an exact value in its title."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from data_access.vocabulary import HEADLINE, KPI_KEYS

from . import fmt

# key -> (label, formatter, icon); the keys are the vocabulary's (data_access/vocabulary.py)
_CARDS = {
    "incidents_today": ("今日事件", fmt.count, "bi-inbox"),
    "closed_today": ("今日办结", fmt.count, "bi-check2-circle"),
    "clearance_rate_today": ("日清零率", fmt.percent, "bi-speedometer2"),
    "open_incidents": ("在办事件", fmt.count, "bi-hourglass-split"),
    "overdue_incidents": ("超期事件", fmt.count, "bi-alarm"),
    "patrol_coverage_today": ("今日巡查覆盖", fmt.percent, "bi-geo-alt"),
    "visit_on_time_rate": ("重点人员走访及时率", fmt.percent, "bi-person-check"),
    "appeals_today": ("今日诉求", fmt.count, "bi-chat-left-text"),
    "negative_share_today": ("负面情绪占比", fmt.percent, "bi-emoji-frown"),
    "satisfaction_30d": ("30日满意度", lambda v: fmt.decimal(v, 2), "bi-star"),
    "active_warnings": ("在办预警", fmt.count, "bi-exclamation-triangle"),
    "barometer_index": ("晴雨表指数", fmt.decimal, "bi-cloud-sun"),
    # view-specific cards
    "patrols_today": ("今日巡查次数", fmt.count, "bi-person-walking"),
    "blind_spot_grids": ("盲区网格（≥3天未巡）", fmt.count, "bi-eye-slash"),
    "key_persons_overdue": ("逾期未访重点人员", fmt.count, "bi-person-exclamation"),
}
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
