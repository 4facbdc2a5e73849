"""Word segmentation: jieba with the domain dictionary and the region tree's place names.

Every pipeline owns its own `jieba.Tokenizer`, so adding words never touches the
process-wide default one another module may use.
"""
from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Iterable

import jieba

from . import lexicon

jieba.setLogLevel(logging.WARNING)

REGION_CSV = Path(__file__).resolve().parents[1] / "demo" / "data" / "guigang_divisions_nbs2023.csv"

# Committee suffixes: 三连村委会 is written 三连村 by people, and 石羊塘社区居委会 石羊塘社区.
_SUFFIXES = ("社区居民委员会", "社区居委会", "村民委员会", "居民委员会", "村委会", "居委会")
_GENERIC = re.compile(r"^第?[0-9一二三四五六七八九十]+网格$")


def place_variants(name: str) -> set[str]:
    """The ways a region's name is written: 大圩镇, 三连村委会 -> 三连村 and 三连."""
    name = (name or "").strip()
    if len(name) < 2 or _GENERIC.match(name):
        return set()
    out = {name}
    for suf in _SUFFIXES:
        if name.endswith(suf):
            stem = name[: -len(suf)]
            tail = "社区" if "社区" in suf else "村"
            out |= {stem + tail}
            if len(stem) >= 2:
                out.add(stem)
            break
    for suf in ("街道", "镇", "乡", "区", "县", "市", "村", "社区"):
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            out.add(name[: -len(suf)])
            break
    return {p for p in out if len(p) >= 2}


def csv_places(path: Path = REGION_CSV) -> list[str]:
    """Region names of the demo city's division table (no database needed)."""
    with open(path, encoding="utf-8") as f:
        return [row["name"] for row in csv.DictReader(f)]


class Segmenter:
    """jieba with our words; `cut(text)` returns the tokens (punctuation and spaces dropped)."""

    def __init__(self, places: Iterable[str] = ()):
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        self.places: set[str] = set()
        for name in places:
            self.places |= place_variants(name)
        for word in self.places:
            self.tokenizer.add_word(word, 2000, "ns")
        for word in (*lexicon.GOVERNANCE_TERMS, *lexicon.TOPIC_CUES, *lexicon.SENTIMENT_WORDS,
                     *lexicon.INTENSIFIERS, *lexicon.NEGATORS):
            if len(word) >= 2:
                self.tokenizer.add_word(word, 3000)

    def cut(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.cut(text, HMM=False)
                if t.strip() and (not _PUNCT.match(t) or t in lexicon.SENTIMENT_WORDS)]  # emoji stay


_PUNCT = re.compile(r"^[\W_]+$")
