"""Layout repair: find captions, bylines, headings and body paragraphs, and join sentences broken by
the page layout, without changing a character of the source (every block is a list of source spans).

Besides plain text it reads what the formats of ``bot/formats`` write: ``#`` headings, ``| … |`` table
rows, and form feeds ending the pages of a PDF (a block's section then names its page, ``p. 3``). Inside
a paragraph, a line break in Chinese text and a word hyphenated at a line end are joined.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable

from .text import cjk_ratio

Span = tuple[int, int]

CAPTION_MARKS = ("▲", "△", "■圖", "圖：", "图：")
BULLETS = ("●", "•", "·", "■", "◆", "▪", "-", "*", "○")
# Characters that close a sentence or a quotation (or a table row): a line ending with one is complete.
CLOSERS = "。！？!?.…」』”’\"'）)］]》>|"
# A line ending with one of these clearly goes on (a comma, an opening bracket, a colon).
OPENERS = "，、：；,;:（(「『“‘《<—-"

_CREDIT = re.compile(
    r"^(?:.{0,20}攝|.{0,20}摄|.{0,12}(?:供圖|供图|圖片|图片)|新華社|新华社|中新社|路透社|美聯社|美联社|法新社|彭博|"
    r"Reuters|AP|AFP|Getty Images|Xinhua|Bloomberg|(?:Photo|Image|Credit)[:：].{0,60})$",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:.{0,8}(?:記者|记者|通訊員|通讯员|特約|特约).{0,12}|.{2,16}(?:整理|報道|報導|报道)|"
    r"(?:文|撰文|編輯|编辑)\s*[／/:：].{1,20}|By\s+[A-Z][\w.'-]*(?:\s+(?:and\s+)?[A-Z][\w.'-]*){0,5})$"
)
_MARKED = re.compile(r"#{1,6}[ \t]")  # a heading marked as in Markdown (how formats write headings)
_TABLE_ROW = "|"
PAGE_END = "\f"  # what ends a page of a PDF's text (bot/formats/pdf.py)
FULL_LINE = 0.75  # of the longest line of its paragraph: a line this long was wrapped, not ended
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_NOTE = re.compile(r"^(?:資料來源|资料来源|來源|来源|Source|Sources|Note|註|注)\s*[:：]", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """A unit of the cleaned article: its kind, the source spans it joins, and its heading context.

    ``kind`` is one of ``heading``, ``byline``, ``caption``, ``note``, ``body`` (``item`` for a
    sidebar item: a label such as a name and role followed by a bulleted quote).
    """

    kind: str
    spans: tuple[Span, ...]
    section: str = ""

    def text(self, source: str) -> str:
        """The block's text: its spans of ``source`` concatenated."""
        return "".join(source[s:e] for s, e in self.spans)


@dataclass
class _Para:
    start: int
    end: int
    lines: list[str]

    @property
    def first(self) -> str:
        return self.lines[0]

    @property
    def last(self) -> str:
        return self.lines[-1]


def _paragraphs(source: str) -> list[_Para]:
    """Runs of non-blank lines, trimmed of surrounding white space, with their source offsets.

    One pass over the lines: a pattern for a run of lines would backtrack over every character of a
    long white-space line, quadratic in its length."""
    paras: list[_Para] = []
    run: list[str] = []  # the lines of the run of non-blank lines being read
    run_start = offset = 0
    for line in source.split("\n"):
        if line and not line.isspace():
            run_start = offset if not run else run_start
            run.append(line)
        elif run:
            paras.append(_para(run_start, run))
            run = []
        offset += len(line) + 1
    if run:
        paras.append(_para(run_start, run))
    return paras


def _para(start: int, lines: list[str]) -> _Para:
    """The paragraph of ``lines`` (non-blank, the first at offset ``start``) without the white space
    around it (before its first line's text, after its last line's)."""
    end = start + sum(len(line) for line in lines) + len(lines) - 1
    start += len(lines[0]) - len(lines[0].lstrip())
    end -= len(lines[-1]) - len(lines[-1].rstrip())
    return _Para(start, end, [line.strip() for line in lines])


def _short(line: str) -> bool:
    return len(line) <= (32 if cjk_ratio(line) >= 0.3 else 90)


def _classify(para: _Para, previous: str) -> str:
    first, last = para.first, para.last
    if first.startswith(CAPTION_MARKS):
        return "caption"
    if len(para.lines) == 1 and _MARKED.match(first):
        return "heading"
    if first.startswith(_TABLE_ROW):
        return "body"
    if previous == "caption" and len(para.lines) == 1 and _CREDIT.match(first):
        return "credit"
    if len(para.lines) == 1 and _BYLINE.match(first):
        return "byline"
    if _NOTE.match(first):
        return "note"
    if first.startswith(BULLETS):
        return "bullet"
    if (all(_short(line) for line in para.lines) and last[-1] not in CLOSERS + OPENERS and len(para.lines) <= 3
            and not _LOWER_START.match(first)):
        return "heading"
    return "body"


# A paragraph opening with a lower-case word goes on from the one before: it is never a heading, and a
# short line above it that looked like one is the first half of a sentence the layout broke.
_LOWER_START = re.compile(r"[a-z]+\b")


def _continued(paras: list[_Para], kinds: list[str], i: int) -> bool:
    """Whether the next paragraph past captions and credits opens with a lower-case word."""
    for j in range(i + 1, len(paras)):
        if kinds[j] not in ("caption", "credit"):
            return kinds[j] == "body" and bool(_LOWER_START.match(paras[j].first))
    return False


def _unfinished(line: str) -> bool:
    """A body line that stops mid-sentence: no closing punctuation at its end."""
    return line[-1] not in CLOSERS


def clean(source: str) -> list[Block]:
    """Blocks of ``source`` in reading order; a sentence broken across paragraphs (around captions
    or blank lines) becomes one body block whose spans skip what the layout put in between."""
    paras = _paragraphs(source)
    kinds: list[str] = []
    for para in paras:
        kinds.append(_classify(para, kinds[-1] if kinds else ""))
    for i in range(len(paras)):
        if kinds[i] == "heading" and not _MARKED.match(paras[i].first) and _continued(paras, kinds, i):
            kinds[i] = "body"
    page = _pages(source)

    blocks: list[Block] = []
    section, sub = "", ""
    heading_run: list[tuple[int, str]] = []  # (level, text) of headings since the last body: 0 for an unmarked one
    open_body: list[Span] | None = None  # spans of a body paragraph still waiting for its end
    i = 0
    while i < len(paras):
        para, kind = paras[i], kinds[i]
        if kind == "caption":
            end = paras[i + 1].end if i + 1 < len(paras) and kinds[i + 1] == "credit" else para.end
            blocks.append(Block("caption", ((para.start, end),), _context(section, sub, page(para.start))))
            i += 2 if end != para.end else 1
            continue
        if kind == "heading" and i + 1 < len(paras) and kinds[i + 1] == "bullet" and not _MARKED.match(para.first):
            # a label (name, role) directly above a bulleted quote: one sidebar item
            kind, para = "item", _Para(para.start, paras[i + 1].end, para.lines + paras[i + 1].lines)
            i += 1
        if kind == "heading":
            heading_run.append(_heading(para))
            blocks.append(Block("heading", ((para.start, para.end),), _context(section, sub, page(para.start))))
            i += 1
            continue
        if heading_run:
            section, sub = _sections(heading_run, section)
            heading_run = []
        lines = _line_spans(source, para) if kind in ("body", "bullet") else [(para.start, para.end)]
        if kind in ("body", "bullet") and open_body is not None:
            spans = open_body  # extended in place: a sentence the layout broke into many lines stays linear
            spans.extend(lines)
        else:
            spans = lines
        open_body = None
        following = _next_body(paras, kinds, i) if kind in ("body", "bullet") and _unfinished(para.last) else None
        if following is not None:
            open_body = _joinable(source, spans, paras[following].start)
            i += 1
            continue
        context = _context(section, sub, page(spans[0][0]))
        blocks.append(Block("body" if kind in ("body", "bullet") else kind, tuple(spans), context))
        i += 1
    if open_body is not None:
        blocks.append(Block("body", tuple(open_body), _context(section, sub, page(open_body[0][0]))))
    return sorted(blocks, key=lambda b: b.spans[0][0])


def _heading(para: _Para) -> tuple[int, str]:
    """(level, text) of a heading: its level by its ``#`` marks (0 for an unmarked heading), its text without them."""
    text = " ".join(para.lines)
    marks = _MARKED.match(text)
    return (len(marks.group().strip()), text[marks.end():].strip(" #")) if marks else (0, text)


def _sections(run: list[tuple[int, str]], section: str) -> tuple[str, str]:
    """(section, subsection) under a run of headings: marked ones by their level (``#`` the section, deeper
    the subsection); else the first of several is the section, and a lone one the subsection of ``section``."""
    texts = [text for _, text in run]
    if all(level for level, _ in run):
        tops = [i for i, (level, _) in enumerate(run) if level == 1]
        start = tops[-1] + 1 if tops else 0
        return (texts[tops[-1]] if tops else section), " ".join(texts[start:])
    return (texts[0], " ".join(texts[1:])) if len(texts) > 1 else (section, texts[0])


def _next_body(paras: list[_Para], kinds: list[str], i: int) -> int | None:
    """The paragraph a body paragraph's sentence goes on in (past captions and credits), if it goes on."""
    for j in range(i + 1, len(paras)):
        if kinds[j] in ("caption", "credit"):
            continue
        if kinds[j] in ("body", "bullet") and not paras[j].first.startswith((*BULLETS, _TABLE_ROW)):
            return j
        return None
    return None


def _joinable(source: str, spans: list[Span], following: int) -> list[Span]:
    """``spans`` made ready, in place, to take the continuation starting at ``following``: a word hyphenated
    at the end loses its hyphen, a Latin-script line keeps the one white-space character after it, so joined
    words stay apart (Chinese joins with nothing)."""
    start, end = spans[-1]
    if _hyphenated(source, end, following):
        spans[-1] = (start, end - 1)
    elif end < len(source) and cjk_ratio(source[max(start, end - 20) : end]) < 0.3:
        spans[-1] = (start, end + 1)
    return spans


def _hyphenated(source: str, end: int, following: int) -> bool:
    """Whether a line ending at ``end`` breaks a lower-case word with a hyphen that goes on at ``following``
    ("collec-" / "tion"); a compound ("well-" / "known") cannot be told from it and loses its hyphen too."""
    return (end >= 2 and source[end - 1] == "-" and source[end - 2].islower() and following < len(source)
            and source[following].islower())


def _line_spans(source: str, para: _Para) -> list[Span]:
    """The spans of a body paragraph: one, unless a line breaks inside a Chinese sentence or a hyphenated
    word, where the break (and the hyphen) is skipped so the sentence reads whole. Other line breaks stay,
    as the space between two English words."""
    spans, start = [], para.start
    width = max(len(line) for line in para.lines)
    cut = source.find("\n", para.start, para.end)
    while cut != -1:
        left, right = cut, cut + 1
        while left > start and source[left - 1].isspace():
            left -= 1
        while right < para.end and source[right].isspace():
            right += 1
        if _hyphenated(source, left, right):
            spans.append((start, left - 1))
            start = right
        elif (_broken_chinese(source[source.rfind("\n", para.start, left) + 1 : left], source[right], width)
              and not source.startswith((*CAPTION_MARKS, *BULLETS, _TABLE_ROW, "#"), right)):
            spans.append((start, left))
            start = right
        cut = source.find("\n", right, para.end)
    spans.append((start, para.end))
    return spans


def _broken_chinese(line: str, following: str, width: int) -> bool:
    """Whether the break after ``line`` (before the character ``following``) is inside a Chinese sentence: one
    side is Chinese, and the line ends with a comma or the like, or, not ending the sentence, runs the full
    ``width`` of its paragraph's lines (it was wrapped, as a PDF's lines are; a shorter line is a title, a
    source note or a paragraph of its own)."""
    line = line.strip()
    if not line or line[-1] in CLOSERS or not (_CJK.match(line[-1]) or _CJK.match(following)) \
            or line.startswith(CAPTION_MARKS):
        return False
    return line[-1] in OPENERS or len(line) >= FULL_LINE * width


def _pages(source: str) -> Callable[[int], int]:
    """A function from an offset to the number of the PDF page it is on (0 for a text without pages)."""
    ends = [found.start() for found in re.finditer(PAGE_END, source)]
    return lambda offset: bisect.bisect_left(ends, offset) + 1 if ends else 0


def _context(section: str, sub: str, page: int = 0) -> str:
    """The heading context of a block: section › subsection (› p. N on a page of a PDF)."""
    return " › ".join(part for part in (section, sub, f"p. {page}" if page else "") if part)
