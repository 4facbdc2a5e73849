"""Reading public opinion from an appeal's text (issue #8): topic, sentiment, keywords.

No network, no SQL: text in, a `Reading` out. See docs/opinion.md for the methods and
their measured accuracy.
"""
from .lexicon import TOPICS
from .pipeline import COMPLAINT, PRAISE, Pipeline, Reading, default, for_places

__all__ = ["TOPICS", "COMPLAINT", "PRAISE", "Pipeline", "Reading", "default", "for_places", "read"]


def read(text: str | None) -> Reading:
    """The default pipeline's reading of one text."""
    return default().read(text)
