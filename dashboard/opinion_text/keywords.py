"""Keywords of one appeal: its content words ranked by how rare they are (jieba's IDF table)."""
from __future__ import annotations

import re
from pathlib import Path

import jieba

from . import lexicon

TOP_K = 5
_IDF_PATH = Path(jieba.__file__).parent / "analyse" / "idf.txt"
# Surnames common in Guangxi: 小韦, 黄姐, 李哥, 韦某 are people, not topics.
_SURNAMES = set("韦覃黄梁李王陈莫罗刘张杨蒙甘林周吴赵钟潘卢谭苏何邓唐冯农陆廖")
_PERSON = re.compile(r"^(?:[小老阿]\w|\w[某姐哥叔伯婶姨嫂])$")
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")
_NUMERAL = re.compile(r"^[第零一二三四五六七八九十百千万两几半多好0-9]+[个只条次天年月号块元回趟遍家户人]?$")
_SENTIMENT_ONLY = {w for w, v in lexicon.SENTIMENT_WORDS.items()
                   if abs(v) >= 2 and w not in lexicon.TOPIC_CUES}


def load_idf(path: Path = _IDF_PATH) -> tuple[dict[str, float], float]:
    idf = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, _, value = line.strip().partition(" ")
            if value:
                idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2]


def is_person(token: str) -> bool:
    return bool(_PERSON.match(token)) and any(ch in _SURNAMES for ch in token)


class Keywords:
    def __init__(self, places: set[str], generic: set[str] = frozenset()):
        self.idf, self.median = load_idf()
        self.places = places
        self.generic = generic  # words that say nothing about the topic (train.generic_words)

    def usable(self, token: str) -> bool:
        return (len(token) >= 2 and bool(_HAS_HAN.search(token)) and token not in lexicon.STOPWORDS
                and token not in self.places and token not in self.generic and token not in _SENTIMENT_ONLY
                and token not in lexicon.INTENSIFIERS and token not in lexicon.NEGATORS
                and not _NUMERAL.match(token) and not is_person(token))

    def extract(self, tokens: list[str], k: int = TOP_K) -> list[str]:
        """Up to k words, the dictionary's topic words first among equals, in first-seen order on ties."""
        seen: dict[str, float] = {}
        for i, t in enumerate(tokens):
            if t in seen or not self.usable(t):
                continue
            score = self.idf.get(t, self.median)
            if t in lexicon.TOPIC_CUES:
                score *= 1.5
            seen[t] = score - i * 1e-6
        return [w for w, _ in sorted(seen.items(), key=lambda kv: -kv[1])[:k]]
