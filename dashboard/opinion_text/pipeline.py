"""One appeal's text in, its topic, sentiment and keywords out."""
from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import features, lexicon, model
from .keywords import Keywords
from .segment import Segmenter, csv_places

COMPLAINT, PRAISE = -0.2, 0.2   # sentiment below / above reads as complaint / thanks (docs/opinion.md)
CACHE_SIZE = 65_536             # readings kept per process: a city's unlabelled 35 days + a week's texts


@dataclass(frozen=True)
class Reading:
    topic: str
    subtopic: str
    sentiment: float
    keywords: tuple[str, ...]

    def as_json(self) -> dict:
        return {"topic": self.topic, "sentiment": self.sentiment, "keywords": list(self.keywords),
                "subtopic": self.subtopic}


EMPTY = Reading(lexicon.OTHER, "", 0.0, ())


class Pipeline:
    """Segmentation (jieba + domain dictionary + place names), two linear models, keywords.

    `read` is pure and cached on the text, so a view that re-reads the same appeals
    every few seconds pays for each text once per process.
    """

    def __init__(self, places: Iterable[str] | None = None, model_path: Path = model.MODEL_PATH):
        self.segmenter = Segmenter(csv_places() if places is None else places)
        m = model.load(model_path)
        self.keywords = Keywords(self.segmenter.places, m["generic"])
        self.version = m["version"]
        self.topic_model, self.sentiment_model = m["topic"], m["sentiment"]
        self.sentiment_words = bool(m["meta"].get("sentiment_words"))
        self._pos = self.sentiment_model.classes.index(1)
        self._neg = self.sentiment_model.classes.index(-1)
        self.read = functools.lru_cache(maxsize=CACHE_SIZE)(self._read)

    def tokens(self, text: str) -> list[str]:
        return self.segmenter.cut(text)

    def _read(self, text: str | None) -> Reading:
        if not text or not text.strip():
            return EMPTY
        tokens = self.segmenter.cut(text)
        content = [t for t in tokens if t not in self.segmenter.places]
        cues = features.topic_cues(content)
        p = self.topic_model.proba(features.topic_features(content, cues))
        topic = self.topic_model.classes[max(range(len(p)), key=p.__getitem__)]
        subs = {sub: w for (t, sub), w in cues.items() if t == topic}
        subtopic = max(sorted(subs), key=subs.get) if subs else ""
        s = self.sentiment_model.proba(features.sentiment_row(text, content, self.sentiment_words))
        sentiment = round(s[self._pos] - s[self._neg], 2) + 0.0  # + 0.0: no -0.0 in the output
        return Reading(topic, subtopic, sentiment, tuple(self.keywords.extract(content)))

    def read_many(self, texts: Iterable[str | None]) -> list[Reading]:
        return [self.read(t) for t in texts]


_lock = threading.Lock()
_built: dict[str, Pipeline] = {}
KEEP = 2  # pipelines kept per process (one per distinct place list; a deployment has one)


def for_places(names: Iterable[str] | None = None) -> Pipeline:
    """The process's pipeline for a list of place names (None: the demo city's division table).

    Built once per distinct list (~3 s) and kept, with its cache of readings.
    """
    key = "csv" if names is None else hashlib.sha1("\n".join(sorted(set(names))).encode()).hexdigest()
    with _lock:
        pipe = _built.get(key)
        if pipe is None:
            pipe = Pipeline(None if names is None else sorted(set(names)))
            while len(_built) >= KEEP:
                _built.pop(next(iter(_built)))
            _built[key] = pipe
    return pipe


def default() -> Pipeline:
    """The pipeline over the demo city's place names."""
    return for_places(None)
