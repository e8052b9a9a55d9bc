"""Answers as HTML for the web chat: the quoted sentence with its short answer marked, its citation marker a
link to the source with a preview of the quote, and numbered citations that open to the passage in its context;
with it the same answer as plain text (what the chat copies and reads out). Pure functions; every piece of
text from the visitor or the articles is escaped here, so the output is safe to hand to a browser.

The output is one line (newlines become ``<br>``), so a Markdown renderer treats it as a single raw
HTML block and never reinterprets ``*``, ``_`` or ``$`` in article or question text.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Mapping, Sequence

from .answer import NOT_FOUND, Answer
from .clean import CAPTION_MARKS
from .corpus import Article
from .english import english
from .evidence import Weights, contains, coverage, pair_share
from .passages import Passage
from .retrieve import Hit
from .script import shown
from .text import Sentence, detect_language, fold_spaces, normalize, split_sentences

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
        "understood": "理解為：", "original": "原文", "caption": "圖片說明", "answer": "答案：", "english": "英文：",
    },
    "zh-Hans": {
        "sources": "出处", "related": "相关段落，但并非答案：", "cited": "答案出处",
        "bm25": "BM25 排名", "dense": "语义排名", "fused": "融合分数", "bm25_score": "BM25 分数",
        "dense_score": "语义相似度", "unranked": "未入选", "link": "原文",
        "understood": "理解为：", "original": "原文", "caption": "图片说明", "answer": "答案：", "english": "英文：",
    },
    "en": {
        "sources": "Sources", "related": "Related, but not an answer:", "cited": "answer's source",
        "bm25": "BM25 rank", "dense": "dense rank", "fused": "fused score", "bm25_score": "BM25 score",
        "dense_score": "dense similarity", "unranked": "not ranked",
        "link": "article", "understood": "Understood as: ", "original": "original", "caption": "Photo caption",
        "answer": "Answer: ", "english": "In English: ",
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
    ``script`` of a reader's language (``script.shown``; as written by default). A passage the layout broke
    around a photo caption reads whole, the caption shown apart under it."""
    passage = hit.passage
    low, high = context_window(article.text, passage.start, passage.end)
    pieces = ((low, passage.start), *passage.spans, (passage.end, high))  # what lies between the spans left out
    layers = [(name, relative(spans, pieces)) for name, spans in ((PASSAGE, passage.spans), *marks)]
    before = "…" if low > 0 else ""
    after = "…" if high < len(article.text) else ""
    text = shown("".join(article.text[s:e] for s, e in pieces), script)
    captions = "".join(f'<p class="wenda-caption"><span class="wenda-caption-label">'
                       f'{escape(strings(script)["caption"])}</span> {escape(shown(caption, script))}</p>'
                       for caption in captions_between(article.text, passage.spans))
    return f'<blockquote class="wenda-context">{before}{highlight(text, layers)}{after}</blockquote>{captions}'


def captions_between(text: str, spans: Sequence[Span]) -> list[str]:
    """The photo captions (with their credit lines) that the layout put between a passage's ``spans``."""
    gaps = (fold_spaces(text[end:start]) for (_, end), (start, _) in zip(spans, spans[1:]))
    return [gap for gap in gaps if gap.startswith(CAPTION_MARKS)]


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


SNIPPET_CHARS = 60  # of a source's one-line summary


def snippet(text: str, span: Span, width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` centred on ``span`` (the sentence that matched; its start when it is
    longer), an ellipsis where the text goes on, white space folded."""
    start, end = span
    low = start if end - start >= width else max(0, start - (width - (end - start)) // 2)
    high = min(len(text), low + width)
    low = max(0, min(low, high - width))
    return ("…" if low > 0 else "") + fold_spaces(text[low:high]) + ("…" if high < len(text) else "")


def matched_sentences(hits: Sequence[Hit], weights: Weights, pairs: frozenset[str]) -> dict[int, Span]:
    """The sentence of each hit's passage that states most of the question (its coverage of the question's
    ``weights`` plus its share of the question's character ``pairs``, the evidence retrieval re-ranks by), by
    rank: offsets into the passage's text, where its snippet is centred."""

    def evidence(sentence: Sentence) -> float:
        text = normalize(sentence.text)
        return coverage(weights, functools.partial(contains, text)) + pair_share(pairs, text)

    best = {hit.rank: max(sentences, key=evidence) for hit in hits if (sentences := split_sentences(hit.passage.text))}
    return {rank: (sentence.start, sentence.end) for rank, sentence in best.items()}


def citation_html(hit: Hit, article: Article, language: str, show_scores: bool = False,
                  marks: Sequence[tuple[str, Sequence[Span]]] = (), matched: Span | None = None, cited: bool = False,
                  script: str = "", mode: str = "", anchor: str = "") -> str:
    """One numbered citation: a summary line (the sentence an answer quoted when ``cited``, else the passage
    centred on the sentence that ``matched``, offsets into its text; its start by default) that opens to the
    passage in context, the article's title, source and date, and (for the curious) the retrievers' ranks and
    the score of the retrieval ``mode`` (fused unless bm25 or dense); its text in the ``script`` of a reader's
    language; ``anchor`` is its id, which the answer's citation marker links to."""
    text = hit.passage.text
    start, end = matched or (0, min(len(text), SNIPPET_CHARS))
    if cited:  # the quote itself, cut at the snippet's length
        quote = fold_spaces(text[start:end])
        shown_snippet = shown(quote if len(quote) <= SNIPPET_CHARS else quote[:SNIPPET_CHARS] + "…", script)
    else:
        shown_snippet = shown(snippet(text, (start, end)), script)
    label = f' <span class="wenda-cited">{escape(strings(language)["cited"])}</span>' if cited else ""
    summary = (f'<summary><span class="wenda-number">[{hit.rank}]</span> '
               f'<span class="wenda-snippet">{escape(shown_snippet)}</span>{label}</summary>')
    body = passage_context(article, hit, marks, script) + meta_html(article, language, page_of(hit.passage))
    if show_scores:
        body += _scores(hit, language, mode)
    # the rank goes in a class: the chat's HTML sanitiser keeps classes but drops data- attributes
    css = f"wenda-citation wenda-rank-{hit.rank}" + (" wenda-cited-passage" if cited else "")
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return f'<details class="{css}"{ident}>{summary}{body}</details>'


def anchor_of(key: str, rank: int) -> str:
    """The id of a reply's citation ``rank``: ``key`` tells replies apart in one chat (their turn)."""
    return f"wenda-{key}-source-{rank}" if key else f"wenda-source-{rank}"


def english_of(text: str, sentence: str, text_spans: Sequence[Span], sentence_spans: Sequence[Span]) -> str:
    """An answer's short ``text`` (at source offsets ``text_spans`` of its ``sentence``) written the English way
    (``english.english``); "" when it has none, or when the answer is the whole sentence."""
    if not text_spans or text == sentence:
        return ""
    (at, _), *_ = relative(text_spans, sentence_spans)
    return english(text, sentence, at)


def marker_html(answer: Answer, article: Article, language: str, anchor: str) -> str:
    """The answer's citation marker: a link to its source (``anchor``) holding a preview of the quoted sentence
    and its article (title, source, date), shown on hover, on focus, or (on a touch screen) on a first tap."""
    named = " · ".join(fold_spaces(value) for value in (article.title, article.source, article.date) if value)
    preview = (f'<span class="wenda-preview" role="tooltip"><span class="wenda-preview-quote">'
               f'{escape(shown(answer.sentence, language))}</span><span class="wenda-preview-source">'
               f'[{answer.citation}] {escape(named)}</span></span>')
    return f'<a class="wenda-ref" href="#{html.escape(anchor)}">[{answer.citation}]{preview}</a>'


def answer_html(answer: Answer, articles: Mapping[str, Article], show_scores: bool = False,
                language: str | None = None, understood: str = "", mode: str = "",
                matched: Mapping[int, Span] | None = None, key: str = "") -> str:
    """The reply to one question: the sentence with the short answer marked and its citation marker (a link to
    the source, with a preview), for an English reader the short answer written the English way, then every
    retrieved passage as a numbered citation, its snippet centred on the sentence that ``matched`` (by rank:
    ``matched_sentences``); or, when Wenda abstains, the message and the closest passages as related, but not
    an answer. Its words are in ``language`` (the interface's; the answer's own by default), the articles' text
    in its script; ``understood``, when given, is the question as Wenda understood it from the conversation,
    shown first so that a wrong guess is seen. The answer's own source is listed first, under its number.
    ``key`` tells this reply's links from another's in the same chat. The reply ends with itself as plain text,
    hidden (``answer_text``): what the chat copies and reads out."""
    language = language or answer.language
    words = strings(language)
    matched = matched or {}
    # the short answer is marked only when it is shorter than the sentence
    short = answer.text_spans if answer.found and answer.text_spans != answer.sentence_spans else ()
    in_english = (english_of(answer.text, answer.sentence, answer.text_spans, answer.sentence_spans)
                  if answer.found and language == "en" else "")
    out = [f'<div class="wenda-reply" lang="{html.escape(language)}">']
    if understood:
        out.append(f'<p class="wenda-understood">{escape(words["understood"])}{escape(understood)}</p>')
    if answer.found:
        sentence = shown(answer.sentence, language)
        marked = highlight(sentence, [(ANSWER, relative(short, answer.sentence_spans))])
        source = next(h for h in answer.hits if h.rank == answer.citation)
        marker = marker_html(answer, articles[source.passage.doc_id], language, anchor_of(key, answer.citation))
        out.append(f'<p class="wenda-sentence">{marked} {marker}</p>')
        if in_english:
            out.append(f'<p class="wenda-english" lang="en">{escape(words["english"])}<strong>{escape(in_english)}'
                       f'</strong></p>')
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
            span = _quoted(answer, hit) if cited else matched.get(hit.rank)
            out.append(citation_html(hit, articles[hit.passage.doc_id], language, show_scores, marks, span, cited,
                                     language, mode, anchor_of(key, hit.rank)))
        out.append("</div>")
    lines = answer_text(answer, articles, language, understood, in_english)
    out.append('<div class="wenda-plain" hidden>' + "".join(f"<p>{escape(line)}</p>" for line in lines) + "</div>")
    out.append("</div>")
    return "".join(out)


def _quoted(answer: Answer, hit: Hit) -> Span:
    """Where the answer's sentence lies in the text of the passage it was taken from."""
    located = relative(answer.sentence_spans, hit.passage.spans)
    return located[0][0], located[-1][1]


def answer_text(answer: Answer, articles: Mapping[str, Article], language: str, understood: str = "",
                in_english: str = "") -> list[str]:
    """The reply as plain text, a line each: how the question was understood, the quoted sentence and its
    citation number, the short answer (and its English writing), the cited article by title, source and date;
    or the abstention and the related articles. What the copy button gives and a screen reader reads."""
    words = strings(language)
    lines = [f"{words['understood']}{understood}"] if understood else []
    if answer.found:
        lines.append(f"{shown(fold_spaces(answer.sentence), language)} [{answer.citation}]")
        if answer.text != answer.sentence:
            lines.append(f"{words['answer']}{shown(answer.text, language)}" + (f" ({in_english})" if in_english else ""))
        cited = [h for h in answer.hits if h.rank == answer.citation]
    else:
        lines += [NOT_FOUND.get(language, answer.message), words["related"]]
        cited = answer.hits
    for hit in cited:
        page = page_of(hit.passage)
        lines.append(f"[{hit.rank}] {source_text(articles[hit.passage.doc_id])}" + (f" · {page}" if page else ""))
    return lines


def question_html(question: str, limit: int = 400) -> str:
    """The visitor's question as text (never markup), shortened for display past ``limit`` characters."""
    shown = question if len(question) <= limit else question[:limit] + "…"
    return f'<div class="wenda-question">{escape(shown)}</div>'


def notice_html(message: str, language: str) -> str:
    """A polite one-paragraph reply (an empty or over-long question, a failure)."""
    return f'<div class="wenda-reply wenda-notice" lang="{html.escape(language)}"><p>{escape(message)}</p></div>'
