"""BM25 with rank-bm25's ``BM25Okapi`` semantics (Robertson and Zaragoza 2009), as a sparse matrix.

rank-bm25 loops over every document for each query term (about 660 ms a query at 100k passages);
precomputing each (term, passage) weight once turns a query into a few posting-list additions while
giving the same scores, the negative-idf floor ``epsilon * mean(idf)`` included.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np


def files(field: str = "bm25") -> tuple[str, ...]:
    """The file names of a BM25 field in an index folder."""
    return tuple(f"{field}_{part}" for part in ("vocab.json", "indptr.npy", "indices.npy", "weights.npy", "idf.npy"))


FILES = files()


class BM25:
    """Term-major posting lists of BM25Okapi weights: ``weights[indptr[t]:indptr[t+1]]`` for the passages
    ``indices[...]`` that contain term ``t``."""

    def __init__(self, vocab: list[str], indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray,
                 idf: np.ndarray, size: int) -> None:
        self.vocab = vocab
        self.term_ids = {term: i for i, term in enumerate(vocab)}
        self.indptr, self.indices, self.weights, self.idf = indptr, indices, weights, idf
        self.size = size

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75,
              epsilon: float = 0.25) -> "BM25":
        """Index tokenised documents exactly as ``rank_bm25.BM25Okapi(documents, k1, b, epsilon)`` would."""
        size = len(documents)
        term_ids: dict[str, int] = {}  # in order of first appearance, as rank-bm25's idf dict
        terms, tfs, unique = array("i"), array("i"), np.zeros(size, dtype=np.int64)
        lengths = np.zeros(size, dtype=np.float64)
        for doc_id, doc in enumerate(documents):  # compact (term, tf) pairs, not a Counter per document
            counts = Counter(doc)
            terms.extend(term_ids.setdefault(term, len(term_ids)) for term in counts)
            tfs.extend(counts.values())
            unique[doc_id], lengths[doc_id] = len(counts), len(doc)
        vocab = list(term_ids)
        avgdl = lengths.sum() / size if size else 0.0
        term_of_pair = np.frombuffer(terms, dtype=np.int32) if terms else np.zeros(0, dtype=np.int32)
        df = np.bincount(term_of_pair, minlength=len(vocab))
        idf = np.array([math.log(size - d + 0.5) - math.log(d + 0.5) for d in df.tolist()], dtype=np.float64)
        if len(idf):
            idf[idf < 0] = epsilon * idf.mean()
        order = np.argsort(term_of_pair, kind="stable")  # term-major; documents stay in order within a term
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(df)
        indices = np.repeat(np.arange(size, dtype=np.int32), unique)[order]
        tf = (np.frombuffer(tfs, dtype=np.int32) if tfs else np.zeros(0, dtype=np.int32))[order].astype(np.float64)
        term_of = term_of_pair[order]
        norm = k1 * (1 - b + b * lengths[indices] / avgdl) if avgdl else np.full(len(tf), k1)
        weights = idf[term_of] * tf * (k1 + 1) / (tf + norm)
        return cls(vocab, indptr, indices, weights, idf, size)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """Score of every passage for the query tokens (repeated tokens count again, as in rank-bm25)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term in query:
            t = self.term_ids.get(term)
            if t is not None:
                lo, hi = self.indptr[t], self.indptr[t + 1]
                out[self.indices[lo:hi]] += self.weights[lo:hi]
        return out

    def top(self, query: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best passages with a positive score, best first: (ids, scores)."""
        scores = self.scores(query)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > n:
            candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
        order = candidates[np.lexsort((candidates, -scores[candidates]))]
        return order, scores[order]

    def term_idf(self, term: str) -> float | None:
        """The term's idf, or None when no passage has it."""
        t = self.term_ids.get(term)
        return None if t is None else float(self.idf[t])

    def save(self, folder: Path, field: str = "bm25") -> None:
        names = files(field)
        (folder / names[0]).write_text(json.dumps({"size": self.size, "vocab": self.vocab}, ensure_ascii=False),
                                       encoding="utf-8")
        for name, values in zip(names[1:], (self.indptr, self.indices, self.weights, self.idf)):
            np.save(folder / name, values)

    @classmethod
    def load(cls, folder: Path, field: str = "bm25") -> "BM25":
        """Load the arrays memory-mapped, so start-up reads only what queries touch."""
        names = files(field)
        meta = json.loads((folder / names[0]).read_text(encoding="utf-8"))
        arrays = [np.load(folder / name, mmap_mode="r") for name in names[1:]]
        if len(arrays[0]) != len(meta["vocab"]) + 1 or len(arrays[1]) != len(arrays[2]) or len(arrays[3]) != len(meta["vocab"]):
            raise ValueError("BM25 arrays do not match each other")
        return cls(meta["vocab"], *arrays, size=int(meta["size"]))
