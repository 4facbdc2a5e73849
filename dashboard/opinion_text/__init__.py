"""Reading public opinion from an appeal's text (issue #8): topic, sentiment, keywords.

No network, no SQL: text in, a `Reading` out. See docs/opinion.md for the methods and
their measured accuracy.
"""
import functools
import json

from .lexicon import TOPICS
from .model import MODEL_PATH
from .pipeline import COMPLAINT, PRAISE, Pipeline, Reading, default, for_places

__all__ = ["TOPICS", "COMPLAINT", "PRAISE", "Pipeline", "Reading", "default", "for_places", "read",
           "model_version"]


@functools.lru_cache(maxsize=1)
def model_version() -> str:
    """The shipped model's version (what Pipeline.version says), without building a pipeline."""
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))["version"]


def read(text: str | None) -> Reading:
    """The default pipeline's reading of one text."""
    return default().read(text)
