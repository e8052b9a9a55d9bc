"""Fact checks for people: a pasted draft (a press release, or one claim a line) split into its claims
(``bot.claims``) and each checked; the report as HTML for the web tab (the draft shown back with each
sentence marked by its worst verdict, then each claim's verdict, mismatches, missing words and quotes) and
as CSV and Markdown tables for a review.

One language a report: every word the report adds (verdicts, headers, kinds, the summary) is in the
interface language, never the claim's. One colour a role: the claim's wrong value red, the article's value
green, words the articles do not state amber. Every piece of text from the visitor or the articles is
escaped here.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from . import render
from .claims import Claim, DraftSentence, split_draft
from .corpus import Article
from .engine import Bot, encodable
from .errors import QueryError
from .factcheck import (CONTRADICTED, MISMATCH_KINDS, NOT_FOUND, SUPPORTED, UNSUPPORTED, VERDICTS, Check, Evidence,
                        Mismatch, check)
from .text import fold_spaces, normalize

MAX_CLAIMS = 50  # claims checked in one go (a check takes up to a second or two on a small machine)
ERROR = "error"  # the verdict of a claim that could not be checked
# A sentence shows the worst verdict of its claims: what most needs the writer's attention first.
SEVERITY = (CONTRADICTED, UNSUPPORTED, NOT_FOUND, ERROR, SUPPORTED)
COLUMNS = ("number", "sentence", "claim", "verdict", "mismatches", "missing", "evidence", "source")

STRINGS = {
    "zh-Hant": {
        SUPPORTED: "相符", CONTRADICTED: "不符", UNSUPPORTED: "未獲佐證", NOT_FOUND: "未找到", ERROR: "無法核查",
        "number": "數字", "date": "日期", "name": "名稱", "predicate": "動詞", "qualifier": "修飾語",
        "negation": "否定", "order": "先後次序",
        "kind": "項目", "claim": "說法", "article": "文章",
        "columns": ("#", "句子", "說法", "結果", "不符之處", "文章未提及", "文章原句", "出處"),
        "missing": "文章未提及：", "nothing": "文章中找不到相關內容。", "unchecked": "這一項未能核查。",
        "summary": "{sentences} 句、{total} 項說法：不符 {contradicted}，未獲佐證 {unsupported}，"
                   "未找到 {not_found}，相符 {supported}",
        "summary_errors": "，無法核查 {error}", "sentence": "第 {number} 句", "claims": "逐項結果",
        "empty": "請貼上要核查的文稿或句子，例如：香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。",
        "too_many": "文稿共有 {count} 項說法，一次最多核查 {limit} 項，請分段核查。",
        "list": "、", "colon": "：",
    },
    "zh-Hans": {
        SUPPORTED: "相符", CONTRADICTED: "不符", UNSUPPORTED: "未获佐证", NOT_FOUND: "未找到", ERROR: "无法核查",
        "number": "数字", "date": "日期", "name": "名称", "predicate": "动词", "qualifier": "修饰语",
        "negation": "否定", "order": "先后次序",
        "kind": "项目", "claim": "说法", "article": "文章",
        "columns": ("#", "句子", "说法", "结果", "不符之处", "文章未提及", "文章原句", "出处"),
        "missing": "文章未提及：", "nothing": "文章中找不到相关内容。", "unchecked": "这一项未能核查。",
        "summary": "{sentences} 句、{total} 项说法：不符 {contradicted}，未获佐证 {unsupported}，"
                   "未找到 {not_found}，相符 {supported}",
        "summary_errors": "，无法核查 {error}", "sentence": "第 {number} 句", "claims": "逐项结果",
        "empty": "请粘贴要核查的文稿或句子，例如：香港科学园深圳分园2023年9月开园，已进驻40家香港企业和机构。",
        "too_many": "文稿共有 {count} 项说法，一次最多核查 {limit} 项，请分段核查。",
        "list": "、", "colon": "：",
    },
    "en": {
        SUPPORTED: "Supported", CONTRADICTED: "Contradicted", UNSUPPORTED: "Unsupported", NOT_FOUND: "Not found",
        ERROR: "Not checked",
        "number": "number", "date": "date", "name": "name", "predicate": "verb", "qualifier": "qualifier",
        "negation": "negation", "order": "order",
        "kind": "What", "claim": "Claim", "article": "Article",
        "columns": ("#", "Sentence", "Claim", "Verdict", "Mismatches", "Not in the articles", "Evidence", "Source"),
        "missing": "Not in the articles:", "nothing": "The articles say nothing about this.",
        "unchecked": "This claim could not be checked.",
        "summary": "Sentences {sentences}, claims {total}: {contradicted} contradicted, {unsupported} unsupported, "
                   "{not_found} not found, {supported} supported",
        "summary_errors": ", {error} not checked", "sentence": "sentence {number}", "claims": "Claim by claim",
        "empty": "Paste the draft or the sentences to check, e.g. The Shenzhen branch of the Hong Kong Science Park "
                 "opened in September 2023 and has attracted 40 Hong Kong companies.",
        "too_many": "The draft makes {count} claims; check at most {limit} at a time (split it into parts).",
        "list": ", ", "colon": ": ",
    },
}


def strings(language: str) -> dict:
    """The report's fixed words in ``language`` (English for anything unknown)."""
    return STRINGS.get(language, STRINGS["en"])


class DraftError(QueryError):
    """A draft that cannot be checked as pasted: nothing to check in it, or more than MAX_CLAIMS claims."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(self.message("en"))

    def message(self, language: str) -> str:
        """What to do about it, in ``language``."""
        words = strings(language)
        return words["too_many"].format(count=self.count, limit=MAX_CLAIMS) if self.count else words["empty"]


# ----------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Row:
    """One claim of the draft and its check (or why it could not be checked)."""

    number: int
    claim: Claim
    check: Check | None
    error: str = ""
    sentence: int = 1  # the number of the draft's sentence that makes the claim

    @property
    def verdict(self) -> str:
        return self.check.verdict if self.check else ERROR


@dataclass(frozen=True)
class Report:
    """A checked draft: its sentences (offsets into ``draft``) and a row for each claim, in order."""

    draft: str
    sentences: tuple[DraftSentence, ...]
    rows: tuple[Row, ...]

    def rows_of(self, sentence: int) -> list[Row]:
        """The rows of the draft's sentence numbered ``sentence`` (from 1)."""
        return [row for row in self.rows if row.sentence == sentence]

    def verdict_of(self, sentence: int) -> str:
        """The sentence's verdict: the worst of its claims' (contradicted, unsupported, not found, supported)."""
        return min((row.verdict for row in self.rows_of(sentence)), key=SEVERITY.index, default=ERROR)


def split_claims(text: str) -> list[str]:
    """The claims a pasted draft makes, in order (one a line, list bullets and numbers dropped, a sentence
    that joins several facts cut into them), cleaned of what UTF-8 cannot encode."""
    return [claim.text for sentence in split_draft(encodable(text or "")) for claim in sentence.claims]


def check_claims(bot: Bot, text: str, k: int | None = None) -> Report:
    """Check each claim of the draft ``text``; a claim that cannot be checked gets a row saying why. A
    claim made twice is checked once."""
    draft = encodable(text or "")
    sentences = tuple(split_draft(draft))
    claims = [(number, claim) for number, sentence in enumerate(sentences, 1) for claim in sentence.claims]
    if not claims or len(claims) > MAX_CLAIMS:
        raise DraftError(len(claims))
    checked: dict[str, tuple[Check | None, str]] = {}
    rows = []
    for number, (sentence, claim) in enumerate(claims, 1):
        if claim.text not in checked:
            try:
                checked[claim.text] = (check(bot, claim.text, k), "")
            except QueryError as error:
                checked[claim.text] = (None, str(error))
        rows.append(Row(number, claim, *checked[claim.text], sentence=sentence))
    return Report(draft, sentences, tuple(rows))


def file_name(extension: str, day: datetime.date | None = None) -> str:
    """The name an export downloads as: ``fact-check-2026-12-01.csv`` (today's local date)."""
    return f"fact-check-{(day or datetime.date.today()).isoformat()}.{extension}"


# ------------------------------------------------------------------------------------- tables (CSV, MD)


def headers(language: str) -> list[str]:
    """The tables' column headers in ``language``, one for each of ``COLUMNS``."""
    return list(strings(language)["columns"])


def table(report: Report, articles: Mapping[str, Article], language: str = "en") -> list[list[str]]:
    """The rows as plain-text cells under ``headers(language)``: verdicts and kinds as words, every quoted
    sentence and its source numbered when there are several."""
    words = strings(language)
    out = []
    for row in report.rows:
        result = row.check
        evidence = result.evidence if result else ()
        mismatches = "; ".join(f"{_kind(m.kind, words)}{words['colon']}{m.claim} ≠ {m.article}"
                               for m in (result.mismatches if result else ()))
        out.append([str(row.number), str(row.sentence), row.claim.text, words[row.verdict],
                    mismatches or (words["unchecked"] if result is None else ""),
                    words["list"].join(_kind(w, words) for w in (result.missing if result else ())),
                    _numbered([fold_spaces(e.text) for e in evidence]),
                    _numbered([_source(e, articles) for e in evidence])])
    return out


def to_csv(report: Report, articles: Mapping[str, Article], language: str = "en") -> str:
    """The table as CSV (write it with ``encoding="utf-8-sig"`` so spreadsheet programs read the Chinese).
    A cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers(language))
    writer.writerows([[_inert(cell) for cell in cells] for cells in table(report, articles, language)])
    return out.getvalue()


def to_markdown(report: Report, articles: Mapping[str, Article], language: str = "en") -> str:
    """The table as a Markdown (GitHub) table, every cell's Markdown and HTML characters escaped."""
    lines = ["| " + " | ".join(_markdown_cell(h) for h in headers(language)) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |"
              for cells in table(report, articles, language)]
    return "\n".join(lines) + "\n"


def _numbered(cells: Sequence[str]) -> str:
    return cells[0] if len(cells) == 1 else "\n".join(f"[{i}] {cell}" for i, cell in enumerate(cells, 1))


def _source(evidence: Evidence, articles: Mapping[str, Article]) -> str:
    article = articles.get(evidence.hit.passage.doc_id)
    return render.source_text(article) if article else fold_spaces(evidence.hit.passage.title)


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _markdown_cell(cell: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", " ".join(cell.split()))


def _kind(kind: str, words: Mapping[str, str]) -> str:
    """A mismatch kind in the report's language (a missing "negation" too); a claim's word as written."""
    return words[kind] if kind in MISMATCH_KINDS else kind


# ------------------------------------------------------------------------------------------------ HTML

# One colour a role, the same in the draft, the claim, the table and the quote (app.CSS gives them).
CLAIM_VALUE = "wenda-value-claim"  # red: what the claim says that the article states otherwise
ARTICLE_VALUE = "wenda-value-article"  # green: what the article states
MISSING_WORD = "wenda-value-missing"  # amber: what the claim says that the articles do not
QUOTE = "wenda-quote"


def report_html(report: Report, articles: Mapping[str, Article], language: str = "en") -> str:
    """The whole report in the interface ``language``: a count of the verdicts, the draft with each sentence
    marked by its verdict, then every claim in detail."""
    words = strings(language)
    counts = {v: sum(1 for r in report.rows if r.verdict == v) for v in (*VERDICTS, ERROR)}
    summary = words["summary"].format(sentences=len(report.sentences), total=len(report.rows), **counts)
    if counts[ERROR]:
        summary += words["summary_errors"].format(error=counts[ERROR])
    body = "".join(row_html(row, articles, language) for row in report.rows)
    return (f'<div class="wenda-checks" lang="{html.escape(language)}">'
            f'<p class="wenda-check-summary">{render.escape(summary)}</p>'
            f'<div class="wenda-draft">{draft_html(report, language)}</div>'
            f'<p class="wenda-heading">{render.escape(words["claims"])}</p>{body}</div>')


def draft_html(report: Report, language: str = "en") -> str:
    """The draft as pasted, each sentence marked by its verdict and followed by the numbers of its claims
    (links to their detail), the claims' wrong values and missing words marked inside it."""
    words = strings(language)
    out, at = [], 0
    for number, sentence in enumerate(report.sentences, 1):
        out.append(_gap(report.draft[at : sentence.start], first=number == 1))
        rows = report.rows_of(number)
        verdict = report.verdict_of(number)
        layers: list[tuple[str, list[tuple[int, int]]]] = []
        for row in rows:
            for name, spans in _claim_layers(row):
                spans = [row.claim.in_draft(s, e) for s, e in spans]
                layers.append((name, [(s - sentence.start, e - sentence.start) for s, e in filter(None, spans)]))
        refs = "".join(f'<a class="wenda-claim-ref" href="#wenda-claim-{row.number}">{row.number}</a>' for row in rows)
        title = f'{words["sentence"].format(number=number)}{words["colon"]}{words[verdict]}'
        out.append(f'<span class="wenda-draft-sentence wenda-draft-{html.escape(verdict)}" '
                   f'title="{html.escape(title, quote=True)}">{render.highlight(sentence.text, layers)}'
                   f'<sup class="wenda-claim-refs">{refs}</sup></span>')
        at = sentence.end
    return "".join(out)


def row_html(row: Row, articles: Mapping[str, Article], language: str = "en") -> str:
    """One claim: its number and verdict badge, the claim with its wrong values and missing words marked,
    the mismatches side by side (claim vs article), the missing words, and each quote in its article with
    the article named."""
    words = strings(language)
    badge = (f'<span class="wenda-verdict wenda-verdict-{html.escape(row.verdict)}">'
             f"{render.escape(words[row.verdict])}</span>")
    result = row.check
    claim_language = result.language if result else ""
    out = [f'<div class="wenda-check wenda-{html.escape(row.verdict)}" id="wenda-claim-{row.number}">',
           f'<p class="wenda-claim"><span class="wenda-number">{row.number}.</span> {badge} '
           f'<span class="wenda-claim-text"{_lang(claim_language)}>{render.highlight(row.claim.text, _claim_layers(row))}'
           "</span></p>"]
    if result is None:
        out.append(f'<p class="wenda-check-error" title="{html.escape(row.error, quote=True)}">'
                   f'{render.escape(words["unchecked"])}</p>')
        out.append("</div>")
        return "".join(out)
    if result.mismatches:
        out.append(_mismatches_html(result.mismatches, words))
    if result.missing:
        missing = words["list"].join(f'<mark class="{MISSING_WORD}">{render.escape(_kind(w, words))}</mark>'
                                     for w in result.missing)
        out.append(f'<p class="wenda-missing">{render.escape(words["missing"])} {missing}</p>')
    for evidence in result.evidence:
        out.append(_quote_html(evidence, result.mismatches, articles, language))
    if result.verdict == NOT_FOUND:
        out.append(f'<p class="wenda-check-nothing">{render.escape(words["nothing"])}</p>')
    out.append("</div>")
    return "".join(out)


def _claim_layers(row: Row) -> list[tuple[str, list[tuple[int, int]]]]:
    """Spans into ``row.claim.text``: its values the article states otherwise, and its missing words."""
    result = row.check
    if result is None or result.claim != row.claim.text:  # offsets point into the text the check saw
        return [(CLAIM_VALUE, []), (MISSING_WORD, [])]
    norm = normalize(row.claim.text)
    missing = []
    for word in result.missing:
        found = norm.find(normalize(word)) if word else -1
        if found >= 0:
            missing.append((found, found + len(word)))
    return [(CLAIM_VALUE, [m.claim_span for m in result.mismatches]), (MISSING_WORD, missing)]


def _mismatches_html(mismatches: Sequence[Mismatch], words: Mapping[str, str]) -> str:
    head = "".join(f"<th>{render.escape(words[h])}</th>" for h in ("kind", "claim", "article"))
    body = "".join(
        f'<tr><td class="wenda-mismatch-kind">{render.escape(_kind(m.kind, words))}</td>'
        f'<td class="wenda-mismatch-claim">{render.escape(m.claim)}</td>'
        f'<td class="wenda-mismatch-article">{render.escape(m.article)}</td></tr>'
        for m in mismatches
    )
    return f'<table class="wenda-mismatches"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _quote_html(evidence: Evidence, mismatches: Sequence[Mismatch], articles: Mapping[str, Article],
                language: str) -> str:
    """The quoted sentence marked inside a little of its article, the article's values that differ from
    the claim's marked green, then the article named as the chat names it (title · source · author · date)."""
    passage = evidence.hit.passage
    article = articles.get(passage.doc_id)
    spans = evidence.spans
    if article is None:  # an index without its articles: the sentence alone, named by its title
        quoted = render.highlight(evidence.text, [(QUOTE, [(0, len(evidence.text))])])
        meta = f'<p class="wenda-meta"><cite class="wenda-title">{render.escape(passage.title)}</cite></p>'
    else:
        low, high = render.context_window(article.text, spans[0][0], spans[-1][1], sentences=1, max_chars=120)
        inside = [(s, e) for m in mismatches for s, e in m.article_spans if spans[0][0] <= s and e <= spans[-1][1]]
        layers = [(QUOTE, [(s - low, e - low) for s, e in spans]),
                  (ARTICLE_VALUE, [(s - low, e - low) for s, e in inside])]
        quoted = (("…" if low > 0 else "") + render.highlight(article.text[low:high], layers)
                  + ("…" if high < len(article.text) else ""))
        meta = render.meta_html(article, language, render.page_of(evidence.hit.passage))
    return f'<blockquote class="wenda-context">{quoted}</blockquote>{meta}'


def _gap(text: str, first: bool = False) -> str:
    """What lies between two sentences of the draft: a space, a line break or a blank line, and any list
    bullet as written."""
    breaks = 0 if first else text.count("\n")
    rest = render.escape(" ".join(text.split()))
    spacer = "<br><br>" if breaks >= 2 else "<br>" if breaks else (" " if text and not first else "")
    return spacer + rest + (" " if rest else "")


def _lang(language: str) -> str:
    return f' lang="{html.escape(language)}"' if language else ""
