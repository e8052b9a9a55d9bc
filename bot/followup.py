"""Follow-up questions resolved from the conversation so far, extractively: a question with a pronoun
(它, 他們, its, they…) or without a subject of its own takes the subject of the earlier questions, in
their own words, so "它何時開園？" after a question about 香港科學園深圳分園 is searched and answered
as "香港科學園深圳分園何時開園？". Nothing is generated: the understood question is the question with
a pronoun replaced by, or the subject put before it, words the visitor typed earlier; it is shown to
the visitor, so a wrong guess is visible and can be corrected by rephrasing.

A subject is a name: in Chinese a run of nouns (jieba's part-of-speech tags) holding a proper noun and
at least three characters, or of at least two nouns and four characters, or a title in 《》「」; in
English a run of capitalised words (joined by "of", "and", "the"). The longest name of a question is
its subject; a question without one keeps the subject of the one before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import jieba.posseg

from .text import STOPWORDS, detect_language, normalize

MAX_HISTORY = 20  # earlier questions that count; the subject of a conversation is in its last few

# Chinese (in normalised, Simplified script): pronouns the subject replaces, and determiners ("this
# institution") before which it is put, as the determiner's noun may be narrower than the subject.
ZH_PRONOUNS = frozenset("它 它们 他 他们 她 她们 其 那里 那边 这里 当地".split())
ZH_DETERMINERS = frozenset("该 这 那 这个 那个 这些 那些 这家 那家 这所 那所 这间 此".split())
# jieba's tags of words that can be part of a name: nouns, abbreviations, Latin words, verbal nouns.
NAME_TAGS = ("n", "j", "eng", "vn")
PROPER_TAGS = ("nr", "ns", "nt", "nz", "j", "eng")
# verbs that sit inside names whatever jieba tags them (协同创新研究院, 执行总监, 应用科技研究院, 转化医学)
NAME_VERBS = frozenset("创新 执行 应用 转化 协同 促进 监督".split())
# words jieba's dictionary tags as nouns or places that are predicates or question words, never names
NOT_NAMES = frozenset("开园 上市 落地 落户 开业 时候 时间 名字 地方 年份 日期".split())
CONNECTORS = frozenset("及 和 与 、".split())  # joining two names into one (港深创新及科技园有限公司)
# tags of function words, which never join a name even as a single character (的, 在, 及, 《)
FUNCTION_TAGS = ("u", "p", "r", "d", "c", "x", "m", "q", "f", "y", "e", "o", "t")
TITLE, PERSON, PROPER = 3, 2, 1  # how likely a name is what a follow-up means, best first
_QUOTED = re.compile(r"《[^》]{2,40}》|「[^」]{2,40}」|“[^”]{2,40}”")

# English: pronouns the subject replaces, and those that stand for a possessive ("its members").
EN_PRONOUNS = frozenset("it they them he she him its their his her".split())
EN_POSSESSIVES = frozenset("its their his".split())
_CAP = r"[A-Z][\w'’&.-]*"
_RUN = rf"{_CAP}(?:\s+(?:(?:and|&|for)\s+)?{_CAP})*"
# a capitalised run, or one with a head noun and "of" another ("Shenzhen branch of the Hong Kong Science Park")
_EN_NAME = re.compile(rf"{_RUN}(?:(?:\s+[a-z]+)?\s+of\s+(?:the\s+)?{_RUN})?")
_EN_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Understood:
    """A question as asked and as understood (what is searched and answered), with the subject carried
    into it from earlier questions ('' when nothing was carried)."""

    question: str
    text: str
    subject: str = ""

    @property
    def changed(self) -> bool:
        return self.text != self.question


def understand(question: str, history: Sequence[str] = ()) -> Understood:
    """``question`` as understood after ``history`` (earlier questions, oldest first): each earlier question
    is understood in turn, so a subject carries through a chain of follow-ups."""
    subject = ""
    for earlier in history[-MAX_HISTORY:]:
        subject = subject_of(resolve(earlier, subject).text) or subject
    return resolve(question, subject)


def resolve(question: str, subject: str) -> Understood:
    """``question`` with ``subject`` in place of its first pronoun, or before it when it has a determiner or no
    subject of its own; unchanged when there is no subject or the question already holds it."""
    if not subject or normalize(subject) in normalize(question):
        return Understood(question, question)
    chinese = detect_language(question).startswith("zh")
    pronoun, determiner = (_zh_reference if chinese else _en_reference)(question)
    if pronoun is not None:
        start, end = pronoun
        word = question[start:end].lower()
        filler = subject + ("'s" if not chinese and word in EN_POSSESSIVES else "")
        return Understood(question, question[:start] + filler + question[end:], subject)
    if determiner or not names(question):
        return Understood(question, f"{subject} {question}" if chinese else f"{subject}: {question}", subject)
    return Understood(question, question)


def subject_of(question: str) -> str:
    """The name in ``question`` a follow-up most likely means, in the question's own characters ('' for none):
    a title, else a person's name, else the longest name holding a proper noun, else the longest (the first of
    equals)."""
    found = _names(question)
    return max(found, key=lambda name: (name[1], len(name[0])))[0] if found else ""


def names(question: str) -> list[str]:
    """The names ``question`` holds (see the module's docstring), in order."""
    return [name for name, _ in _names(question)]


def _names(question: str) -> list[tuple[str, int]]:
    """(name, rank) for each name in ``question``: TITLE, PERSON, PROPER or 0 for a run of common nouns."""
    if detect_language(question).startswith("zh"):
        return _zh_names(question)
    return [(question[s:e], PROPER) for s, e in _en_names(question)]


def _words(question: str) -> list[tuple[int, int, str, str]]:
    """jieba's words of the normalised ``question`` as (start, end, word, tag)."""
    out, offset = [], 0
    for word, tag in jieba.posseg.cut(normalize(question)):
        out.append((offset, offset + len(word), word, tag))
        offset += len(word)
    return out


def _zh_names(question: str) -> list[tuple[str, int]]:
    """Runs of name words holding a proper noun (three characters or more) or two words (four characters or
    more), and quoted titles; sliced from ``question`` itself, so its script is kept."""
    words = _words(question)
    named = [_is_name_word(w) for w in words]
    for i in range(1, len(words) - 1):  # a character or a connector between two name words joins them
        word, tag = words[i][2], words[i][3]
        joins = word in CONNECTORS or (len(word) == 1 and not tag.startswith(FUNCTION_TAGS))
        named[i] = named[i] or (joins and named[i - 1] and named[i + 1])
    found = [(m.span(), TITLE) for m in _QUOTED.finditer(normalize(question))]
    start = None
    for i, name in enumerate([*named, False]):
        if name and start is None:
            start = i
        elif not name and start is not None:
            run, start = words[start:i], None
            low, high = run[0][0], run[-1][1]
            proper = any(w[3].startswith(PROPER_TAGS) for w in run)
            rank = PERSON if any(w[3].startswith("nr") for w in run) else PROPER if proper else 0
            inside = any(s <= low and high <= e for (s, e), _ in found)
            if not inside and ((proper and high - low >= 3) or (len(run) >= 2 and high - low >= 4)):
                found.append(((low, high), rank))
    return [(question[s:e], rank) for (s, e), rank in sorted(found)]


def _is_name_word(word: tuple[int, int, str, str]) -> bool:
    """Whether a jieba word can be part of a name by its tag (and is not a predicate the dictionary mis-tags)."""
    return (word[3].startswith(NAME_TAGS) and word[2] not in NOT_NAMES) or word[2] in NAME_VERBS


def _en_names(question: str) -> list[tuple[int, int]]:
    """Spans of capitalised names, without a leading function word that only starts the sentence ("When")."""
    spans = []
    for match in _EN_NAME.finditer(question):
        start, end = match.span()
        words = list(_EN_WORD.finditer(question, start, end))
        while words and words[0].group().lower() in STOPWORDS:
            words.pop(0)
        if words:
            spans.append((words[0].start(), end))
    return spans


Reference = tuple[tuple[int, int] | None, bool]


def _zh_reference(question: str) -> Reference:
    """(the span of the first pronoun, or None; whether a determiner points back) in a Chinese question."""
    words = _words(question)
    for start, end, word, _ in words:
        if word in ZH_PRONOUNS:
            return (start, end), False
    return None, any(word in ZH_DETERMINERS for _, _, word, _ in words)


def _en_reference(question: str) -> Reference:
    """(the span of the first pronoun, or None; False) in an English question."""
    for match in _EN_WORD.finditer(question):
        if match.group().lower() in EN_PRONOUNS:
            return match.span(), False
    return None, False
