"""Sentence-aware passages with exact source offsets, built from the cleaned blocks of an article."""

from __future__ import annotations

from dataclasses import dataclass

from .clean import Span, clean
from .corpus import Article
from .text import split_sentences


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
    out: list[Span] = []
    offset = 0
    for s, e in spans:
        length = e - s
        lo, hi = max(i, offset), min(j, offset + length)
        if lo < hi:
            out.append((s + lo - offset, s + hi - offset))
        offset += length
    return tuple(out)


def passages_for(article: Article, max_chars: int) -> list[Passage]:
    """Every passage of one article, in reading order: a block is one passage unless longer than
    ``max_chars``, when it is cut between sentences (a single over-long sentence is cut where it must)."""
    out: list[Passage] = []
    for block in clean(article.text):
        if block.kind == "heading":
            continue  # headings live on as the ``section`` context of the passages under them
        for i, j in _chunks(block.text(article.text), max_chars):
            out.append(
                Passage(
                    doc_id=article.doc_id,
                    passage_id=f"{article.doc_id}#{len(out)}",
                    title=article.title,
                    section=block.section,
                    kind=block.kind,
                    text=block.text(article.text)[i:j],
                    spans=map_spans(block.spans, i, j),
                )
            )
    return out


def _chunks(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Greedy packing of whole sentences into ranges of at most ``max_chars`` characters."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    ranges: list[tuple[int, int]] = []
    start = end = None
    for sentence in split_sentences(text):
        pieces = [(p, min(p + max_chars, sentence.end)) for p in range(sentence.start, sentence.end, max_chars)]
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

