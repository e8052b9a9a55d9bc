"""Answers as HTML for the web chat: the quoted sentence with its short answer marked, and numbered
citations that open to the passage in its context. Pure functions; every piece of text from the
visitor or the articles is escaped here, so the output is safe to hand to a browser.

The output is one line (newlines become ``<br>``), so a Markdown renderer treats it as a single raw
HTML block and never reinterprets ``*``, ``_`` or ``$`` in article or question text.
"""

from __future__ import annotations

import html
import re
from typing import Mapping, Sequence

from .answer import NOT_FOUND, Answer
from .corpus import Article
from .passages import Passage
from .retrieve import Hit
from .script import shown
from .text import detect_language, fold_spaces, split_sentences

Span = tuple[int, int]

# Highlight layers, weakest first: a later layer wins where spans overlap.
PASSAGE, QUOTE, ANSWER = "passage", "quote", "answer"
_TAGS = {
    PASSAGE: ('<mark class="wenda-passage">', "</mark>"),
    QUOTE: ('<mark class="wenda-quote">', "</mark>"),
    ANSWER: ('<mark class="wenda-answer"><strong>', "</strong></mark>"),
}

STRINGS = {
    "zh-Hant": {
        "sources": "出處", "related": "相關段落，但並非答案：", "cited": "答案出處",
        "bm25": "BM25 排名", "dense": "語意排名", "fused": "融合分數", "bm25_score": "BM25 分數",
        "dense_score": "語意相似度", "unranked": "未入選", "link": "原文",
        "understood": "理解為：", "original": "原文",
    },
    "zh-Hans": {
        "sources": "出处", "related": "相关段落，但并非答案：", "cited": "答案出处",
        "bm25": "BM25 排名", "dense": "语义排名", "fused": "融合分数", "bm25_score": "BM25 分数",
        "dense_score": "语义相似度", "unranked": "未入选", "link": "原文",
        "understood": "理解为：", "original": "原文",
    },
    "en": {
        "sources": "Sources", "related": "Related, but not an answer:", "cited": "answer's source",
        "bm25": "BM25 rank", "dense": "dense rank", "fused": "fused score", "bm25_score": "BM25 score",
        "dense_score": "dense similarity", "unranked": "not ranked",
        "link": "article", "understood": "Understood as: ", "original": "original",
    },
}


def strings(language: str) -> dict[str, str]:
    """The reply's fixed words in ``language`` (English for anything unknown)."""
    return STRINGS.get(language, STRINGS["en"])


def escape(value: str) -> str:
    """``value`` as HTML text on one line: special characters escaped, each run of line breaks as one ``<br>``."""
    return re.sub(r"\s*\n\s*", "<br>", html.escape(value, quote=True))


def highlight(text: str, layers: Sequence[tuple[str, Sequence[Span]]]) -> str:
    """``text`` escaped, with each layer's spans (offsets into ``text``) wrapped in that layer's mark (a
    ``<mark>`` of the layer's class for a layer without one of its own)."""
    level = [0] * len(text)
    for number, (_, spans) in enumerate(layers, 1):
        for start, end in spans:
            for i in range(max(start, 0), min(end, len(text))):
                level[i] = number
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and level[j] == level[i]:
            j += 1
        piece = escape(text[i:j])
        if level[i]:
            name = layers[level[i] - 1][0]
            opening, closing = _TAGS.get(name, (f'<mark class="{html.escape(name)}">', "</mark>"))
            piece = f"{opening}{piece}{closing}"
        out.append(piece)
        i = j
    return "".join(out)


def relative(spans: Sequence[Span], outer: Sequence[Span]) -> list[Span]:
    """``spans`` (source offsets inside ``outer``) as offsets into the concatenation of ``outer``'s slices."""

    def position(offset: int) -> int:
        return sum(max(0, min(offset, e) - s) for s, e in outer)

    return [(position(s), position(e)) for s, e in spans]


def context_window(text: str, start: int, end: int, sentences: int = 2, max_chars: int = 240) -> Span:
    """The range of ``text`` around ``start:end``: up to ``sentences`` whole sentences before and after,
    each side cut at ``max_chars`` characters, outer white space trimmed."""
    # split only the stretch the window can reach: a sentence cut at its edge is clipped anyway
    lo, hi = max(0, start - max_chars - 1), min(len(text), end + max_chars + 1)
    found = [(lo + s.start, lo + s.end) for s in split_sentences(text[lo:hi])]
    before = [(s, e) for s, e in found if e <= start]
    after = [(s, e) for s, e in found if s >= end]
    low = before[-sentences][0] if len(before) >= sentences else (before[0][0] if before else start)
    high = after[sentences - 1][1] if len(after) >= sentences else (after[-1][1] if after else end)
    low, high = max(low, start - max_chars, 0), min(high, end + max_chars, len(text))
    while low < start and text[low].isspace():
        low += 1
    while high > end and text[high - 1].isspace():
        high -= 1
    return min(low, start), max(high, end)


def passage_context(article: Article, hit: Hit, marks: Sequence[tuple[str, Sequence[Span]]] = (),
                    script: str = "") -> str:
    """The cited passage in its article, the passage marked (and ``marks``, source offsets, on top), in the
    ``script`` of a reader's language (``script.shown``; as written by default)."""
    passage = hit.passage
    low, high = context_window(article.text, passage.start, passage.end)
    layers = [(name, [(s - low, e - low) for s, e in spans]) for name, spans in ((PASSAGE, passage.spans), *marks)]
    before = "…" if low > 0 else ""
    after = "…" if high < len(article.text) else ""
    text = shown(article.text[low:high], script)
    return f'<blockquote class="wenda-context">{before}{highlight(text, layers)}{after}</blockquote>'


def _source_fields(article: Article) -> list[tuple[str, str]]:
    """What names an article besides its title, in the order shown: source, author, date (those it has)."""
    return [(name, value) for name, value in (("source", article.source), ("author", article.author),
                                              ("date", article.date)) if value]


def _linkable(url: str) -> bool:
    return url.startswith(("https://", "http://"))


_PAGE = re.compile(r"(?:^| › )(p\. \d+)$")  # the page a PDF passage is on, last in its section (bot/clean.py)


def page_of(passage: Passage) -> str:
    """The page of a PDF the passage is on ("p. 3"), or "" for any other passage."""
    found = _PAGE.search(passage.section)
    return found.group(1) if found else ""


def meta_html(article: Article, language: str, page: str = "") -> str:
    """The article named as a reader would cite it: title · source · author · date, the ``page`` of a PDF
    the quote is on, and a link to it."""
    parts = [f'<cite class="wenda-title">{escape(article.title)}</cite>']
    parts += [f'<span class="wenda-{name}">{escape(value)}</span>' for name, value in _source_fields(article)]
    if page:
        parts.append(f'<span class="wenda-page">{escape(page)}</span>')
    if _linkable(article.url):
        parts.append(f'<a href="{html.escape(article.url, quote=True)}" rel="noopener noreferrer">'
                     f"{escape(strings(language)['link'])}</a>")
    return f'<p class="wenda-meta">{" · ".join(parts)}</p>'


def source_text(article: Article) -> str:
    """``meta_html`` as plain text, the address in full: what a table or a file names the article by."""
    parts = [article.title, *(value for _, value in _source_fields(article)),
             *([article.url] if _linkable(article.url) else [])]
    return " · ".join(fold_spaces(part) for part in parts if part)


# the score a hit holds in each retrieval mode, by its key in STRINGS (a mode not named here fuses)
SCORE_NAMES = {"bm25": "bm25_score", "dense": "dense_score"}


def _scores(hit: Hit, language: str, mode: str = "") -> str:
    words = strings(language)
    bm25, dense = (words["unranked"] if rank is None else str(rank) for rank in (hit.bm25_rank, hit.dense_rank))
    return (f'<p class="wenda-scores">{escape(words["bm25"])} {bm25} · {escape(words["dense"])} {dense} · '
            f'{escape(words[SCORE_NAMES.get(mode, "fused")])} {hit.score:.4f}</p>')


def citation_html(hit: Hit, article: Article, language: str, show_scores: bool = False,
                  marks: Sequence[tuple[str, Sequence[Span]]] = (), quote: str = "", script: str = "",
                  mode: str = "") -> str:
    """One numbered citation: a summary line (the ``quote`` an answer took from it, else the passage's
    start) that opens to the passage in context, the article's title, source and date, and (for the
    curious) the retrievers' ranks and the score of the retrieval ``mode`` (fused unless bm25 or dense); its text
    in the ``script`` of a reader's language."""
    cited = bool(quote)
    snippet = shown(fold_spaces(quote or hit.passage.text), script)
    snippet = snippet if len(snippet) <= 60 else snippet[:60] + "…"
    label = f' <span class="wenda-cited">{escape(strings(language)["cited"])}</span>' if cited else ""
    summary = (f'<summary><span class="wenda-number">[{hit.rank}]</span> '
               f'<span class="wenda-snippet">{escape(snippet)}</span>{label}</summary>')
    body = passage_context(article, hit, marks, script) + meta_html(article, language, page_of(hit.passage))
    if show_scores:
        body += _scores(hit, language, mode)
    # the rank goes in a class: the chat's HTML sanitiser keeps classes but drops data- attributes
    css = f"wenda-citation wenda-rank-{hit.rank}" + (" wenda-cited-passage" if cited else "")
    return f'<details class="{css}">{summary}{body}</details>'


def answer_html(answer: Answer, articles: Mapping[str, Article], show_scores: bool = False,
                language: str | None = None, understood: str = "", mode: str = "") -> str:
    """The reply to one question: the sentence with the short answer marked and its citation number,
    then every retrieved passage as a numbered citation; or, when Wenda abstains, the message and the
    closest passages as related, but not an answer. Its words are in ``language`` (the interface's; the
    answer's own by default), the articles' text in its script; ``understood``, when given, is the question
    as Wenda understood it from the conversation, shown first so that a wrong guess is seen. The answer's
    own source is listed first, under its number."""
    language = language or answer.language
    words = strings(language)
    # the short answer is marked only when it is shorter than the sentence
    short = answer.text_spans if answer.found and answer.text_spans != answer.sentence_spans else ()
    out = [f'<div class="wenda-reply" lang="{html.escape(language)}">']
    if understood:
        out.append(f'<p class="wenda-understood">{escape(words["understood"])}{escape(understood)}</p>')
    if answer.found:
        sentence = shown(answer.sentence, language)
        marked = highlight(sentence, [(ANSWER, relative(short, answer.sentence_spans))])
        out.append(f'<p class="wenda-sentence">{marked} <span class="wenda-ref">[{answer.citation}]</span></p>')
        if sentence != answer.sentence:  # converted to the reader's script: the original a click away
            out.append(f'<details class="wenda-original"><summary>{escape(words["original"])}</summary>'
                       f'<p lang="{html.escape(detect_language(answer.sentence))}">{escape(answer.sentence)}</p></details>')
        heading = words["sources"]
    else:
        out.append(f'<p class="wenda-abstain">{escape(NOT_FOUND.get(language, answer.message))}</p>')
        heading = words["related"]
    if answer.hits:
        out.append(f'<div class="wenda-citations{"" if answer.found else " wenda-related"}">'
                   f'<p class="wenda-heading">{escape(heading)}</p>')
        for hit in sorted(answer.hits, key=lambda h: not (answer.found and h.rank == answer.citation)):
            cited = answer.found and hit.rank == answer.citation
            marks = [(QUOTE, answer.sentence_spans), (ANSWER, short)] if cited else []
            out.append(citation_html(hit, articles[hit.passage.doc_id], language, show_scores, marks,
                                     answer.sentence if cited else "", language, mode))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def question_html(question: str, limit: int = 400) -> str:
    """The visitor's question as text (never markup), shortened for display past ``limit`` characters."""
    shown = question if len(question) <= limit else question[:limit] + "…"
    return f'<div class="wenda-question">{escape(shown)}</div>'


def notice_html(message: str, language: str) -> str:
    """A polite one-paragraph reply (an empty or over-long question, a failure)."""
    return f'<div class="wenda-reply wenda-notice" lang="{html.escape(language)}"><p>{escape(message)}</p></div>'
