"""`python -m dashboard cases {link,show,eval}`: the linker once, one report's case, the measure's evaluation."""
from __future__ import annotations

import json


def add_parser(sub) -> None:
    cs = sub.add_parser("cases", help="one event, one code (一事一码): link reports into cases")
    cs_sub = cs.add_subparsers(dest="cases_command", required=True)
    ln = cs_sub.add_parser("link", help="link the reports above the watermark (the scheduler does this every interval)")
    ln.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")
    ln.add_argument("--now", help="ISO time the reports are read at (default: now)")
    sh = cs_sub.add_parser("show", help="print the case of one report (ids and codes, texts masked)")
    sh.add_argument("incident_id", type=int)
    sh.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")
    cs_sub.add_parser("eval", help="choose and measure the link measure on tests/data/case_pairs.csv")


def run(args) -> int:
    from data_access import engine as db
    from data_access.timeutil import now, parse_instant

    from . import evaluate, link
    if args.cases_command == "eval":
        print(json.dumps(evaluate.run(), ensure_ascii=False, indent=2))
        return 0
    eng = db.make_engine(args.db, statement_timeout_ms=0)
    db.create_own_tables(eng)
    if args.cases_command == "link":
        at = parse_instant(args.now) if args.now else now()
        print(json.dumps(link.link(eng, at, log=print), ensure_ascii=False))
        return 0
    from data_access import cases
    from data_access.scope import scope_of
    with eng.connect() as conn:
        got = cases.case_of(conn, scope_of(conn, _root(conn)), args.incident_id, now())
    print(json.dumps(got, ensure_ascii=False, default=str, indent=2))
    return 0


def _root(conn) -> str:
    from sqlalchemy import select

    from data_access.schema import region
    return conn.execute(select(region.c.code).where(region.c.parent_code.is_(None))).scalar()
