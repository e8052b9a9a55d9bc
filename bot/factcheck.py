"""Fact checking: a claim against the articles, with the sentence that supports or contradicts it.

A claim is ``supported`` when one sentence of the articles states every checkable fact of it (its
numbers, dates and names, see ``bot.numbers``) the same way and is about the same thing;
``contradicted`` when the sentence that best matches it is about the same thing but a fact differs
(each difference is listed, claim vs article, as each text writes it); ``not_found`` otherwise:
nothing is said about it, or too little to decide, which is preferred to a guess.

"About the same thing": in the claim's language, the idf-weighted share of its words (facts and names
masked) that the sentence holds, blended with the encoder's cosine; across languages, where words
cannot be compared, the cosine alone, raised by each fact the sentence states the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import jieba.posseg
import numpy as np

from . import lexicon, numbers, order, romanize
from .bm25 import BM25
from .encoders import Encoder
from .engine import Bot
from .numbers import AGREES, DIFFERS, Date, Fact
from .retrieve import Hit, Query
from .text import CJK, cjk_ratio, normalize, split_sentences

Span = tuple[int, int]

SUPPORTED, CONTRADICTED, UNSUPPORTED, NOT_FOUND = "supported", "contradicted", "unsupported", "not_found"
VERDICTS = (SUPPORTED, CONTRADICTED, UNSUPPORTED, NOT_FOUND)
# What a mismatch can be about: a fact (number, date), a name (person, place, organisation), the claim's
# verb against the article's opposite one, a modifier in the same slot, a "not" only one side says, or
# two dated events in the other order.
MISMATCH_KINDS = ("number", "date", "name", "predicate", "qualifier", "negation", "order")

PASSAGES = 8  # passages searched for a claim: a check needs the one sentence, so it looks wider than ask
EVIDENCE = 3  # supporting sentences quoted at most
# Thresholds on Evidence.strength, chosen on tests/data/claims_seed.jsonl (the held-out
# eval/gold/claims_heldout.jsonl was not looked at): in the claim's language the best sentence for an
# unrelated claim scores up to 0.65 and the one a related claim is about from 0.59; across languages,
# unrelated up to 0.43, related from 0.46.
RELATED = 0.6  # about the same thing: enough to call a differing fact a contradiction, a missing word unsupported
SUPPORTS = 0.6  # enough, with every fact, name and word agreeing, to call the claim supported
RELATED_CROSS = 0.45
SUPPORTS_CROSS = 0.5
AGREED_BONUS = 0.1  # per fact the sentence states the same way (two at most)


# ------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Name:
    """A person (``nr``), place (``ns``) or organisation (``nt``) name, or a Latin-script name (``latin``)."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mismatch:
    """A fact the claim and the evidence state differently, each as written, with the article's source spans."""

    kind: str  # "number", "date" or "name"
    claim: str
    article: str
    claim_span: Span
    article_spans: tuple[Span, ...]


@dataclass(frozen=True)
class Evidence:
    """One sentence, ``hit.passage.text[start:end]``, weighed against the claim."""

    hit: Hit
    start: int
    end: int
    similarity: float  # the encoder's best cosine over the sentence's clause runs
    overlap: float  # idf-weighted share of the claim's content words it (0.8) and its passage (0.2) state
    agreed: int  # claim facts and names it states the same way
    mismatches: tuple[Mismatch, ...]
    missing: tuple[str, ...]  # claim facts it does not state (or less precisely), or a negation only one has
    cross_lingual: bool
    unheld: tuple[str, ...] = ()  # the claim's content words neither it nor its passage states

    @property
    def text(self) -> str:
        return self.hit.passage.text[self.start : self.end]

    @property
    def spans(self) -> tuple[Span, ...]:
        """Where the sentence is in the article (more than one span where the layout broke it)."""
        return self.hit.passage.source_spans(self.start, self.end)

    @property
    def related(self) -> float:
        """How much the sentence is about what the claim is about, its facts aside."""
        return 0.5 * self.similarity + 0.5 * self.overlap

    @property
    def strength(self) -> float:
        return self.related + AGREED_BONUS * min(self.agreed, 2)

    @property
    def supports(self) -> bool:
        """Every fact, name and word of the claim stated, and the same way."""
        if self.mismatches or self.missing or self.unheld:
            return False
        return self.strength >= (SUPPORTS_CROSS if self.cross_lingual else SUPPORTS)

    @property
    def contradicts(self) -> bool:
        return bool(self.mismatches) and self.strength >= _related(self)

    @property
    def leaves_out(self) -> bool:
        """About the same thing, nothing differing, but part of the claim not stated: unsupported."""
        return not self.mismatches and bool(self.missing or self.unheld) and self.strength >= _related(self)


@dataclass(frozen=True)
class Check:
    """The outcome for one claim: its verdict, the quoted evidence and the facts that differ."""

    claim: str
    language: str
    verdict: str
    evidence: tuple[Evidence, ...]
    mismatches: tuple[Mismatch, ...]
    missing: tuple[str, ...] = ()  # the claim's words the evidence does not state (unsupported)
    considered: tuple[Evidence, ...] = ()  # every sentence weighed, best first: why the verdict is what it is


# -------------------------------------------------------------------------------------------- checking


def check(bot: Bot, claim: str, k: int | None = None, mode: str | None = None) -> Check:
    """Judge ``claim`` against the sentences of the ``k`` passages retrieved for it."""
    query = Query(bot.check_question(claim, "claim"), bot.encoder)
    k = bot.check_k(k, default=max(PASSAGES, bot.settings.k))
    mode = mode or bot.settings.mode
    events = order.split(query.text)
    weighed = weigh(bot, query, bot.retriever.search(query, k, mode))
    if events is not None:
        ordered = _check_order(bot, query, events, k, mode, tuple(weighed))
        if ordered is not None:
            return ordered
    best = weighed[0] if weighed else None
    considered = tuple(weighed)
    if best is not None and best.supports:
        evidence = tuple(e for e in weighed if e.supports)[:EVIDENCE]
        return Check(query.text, query.language, SUPPORTED, evidence, (), considered=considered)
    if best is not None and best.contradicts:
        return Check(query.text, query.language, CONTRADICTED, (best,), best.mismatches, considered=considered)
    if best is not None and best.leaves_out:
        missing = tuple(m for m in (*best.unheld, *best.missing) if m != "negation")
        return Check(query.text, query.language, UNSUPPORTED, (best,), (), missing or ("negation",), considered)
    return Check(query.text, query.language, NOT_FOUND, (), (), considered=considered)


def _check_order(bot: Bot, query: Query, events: order.Order, k: int, mode: str,
                 considered: tuple[Evidence, ...]) -> Check | None:
    """A claim that one event came before another: each event dated by the sentence the articles state it
    in; the claim is contradicted when the dates run the other way, supported when they agree and each
    event is stated as the claim says. None (judge the claim as a whole) when an event has no date."""
    dated = []
    for phrase in (events.earlier, events.later):
        sub = Query(phrase, bot.encoder)
        found = next(((e, d) for e in weigh(bot, sub, bot.retriever.search(sub, k, mode))[:3]
                      for d in [_event_date(bot, e)] if d is not None and e.strength >= _related(e)), None)
        if found is None:
            return None
        dated.append(found)
    (first, first_date), (second, second_date) = dated
    if first.contradicts or second.contradicts:  # an event stated with a wrong fact of its own
        wrong = first if first.contradicts else second
        return Check(query.text, query.language, CONTRADICTED, (wrong,), wrong.mismatches, considered=considered)
    outcome = order.compare(first_date, second_date)
    if outcome == 1:
        start, end = events.word
        article = first.hit.passage.source_spans(first.start + first_date.start, first.start + first_date.end)
        mismatch = Mismatch("order", query.text[start:end], first_date.text, (start, end), article)
        return Check(query.text, query.language, CONTRADICTED, (first, second), (mismatch,), considered=considered)
    if outcome != -1:
        return None
    unheld = tuple(dict.fromkeys((*first.unheld, *first.missing, *second.unheld, *second.missing)))
    if not unheld and first.supports and second.supports:
        return Check(query.text, query.language, SUPPORTED, (first, second), (), considered=considered)
    return Check(query.text, query.language, UNSUPPORTED, (first, second), (), unheld or ("negation",), considered)


def _related(e: Evidence) -> float:
    return RELATED_CROSS if e.cross_lingual else RELATED


def _event_date(bot: Bot, e: Evidence) -> Date | None:
    """The first date the sentence gives (an article's 今年4月 read in the article's year)."""
    year = _reference_year(bot, e.hit.passage.doc_id)
    return next((_dated(f, year) for f in _facts(e.text, year) if isinstance(f, Date)), None)


def check_json(bot: Bot, claim: str, k: int | None = None, mode: str | None = None) -> dict:
    """``check`` as the JSON object the CLI, the API and the web tab share."""
    return to_json(check(bot, claim, k, mode))


def to_json(result: Check) -> dict:
    """The stable JSON schema of a check: evidence offsets point into the article as stored
    (``start``/``end`` bound the sentence, ``spans`` skip what the layout put inside it)."""
    return {
        "claim": result.claim,
        "language": result.language,
        "verdict": result.verdict,
        "evidence": [
            {
                "doc_id": e.hit.passage.doc_id,
                "title": e.hit.passage.title,
                "text": e.text,
                "start": e.spans[0][0],
                "end": e.spans[-1][1],
                "spans": [list(span) for span in e.spans],
                "score": round(e.strength, 4),  # how strongly the sentence bears on the claim
            }
            for e in result.evidence
        ],
        "missing": list(result.missing),
        "mismatches": [
            {
                "kind": m.kind,
                "claim": m.claim,
                "article": m.article,
                "claim_span": list(m.claim_span),
                "article_span": [m.article_spans[0][0], m.article_spans[-1][1]],
            }
            for m in result.mismatches
        ],
    }


def weigh(bot: Bot, query: Query, hits: Sequence[Hit]) -> list[Evidence]:
    """Every sentence of the hits weighed against the claim, best match first."""
    sentences = [(hit, s.start, s.end) for hit in hits if hit.passage.kind != "byline"
                 for s in split_sentences(hit.passage.text)]
    if not sentences:
        return []
    similarity = _similarity(bot.encoder, query, [hit.passage.text[s:e] for hit, s, e in sentences])
    claim = _Claim(query.text)
    weighed = [_weigh(bot, claim, hit, start, end, float(sim)) for (hit, start, end), sim in zip(sentences, similarity)]
    return sorted(weighed, key=_rank, reverse=True)


def _weigh(bot: Bot, claim: _Claim, hit: Hit, start: int, end: int, similarity: float) -> Evidence:
    """One sentence, ``hit.passage.text[start:end]``, against the claim: how related it is, which of the
    claim's facts and names it states the same way, states differently or does not state, and which of
    the claim's other words it (or its passage) does not state, states the opposite of, or replaces."""
    year = _reference_year(bot, hit.passage.doc_id)
    text = hit.passage.text[start:end]
    norm = normalize(text)
    cross = claim.chinese != (cjk_ratio(text) >= 0.3)
    agreed, mismatches, missing = 0, [], []

    def mismatch(kind: str, claim_span: Span, span: Span) -> Mismatch:
        return Mismatch(kind, claim.text[claim_span[0]:claim_span[1]], text[span[0]:span[1]], claim_span,
                        hit.passage.source_spans(start + span[0], start + span[1]))

    sentence_facts = [_dated(f, year) for f in _facts(text, year)]
    for claim_fact, fact in align(claim.facts(year), claim.norm, sentence_facts, norm):
        outcome = numbers.compare(claim_fact, fact) if fact is not None else None
        if outcome == AGREES:
            agreed += 1
        elif outcome == DIFFERS:
            mismatches.append(mismatch("date" if fact.kind == "date" else "number", (claim_fact.start, claim_fact.end),
                                       (fact.start, fact.end)))
        else:
            missing.append(claim_fact.text)
    if cross:  # a Latin name the article writes too (PCT, SCI), a Chinese person's name in pinyin
        people = [n for n in _sentence_names(text, year) if n.kind == "nr"]
        for name in claim.names(year):
            if name.kind != "latin":
                continue
            if _mentions(norm, name.text) or any(romanize.writes(name.text, p.text) for p in people):
                agreed += 1
            elif claim.is_person(name) and people:
                mismatches.append(mismatch("name", (name.start, name.end), (people[0].start, people[0].end)))
    else:
        for claim_name, name in align_names(claim.names(year), claim.norm, _sentence_names(text, year), norm):
            other = _slot(claim.norm, lexicon.Word(normalize(claim_name.text), claim_name.start, claim_name.end,
                                                   claim_name.kind), norm) if name is claim_name else None
            if other:  # the name is in the sentence, but another stands where the claim puts it (在香港落戶)
                mismatches.append(mismatch("name", (claim_name.start, claim_name.end), other))
            elif name is claim_name:
                agreed += 1
            elif name is not None:
                mismatches.append(mismatch("name", (claim_name.start, claim_name.end), (name.start, name.end)))
            else:
                missing.append(claim_name.text)
    words = claim.content(year, cross)
    sentence = lexicon.Context(text)
    held = claim.held(words, sentence)
    stated = claim.held(words, lexicon.Context(text, loose=False))  # as itself or a dictionary translation
    near = claim.held(words, lexicon.Context(_surroundings(bot, hit), loose=False))
    pending = []  # words neither stated, nor opposed, nor replaced: maybe said in other words
    for i, word in enumerate(words):
        # an opposite in the sentence outweighs a loose match (a synonym, a gloss): "closed" against 開園
        opposite = None if stated[i] else sentence.opposite(word)
        if opposite:
            mismatches.append(mismatch("predicate", (word.start, word.end), opposite))
            held[i] = False
            continue
        if held[i]:
            continue
        # another word in the claim word's slot of this sentence outweighs a mention of it nearby
        replaced = None if cross else _slot(claim.norm, word, norm)
        if replaced:
            kind = "name" if word.flag.startswith("ns") else "predicate" if word.flag.startswith("v") else "qualifier"
            mismatches.append(mismatch(kind, (word.start, word.end), replaced))
        elif not near[i]:
            pending.append(i)
    # a common word may be said in other words; a name, or a single character, only as itself
    alike = [i for i in pending if len(words[i].text) > 1 and not words[i].flag.startswith(("nr", "ns", "nt", "nz"))]
    for i, close in zip(alike, _said_alike(bot.encoder, [words[i].text for i in alike], text) if alike else []):
        held[i] = close
    unheld = tuple(claim.text[words[i].start : words[i].end] for i in pending if not held[i])
    weights = claim.weights(words, bot.index.bm25)
    total = sum(weights) or 1.0
    overlap = (0.8 * sum(w for w, h in zip(weights, held) if h)
               + 0.2 * sum(w for w, h, n in zip(weights, held, near) if h or n)) / total if words else 0.0
    negated = _negation(text)
    if negated and not _about(norm, negated, [w.text for w, h in zip(words, held) if h]):
        negated = None  # the "not" is in a part of the sentence the claim does not speak of
    if bool(claim.negation) != bool(negated):  # "不會落成" against "將落成", or the reverse
        if not mismatches and not missing and not unheld:
            mismatches.append(mismatch("negation", claim.negation or (0, len(claim.text)),
                                       negated or _negated_word(claim, words, norm) or (0, len(text))))
        else:
            missing.append("negation")
    return Evidence(hit, start, end, similarity, overlap, agreed, tuple(mismatches), tuple(missing), cross, unheld)


WORD_ALIKE = 0.6  # the encoder's cosine at which a claim word counts as said in the sentence's own words


def _said_alike(encoder: Encoder, words: Sequence[str], sentence: str) -> list[bool]:
    """Whether each claim word is said in other words by the sentence: the encoder's cosine between it and
    one of the sentence's content words (or two neighbours together) reaches ``WORD_ALIKE`` ("moved into"
    and 進駐, "listed" and 上市). Where a close sentence word shares half the claim word's characters and
    has others of its own, it is no other wording but the same word with a part swapped (閉園 for 開園,
    浸會大學 for 理工大學): no match. (投資 in 投資額 is no swap.)"""
    own = [w.text for w in lexicon.content_words(sentence)]
    own += [a + b for a, b in zip(own, own[1:])]
    own += [piece for w in own if len(w) > 2 for piece in jieba.lcut_for_search(w) if 1 < len(piece) < len(w)]
    own = list(dict.fromkeys(own))
    if not own:
        return [False] * len(words)
    vectors = _VECTORS.encode(encoder, [*words, *own])
    cosine = vectors[: len(words)] @ vectors[len(words) :].T
    out = []
    for word, row in zip(words, cosine):
        close = [other for c, other in zip(row, own) if c >= WORD_ALIKE]
        swapped = any(len(set(word) & set(other)) >= len(word) / 2 and set(other) - set(word) for other in close)
        out.append(bool(close) and not swapped)
    return out


def _about(norm: str, span: Span, words: Sequence[str]) -> bool:
    """Whether the clause of the sentence holding ``span`` is the one that states most of the claim's
    ``words``: a "not" elsewhere in the sentence is about something else."""
    bounds = [0, *(m.end() for m in re.finditer(r"[，,；;：:]", norm)), len(norm) + 1]
    clauses = [(a, b) for a, b in zip(bounds, bounds[1:])]
    held = [sum(word in norm[a:b] for word in words) for a, b in clauses]
    here = next(i for i, (a, b) in enumerate(clauses) if a <= span[0] < b)
    return held[here] > 0 and held[here] == max(held)


def _negated_word(claim: _Claim, words: Sequence[lexicon.Word], norm: str) -> Span | None:
    """Where the sentence states the word the claim's "not" denies (不會在年底落成 → the article's 落成)."""
    after = [w for w in words if claim.negation and w.start >= claim.negation[1]]
    for word in after:
        at = norm.find(word.text)
        if at >= 0:
            return at, at + len(word.text)
    return None


def _surroundings(bot: Bot, hit: Hit) -> str:
    """The sentence's near context: its passage with its heading, and the passages of the same article
    just before and after (a speaker's name and role above the quote, a photo caption's story)."""
    rows = [r for r in (hit.row - 1, hit.row + 1) if 0 <= r < len(bot.index.passages)]
    around = [bot.index.passages[r] for r in rows]
    return "\n".join([hit.passage.search_text(), *(p.text for p in around if p.doc_id == hit.passage.doc_id)])


_SLOT_SIDE = 2  # characters on each side of a claim word that must stand around the article's word too


def _slot(claim_norm: str, word: lexicon.Word, norm: str) -> Span | None:
    """Where the sentence puts another word in the claim word's slot: the same two characters before and
    after it around a short run that is not it ("企業生產中心" against "企業研發中心" → 研發)."""
    before = claim_norm[max(0, word.start - _SLOT_SIDE) : word.start]
    after = claim_norm[word.end : word.end + _SLOT_SIDE]
    if len(before) < _SLOT_SIDE or len(after) < _SLOT_SIDE or not re.fullmatch(r"\w+", before + after):
        return None
    found = re.search(f"{re.escape(before)}(\\w{{1,6}}?){re.escape(after)}", norm)
    if found is None or word.text in found.group(1) or found.group(1) in word.text:
        return None
    if word.flag.startswith("v") and any(f.startswith(("nr", "ns", "nt")) for _, f in jieba.posseg.cut(found.group(1))):
        return None  # a verb's slot does not hold a name (銀行設立分行 against 銀行深圳市分行)
    return found.span(1)


def _rank(e: Evidence) -> float:
    """Order of the sentences: how related, then how many of the claim's facts they speak to at all and
    how many the same way (across languages, where words cannot be compared, those count more)."""
    facts = e.agreed + len(e.mismatches) + len(e.missing)
    if not facts:
        return e.related
    spoken, agreed = (e.agreed + len(e.mismatches)) / facts, e.agreed / facts
    if e.cross_lingual:
        return e.related + 0.1 * spoken + 0.25 * agreed
    return e.related + 0.15 * spoken + 0.05 * agreed


class _Claim:
    """What a check derives from the claim once: its facts (read with each article's year), names and words."""

    def __init__(self, text: str) -> None:
        self.text, self.norm = text, normalize(text)
        self.chinese = cjk_ratio(text) >= 0.3
        self.negation = _negation(text)
        self._content: dict[tuple[int | None, bool], list[lexicon.Word]] = {}

    def facts(self, year: int | None) -> tuple[Fact, ...]:
        return _facts(self.text, year)

    def names(self, year: int | None) -> tuple[Name, ...]:
        return _sentence_names(self.text, year)

    def is_person(self, name: Name) -> bool:
        """A Latin-script name that reads as a Chinese person's in pinyin, a surname first or last, and is no
        phrase the dictionary knows ("Wang Xuelai", "Lingyun Gao"; not "Hong Kong")."""
        words = name.text.lower().replace("-", " ").split()
        return (romanize.is_pinyin_name(name.text) and bool({words[0], words[-1]} & romanize.surnames(_SURNAMES))
                and not lexicon.chinese_for(" ".join(words)))

    def content(self, year: int | None, cross: bool) -> list[lexicon.Word]:
        """The claim's content words less its facts, its negation and the names compared on their own (in
        its language every name; across languages the pinyin names of people)."""
        key = (year, cross)
        if key not in self._content:
            names = [n for n in self.names(year) if not cross or (n.kind == "latin" and self.is_person(n))]
            skip = [(f.start, f.end) for f in self.facts(year)] + [(n.start, n.end) for n in names]
            acronyms = [m.span() for m in re.finditer(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b", self.text)] if cross else []
            # an acronym the other language does not write (HKUST for 香港科技大學) can be neither found nor
            # denied: it does not count
            skip += [(a, b) for a, b in acronyms]
            self._content[key] = [w for w in lexicon.content_words(self.text, skip) if w.text not in _NEGATIONS]
        return self._content[key]

    def held(self, words: Sequence[lexicon.Word], context: lexicon.Context) -> list[bool]:
        """Which of ``words`` the context states; two English neighbours also as one dictionary phrase
        ("state council" → 國務院)."""
        held = [context.holds(w.text) for w in words]
        for i in range(len(words) - 1):
            a, b = words[i], words[i + 1]
            if (not (held[i] and held[i + 1]) and a.flag == b.flag == "eng" and b.start - a.end <= 1
                    and context.holds(f"{a.text} {b.text}")):
                held[i] = held[i + 1] = True
        return held

    def weights(self, words: Sequence[lexicon.Word], bm25: BM25) -> list[float]:
        """Each word's idf; a word no passage uses weighs as the rarest word (it counts against)."""
        top = float(np.max(bm25.idf)) if len(bm25.idf) else 1.0
        return [max(bm25.term_idf(w.text) or top, 0.05) for w in words]


_NEGATIONS = frozenset(normalize(
    "不 不是 沒 沒有 未 未曾 未能 尚未 從未 並未 並無 並不 從不 絕不 並非 非 無 無法 不能 不會 不再 不曾 別 勿 "
    "毋 毋須 毋需 無須 無需 不必 不用 不需 不須 "
    "not no never none neither nor without cannot"
).split())


@functools.lru_cache(maxsize=4096)
def _negation(text: str) -> Span | None:
    """Where the text says "not": a negating word of its own (不, 沒有, 未, never, n't…); words that merely
    hold one (不僅, 未來, 非常, 不斷) are jieba words of their own and do not count."""
    norm = normalize(text)
    for run in re.finditer(f"[{CJK}]+", norm):
        at = run.start()
        for word in jieba.lcut(run.group()):
            if word in _NEGATIONS:
                return at, at + len(word)
            at += len(word)
    latin = re.sub(r"\bno (?:more|fewer|less) than\b", lambda m: " " * len(m.group()), norm.replace("’", "'"))
    for m in re.finditer(r"[a-z]+n't|[a-z]+", latin):
        if m.group() in _NEGATIONS or m.group().endswith("n't"):
            return m.span()
    return None


def _reference_year(bot: Bot, doc_id: str) -> int | None:
    """The article's year from its metadata: how its 今年 and 6月11日 are read."""
    article = bot.index.articles.get(doc_id)
    found = re.search(r"(?:19|20)\d{2}", article.date) if article and article.date else None
    return int(found.group()) if found else None


@functools.lru_cache(maxsize=4096)
def _facts(text: str, year: int | None) -> tuple[Fact, ...]:
    return tuple(numbers.facts(text, year))


def _dated(fact: Fact, year: int | None) -> Fact:
    """A date an article gives without a year (6月11日) is in the article's year."""
    if isinstance(fact, Date) and fact.year is None and year is not None:
        return dataclasses.replace(fact, year=year)
    return fact


# -------------------------------------------------------------------------------- aligning the facts


def align(claim_facts: Sequence[Fact], claim_norm: str, facts: Sequence[Fact],
          norm: str) -> list[tuple[Fact, Fact | None]]:
    """Pair each claim fact with the sentence fact (if any) that states the same thing.

    Pairs are scored by the words around both (``norm`` texts, normalised), their units and their
    values, and taken best first; a pair needs a score of 0.25, or to be the only compatible one both
    ways. Then a fact beside one that agrees pairs with the fact beside its partner, on the same side:
    order carries across languages where the surrounding words cannot.
    """
    claim_roles = [_role(claim_norm, f.start, f.end) for f in claim_facts]
    roles = [_role(norm, f.start, f.end) for f in facts]
    options = [(_pair_score(cf, claim_roles[i], f, roles[j]), i, j)
               for i, cf in enumerate(claim_facts) for j, f in enumerate(facts) if numbers.compatible(cf, f)]
    partners_of_claim = [sum(1 for _, i2, _ in options if i2 == i) for i in range(len(claim_facts))]
    partners_of_fact = [sum(1 for _, _, j2 in options if j2 == j) for j in range(len(facts))]
    paired: dict[int, int] = {}
    for score, i, j in sorted(options, key=lambda o: -o[0]):
        if i not in paired and j not in paired.values() and (
                score >= 0.25 or partners_of_claim[i] == partners_of_fact[j] == 1):
            paired[i] = j
    for i, claim_fact in enumerate(claim_facts):
        for step in (-1, 1):
            anchor = paired.get(i + step)
            if i in paired or anchor is None or numbers.compare(claim_facts[i + step], facts[anchor]) != AGREES:
                continue
            j = anchor - step
            if 0 <= j < len(facts) and j not in paired.values() and numbers.compatible(claim_fact, facts[j]):
                paired[i] = j
    return [(cf, facts[paired[i]] if i in paired else None) for i, cf in enumerate(claim_facts)]


def _pair_score(claim_fact: Fact, claim_role: _Role, fact: Fact, role: _Role) -> float:
    """How alike the words around the two are, the same counter or unit class, and agreeing values."""
    score = _alike(claim_role, role)
    if claim_fact.counter and claim_fact.counter == fact.counter:
        score += 0.3
    elif claim_fact.unit and claim_fact.unit == fact.unit and claim_fact.unit != "generic":
        score += 0.3
    if numbers.compare(claim_fact, fact) == AGREES:
        # about the same stated value is good evidence of the same fact ("1,800" and "超1700件");
        # a value merely inside a range ("25,000" within "超過160個") is weak evidence
        score += 0.25 if _near(claim_fact, fact) else 0.1
    return score


def _near(a: Fact, b: Fact, ratio: float = 1.5) -> bool:
    """Whether two facts state values within ``ratio`` of each other (two dates that agree always are)."""
    if isinstance(a, Date) or isinstance(b, Date):
        return True
    low, high = sorted((abs(a.value), abs(b.value)))
    return high <= low * ratio


_Role = tuple[set[str], set[str]]


def _role(norm: str, start: int, end: int) -> _Role:
    """What stands around a span: the words within eight characters, and within three."""
    return _context(norm, start, end, 8), _context(norm, start, end, 3)


def _alike(a: _Role, b: _Role) -> float:
    """The share of words two roles have in common, those right beside the span counting again (0 to 2)."""
    return sum(len(x & y) / max(1, min(len(x), len(y))) for x, y in zip(a, b))


def _context(norm: str, start: int, end: int, width: int) -> set[str]:
    """Character bigrams (Chinese) and words (Latin) within ``width`` characters of a span, digits left out."""
    out: set[str] = set()
    for piece in (norm[max(0, start - width) : start], norm[end : end + width]):
        piece = re.sub(r"[\d.,%]+", " ", piece)
        for run in re.findall(r"[^\x00-\x7f\s，。、；：「」《》（）]+", piece):
            out.update(run[i : i + 2] for i in range(len(run) - 1))
        out.update(re.findall(r"[a-z]{3,}", piece))
    return out


# ------------------------------------------------------------------------------------------------ names

_SURNAMES = frozenset(normalize(
    "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何高林羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭肖田董袁潘于蔣蔡余杜葉程蘇魏呂丁任沈姚盧姜崔"
    "鍾譚陸汪范金石廖賈夏韋付方白鄒孟熊秦邱江尹薛閻段雷侯龍史陶黎賀顧毛郝龔邵萬錢嚴覃武戴莫孔向湯歐區麥岑霍"
))
_LATIN_NAME = re.compile(r"(?<![\w&'-])[A-Z][\w&'.-]*(?:\s+(?:(?:of|the|and|for|&)\s+)?[A-Z][\w&'.-]*)*")
_NOT_NAMES = frozenset(
    "the a an in on at by for of and since from this that these those it its as with to more over about after "
    "before during until when while by some most one two three four five six seven eight nine ten eleven twelve "
    "twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion monday tuesday "
    "wednesday thursday friday saturday sunday".split()
) | frozenset(numbers.MONTH_NAMES)


@functools.lru_cache(maxsize=4096)
def names(text: str) -> tuple[Name, ...]:
    """Names of people, places and organisations in ``text``, in order: jieba's ``nr``/``ns``/``nt``
    tags on the normalised text (a surname jieba split off joined back: 高 + 凌雲), and capitalised
    Latin-script runs that are not a sentence's first word, a number or a month."""
    return tuple(sorted(_chinese_names(text) + _latin_names(text), key=lambda n: n.start))


def _chinese_names(text: str) -> list[Name]:
    norm = normalize(text)
    words: list[tuple[str, int, int]] = []  # (flag, start, end)
    for word, flag in jieba.posseg.cut(norm):
        start = words[-1][2] if words else 0
        words.append((flag, start, start + len(word)))
    out: list[Name] = []
    i = 0
    while i < len(words):
        flag, start, end = words[i]
        person = flag.startswith("nr") or (
            end - start == 1 and norm[start] in _SURNAMES and i + 1 < len(words)
            and words[i + 1][0].startswith("nr") and words[i + 1][2] - words[i + 1][1] <= 2)
        if person:
            i += 1
            while i < len(words) and words[i][0].startswith("nr") and words[i][2] - start <= 4:
                end = words[i][2]
                i += 1
            if 2 <= end - start <= 4 and norm[start] in _SURNAMES:
                out.append(Name("nr", start, end, text[start:end]))
            continue
        if flag in ("ns", "nt") and end - start >= 2:
            out.append(Name(flag, start, end, text[start:end]))
        i += 1
    return out


def _latin_names(text: str) -> list[Name]:
    out: list[Name] = []
    for m in _LATIN_NAME.finditer(text):
        words = list(re.finditer(r"\S+", m.group()))
        while words and words[0].group().lower().strip(".,") in _NOT_NAMES:
            words.pop(0)
        if not words:
            continue
        start = m.start() + words[0].start()
        before = text[:start].rstrip()
        if len(words) == 1 and (not before or before[-1] in ".!?\"“「"):
            continue  # a single capitalised word opening a sentence
        out.append(Name("latin", start, m.end(), text[start : m.end()].rstrip(".")))
    return out


def _sentence_names(text: str, year: int | None) -> tuple[Name, ...]:
    """The names of ``text`` that are not part of a number or a date (May, No. 8)."""
    spans = [(f.start, f.end) for f in _facts(text, year)]
    return tuple(n for n in names(text) if not any(n.start < e and s < n.end for s, e in spans))


def _mentions(norm_text: str, name: str) -> bool:
    """Whether the text names it: verbatim, or as a Chinese abbreviation whose characters appear in
    order, a few apart (港科大 in 香港科技大學)."""
    name = normalize(name)
    if name in norm_text:
        return True
    if len(name) < 2 or not cjk_ratio(name) == 1.0:
        return False
    return re.search(".{0,4}".join(map(re.escape, name)), norm_text) is not None


def align_names(claim_names: Sequence[Name], claim_norm: str, names_: Sequence[Name],
                norm: str) -> list[tuple[Name, Name | None]]:
    """For each claim name: itself when the sentence names it too (the same name in the nearest role, or
    an abbreviation of one); else the sentence's other name of the same kind in the same role, sharing
    words around it; else None. Roles are told apart by the words around each name, so in "40家美國企業"
    against "香港科學園…40家香港企業" the second 香港, not the first, stands where 美國 does."""
    theirs = list(names_)
    around = {id(n): _role(claim_norm, n.start, n.end) for n in claim_names}
    role = {id(n): _role(norm, n.start, n.end) for n in theirs}
    paired: dict[int, Name | None] = {}
    for name in claim_names:  # the same name in both texts
        same = [n for n in theirs if normalize(n.text) == normalize(name.text)]
        if same:
            theirs.remove(max(same, key=lambda n: _alike(around[id(name)], role[id(n)])))
            paired[id(name)] = name
        elif _mentions(norm, name.text):
            paired[id(name)] = name
    for name in claim_names:  # a different name where the claim's stands
        if id(name) in paired:
            continue
        scored = [(_alike(around[id(name)], role[id(n)]), n) for n in theirs if n.kind == name.kind]
        shared, other = max(scored, key=lambda x: x[0], default=(0.0, None))
        paired[id(name)] = other if other is not None and shared > 0 else None
        if other is not None and shared > 0:
            theirs.remove(other)
    return [(name, paired[id(name)]) for name in claim_names]


# ------------------------------------------------------------------------------------ dense similarity

_CLAUSE = re.compile(r"[^，、；：,;]+[，、；：,;]?")


def clauses(sentence: str, most: int = 2) -> list[str]:
    """The sentence and each run of up to ``most`` consecutive clauses of it: a claim usually restates
    one part of a long sentence, and the encoder matches it better against that part alone."""
    parts = _CLAUSE.findall(sentence)
    runs = ["".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, min(i + most, len(parts)) + 1)]
    return list(dict.fromkeys([sentence, *runs]))


def _similarity(encoder: Encoder, query: Query, sentences: Sequence[str]) -> np.ndarray:
    """Each sentence's best cosine similarity to the claim over its clause runs."""
    runs, owner = [], []
    for i, sentence in enumerate(sentences):
        for run in clauses(sentence):
            runs.append(run)
            owner.append(i)
    best = np.full(len(sentences), -1.0)
    np.maximum.at(best, np.array(owner), _VECTORS.encode(encoder, runs) @ query.vector)
    return best


class _VectorCache:
    """Vectors of sentences and clauses kept between checks (least recently used dropped first): claims
    about the same articles meet the same sentences again, and encoding them is most of a check's time."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        """``encoder.encode_passages(texts)``, encoding only the texts not met before."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in dict.fromkeys(texts):
                key = (encoder.name, text)
                if key in self._vectors:
                    self._vectors.move_to_end(key)
                    found[text] = self._vectors[key]
        new = [t for t in dict.fromkeys(texts) if t not in found]
        if new:
            found.update(zip(new, encoder.encode_passages(new)))
            with self._lock:
                self._vectors.update(((encoder.name, t), found[t]) for t in new)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, encoder.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts])


_VECTORS = _VectorCache()
