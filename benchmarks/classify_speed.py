"""Opinion text pipeline throughput on one core: `python benchmarks/classify_speed.py [--n N]`.

Reads N demo appeals (the generator's texts, every topic and mood, with place names),
each text once so the pipeline's per-text cache never hits, and prints appeals per
second for segmentation alone and for the whole reading (topic, sentiment, keywords).
Target (issue #8): >= 500 appeals/s on one core.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the target says

    from dashboard.demo import texts
    from dashboard.opinion_text import Pipeline
    from dashboard.opinion_text.segment import csv_places

    t0 = time.perf_counter()
    pipe = Pipeline()
    build = time.perf_counter() - t0
    rng = random.Random(args.seed)
    places = [p for p in csv_places() if p.endswith("委会")]
    corpus, seen = [], set()
    while len(corpus) < args.n:
        t = texts.appeal_text(rng, rng.choice(texts.TOPICS), rng.uniform(-1, 1), rng.choice(places))
        if t not in seen:
            seen.add(t)
            corpus.append(t)
    chars = sum(map(len, corpus)) / len(corpus)

    t0 = time.perf_counter()
    for t in corpus:
        pipe.segmenter.cut(t)
    seg = time.perf_counter() - t0
    pipe.read.cache_clear()
    t0 = time.perf_counter()
    for t in corpus:
        pipe.read(t)
    full = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in corpus:
        pipe.read(t)
    cached = time.perf_counter() - t0

    print(f"python {platform.python_version()}, {args.n} distinct appeals, {chars:.1f} chars on average, one core")
    print(f"pipeline build (jieba dictionary, places, model): {build:.2f} s")
    print(f"segmentation only:   {args.n / seg:8.0f} appeals/s")
    print(f"full reading:        {args.n / full:8.0f} appeals/s")
    print(f"cached re-reading:   {args.n / cached:8.0f} appeals/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
