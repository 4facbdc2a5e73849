"""A living demo city: rows for the shared tables, as the grid app, 12345, 110 and
mediation would write them.

Everything is drawn from one seeded numpy Generator (plus a seeded
random.Random for text), window by window, so the same seed gives the same
data and a year of a city streams through in bounded memory. The simulator
uses the same window functions for the minutes after the seed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

import numpy as np
import shapely

from . import texts
from .regions import build_regions

UTC = dt.timezone.utc
SHANGHAI_OFFSET = dt.timedelta(hours=8)


@dataclass(frozen=True)
class Scale:
    name: str
    counties: tuple[str, ...] | None  # None = the whole city
    days: int
    # One event, several reports (一事一码): whether an event may also be reported by other
    # sources minutes later (EXTRA_REPORT_P). Off for `tiny`: the test fixtures' rows stay as
    # they were; tests/test_cases.py adds such reports to copies itself.
    extra_reports: bool = False
    # The person register (一人一档) holds the members of this share of households (a sample, so
    # the seed stays quick), plus every household of a key person or a repeat caller; `city` all.
    person_share: float = 1.0


SCALES = {
    "tiny": Scale("tiny", ("450802",), 14, person_share=0.05),
    "demo": Scale("demo", None, 90, extra_reports=True, person_share=0.06),
    "city": Scale("city", None, 365, extra_reports=True),
}

# Share of events that also reach the dashboard from another source, by severity 1..4: a
# neighbour's quarrel is rarely called in twice, a crash or a fire is called in by several
# people (grid worker, 12345, 110). Modelling choices (docs/demo.md); ~6.6 % of events overall.
EXTRA_REPORT_P = np.array([0.04, 0.09, 0.20, 0.40])
# The other source, by the event's category group: police matters go to 110 first.
_POLICE_CATEGORIES = frozenset({"治安隐患", "道路交通", "群体性事件", "消防安全", "矛盾纠纷"})
EXTRA_SOURCES = ("hotline_12345", "police_110", "wechat", "patrol")
EXTRA_SOURCE_P = {True: np.array([0.40, 0.40, 0.10, 0.10]), False: np.array([0.65, 0.05, 0.18, 0.12])}
EXTRA_SECOND_P = 0.3  # of those, the share reported by a third source too
EXTRA_OTHER_GRID_P = 0.15  # the caller's location puts it in another grid of the same village

# City-wide daily rates (issue #2): ~5,000 incidents, ~40,000 patrols, ~3,000 appeals.
CITY_GRIDS = 5982.0  # grids the full city generates: the rates below are city totals
INCIDENTS_PER_GRID_DAY = 5000 / CITY_GRIDS
APPEALS_PER_GRID_DAY = 3000 / CITY_GRIDS
PATROLS_PER_GRID_DAY = 40000 / CITY_GRIDS
BAD_ROW_SHARE = 0.005
# A point drawn outside its own grid is drawn again (City._inside): this many times at the
# full spread, then ever closer to the grid's centre, which lies inside it.
INSIDE_TRIES = 12
# 检查记录: two years of history; about quarterly with a risk tag, yearly without (mean days).
INSPECTION_DAYS = 730
INSPECTION_EVERY = {True: 90.0, False: 365.0}
INSPECTORS_PER_TOWNSHIP = 6

# Local-hour rhythm (Asia/Shanghai) and weekday factor (Mon..Sun).
HOURLY = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 1.9, 1.9, 1.6,
                   1.1, 1.2, 1.6, 1.8, 1.7, 1.5, 1.2, 1.0, 0.9, 0.8, 0.6, 0.4])
HOURLY = HOURLY / HOURLY.sum()
PATROL_HOURLY = np.array([0, 0, 0, 0, 0, 0, 0.3, 1.2, 2.0, 2.0, 1.8, 1.0,
                          0.5, 0.8, 1.6, 1.8, 1.6, 1.0, 0.5, 0.4, 0.3, 0.2, 0, 0], float)
PATROL_HOURLY = PATROL_HOURLY / PATROL_HOURLY.sum()
WEEKDAY = np.array([1.1, 1.0, 1.0, 1.0, 1.0, 0.8, 0.75])

SOURCES = ("patrol", "hotline_12345", "police_110", "mediation", "wechat", "department")
SOURCE_P = np.array([0.40, 0.25, 0.10, 0.05, 0.12, 0.08])
CATEGORIES = texts.INCIDENT_CATEGORIES  # 矛盾纠纷 … 群体性事件, 其他
_CAT_URBAN = {"矛盾纠纷": 16, "治安隐患": 12, "安全生产": 6, "消防安全": 7, "环境卫生": 15,
              "道路交通": 12, "民生服务": 14, "城建市容": 15, "群体性事件": 0.03, "其他": 3}
_CAT_RURAL = {"矛盾纠纷": 26, "治安隐患": 10, "安全生产": 8, "消防安全": 6, "环境卫生": 16,
              "道路交通": 8, "民生服务": 16, "城建市容": 4, "群体性事件": 0.03, "其他": 6}
CAT_P_URBAN = np.array([_CAT_URBAN[c] for c in CATEGORIES], float)
CAT_P_URBAN /= CAT_P_URBAN.sum()
CAT_P_RURAL = np.array([_CAT_RURAL[c] for c in CATEGORIES], float)
CAT_P_RURAL /= CAT_P_RURAL.sum()
DEPARTMENT = {"矛盾纠纷": "司法局", "治安隐患": "公安局", "安全生产": "应急管理局", "消防安全": "消防救援大队",
              "环境卫生": "城市管理局", "道路交通": "交通运输局", "民生服务": "民政局",
              "城建市容": "住房和城乡建设局", "群体性事件": "公安局", "其他": "乡镇综治中心"}
# Severity follows the event (texts.incident_event gives the range an event's text allows):
# inside the range the milder outcome is the common one.
SEVERITY_WEIGHT = np.array([1.0, 0.35, 0.12, 0.01])
SLA_HOURS = np.array([72, 48, 24, 12])  # by severity 1..4
LEVELS = ("grid", "township", "county", "city")

TOPICS = texts.TOPICS
_TOPIC_URBAN = [10, 8, 2, 8, 12, 14, 10, 12, 10, 8, 6]
_TOPIC_RURAL = [16, 9, 16, 10, 4, 4, 8, 14, 8, 6, 5]
TOPIC_P_URBAN = np.array(_TOPIC_URBAN, float) / sum(_TOPIC_URBAN)
TOPIC_P_RURAL = np.array(_TOPIC_RURAL, float) / sum(_TOPIC_RURAL)
# Repeat callers (重复来电): a small pool of citizens, each with one grievance (a topic) from
# one home grid, writing again every few days; about 1 % of appeals.
REPEAT_SHARE = 0.01
REPEAT_CALLERS = 150
CHANNELS = ("hotline_12345", "wechat", "visit", "letter", "online")
CHANNEL_P = np.array([0.45, 0.25, 0.10, 0.05, 0.15])

KEY_CATEGORIES = ("刑满释放人员", "社区矫正对象", "严重精神障碍患者", "社区戒毒康复人员",
                  "重点信访人员", "独居老人", "困境儿童")
# A key person's age at the seed end by category: (from, to, share) in whole years. Modelling
# choices (docs/demo.md): supervision and drug rehabilitation are for adults, most of working
# age; petitioners older; 严重精神障碍 any adult age; 独居老人 60+ (mostly 65+: the 高龄 whom
# the grid visits); 困境儿童 children, mostly of school age.
KEY_AGES = {"刑满释放人员": ((20, 34, 0.35), (35, 54, 0.5), (55, 72, 0.15)),
            "社区矫正对象": ((18, 29, 0.3), (30, 49, 0.5), (50, 72, 0.2)),
            "严重精神障碍患者": ((18, 34, 0.25), (35, 59, 0.5), (60, 85, 0.25)),
            "社区戒毒康复人员": ((18, 29, 0.3), (30, 49, 0.6), (50, 62, 0.1)),
            "重点信访人员": ((30, 49, 0.35), (50, 69, 0.5), (70, 84, 0.15)),
            "独居老人": ((60, 64, 0.1), (65, 79, 0.55), (80, 92, 0.35)),
            "困境儿童": ((3, 5, 0.15), (6, 17, 0.85))}
ALONE_CATEGORIES = frozenset({"独居老人"})  # in the register: the 户主 of a one-person 独居老人户
VISIT_INTERVAL = {3: 7, 2: 15, 1: 30}  # risk level -> days between visits
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃莫蒙陆甘农邓廖")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红文斌海燕建国春梅小龙")
# 平战转换 reasons and the local months they occur in (Guangxi: 汛期 June–August as the texts'
# flood season; forest-fire season October–April, the dry months).
EMERGENCY_REASONS = (("防汛抗洪", range(6, 9)), ("山体滑坡隐患处置", range(6, 9)),
                     ("森林防火", (10, 11, 12, 1, 2, 3, 4)), ("突发公共卫生事件处置", range(1, 13)),
                     ("重大活动安保", range(1, 13)))
# Category mix by season: more fire incidents in the heating months (取暖, 烧炭, 用电高峰).
SEASON_CATEGORY = {"消防安全": {11: 1.3, 12: 1.5, 1: 1.5, 2: 1.3}}

# 吹哨→报到 (dispatch to arrival) per department: (median minutes, lognormal sigma). Real
# departments differ: police and fire crews are on the road within minutes, mediation and
# civil affairs book a visit within the working day, and one bureau is the notorious laggard
# every county knows (here 住房和城乡建设局: building matters wait for an inspector's round).
# Modelling choices, not published figures (docs/demo.md).
DEPARTMENT_RESPONSE = {"消防救援大队": (14, 0.45), "公安局": (22, 0.55), "应急管理局": (45, 0.6),
                       "乡镇综治中心": (55, 0.6), "交通运输局": (75, 0.65), "城市管理局": (95, 0.7),
                       "司法局": (150, 0.7), "民政局": (190, 0.75), "住房和城乡建设局": (420, 0.85)}

# Sentiment of appeals. Published hotline statistics classify 12345 tickets by type:
# 宜春市12345热线 2023年第5期月报 (May 2023, 38,447 tickets): 投诉类 39.12 % + 举报类 6.54 % =
# 45.66 % complaints and reports, 咨询类 51.11 %, 求助类 1.54 %, 建议类 1.69 %
# (jxyc12345.cn/yxtb/rxyb/2023/06/19191628541989.html); 感谢类 is 0.2–0.3 % in the weekly
# reports of other cities (classifications differ: 唐山 counts 1 % 投诉, 64 % 咨询). The demo's
# negative share (sentiment < 0, docs/metrics.md) is the complaint-and-report share; inquiries
# and requests are neutral (0 ≤ s ≤ 0.18), thanks rare.
NEGATIVE_SHARE = 0.45
PRAISE_SHARE = 0.03
EPISODE_NEGATIVE_SHARE = 0.8  # a flare-up is people complaining about one thing

TIME_COLUMNS = {
    "incident": ("reported_at", "dispatched_at", "arrived_at", "closed_at", "sla_due_at"),
    "patrol": ("started_at", "ended_at"),
    "visit": ("visited_at",),
    "appeal": ("received_at", "resolved_at"),
    "grid_state": ("since",),
}


class City:
    """The static part of the demo city (regions, workers, key persons), and the
    per-window generators for the flows. Holds one RNG stream for the flows."""

    def __init__(self, scale: Scale, seed: int = 1, regions=None, workers=None, key_persons=None,
                 stream: int = 11):
        """Build the city from the seed, or (simulator) from rows already in the database."""
        self.scale = scale
        self.seed = seed
        self.regions = regions if regions is not None else build_regions(scale.counties)
        grids = [r for r in self.regions if r["level"] == "grid"]
        self.names = {r["code"]: r["name"] for r in self.regions}
        self.grid_code = np.array([g["code"] for g in grids])
        self.village = np.array([g["village_code"] for g in grids])
        self.township = np.array([g["township_code"] for g in grids])
        self.county = np.array([g["county_code"] for g in grids])
        self.urban = np.array([bool(g["is_urban"]) for g in grids])
        self.lon = np.array([g["lon"] for g in grids])
        self.lat = np.array([g["lat"] for g in grids])
        self.households = np.array([g["households"] for g in grids], float)
        n = len(grids)
        static = np.random.default_rng([seed, 7])
        # Busier grids report more; towns more than villages.
        self.weight = self.households * np.where(self.urban, 1.4, 1.0)
        self.weight /= self.weight.sum()
        # A few grids are patrolled badly: the blind spots.
        self.diligence = np.where(static.random(n) < 0.03, 0.08, static.uniform(0.85, 1.15, n))
        self.index = {str(c): i for i, c in enumerate(self.grid_code)}
        self.towns = {t: i for i, t in enumerate(sorted(set(self.township.tolist())))}
        self.workers = workers if workers is not None else self._workers(static)
        self._index_workers()
        self._kp_birth: dict[int, tuple[float, int]] = {}  # generated key persons' birth draws
        self._kp_dated: dt.date | None = None  # the day their ages count to
        self.key_persons = key_persons if key_persons is not None else self._key_persons(static)
        self._index_key_persons(static)
        callers = np.random.default_rng([seed, 19])
        self.caller_grid = callers.choice(n, REPEAT_CALLERS, p=self.weight)
        self.caller_topic = np.where(self.urban[self.caller_grid],
                                     callers.choice(len(TOPICS), REPEAT_CALLERS, p=TOPIC_P_URBAN),
                                     callers.choice(len(TOPICS), REPEAT_CALLERS, p=TOPIC_P_RURAL))
        self.rng = np.random.default_rng([seed, stream])
        self.text_rng = random.Random(seed * 7919 + stream)
        # Extra reports of one event draw from their own streams: the other rows stay as they were.
        self.extra_rng = np.random.default_rng([seed, stream, 23])
        self.extra_text_rng = random.Random(seed * 7919 + stream + 23)
        # Incident points moved inside their grid draw from their own stream too.
        self.inside_rng = np.random.default_rng([seed, stream, 29])
        self._shapes = None  # the grids' polygons, parsed when first needed
        self.last_extra_origin: dict[int, int] = {}  # extra report id -> the event's first report id
        self.next_id = {"incident": 1, "patrol": 1, "appeal": 1, "visit": 1}
        self.episodes = []  # (township, topic index, start, end, extra appeals per day)
        self.rate_multiplier = 1.0  # the simulator's --speed

    # --- static tables ----------------------------------------------------

    def _name(self, rng) -> str:
        given = "".join(rng.choice(GIVEN, size=int(rng.integers(1, 3))))
        return str(rng.choice(SURNAMES)) + given

    @staticmethod
    def _phone(rng) -> str:
        return "1" + str(rng.choice(["33", "35", "37", "38", "39", "50", "58", "77", "80", "86", "89"])) + \
            "".join(map(str, rng.integers(0, 10, 8)))

    def _workers(self, rng) -> list[dict]:
        rows = []
        for i, code in enumerate(self.grid_code):
            roles = ["grid_leader", "full_time"] + (["full_time"] if self.urban[i] else []) + \
                ["part_time"] * int(rng.integers(1, 3)) + ["liaison_cadre"] + \
                (["first_grid_leader"] if rng.random() < 0.3 else [])
            for role in roles:
                rows.append({"id": len(rows) + 1, "grid_code": str(code), "name": self._name(rng),
                             "role": role, "phone": self._phone(rng),
                             "party_member": bool(rng.random() < 0.45), "active": bool(rng.random() > 0.02)})
        return rows

    def _index_workers(self):
        self.grid_workers: dict[int, list[int]] = {}
        for w in self.workers:
            if str(w["grid_code"]) in self.index:
                self.grid_workers.setdefault(self.index[str(w["grid_code"])], []).append(int(w["id"]))
        pairs = sorted((g, wid) for g, ids in self.grid_workers.items() for wid in ids)
        self.worker_grid_index = np.array([g for g, _ in pairs], int)
        self.worker_ids = np.array([w for _, w in pairs], int)

    def _key_persons(self, rng) -> list[dict]:
        rows = []
        counts = rng.poisson(2.4, len(self.grid_code))
        for i, k in enumerate(counts):
            for _ in range(int(k)):
                risk = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
                row = {
                    "id": len(rows) + 1, "grid_code": str(self.grid_code[i]),
                    "village_code": str(self.village[i]), "township_code": str(self.township[i]),
                    "county_code": str(self.county[i]), "category": str(rng.choice(KEY_CATEGORIES)),
                    "risk_level": risk, "visit_interval_days": VISIT_INTERVAL[risk],
                    "name": self._name(rng)}
                # Place in the category's ages and ID serial: the same two draws as the old fixed
                # 1950–2004 birth date and serial, so the rest of the static stream (names,
                # phones, visit rates) stays as it was.
                self._kp_birth[row["id"]] = (int(rng.integers(0, 365 * 55)) / (365 * 55),
                                             int(rng.integers(0, 1000)))
                row["phone"] = self._phone(rng)
                rows.append(row)
        # Ages count from the seed end (static_rows, register_columns date them again); until
        # then from today.
        self._date_key_persons((dt.datetime.now(UTC) + SHANGHAI_OFFSET).date(), rows)
        return rows

    def _date_key_persons(self, day: dt.date, rows=None) -> None:
        """Give the generated key persons ID numbers whose birth dates make them their category's
        age on `day` (the seed end's local day). Rows read from a database stay as they are."""
        if self._kp_dated == day:
            return
        drawn = self._kp_birth
        rows = [p for p in (self.key_persons if rows is None else rows) if p["id"] in drawn]
        if rows:
            born = [_birth_day(day, *_key_age(p["category"], drawn[p["id"]][0])) for p in rows]
            numbers = _id_numbers(np.array([p["county_code"] for p in rows]), np.array(born, "datetime64[D]"),
                                  np.array([drawn[p["id"]][1] for p in rows]))
            for p, number in zip(rows, numbers.tolist()):
                p["id_number"] = str(number)
        self._kp_dated = day

    def _index_key_persons(self, rng):
        """Visit rates: each person about once per interval, worse in badly patrolled grids."""
        people = [p for p in self.key_persons if str(p["grid_code"]) in self.index]
        grid_i = np.array([self.index[str(p["grid_code"])] for p in people], int)
        interval = np.array([max(1, p["visit_interval_days"] or 30) for p in people], float)
        # Visits are scheduled: ~1.7 per interval keeps most people on time, not all.
        care = rng.uniform(1.2, 2.2, len(people))
        self.kp_id = np.array([p["id"] for p in people], int)
        self.kp_rate = care * np.minimum(self.diligence[grid_i], 1.0) / interval if len(people) else np.zeros(0)
        self.kp_worker = np.array([self.grid_workers.get(g, [0])[0] for g in grid_i], int)

    def static_rows(self, start: dt.datetime, end: dt.datetime) -> dict[str, list[dict]]:
        self._date_key_persons((end + SHANGHAI_OFFSET).date())
        rng = np.random.default_rng([self.seed, 13])
        wechat, states = [], []
        for i, code in enumerate(self.grid_code):
            total = int(self.households[i])
            wechat.append({"grid_code": str(code), "households_total": total,
                           "households_joined": int(total * rng.uniform(0.55, 0.99))})
            emergency = rng.random() < 0.004
            since = end - dt.timedelta(hours=float(rng.uniform(2, 72) if emergency else rng.uniform(24, 2000)))
            month = (since + SHANGHAI_OFFSET).month
            reasons = [name for name, months in EMERGENCY_REASONS if month in months]
            states.append({"grid_code": str(code), "mode": "emergency" if emergency else "normal",
                           "since": since, "reason": str(rng.choice(reasons)) if emergency else None,
                           "commander_worker_id": int(self.grid_workers[i][0])})
        return {"region": self.regions, "grid_worker": self.workers, "key_person": self.key_persons,
                "wechat_group": wechat, "grid_state": states}

    # --- the register: households, persons, enterprises, places, organisations ---

    def register_columns(self, end: dt.datetime) -> dict[str, dict]:
        """{table: columns} of the register (一户一档 …), each from its own random stream so the
        other tables' rows stay exactly as they were. Agrees with the region table: a grid's
        households and enterprises are region.households / region.enterprises rows, its
        households' members sum to region.population."""
        self._date_key_persons((end + SHANGHAI_OFFSET).date())  # the key_person rows' ID numbers
        pop = {r["code"]: int(r["population"]) for r in self.regions if r["level"] == "grid"}
        population = np.array([pop[str(c)] for c in self.grid_code], int)
        fix = np.random.default_rng([self.seed, 37])  # points moved inside their grid
        hh = self._households(np.random.default_rng([self.seed, 31]), population, fix)
        persons = self._persons(np.random.default_rng([self.seed, 32]), hh, end)
        out = {"household": hh["cols"], "person": persons,
               "enterprise": self._enterprises(np.random.default_rng([self.seed, 33]), end, fix),
               **self._places_and_organizations(np.random.default_rng([self.seed, 34]), fix)}
        self._spoil_register(np.random.default_rng([self.seed, 35]), out, hh["sampled"], end)
        # After the spoiling: an enterprise's inspections carry its codes and its latest date as written.
        out["inspection"] = self._inspections(np.random.default_rng([self.seed, 36]), out["enterprise"], end)
        return out

    def _point(self, rng, gi, fix, spread=0.0015):
        """Points around the grids' centres, inside each one's own grid (`fix` redraws those
        that fell outside, so `rng` is drawn from exactly as before)."""
        return self._inside(fix, gi, (self.lon[gi] + rng.normal(0, spread, len(gi))).round(5),
                            (self.lat[gi] + rng.normal(0, spread, len(gi))).round(5), spread)

    def _grid_shapes(self):
        """The grids' polygons (prepared), by grid index; None when the rows carry none."""
        if self._shapes is None:
            geo = [r.get("geometry") for r in self._grids()]
            self._shapes = False  # rows without polygons: points stay as drawn
            if geo and all(g is not None for g in geo):
                self._shapes = shapely.from_geojson(np.asarray(geo, dtype=object))
                shapely.prepare(self._shapes)
        return None if self._shapes is False else self._shapes

    def _inside(self, rng, gi, lon, lat, spread):
        """The points outside their own grid drawn again around its centre from `rng`: for nearly
        all a draw conditioned on lying inside; in the smallest grids ever narrower tries, last
        the centre itself (the grid's label point, inside it)."""
        shapes = self._grid_shapes()
        if shapes is None or not len(gi):
            return lon, lat
        lon, lat = np.array(lon, float), np.array(lat, float)
        out = np.flatnonzero(~shapely.contains_xy(shapes[gi], lon, lat))
        for k in range(4 * INSIDE_TRIES):
            if not len(out):
                break
            g = gi[out]
            s = spread * 0.7 ** max(0, k + 1 - INSIDE_TRIES)
            x = (self.lon[g] + rng.normal(0, s, len(out))).round(5)
            y = (self.lat[g] + rng.normal(0, s, len(out))).round(5)
            ok = shapely.contains_xy(shapes[g], x, y)
            lon[out[ok]], lat[out[ok]] = x[ok], y[ok]
            out = out[~ok]
        lon[out], lat[out] = self.lon[gi[out]], self.lat[gi[out]]  # the centre is inside its grid
        return lon, lat

    def _households(self, rng, population, fix) -> dict:
        counts = self.households.astype(int)
        gi = np.repeat(np.arange(len(counts)), counts)
        n = len(gi)
        members = np.ones(n, int)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        for g in range(len(counts)):  # each grid's members sum to its population
            if counts[g]:
                members[first[g]:first[g] + counts[g]] += rng.multinomial(
                    max(0, population[g] - counts[g]), np.full(counts[g], 1.0 / counts[g]))
        urban = self.urban[gi]
        u = rng.random((6, n))
        tags = {"独居老人户": (members == 1) & (u[0] < 0.45), "低保户": u[1] < 0.035,
                "出租屋": u[2] < np.where(urban, 0.18, 0.03), "留守家庭": u[3] < np.where(urban, 0.01, 0.09),
                "军属": u[4] < 0.015, "五保户": (members == 1) & ~urban & (u[5] < 0.05)}
        tag_text = _join_tags(tags, n)
        road = rng.integers(0, len(texts.ROADS), n)
        num = rng.integers(1, 400, n)
        bldg, unit, room = rng.integers(1, 30, n), rng.integers(1, 5, n), rng.integers(1, 19, n) * 100 + \
            rng.integers(1, 5, n)
        group = rng.integers(1, 16, n)
        village = {v: texts.short_place(self.names[v]) for v in set(self.village.tolist())}
        vname = [village[v] for v in self.village[gi].tolist()]
        address = [f"{texts.ROADS[r]}{k}号{b}栋{un}单元{rm}室" if ur else f"{vn}{gp}组{k}号"
                   for r, k, b, un, rm, ur, vn, gp in zip(road.tolist(), num.tolist(), bldg.tolist(), unit.tolist(),
                                                          room.tolist(), urban.tolist(), vname, group.tolist())]
        lon, lat = self._point(rng, gi, fix)
        sampled = rng.random(n) < self.scale.person_share
        return {"cols": {"id": np.arange(1, n + 1), **self._location(gi), "address": address, "members": members,
                         "tags": tag_text, "lon": lon, "lat": lat},
                "gi": gi, "first": first, "counts": counts, "members": members, "sampled": sampled, "tags": tags}

    def _persons(self, rng, hh: dict, end: dt.datetime) -> dict:
        """Residents of the sampled households; every key person and repeat caller is one of them."""
        members, sampled, first, counts = hh["members"], hh["sampled"], hh["first"], hh["counts"]
        used: dict[int, set] = {}  # household index -> slots already given to a known resident
        placed = []  # (household index, slot, key person row or None, caller or None)
        head_for: dict[int, int] = {}  # household index -> the head's age a known resident implies
        end_day = (end + SHANGHAI_OFFSET).date()
        alone = hh["tags"]["独居老人户"]
        occupied = np.zeros(len(members), bool)  # households a known resident lives in
        # A child takes a child's place (子女, else 孙子女), a young adult too where the household
        # has one, anyone else the head's first; ages then agree.
        order = {"child": (2, 3, 5, 1, 0, 4), "young": (2, 3, 0, 1, 4, 5), "adult": (0, 1, 4, 2, 3, 5)}

        def fitting(g, age, category):
            """The grid's households (indexes) a key person may live in, best first; nobody
            known lives there yet. 独居老人: alone, a household tagged so first; a child: with a
            head, a spouse and a child's place; nobody under 60 in a 独居老人户."""
            span = slice(first[g], first[g] + counts[g])
            free = ~occupied[span]
            if category in ALONE_CATEGORIES:
                one = free & (members[span] == 1)
                return [one & alone[span], one]
            if age < 60:
                free &= ~alone[span]
            return [free & (members[span] >= 3)] if age < 18 else [free]

        def home(g, age, category=None):
            h = int(first[g] + rng.integers(0, counts[g]))
            for ok in fitting(g, age, category) if age is not None else ():
                at = np.flatnonzero(ok) + first[g]
                if len(at):  # the first fitting one from the drawn household on, as below
                    h = int(at[np.searchsorted(at, h) % len(at)])
                    break
            else:  # none fits (or a repeat caller): the first with room from the drawn one on
                for _ in range(int(counts[g])):
                    if len(used.get(h, ())) < members[h]:
                        break
                    h = int(first[g] + (h - first[g] + 1) % counts[g])
            taken = used.setdefault(h, set())
            kind = "adult" if age is None or age >= 26 else "child" if age < 18 else "young"
            free = [k for k in order[kind] if k < members[h] and k not in taken] or \
                [k for k in range(int(members[h])) if k not in taken]
            slot = free[0]
            taken.add(slot)
            sampled[h] = occupied[h] = True
            if category in ALONE_CATEGORIES and members[h] == 1 and not alone[h]:
                alone[h] = True  # living alone: the household is a 独居老人户
                tags = hh["cols"]["tags"]
                tags[h] = "独居老人户" + ("," + tags[h] if tags[h] else "")
            if age is not None and slot == 0:
                head_for[h] = max(age, 20)
            elif age is not None and h not in head_for and slot in (2, 3):
                head_for[h] = age + int(rng.integers(24, 34))
            elif age is not None and h not in head_for and slot >= 5:  # a grandchild
                head_for[h] = age + int(rng.integers(45, 58))
            return h, slot
        for p in self.key_persons:
            g = self.index.get(str(p["grid_code"]))
            if g is not None and counts[g]:
                placed.append((*home(g, _age_on(p["id_number"], end_day), p["category"]), p, None))
        for k, g in enumerate(self.caller_grid.tolist()):
            if counts[g]:
                placed.append((*home(g, None), None, k))
        rows = np.flatnonzero(sampled)
        m = members[rows]
        h = np.repeat(rows, m)
        slot = np.arange(len(h)) - np.repeat(np.cumsum(m) - m, m)
        n = len(h)
        gi = hh["gi"][h]
        # Ages by place in the household: head, spouse, children, a parent, grandchildren.
        head_age = rng.integers(28, 80, len(rows))
        head_age = np.where(alone[rows], rng.integers(65, 92, len(rows)), head_age)
        if head_for:
            known = np.array(sorted(head_for))
            head_age[np.searchsorted(rows, known)] = [min(head_for[k], 98) for k in known.tolist()]
        head = np.repeat(head_age, m)
        rel = np.minimum(slot, 5)
        age = np.select([rel == 0, rel == 1, rel <= 3, rel == 4],
                        [head, head + rng.integers(-5, 6, n), head - rng.integers(22, 36, n),
                         head + rng.integers(22, 30, n)], head - rng.integers(45, 58, n))
        age = np.clip(np.where(rel == 1, np.maximum(age, 20), age), 0, 98)  # a spouse is of marrying age
        relation = np.asarray(("户主", "配偶", "子女", "子女", "父母", "孙子女"))[rel].astype(object)
        names = _names(rng, n)
        birth = np.datetime64(end_day) - (age * 365.25 + rng.integers(1, 365, n)).astype("timedelta64[D]")
        id_numbers = _id_numbers(self.county[gi], birth, rng.integers(0, 1000, n))
        phones = _phones(rng, n)
        phones[age < 16] = None  # children have no phone of their own
        u = rng.random((5, n))
        adult = age >= 18
        htags = {k: v[h] for k, v in hh["tags"].items()}
        tags = {"党员": adult & (u[0] < 0.08), "退役军人": adult & (u[1] < 0.015), "残疾人": u[2] < 0.025,
                "低保对象": htags["低保户"], "独居老人": htags["独居老人户"],
                "流动人口": htags["出租屋"] & (u[3] < 0.6), "重点人员": np.zeros(n, bool)}
        key_person_id = np.full(n, None, dtype=object)
        citizen = np.array([f"p{i}" for i in range(1, n + 1)], dtype=object)
        start = dict(zip(rows.tolist(), (np.cumsum(m) - m).tolist()))
        names = np.asarray(names, dtype=object)
        for hi, s, kp, caller in placed:
            i = start[hi] + s
            if kp is not None:  # the register's row of the key person: the same identity
                names[i], id_numbers[i], phones[i] = kp["name"], kp["id_number"], kp["phone"]
                key_person_id[i] = kp["id"]
                tags["重点人员"][i] = True
                age[i] = _age_on(kp["id_number"], end_day)
            if caller is not None:  # appeal.citizen_hash is made from the caller's number
                citizen[i] = caller
        citizen_hash = [hashlib.sha256(f"{self.seed}:{c}".encode()).hexdigest()[:32] for c in citizen.tolist()]
        bands = np.asarray(("0-17", "18-34", "35-59", "60-79", "80+"))[np.searchsorted([18, 35, 60, 80], age,
                                                                                       side="right")]
        return {"id": np.arange(1, n + 1), "household_id": h + 1, **self._location(gi), "relation": relation,
                "name": names, "id_number": id_numbers, "phone": phones, "age_band": bands.astype(object),
                "tags": _join_tags(tags, n), "key_person_id": key_person_id, "citizen_hash": citizen_hash}

    def _enterprises(self, rng, end: dt.datetime, fix) -> dict:
        counts = np.array([r["enterprises"] for r in self._grids()], int)
        gi = np.repeat(np.arange(len(counts)), counts)
        n = len(gi)
        kinds = list(texts.ENTERPRISE_KINDS)
        spec = texts.ENTERPRISE_KINDS
        p_u = np.array([spec[k][1] for k in kinds]) / sum(spec[k][1] for k in kinds)
        p_r = np.array([spec[k][2] for k in kinds]) / sum(spec[k][2] for k in kinds)
        kind = np.where(self.urban[gi], rng.choice(len(kinds), n, p=p_u), rng.choice(len(kinds), n, p=p_r))
        median = np.array([spec[k][3] for k in kinds])[kind]
        employees = np.maximum(1, rng.lognormal(np.log(median), 0.8, n)).astype(int)
        kname = np.asarray(kinds)[kind]
        u = rng.random((4, n))
        tags = {"危化品": (kname == "危化品经营") | ((kname == "制造业") & (u[0] < 0.1)),
                "消防重点": np.isin(kname, ["住宿餐饮", "批发零售"]) & ((employees >= 20) | (u[1] < 0.3)),
                "劳动密集": np.isin(kname, ["制造业", "建筑业"]) & (employees >= 100),
                "有限空间": (kname == "制造业") & (u[2] < 0.15)}
        risky = tags["危化品"] | tags["消防重点"] | tags["劳动密集"]
        ago = np.where(risky, rng.uniform(2, 90, n), rng.uniform(5, 400, n))
        end64 = np.datetime64(end.replace(tzinfo=None), "s")
        inspected = end64 - (ago * 86400).astype("timedelta64[s]")
        inspected = np.where(u[3] < np.where(risky, 0.02, 0.1), np.datetime64("NaT"), inspected)
        result = np.asarray(texts.INSPECTION_RESULTS, dtype=object)[rng.choice(3, n, p=[0.8, 0.17, 0.03])]
        result = np.where(np.isnat(inspected), None, result)
        word = rng.integers(0, len(texts.ENTERPRISE_WORDS), n)
        ending = rng.integers(0, 5, n)
        towns = {t: texts.short_place(self.names[t]).removesuffix("街道").removesuffix("镇").removesuffix("乡")
                 for t in set(self.township.tolist())}
        names = [f"贵港市{towns[t]}{texts.ENTERPRISE_WORDS[w]}{spec[k][0][e % len(spec[k][0])]}"
                 for t, w, k, e in zip(self.township[gi].tolist(), word.tolist(), kname.tolist(), ending.tolist())]
        contact = _names(rng, n)
        lon, lat = self._point(rng, gi, fix)
        return {"id": np.arange(1, n + 1), **self._location(gi), "name": names, "kind": kname.astype(object),
                "employees": employees, "risk_tags": _join_tags(tags, n), "last_inspected_at": inspected,
                "inspection_result": result, "contact_name": contact,
                "contact_phone": _phones(rng, n), "lon": lon, "lat": lat}

    def _grids(self):
        return [r for r in self.regions if r["level"] == "grid"]

    def _places_and_organizations(self, rng, fix) -> dict:
        places, orgs = [], []  # (grid index, kind, name, detail or members)
        seen_village = set()
        for g, code in enumerate(self.grid_code.tolist()):
            grid_name = self.names[code]
            village = texts.short_place(self.names[str(self.village[g])])
            places.append((g, "网格驿站", f"{village}{grid_name}驿站", "网格员值守、群众议事、便民服务"))
            orgs.append((g, "网格党支部", f"{village}{grid_name}党支部", int(rng.integers(8, 41))))
            if rng.random() < 0.7:
                orgs.append((g, "志愿服务队", f"{village}{grid_name}志愿服务队", int(rng.integers(10, 61))))
            first_in_village = self.village[g] not in seen_village
            seen_village.add(self.village[g])
            if first_in_village or (self.urban[g] and rng.random() < 0.3):
                site = texts.SHELTERS[int(rng.integers(0, len(texts.SHELTERS)))]
                places.append((g, "避难场所", f"{village}{site}应急避难场所", f"可容纳{int(rng.integers(2, 30)) * 100}人"))
            if first_in_village:
                orgs.append((g, "调解组织", f"{village}人民调解委员会", int(rng.integers(3, 10))))
            elif self.urban[g] and rng.random() < 0.2:
                orgs.append((g, "调解组织", f"{village}{grid_name}调解工作室", int(rng.integers(2, 6))))
            for _ in range(int(rng.poisson(6 if self.urban[g] else 2))):
                cam = texts.CAMERAS[int(rng.integers(0, len(texts.CAMERAS)))]
                places.append((g, "监控点位", f"{village}{grid_name}{cam}", "雪亮工程接入"))
            for _ in range(int(rng.poisson(0.4))):
                name, detail = texts.HAZARDS[int(rng.integers(0, len(texts.HAZARDS)))]
                places.append((g, "危险源", f"{village}{name}", detail))

        def cols(rows, last):
            gi = np.array([r[0] for r in rows], int)
            lon, lat = self._point(rng, gi, fix)
            return {"id": np.arange(1, len(rows) + 1), **self._location(gi),
                    "kind": [r[1] for r in rows], "name": [r[2] for r in rows], last: [r[3] for r in rows],
                    "lon": lon, "lat": lat}
        return {"place": cols(places, "detail"), "organization": cols(orgs, "members")}

    def _spoil_register(self, rng, out: dict, sampled: np.ndarray, end: dt.datetime) -> None:
        """A few bad rows, as registers have them (docs/schema.md): a grid code nobody knows, a
        resident whose household is missing, an inspection dated in the future, no point."""
        for table in ("household", "enterprise", "place", "organization"):
            cols = out[table]
            n = len(cols["id"])
            bad = np.flatnonzero(rng.random(n) < BAD_ROW_SHARE / 2)
            codes = np.asarray(cols["grid_code"], dtype=object)
            for i in bad:
                # Drawn for every candidate, so the stream does not hang on which households
                # have residents (whose household stays consistent).
                suffix = int(rng.integers(0, 100))
                if table != "household" or not sampled[i]:
                    codes[i] = str(cols["village_code"][i]) + "9" + f"{suffix:02d}"
            cols["grid_code"] = codes
        people = out["person"]
        lost = np.flatnonzero(rng.random(len(people["id"])) < BAD_ROW_SHARE / 5)
        people["household_id"] = people["household_id"].copy()
        people["household_id"][lost] = 900_000_000 + lost  # no such household
        ent = out["enterprise"]
        ahead = np.flatnonzero(rng.random(len(ent["id"])) < BAD_ROW_SHARE)
        ent["last_inspected_at"][ahead] = np.datetime64(end.replace(tzinfo=None), "s") + np.timedelta64(30, "D")
        for table in ("place", "organization"):
            cols = out[table]
            off = np.flatnonzero(rng.random(len(cols["id"])) < BAD_ROW_SHARE)
            cols["lon"][off] = np.nan
            cols["lat"][off] = np.nan

    def _inspections(self, rng, ent: dict, end: dt.datetime) -> dict:
        """检查记录: each inspected enterprise's inspections over INSPECTION_DAYS, back from its
        latest (the enterprise row's last_inspected_at and inspection_result, as written), about
        quarterly with a risk tag and yearly without; then a few bad rows."""
        last, result = ent["last_inspected_at"], np.asarray(ent["inspection_result"], dtype=object)
        has = np.flatnonzero(~np.isnat(last) & (result != None))  # noqa: E711 - elementwise
        tags = np.asarray(ent["risk_tags"], dtype=object)[has]
        every = np.where(tags != None, INSPECTION_EVERY[True], INSPECTION_EVERY[False])  # noqa: E711
        end64 = np.datetime64(end.replace(tzinfo=None), "s")
        # Younger enterprises (about one in five) have a shorter history.
        horizon = end64 - (np.where(rng.random(len(has)) < 0.2, rng.uniform(0.1, 1.0, len(has)), 1.0)
                           * INSPECTION_DAYS * 86400).astype("timedelta64[s]")
        steps = int(INSPECTION_DAYS / INSPECTION_EVERY[True] * 1.6) + 2
        gaps = rng.gamma(16.0, 1 / 16.0, (len(has), steps)) * every[:, None] * 86400  # ±25 %
        back = np.concatenate([np.zeros((len(has), 1)), np.cumsum(gaps, axis=1)], axis=1)
        times = last[has][:, None] - back.astype("timedelta64[s]")
        times[:, 1:] = _office_hours(rng, times[:, 1:].ravel()).reshape(len(has), steps)  # the latest as written
        keep = times >= horizon[:, None]
        keep[:, 0] = True  # the latest always (it is the enterprise row's)
        who, k = np.nonzero(keep)  # enterprise (position in `has`), 0 = latest
        at = times[who, k]
        firm = has[who]
        n = len(firm)
        res = np.asarray(texts.INSPECTION_RESULTS, dtype=object)[rng.choice(3, n, p=[0.78, 0.19, 0.03])]
        res[k == 0] = result[firm[k == 0]]
        # Problems found are put right within the deadline, verified before the next inspection.
        deadline = np.where(res == "停产整顿", rng.uniform(20, 60, n), rng.uniform(7, 30, n))
        fixed = at + (deadline * 86400).astype("timedelta64[s]")
        later = np.full(n, np.datetime64("NaT"), "datetime64[s]")
        newer = np.flatnonzero(k[1:] > 0) + 1  # rows whose next newer inspection is the row before
        later[newer] = at[newer - 1]
        fixed = np.where(~np.isnat(later) & (fixed >= later), later - np.timedelta64(1, "D"), fixed)
        fixed = _office_hours(rng, fixed)
        open_ = (res == "合格") | (fixed > end64) | ((k > 0) & (rng.random(n) < 0.05))
        fixed = np.where(open_, np.datetime64("NaT"), fixed)
        findings = self._findings(rng, res, np.asarray(ent["risk_tags"], dtype=object)[firm])
        pool = _names(rng, INSPECTORS_PER_TOWNSHIP * len(self.towns))
        town = np.array([self.towns[t] for t in np.asarray(ent["township_code"])[firm].tolist()], int)
        inspector = pool[town * INSPECTORS_PER_TOWNSHIP + rng.integers(0, INSPECTORS_PER_TOWNSHIP, n)]
        order = np.argsort(at, kind="stable")  # ids in the order the inspections were written
        cols = {"id": np.arange(1, n + 1), "enterprise_id": np.asarray(ent["id"])[firm][order],
                **{c: np.asarray(ent[c], dtype=object)[firm][order]
                   for c in ("grid_code", "village_code", "township_code", "county_code")},
                "inspected_at": at[order], "inspector": inspector[order], "result": res[order],
                "findings": findings[order], "rectified_at": fixed[order]}
        self._spoil_inspections(rng, cols, (k > 0)[order])
        return cols

    @staticmethod
    def _findings(rng, res: np.ndarray, tags: np.ndarray) -> np.ndarray:
        """One or two problems for a 限期整改 (from the enterprise's risk tags and the general
        ones), a serious hazard first for a 停产整顿, none for a 合格."""
        out = np.full(len(res), None, dtype=object)
        found = np.flatnonzero(res != "合格")
        tag_text = np.array([t or "" for t in tags[found].tolist()], dtype=object)
        for combo in sorted(set(tag_text.tolist())):  # a few tag combinations: draw each at once
            rows = found[tag_text == combo]
            pool = [f for t in combo.split(",") if t for f in texts.INSPECTION_FINDINGS[t]]
            pool = np.asarray(pool + list(texts.INSPECTION_FINDINGS[""]), dtype=object)
            m = len(rows)
            first = rng.integers(0, len(pool), m)
            second = (first + rng.integers(1, len(pool), m)) % len(pool)  # never the first again
            serious = np.asarray(texts.SERIOUS_FINDINGS, dtype=object)[
                rng.integers(0, len(texts.SERIOUS_FINDINGS), m)]
            two = rng.random(m) < 0.4
            stop = res[rows] == "停产整顿"
            out[rows] = [f"{s}；{a}" if halt else (f"{a}；{b}" if both else a)
                         for a, b, s, both, halt in zip(pool[first].tolist(), pool[second].tolist(),
                                                         serious.tolist(), two.tolist(), stop.tolist())]
        return out

    @staticmethod
    def _spoil_inspections(rng, cols: dict, older: np.ndarray) -> None:
        """Bad rows among an enterprise's older inspections (its latest stays the enterprise
        row's): no time, an enterprise nobody knows, rectified before inspected. An enterprise
        with a spoiled grid code or a future last_inspected_at lends them to its rows already."""
        n = len(cols["id"])
        u = rng.random((3, n))
        cols["inspected_at"][older & (u[0] < BAD_ROW_SHARE / 2)] = np.datetime64("NaT")
        lost = np.flatnonzero(older & (u[1] < BAD_ROW_SHARE / 2))
        cols["enterprise_id"][lost] = 900_000_000 + lost  # no such enterprise
        early = np.flatnonzero(older & ~np.isnat(cols["rectified_at"]) & ~np.isnat(cols["inspected_at"])
                               & (u[2] < BAD_ROW_SHARE * 2))
        cols["rectified_at"][early] = cols["inspected_at"][early] - (
            rng.uniform(1, 30, len(early)) * 86400).astype("timedelta64[s]")

    # --- flows, one time window at a time --------------------------------

    def _segments(self, t0: dt.datetime, t1: dt.datetime, hourly: np.ndarray):
        """(start, seconds, expected share of a day) for each local hour piece of [t0, t1)."""
        t = t0
        while t < t1:
            local = t + SHANGHAI_OFFSET
            hour_end = (local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)) - SHANGHAI_OFFSET
            seg_end = min(hour_end, t1)
            secs = (seg_end - t).total_seconds()
            share = hourly[local.hour] * WEEKDAY[local.weekday()] * secs / 3600.0
            yield t, secs, share
            t = seg_end

    def _times(self, t0, t1, per_day, hourly):
        out = []
        for start, secs, share in self._segments(t0, t1, hourly):
            n = self.rng.poisson(per_day * share * self.rate_multiplier)
            if n:
                out.append(np.datetime64(start.replace(tzinfo=None), "s") +
                           np.sort(self.rng.uniform(0, secs, n)).astype("timedelta64[s]"))
        return np.concatenate(out) if out else np.array([], "datetime64[s]")

    def incidents(self, t0, t1, end):
        """Incidents reported in [t0, t1), with the steps that have happened by `end`."""
        rate = INCIDENTS_PER_GRID_DAY * len(self.grid_code)
        times = self._times(t0, t1, rate, HOURLY)
        n = len(times)
        rng = self.rng
        gi = rng.choice(len(self.grid_code), n, p=self.weight)
        urban = self.urban[gi]
        p_urban, p_rural = _season_categories((t0 + SHANGHAI_OFFSET).month)
        cat = np.where(urban, rng.choice(len(CATEGORIES), n, p=p_urban),
                       rng.choice(len(CATEGORIES), n, p=p_rural))
        cats = np.asarray(CATEGORIES)[cat]
        # The event first (its text, in the month it happens), then a severity its text allows.
        months = _local_months(times)
        details = [{} for _ in range(n)] if self.scale.extra_reports else [None] * n
        events = [texts.incident_event(self.text_rng, c, self._place(g), int(m), d)
                  for c, g, m, d in zip(cats, gi, months, details)]
        sev = _severities(np.array([e[2] for e in events], int).reshape(-1, 2), rng.random(n))
        # Most are settled inside the grid (一格解决); severe ones go up (全网联动).
        lvl_p = np.array([[0.78, 0.17, 0.04, 0.01], [0.62, 0.28, 0.08, 0.02],
                          [0.30, 0.40, 0.25, 0.05], [0.0, 0.2, 0.5, 0.3]])
        level = (rng.random(n)[:, None] > np.cumsum(lvl_p[sev - 1], axis=1)).sum(axis=1).clip(0, 3)
        src = rng.choice(len(SOURCES), n, p=SOURCE_P)
        sla = times + (SLA_HOURS[sev - 1] * 3600).astype("timedelta64[s]")
        escalated = level > 0
        # 吹哨 (dispatch) and 报到 (arrival) only when it leaves the grid.
        dispatch = times + rng.lognormal(np.log(40 * 60), 0.8, n).astype("timedelta64[s]")
        dept = np.array([DEPARTMENT[c] for c in cats], dtype=object)
        median = np.array([DEPARTMENT_RESPONSE[d][0] for d in dept], float)
        sigma = np.array([DEPARTMENT_RESPONSE[d][1] for d in dept], float)
        arrive = dispatch + (median * 60 * np.exp(sigma * rng.standard_normal(n))).astype("timedelta64[s]")
        # Closure: most small matters within hours (日清零); escalated ones take longer;
        # a few stall and run past their SLA.
        base_h = np.array([2.5, 8.0, 16.0, 20.0])[level] * np.array([1.0, 1.2, 1.0, 0.6])[sev - 1]
        close_h = rng.lognormal(np.log(base_h), 0.9, n)
        stalled = rng.random(n) < 0.04
        close_h = np.where(stalled, rng.lognormal(np.log(SLA_HOURS[sev - 1] * 1.0), 0.6, n), close_h)
        close = times + (close_h * 3600).astype("timedelta64[s]")
        end64 = np.datetime64(end.replace(tzinfo=None), "s")
        nat = np.datetime64("NaT")
        dispatch = np.where(escalated & (dispatch <= end64), dispatch, nat)
        arrive = np.where(escalated & (arrive <= end64), arrive, nat)
        close = np.where(close <= end64, close, nat)
        status = np.where(~np.isnat(close), "closed",
                          np.where(~np.isnat(arrive), "in_progress",
                                   np.where(~np.isnat(dispatch), "dispatched", "reported")))
        ids = self._ids("incident", n)
        text = events
        cols = {
            "id": ids, "source_ref": [f"{SOURCES[s][:3].upper()}{i:09d}" for s, i in zip(src, ids)],
            "source": np.asarray(SOURCES)[src], "category": cats, "severity": sev,
            "title": [t[0] for t in text], "description": [t[1] for t in text],
            **self._location(gi, jitter=True),
            "reported_at": times, "dispatched_at": dispatch, "arrived_at": arrive,
            "closed_at": close, "sla_due_at": sla, "status": status,
            "handling_level": np.asarray(LEVELS)[level],
            "department": np.where(escalated, dept, None),
        }
        if self.scale.extra_reports and n:
            cols = self._extra_reports(cols, gi, details, end)
        return cols

    def _extra_reports(self, cols: dict, gi: np.ndarray, details: list, end: dt.datetime) -> dict:
        """The same events reported again by other sources minutes later, in their own words
        (texts.incident_retelling): appended rows with their own ids, source records and SLA;
        the handling steps follow the first report's (one case is worked once)."""
        rng, n = self.extra_rng, len(gi)
        sev = np.asarray(cols["severity"], int)
        first = np.flatnonzero(rng.random(n) < EXTRA_REPORT_P[sev - 1])
        picks = np.concatenate([first, first[rng.random(len(first)) < EXTRA_SECOND_P]])
        self.last_extra_origin = {}
        if not len(picks):
            return cols
        picks.sort()
        end64 = np.datetime64(end.replace(tzinfo=None), "s")
        delay = np.clip(rng.lognormal(np.log(15 * 60), 0.9, len(picks)), 120, 4 * 3600).astype("timedelta64[s]")
        times = cols["reported_at"][picks] + delay
        keep = times <= end64  # a report not made yet by the end of the data does not exist
        picks, times = picks[keep], times[keep]
        m = len(picks)
        if not m:
            return cols
        srcs = []
        for i in picks:
            police = str(cols["category"][i]) in _POLICE_CATEGORIES
            options = [s for s in EXTRA_SOURCES if s != cols["source"][i]]
            p = np.array([EXTRA_SOURCE_P[police][EXTRA_SOURCES.index(s)] for s in options])
            srcs.append(options[int(rng.choice(len(options), p=p / p.sum()))])
        text = [texts.incident_retelling(self.extra_text_rng, details[i], s) for i, s in zip(picks, srcs)]
        # Another grid of the same village now and then (where the caller stood, not the event).
        where = gi[picks].copy()
        moved = np.flatnonzero(rng.random(m) < EXTRA_OTHER_GRID_P)
        for k in moved:
            same = np.flatnonzero(self.village == self.village[where[k]])
            where[k] = same[int(rng.integers(0, len(same)))]
        ids = self._ids("incident", m)
        # Ground truth of the last batch only (tests and docs/cases.md's checks read it).
        self.last_extra_origin = {int(i): int(cols["id"][k]) for i, k in zip(ids, picks)}
        lon, lat = self._inside(self.inside_rng, where, (self.lon[where] + rng.normal(0, 0.002, m)).round(5),
                                (self.lat[where] + rng.normal(0, 0.002, m)).round(5), 0.002)
        loc = {"grid_code": self.grid_code[where], "village_code": self.village[where],
               "township_code": self.township[where], "county_code": self.county[where],
               "lon": lon, "lat": lat}
        nat = np.datetime64("NaT")
        steps = {k: np.where(np.isnat(cols[k][picks]) | (cols[k][picks] < times), cols[k][picks], nat)
                 for k in ("dispatched_at", "arrived_at", "closed_at")}
        steps["closed_at"] = np.where(np.isnat(cols["closed_at"][picks]), nat,
                                      np.maximum(cols["closed_at"][picks], times))
        extra = {
            "id": ids, "source_ref": [f"{s[:3].upper()}{i:09d}" for s, i in zip(srcs, ids)],
            "source": np.asarray(srcs, dtype=object), "category": cols["category"][picks],
            "severity": cols["severity"][picks],
            "title": [t[0] for t in text], "description": [t[1] for t in text], **loc,
            "reported_at": times, **steps,
            "sla_due_at": times + (SLA_HOURS[sev[picks] - 1] * 3600).astype("timedelta64[s]"),
            "status": cols["status"][picks], "handling_level": cols["handling_level"][picks],
            "department": cols["department"][picks],
        }
        return {k: np.concatenate([np.asarray(v, dtype=object) if isinstance(v, list) else v,
                                   np.asarray(extra[k], dtype=object) if isinstance(extra[k], list) else extra[k]])
                for k, v in cols.items()}

    def patrols(self, t0, t1, end):
        rate = PATROLS_PER_GRID_DAY * len(self.grid_code)
        times = self._times(t0, t1, rate, PATROL_HOURLY)
        n = len(times)
        rng = self.rng
        w = self.diligence / self.diligence.sum()
        gi = rng.choice(len(self.grid_code), n, p=w)
        # A worker of that grid: pick one of the grid's workers uniformly.
        starts = np.searchsorted(self.worker_grid_index, gi)
        counts = np.searchsorted(self.worker_grid_index, gi, side="right") - starts
        worker = self.worker_ids[starts + (rng.random(n) * counts).astype(int)] if n else gi
        ended = times + rng.uniform(20 * 60, 150 * 60, n).astype("timedelta64[s]")
        end64 = np.datetime64(end.replace(tzinfo=None), "s")
        ended = np.where(ended <= end64, ended, np.datetime64("NaT"))
        return {"id": self._ids("patrol", n), "worker_id": worker, **self._location(gi),
                "started_at": times, "ended_at": ended,
                "distance_m": rng.gamma(3.0, 800.0, n).astype(int),
                "issues_found": rng.poisson(0.25, n)}

    def appeals(self, t0, t1, end):
        rate = APPEALS_PER_GRID_DAY * len(self.grid_code)
        times = self._times(t0, t1, rate, HOURLY)
        rng = self.rng
        gi = rng.choice(len(self.grid_code), len(times), p=self.weight)
        topic = np.where(self.urban[gi], rng.choice(len(TOPICS), len(times), p=TOPIC_P_URBAN),
                         rng.choice(len(TOPICS), len(times), p=TOPIC_P_RURAL))
        # Episodes: a township's topic flares up for a few days (what the barometer should catch).
        extra_t, extra_g, extra_topic = [], [], []
        for township, tp, e0, e1, per_day in self.episodes:
            lo, hi = max(t0, e0), min(t1, e1)
            if lo >= hi:
                continue
            et = self._times(lo, hi, per_day, HOURLY)
            members = np.flatnonzero(self.township == township)
            extra_t.append(et)
            extra_g.append(rng.choice(members, len(et)))
            extra_topic.append(np.full(len(et), tp))
        if extra_t:
            order = np.argsort(np.concatenate([times] + extra_t), kind="stable")
            times = np.concatenate([times] + extra_t)[order]
            gi = np.concatenate([gi] + extra_g)[order]
            topic = np.concatenate([topic] + extra_topic)[order]
        n = len(times)
        episode = np.zeros(n, bool)
        if extra_t:
            episode = (np.arange(n) >= n - sum(len(e) for e in extra_t))[order]
        mood = rng.random(n)
        negative = np.where(episode, EPISODE_NEGATIVE_SHARE, NEGATIVE_SHARE)
        sentiment = np.where(mood < negative, -rng.uniform(0.25, 0.95, n),
                             np.where(mood < 1 - PRAISE_SHARE, rng.uniform(0.0, 0.18, n), rng.uniform(0.3, 0.95, n)))
        sentiment = sentiment.round(2)
        channel = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
        resolve_days = rng.lognormal(np.log(1.8), 0.9, n)
        resolved = times + (resolve_days * 86400).astype("timedelta64[s]")
        end64 = np.datetime64(end.replace(tzinfo=None), "s")
        done = resolved <= end64
        resolved = np.where(done, resolved, np.datetime64("NaT"))
        sat = np.clip(np.round(5.2 - 0.35 * resolve_days + rng.normal(0, 0.6, n)), 1, 5)
        satisfaction = np.where(done & (rng.random(n) < 0.7), sat, np.nan)
        # Repeat callers: a small pool of citizens writes about their one grievance again and again.
        repeat = rng.random(n) < REPEAT_SHARE
        caller = rng.integers(0, REPEAT_CALLERS, n)
        citizen = np.where(repeat, caller, rng.integers(1000, 10**9, n))
        gi = np.where(repeat, self.caller_grid[caller], gi)
        topic = np.where(repeat, self.caller_topic[caller], topic)
        sentiment = np.where(repeat, -rng.uniform(0.4, 0.95, n), sentiment).round(2)
        citizen_hash = [hashlib.sha256(f"{self.seed}:{c}".encode()).hexdigest()[:32] for c in citizen]
        topics = np.asarray(TOPICS)[topic]
        content = [texts.appeal_text(self.text_rng, t, float(s), self._place(g), int(m))
                   for t, s, g, m in zip(topics, sentiment, gi, _local_months(times))]
        # Free-text channels often arrive without a trustworthy topic or sentiment.
        unlabelled = np.isin(channel, [1, 2, 3]) & (rng.random(n) < 0.3)
        return {"id": self._ids("appeal", n), "channel": np.asarray(CHANNELS)[channel],
                **self._location(gi), "received_at": times, "content": content,
                "topic": np.where(unlabelled, None, topics.astype(object)),
                "sentiment": np.where(unlabelled, np.nan, sentiment),
                "resolved_at": resolved, "satisfaction": satisfaction, "citizen_hash": citizen_hash}

    def visits(self, t0, t1, end):
        """Visits to key persons in [t0, t1): each person at roughly their interval."""
        rng = self.rng
        span = (t1 - t0).total_seconds()
        k = rng.poisson(self.kp_rate * self.rate_multiplier * span / 86400.0)
        who = np.repeat(np.arange(len(k)), k)
        times = np.datetime64(t0.replace(tzinfo=None), "s") + rng.uniform(0, span, len(who)).astype(
            "timedelta64[s]")
        order = np.argsort(times, kind="stable")
        who, times = who[order], times[order]
        outcomes = rng.choice(["正常", "情绪稳定", "已帮扶", "需持续关注", "未见本人"], len(who),
                              p=[0.55, 0.2, 0.1, 0.1, 0.05])
        return {"id": self._ids("visit", len(who)), "key_person_id": self.kp_id[who],
                "worker_id": self.kp_worker[who], "visited_at": times, "outcome": outcomes}

    def plan_episodes(self, start: dt.datetime, end: dt.datetime):
        """About two flare-ups a month somewhere in the city, one ongoing at the end."""
        rng = np.random.default_rng([self.seed, 17])
        townships = sorted(set(self.township.tolist()))
        days = max(1, (end - start).days)
        count = max(2, days // 15)
        for k in range(count):
            e0 = end - dt.timedelta(days=float(rng.uniform(0.5, 3.0))) if k == 0 else \
                start + dt.timedelta(days=float(rng.uniform(0, days)))
            e1 = e0 + dt.timedelta(days=float(rng.uniform(3, 7)))
            per_day = float(rng.uniform(8, 20))
            self.episodes.append((str(rng.choice(townships)), int(rng.integers(0, len(TOPICS) - 1)),
                                  e0, e1, per_day))

    # --- helpers ---------------------------------------------------------

    def _ids(self, table, n):
        first = self.next_id[table]
        self.next_id[table] = first + n
        return np.arange(first, first + n)

    def _location(self, gi, jitter=False):
        out = {"grid_code": self.grid_code[gi], "village_code": self.village[gi],
               "township_code": self.township[gi], "county_code": self.county[gi]}
        if jitter:  # drawn from the flow's stream as always, then moved inside from their own
            out["lon"], out["lat"] = self._inside(
                self.inside_rng, gi, (self.lon[gi] + self.rng.normal(0, 0.002, len(gi))).round(5),
                (self.lat[gi] + self.rng.normal(0, 0.002, len(gi))).round(5), 0.002)
        return out

    def _place(self, gi: int) -> str:
        return self.names[str(self.township[gi])] + self.names[str(self.village[gi])]

    def corrupt(self, table: str, cols: dict, now: dt.datetime) -> dict:
        """Spoil about 0.5% of a batch the ways real feeds do (docs/schema.md, bad rows)."""
        n = len(cols["id"])
        if n == 0:
            return cols
        rng = self.rng
        bad = np.flatnonzero(rng.random(n) < BAD_ROW_SHARE)
        if not len(bad):
            return cols
        cols = {k: (np.array(v, dtype=object) if isinstance(v, list) else v.copy()) for k, v in cols.items()}
        for c in cols:
            if cols[c].dtype.kind in "US":
                cols[c] = cols[c].astype(object)
        t_first = TIME_COLUMNS[table][0]
        kinds = rng.integers(0, 5 if table == "incident" else 4, len(bad))
        dup_rows = []
        for row, kind in zip(bad, kinds):
            if kind == 0:  # a grid code nobody knows
                cols["grid_code"][row] = str(cols["village_code"][row]) + "9" + f"{int(rng.integers(0, 100)):02d}"
            elif kind == 1:
                cols[t_first][row] = np.datetime64("NaT")
            elif kind == 2:  # a clock far ahead
                cols[t_first][row] = np.datetime64(now.replace(tzinfo=None), "s") + np.timedelta64(
                    int(rng.integers(30, 400)), "D")
            elif kind == 3:  # closed (ended, resolved) before it began
                last = TIME_COLUMNS[table][-2] if table == "incident" else TIME_COLUMNS[table][1]
                cols[last][row] = cols[t_first][row] - np.timedelta64(int(rng.integers(600, 86400)), "s")
            else:
                dup_rows.append(row)
        if dup_rows:
            extra = {k: v[dup_rows] for k, v in cols.items()}
            extra["id"] = self._ids(table, len(dup_rows))
            cols = {k: np.concatenate([cols[k], extra[k]]) for k in cols}
        return cols


def _join_tags(tags: dict[str, np.ndarray], n: int) -> list:
    """One "," separated text of the labels that hold for each row, None for none."""
    out = [None] * n
    for label, hit in tags.items():
        for i in np.flatnonzero(hit).tolist():
            out[i] = label if out[i] is None else out[i] + "," + label
    return out


def _names(rng, n: int) -> np.ndarray:
    """n names at once (a surname and one or two given characters), for the register."""
    surname = rng.integers(0, len(SURNAMES), n)
    given = rng.integers(0, len(GIVEN), (n, 2))
    two = rng.random(n) < 0.6
    return np.asarray([SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "")
                       for s, (a, b), t in zip(surname.tolist(), given.tolist(), two.tolist())], dtype=object)


_PHONE_PREFIXES = np.asarray(["33", "35", "37", "38", "39", "50", "58", "77", "80", "86", "89"])


def _phones(rng, n: int) -> np.ndarray:
    return np.char.add(np.char.add("1", _PHONE_PREFIXES[rng.integers(0, len(_PHONE_PREFIXES), n)]),
                       np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8)).astype(object)


def _office_hours(rng, times: np.ndarray) -> np.ndarray:
    """The same Asia/Shanghai day (a Saturday or Sunday: a working day of that week) at
    08:30–17:30, in UTC."""
    local = (times + np.timedelta64(8, "h")).astype("datetime64[D]")
    weekday = (local.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    workday = rng.integers(0, 5, len(times))
    local = local + np.where(weekday >= 5, workday - weekday, 0).astype("timedelta64[D]")
    clock = (rng.uniform(8.5, 17.5, len(times)) * 3600).astype("timedelta64[s]")
    return local.astype("datetime64[s]") + clock - np.timedelta64(8, "h")


def _key_age(category: str, u: float) -> tuple[int, float]:
    """The whole years (and the fraction of the year after them) at place `u` in [0, 1) of a
    key person category's ages (KEY_AGES); a category it does not know, any adult age."""
    parts = KEY_AGES.get(category, ((18, 80, 1.0),))
    at = 0.0
    for k, (lo, hi, share) in enumerate(parts):
        if u < at + share or k == len(parts) - 1:  # the last part also takes rounding's rest
            x = min((u - at) / share, 1 - 1e-9) * (hi - lo + 1)
            return lo + int(x), x - int(x)
        at += share
    raise AssertionError("no parts")


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birth_day(day: dt.date, age: int, fraction: float) -> dt.date:
    """A birth date that makes someone exactly `age` on `day`, `fraction` of the way back
    through the year of birthdays that do."""
    latest = _years_before(day, age)  # the birthday falls on `day` itself
    earliest = _years_before(day, age + 1) + dt.timedelta(days=1)  # the birthday is tomorrow
    return latest - dt.timedelta(days=int(fraction * ((latest - earliest).days + 1)))


def _age_on(id_number: str, day: dt.date) -> int:
    """Whole years on `day` of the birth date an 18-digit ID number carries."""
    born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return max(0, day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _id_numbers(county: np.ndarray, birth: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """18-digit resident ID numbers (GB 11643: county, birth date, serial, check digit)."""
    days = np.datetime_as_string(birth.astype("datetime64[D]"), unit="D")
    body = np.char.add(np.char.add(county.astype(str), np.char.replace(days, "-", "")),
                       np.char.zfill(serial.astype(str), 3))
    digits = np.frombuffer("".join(body.tolist()).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    check = np.asarray(list("10X98765432"))[(digits.astype(int) @ _ID_WEIGHTS) % 11]
    return np.char.add(body, check).astype(object)


def _local_months(times: np.ndarray) -> np.ndarray:
    """Asia/Shanghai calendar month (1–12) of each UTC datetime64."""
    local = times + np.timedelta64(8, "h")
    return local.astype("datetime64[M]").astype(int) % 12 + 1


def _severities(ranges: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A severity in each [lo, hi] row of `ranges`, the milder ones likelier (SEVERITY_WEIGHT),
    from uniforms `u`."""
    out = ranges[:, 0].copy()
    for lo, hi in {(int(a), int(b)) for a, b in ranges}:
        rows = (ranges[:, 0] == lo) & (ranges[:, 1] == hi)
        w = SEVERITY_WEIGHT[lo - 1:hi]
        out[rows] = lo + np.searchsorted(np.cumsum(w) / w.sum(), u[rows], side="right").clip(0, hi - lo)
    return out


_SEASON_P: dict = {}


def _season_categories(month: int) -> tuple[np.ndarray, np.ndarray]:
    """The urban and rural category mix of a month (SEASON_CATEGORY)."""
    if month not in _SEASON_P:
        k = np.array([SEASON_CATEGORY.get(c, {}).get(month, 1.0) for c in CATEGORIES])
        _SEASON_P[month] = tuple(p * k / (p * k).sum() for p in (CAT_P_URBAN, CAT_P_RURAL))
    return _SEASON_P[month]


def batches(city: City, start: dt.datetime, end: dt.datetime, step=dt.timedelta(days=1)):
    """(table, columns) for every flow, window by window from `start` to `end`."""
    # Key persons were visited before the window too: their latest visit matters today.
    yield "visit", city.visits(start - dt.timedelta(days=35), start, end)
    t = start
    while t < end:
        t1 = min(t + step, end)
        for table, make in (("incident", city.incidents), ("patrol", city.patrols),
                            ("appeal", city.appeals), ("visit", city.visits)):
            cols = make(t, t1, end)
            if table != "visit":
                cols = city.corrupt(table, cols, end)
            yield table, cols
        t = t1

