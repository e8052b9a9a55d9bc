"""Fact checks for people: pasted claims (one a line) checked in turn, and the results as HTML for the
web tab (verdict badge, the quote highlighted in its article, mismatches side by side) and as CSV and
Markdown tables for a review. Every piece of text from the visitor or the articles is escaped here.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from . import render
from .corpus import Article
from .engine import Bot, encodable
from .errors import QueryError
from .factcheck import CONTRADICTED, NOT_FOUND, SUPPORTED, Check, Evidence, Mismatch, check

MAX_CLAIMS = 50  # claims checked in one go (a check takes up to a second or two on a small machine)
COLUMNS = ("#", "claim", "verdict", "mismatches", "evidence", "source")

STRINGS = {
    "zh-Hant": {
        SUPPORTED: "相符", CONTRADICTED: "不符", NOT_FOUND: "未找到", "error": "無法核查",
        "number": "數字", "date": "日期", "name": "名稱", "kind": "項目", "claim": "說法", "article": "文章",
        "nothing": "文章中找不到相關內容。", "summary": "共 {total} 項：相符 {supported}，不符 {contradicted}，未找到 {not_found}",
    },
    "zh-Hans": {
        SUPPORTED: "相符", CONTRADICTED: "不符", NOT_FOUND: "未找到", "error": "无法核查",
        "number": "数字", "date": "日期", "name": "名称", "kind": "项目", "claim": "说法", "article": "文章",
        "nothing": "文章中找不到相关内容。", "summary": "共 {total} 项：相符 {supported}，不符 {contradicted}，未找到 {not_found}",
    },
    "en": {
        SUPPORTED: "Supported", CONTRADICTED: "Contradicted", NOT_FOUND: "Not found", "error": "Not checked",
        "number": "number", "date": "date", "name": "name", "kind": "", "claim": "Claim", "article": "Article",
        "nothing": "The articles say nothing about this.",
        "summary": "{total} claims: {supported} supported, {contradicted} contradicted, {not_found} not found",
    },
}
_BULLET = re.compile(r"^\s*(?:[-*•●·▪◆]|\(?\d{1,3}(?:\.(?!\d)|[)、）])|[（(]\d{1,3}[）)])\s*")


@dataclass(frozen=True)
class Row:
    """One pasted claim and its check (or why it could not be checked)."""

    number: int
    claim: str
    check: Check | None
    error: str = ""

    @property
    def verdict(self) -> str:
        return self.check.verdict if self.check else "error"


def split_claims(text: str) -> list[str]:
    """The claims in pasted text: one a line, list bullets and numbers ("1.", "•", "(2)") removed, cleaned of
    what UTF-8 cannot encode (each is shown and exported again)."""
    claims = [_BULLET.sub("", line).strip() for line in encodable(text or "").splitlines()]
    return [c for c in claims if c]


def check_claims(bot: Bot, text: str, k: int | None = None) -> list[Row]:
    """Check each claim of ``text`` (one a line); a claim that cannot be checked gets a row saying why."""
    claims = split_claims(text)
    if not claims:
        raise QueryError("paste one claim a line, e.g. 香港科學園深圳分園已進駐40家香港企業")
    if len(claims) > MAX_CLAIMS:
        raise QueryError(f"{len(claims)} claims pasted; check at most {MAX_CLAIMS} at a time")
    rows = []
    for number, claim in enumerate(claims, 1):
        try:
            rows.append(Row(number, claim, check(bot, claim, k)))
        except QueryError as error:
            rows.append(Row(number, claim, None, str(error)))
    return rows


# ------------------------------------------------------------------------------------- tables (CSV, MD)


def table(rows: Sequence[Row]) -> list[list[str]]:
    """The rows as plain-text cells under ``COLUMNS`` (verdicts as their codes, for sorting)."""
    out = []
    for row in rows:
        evidence = row.check.evidence[0] if row.check and row.check.evidence else None
        mismatches = "; ".join(f"{m.kind}: {m.claim} ≠ {m.article}" for m in row.check.mismatches) if row.check else ""
        out.append([str(row.number), row.claim, row.verdict, mismatches or row.error,
                    " ".join(evidence.text.split()) if evidence else "", _source(evidence) if evidence else ""])
    return out


def to_csv(rows: Sequence[Row]) -> str:
    """The table as CSV (write it with ``encoding="utf-8-sig"`` so spreadsheet programs read the Chinese).
    A cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([[_inert(cell) for cell in cells] for cells in table(rows)])
    return out.getvalue()


def to_markdown(rows: Sequence[Row]) -> str:
    """The table as a Markdown (GitHub) table, every cell's Markdown and HTML characters escaped."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |" for cells in table(rows)]
    return "\n".join(lines) + "\n"


def _source(evidence: Evidence) -> str:
    passage = evidence.hit.passage
    return f"{passage.title} ({passage.doc_id}, {evidence.spans[0][0]}–{evidence.spans[-1][1]})"


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _markdown_cell(cell: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", " ".join(cell.split()))


# ------------------------------------------------------------------------------------------------ HTML


def strings(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["en"])


def report_html(rows: Sequence[Row], articles: Mapping[str, Article], language: str = "en") -> str:
    """Every row's HTML under a one-line count of the verdicts (in the interface ``language``)."""
    counts = {v: sum(1 for r in rows if r.verdict == v) for v in (SUPPORTED, CONTRADICTED, NOT_FOUND)}
    summary = strings(language)["summary"].format(total=len(rows), **counts)
    body = "".join(row_html(row, articles) for row in rows)
    return f'<div class="wenda-checks"><p class="wenda-check-summary">{render.escape(summary)}</p>{body}</div>'


def row_html(row: Row, articles: Mapping[str, Article]) -> str:
    """One claim: its number and verdict badge, the claim with the differing facts marked, the mismatches
    side by side (claim vs article), and the quote highlighted in its article with its citation."""
    language = row.check.language if row.check else "en"
    words = strings(language)
    badge = (f'<span class="wenda-verdict wenda-verdict-{html.escape(row.verdict)}">'
             f"{render.escape(words[row.verdict])}</span>")
    mismatches = row.check.mismatches if row.check else ()
    claim_marks = [(render.ANSWER, [m.claim_span for m in mismatches])]
    out = [f'<div class="wenda-check wenda-{html.escape(row.verdict)}" lang="{html.escape(language)}">',
           f'<p class="wenda-claim"><span class="wenda-number">{row.number}.</span> {badge} '
           f"{render.highlight(row.claim, claim_marks)}</p>"]
    if row.check is None:
        out.append(f'<p class="wenda-check-error">{render.escape(row.error)}</p>')
    elif mismatches:
        out.append(_mismatches_html(mismatches, words))
    for evidence in row.check.evidence if row.check else ():
        out.append(_quote_html(evidence, mismatches, articles))
    if row.check is not None and row.verdict == NOT_FOUND:
        out.append(f'<p class="wenda-check-nothing">{render.escape(words["nothing"])}</p>')
    out.append("</div>")
    return "".join(out)


def _mismatches_html(mismatches: Sequence[Mismatch], words: Mapping[str, str]) -> str:
    head = "".join(f"<th>{render.escape(words[h])}</th>" for h in ("kind", "claim", "article"))
    body = "".join(
        f'<tr><td>{render.escape(words[m.kind])}</td><td class="wenda-mismatch-claim">{render.escape(m.claim)}</td>'
        f'<td class="wenda-mismatch-article">{render.escape(m.article)}</td></tr>'
        for m in mismatches
    )
    return f'<table class="wenda-mismatches"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _quote_html(evidence: Evidence, mismatches: Sequence[Mismatch], articles: Mapping[str, Article]) -> str:
    """The quoted sentence marked inside a little of its article, the article's differing facts marked
    more strongly, then the citation: title, document and character offsets."""
    passage = evidence.hit.passage
    article = articles.get(passage.doc_id)
    spans = evidence.spans
    if article is None:  # an index without its articles: the sentence alone
        quoted = render.highlight(evidence.text, [(render.QUOTE, [(0, len(evidence.text))])])
    else:
        low, high = render.context_window(article.text, spans[0][0], spans[-1][1], sentences=1, max_chars=120)
        layers = [(render.QUOTE, [(s - low, e - low) for s, e in spans]),
                  (render.ANSWER, [(s - low, e - low) for m in mismatches for s, e in m.article_spans])]
        quoted = (("…" if low > 0 else "") + render.highlight(article.text[low:high], layers)
                  + ("…" if high < len(article.text) else ""))
    citation = (f'<p class="wenda-meta"><cite class="wenda-title">{render.escape(passage.title)}</cite> · '
                f"{render.escape(passage.doc_id)} · {spans[0][0]}–{spans[-1][1]}</p>")
    return f'<blockquote class="wenda-context">{quoted}</blockquote>{citation}'
