"""Thresholds of the warning rules (docs/warnings.md), as data.

`WarningConfig()` holds the defaults, tuned so the demo city carries a few
dozen open warnings with red ones rare; `dataclasses.replace(WarningConfig(), ...)`
overrides any of them. Level maps are worst first: the first level whose
threshold the score reaches wins; below the last one nothing is raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def _levels(*pairs):
    return field(default_factory=lambda: tuple(pairs))


@dataclass(frozen=True)
class WarningConfig:
    # 1 overdue incidents: score = hours past sla_due_at × severity (1-4). Never red: red is kept
    # for a major event happening now (rule 2); a late case is the desk's, not the wall's, alarm.
    overdue_levels: tuple = _levels(("orange", 1440.0), ("yellow", 480.0), ("blue", 240.0))
    overdue_lookback_days: int = 60  # deadlines older than this are stale data, not news

    # 2 major or mass incidents: always red
    major_severity: int = 4
    major_categories: tuple = ("群体性事件",)
    major_window_hours: int = 6  # news window; an unacknowledged one escalates long before

    # 3 surge: township × category, last 24 h against the 28 days before
    surge_window_hours: int = 24
    surge_baseline_days: int = 28
    surge_alpha: float = 1e-4
    surge_min_count: int = 5
    surge_levels: tuple = _levels(("orange", 1e-7), ("yellow", 1e-4))  # p-value at or below

    # 4 patrol blind spot: days since the grid's last valid patrol
    blind_days: int = 3
    blind_levels: tuple = _levels(("orange", 14.0), ("yellow", 7.0), ("blue", 3.0))

    # 5 key person missed visit: score = risk weight × days past the interval
    visit_risk_weights: tuple = ((1, 1.0), (2, 2.0), (3, 4.0))
    visit_never_overdue_days: int = 30  # never visited (in the lookback): counted this late
    visit_lookback_days: int = 120
    visit_levels: tuple = _levels(("orange", 480.0), ("yellow", 360.0), ("blue", 280.0))

    # 6 repeated appeals: same citizen_hash and topic
    repeat_min_count: int = 3
    repeat_window_days: int = 30
    repeat_recent_hours: int = 6  # news while the latest of them is this recent
    # one citizen is a case for the 信访 desk, orange only for a caller who will not stop
    repeat_levels: tuple = _levels(("orange", 10.0), ("yellow", 5.0), ("blue", 3.0))

    # 7 barometer drop (township index of docs/metrics.md)
    barometer_floor: float = 40.0
    barometer_drop: float = 20.0
    barometer_compare_days: int = 7
    barometer_orange_floor: float = 30.0  # below this, or a drop of barometer_orange_drop → orange
    barometer_orange_drop: float = 30.0

    # 8 emergency mode (平战转换)
    emergency_fresh_hours: int = 24
    emergency_fresh_level: str = "orange"
    emergency_level: str = "yellow"

    # 9 a silent feed (数据源中断): a feed whose own usual rate promised at least silent_expected
    # rows since its last one (counted over the same hours of the previous silent_days days),
    # quiet for at least silent_min_hours; the rules that read it are held meanwhile
    silent_expected: float = 20.0  # P(no row | Poisson 20) = 2e-9; 12 raised one false alarm in 90 demo days
    silent_min_hours: float = 1.0
    silent_days: int = 7
    silent_lookback_days: int = 90  # a feed with no row at all in this long is not a feed we have
    silent_level: str = "orange"
    silent_holds: tuple = (("patrol", ("blind_spot",)), ("visit", ("visit",)),
                           ("incident", ("overdue", "surge")), ("appeal", ("repeat", "barometer")))

    # grouping: these rules raise one warning per grid (members counted and listed), not one per
    # incident / key person / caller; a major event keeps its own warning, it is news on its own
    group_rules: tuple = ("overdue", "visit", "repeat")
    # an open warning's level follows its condition down as well as up (a fresh 战时 switch is
    # orange for a day, then yellow; a group whose worst member was handled drops to the next)
    follow_down: bool = True

    # escalation: a red/orange warning nobody has acknowledged moves one level up
    # (township → county → city) every this many minutes
    escalate_minutes: tuple = (("red", 15), ("orange", 60))

    # housekeeping: a warning nobody has touched is resolved by the system once its condition clears
    auto_resolve: bool = True


def level_for(score: float, levels: tuple, higher_is_worse: bool = True) -> str | None:
    """The first level whose threshold `score` reaches (or, for p-values, stays under)."""
    for level, threshold in levels:
        if (score >= threshold) if higher_is_worse else (score <= threshold):
            return level
    return None
