"""Large articles: the passage stage (layout repair, sentence split, chunking) takes time in proportion to the
text, and produces exactly the passages it produced before it was made linear (tests/data/passages_before.json,
computed with the code of commit f5760be from the articles below)."""

from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path

import pytest

from bot.clean import clean
from bot.corpus import Article
from bot.passages import passages_for
from bot.text import CJK, split_sentences

from conftest import ROOT, SEED, TINY_ARTICLES

DATA = ROOT / "tests" / "data"
BEFORE = DATA / "passages_before.json"
MAX_CHARS = (400, 120)


def _drcd_article() -> str:
    """The DRCD slice as one article: each title a heading over its paragraphs."""
    data = json.loads((DATA / "drcd_dev_slice.json").read_text(encoding="utf-8"))["data"]
    return "\n\n".join(f"{a['title']}\n\n" + "\n\n".join(p["context"] for p in a["paragraphs"]) for a in data)


def _broken_lines(text: str, width: int) -> str:
    """``text`` re-laid in lines of ``width`` characters, a blank line after each and no line ending a
    sentence, with a photo caption every ten lines: one body block of as many spans as lines."""
    flat = "".join(re.findall(f"[{CJK}]+", text))  # ideographs only: no line is short enough for a heading
    lines = [flat[i : i + width] for i in range(0, len(flat), width)]
    out: list[str] = []
    for number, line in enumerate(lines):
        out.append(line)
        if number % 10 == 9:
            out += ["▲深圳園區一景。", "新華社"]
    return "\n\n".join(out)


def articles() -> dict[str, str]:
    """The articles whose passages are pinned: shipped and fixture texts, and re-laid copies of them in
    the shapes that made the passage stage slow (one huge block, a body block the layout broke into
    hundreds of lines, long white-space lines, runs of initials)."""
    seed = SEED.read_text(encoding="utf-8")
    harbour = (DATA / "harbour_en.txt").read_text(encoding="utf-8")
    return {
        "seed": seed,
        **{f"tiny-{name.removesuffix('.txt')}": text for name, text in TINY_ARTICLES.items()},
        "harbour-en": harbour,
        "drcd": _drcd_article(),
        "seed-single-newlines": "\n".join([re.sub(r"\n\s*\n", "\n", seed)] * 5),
        "seed-broken-lines": _broken_lines(seed * 2, 37),
        "harbour-wrapped": "\n\n".join("\n".join(textwrap.wrap(p, 70)) for p in harbour.split("\n\n")),
        "harbour-one-block": "\n".join([re.sub(r"\n\s*\n", "\n", harbour)] * 5),
        "white-space-lines": re.sub(r"\n\n", lambda m: "\n" + " " * 41 + "\u3000" * 3 + "\t \n", seed + harbour),
        "initials": "J. R. R. Tolkien and C. S. Lewis met Mr. W. H. Auden in St. Giles, Oxford, U.S. visitors said. "
                    * 40 + "\n\nNo. 5 was the house.\n",
    }


def _record(text: str, max_chars: int) -> list[list]:
    """Each passage of ``text`` as [kind, section, spans] (its text is its spans' slices of ``text``)."""
    passages = passages_for(Article(doc_id="d", title="T", text=text), max_chars)
    for p in passages:
        assert p.text == "".join(text[s:e] for s, e in p.spans)
    return [[p.kind, p.section, [list(span) for span in p.spans]] for p in passages]


def current_passages() -> dict[str, list[list]]:
    """The passages of every pinned article at each pinned limit, as stored in ``BEFORE``."""
    return {f"{name}@{limit}": _record(text, limit) for name, text in articles().items() for limit in MAX_CHARS}


def test_the_passages_are_those_of_before_the_speed_up():
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = current_passages()
    assert sorted(now) == sorted(before)
    for key in before:
        assert now[key] == before[key], key


def _timed(job) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


# Each case took minutes before (quadratic in the text) and takes well under a second now; the budgets
# leave room for a loaded machine.
def test_a_layout_broken_article_of_1m_characters_is_cut_in_seconds():
    text = _broken_lines(SEED.read_text(encoding="utf-8") * 340, 37)
    assert len(text) > 1_200_000
    seconds = _timed(lambda: passages_for(Article(doc_id="d", title="T", text=text), 400))
    assert seconds < 10, seconds  # 40 s before: every line re-copied the block's spans and text


def test_one_block_of_8m_characters_is_cut_in_seconds():
    text = "標題\n\n" + "\n".join([re.sub(r"\s+", "", SEED.read_text(encoding="utf-8"))] * 2000)
    assert len(text) > 8_000_000
    seconds = _timed(lambda: passages_for(Article(doc_id="d", title="T", text=text), 400))
    assert seconds < 10, seconds  # 30 s before: each passage joined the whole block's text again


def test_runs_of_initials_split_in_linear_time():
    text = "Talks with J. Smith and " * 10_000  # one sentence of 240,000 characters and 10,000 initials
    seconds = _timed(lambda: split_sentences(text))
    assert seconds < 5, seconds  # 97 s before: each initial re-scanned the sentence so far
    assert len(split_sentences(text)) == 1


def test_a_long_white_space_line_is_found_in_linear_time():
    text = "第一段。\n\n" + " " * 100_000 + "\n\n第二段。"
    seconds = _timed(lambda: clean(text))
    assert seconds < 5, seconds  # 45 s before: the paragraph pattern backtracked over every space
    assert [b.text(text) for b in clean(text)] == ["第一段。", "第二段。"]

