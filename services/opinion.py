"""社情民意晴雨表: the barometer's snapshot (recomputed every OPINION_REFRESH_SECONDS)."""
from __future__ import annotations

from data_access import opinion

from .snapshot import Snapshot


def compute(conn, scope, region, now) -> dict:
    return opinion.view(conn, scope, region, now)


def listed(conn, scope, region, now, topic: str | None, word: str | None) -> tuple[list[dict], int | None]:
    """The appeals behind a topic or a word ({rows, total}), or the latest ones (total None)."""
    if topic is None and word is None:
        return opinion.recent(conn, scope, region, now), None
    got = opinion.behind(conn, scope, region, now, topic=topic, word=word)
    return got["rows"], got["total"]


SNAPSHOT = Snapshot("opinion", compute, period="OPINION_REFRESH_SECONDS")
