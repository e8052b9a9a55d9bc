"""The embedded backend: a loaded index folder (``bot/index.py`` builds, saves and loads it) searched in this
process, BM25 over its posting lists and dense search over its FAISS index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from ..bm25 import BM25
from ..corpus import Article
from ..passages import Passage
from ..settings import Settings
from . import recorded_corpus


@dataclass
class Index:
    """A loaded index: the passages, their articles, the postings of both BM25 fields and the FAISS vectors."""

    folder: Path  # the index folder a person names
    files: Path  # the live generation inside it, where the files are
    manifest: dict
    passages: Sequence[Passage]
    articles: Mapping[str, Article]
    bm25: BM25  # jieba words
    bigrams: BM25  # pairs of Chinese characters
    vectors: faiss.Index
    window_rows: np.ndarray  # passage row of each vector (a vector per sentence window)

    @property
    def settings(self) -> Settings:
        return Settings().replace(**self.manifest["settings"])

    @property
    def corpus_folder(self) -> Path | None:
        return recorded_corpus(self.manifest)

    def window_ids(self, row: int) -> range:
        """The ids of passage ``row``'s window vectors: the k-th starts at the passage's k-th sentence
        (windows are stored in passage order, so this is a binary search)."""
        return range(int(np.searchsorted(self.window_rows, row, "left")),
                     int(np.searchsorted(self.window_rows, row, "right")))

    def window_vectors(self, row: int) -> np.ndarray:
        """The stored vectors of passage ``row``'s sentence windows, in sentence order (no encoding)."""
        ids = self.window_ids(row)
        return self.vectors.reconstruct_n(ids.start, len(ids))

    def sparse(self, words: Sequence[str], n: int, field: str = "bm25") -> list[tuple[int, float]]:
        """The ``n`` best passages by BM25 for these terms of ``field`` (``bm25`` words or ``bigrams``), best first
        (ties by row)."""
        rows, scores = (self.bigrams if field == "bigrams" else self.bm25).top(words, n)
        return [(int(r), float(s)) for r, s in zip(rows, scores)]

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages by their best sentence window's cosine similarity, from the best
        ``4 n`` windows."""
        windows = min(n * 4, self.vectors.ntotal)
        scores, ids = self.vectors.search(vector[None, :].astype(np.float32), windows)
        best: dict[int, float] = {}
        for window, score in zip(ids[0], scores[0]):
            if window >= 0:
                best.setdefault(int(self.window_rows[window]), float(score))
        return list(best.items())[:n]

    def prefetch(self, rows: Sequence[int], windows: Sequence[int] = ()) -> None:
        """Nothing to do: every passage is one slice of a memory map away."""
