"""A pasted draft as the claims to check: its sentences, with offsets into the draft, and the facts each joins.

The draft is cut into lines (one claim a line keeps working: list bullets and numbers are dropped; a line
that starts in lower case goes on from the one before, as an e-mail program wraps), each line into sentences
(``bot.text.sentence_bounds``), and each sentence into clauses at its commas and semicolons outside brackets
and quotes, and in English at an "and" or "but" before a verb ("opened in 2023 and has attracted…").

A clause states something when it has a verb (jieba's ``v``; in English a form LemmInflect knows only as a
verb), or, in Chinese, a fact ``bot.numbers`` reads with words of its own beside it (開園 is no verb to
jieba). A sentence is cut only where two or more stating clauses carry a fact; otherwise it stays whole, as
written. Cut, each stating clause is a claim, and the others (a time, a place, the tail of a list) go with
the claim they lead into or follow ("2023年8月，…" leads into the clause after it); a claim that opens with
its verb or an adverb borrows the subject of the sentence's first claim
(「香港科學園深圳分園2023年9月開園，已進駐40家…」 → 「香港科學園深圳分園已進駐40家…」). Subjects come from
jieba's part-of-speech tags, so a name with a verb inside may be cut short (香港科技大學深港協同|創新研究院).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import jieba.posseg
from lemminflect import getAllLemmas

from . import numbers
from .text import CJK, STOPWORDS, cjk_ratio, normalize, sentence_bounds

Span = tuple[int, int]

# A list bullet or number opening a line: "-", "•", "1.", "2、", "(3)", "（4）" (not "1.5萬").
BULLET = re.compile(r"^\s*(?:[-*•●·▪◆]|\(?\d{1,3}(?:\.(?!\d)|[)、）])|[（(]\d{1,3}[）)])\s*")
_OPENING, _CLOSING = "「『“‘（(《〈[【", "」』”’）)》〉]】"
_COMMA = re.compile(r"[，；;]|(?<!\d),|,(?!\d)")  # a comma between digits groups thousands (40,000)
_CONJUNCTION = re.compile(r"(?:,\s*)?\b(?:and|but)\s+", re.I)
_SENTENCE_END = "。！？!?.…"
_TRIM = " \t\r\n，；;,、：:" + _SENTENCE_END
# English prepositions: where a subject ends ("The ferry across the harbour…" → "The ferry")
_PREPOSITIONS = frozenset("in on at by since as from until till after before during over within through "
                          "throughout between across among under".split())
# jieba flags of words that open a predicate or its adverbials: adverb, preposition, time, pronoun (自, 自己)
_PREDICATE_OPENERS = ("d", "p", "t", "r")


@dataclass(frozen=True)
class Claim:
    """One checkable claim: ``draft[start:end]`` as written, after the borrowed ``subject`` where it has none
    (in English with a space between)."""

    text: str
    start: int
    end: int
    subject: str = ""

    def in_draft(self, start: int, end: int) -> Span | None:
        """Where ``text[start:end]`` is in the draft; None for a span in the borrowed subject."""
        prefix = len(self.text) - (self.end - self.start)
        return (self.start + start - prefix, self.start + end - prefix) if start >= prefix else None


@dataclass(frozen=True)
class DraftSentence:
    """A sentence of the draft, ``draft[start:end]``, and the claims it makes (one when it states one fact)."""

    start: int
    end: int
    text: str
    claims: tuple[Claim, ...]


def split_draft(draft: str) -> list[DraftSentence]:
    """The sentences of ``draft`` in order, each with its claims; offsets point into ``draft``."""
    out = []
    for start, end in _blocks(draft):
        for s, e in sentence_bounds(draft[start:end]):
            s, e = start + s, start + e
            out.append(DraftSentence(s, e, draft[s:e], tuple(sentence_claims(draft, s, e))))
    return out


def sentence_claims(draft: str, start: int, end: int) -> list[Claim]:
    """The claims of the sentence ``draft[start:end]``: the whole sentence when it states one thing (or
    nothing a clause can be told by), else one a stating clause with the clauses around it."""
    clauses = [(s, e) for s, e in _clauses(draft, start, end) if e > s]
    texts = [draft[s:e] for s, e in clauses]
    stating = [i for i, text in enumerate(texts) if _states(text)]
    if sum(1 for i in stating if numbers.facts(texts[i])) < 2:  # one fact (or none): the sentence stays whole
        return [Claim(draft[start:end], start, end)]
    # clauses before the first stating one lead into it, later ones go with the stating one before them
    bounds = [0, *stating[1:], len(clauses)]
    groups = [range(bounds[n], bounds[n + 1]) for n in range(len(stating))]
    # the subject is read from the first group, from its first clause that says more than when
    first = next(i for i in groups[0] if i == stating[0] or not numbers.facts(texts[i]))
    subject = _subject(draft[clauses[first][0] : clauses[groups[0][-1]][1]])
    out = []
    for n, group in enumerate(groups):
        s, e = clauses[group[0]][0], clauses[group[-1]][1]
        text = draft[s:e]
        borrowed = subject if n and subject and _needs_subject(text) else ""
        out.append(Claim(_join(borrowed, text), s, e, borrowed))
    return out


# ------------------------------------------------------------------------------------------- the draft


def _blocks(draft: str) -> Iterator[Span]:
    """Each line of the draft without its bullet, a wrapped line (one opening in lower case after one
    that does not end a sentence) joined to the line before."""
    block: Span | None = None
    for line in re.finditer(r"[^\r\n]+", draft):
        bullet = BULLET.match(line.group())
        start = line.start() + (bullet.end() if bullet else 0)
        text = draft[start : line.end()].strip()
        if not text:
            continue
        goes_on = (block is not None and not bullet and text[0].islower() and text[0].isascii()
                   and draft[block[0] : block[1]].rstrip()[-1:] not in _SENTENCE_END)
        if goes_on:
            block = (block[0], line.end())
            continue
        if block is not None:
            yield block
        block = (start, line.end())
    if block is not None:
        yield block


def _clauses(draft: str, start: int, end: int) -> Iterator[Span]:
    """The sentence cut at commas and semicolons outside brackets and quotes, and at an English "and"/"but"
    before a verb; each clause without the punctuation and conjunction around it."""
    depth, piece = 0, start
    for i in range(start, end):
        char = draft[i]
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(0, depth - 1)
        elif depth == 0 and _COMMA.match(draft, i):
            yield from _at_conjunctions(draft, piece, i)
            piece = i + 1
    yield from _at_conjunctions(draft, piece, end)


def _at_conjunctions(draft: str, start: int, end: int) -> Iterator[Span]:
    """A clause cut where "and" or "but" joins a second verb to it ("opened in 2023 and has attracted…")."""
    for match in _CONJUNCTION.finditer(draft, start, end):
        if match.start() > start and _opens_with_verb(draft[match.end() : end]):
            yield _trimmed(draft, start, match.start())
            start = match.end()
    start, end = _trimmed(draft, start, end)
    lead = _CONJUNCTION.match(draft, start, end)
    yield _trimmed(draft, lead.end() if lead else start, end)  # ", and the Star Ferry…": the comma cut it


def _trimmed(draft: str, start: int, end: int) -> Span:
    while start < end and draft[start] in _TRIM:
        start += 1
    while end > start and draft[end - 1] in _TRIM:
        end -= 1
    return start, end


# --------------------------------------------------------------------------------- what a clause states


def _states(clause: str) -> bool:
    """Whether the clause states something to check: a verb, or a fact with words of its own beside it
    (not "2023年8月", "今年4月" or "By the end of 2023", which only say when)."""
    words = _words(_masked(clause))
    if any(verb for _, verb in words):
        return True
    if cjk_ratio(clause) < 0.3 or not numbers.facts(clause):  # an English clause has its verb
        return False
    return any(not _time_word(word) for word, _ in words)


def _masked(clause: str) -> str:
    """The clause with its facts blanked out (今年 and this year too: any year reads them, only where they are
    matters here)."""
    chars = list(clause)
    for fact in numbers.facts(clause, reference_year=2000):
        chars[fact.start : fact.end] = " " * (fact.end - fact.start)
    return "".join(chars)


def _words(text: str) -> list[tuple[str, bool]]:
    """The words of ``text`` that are not stop words, in order, each with whether it is a verb (jieba's
    ``v`` for Chinese; for English a form LemmInflect knows only as a verb or an auxiliary)."""
    out = []
    for run in re.finditer(rf"[{CJK}]+|[A-Za-z][\w'’-]*", text):
        if re.match(f"[{CJK}]", run.group()):
            out += [(w, flag == "v") for w, flag in jieba.posseg.cut(normalize(run.group())) if w not in STOPWORDS]
        elif run.group().lower() in STOPWORDS:
            continue
        else:
            out.append((run.group().lower(), _english_verb(run.group().lower())))
    return out


def _english_verb(word: str) -> bool:
    forms = getAllLemmas(word)
    return "AUX" in forms or ("VERB" in forms and "NOUN" not in forms and "ADJ" not in forms)


def _time_word(word: str) -> bool:
    return any(flag == "t" for _, flag in jieba.posseg.cut(word)) if re.match(f"[{CJK}]", word) else False


def _opens_with_verb(text: str) -> bool:
    """Whether an English clause opens with its verb, an adverb aside ("has attracted", "also covers")."""
    found = re.findall(r"[A-Za-z][\w'’-]*", text)[:3]
    for word in (w.lower() for w in found):
        forms = getAllLemmas(word)
        if "VERB" in forms or "AUX" in forms:
            return True
        if "ADV" not in forms:
            return False
    return False


# ------------------------------------------------------------------------------------------- subjects


def _subject(clause: str) -> str:
    """The subject of a sentence's first stating clause: the words before its predicate ("" when it opens
    with one)."""
    return _english_subject(clause) if cjk_ratio(clause) < 0.3 else _chinese_subject(clause)


def _english_subject(clause: str) -> str:
    """The words before the first fact, verb or preposition, up to a comma ("The park, which opened…")."""
    words = list(re.finditer(r"[^\s,]+", clause))
    for n, word in enumerate(words):
        plain = word.group().lower().strip(".,;:'’\"")
        if numbers.facts(word.group()) or (n and (_english_verb(plain) or plain in _PREPOSITIONS)):
            return clause[: word.start()].split(",")[0].strip() if n else ""
    return ""


def _chinese_subject(clause: str) -> str:
    """The words before the first fact, bracket or quote, or before the first verb, adverb, preposition,
    time word or pronoun past the name the clause opens with; verbs right before a 的 describe the noun after
    it, so the subject of 「深港政府共同出資建設的香港科學園深圳分園自…」 is 香港科學園深圳分園."""
    norm = normalize(clause)
    words, position = [], 0  # (start, word, jieba flag)
    for word, flag in jieba.posseg.cut(norm):
        words.append((position, word, flag))
        position += len(word)
    hard = [f.start for f in numbers.facts(clause)] + [m.start() for m in re.finditer(f"[{_OPENING}，；,;：:]", norm)]
    begin = 0
    while True:
        stop = min([p for p in hard if p >= begin] + [len(norm)])
        # a two-character verb right after a two-character start is read as part of a name (港深創新…公司)
        opener = next((i for i, (p, w, flag) in enumerate(words) if begin + 2 <= p < stop and (
            flag in _PREDICATE_OPENERS or (flag == "v" and (p >= begin + 3 or len(w) == 1)))), None)
        if opener is None:
            break
        after = opener
        while after < len(words) and words[after][2][:1] in ("d", "v"):
            after += 1
        if after < len(words) and words[after][1] == "的" and words[after][0] < stop:
            begin = words[after][0] + 1  # a describing clause: the subject is the noun after its 的
            continue
        stop = words[opener][0]
        break
    head = clause[begin:stop].strip()
    return head if len(head) >= 2 else ""


def _needs_subject(text: str) -> bool:
    """Whether a later claim opens with its predicate (an adverb, a verb, a preposition) and so has no subject."""
    if cjk_ratio(text) < 0.3:
        return _opens_with_verb(text)
    first = next(iter(jieba.posseg.cut(normalize(text))), None)
    return first is not None and (first.flag in ("d", "p", "c", "v") or first.word in ("並", "并", "也", "亦"))


def _join(subject: str, text: str) -> str:
    if not subject:
        return text
    return f"{subject}{text}" if cjk_ratio(text) >= 0.3 else f"{subject} {text}"
