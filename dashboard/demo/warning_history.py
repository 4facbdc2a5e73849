"""The demo city's warnings with a history: the warning rules replayed over the seeded hours,
and the duty officers of each county's 综治中心 who acknowledged, assigned, resolved and
dismissed what they raised.

The replay runs `data_access.warnings.evaluate` itself, as known at each step (every rule
reads only rows that exist at that moment, `quality.*_ok(now)`), and the officers act through
`data_access.warning_desk.act` and `escalate`, each action with its `warning_action` row and,
like the desk's own callback (callbacks/warnings.py), its `audit_log` row: the warning table,
its trail and the audit log tell one story.

Steps (docs/demo.md): the replay walks whole hours; a rule is evaluated every
CADENCE_HOURS[rule] hours of Shanghai time, chosen from the time scale of its condition and
its measured cost (one evaluation of all eight rules over the whole city reads weeks of
appeals and incidents, ≈1.5 s on SQLite at the demo scale: every rule every hour for the
three weeks would add about 11 minutes to the seed, nearly an hour for 90 days):

- major, emergency — hourly: a 重大 incident is news for major_window_hours (6 h); the
  raise comes within the hour of the report.
- overdue — every 3 h: lateness is scored in hundreds of hour·severity.
- repeat — every 6 h: a repeat caller counts while their latest appeal is under
  repeat_recent_hours (6 h) old, so a 6 h step sees every one of them once.
- blind_spot, surge — every 12 h: blind spots are measured in days; the surge window is 24 h,
  so every burst is inside at least one evaluated window.
- visit, barometer — daily: days late, and 7-day windows.
- a rule added to the engine later (the silent-feed rule, …) — every DEFAULT_CADENCE hours
  until it is given its own.

Weeks before the last RECENT_WEEKS (the briefing's last week and the one before, and the
running one keep the steps above) take coarser steps where the condition is measured in days
(OLDER_CADENCE_HOURS): blind spots daily (thresholds 3, 7, 14 days), missed visits every two
days (lateness weighted up to 280+ days before a warning).

A rule whose look-back reaches before the first seeded day would judge against missing
history (a surge's 28-day baseline, a barometer's 35 days and its week-ago value): such a
rule starts only once its look-back is covered (warmup_days). The replay runs from Monday
00:00 WEEKS weeks before the running week, or the first seeded moment if later (replay_start:
all of the demo's 90 days) to the seed's end; the last step is the end itself, with every
warmed-up rule, so the desk holds what a live evaluator would hold at that moment.

Reading the rules at a moment weeks back costs far more than at the live moment (most rows lie
in its future; data_access/warning_replay.py): the replay reads major, overdue and repeat on
narrowed copies of their tables, calls surge only where a township×category could fire and
emergency only when a switch starts or stops being fresh; at the demo and city scales helper
processes do all the reading, ahead of this process, which writes. Every shortcut gives what
the plain rule gives (`check=True` compares them at every step, `shortcuts=False` replays
without them); `warnings.evaluate`, `warning_desk.act` and `escalate` run as before.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from sqlalchemy import func, select

from data_access import users, warning_desk, warning_replay, warnings
from data_access.schema import OPEN_WARNING_STATUSES, appeal, grid_worker, incident, region, warning
from data_access.scope import scope_of
from data_access.stats import poisson_tail
from data_access.timeutil import SHANGHAI
from data_access.warning_rules import WarningConfig

HOUR = dt.timedelta(hours=1)
# Rules whose condition, once gone, never comes back under the same key (a 重大 incident leaves
# its 6 h window or closes; a new 战时 switch is a new key). A step that evaluates only these
# and finds exactly what their last evaluation found changes nothing (no raise, upgrade,
# auto-resolve or reopen can follow from it), so the hourly steps between changes skip
# warnings.evaluate; the only trace is the moment an officer-closed warning is marked cleared.
FINAL_WHEN_GONE = ("major", "emergency")
MINUTE = dt.timedelta(minutes=1)

CADENCE_HOURS = {"major": 1, "emergency": 1, "overdue": 3, "repeat": 6, "blind_spot": 12, "surge": 12,
                 "visit": 24, "barometer": 24}
OLDER_CADENCE_HOURS = {**CADENCE_HOURS, "blind_spot": 24, "visit": 48}
RECENT_WEEKS = 2  # the briefing's last complete week and the one before it: the finer steps
DEFAULT_CADENCE = 6  # a rule added to warnings.RULES that this table does not know yet
SILENT = "source_silent"  # the rule whose warnings hold other rules (warnings.candidates)
# Whole weeks replayed before the running one: a quarter, so all of the demo's 90 days (the
# briefing of any past week, the trends); the city scale's year gets its last quarter.
WEEKS = 13


def warmup_days(cfg: WarningConfig) -> dict:
    """Days of history a rule's look-back needs before its verdict means anything."""
    return {"surge": cfg.surge_baseline_days + 1, "barometer": 35 + cfg.barometer_compare_days,
            # before blind_days + 1 a grid's first patrol may simply not have come yet
            "blind_spot": cfg.blind_days + 1}


# How long the desk takes to acknowledge (median minutes, lognormal spread): red within
# minutes, orange within the hour; yellow and blue wait for office hours.
ACK_MINUTES = {"red": (7, 0.7), "orange": (28, 0.7), "yellow": (90, 0.8), "blue": (240, 0.8)}
OFFICE = (8, 22)  # local hours the desk works through its whole queue
DISMISS_SHARE = {"surge": 0.15, "barometer": 0.12, "repeat": 0.10, "blind_spot": 0.04, "visit": 0.03,
                 "overdue": 0.02, "major": 0.0, "emergency": 0.0}
ASSIGN_SHARE = 0.7
# An acknowledged warning whose condition goes on is closed by the officer after this many
# hours (median; the engine reopens it only once the condition has gone and come back).
PATIENCE_HOURS = {"major": 8, "emergency": 60, "overdue": 48, "repeat": 24, "blind_spot": 96,
                  "surge": 24, "visit": 72, "barometer": 72, "source_silent": 6}

RESOLVE_COMMENTS = {
    "overdue": ("已督办承办单位，反馈事件已办结，群众表示认可", "承办部门已现场处置完毕，已回访当事人",
                "已电话督办，承办单位说明延期原因并已办结", "已协调相关部门联合处置，事件办结"),
    "major": ("已联合派出所、街道现场处置，事态平稳，转常态跟踪", "领导已到场处置，相关人员已疏导，无次生事件",
              "已启动应急预案处置完毕，现场秩序恢复正常", "已会同相关部门处置，当事人情绪稳定"),
    "surge": ("已研判：同类问题集中反映，已分派属地和主管部门处置", "已核查情况，主要为同一事由引发，已统一答复",
              "已通知街道加强巡查，事件量已回落"),
    "blind_spot": ("已督促网格员恢复日常巡查，已有新巡查记录", "网格员已补巡，已提醒按频次巡查",
                   "已通报社区，网格长已安排专人补巡"),
    "visit": ("网格员已上门走访，人员情况稳定", "已走访并更新台账，暂无异常", "已电话联系并安排上门走访，情况正常"),
    "repeat": ("已安排专人回访诉求人，问题已答复解释", "已会同承办部门上门沟通，诉求人表示理解",
               "已纳入重复诉求专项化解台账，包案领导已接访"),
    "barometer": ("已约谈街道研判舆情走势，组织针对性回应", "已分析负面诉求来源，责成属地逐件回复",
                  "负面情绪主要集中于个别事项，已督促属地化解"),
    "emergency": ("战时状态已解除，恢复常态管理", "处置完毕，网格已转回平时状态"),
    "source_silent": ("已联系源系统运维，数据接口已恢复", "已通知数据报送单位排查，数据已补传"),
}
RESOLVE_COMMENTS_OTHER = ("已核实处置，情况恢复正常", "已协调相关单位处置完毕")  # a rule added later
PERSIST_COMMENTS = ("已督促整改，转入常态化跟踪", "已交属地持续跟进，每日报告进展", "已列入督办台账，限期整改")
PERSIST_BY_RULE = {  # conditions that go on by their nature: closed once handed to whoever runs them
    "emergency": ("已掌握情况，战时状态期间由属地指挥部每日报告", "已纳入应急值守，属地指挥部负责处置"),
    "major": ("已移交专班处置，每日报告进展", "已由属地专班接手，持续跟踪处置"),
}
DISMISS_COMMENTS = ("经核实为重复上报，予以排除", "经核实系数据录入错误，已通知源系统更正",
                    "属正常波动，经研判无需处置", "经核实情况已掌握并在处置中，不重复立项")


def _local_hour(at: dt.datetime) -> float:
    local = at.astimezone(SHANGHAI)
    return local.hour + local.minute / 60


def _office(at: dt.datetime, rng) -> dt.datetime:
    """The same moment if the desk works through its queue then, else the next 08:xx."""
    h = _local_hour(at)
    if OFFICE[0] <= h < OFFICE[1]:
        return at
    local = at.astimezone(SHANGHAI)
    day = local.date() + (dt.timedelta(days=1) if h >= OFFICE[1] else dt.timedelta())
    start = dt.datetime.combine(day, dt.time(OFFICE[0]), SHANGHAI).astimezone(dt.timezone.utc)
    return start + dt.timedelta(minutes=float(rng.uniform(5, 50)))


class Roster:
    """Each county's duty officers (值班员): a day shift 08:00–20:00 and a night shift, in turn."""

    def __init__(self, counties: list[str], seed: int):
        from .generate import GIVEN, SURNAMES
        rng = np.random.default_rng([seed, 29])
        self.officers: dict[str, list[str]] = {}
        for code in counties:
            names: list[str] = []
            while len(names) < 6:
                name = str(rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN, size=int(rng.integers(1, 3))))
                if name not in names:
                    names.append(name)
            self.officers[code] = names

    def on_duty(self, county: str, at: dt.datetime) -> str:
        local = at.astimezone(SHANGHAI)
        night = not 8 <= local.hour < 20
        day = (local - dt.timedelta(hours=8)).date().toordinal()  # a night shift belongs to its evening
        team = self.officers[county]
        return team[(2 * day + night) % len(team)]


class Replay:
    def __init__(self, conn, start: dt.datetime, end: dt.datetime, seed: int, cfg: WarningConfig | None = None):
        self.conn, self.start, self.end = conn, start, end
        self.cfg = cfg or WarningConfig()
        self.rng = np.random.default_rng([seed, 31])
        self.names = warnings._Names(conn)
        rows = conn.execute(select(region.c.code, region.c.level, region.c.name, region.c.county_code,
                                   region.c.township_code)).all()
        self.region = {r.code: r for r in rows}
        counties = sorted(r.code for r in rows if r.level == "county")
        # Each county's 综治中心, then the city's duty room for a warning on the city itself
        # (a feed silent in every county); appended last, the counties' rosters stay as they were.
        desks = counties + sorted(r.code for r in rows if r.level == "city")
        self.roster = Roster(desks, seed)
        self.scopes = {c: scope_of(conn, c) for c in desks}
        self.leaders = dict(conn.execute(select(grid_worker.c.grid_code, grid_worker.c.name)
                                         .where(grid_worker.c.role == "grid_leader")
                                         .order_by(grid_worker.c.id.desc())).all())
        self.events: list = []  # (at, seq, kind, warning id, extra)
        self.seq = 0
        self.open: dict[int, dict] = {}  # warnings the officers still track
        self.counts: dict[str, int] = {}
        self.silent: list[dict] = []  # the latest reading of the silent-feed rule (its holds)
        self.seconds: dict[str, float] = {}
        self.last_found: list | None = None  # an hourly step's findings, for FINAL_WHEN_GONE
        self.skip_unchanged = True
        self.last_rules: list | None = None

    # --- the officers --------------------------------------------------------------------

    def _push(self, at: dt.datetime, kind: str, wid: int, extra=None) -> None:
        if at <= self.end:
            self.seq += 1
            heapq.heappush(self.events, (at, self.seq, kind, wid, extra))

    def _assignee(self, w: dict) -> str:
        r = self.region.get(w["region"])
        township = self.region.get(r.township_code).name if r is not None and r.township_code in self.region else ""
        rule = w["rule"]
        if rule in ("overdue", "major"):
            ids = (w.get("evidence") or {}).get("incident") or []
            dept = self.conn.execute(select(incident.c.department).where(incident.c.id == ids[0])).scalar() \
                if ids else None
            return dept or f"{township}综治中心"
        if rule in ("blind_spot", "visit"):
            leader = self.leaders.get(w["region"])
            return f"{r.name if r is not None else ''}网格长{leader}" if leader else f"{township}综治中心"
        if rule == "repeat":
            return f"{township}信访办"
        if rule == "emergency":
            return f"{township}应急办"
        if rule == "source_silent":  # a county's or the city's feed: its data office
            return f"{r.name if r is not None else ''}大数据中心"
        return f"{township}综治中心"

    def plan(self, w: dict, at: dt.datetime) -> None:
        """An officer's handling of a warning raised (or reopened) at `at`."""
        rng = self.rng
        median, spread = ACK_MINUTES[w["level"]]
        ack = at + dt.timedelta(minutes=float(rng.lognormal(np.log(median), spread)))
        if w["level"] in ("yellow", "blue"):
            ack = _office(ack, rng)
        # Escalations fall due while nobody has acknowledged (warning_desk.escalate).
        minutes = dict(self.cfg.escalate_minutes).get(w["level"])
        if minutes:
            for k in (1, 2):
                due = at + dt.timedelta(minutes=minutes * k)
                if due < ack:
                    self._push(due, "escalate", w["id"])
        self._push(ack, "acknowledge", w["id"], (at, None))
        info = {"rule": w["rule"], "key": w["dedup_key"], "raised": at, "cleared": None}
        if rng.random() < DISMISS_SHARE.get(w["rule"], 0):
            self._push(ack + dt.timedelta(minutes=float(rng.uniform(5, 90))), "dismiss", w["id"],
                       (at, str(rng.choice(DISMISS_COMMENTS))))
            info["done"] = True
        else:
            if rng.random() < ASSIGN_SHARE:
                self._push(ack + dt.timedelta(minutes=float(rng.lognormal(np.log(15), 0.6))), "assign", w["id"],
                           (at, self._assignee(w)))
            patience = dt.timedelta(hours=float(rng.lognormal(np.log(PATIENCE_HOURS.get(w["rule"], 24)), 0.5)))
            comment = str(rng.choice(PERSIST_BY_RULE.get(w["rule"], PERSIST_COMMENTS)))
            self._push(_office(ack + patience, rng), "persist", w["id"], (at, comment))
        self.open[w["id"]] = info

    def cleared(self, wid: int, at: dt.datetime) -> None:
        """The condition behind a tracked warning went away: the officer closes it a while later."""
        info = self.open.get(wid)
        if info is None or info["cleared"] is not None or info.get("done"):
            return
        info["cleared"] = at
        rng = self.rng
        when = at + dt.timedelta(minutes=float(rng.lognormal(np.log(80), 0.8)))
        if info["rule"] not in ("major", "emergency"):
            when = _office(when, rng)
        comments = RESOLVE_COMMENTS.get(info["rule"], RESOLVE_COMMENTS_OTHER)
        self._push(when, "resolve", wid, (info["raised"], str(rng.choice(comments))))

    def act(self, at: dt.datetime, kind: str, wid: int, extra) -> None:
        conn = self.conn
        if kind == "escalate":
            warning_desk.escalate(conn, at, self.cfg)
            return
        row = conn.execute(select(warning.c.status, warning.c.version, warning.c.region_code)
                           .where(warning.c.id == wid)).first()
        if row is None or row.status not in OPEN_WARNING_STATUSES:
            self.open.pop(wid, None)
            return
        info = self.open.get(wid)
        action, comment, assignee = kind, None, None
        stamp, text = extra
        if info is None or info["raised"] != stamp:  # planned for an earlier raising of it
            return
        if kind == "acknowledge":
            if row.status != "new":
                return
        else:
            if kind == "persist":  # the condition goes on: closed by hand, followed up elsewhere
                if row.status == "new":
                    return
                action, comment = "resolve", text
            elif kind == "assign":
                assignee = text
            else:
                comment = text
        county = self._county(row.region_code) or row.region_code  # the city's own: its duty room
        actor = self.roster.on_duty(county, at)
        warning_desk.act(conn, self.scopes[county], wid, row.version, action, actor, at, comment, assignee)
        # The desk's own audit row (callbacks/warnings.py: auth.audit_in in the same transaction).
        users.audit(conn, at, actor, f"warning_{action}", f"warning:{wid}",
                    {"comment": comment, "assignee": assignee}, scope_code=county)
        self.counts[action] = self.counts.get(action, 0) + 1
        if action in ("resolve", "dismiss"):
            self.open.pop(wid, None)

    def run_events(self, until: dt.datetime) -> None:
        t0 = time.perf_counter()
        while self.events and self.events[0][0] <= until:
            at, _, kind, wid, extra = heapq.heappop(self.events)
            self.act(at, kind, wid, extra)
        self._spent("officers", t0)

    def _spent(self, what: str, since: float) -> None:
        """Seconds of this process by part (the replay's log line: where its time goes)."""
        self.seconds[what] = self.seconds.get(what, 0.0) + time.perf_counter() - since

    # --- the rules -----------------------------------------------------------------------

    def evaluate(self, at: dt.datetime, rules: list[str], elsewhere: tuple | None = None,
                 fast: Shortcuts | None = None, check: bool = False) -> None:
        """Run `rules` at `at`; `elsewhere`: (rules, their candidates) read by a helper process;
        `fast`: the shortcuts for the rules they cover (the rest are read here). `check`: read
        every shortcut's rule the plain way too and stop at the first difference."""
        done, found = elsewhere or ((), [])
        found = list(found)
        plain = []
        for rule in (r for r in rules if r not in done):
            t0 = time.perf_counter()
            got = fast.read(at, rule, self.names) if fast is not None else None
            self._spent(f"read {rule}", t0)
            if got is None:
                plain.append(rule)
                continue
            if check:
                want = warnings.candidates(self.conn, at, self.cfg, [rule], names=self.names)
                if got != want:
                    raise AssertionError(f"{rule} at {at.isoformat()}: shortcut {got!r} != rule {want!r}")
            found += got
        for rule in plain:
            t0 = time.perf_counter()
            found += warnings.candidates(self.conn, at, self.cfg, [rule], names=self.names)
            self._spent(f"read {rule}", t0)
        found, rules = self._hold(found, rules)
        found = sorted(found, key=_order)
        if self.skip_unchanged and set(rules) <= set(FINAL_WHEN_GONE):
            if found == self.last_found and rules == self.last_rules:
                self.counts["unchanged"] = self.counts.get("unchanged", 0) + 1
                return
            self.last_found, self.last_rules = found, rules
        else:
            self.last_found, self.last_rules = None, None
        t0 = time.perf_counter()
        raised = warnings.evaluate(self.conn, at, self.cfg, rules, names=self.names, found=found)
        self._spent("evaluate", t0)
        keys = {c["dedup_key"] for c in found}
        key_of = {(c["rule"], c["subject_id"]): c["dedup_key"] for c in found}
        for wid, info in list(self.open.items()):
            if info["rule"] in rules and info["key"] not in keys:
                self.cleared(wid, at)
        for w in raised:
            self.counts["raised"] = self.counts.get("raised", 0) + 1
            w["dedup_key"] = key_of[(w["rule"], w["subject"]["id"])]
            self.plan(w, at)

    def _hold(self, found: list[dict], rules: list[str]) -> tuple[list[dict], list[str]]:
        """A silent feed holds the rules that read it in its counties (warnings.candidates does
        this among the rules of one call; here the rules are read apart). Its latest reading
        stands until the next, and is handed to evaluate with every step while it holds
        something, so the held warnings neither clear nor close meanwhile."""
        if SILENT not in warnings.RULES:
            return found, rules
        if SILENT in rules:
            self.silent = [c for c in found if c["rule"] == SILENT]
        elif self.silent:
            found, rules = found + self.silent, [*rules, SILENT]
        held: dict = {}
        for c in self.silent:
            for county in c["evidence"].get("counties", ()):
                held.setdefault(county, set()).update(c["evidence"].get("holds", ()))
        if not held:
            return found, rules
        return [c for c in found if c["rule"] not in held.get(self._county(c["region_code"]), ())], rules

    def _county(self, code: str) -> str | None:
        r = self.region.get(code)
        return None if r is None else code if r.level == "county" else r.county_code


class Shortcuts:
    """Exact cheap readings of some rules at past moments (data_access/warning_replay.py):

    - major, overdue, repeat: `warnings.candidates` itself on a connection where the fact table
      holds only the rows the rule can ever select (a few thousand instead of the table);
    - surge: no reading where no township×category reaches surge_min_count with a Poisson tail
      under surge_alpha (the counts of the rule's own rows, kept in memory); where some could,
      the rule itself on a copy holding those cells' rows of its window, its findings kept for
      those cells (no other can fire);
    - emergency: read again only when the set of switches in force, or their freshness, changed.
    """

    VIEWS = {"major": (incident, warning_replay.major_rows), "overdue": (incident, warning_replay.overdue_rows),
             "repeat": (appeal, warning_replay.repeat_rows)}
    MARGIN = 1.5  # the screen counts the rule's own rows: the margin only absorbs rounding

    def __init__(self, engine, conn, cfg: WarningConfig, end: dt.datetime, stack: contextlib.ExitStack):
        self.conn, self.cfg = conn, cfg
        self.views = {}
        for rule, (table, rows) in self.VIEWS.items():
            if rule in warnings.RULES:
                self.views[rule] = stack.enter_context(warning_replay.narrowed(engine, {table: rows(conn, cfg)}))
        self.end = end
        self.shared = warning_replay.shared_rows(conn)
        # surge's copy, refilled at each step it is read: the rows of the cells that could fire
        self.surge_view = stack.enter_context(warning_replay.narrowed(engine, {incident: []}))
        self.surge: tuple | None = None  # (cell of each row, its time, cell keys), read at first need
        self.switches = [(grid, since) for grid, since in warning_replay.emergency_rows(conn)]
        self.emergency_seen: tuple | None = None  # (signature, candidates) of the last reading

    def surge_cells(self, at: dt.datetime) -> list[tuple]:
        """The (township, category) cells that could fire at `at` (conservative: when unsure, yes)."""
        cfg = self.cfg
        if self.surge is None:  # surge warms up for four weeks: read its rows when it starts
            rows = warning_replay.surge_rows(self.conn, self.end)
            cells: dict = {}
            cell = np.array([cells.setdefault((t, c), len(cells)) for t, c, _ in rows], dtype=np.int64)
            stamp = np.array([_micros(r) for _, _, r in rows], dtype=np.int64)
            order = np.argsort(stamp, kind="stable")
            self.surge = (cell[order], stamp[order], list(cells))
        cell, t, keys = self.surge
        n = len(keys)
        now = _micros(at)
        window = now - int(cfg.surge_window_hours * 3600e6)
        base = window - int(cfg.surge_baseline_days * 86400e6)
        lo, mid = np.searchsorted(t, base, "left"), np.searchsorted(t, window, "left")
        hi = np.searchsorted(t, now, "right")
        obs = np.bincount(cell[mid:hi], minlength=n)
        before = np.bincount(cell[lo:mid], minlength=n)
        scale = cfg.surge_window_hours / 24.0 / cfg.surge_baseline_days
        return [keys[i] for i in np.nonzero(obs >= cfg.surge_min_count)[0]
                if poisson_tail(int(obs[i]), float(before[i]) * scale) < cfg.surge_alpha * self.MARGIN]

    def read(self, at: dt.datetime, rule: str, names) -> list[dict] | None:
        """The rule's candidates at `at`, or None: read it the plain way."""
        if rule in self.views:
            return warnings.candidates(self.views[rule], at, self.cfg, [rule], names=names)
        if rule == "surge":
            cells = self.surge_cells(at)
            if not cells:
                return []
            # The rule itself on the rows of those cells: exact for them, and no other can fire.
            start = at - dt.timedelta(hours=self.cfg.surge_window_hours, days=self.cfg.surge_baseline_days)
            warning_replay.refill(self.surge_view, incident,
                                  warning_replay.surge_rows_of(self.conn, cells, start, at, self.shared))
            keep = {f"{township}:{category}" for township, category in cells}
            found = warnings.candidates(self.surge_view, at, self.cfg, ["surge"], names=names)
            return [c for c in found if c["subject_id"] in keep]
        if rule == "emergency":
            fresh = dt.timedelta(hours=self.cfg.emergency_fresh_hours)
            signature = tuple(sorted((grid, since, since is not None and at - since < fresh)
                                     for grid, since in self.switches if since is None or since <= at))
            if self.emergency_seen is None or self.emergency_seen[0] != signature:
                self.emergency_seen = (signature, warnings.candidates(self.conn, at, self.cfg, [rule], names=names))
            return list(self.emergency_seen[1])
        return None


def _micros(at: dt.datetime) -> int:
    return int(at.timestamp() * 1e6)


def cadences(cadence: dict = CADENCE_HOURS) -> dict:
    """Hours between evaluations of every rule the engine has (a new rule: DEFAULT_CADENCE)."""
    return {rule: cadence.get(rule, DEFAULT_CADENCE) for rule in warnings.RULES}


def steps(start: dt.datetime, end: dt.datetime, since: dict, cadence: dict | None = None,
          older: tuple | None = None):
    """(at, rules due) for every whole hour from `start` to `end`, then `end` with every rule.
    `older`: (until, cadence) — the cadence of the steps before `until`."""
    cadence = cadences() if cadence is None else cadence
    t = start.replace(minute=0, second=0, microsecond=0)
    if t < start:
        t += HOUR
    while t < end:
        local = t.astimezone(SHANGHAI)
        hours = local.date().toordinal() * 24 + local.hour  # local hours: a 48 h step keeps its days
        every_of = older[1] if older is not None and t < older[0] else cadence
        due = [r for r, every in every_of.items() if hours % every == 0 and t >= since.get(r, start)]
        if due:
            yield t, due
        t += HOUR
    yield end, [r for r in cadence if end >= since.get(r, start)]


def replay_start(data_start: dt.datetime, end: dt.datetime, weeks: int = WEEKS) -> dt.datetime:
    """Monday 00:00 (Shanghai) `weeks` weeks before the running week, or the first seeded moment."""
    monday = end.astimezone(SHANGHAI).date()
    monday -= dt.timedelta(days=monday.weekday() + 7 * weeks)
    return max(data_start, dt.datetime.combine(monday, dt.time(), SHANGHAI).astimezone(dt.timezone.utc))


def _order(c: dict):
    """warnings.candidates' order: most severe, then rule, then key."""
    return (warnings._RANK[c["level"]], c["rule"], c["dedup_key"])


# With helper processes (the demo and city scales) every rule is read by them, ahead of this
# process, which writes: the warnings, the officers' actions and their audit rows take one core
# on their own. The helpers never read the warning tables, and the shared tables do not change
# during the replay, so the order of reading is free.
AHEAD_MIN_GRIDS = 2000  # below this (the tiny city) starting helper processes costs more than it saves
_worker: dict = {}  # one helper process's engine, names and shortcuts (set by its initializer)


def _worker_start(url: str, end: dt.datetime, shortcuts: bool) -> None:
    from data_access import engine as db
    engine = db.make_engine(url, statement_timeout_ms=0)
    stack = contextlib.ExitStack()  # lives as long as the process
    conn = stack.enter_context(engine.connect())
    _worker.update(engine=engine, conn=conn, stack=stack, names=warnings._Names(conn),
                   fast=Shortcuts(engine, conn, WarningConfig(), end, stack) if shortcuts else None)
    conn.rollback()


def _worker_candidates(at: dt.datetime, rules: list[str]) -> tuple[list[dict], dict]:
    """The rules' candidates at `at`, one rule at a time (Replay._hold applies the silent-feed
    holds across them), and the CPU seconds each took."""
    found, cpu = [], {}
    conn, fast, names = _worker["conn"], _worker["fast"], _worker["names"]
    for rule in rules:
        t0 = time.process_time()
        got = fast.read(at, rule, names) if fast is not None else None
        found += got if got is not None else warnings.candidates(conn, at, WarningConfig(), [rule], names=names)
        cpu[rule] = time.process_time() - t0
    conn.rollback()  # no read transaction held open between steps (SQLite's WAL could not shrink)
    return found, cpu


def _in_memory(engine) -> bool:
    """Another connection would not see this database (so: no helpers, no narrowed copies)."""
    return engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:")


def _helpers(engine, conn) -> int:
    """How many helper processes read the slow rules ahead (0: read them here)."""
    grids = conn.execute(select(func.count()).where(region.c.level == "grid")).scalar() or 0
    if grids < AHEAD_MIN_GRIDS or _in_memory(engine):
        return 0
    return max(1, min(3, (os.cpu_count() or 1)))


def replay(engine, data_start: dt.datetime, end: dt.datetime, weeks: int, seed: int, log=print,
           check: bool = False, shortcuts: bool = True) -> dict:
    """Replay the warning rules from replay_start() up to `end`; returns counts. `check`: compare
    every shortcut with the plain rule at every step (slow: tests on the tiny city);
    `shortcuts=False`: every rule read the plain way and evaluated at every step (the reference
    the shortcuts are tested against)."""
    t0 = time.perf_counter()
    cfg = WarningConfig()
    start = replay_start(data_start, end, weeks)
    since = {rule: data_start + dt.timedelta(days=n) for rule, n in warmup_days(cfg).items()}
    older = (replay_start(data_start, end, RECENT_WEEKS), cadences(OLDER_CADENCE_HOURS))
    plan = list(steps(start, end, since, older=older))
    # The index outlives the writer's connection: dropping it waits for no open transaction.
    with warning_replay.visit_time_index(engine), engine.connect() as conn, contextlib.ExitStack() as stack:
        helpers = _helpers(engine, conn)
        fast = None if helpers or not shortcuts or _in_memory(engine) else Shortcuts(engine, conn, cfg, end, stack)
        t_ready = time.perf_counter()
        ahead: dict = {}
        if helpers:
            # fork where there is one: a spawned helper re-runs the caller's main module, which a
            # script without a __main__ guard would not survive. The helper opens its own engine
            # and never touches the connections it inherits.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            pool = stack.enter_context(ProcessPoolExecutor(
                helpers, mp_context=multiprocessing.get_context(method), initializer=_worker_start,
                initargs=(engine.url.render_as_string(hide_password=False), end, shortcuts)))
            for i, (at, rules) in enumerate(plan):
                ahead[i] = (rules, pool.submit(_worker_candidates, at, rules))
        rp = Replay(conn, start, end, seed, cfg)
        rp.skip_unchanged = shortcuts
        day = None
        helper_cpu: dict = {}
        for i, (at, rules) in enumerate(plan):
            rp.run_events(at)
            slow, job = ahead.pop(i, (None, None))
            elsewhere = None
            if job is not None:
                t1 = time.perf_counter()
                found, cpu = job.result()
                rp._spent("waiting for helpers", t1)
                elsewhere = (slow, found)
                for rule, sec in cpu.items():
                    helper_cpu[rule] = helper_cpu.get(rule, 0.0) + sec
            rp.evaluate(at, rules, elsewhere, fast, check)
            if at.date() != day:  # a day's warnings and actions at a time
                conn.commit()
                day = at.date()
        conn.commit()
        counts = dict(rp.counts)
        counts["open"] = len(conn.execute(select(warning.c.id).where(
            warning.c.status.in_(OPEN_WARNING_STATUSES))).all())
        counts["helpers"] = helpers
        counts["steps"] = len(plan)
        counts["seconds_setup"] = round(t_ready - t0, 1)
        counts["seconds_here"] = {k: round(v, 1) for k, v in sorted(rp.seconds.items(), key=lambda kv: -kv[1])}
        counts["cpu_helpers"] = {k: round(v, 1) for k, v in sorted(helper_cpu.items(), key=lambda kv: -kv[1])}
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    log(f"warnings replayed from {start:%Y-%m-%d %H:%M} (UTC): {json.dumps(counts, ensure_ascii=False)}")
    return counts
