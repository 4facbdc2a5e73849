"""`python -m dashboard opinion {classify,backfill,readings}`."""
from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    op = sub.add_parser("opinion", help="read public opinion from appeal text (社情民意)")
    op_sub = op.add_subparsers(dest="opinion_command", required=True)
    op_sub.add_parser("classify", help="stdin: one appeal text per line -> stdout: one JSON object per line")
    bf = op_sub.add_parser("backfill", help="fill topic and sentiment where they are NULL (idempotent)")
    bf.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")
    bf.add_argument("--region", help="only this region's subtree (default: the whole tree)")
    bf.add_argument("--batch", type=int, default=2000, help="appeals per transaction")
    rd = op_sub.add_parser("readings", help="store the text readings of recent appeals for the barometer "
                                            "(the app's scheduler does this every interval)")
    rd.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")


def run(args) -> int:
    if args.opinion_command == "classify":
        return classify(sys.stdin, sys.stdout)
    if args.opinion_command == "readings":
        return readings(args.db)
    return backfill(args.db, args.region, args.batch)


def readings(url: str | None) -> int:
    import time

    from data_access import engine as db
    from data_access import opinion_readings
    from data_access.timeutil import now

    from . import for_places
    eng = db.make_engine(url)
    db.create_own_tables(eng)
    started = time.perf_counter()
    with eng.connect() as conn:
        places = opinion_readings.place_names(conn)
    pipe = for_places(places)
    done = opinion_readings.fill(eng, pipe.read, opinion_readings.reader_id(pipe.version, places), now())
    print(f"readings: {done['read']} appeals read, {done['dropped']} old readings dropped "
          f"in {time.perf_counter() - started:.1f} s, model {pipe.version}")
    eng.dispose()
    return 0


def classify(lines, out) -> int:
    """One JSON object per input line, in order; a blank line reads as an empty appeal."""
    from . import default
    pipeline = default()
    for line in lines:
        reading = pipeline.read(line.rstrip("\r\n"))
        out.write(json.dumps(reading.as_json(), ensure_ascii=False) + "\n")
    out.flush()
    return 0


def backfill(url: str | None, region: str | None, batch: int) -> int:
    import time

    from data_access import engine as db
    from data_access import opinion_backfill

    from . import Pipeline
    eng = db.make_engine(url)
    started = time.perf_counter()
    with eng.connect() as conn:
        # Place names from the database's own region tree, so a real city's places are known words.
        pipeline = Pipeline(opinion_backfill.place_names(conn))

    def progress(done: dict) -> None:
        print(f"  batch {done['batches']}: {done['scanned']} read, {done['topics']} topics and "
              f"{done['sentiments']} sentiments filled", file=sys.stderr, flush=True)

    result = opinion_backfill.backfill(eng, pipeline.read, code=region, batch=batch, progress=progress)
    took = time.perf_counter() - started
    rate = result["scanned"] / took if took else 0.0
    print(f"backfill: {result['scanned']} appeals read, {result['topics']} topics and "
          f"{result['sentiments']} sentiments filled in {took:.1f} s ({rate:.0f}/s), model {pipeline.version}")
    eng.dispose()
    return 0
