"""Word relations a fact check needs: a text's content words, and whether two words mean the same (in one
language or across Chinese and English) or the opposite.

- Content words: jieba's words of the normalised text less the function classes (particles, prepositions,
  conjunctions, pronouns, measure words, punctuation) and the aspect adverbs (已, 將, 正在…); Latin
  words less English closed-class words (articles, auxiliaries, prepositions, pronouns). Qualifiers
  such as 首次, 全部, only, first stay: they change what a claim says.
- Same meaning: equal after Traditional/Simplified folding and English inflection, or sharing a
  CC-CEDICT gloss (設立 and 成立 are both "to establish"; "set up" and "found" both gloss 成立).
- Opposite meaning: ``bot/data/antonyms.tsv``, pairs of news predicates (簽署/終止, rise/fall); an English
  word is also the opposite of a Chinese word opposed to one of its CC-CEDICT translations ("terminate"
  → 終止, opposed to 簽署).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

import jieba.posseg
from pypinyin import lazy_pinyin

from .text import CJK, english_forms, normalize
from .translate import _PARENTHESES, dictionary, entries, gloss_key

ANTONYMS = "data/antonyms.tsv"
_NOT = frozenset(normalize("不無沒非未有"))
# Two words sharing a gloss are synonyms when few headwords have it (企業, 公司: "company", 6), or, where more
# do (設立, 成立: "establish", 21), when they also share a character; a gloss of more is too general ("firm").
SPECIFIC_GLOSS = 12
MAX_GLOSS_HEADWORDS = 40

# jieba part-of-speech classes that carry no content of their own
_FUNCTION_FLAGS = ("u", "p", "c", "r", "x", "y", "e", "o", "w", "q", "uj", "ul", "uz", "ug", "uv", "ud")
# aspect and linking adverbs, reporting verbs: whether a claim says 已 or not, 將 or 會, 表示 or 稱, it says
# the same thing
_LIGHT_ZH = frozenset(normalize(
    "已 已經 經已 將 將會 會 正 正在 曾 曾經 也 都 還 均 亦 就 便 才 並 又 再 更 共 共有 一共 總共 合共 分別 目前 "
    "當前 現時 現在 至今 迄今 如今 有 是 為 成為 係 屬 屬於 可 可以 能 能夠 進行 開展 實現 作出 予以 給予 獲 得 達 "
    "表示 稱 指 說 介紹 透露 強調 認為 指出 預計 預期 估計 "
    "等 一些 一個 這些 那些 該 此 其中 方面 相關 有關 通過 透過 位於 設於 在於"
).split())
# English closed classes; qualifiers and quantifiers that change a claim (all, only, first, most) are not here
_LIGHT_EN = frozenset("""
a an the this that these those its it their they them he she his her him we our us you your i me my
is are was were be been being am has have had having do does did done will would shall should can could
may might must of in on at to for by with from into onto upon about as than then there here so also too
very just and or but nor yet if whether while which who whom whose what when where why how such
s now currently already still since until which per via its
say says said saying told tell according stated added noted
""".split())


@dataclass(frozen=True)
class Word:
    """A content word of a text: normalised, with its span in the text."""

    text: str
    start: int
    end: int
    flag: str  # jieba's part of speech, or "eng"


def content_words(text: str, skip: Iterable[tuple[int, int]] = ()) -> list[Word]:
    """The content words of ``text`` in order, the ``skip`` spans (its facts and names, compared on their
    own) blanked first so that no word runs into one ("9月閉園" gives 閉園, not 月閉園)."""
    chars = list(normalize(text))
    for s, e in skip:
        chars[s:e] = " " * (e - s)
    out, start = [], 0
    for word, flag in jieba.posseg.cut("".join(chars)):
        end = start + len(word)
        span, start = (start, end), end
        if not word.strip():
            continue
        if word.isascii():
            for m in re.finditer(r"[a-z]+(?:['’-][a-z]+)*", word):
                if m.group() not in _LIGHT_EN and len(m.group()) > 1:
                    out.append(Word(m.group(), span[0] + m.start(), span[0] + m.end(), "eng"))
            continue
        if not re.search(f"[{CJK}]", word) or flag.startswith(_FUNCTION_FLAGS) or word in _LIGHT_ZH:
            continue
        out.append(Word(word, *span, flag))
    return out


@functools.cache
def _glosses() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(Simplified headword → its gloss keys, gloss key → its headwords) from CC-CEDICT, a long gloss read as
    its parts too ("to agree to and sign (a treaty etc)" → "agree to and sign treaty etc", "agree", "sign"),
    keeping the keys specific enough to tell synonyms by."""
    heads: dict[str, set[str]] = {}
    for head, glosses in entries():
        if len(head) < 2:
            continue
        for gloss in glosses:
            key = gloss_key(gloss)
            parts = [gloss_key(p) for p in re.split(r",|;| and | or ", gloss)]
            for k in {key, *parts}:
                if k and len(k.split()) <= 3:
                    heads.setdefault(k, set()).add(head)
    keys: dict[str, set[str]] = {}
    for key, words in heads.items():
        if len(words) <= MAX_GLOSS_HEADWORDS:
            for word in words:
                keys.setdefault(word, set()).add(key)
    return ({w: frozenset(k) for w, k in keys.items()},
            {k: frozenset(w) for k, w in heads.items() if len(w) <= MAX_GLOSS_HEADWORDS})


@functools.cache
def _gloss_words() -> dict[str, frozenset[str]]:
    """Simplified headword → the English words of all its CC-CEDICT glosses (function words left out), in
    every dictionary form: what a Chinese word can be said with in English."""
    out: dict[str, set[str]] = {}
    for head, glosses in entries():
        words = {w for gloss in glosses for w in re.findall(r"[a-z]+", _PARENTHESES.sub(" ", gloss.lower()))
                 if w not in _LIGHT_EN and len(w) > 2}
        out.setdefault(head, set()).update(words)
    return {head: frozenset(form for w in words for form in english_forms(w)) for head, words in out.items()}


@functools.cache
def senses(word: str) -> frozenset[str]:
    """A Chinese word's specific gloss keys; an English word's forms: what it can mean, in English."""
    if word.isascii():
        return frozenset(english_forms(word))
    return _glosses()[0].get(word, frozenset())


@functools.cache
def chinese_for(word: str) -> frozenset[str]:
    """The Chinese words (two characters or more) CC-CEDICT glosses an English word or phrase with, by any
    form of its first word ("brought together" as "bring together")."""
    en_zh, _ = dictionary()
    first, _, rest = word.partition(" ")
    forms = [" ".join(filter(None, (form, rest))) for form in english_forms(first)]
    return frozenset(h for form in forms for h in en_zh.get(form, ()) if len(h) > 1)


@functools.cache
def synonyms(word: str) -> frozenset[str]:
    """Chinese words sharing a specific gloss with a Chinese ``word``, less its opposites (itself included)."""
    by_key = _glosses()[1]
    found = {h for key in senses(word) for h in by_key.get(key, ())
             if len(by_key[key]) <= SPECIFIC_GLOSS or set(h) & set(word)}
    return frozenset({word, *found} - opposites(word))


def _read_pairs() -> list[tuple[str, str, str]]:
    """The antonym file's pairs: (word, word, language), Chinese normalised."""
    out = []
    for line in (resources.files("bot") / ANTONYMS).read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) == 3:
            out.append((normalize(fields[0].strip()), normalize(fields[1].strip()), fields[2].strip()))
    return out


@functools.cache
def _pairs() -> dict[str, frozenset[str]]:
    """Every word of the antonym file → its opposites."""
    out: dict[str, set[str]] = {}
    for a, b, _ in _read_pairs():
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return {word: frozenset(opposites) for word, opposites in out.items()}


@functools.cache
def _characters() -> dict[str, frozenset[str]]:
    """Single characters of opposite meaning, read off the Chinese pairs that differ in one character
    (開業/結業 → 開/結, 入境/出境 → 入/出): how 閉園 is known to oppose 開園 when 開/閉 is such a pair."""
    out: dict[str, set[str]] = {}
    for a, b, language in _read_pairs():
        if language == "zh" and len(a) == len(b) == 2:
            differ = [(x, y) for x, y in zip(a, b) if x != y]
            if len(differ) == 1 and not set(differ[0]) & _NOT:  # 有效/無效: negation is checked on its own
                x, y = differ[0]
                out.setdefault(x, set()).add(y)
                out.setdefault(y, set()).add(x)
    return {c: frozenset(o) for c, o in out.items()}


def opposite_characters(char: str) -> frozenset[str]:
    """The characters of opposite meaning to one character (開 → 關, 閉, 停…)."""
    return _characters().get(char, frozenset())


def opposites(word: str) -> frozenset[str]:
    """The words meaning the opposite of ``word`` (normalised): a Chinese word's own, and the word with one
    character changed for its opposite (開園 → 閉園); an English word's in English (by any of its forms) and
    the opposites of its Chinese translations."""
    pairs = _pairs()
    if not word.isascii():
        swapped = {word[:i] + o + word[i + 1 :] for i, c in enumerate(word) if len(word) > 1
                   for o in opposite_characters(c)}
        return pairs.get(word, frozenset()) | swapped
    forms = [word, *english_forms(word)]
    found = {o for form in forms for o in pairs.get(form, ())}
    found |= {o for head in chinese_for(word) for o in pairs.get(head, ())}
    return frozenset(found)


class Context:
    """A text a claim's words are looked up in (a sentence and what surrounds it), read once."""

    def __init__(self, text: str, loose: bool = True) -> None:
        self.norm = normalize(text)
        self.loose = loose  # synonyms count too (in a wider context only words and their translations)
        latin = re.findall(r"[a-z]+(?:['’-][a-z]+)*", self.norm)
        self._forms = {form for w in latin for form in english_forms(w)}
        self._latin = latin
        self._chinese: frozenset[str] | None = None
        self._spelled: frozenset[str] | None = None
        self._first: list[Word] | None = None
        self._english: frozenset[str] | None = None

    def _english_as_chinese(self) -> frozenset[str]:
        """The Chinese headwords of the text's English words: how two English synonyms meet."""
        if self._chinese is None:
            self._chinese = frozenset(h for w in self._latin if w not in _LIGHT_EN for h in chinese_for(w))
        return self._chinese

    def _unknown(self) -> list[Word]:
        """The text's two-character content words the dictionary does not know (開園, 分園)."""
        if self._first is None:
            known = dictionary()[1]
            self._first = [w for w in content_words(self.norm) if len(w.text) == 2 and w.text not in known]
        return self._first

    def _heads(self) -> frozenset[str]:
        """The first characters of the text's two-character content words the dictionary does not know."""
        return frozenset(w.text[0] for w in self._unknown())

    def _glossed(self) -> frozenset[str]:
        """The English words CC-CEDICT glosses the text's Chinese words with (a word it does not know by its
        head character's): how "formed" finds 組建 (組: to form) and "raising" 集資 (to raise money)."""
        if self._english is None:
            glosses = _gloss_words()
            words = [w.text for w in content_words(self.norm) if w.flag != "eng"]
            self._english = frozenset(g for w in words for g in glosses.get(w, glosses.get(w[0], ())))
        return self._english

    def _spellings(self) -> frozenset[str]:
        """The pinyin of every run of two to four of the text's Chinese characters: how "Hetao" finds 河套."""
        if self._spelled is None:
            out: set[str] = set()
            for run in re.findall(f"[{CJK}]+", self.norm):
                syllables = lazy_pinyin(run)
                out.update("".join(syllables[i:j]) for i in range(len(syllables))
                           for j in range(i + 2, min(i + 4, len(syllables)) + 1))
            self._spelled = frozenset(out)
        return self._spelled

    def opposite(self, word: Word) -> tuple[int, int] | None:
        """Where the text states a word meaning the opposite of ``word``: one of its opposites; a
        one-character verb's opposite character (閉 against 開); for an English word, an opposite's
        translation by its head character, as ``holds`` reads one ("closed": "open", 開放, in 開園)."""
        found = set(opposites(word.text))
        if len(word.text) == 1 and word.flag.startswith("v"):
            found |= opposite_characters(word.text)
        for other in sorted(found, key=len, reverse=True):
            at = re.search(rf"\b{re.escape(other)}\w*" if other.isascii() else re.escape(other), self.norm)
            if at:
                return at.span()
        if word.text.isascii():
            heads = {h[0] for o in found if o.isascii() for h in chinese_for(o) if len(h) == 2}
            return next(((w.start, w.end) for w in self._unknown() if w.text[0] in heads), None)
        return None

    def _pieced(self, word: str) -> bool:
        """Whether the text states every character of a long word in pieces of two or more it holds
        (香港科學園 as 香港 and 科學園; not 香港浸會大學 by 香港 and 大學 alone)."""
        covered = [False] * len(word)
        for piece in jieba.lcut_for_search(word):
            at = word.find(piece)
            if len(piece) > 1 and piece != word and piece in self.norm and at >= 0:
                covered[at : at + len(piece)] = [True] * len(piece)
        return len(word) > 2 and all(covered)

    def holds(self, word: str) -> bool:
        """Whether the text states ``word`` (normalised) or a word meaning the same, in either language."""
        if word.isascii():
            if self._forms & set(english_forms(word)):
                return True
            if "-" in word and all(self.holds(part) for part in word.split("-") if part):
                return True
            if len(word) > 3 and word in self._spellings():
                return True
            heads = chinese_for(word)
            if any(h in self.norm for h in heads) or heads & self._english_as_chinese():
                return True
            # a word the dictionary does not know, read by its head character, that starts a two-character
            # translation: "branch" (分行, 分支) in 分園, "opened" (開放, 開幕) in 開園; a word it knows
            # means what it says (合作 is not "closed" for 合上)
            if self.loose and any(len(h) == 2 and h[0] in self._heads() for h in heads):
                return True
            return self.loose and bool(set(english_forms(word)) & self._glossed())
        if word in self.norm or self._pieced(word):
            return True
        if not self.loose:
            return False
        if any(s in self.norm for s in synonyms(word) if len(s) > 1):
            return True
        return any((" " in key and key in self.norm) or key in self._forms for key in senses(word))
