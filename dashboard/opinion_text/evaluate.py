"""Score the pipeline against a hand-labelled JSONL file: `python -m dashboard.opinion_text.evaluate FILE`.

Each line: {"id", "text", "topic", "sentiment", "note"}. Topic: precision, recall and
F1 per topic and their macro mean. Sentiment: the band (complaint < -0.2, neutral,
praise > 0.2) of the reading against the band of the label ("sign accuracy"), and
the two-way complaint / not-complaint agreement.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from .lexicon import TOPICS
from .pipeline import COMPLAINT, PRAISE, Pipeline, default


def band(value: float) -> int:
    return -1 if value < COMPLAINT else (1 if value > PRAISE else 0)


def load(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(items: list[dict], pipeline: Pipeline | None = None) -> dict:
    pipeline = pipeline or default()
    readings = [pipeline.read(it["text"]) for it in items]
    gold = [it["topic"] for it in items]
    pred = [r.topic for r in readings]
    per_topic = {}
    for t in TOPICS:
        tp = sum(g == t and p == t for g, p in zip(gold, pred))
        fp = sum(g != t and p == t for g, p in zip(gold, pred))
        fn = sum(g == t and p != t for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_topic[t] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3),
                        "support": tp + fn}
    present = [t for t in TOPICS if per_topic[t]["support"]]
    macro = sum(per_topic[t]["f1"] for t in present) / len(present) if present else 0.0
    gb = [band(it["sentiment"]) for it in items]
    pb = [band(r.sentiment) for r in readings]
    confusion = Counter((g, p) for g, p in zip(gold, pred) if g != p)
    bands = Counter((g, p) for g, p in zip(gb, pb) if g != p)
    return {
        "n": len(items),
        "topic_accuracy": round(sum(g == p for g, p in zip(gold, pred)) / len(items), 4),
        "macro_f1": round(macro, 4),
        "per_topic": per_topic,
        "sign_accuracy": round(sum(g == p for g, p in zip(gb, pb)) / len(items), 4),
        "complaint_accuracy": round(sum((g < 0) == (p < 0) for g, p in zip(gb, pb)) / len(items), 4),
        "topic_confusions": [[g, p, n] for (g, p), n in confusion.most_common(12)],
        "band_confusions": [[g, p, n] for (g, p), n in bands.most_common()],
        "errors": [{"id": it.get("id"), "text": it["text"], "topic": it["topic"], "got": r.topic,
                    "sentiment": it["sentiment"], "got_sentiment": r.sentiment}
                   for it, r in zip(items, readings)
                   if r.topic != it["topic"] or band(r.sentiment) != band(it["sentiment"])],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="score the opinion pipeline on a labelled JSONL file")
    ap.add_argument("path")
    ap.add_argument("--errors", action="store_true", help="list the items read wrongly")
    args = ap.parse_args(argv)
    result = score(load(args.path))
    errors = result.pop("errors")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.errors:
        for e in errors:
            print(json.dumps(e, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
