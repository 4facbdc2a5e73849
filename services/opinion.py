"""社情民意晴雨表: the barometer's snapshot (recomputed every OPINION_REFRESH_SECONDS)."""
from __future__ import annotations

from data_access import opinion
from data_access.cache import remember
from data_access.timeutil import local_day

from .snapshot import Snapshot

# The hot words' baseline (28 local days before the week's first day) changes at midnight only;
# reading it costs most of a cold city snapshot (benchmarks/RESULTS.md): kept per local day,
# recomputed at most hourly.
WORDS_BASE_SECONDS = 3600


def compute(conn, scope, region, now) -> dict:
    base = remember(f"opinion-words-base-{local_day(now)}", scope.code, region.code, now, WORDS_BASE_SECONDS,
                    lambda: opinion.word_baseline(conn, region, now))
    return opinion.view(conn, scope, region, now, words_base=base)


def listed(conn, scope, region, now, topic: str | None, word: str | None) -> tuple[list[dict], int | None]:
    """The appeals behind a topic or a word ({rows, total}), or the latest ones (total None)."""
    if topic is None and word is None:
        return opinion.recent(conn, scope, region, now), None
    got = opinion.behind(conn, scope, region, now, topic=topic, word=word)
    return got["rows"], got["total"]


SNAPSHOT = Snapshot("opinion", compute, period="OPINION_REFRESH_SECONDS")
