"""Choose the weight of the hand-written training appeals: `python -m dashboard.opinion_text.select`.

For each weight, the models are fitted and scored on the development set
(tests/data/opinion_dev.jsonl) and by 5-fold cross-validation over the hand-written
appeals themselves (fit on four fifths, score the fifth). The held-out evaluation set
is not read. Prints one row per weight.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from . import evaluate, features, train
from .pipeline import Pipeline
from .segment import Segmenter, csv_places

DEV = Path(__file__).resolve().parents[2] / "tests" / "data" / "opinion_dev.jsonl"


def _rows(seg, items, words: bool):
    out = []
    for text, topic, s in items:
        tokens = [t for t in seg.cut(text) if t not in seg.places]
        out.append((features.topic_features(tokens, features.topic_cues(tokens)),
                    features.sentiment_row(text, tokens, words), topic, train.band(s), tokens))
    return out


def _model(gen, hum, notes, weight, generic, words: bool):
    data = gen + hum
    w = [1.0] * len(gen) + [weight] * len(hum)
    topic = train.fit([r[0] for r in data], [r[2] for r in data], train.TOPIC_C, weights=w)
    sentiment = train.fit([r[1] for r in data] + notes, [r[3] for r in data] + [0] * len(notes),
                          train.SENTIMENT_C, weights=w + [1.0] * len(notes))
    return {"version": f"w{weight}", "meta": {"sentiment_words": words}, "generic": generic,
            "topic": topic.to_json(), "sentiment": sentiment.to_json()}


def _score(body, items) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(body, f, ensure_ascii=False)
    try:
        return evaluate.score(items, Pipeline(model_path=Path(f.name)))
    finally:
        Path(f.name).unlink()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="0,1,3,5,10,20")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--sentiment-words", action="store_true")
    args = ap.parse_args(argv)
    words = args.sentiment_words
    seg = Segmenter(csv_places())
    gen = _rows(seg, train.corpus(), words)
    written = train.human()
    hum = _rows(seg, written, words)
    notes = [features.sentiment_row(t, [x for x in seg.cut(t) if x not in seg.places], words)
             for t in train.records()]
    generic = train.generic_words([(r[4], r[2]) for r in gen])
    dev = evaluate.load(DEV)
    order = list(range(len(hum)))
    random.Random(train.SEED).shuffle(order)
    folds = [order[i::args.folds] for i in range(args.folds)]
    print("| weight | dev macro-F1 | dev sign acc. | CV macro-F1 | CV sign acc. |")
    print("|---:|---:|---:|---:|---:|")
    for weight in (float(w) for w in args.weights.split(",")):
        d = _score(_model(gen, hum, notes, weight, generic, words), dev)
        f1 = sign = 0.0
        for held in folds:
            out = set(held)
            body = _model(gen, [r for i, r in enumerate(hum) if i not in out], notes, weight, generic, words)
            s = _score(body, [{"text": written[i][0], "topic": written[i][1], "sentiment": written[i][2]}
                              for i in held])
            f1, sign = f1 + s["macro_f1"] / len(folds), sign + s["sign_accuracy"] / len(folds)
        print(f"| {weight:g} | {d['macro_f1']:.3f} | {d['sign_accuracy']:.3f} | {f1:.3f} | {sign:.3f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
