"""Features of one segmented appeal: the same code builds them for training and for use."""
from __future__ import annotations

import math

from . import lexicon

INTENSIFIER_WINDOW = 3   # tokens before a sentiment word that can strengthen it


def topic_cues(tokens: list[str]) -> dict[tuple[str, str], float]:
    """(topic, subtopic) -> summed cue weight, each distinct word counted once."""
    out: dict[tuple[str, str], float] = {}
    for word in set(tokens):
        for topic, sub, weight in lexicon.TOPIC_CUES.get(word, ()):
            out[(topic, sub)] = out.get((topic, sub), 0.0) + weight
    return out


def topic_features(tokens: list[str], cues: dict[tuple[str, str], float]) -> dict[str, float]:
    """Words (binary) and, per topic, the dictionary's cue weight scaled to about 1 per strong cue."""
    f = {"w:" + t: 1.0 for t in tokens if t not in lexicon.STOPWORDS and not t.isdigit()}
    per_topic: dict[str, float] = {}
    for (topic, _), weight in cues.items():
        per_topic[topic] = per_topic.get(topic, 0.0) + weight
    for topic, weight in per_topic.items():
        f["cue:" + topic] = weight / 3.0
    return f


def word_polarity(token: str) -> float | None:
    """A token's strength in the sentiment dictionary; a compound jieba keeps whole (谢谢你们,
    太差劲了) is read by its first or last two or three characters."""
    value = lexicon.SENTIMENT_WORDS.get(token)
    if value is None and len(token) >= 3:
        for part in (token[:3], token[-3:], token[:2], token[-2:]):
            value = lexicon.SENTIMENT_WORDS.get(part)
            if value is not None:
                break
    return value


def negated(tokens: list[str], i: int) -> bool:
    """A negator right before the word, or before an adverb right before it (不太满意, 没有及时)."""
    if i >= 1 and tokens[i - 1] in lexicon.NEGATORS:
        return True
    return i >= 2 and tokens[i - 1] in lexicon.INTENSIFIERS and tokens[i - 2] in lexicon.NEGATORS


def polarity(tokens: list[str]) -> tuple[float, float, int]:
    """Summed positive and negative strength of the sentiment words, with negation and intensifiers.

    A negator just before a word flips it (不满意 is negative, 不差 is mildly positive);
    intensifiers before it multiply it (太差, 好鬼吵).
    """
    pos = neg = 0.0
    flips = 0
    for i, word in enumerate(tokens):
        value = word_polarity(word)
        if value is None:
            continue
        mult = 1.0
        for j in range(max(0, i - INTENSIFIER_WINDOW), i):
            mult *= lexicon.INTENSIFIERS.get(tokens[j], 1.0)
        if negated(tokens, i):
            value, flips = -0.8 * value, flips + 1
        if value > 0:
            pos += value * mult
        else:
            neg -= value * mult
    return pos, neg, flips


def sentiment_features(text: str, tokens: list[str]) -> dict[str, float]:
    """A dozen hand-built signals; the weights between them are learned (train.py)."""
    pos, neg, _ = polarity(tokens)
    if sarcastic(text, neg):
        # Praise words next to complaint evidence (呵呵, 效率真高 ... 三个月了) are meant the other
        # way round. The generator that trains the weights writes no sarcasm, so this is a rule.
        pos, neg = 0.0, neg + pos
    return {
        "lex_pos": math.log1p(pos), "lex_neg": math.log1p(neg),
        "inquiry": float(sum(c in text for c in lexicon.INQUIRY_CUES)),
        "question": float(text.count("？") + text.count("?")),
        "exclaim": float(min(3, text.count("！") + text.count("!"))),
        "resolved": float(sum(c in text for c in lexicon.RESOLVED_CUES)),
        "report": float(sum(c in text for c in lexicon.REPORT_CUES)),
    }


def sentiment_words(tokens: list[str]) -> dict[str, float]:
    """The words themselves, for the sentiment model too: learnt from hand-written appeals, they
    tell a calm report of a problem (neutral) from a complaint (docs/opinion.md, round 3)."""
    return {"s=" + t: 1.0 for t in tokens}


def sentiment_row(text: str, tokens: list[str], words: bool) -> dict[str, float]:
    """The sentiment model's features: the signals, and the words when the model reads them
    (its meta says `sentiment_words`)."""
    f = sentiment_features(text, tokens)
    if words:
        f.update(sentiment_words(tokens))
    return f


def sarcastic(text: str, negative: float) -> bool:
    """A sarcasm cue together with complaint evidence: negative words, or delay and repetition."""
    return any(c in text for c in lexicon.SARCASM_CUES) and (
        negative > 0 or any(c in text for c in lexicon.DELAY_CUES))
