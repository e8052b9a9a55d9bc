"""Sentence-aware passages with exact source offsets, built from the cleaned blocks of an article."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from .clean import Span, clean
from .corpus import Article
from .text import sentence_bounds, split_sentences


@dataclass(frozen=True)
class Passage:
    """A retrievable unit. ``text`` is the concatenation of ``source[s:e]`` over ``spans``; ``start`` and
    ``end`` bound them (for a passage the layout did not break, ``source[start:end] == text``)."""

    doc_id: str
    passage_id: str
    title: str
    section: str
    kind: str
    text: str
    spans: tuple[Span, ...]

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]

    def search_text(self) -> str:
        """What retrieval sees: the heading context, then the text (captions and items keep theirs)."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def source_spans(self, i: int, j: int) -> tuple[Span, ...]:
        """The source spans holding ``text[i:j]``."""
        return map_spans(self.spans, i, j)


def map_spans(spans: tuple[Span, ...], i: int, j: int) -> tuple[Span, ...]:
    """Source spans covering characters ``i:j`` of the text made by concatenating ``spans``."""
    return _SpanMap(spans)(i, j)


class _SpanMap:
    """Source spans of ranges of the text made by concatenating ``spans``: the text offset where each
    span starts is worked out once, and a range found by binary search, not by a walk over every span
    (a block the layout broke into thousands of lines is cut into hundreds of passages)."""

    def __init__(self, spans: tuple[Span, ...]) -> None:
        self.spans = spans
        self.starts = list(itertools.accumulate((e - s for s, e in spans), initial=0))

    def __call__(self, i: int, j: int) -> tuple[Span, ...]:
        out: list[Span] = []
        k = max(bisect.bisect_right(self.starts, i) - 1, 0)  # the last span starting at or before i
        while k < len(self.spans) and self.starts[k] < j:
            (s, e), offset = self.spans[k], self.starts[k]
            lo, hi = max(i, offset), min(j, offset + e - s)
            if lo < hi:
                out.append((s + lo - offset, s + hi - offset))
            k += 1
        return tuple(out)


def passages_for(article: Article, max_chars: int) -> list[Passage]:
    """Every passage of one article, in reading order: a block is one passage unless longer than
    ``max_chars``, when it is cut between sentences (a single over-long sentence is cut where it must).

    Each block's text is put together once, whatever the number of its passages: time grows with the
    article's length, not with its square."""
    out: list[Passage] = []
    for block in clean(article.text):
        if block.kind == "heading":
            continue  # headings live on as the ``section`` context of the passages under them
        text = block.text(article.text)
        span_map = _SpanMap(block.spans)
        for i, j in _chunks(text, max_chars):
            out.append(
                Passage(
                    doc_id=article.doc_id,
                    passage_id=f"{article.doc_id}#{len(out)}",
                    title=article.title,
                    section=block.section,
                    kind=block.kind,
                    text=text[i:j],
                    spans=span_map(i, j),
                )
            )
    return out


def _chunks(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Greedy packing of whole sentences into ranges of at most ``max_chars`` characters."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    ranges: list[tuple[int, int]] = []
    start = end = None
    for first, last in sentence_bounds(text):
        pieces = [(p, min(p + max_chars, last)) for p in range(first, last, max_chars)]
        for s, e in pieces:
            if start is not None and e - start > max_chars:
                ranges.append((start, end))
                start = None
            if start is None:
                start = s
            end = e
    if start is not None:
        ranges.append((start, end))
    return ranges


def windows(text: str, max_chars: int) -> list[str]:
    """Overlapping runs of whole sentences of at most ``max_chars`` (one starting at each sentence),
    for dense scoring: a short window matches a question better than a long passage does."""
    sentences = split_sentences(text)
    out: list[str] = []
    for i, first in enumerate(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1].end - first.start <= max_chars:
            j += 1
        out.append(text[first.start : sentences[j].end])
        if j == len(sentences) - 1:
            break
    return out or [text]

