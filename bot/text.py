"""Script normalisation, language detection, sentence splitting and search tokens.

Normalisation is length-preserving (one character in, one character out), so an offset found in
normalised text is the same offset in the original; that is what lets matching ignore the
Traditional/Simplified and full/half-width differences while citations still point at the source.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import jieba
import opencc
from lemminflect import getAllLemmas, getAllLemmasOOV

jieba.setLogLevel(logging.WARNING)

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
# Latin words keep accented letters (é, ü, ø…); a comma joins only digit groups (2,766), never words
# (a full-width comma between Latin words, as in Chinese text "FDA，CFDA", folds to an ASCII one).
_LATIN = "a-z0-9\u00df-\u00f6\u00f8-\u00ff\u0100-\u024f"
_TOKEN_RUN = re.compile(rf"[{CJK}]+|[{_LATIN}]+(?:(?:[.'’]|(?<=\d),(?=\d{{3}}(?!\d)))[{_LATIN}]+)*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

# Function words dropped from both passages and questions: they carry no topic and only add noise.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 吗 呢 吧 啊 么 什么 怎么 怎样 如何 为什么 多少 哪 哪些 哪个 哪里 哪儿 谁 何时 几
    有 为 于 之 也 都 将 把 被 就 而 其 这 那 这个 那个 个 请问 一 上 中 对 从 到 由 向 以 又 还 该 所
    甚么 什么样 哪一年 哪年 哪月 哪一月 哪年哪月 哪天 哪位 哪家 哪间 哪所 哪支 哪种 哪项 哪区 几个 几时 是否
    吗 呢 他 她 它 他们 她们 我们 你 您 文中 文章 报道 除了 另 另外 一共 共有 总共 截至 按照 根据 提到 认为 说 称
    a an the of in on at to for is are was were be been being by with what which who whom whose when
    where why how many much does did do done and or from that this these those it its as into about
    than then there their they he she his her we our you your i me my not no can could would should will
    according article report besides apart say says said
    """.split()
)


@functools.cache
def _char_table() -> dict[int, str]:
    """Traditional→Simplified single-character table from OpenCC's dictionary, plus width folding."""
    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            table[ord(parts[0])] = parts[1]
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII → ASCII
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    return table


@functools.cache
def _simplified_only() -> frozenset[str]:
    """Characters that only Simplified text uses (they are targets of the table, never sources)."""
    table = _char_table()
    sources = {chr(c) for c in table}
    return frozenset(v for v in table.values() if v not in sources and _CJK_RUN.fullmatch(v))


def normalize(text: str) -> str:
    """Simplified script, half-width, lower case; the same length as ``text``, offset for offset."""
    folded = text.translate(_char_table())
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


def cjk_ratio(text: str) -> float:
    """Share of the letters in ``text`` that are CJK ideographs."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _CJK_RUN.match(c)) / len(letters)


def detect_language(text: str) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en``: Chinese when most letters are ideographs, script by the
    characters only one script uses (Traditional wins ties, as the seed corpus is Hong Kong's)."""
    if cjk_ratio(text) < 0.3:
        return "en"
    table = _char_table()
    traditional = sum(1 for c in text if ord(c) in table and table[ord(c)] != c and _CJK_RUN.match(c))
    simplified_only = _simplified_only()
    simplified = sum(1 for c in text if c in simplified_only)
    return "zh-Hans" if simplified > traditional else "zh-Hant"


@dataclass(frozen=True)
class Sentence:
    """A sentence as a slice ``text[start:end]`` of the string it was split from."""

    start: int
    end: int
    text: str


_SENTENCE_END = re.compile(
    r"""(?:[。！？!?]+|…+|\.(?=\s|$|["'”’」』）)]))   # Chinese ends, ellipsis, a full stop before space
        [」』”’"'）)\]]*                             # closing quotes and brackets stay with the sentence
      | \n[ \t]*\n\s*                               # a blank line always ends one
    """,
    re.VERBOSE,
)
_ABBREVIATIONS = re.compile(r"(?:\b(?:mr|mrs|ms|dr|prof|st|no|vs|inc|ltd|co|jr|sr|u\.s|e\.g|i\.e)|\b[a-z])\.$", re.I)
_ABBREVIATION_REACH = 8  # characters before a full stop that can hold one (the longest, "prof", is 4)


def split_sentences(text: str) -> list[Sentence]:
    """Split at Chinese and English sentence ends and blank lines, trimming surrounding white space.

    A full stop after a common abbreviation or an initial (``Mr.``, ``U.S.``, ``J.``) does not end one.
    """
    return [Sentence(start, end, text[start:end]) for start, end in sentence_bounds(text)]


def sentence_bounds(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each sentence ``split_sentences`` finds, one at a time and without copying
    their text: what cutting a long article into passages needs."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        # only the few characters before the stop can be an abbreviation: searching the sentence so far
        # would make a run of initials quadratic (``\b`` still sees the character before the window)
        window = max(start, match.start() - _ABBREVIATION_REACH)
        if match.group().startswith(".") and _ABBREVIATIONS.search(text, window, match.start() + 1):
            continue
        if bounds := _trimmed(text, start, end):
            yield bounds
        start = end
    if bounds := _trimmed(text, start, len(text)):
        yield bounds


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` without the white space at either end; None when nothing else is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def tokens(text: str) -> list[str]:
    """Search tokens: jieba words (search mode) for Chinese, lower-cased words for Latin script,
    numbers whole (``2,766`` → ``2766``, ``1.5`` stays), stop words and punctuation dropped.

    Text is normalised first, so Traditional and Simplified spellings give the same tokens.
    """
    out: list[str] = []
    for match in _TOKEN_RUN.finditer(normalize(text)):
        run = match.group()
        if _CJK_RUN.match(run):
            out.extend(w for w in jieba.cut_for_search(run, HMM=False) if w not in STOPWORDS)
        else:
            word = _THOUSANDS.sub("", run).strip(".,'’")
            if word and word not in STOPWORDS:
                out.append(word)
    return out


def char_bigrams(text: str) -> list[str]:
    """The overlapping pairs of Chinese characters of each run in ``text`` (a run of one character stands for
    itself), normalised first: the terms of the character-bigram BM25 field, as Lucene's CJK analyzer makes
    them, which catches words jieba segments differently in the question and the passage."""
    return [run[i : i + 2] if len(run) > 1 else run
            for run in _CJK_RUN.findall(normalize(text)) for i in range(max(len(run) - 1, 1))]


def fold_spaces(text: str) -> str:
    """Collapse runs of white space to one space, for display."""
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def english_forms(word: str) -> tuple[str, ...]:
    """The word and its dictionary forms from LemmInflect's English lemma tables ("companies" →
    company, "led" → lead, "won" → win; an unknown word by its noun and verb rules), so that a match
    on any of them tolerates English inflection."""
    if not (word.isascii() and word.isalpha()):
        return (word,)
    lemmas = getAllLemmas(word) or {**getAllLemmasOOV(word, "NOUN"), **getAllLemmasOOV(word, "VERB")}
    return tuple(dict.fromkeys([word, *(lemma for forms in lemmas.values() for lemma in forms)]))
