"""Cantonese questions read as standard written Chinese: 佢間公司幾時搬咗去邊區？ is searched and answered
as 他间公司何时搬了去哪区？, since the articles are written in standard Chinese and the question words
(幾多, 邊個, 幾時) say what kind of answer is wanted. The lexicon is data: bot/data/cantonese.tsv."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jieba

from .text import CJK, normalize

LEXICON = Path(__file__).resolve().parent / "data" / "cantonese.tsv"
_CJK_RUN = re.compile(f"[{CJK}]+")


@functools.lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern, dict[str, str], dict[str, str]]:
    """The phrases (one pattern, longest first) and whole words of the lexicon, normalised like questions."""
    phrases: dict[str, str] = {}
    words: dict[str, str] = {}
    for line in LEXICON.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        scope, cantonese, written = (line.split("\t") + [""])[:3]
        (phrases if scope == "phrase" else words)[normalize(cantonese)] = normalize(written.strip())
    pattern = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
    return pattern, phrases, words


def written(text: str) -> str:
    """``text`` normalised (``text.normalize``), its Cantonese words in standard written Chinese; a text
    without any is only normalised. Words shared with standard Chinese (係, 話, 同) change only in a
    text that has Cantonese ones, and only where jieba cuts them as whole words."""
    pattern, phrases, words = _lexicon()
    norm = normalize(text)
    out, count = pattern.subn(lambda m: phrases[m.group()], norm)
    if not count:
        return norm
    return _CJK_RUN.sub(lambda m: "".join(words.get(w, w) for w in jieba.lcut(m.group(), HMM=False)), out)
