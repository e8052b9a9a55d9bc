"""Chinese names in Latin letters: whether "Gao Lingyun", "Lingyun Gao" or "gao ling-yun" writes 高凌雲,
through pypinyin's readings (tones, spaces, hyphens and case ignored; every reading of a character with
several tried; surname first or last)."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

from pypinyin import Style, pinyin
from pypinyin.constants import PINYIN_DICT

from .text import normalize

MAX_READINGS = 16  # readings tried for one name (a name of polyphonic characters has many)


@functools.cache
def readings(name: str) -> frozenset[str]:
    """A Chinese name's tone-less pinyin spellings, letters only, surname first and surname last."""
    syllables = pinyin(normalize(name), style=Style.NORMAL, heteronym=True, errors="ignore")
    if not syllables:
        return frozenset()
    out: set[str] = set()
    for combo in itertools.islice(itertools.product(*syllables), MAX_READINGS):
        out.add("".join(combo))
        out.add("".join(combo[1:]) + combo[0])
    return frozenset(out)


def letters(text: str) -> str:
    """A Latin-script name as its letters only, lower case ("Ling-yun GAO" → "lingyungao")."""
    return re.sub(r"[^a-z]", "", text.lower().replace("ü", "v"))


def writes(latin: str, chinese: str) -> bool:
    """Whether the Latin-script ``latin`` spells the Chinese name ``chinese``."""
    return bool(letters(latin)) and letters(latin) in readings(chinese)


@functools.cache
def syllables() -> frozenset[str]:
    """Every tone-less pinyin syllable pypinyin knows (its readings table, tone marks stripped)."""
    plain = unicodedata.normalize("NFD", ",".join(PINYIN_DICT.values()))
    return frozenset(s for s in re.sub(r"[\u0300-\u036f]", "", plain).replace("ü", "v").split(",") if s.isalpha())


def is_pinyin_name(latin: str) -> bool:
    """Whether a Latin-script name of two to four words reads as pinyin syllables throughout ("Wang Xuelai",
    "Gao Ling-yun"): a Chinese person's name written in pinyin, not an English one."""
    words = re.split(r"[\s-]+", latin.strip().lower())
    return 2 <= len(words) <= 4 and all(_splits(w) for w in words)


def _splits(word: str) -> bool:
    """Whether ``word`` is one to three pinyin syllables."""
    known = syllables()

    @functools.cache
    def rest(i: int, left: int) -> bool:
        if i == len(word):
            return True
        return left > 0 and any(word[i:j] in known and rest(j, left - 1) for j in range(i + 1, min(len(word), i + 6) + 1))

    return bool(word) and word.isalpha() and rest(0, 3)


@functools.cache
def surnames(chinese: frozenset[str]) -> frozenset[str]:
    """The pinyin readings of the given Chinese surnames."""
    return frozenset(letters(r) for name in chinese for reading in pinyin(name, style=Style.NORMAL, heteronym=True)
                     for r in reading)
