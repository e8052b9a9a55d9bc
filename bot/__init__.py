"""Wenda: a bilingual (Chinese/English) extractive question-answering bot over news articles.

Data flows one way: corpus → clean → passages → index (BM25 + FAISS) → retrieve → answer → interfaces.
"""

from .answer import Answer
from .corpus import Article
from .engine import Bot, answer_json
from .errors import (
    CorpusError,
    CorruptIndexError,
    EncoderError,
    IndexStoreError,
    MissingIndexError,
    QueryError,
    SettingsError,
    StaleIndexError,
    WendaError,
)
from .passages import Passage
from .retrieve import Hit
from .settings import Settings

__all__ = [
    "Answer", "Article", "Bot", "answer_json", "CorpusError", "CorruptIndexError", "EncoderError",
    "IndexStoreError", "MissingIndexError", "QueryError", "SettingsError", "StaleIndexError", "WendaError",
    "Passage", "Hit",
    "Settings",
]
