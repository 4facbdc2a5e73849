"""一户一档 · 一人一档 · 一企一档: the register tables as seeded, their bad rows, and the files —
scoped (a forged id answers like an unknown one), masked for every role, unmasked only by a
permitted role with a reason, audited; and a person in Chromium from a grid to a person's file."""
from __future__ import annotations

import datetime as dt
import re
import time

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import func, select, text

from data_access import files, quality
from data_access.engine import make_engine
from data_access.schema import (appeal, audit_log, enterprise, household, incident, key_person, organization,
                                person, place, region)
from dashboard import create_app

from . import dashcall
from .browser import click, start_signed_in
from .conftest import ARTIFACTS, KIOSK_TOKEN, now, sign_in

PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID18 = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
KINDS = ("household", "person", "enterprise")


def _render(client, app, path):
    body = dashcall.call(client, app, dashcall.find(app, "page.children"), [path, ""]).get_data(as_text=True)
    return body.replace("\\u002f", "/")  # the JSON encoder writes "/" as "\u002f"


def _towns(conn):
    return conn.execute(select(region.c.code).where(region.c.level == "township")
                        .order_by(region.c.code).limit(2)).scalars().all()


def _valid(conn, table, town):
    """The first row of `table` in township `town` whose grid is known (and, for a resident,
    whose household is there), with an address/phone to look for."""
    g = region.alias("g")
    q = select(table.c.id).select_from(table.join(g, (g.c.code == table.c.grid_code) & (g.c.level == "grid")
                                                  & (g.c.village_code == table.c.village_code)))
    q = q.where(table.c.township_code == town)
    if table is person:
        q = q.where(person.c.phone.isnot(None), person.c.household_id < 900_000_000)
    if table is household:
        q = q.where(select(func.count()).where(person.c.household_id == household.c.id,
                                              person.c.phone.isnot(None)).scalar_subquery() > 0)
    return conn.execute(q.order_by(table.c.id).limit(1)).scalar()


# --- the tables, as seeded --------------------------------------------------------------------

def test_fil001_register_agrees_with_the_region_table(conn):
    grids = {r.code: r for r in conn.execute(select(region).where(region.c.level == "grid"))}
    hh = dict(conn.execute(select(household.c.grid_code, func.count()).group_by(household.c.grid_code)).all())
    members = dict(conn.execute(select(household.c.grid_code, func.sum(household.c.members))
                                .group_by(household.c.grid_code)).all())
    ent = dict(conn.execute(select(enterprise.c.grid_code, func.count()).group_by(enterprise.c.grid_code)).all())
    # Every household and enterprise of the city is a row; a few carry a spoiled grid code (bad rows).
    assert sum(hh.values()) == sum(g.households for g in grids.values())
    assert sum(ent.values()) == sum(g.enterprises for g in grids.values())
    spoiled = sum(n for c, n in hh.items() if c not in grids)
    assert 0 < spoiled < 0.01 * sum(hh.values())
    assert all(g.households - 6 <= hh.get(c, 0) <= g.households for c, g in grids.items())
    assert sum(members.values()) == sum(g.population for g in grids.values())
    exact = [c for c, g in grids.items() if hh.get(c) == g.households]  # no spoiled row in the grid
    assert len(exact) > 0.3 * len(grids)
    for code in exact:  # a grid's households hold its population
        assert members[code] == grids[code].population, code
    assert all(ent.get(c, 0) <= g.enterprises for c, g in grids.items())
    # Places and organisations have a point a map can draw (bad rows apart).
    for table in (place, organization):
        total, drawn = conn.execute(select(func.count(), func.count(table.c.lon))).one()
        assert total >= len(grids) and drawn > 0.98 * total
    kinds = set(conn.execute(select(place.c.kind).distinct()).scalars())
    assert kinds == {"网格驿站", "避难场所", "监控点位", "危险源"}
    assert set(conn.execute(select(organization.c.kind).distinct()).scalars()) == {"网格党支部", "志愿服务队", "调解组织"}


def test_fil002_residents_key_persons_and_appeals_link(conn):
    # Every key person is one resident of the register, with the same identity and grid.
    kp = {r.id: r for r in conn.execute(select(key_person))}
    linked = conn.execute(select(person).where(person.c.key_person_id.isnot(None))).all()
    assert sorted(p.key_person_id for p in linked) == sorted(kp)
    for p in linked:
        k = kp[p.key_person_id]
        assert (p.name, p.id_number, p.phone, p.grid_code) == (k.name, k.id_number, k.phone, k.grid_code)
        assert "重点人员" in p.tags
    # A household's registered residents never exceed its members; its residents live in its grid.
    over = conn.execute(select(func.count()).select_from(household).where(
        select(func.count()).where(person.c.household_id == household.c.id).scalar_subquery()
        > household.c.members)).scalar()
    assert over == 0
    # Appeals by citizen_hash: the repeat callers are residents of the register.
    hashes = set(conn.execute(select(appeal.c.citizen_hash).distinct()).scalars())
    callers = conn.execute(select(func.count()).where(person.c.citizen_hash.in_(list(hashes)))).scalar()
    assert callers >= 20  # the 150 repeat callers; in 14 tiny days about a third have written
    # The age band agrees with the birth date in the ID number (on the seed's day).
    for p in conn.execute(select(person.c.id_number, person.c.age_band).limit(2000)):
        born = int(p.id_number[6:10])
        age = now().year - born
        lo, hi = {"0-17": (0, 17), "18-34": (18, 34), "35-59": (35, 59), "60-79": (60, 79), "80+": (80, 200)}[
            p.age_band]
        assert lo - 1 <= age <= hi + 1, (p.id_number, p.age_band)


def test_fil003_register_bad_rows_are_counted(conn):
    counts = quality.bad_row_counts(conn, now())
    for table in ("household", "person", "enterprise", "place", "organization", "inspection"):
        assert table in counts
    # 检查记录: each kind of bad row is there (an enterprise's spoiled grid or future date lends its rows).
    assert all(n > 0 for n in counts["inspection"].values()), counts["inspection"]
    assert counts["household"]["unknown_grid"] > 0 and counts["enterprise"]["unknown_grid"] > 0
    assert counts["person"]["unknown_household"] > 0
    assert counts["enterprise"]["future_time"] > 0
    assert counts["place"]["missing_point"] > 0 and counts["organization"]["missing_point"] > 0
    total = conn.execute(select(func.count()).select_from(household)).scalar()
    assert sum(counts["household"].values()) < 0.01 * total
    # Recount one rule independently: a resident whose household row is missing or in another grid.
    homes = dict(conn.execute(select(household.c.id, household.c.grid_code)).all())
    lost = sum(1 for hid, grid in conn.execute(select(person.c.household_id, person.c.grid_code))
               if homes.get(hid) != grid)
    assert lost == counts["person"]["unknown_household"]
    # A township admin's counts are the rows claiming its township; samples show no personal data.
    town = _towns(conn)[0]
    from data_access.scope import Scope
    scoped = quality.scoped_counts(conn, Scope(town, "township"), now())
    assert scoped["household"]["unknown_grid"] <= counts["household"]["unknown_grid"]
    for table in ("household", "person", "enterprise", "inspection"):
        for kind, n in counts[table].items():
            for row in quality.samples(conn, Scope("450800", "city"), now(), table, kind) if n else []:
                assert not {"name", "phone", "id_number", "address", "contact_phone", "inspector"} & set(row)
    # And one inspection rule recounted: no enterprise with this id in the row's grid.
    firms = {tuple(r) for r in conn.execute(select(enterprise.c.id, enterprise.c.grid_code))}
    orphans = sum(1 for pair in conn.execute(text("SELECT enterprise_id, grid_code FROM inspection")).all()
                  if tuple(pair) not in firms)
    assert orphans == counts["inspection"]["unknown_enterprise"]


# --- the files: scope, masking, unmasking -----------------------------------------------------

@pytest.fixture()
def picks(engine):
    with engine.connect() as conn:
        mine, theirs = _towns(conn)
        out = {"mine": {t: _valid(conn, files.TABLES[t], mine) for t in KINDS},
               "theirs": {t: _valid(conn, files.TABLES[t], theirs) for t in KINDS},
               "bad_household": conn.execute(select(household.c.id).where(
                   household.c.grid_code.notin_(select(region.c.code))).limit(1)).scalar(),
               "lost_person": conn.execute(select(person.c.id).where(person.c.household_id >= 900_000_000)
                                           .limit(1)).scalar()}
        out["resident"] = conn.execute(select(person).where(person.c.household_id == out["mine"]["household"],
                                                            person.c.phone.isnot(None)).limit(1)).one()
    return out


def test_fil004_forged_ids_answer_like_unknown_ones(app, picks):
    leader = app.server.test_client()
    sign_in(leader, "town_leader")
    for kind in KINDS:
        own = _render(leader, app, f"/{kind}/{picks['mine'][kind]}")
        assert "file-page" in own and "page-error" not in own, kind
        forged, missing = picks["theirs"][kind], 987654321
        refused = _render(leader, app, f"/{kind}/{forged}")
        unknown = _render(leader, app, f"/{kind}/{missing}")
        assert "file-page" not in refused and "不存在或无权查看" in refused and "（404）" in refused
        assert refused.replace(str(forged), "ID") == unknown.replace(str(missing), "ID"), kind
        for hostile in ("0", "-1", "1.0", "１２", "12abc", "9" * 12, "%00", ""):
            page = _render(leader, app, f"/{kind}/{hostile}")
            assert "file-page" not in page and "page-error" in page, (kind, hostile)
    # A bad row (its grid unknown, its household missing) is no file either.
    city = app.server.test_client()
    sign_in(city, "city_leader")
    for kind, ident in (("household", picks["bad_household"]), ("person", picks["lost_person"])):
        page = _render(city, app, f"/{kind}/{ident}")
        assert "file-page" not in page and "不存在或无权查看" in page
    # The city sees both townships' files.
    assert "file-page" in _render(city, app, f"/household/{picks['theirs']['household']}")


def test_fil005_files_are_masked_for_every_reader(app, engine, picks):
    kiosk = app.server.test_client()
    kiosk.get(f"/kiosk?token={KIOSK_TOKEN}")
    leader = app.server.test_client()
    sign_in(leader, "city_leader")
    r = picks["resident"]
    with engine.connect() as conn:
        grid = conn.execute(select(household.c.grid_code).where(household.c.id == picks["mine"]["household"])).scalar()
    for client, who in ((kiosk, "kiosk"), (leader, "leader")):
        for kind in KINDS:
            page = _render(client, app, f"/{kind}/{picks['mine'][kind]}")
            assert "file-page" in page, (who, kind)
            assert not PHONE.search(page) and not ID18.search(page), (who, kind)
        page = _render(client, app, f"/person/{r.id}")
        assert r.phone not in page and r.id_number not in page and (len(r.name) < 2 or r.name not in page)
        assert ("file-reveal-card" in page) == (who == "leader")  # kiosks are offered no unmasking
        profile = _render(client, app, f"/grid/{grid}")
        assert f"/household/{picks['mine']['household']}" in profile and "grid-enterprises-list" in profile
        assert not PHONE.search(profile) and not ID18.search(profile)


def test_fil006_unmask_needs_a_role_and_a_reason_and_is_audited(app, engine, picks):
    key = dashcall.find(app, "file-reveal-result.children")
    r = picks["resident"]
    duty = app.server.test_client()
    sign_in(duty, "town_duty")
    subject = f"person:{r.id}"
    short = dashcall.call(duty, app, key, [1], [subject, "看"]).get_data(as_text=True)
    assert "事由" in short and r.phone not in short
    shown = dashcall.call(duty, app, key, [1], [subject, "入户核实低保信息"]).get_data(as_text=True)
    assert r.phone in shown and r.id_number in shown and r.name in shown
    theirs = f"person:{picks['theirs']['person']}"
    refused = dashcall.call(duty, app, key, [1], [theirs, "入户核实低保信息"]).get_data(as_text=True)
    assert "不存在或无权查看" in refused and not PHONE.search(refused)
    ent = dashcall.call(duty, app, key, [1], [f"enterprise:{picks['mine']['enterprise']}", "联系企业安全检查"])
    assert PHONE.search(ent.get_data(as_text=True))
    for hostile in ("person:abc", "grid_worker:1", None, ["person", 1], {"id": 1}, "person:" + "9" * 40):
        resp = dashcall.call(duty, app, key, [1], [hostile, "入户核实低保信息"])
        assert resp.status_code == 200 and not PHONE.search(resp.get_data(as_text=True)), hostile
    analyst = app.server.test_client()
    sign_in(analyst, "city_analyst")
    resp = dashcall.call(analyst, app, key, [1], [subject, "入户核实低保信息"])
    assert resp.status_code == 403 and r.phone not in resp.get_data(as_text=True)
    kiosk = app.server.test_client()
    kiosk.get(f"/kiosk?token={KIOSK_TOKEN}")
    assert r.phone not in dashcall.call(kiosk, app, key, [1], [subject, "入户核实低保信息"]).get_data(as_text=True)
    with engine.connect() as conn:
        rows = [tuple(x) for x in conn.execute(
            select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail, audit_log.c.ok)
            .where(audit_log.c.action == "unmask"))]
    assert ("town_duty", subject, "入户核实低保信息", True) in rows
    assert any(a == "town_duty" and t == theirs and not ok for a, t, _, ok in rows)
    assert any(a == "town_duty" and t == subject and not ok for a, t, _, ok in rows)  # the short reason
    assert any(a == "city_analyst" and not ok for a, t, _, ok in rows)


# --- 检查记录: an enterprise's inspections --------------------------------------------------------

CODES = ["grid_code", "village_code", "township_code", "county_code"]


def _read(conn, sql: str, times=()) -> pd.DataFrame:
    """Raw rows into pandas (no data_access code): times as UTC timestamps on both databases."""
    df = pd.read_sql(text(sql), conn)
    for col in times:
        df[col] = pd.to_datetime(df[col], utc=True)
    return df


def _inspections_read(conn, t: dt.datetime) -> pd.DataFrame:
    """Inspections as a file may show them at `t`: of a known enterprise in the same grid (itself
    in a known grid), inspected by `t`, not rectified before inspected."""
    ins = _read(conn, "SELECT id, enterprise_id, grid_code, village_code, township_code, county_code, inspected_at, "
                "inspector, result, findings, rectified_at FROM inspection", ("inspected_at", "rectified_at"))
    firms = _read(conn, "SELECT e.id AS enterprise_id, e.grid_code, e.village_code, e.township_code, e.county_code "
                  "FROM enterprise e JOIN region g ON g.code = e.grid_code AND g.level = 'grid' "
                  "AND g.village_code = e.village_code AND g.township_code = e.township_code "
                  "AND g.county_code = e.county_code")
    ins = ins.merge(firms, on=["enterprise_id", *CODES])
    ts = pd.Timestamp(t)
    early = ins.rectified_at.notna() & (ins.rectified_at < ins.inspected_at)
    return ins[ins.inspected_at.notna() & (ins.inspected_at <= ts) & ~early]


def test_fil008_inspection_history_agrees_with_the_register(conn):
    """The newest inspection of every enterprise is its row's last_inspected_at and result; the
    history is about quarterly with a risk tag, yearly without, over two years."""
    t = pd.Timestamp(now())
    good = _inspections_read(conn, now())
    ent = _read(conn, "SELECT id, risk_tags, last_inspected_at, inspection_result FROM enterprise",
                ("last_inspected_at",))
    ent = ent[ent.id.isin(set(_read(conn, "SELECT e.id FROM enterprise e JOIN region g ON g.code = e.grid_code "
                                          "AND g.level = 'grid' AND g.village_code = e.village_code").id))]
    ent = ent[ent.last_inspected_at.isna() | (ent.last_inspected_at <= t)]  # not a bad row itself
    newest = good.sort_values(["inspected_at", "id"]).groupby("enterprise_id").tail(1).set_index("enterprise_id")
    never = ent[ent.last_inspected_at.isna()]
    assert len(never) > 0 and not set(never.id) & set(newest.index)  # never inspected: no history
    done = ent[ent.last_inspected_at.notna()].set_index("id")
    assert set(done.index) <= set(newest.index)
    both = done.join(newest, how="inner")
    assert len(both) == len(done) > 1000
    assert (both.last_inspected_at == both.inspected_at).all()
    assert (both.inspection_result == both.result).all()
    # Believable: about quarterly with a risk tag, yearly without; two years back; mostly 合格.
    good = good.merge(ent[["id", "risk_tags"]], left_on="enterprise_id", right_on="id", suffixes=("", "_e"))
    good = good.sort_values(["enterprise_id", "inspected_at"])
    gap = good.groupby("enterprise_id").inspected_at.diff().dt.days
    risky = good.risk_tags.notna()
    assert 75 <= gap[risky].median() <= 105 and 320 <= gap[~risky].median() <= 410
    assert good.inspected_at.min() >= t - pd.Timedelta(days=731)
    first = good.groupby("enterprise_id").agg(first=("inspected_at", "min"), risky=("risk_tags", "count"))
    assert (first[first.risky > 0]["first"] < t - pd.Timedelta(days=600)).mean() > 0.6
    assert 0.6 < (good.result == "合格").mean() < 0.9 and set(good.result) == {"合格", "限期整改", "停产整顿"}
    # Findings go with a finding result; a 合格 is never "rectified"; a rectification comes after the
    # inspection and before the next one.
    assert (good.findings.notna() == (good.result != "合格")).all()
    assert good[good.result == "合格"].rectified_at.isna().all()
    nxt = good.groupby("enterprise_id").inspected_at.shift(-1)
    fixed = good.rectified_at.notna()
    assert fixed.sum() > 100 and (good.rectified_at[fixed] > good.inspected_at[fixed]).all()
    assert (nxt[fixed].isna() | (good.rectified_at[fixed] < nxt[fixed])).all()


def _expected_history(hist: pd.DataFrame, eid: int, t: dt.datetime, limit: int) -> list[tuple]:
    rows = hist[hist.enterprise_id == eid].sort_values(["inspected_at", "id"], ascending=False).head(limit)
    ts = pd.Timestamp(t)
    return [(r.inspected_at.to_pydatetime(), r.inspector[0] + "*" * (len(r.inspector) - 1), r.result,
             None if pd.isna(r.findings) else r.findings,
             r.rectified_at.to_pydatetime() if pd.notna(r.rectified_at) and r.rectified_at <= ts else None)
            for r in rows.itertuples()]


def test_fil009_enterprise_file_lists_its_inspections(conn, city_scope, monkeypatch):
    """The file's 检查记录 against a pandas read: newest first, bad rows out, nothing after `now`,
    the inspector masked, at most files.LIMIT rows."""
    raw = _read(conn, "SELECT id, enterprise_id, inspected_at, rectified_at, result FROM inspection",
                ("inspected_at", "rectified_at"))
    hist = _inspections_read(conn, now())
    busiest = int(hist.enterprise_id.value_counts().idxmax())
    early = raw[raw.rectified_at < raw.inspected_at].enterprise_id
    untimed = raw[raw.inspected_at.isna()].enterprise_id
    ahead = raw[raw.inspected_at > pd.Timestamp(now())].enterprise_id
    picks = {"busiest": busiest}
    for name, ids in (("early", early), ("untimed", untimed), ("ahead", ahead)):
        ids = [int(i) for i in ids if i in set(hist.enterprise_id)]  # an enterprise whose file opens
        assert ids, name
        picks[name] = ids[0]
    earlier = now() - dt.timedelta(days=200)
    for name, eid in picks.items():
        for t in (now(), earlier):
            got = files.enterprise_file(conn, city_scope, eid, t)["inspections"]
            want = _expected_history(_inspections_read(conn, t), eid, t, files.LIMIT)
            assert [(i["inspected_at"], i["inspector"], i["result"], i["findings"], i["rectified_at"])
                    for i in got] == want, (name, t)
            assert all(i["inspected_at"] <= t for i in got)
    assert len(files.enterprise_file(conn, city_scope, busiest, now())["inspections"]) >= 8
    # The bad rows were there to be left out.
    assert len(raw[raw.enterprise_id == picks["early"]]) > len(hist[hist.enterprise_id == picks["early"]])
    # Replayed earlier, a later rectification is not done yet.
    later_fix = raw[(raw.inspected_at <= pd.Timestamp(earlier)) & (raw.rectified_at > pd.Timestamp(earlier))]
    assert len(later_fix)
    monkeypatch.setattr(files, "LIMIT", 3)
    got = files.enterprise_file(conn, city_scope, busiest, now())["inspections"]
    assert [i["inspected_at"] for i in got] == [w[0] for w in _expected_history(hist, busiest, now(), 3)]


def test_fil010_inspectors_are_masked_on_the_page(app, engine):
    with engine.connect() as conn:
        town = _towns(conn)[0]
        hist = _inspections_read(conn, now())
        eid = int(hist[hist.township_code == town].enterprise_id.value_counts().idxmax())
        names = set(conn.execute(text("SELECT inspector FROM inspection WHERE enterprise_id = :e"), {"e": eid})
                    .scalars())
    assert len(names) >= 2 and all(len(n) >= 2 for n in names)
    kiosk = app.server.test_client()
    kiosk.get(f"/kiosk?token={KIOSK_TOKEN}")
    leader = app.server.test_client()
    sign_in(leader, "town_leader")
    for client in (kiosk, leader):
        page = _render(client, app, f"/enterprise/{eid}")
        assert "file-inspections" in page and "安全检查记录" in page
        assert not [n for n in names if n in page]
        assert any(n[0] + "*" * (len(n) - 1) in page for n in names)
        assert not PHONE.search(page) and not ID18.search(page)


# --- points: inside their own grid ------------------------------------------------------------

def test_fil011_register_points_lie_inside_their_grid(conn):
    """Household, enterprise, place, organisation and incident points lie in their own grid's
    polygon (rows of a known grid with a point; a spoiled row without a point is a bad row)."""
    shapes = {code: shapely.from_geojson(geo) for code, geo in conn.execute(
        select(region.c.code, region.c.geometry).where(region.c.level == "grid"))}
    g = region.alias("g")
    for table in (household, enterprise, place, organization, incident):
        rows = conn.execute(
            select(table.c.grid_code, table.c.lon, table.c.lat)
            .join(g, (g.c.code == table.c.grid_code) & (g.c.level == "grid")
                  & (g.c.village_code == table.c.village_code))
            .where(table.c.lon.between(-180, 180), table.c.lat.between(-90, 90))).all()
        assert len(rows) > 500, table.name
        geoms = np.array([shapes[r.grid_code] for r in rows], dtype=object)
        inside = shapely.contains_xy(geoms, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
        assert int((~inside).sum()) == 0, (table.name, int((~inside).sum()), len(rows))


# --- in the browser ---------------------------------------------------------------------------

def test_fil007_browser_grid_to_household_to_person(dash_duo, sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        town = _towns(conn)[0]
        # A key person's home: its file has visits to show (and the person's own file too).
        pid, hid, grid = conn.execute(
            select(person.c.id, person.c.household_id, person.c.grid_code)
            .where(person.c.township_code == town, person.c.key_person_id.isnot(None),
                   person.c.household_id < 900_000_000,
                   select(func.count()).where(household.c.id == person.c.household_id,
                                             household.c.grid_code == person.c.grid_code).scalar_subquery() == 1)
            .order_by(person.c.id).limit(1)).one()
        tagged = conn.execute(select(household.c.id).where(household.c.grid_code == grid, household.c.tags.isnot(None))
                              .order_by(household.c.id).limit(1)).scalar()
    engine.dispose()
    app = create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})
    start_signed_in(dash_duo, app, "town_duty", f"/grid/{grid}")
    dash_duo.wait_for_element("#grid-households-list", timeout=30)
    ARTIFACTS.mkdir(exist_ok=True)
    dash_duo.driver.set_window_size(1400, 1200)
    dash_duo.driver.execute_script("document.querySelector('.grid-register').scrollIntoView({block: 'start'});")
    time.sleep(0.5)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "files-grid-lists.png"))
    # Households with tags come first; ours is on the list as a link.
    first = dash_duo.find_element("#grid-households-list tbody tr a").get_attribute("href")
    assert first.endswith(f"/household/{tagged}") if tagged else True
    click(dash_duo, f"#grid-households-list a[href='/household/{hid}']")
    dash_duo.wait_for_element("#file-residents", timeout=30)
    assert dash_duo.driver.current_url.endswith(f"/household/{hid}")
    assert "一户一档" in dash_duo.find_element("#file-title").text
    assert not PHONE.search(dash_duo.find_element("#file-page").text)
    click(dash_duo, f"#file-person-{pid}")
    dash_duo.wait_for_element("#file-id-number", timeout=30)
    assert dash_duo.driver.current_url.endswith(f"/person/{pid}")
    text = dash_duo.find_element("#file-page").text
    assert "一人一档" in text and not PHONE.search(text) and not ID18.search(text)
    assert "风险" in dash_duo.find_element("#file-key-person").text  # the key person's category and risk
    assert dash_duo.find_element("#file-reveal-card")  # a duty officer may ask, with a reason
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "files-person.png"))
    dash_duo.driver.back()
    dash_duo.wait_for_element("#file-residents", timeout=30)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "files-household.png"))
    # An enterprise of the same grid, from the grid's list.
    dash_duo.driver.back()
    dash_duo.wait_for_element("#grid-enterprises-list", timeout=30)
    click(dash_duo, "#grid-enterprises-list tbody tr a")
    dash_duo.wait_for_element("#file-inspection", timeout=30)
    text = dash_duo.find_element("#file-page").text
    assert "一企一档" in text and not PHONE.search(text)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "files-enterprise.png"))
