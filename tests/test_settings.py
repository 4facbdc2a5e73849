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


def test_sim001_simulator_writes_and_moves(sqlite_url, tmp_path):
    from data_access.engine import make_engine
    from data_access.schema import appeal, incident, patrol
    from dashboard.demo.simulate import simulate
    src = Path(sqlite_url.removeprefix("sqlite:///"))
    copy = tmp_path / "live.db"
    copy_sqlite(f"sqlite:///{src}", copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    with engine.connect() as conn:
        before = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                  for t in (incident, patrol, appeal)}
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    # ×3000 so that three one-second ticks write a visible amount and move open incidents.
    written = simulate(url, speed=3000, tick=1.0, ticks=3, seed=5, log=lambda *_: None)
    with engine.connect() as conn:
        after = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                 for t in (incident, patrol, appeal)}
        newest = conn.execute(select(func.max(incident.c.reported_at))
                              .where(incident.c.reported_at <= dt.datetime.now(dt.timezone.utc))).scalar()
    for name in before:
        assert after[name] > before[name], name
        assert after[name] - before[name] == written[name]
    assert written["moved"] > 0
    assert newest >= started  # the new rows carry the real clock
