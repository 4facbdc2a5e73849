"""Linear models shipped as plain JSON weights (written by train.py), scored without scikit-learn."""
from __future__ import annotations

import json
import math
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("model.json")


class Linear:
    """Multinomial logistic regression: softmax(intercept + sum of weight x value)."""

    def __init__(self, classes: list, intercept: list[float], weights: dict[str, list[float]]):
        self.classes = list(classes)
        self.intercept = list(intercept)
        self.weights = weights

    def proba(self, features: dict[str, float]) -> list[float]:
        scores = list(self.intercept)
        k = len(scores)
        get = self.weights.get
        for name, value in features.items():
            w = get(name)
            if w is not None:
                for i in range(k):
                    scores[i] += w[i] * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def to_json(self) -> dict:
        return {"classes": self.classes, "intercept": self.intercept, "weights": self.weights}

    @classmethod
    def from_json(cls, data: dict) -> "Linear":
        return cls(data["classes"], data["intercept"], data["weights"])


def load(path: Path = MODEL_PATH) -> dict:
    """{"version", "topic": Linear, "sentiment": Linear, "generic": set of words, "meta": {...}}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {"version": data["version"], "meta": data.get("meta", {}), "generic": set(data.get("generic", ())),
            "topic": Linear.from_json(data["topic"]), "sentiment": Linear.from_json(data["sentiment"])}
