"""Settings are documented, and the simulator keeps the demo city alive."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from dashboard.settings import SETTINGS

from .conftest import copy_sqlite

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_set001_every_setting_is_documented():
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text]
    assert missing == []


def _shifted_clock(local_hour: int):
    """The real clock moved to the last past `local_hour`:00 in Shanghai, still ticking."""
    real = dt.datetime.now(dt.timezone.utc)
    base = (real + dt.timedelta(hours=8)).replace(hour=local_hour, minute=0, second=0, microsecond=0)
    base -= dt.timedelta(hours=8)
    if base > real:
        base -= dt.timedelta(days=1)
    return base, (lambda: base + (dt.datetime.now(dt.timezone.utc) - real))


def _run(sqlite_url, tmp_path, local_hour):
    from data_access.engine import make_engine
    from data_access.schema import appeal, incident, patrol
    from dashboard.demo.simulate import simulate
    src = Path(sqlite_url.removeprefix("sqlite:///"))
    copy = tmp_path / f"live{local_hour}.db"
    copy_sqlite(f"sqlite:///{src}", copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    tables = (incident, patrol, appeal)
    with engine.connect() as conn:
        before = {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in tables}
    started, clock = _shifted_clock(local_hour)
    # ×3000 so that three one-second ticks write a visible amount and move open incidents.
    written = simulate(url, speed=3000, tick=1.0, ticks=3, seed=5, log=lambda *_: None, clock=clock)
    with engine.connect() as conn:
        after = {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in tables}
        stamped = conn.execute(select(func.count()).select_from(incident).where(
            incident.c.reported_at >= started, incident.c.reported_at <= clock())).scalar()
    for name in before:
        assert after[name] - before[name] == written[name], name
    return before, after, written, stamped


def test_sim001_simulator_writes_and_moves(sqlite_url, tmp_path):
    before, after, written, stamped = _run(sqlite_url, tmp_path, local_hour=9)  # a morning
    for name in before:
        assert after[name] > before[name], name
    assert written["moved"] > 0
    assert stamped > 0  # the new rows carry the simulator's clock


def test_sim002_no_patrols_at_night(sqlite_url, tmp_path):
    # Failed in CI at 22:40 Shanghai when sim001 ran on the real clock: patrols stop at night.
    before, after, written, _ = _run(sqlite_url, tmp_path, local_hour=1)
    assert written["patrol"] == 0
    assert after["incident"] > before["incident"]  # 110 and 12345 never sleep
