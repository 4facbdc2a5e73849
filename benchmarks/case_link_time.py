"""The linker's cost at demo scale: days of the whole demo city's incidents (with the repeated
reports of one event) written to a fresh SQLite file, then `dashboard.cases.link.link` timed over
them once (the seed's pass) and once more with nothing new (the scheduler's idle pass).

    python benchmarks/case_link_time.py [--days 3] [--db sqlite:////tmp/case_link.db]

Prints reports read, links made, seconds, reports per second, and the agreement with the
generator's truth (extra reports joined to their own event; links between different events).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.cases import link, text  # noqa: E402
from dashboard.demo.generate import SCALES, City  # noqa: E402
from data_access import cases, load  # noqa: E402
from data_access import engine as db  # noqa: E402

END = dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.timezone.utc)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--db", default="sqlite:////tmp/case_link_bench.db")
    args = ap.parse_args()
    eng = db.make_engine(args.db, statement_timeout_ms=0)
    db.drop_schema(eng)
    db.create_schema(eng)
    city = City(SCALES["demo"], 1)
    truth: dict[int, int] = {}
    with eng.connect() as conn:
        load.write_rows(conn, "region", city.static_rows(END - dt.timedelta(days=args.days), END)["region"])
        conn.commit()
        t = END - dt.timedelta(days=args.days)
        while t < END:
            cols = city.incidents(t, t + dt.timedelta(days=1), END)
            truth.update(city.last_extra_origin)
            load.write_columns(conn, "incident", cols)
            conn.connection.commit()
            t += dt.timedelta(days=1)
    t0 = time.perf_counter()
    model = text.default()
    t_model = time.perf_counter() - t0
    first = link.link(eng, END, model=model)
    idle = link.link(eng, END, model=model)
    with eng.connect() as conn:
        member = cases.memberships(conn, list(truth))
        every = cases.memberships(conn, range(1, cases.max_incident_id(conn) + 1))
    origin = lambda i: truth.get(i, i)  # noqa: E731
    pairs = [(i, p) for i, p in every.items() if i != p]
    out = {"days": args.days, "reports": first["read"], "links": first["linked"], "model_seconds": round(t_model, 2),
           "link_seconds": first["seconds"], "reports_per_second": round(first["read"] / first["seconds"]),
           "idle_pass_seconds": idle["seconds"],
           "extra_reports": len(truth),
           "extra_joined_to_their_event": sum(1 for i in truth if i in member and origin(member[i]) == origin(i)),
           "links_between_different_events": sum(1 for i, p in pairs if origin(i) != origin(p))}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
