"""Retrieval backends: where the passages, their BM25 weights and their window vectors live, behind one interface.

``embedded`` is the index folder itself (``bot/index.py`` writes and loads it; ``embedded.py`` searches it);
``milvus`` keeps everything in Milvus collections (``milvus.py``), so many web servers can share one corpus
that outgrows one machine. A build names its backend in ``Settings.backend``; the manifest records it, and
``bot.index.load`` opens an index with the backend that built it. Retrieval (``bot/retrieve.py``) fuses
both backends' result lists on the client, so every mode behaves the same on either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Protocol

import numpy as np

from ..corpus import Article
from ..errors import IndexStoreError, SettingsError
from ..passages import Passage
from ..settings import BACKENDS, Settings


class BackendUnavailableError(IndexStoreError):
    """The backend's server cannot be reached, timed out, or refused the credentials."""


class TermStatistics(Protocol):
    """What answering needs of BM25: each term's idf (None when no passage has it) and all idf values."""

    idf: np.ndarray

    def term_idf(self, term: str) -> float | None: ...


class SearchIndex(Protocol):
    """A loaded index, whichever backend holds it: what retrieval, answering and fact checking use."""

    folder: Path  # the index folder a person names (for milvus: the one holding its manifest)
    manifest: dict
    passages: Sequence[Passage]  # by row
    articles: Mapping[str, Article]  # by doc_id
    bm25: TermStatistics

    @property
    def settings(self) -> Settings: ...

    def sparse(self, words: Sequence[str], n: int, field: str = "bm25") -> list[tuple[int, float]]:
        """The ``n`` best passages by BM25 for these terms (repeats count again) of ``field``: ``bm25`` (jieba
        words) or ``bigrams`` (pairs of Chinese characters, ``text.char_bigrams``), best first: (row, score)."""

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages by their best sentence window's cosine similarity, best first."""

    def window_vectors(self, row: int) -> np.ndarray:
        """The stored vectors of passage ``row``'s sentence windows, in sentence order."""

    def prefetch(self, rows: Sequence[int], windows: Sequence[int] = ()) -> None:
        """Fetch passages ``rows`` (and the window vectors of ``windows``) in one go before they are read."""


MILVUS_TOKEN = "WENDA_MILVUS_TOKEN"  # where the milvus backend reads its token (``--milvus-token`` sets it)
PACKAGES = {"milvus": 'pymilvus>=2.5,<2.6" "milvus-lite==2.5.1" "setuptools<80'}


def recorded_corpus(manifest: object) -> Path | None:
    """The corpus folder a (possibly damaged) manifest records, for freshness checks and rebuild commands."""
    corpus = manifest.get("corpus") if isinstance(manifest, dict) else None
    folder = corpus.get("folder") if isinstance(corpus, dict) else None
    return Path(folder) if isinstance(folder, str) and folder else None


def backend_of(manifest: dict) -> str:
    """The backend that built ``manifest``'s index (an index from before backends existed is embedded)."""
    return manifest.get("backend", "embedded")


def module(name: str) -> ModuleType:
    """The module of backend ``name``; an unknown name or a backend whose client is not installed is an error
    saying what to do."""
    if name not in BACKENDS:
        raise SettingsError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    try:
        return import_module(f"{__name__}.{name}")
    except ImportError as error:
        raise IndexStoreError(f"the {name} backend needs its client library ({error}); install it with: "
                              f'pip install "{PACKAGES[name]}"') from None
