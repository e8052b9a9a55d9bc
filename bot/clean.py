"""Layout repair: find captions, bylines, headings and body paragraphs, and join sentences broken by
the page layout, without changing a character of the source (every block is a list of source spans).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import cjk_ratio

Span = tuple[int, int]

CAPTION_MARKS = ("▲", "△", "■圖", "圖：", "图：")
BULLETS = ("●", "•", "·", "■", "◆", "▪", "-", "*", "○")
# Characters that close a sentence or a quotation: a line ending with one is complete.
CLOSERS = "。！？!?.…」』”’\"'）)］]》>"
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
        if kinds[i] == "heading" and _continued(paras, kinds, i):
            kinds[i] = "body"

    blocks: list[Block] = []
    section, sub, heading_run = "", "", []
    open_body: list[Span] | None = None  # spans of a body paragraph still waiting for its end
    i = 0
    while i < len(paras):
        para, kind = paras[i], kinds[i]
        if kind == "caption":
            end = paras[i + 1].end if i + 1 < len(paras) and kinds[i + 1] == "credit" else para.end
            blocks.append(Block("caption", ((para.start, end),), _context(section, sub)))
            i += 2 if end != para.end else 1
            continue
        if kind == "heading" and i + 1 < len(paras) and kinds[i + 1] == "bullet":
            # a label (name, role) directly above a bulleted quote: one sidebar item
            kind, para = "item", _Para(para.start, paras[i + 1].end, para.lines + paras[i + 1].lines)
            i += 1
        if kind == "heading":
            heading_run.append(" ".join(para.lines))
            blocks.append(Block("heading", ((para.start, para.end),), _context(section, sub)))
            i += 1
            continue
        if heading_run:
            section, sub = (heading_run[0], " ".join(heading_run[1:])) if len(heading_run) > 1 else (section, heading_run[0])
            heading_run = []
        context = _context(section, sub)
        if kind in ("body", "bullet") and open_body is not None:
            spans = open_body  # extended in place: a sentence the layout broke into many lines stays linear
            spans.append((para.start, para.end))
        else:
            spans = [(para.start, para.end)]
        open_body = None
        if kind in ("body", "bullet") and _unfinished(para.last) and _continues(paras, kinds, i):
            open_body = _joinable(source, spans)
            i += 1
            continue
        blocks.append(Block("body" if kind in ("body", "bullet") else kind, tuple(spans), context))
        i += 1
    if open_body is not None:
        blocks.append(Block("body", tuple(open_body), _context(section, sub)))
    return sorted(blocks, key=lambda b: b.spans[0][0])


def _continues(paras: list[_Para], kinds: list[str], i: int) -> bool:
    """Whether a body paragraph's sentence goes on in the next body paragraph (past captions/credits)."""
    for j in range(i + 1, len(paras)):
        if kinds[j] in ("caption", "credit"):
            continue
        return kinds[j] in ("body", "bullet") and not paras[j].first.startswith(BULLETS)
    return False


def _joinable(source: str, spans: list[Span]) -> list[Span]:
    """``spans`` made ready, in place, to take a continuation: a Latin-script line keeps the one
    white-space character after it, so joined words stay apart (Chinese joins with nothing)."""
    start, end = spans[-1]
    if end < len(source) and cjk_ratio(source[max(start, end - 20) : end]) < 0.3:
        spans[-1] = (start, end + 1)
    return spans


def _context(section: str, sub: str) -> str:
    return " › ".join(part for part in (section, sub) if part)
