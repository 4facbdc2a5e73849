"""The demo generator: same seed, same data; the shape a command centre expects."""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, select, text

from data_access.engine import make_engine
from data_access.schema import appeal, incident, patrol, region
from dashboard.demo.seed import seed

from .conftest import now


def _fingerprint(url: str) -> dict:
    eng = make_engine(url)
    out = {}
    with eng.connect() as conn:
        for name, cols in (("incident", "id, source_ref, grid_code, reported_at, closed_at, title"),
                           ("appeal", "id, grid_code, received_at, content, topic, sentiment"),
                           ("patrol", "id, worker_id, grid_code, started_at")):
            h = hashlib.sha256()
            for row in conn.execute(text("SELECT " + cols + " FROM " + name + " ORDER BY id")):
                h.update(repr(tuple(row)).encode())
            out[name] = h.hexdigest()
    eng.dispose()
    return out


def test_seed001_same_seed_same_data(tmp_path):
    a, b, c = (f"sqlite:///{tmp_path / n}.db" for n in "abc")
    seed(a, "tiny", 11, now(), log=lambda *_: None)
    seed(b, "tiny", 11, now(), log=lambda *_: None)
    seed(c, "tiny", 12, now(), log=lambda *_: None)
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(a)["incident"] != _fingerprint(c)["incident"]


def test_seed002_realistic_shape(conn):
    # Only 港北区 at the tiny scale, with its real 8 townships and grids under every village.
    counts = dict(conn.execute(select(region.c.level, func.count()).group_by(region.c.level)).all())
    assert counts["county"] == 1 and counts["township"] == 8 and counts["grid"] >= 3 * counts["village"]
    # Town and country differ in what happens: 城建市容 is an urban category.
    urban = conn.execute(text(
        "SELECT g.is_urban, count(*) FROM incident i JOIN region g ON g.code = i.grid_code "
        "WHERE i.category = '城建市容' GROUP BY g.is_urban")).all()
    by = {bool(k): v for k, v in urban}
    assert by[True] > by[False]
    # Some incidents run past their SLA, most do not.
    late = conn.execute(text("SELECT count(*) FROM incident WHERE closed_at > sla_due_at")).scalar()
    total = conn.execute(select(func.count()).select_from(incident)).scalar()
    assert 0.005 < late / total < 0.10
    # Weekends are quieter than weekdays (Asia/Shanghai days).
    from data_access.timeutil import local_date
    days = dict(conn.execute(select(local_date(appeal.c.received_at), func.count())
                             .where(appeal.c.received_at <= now())
                             .group_by(local_date(appeal.c.received_at))).all())

    weekend = [n for d, n in days.items() if dt.date.fromisoformat(d).weekday() >= 5]
    weekday = [n for d, n in days.items() if dt.date.fromisoformat(d).weekday() < 5
               and d != max(days)]  # the last day is partial
    assert sum(weekend) / len(weekend) < 0.9 * sum(weekday) / len(weekday)
    # A share of free-text appeals arrives without a topic (the source did not classify them).
    unlabelled = conn.execute(select(func.count()).where(appeal.c.topic.is_(None))).scalar()
    assert unlabelled > 0
    # A few grids run in emergency mode; some grids are blind spots (rarely patrolled).
    emergency = conn.execute(text("SELECT count(*) FROM grid_state WHERE mode = 'emergency'")).scalar()
    assert 1 <= emergency <= 0.02 * counts["grid"]
    per_grid = conn.execute(select(patrol.c.grid_code, func.count()).group_by(patrol.c.grid_code)).all()
    low = sorted(n for _, n in per_grid)[: max(1, len(per_grid) // 50)]
    assert min(low) < 0.2 * sorted(n for _, n in per_grid)[len(per_grid) // 2]
