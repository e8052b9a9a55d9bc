"""How much of a question a sentence states: the evidence that re-ranks passages by their best sentence
and scores answer sentences.

Two measures, cheap enough to run on every sentence of every candidate passage:

- coverage: the idf-weighted share of the question's words found in the text, a word counting as
  found when one of its dictionary translations is: among the text's tokens where it has them (answer
  sentences), else in its characters (a Chinese word as a substring, a Latin word as a whole word);
- pair share: the share of the question's Chinese character pairs found in the text, which holds where
  jieba cuts the same words differently in the question and in the passage.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from .bm25 import BM25
from .text import char_bigrams, english_forms

Weights = list[tuple[str, float, list[str]]]  # (question word, idf weight, its dictionary translations)



def question_weights(words: Sequence[str], translations: dict[str, list[str]], bm25: BM25) -> Weights:
    """Each distinct question word with its weight and translations, worked out once per question.

    A word weighs its idf; a word no passage uses weighs as its rarest translation, or as the rarest
    word of all when it has none (a name the articles never mention should count against)."""
    top = float(np.max(bm25.idf)) if len(bm25.idf) else 1.0
    out: Weights = []
    for word in dict.fromkeys(words):
        senses = [s for phrase, tr in translations.items() if word in phrase.split() for s in tr]
        idf = bm25.term_idf(word)
        weight = idf if idf is not None else max((bm25.term_idf(s) or 0.0 for s in senses), default=top)
        out.append((word, max(weight, 0.05), senses))
    return out


def contains(text: str, word: str) -> bool:
    """Whether normalised ``text`` holds ``word``: a Latin word whole ("art" is not in "start"), a
    Chinese word anywhere."""
    if not word.isascii():
        return word in text
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        start = text.find(word, start + 1)
    return False


def coverage(weights: Weights, holds: Callable[[str], bool]) -> float:
    """Share of the question's weight that a text ``holds`` (a word, or one of its dictionary
    translations): ``token_holder`` of its tokens, or ``contains`` on its normalised characters."""
    total = sum(weight for _, weight, _ in weights)
    if not total:
        return 0.0
    return sum(w for word, w, senses in weights if holds(word) or any(holds(s) for s in senses)) / total


def token_holder(text_tokens: Iterable[str]) -> Callable[[str], bool]:
    """Whether a text with these tokens holds a word, an English word also by a dictionary form of both
    ("companies" is held by "company", "opened" by "opens")."""
    held = {form for token in text_tokens for form in (english_forms(token) if token.isascii() else (token,))}
    return lambda word: any(form in held for form in english_forms(word)) if word.isascii() else word in held


def char_pairs(text: str) -> frozenset[str]:
    """The pairs of neighbouring Chinese characters of ``text`` (normalised first)."""
    return frozenset(pair for pair in char_bigrams(text) if len(pair) == 2)


def pair_share(pairs: frozenset[str], text: str) -> float:
    """Share of the question's character ``pairs`` that normalised ``text`` contains (0 without pairs)."""
    return sum(pair in text for pair in pairs) / len(pairs) if pairs else 0.0
