"""Command line: python -m dashboard {run,seed,simulate,quality,warnings,migrate,users,channels,…} …"""
from __future__ import annotations

import argparse
import json
import sys

from data_access.timeutil import parse_instant


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="红格指挥舱")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the dashboard (development server)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8050)
    run.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")

    seed = sub.add_parser("seed", help="replace the database with a generated demo city")
    seed.add_argument("--db")
    seed.add_argument("--scale", choices=["tiny", "demo", "city"], default="demo")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--end", help="ISO time the data ends at (default: now)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when data exists")

    sim = sub.add_parser("simulate", help="keep writing live data into a seeded database")
    sim.add_argument("--db")
    sim.add_argument("--speed", type=float, default=1.0, help="activity × real rates")
    sim.add_argument("--tick", type=float, default=2.0, help="seconds between writes")

    sub.add_parser("refresher", help="compute the watched live snapshots off the web workers (needs Redis)")

    quality = sub.add_parser("quality", help="count bad rows in the shared tables")
    quality.add_argument("--db")

    warn = sub.add_parser("warnings", help="risk warnings (预警研判)")
    warn_sub = warn.add_subparsers(dest="warnings_command", required=True)
    ev = warn_sub.add_parser("evaluate", help="run the warning rules once and print what they raised")
    ev.add_argument("--db")
    ev.add_argument("--now", help="ISO time to evaluate at (default: now / DASHBOARD_NOW)")

    mig = sub.add_parser("migrate", help="bring the dashboard's own tables to the newest schema (Alembic)")
    mig.add_argument("--db")

    # Feature command groups (each adds its parser here and its branch below).
    from dashboard import users_cli
    users_cli.add_parser(sub)
    from dashboard.opinion_text import cli as opinion_cli
    opinion_cli.add_parser(sub)
    from dashboard.briefing import cli as briefing_cli
    briefing_cli.add_parser(sub)
    from dashboard import notify
    notify.add_parser(sub)
    from dashboard.cases import cli as cases_cli
    cases_cli.add_parser(sub)

    args = parser.parse_args(argv)
    if args.command == "run":
        from dashboard import create_app
        app = create_app({"DATABASE_URL": args.db} if args.db else None)
        app.run(host=args.host, port=args.port, debug=False)
    elif args.command == "seed":
        from data_access import engine as db
        from dashboard.demo.seed import seed as run_seed
        if args.if_empty and db.has_data(db.make_engine(args.db)):
            print("database already has data; not seeding")
            return 0
        run_seed(args.db, args.scale, args.seed, parse_instant(args.end) if args.end else None)
    elif args.command == "simulate":
        from dashboard.demo.simulate import simulate
        try:
            simulate(args.db, speed=args.speed, tick=args.tick)
        except KeyboardInterrupt:
            pass
    elif args.command == "quality":
        from data_access import engine as db
        from data_access import quality as q
        from data_access.timeutil import now
        with db.make_engine(args.db).connect() as conn:
            print(json.dumps(q.bad_row_counts(conn, now()), ensure_ascii=False, indent=2))
    elif args.command == "warnings":
        return _evaluate(args.db, args.now)
    elif args.command == "migrate":
        return _migrate(args.db)
    elif args.command == "refresher":
        from dashboard import refresher
        return refresher.main()
    # Feature command dispatch.
    if args.command == "users":
        return users_cli.run(args)
    if args.command == "opinion":
        return opinion_cli.run(args)
    if args.command == "briefing":
        return briefing_cli.run(args)
    if args.command == "channels":
        return notify.run(args)
    if args.command == "cases":
        return cases_cli.run(args)
    return 0


def _migrate(url: str | None) -> int:
    from data_access import engine as db
    from data_access import migrations
    eng = db.make_engine(url, statement_timeout_ms=0)  # an ALTER may wait for readers' locks
    try:
        status = db.migrate(eng)
        with eng.connect() as conn:
            at = migrations.current(conn)
    finally:
        eng.dispose()
    print(f"dashboard tables: {status}, at revision {at} (this code's head: {migrations.head()})")
    return 1 if status == "newer" else 0


def _evaluate(url: str | None, at: str | None) -> int:
    import time

    from data_access import engine as db
    from data_access import warning_desk, warnings
    from data_access.timeutil import now
    eng = db.make_engine(url)
    db.create_schema(eng)  # adds the dashboard's warning tables to an older database
    when = parse_instant(at) if at else now()
    started = time.perf_counter()
    with eng.begin() as conn:
        raised = warnings.evaluate(conn, when)
        moved = warning_desk.escalate(conn, when)
    took = time.perf_counter() - started
    for w in raised:
        print(f"[{warnings.LEVEL_NAMES[w['level']]}] {w['rule']:<10} {w['region']:<15} {w['reason']}")
    counts: dict = {}
    for w in raised:
        counts[(w["rule"], w["level"])] = counts.get((w["rule"], w["level"]), 0) + 1
    summary = ", ".join(f"{rule}/{level} {n}" for (rule, level), n in sorted(counts.items()))
    tail = f": {summary}" if summary else ""
    for m in moved:
        print(f"[升级] {m['id']:<10} {m['escalated_to']:<15} {m['reason']}")
    print(f"raised {len(raised)} warning(s) at {when.isoformat()} in {took:.1f} s{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
