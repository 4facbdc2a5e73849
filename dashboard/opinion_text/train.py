"""Train the two linear models and write model.json: `python -m dashboard.opinion_text.train`.

Training text comes from the demo generator (dashboard/demo/texts.py), which writes
appeals of every topic and mood with a known label, and from appeals written and labelled
by hand the way citizens write (data/train_human_*.jsonl, weighted up: the generator's
phrasing is narrow). The models also read the hand-kept dictionaries (lexicon.py) as
features; the tests' evaluation set is never read here. scikit-learn fits the weights; the app scores
them from JSON without it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections import Counter
from pathlib import Path

from dashboard.demo import texts

from . import features, lexicon, model
from .segment import Segmenter, csv_places

PER_TOPIC = 1500       # generator appeals per topic
RECORDS = 500          # generator incident descriptions: grid workers' records, neutral in tone (chosen on the dev set)
SEED = 20261127
TOPIC_C = 0.3          # inverse regularisation, chosen on the dev set (docs/opinion.md)
SENTIMENT_C = 0.3
HUMAN = sorted(Path(__file__).with_name("data").glob("train_human_*.jsonl"))
HUMAN_WEIGHT = 5.0     # each hand-written appeal counts as this many generator ones (chosen on the dev set)
SENTIMENT_WORDS = True  # the sentiment model reads the words besides the signals (chosen on the dev set)
PRUNE = 1e-3           # weights smaller than this are dropped from the JSON
# A word the generator spreads over this many topics, none holding this share of it, says nothing
# about what an appeal is about (尽快, 回复, 部门): it is never a keyword or a hot word.
GENERIC_TOPICS, GENERIC_SHARE, GENERIC_MIN = 5, 0.4, 10


def band(value: float) -> int:
    return -1 if value < -0.2 else (1 if value > 0.2 else 0)


def corpus(per_topic: int = PER_TOPIC, seed: int = SEED) -> list[tuple[str, str, float]]:
    """(text, topic, sentiment) from the generator, moods in the seed's proportions."""
    rng = random.Random(seed)
    villages = [p for p in csv_places() if p.endswith("委会")]
    out = []
    for topic in lexicon.TOPICS:
        for _ in range(per_topic):
            mood = rng.random()
            s = (-rng.uniform(0.25, 0.95) if mood < 0.58 else
                 rng.uniform(-0.15, 0.15) if mood < 0.85 else rng.uniform(0.3, 0.95))
            place = rng.choice(villages) if rng.random() < 0.8 else ""
            out.append((texts.appeal_text(rng, topic, s, place), topic, s))
    return out


def records(n: int = RECORDS, seed: int = SEED) -> list[str]:
    """Incident descriptions as grid workers write them (巡查发现……已上报): reports, not feelings."""
    rng = random.Random(seed + 1)
    villages = [p for p in csv_places() if p.endswith("委会")]
    return [texts.incident_text(rng, rng.choice(texts.INCIDENT_CATEGORIES), rng.choice(villages))[1]
            for _ in range(n)]


def human(paths=None) -> list[tuple[str, str, float]]:
    """(text, topic, sentiment) written and labelled by hand for training (never the tests' sets)."""
    out = []
    for path in HUMAN if paths is None else paths:
        with open(path, encoding="utf-8") as f:
            out += [(d["text"], d["topic"], float(d["sentiment"])) for d in map(json.loads, filter(str.strip, f))]
    return out


def fit(rows: list[dict], labels: list, c: float, balanced: bool = False, weights: list[float] | None = None
        ) -> model.Linear:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None).fit(
        x, labels, sample_weight=weights)
    names = vec.get_feature_names_out()
    weights = {}
    for j, name in enumerate(names):
        col = [float(round(lr.coef_[i, j], 5)) for i in range(len(lr.classes_))]
        if max(abs(v) for v in col) >= PRUNE:
            weights[str(name)] = col
    classes = [c.item() if hasattr(c, "item") else c for c in lr.classes_]
    return model.Linear(classes, [float(round(v, 5)) for v in lr.intercept_], weights)


def generic_words(docs: list[tuple[list[str], str]]) -> list[str]:
    """Words the generator uses for every topic alike (see GENERIC_*), topic cue words excepted."""
    per: dict[str, Counter] = {}
    for tokens, topic in docs:
        for t in set(tokens):
            per.setdefault(t, Counter())[topic] += 1
    out = []
    for word, c in per.items():
        total = sum(c.values())
        if (total >= GENERIC_MIN and len(c) >= GENERIC_TOPICS and max(c.values()) / total < GENERIC_SHARE
                and word not in lexicon.TOPIC_CUES):
            out.append(word)
    return sorted(out)


def train(per_topic: int = PER_TOPIC, seed: int = SEED, human_weight: float = HUMAN_WEIGHT,
          topic_c: float = TOPIC_C, sentiment_c: float = SENTIMENT_C) -> dict:
    seg = Segmenter(csv_places())
    generated = corpus(per_topic, seed)
    written = human() if human_weight > 0 else []
    data = generated + written
    weights = [1.0] * len(generated) + [human_weight] * len(written)
    topic_rows, sent_rows, docs = [], [], []
    for i, (text, topic, _) in enumerate(data):
        tokens = [t for t in seg.cut(text) if t not in seg.places]
        if i < len(generated):  # "generic" words are the generator's habits, not people's
            docs.append((tokens, topic))
        topic_rows.append(features.topic_features(tokens, features.topic_cues(tokens)))
        sent_rows.append(features.sentiment_row(text, tokens, SENTIMENT_WORDS))
    topic = fit(topic_rows, [t for _, t, _ in data], topic_c, weights=weights)
    notes = records()
    for text in notes:
        sent_rows.append(features.sentiment_row(text, [t for t in seg.cut(text) if t not in seg.places],
                                                  SENTIMENT_WORDS))
    sentiment = fit(sent_rows, [band(s) for _, _, s in data] + [0] * len(notes), sentiment_c,
                    weights=weights + [1.0] * len(notes))
    body = {"topic": topic.to_json(), "sentiment": sentiment.to_json(), "generic": generic_words(docs)}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    return {"version": digest, "meta": {"per_topic": per_topic, "seed": seed, "topic_C": topic_c,
                                        "sentiment_C": sentiment_c, "texts": len(generated), "records": RECORDS,
                                        "human": len(written), "human_weight": human_weight,
                                        "sentiment_words": SENTIMENT_WORDS,
                                        "topic_features": len(topic.weights)}, **body}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(model.MODEL_PATH))
    ap.add_argument("--per-topic", type=int, default=PER_TOPIC)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    out = train(args.per_topic, args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out}: version {out['version']}, {out['meta']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
