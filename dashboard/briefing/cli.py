"""python -m dashboard briefing --db URL --region CODE --week 2026-W47 --out DIR [--format docx,xlsx,pdf]"""
from __future__ import annotations

import sys
from pathlib import Path

from data_access import DatabaseError, RegionError
from data_access import briefing as data
from data_access.engine import make_engine
from data_access.scope import scope_of
from data_access.timeutil import now as clock_now
from data_access.timeutil import parse_instant

from .. import settings


def add_parser(sub) -> None:
    p = sub.add_parser("briefing", help="write the weekly briefing (周报) as Word, Excel and PDF")
    p.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")
    p.add_argument("--region", help="region code (default: DEFAULT_REGION)")
    p.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week)")
    p.add_argument("--out", default=".", help="directory to write the files into")
    p.add_argument("--format", default="docx,xlsx,pdf", help="any of docx,xlsx,pdf, comma separated")
    p.add_argument("--now", help="ISO time the figures are known at (default: now / DASHBOARD_NOW)")


def run(args) -> int:
    from .files import make, parse_formats  # the writers load only when a briefing is made
    config = settings.load({"DATABASE_URL": args.db} if args.db else None)
    try:
        formats = parse_formats(args.format)
        now = parse_instant(args.now) if args.now else clock_now()
        week = data.parse_week(args.week) if args.week else data.last_complete_week(now)
        engine = make_engine(config["DATABASE_URL"], statement_timeout_ms=120_000)
        with engine.connect() as conn:
            # The instance's jurisdiction, as in the app: a county's server cannot print the city.
            scope = scope_of(conn, config["SCOPE_REGION"])
            b, files, timings = make(conn, scope, args.region or config["DEFAULT_REGION"], week, now, formats)
        engine.dispose()
    except (ValueError, RegionError) as exc:  # WeekError is a ValueError
        print(f"briefing: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"briefing: database error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for fmt, blob in files.items():
        path = out / b.filename(fmt)
        path.write_bytes(blob)
        print(f"wrote {path} ({len(blob) / 1024:.0f} KB)")
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    print(f"{b.heading} {b.issue_line}: {steps}; total {sum(timings.values()):.1f} s")
    return 0
