"""Retrieval: BM25 and dense candidate lists from the loaded index (either backend), fused here by the chosen
mode, so every mode ranks alike whichever backend searched."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .bm25 import BM25
from .cantonese import written
from .crossencoder import load_reranker
from .encoders import Encoder
from .errors import QueryError
from .evidence import Weights, char_pairs, contains, coverage, pair_share, question_weights
from .fusion import above, convex, order, rrf
from .backends import SearchIndex
from .passages import Passage
from .settings import MODES, Settings
from .text import char_bigrams, detect_language, normalize, split_sentences, tokens
from .translate import translate


TRANSLATED_WEIGHT = 0.5  # a dictionary translation is less certain than the word itself


@dataclass
class Query:
    """A question with what retrieval and answering derive from it, each computed once."""

    text: str
    encoder: Encoder
    _translations: dict[int, dict[str, list[str]]] = field(default_factory=dict, repr=False)
    _weights: dict[int, Weights] = field(default_factory=dict, repr=False)

    @cached_property
    def language(self) -> str:
        return detect_language(self.text)

    @cached_property
    def written(self) -> str:
        """The question normalised, Cantonese read as standard written Chinese: what is searched and matched."""
        return written(self.text)

    @cached_property
    def tokens(self) -> list[str]:
        return tokens(self.written)

    @cached_property
    def vector(self) -> np.ndarray:
        return self.encoder.encode_queries([self.text])[0]

    def translations(self, bm25: BM25) -> dict[str, list[str]]:
        """Dictionary translations of the words ``bm25``'s passages never use, into words they do."""
        if id(bm25) not in self._translations:
            missing = [t for t in dict.fromkeys(self.tokens) if bm25.term_idf(t) is None]
            self._translations[id(bm25)] = translate(missing, bm25.term_idf)
        return self._translations[id(bm25)]

    def weights(self, bm25: BM25) -> Weights:
        """Each question word's idf weight and translations in ``bm25``'s passages (``evidence``)."""
        if id(bm25) not in self._weights:
            self._weights[id(bm25)] = question_weights(self.tokens, self.translations(bm25), bm25)
        return self._weights[id(bm25)]

    @cached_property
    def pairs(self) -> frozenset[str]:
        return char_pairs(self.written)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused rank and score and, for the curious, each retriever's view."""

    rank: int
    row: int
    passage: Passage
    score: float
    bm25_rank: int | None
    bm25_score: float | None
    dense_rank: int | None
    dense_score: float | None


class Retriever:
    """BM25 + dense search over one index, whichever backend holds it, fused on this side."""

    def __init__(self, index: SearchIndex, encoder: Encoder, settings: Settings) -> None:
        self.index, self.encoder, self.settings = index, encoder, settings
        self.reranker = load_reranker(settings.reranker) if settings.reranker else None

    def lexical(self, query: Query) -> tuple[list[str], float]:
        """The tokens BM25 searches with and the share of the question they stand for.

        Words the passages never use are translated through the dictionary (English ↔ Chinese) and count
        half, being less certain; a question whose words the passages use in full has share 1.
        """
        unique = list(dict.fromkeys(query.tokens))
        if not unique:
            return [], 0.0
        missing = [t for t in unique if self.index.bm25.term_idf(t) is None]
        translated = query.translations(self.index.bm25)
        covered = {w for phrase in translated for w in phrase.split()}
        share = (len(unique) - len(missing) + TRANSLATED_WEIGHT * len(covered & set(missing))) / len(unique)
        return query.tokens + [t for senses in translated.values() for t in senses], share

    def sparse(self, query: Query, words: list[str], n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages by BM25 over the words, fused (``convex``, each list scaled by its best score)
        with the character-bigram field at ``bigram_weight``, so a word jieba cuts differently in the question and
        the passage still matches. Only the question's own Chinese counts there: the bigrams of dictionary
        translations of an English question cost XQuAD en→zh 2 points of BM25 R@1 (eval/RESULTS.md)."""
        words_ranking = self.index.sparse(words, n)
        pairs = char_bigrams(query.written) if self.settings.bigram_weight else []
        if not pairs:
            return words_ranking
        bigram_ranking = self.index.sparse(pairs, n, "bigrams")
        return order(convex(words_ranking, bigram_ranking, 1 / (1 + self.settings.bigram_weight)))[:n]

    def rerank(self, query: Query, fused: list[tuple[int, float]], share: float) -> list[tuple[int, float]]:
        """``fused`` re-scored by the evidence of each of its first ``evidence_depth`` passages' best
        sentence: its coverage of the question (weighted by ``share``, as BM25 is, since across languages
        it rests on translations) and its share of the question's character pairs. A passage that states
        the question's words together in one sentence beats one that scatters them."""
        if not fused:
            return fused
        self.index.prefetch([row for row, _ in fused[: self.settings.evidence_depth]])
        top = fused[0][1] or 1.0
        weights = query.weights(self.index.bm25)
        rescored = {}
        for i, (row, score) in enumerate(fused):
            bonus = 0.0
            if i < self.settings.evidence_depth and self.settings.evidence_weight:
                sentences = [normalize(s.text) for s in split_sentences(self.index.passages[row].text)]
                bonus = (share * max((coverage(weights, functools.partial(contains, t)) for t in sentences), default=0.0)
                         + max((pair_share(query.pairs, t) for t in sentences), default=0.0))
            rescored[row] = score / top + self.settings.evidence_weight * bonus
        return order(rescored)

    def cross_rerank(self, query: Query, fused: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
        """The first ``max(k, reranker_depth)`` candidates of ``fused`` in the order the cross-encoder
        scores them (the question against each passage with its heading), with its scores."""
        head = fused[: max(k, self.settings.reranker_depth)]
        self.index.prefetch([row for row, _ in head])
        scores = self.reranker.scores(query.text, [self.index.passages[row].search_text() for row, _ in head])
        return order({row: float(score) for (row, _), score in zip(head, scores)})

    def search(self, query: Query, k: int, mode: str) -> list[Hit]:
        """The ``k`` best passages for ``query`` under ``mode``: ``hybrid`` is convex fusion weighted by how
        much the question's words occur in the passages, re-ranked by sentence evidence (``rerank``),
        ``weighted`` the same fusion at a fixed weight and without re-ranking, ``rrf``
        reciprocal rank fusion. A cross-encoder named in the settings then re-scores the first candidates
        of any mode."""
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        n = max(k, self.settings.candidates)
        words, share = self.lexical(query)
        sparse = self.sparse(query, words, n) if mode != "dense" else []
        dense = self.index.dense(query.vector, n) if mode != "bm25" else []
        if mode == "bm25":
            fused = sparse
        elif mode == "dense":
            fused = dense
        elif mode == "rrf":
            fused = order(rrf([sparse, dense], k=self.settings.rrf_k))
        elif mode == "weighted":
            fused = order(convex(sparse, above(dense), self.settings.bm25_weight))
        else:
            # BM25 counts as much as the question's words are found in the passages (directly or translated)
            fused = self.rerank(query, order(convex(sparse, above(dense),
                                                    self.settings.bm25_weight * share)), share)
        if self.reranker is not None:
            fused = self.cross_rerank(query, fused, k)
        top = [row for row, _ in fused[:k]]
        self.index.prefetch(top, windows=top[: self.settings.answer_passages])  # what answering reads next
        sparse_at = {row: (rank, score) for rank, (row, score) in enumerate(sparse, 1)}
        dense_at = {row: (rank, score) for rank, (row, score) in enumerate(dense, 1)}
        hits = []
        for rank, (row, score) in enumerate(fused[:k], 1):
            b, d = sparse_at.get(row, (None, None)), dense_at.get(row, (None, None))
            hits.append(Hit(rank, row, self.index.passages[row], score, b[0], b[1], d[0], d[1]))
        return hits
