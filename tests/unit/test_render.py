"""bot.render: answers as HTML, with offsets worked out by hand on a tiny article."""

from __future__ import annotations

import re

import pytest

from bot import Answer, Article, Hit, Passage
from bot import render

TEXT = ("Harbour ferry\n\nThe Star Ferry has carried passengers since 1888. A crossing takes nine minutes. "
        "Tickets cost <b>HK$5</b>.\n\nIt is run by a company.")
#         0              15                                   59       65                          95 96
ARTICLE = Article(doc_id="ferry", title="Harbour <ferry>", text=TEXT, source="The Standard", date="2024-05-01",
                  author="A. Writer", url="https://example.org/ferry")


def passage(start: int, end: int, number: int = 0) -> Passage:
    return Passage(doc_id="ferry", passage_id=f"ferry#{number}", title=ARTICLE.title, section="Harbour ferry",
                   kind="body", text=TEXT[start:end], spans=((start, end),))


def hit(rank: int, p: Passage, bm25_rank: int | None = 1, dense_rank: int | None = None) -> Hit:
    return Hit(rank=rank, row=rank - 1, passage=p, score=1 / 61, bm25_rank=bm25_rank, bm25_score=2.0,
               dense_rank=dense_rank, dense_score=None)


FIRST = passage(15, 95, 0)  # "The Star Ferry … 1888. A crossing takes nine minutes."
SECOND = passage(96, 121, 1)  # "Tickets cost <b>HK$5</b>."
FOUND = Answer(question="When did the Star Ferry start?", language="en", found=True,
               hits=[hit(1, FIRST), hit(2, SECOND, bm25_rank=None, dense_rank=1)], text="1888",
               sentence="The Star Ferry has carried passengers since 1888.", citation=1, confidence=0.8,
               sentence_spans=((15, 64),), text_spans=((59, 63),))
ABSTAINED = Answer(question="Who founded it?", language="zh-Hant", found=False, hits=[hit(1, SECOND)],
                   message="文章中找不到這個問題的答案。")
ARTICLES = {"ferry": ARTICLE}


def test_escape_keeps_text_as_text_on_one_line():
    assert render.escape('<script>alert("x")</script>\n\n  next') == \
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>next"


def test_highlight_nests_layers_without_overlapping_tags():
    html = render.highlight("abcdef", [(render.QUOTE, [(1, 4)]), (render.ANSWER, [(2, 3)])])
    assert html == ('a<mark class="wenda-quote">b</mark><mark class="wenda-answer"><strong>c</strong></mark>'
                    '<mark class="wenda-quote">d</mark>ef')


def test_highlight_escapes_inside_marks_and_clips_spans():
    assert render.highlight("<b>", [(render.QUOTE, [(-5, 1), (2, 99)])]) == \
        '<mark class="wenda-quote">&lt;</mark>b<mark class="wenda-quote">&gt;</mark>'


def test_relative_maps_source_spans_into_the_joined_text():
    # outer slices 10:15 and 20:25 join into 10 characters; 12:14 → 2:4 and 21:23 → 6:8
    assert render.relative([(12, 14), (21, 23)], [(10, 15), (20, 25)]) == [(2, 4), (6, 8)]


@pytest.mark.parametrize("sentences, max_chars, expected", [
    (1, 240, (15, 121)),  # one sentence either side: "The Star Ferry … 1888." and "Tickets … </b>."
    (2, 240, (0, 146)),  # two: out to the heading and to the end of the article
    (1, 10, (55, 105)),  # ten characters either side at most
])
def test_context_window(sentences, max_chars, expected):
    assert render.context_window(TEXT, 65, 95, sentences, max_chars) == expected


def test_found_answer_marks_the_short_answer_in_the_sentence_and_cites_it():
    html = render.answer_html(FOUND, ARTICLES)
    assert "\n" not in html
    assert ('<p class="wenda-sentence">The Star Ferry has carried passengers since '
            '<mark class="wenda-answer"><strong>1888</strong></mark>. <a class="wenda-ref" href="#wenda-source-1">[1]'
            in html)
    assert html.count("<details") == 2
    assert '<p class="wenda-heading">Sources</p>' in html
    assert '<span class="wenda-cited">answer&#x27;s source</span>' in html


def test_citation_opens_to_the_passage_in_context_with_the_quote_marked():
    html = render.answer_html(FOUND, ARTICLES)
    first = re.search(r'<details class="wenda-citation wenda-rank-1 wenda-cited-passage"[^>]*>.*?</details>',
                      html).group()
    # context: from the heading (two sentences back) to the end; the sentence is the quote, 1888 the answer
    assert ('<blockquote class="wenda-context">Harbour ferry<br><mark class="wenda-quote">The Star Ferry has carried '
            'passengers since </mark><mark class="wenda-answer"><strong>1888</strong></mark>'
            '<mark class="wenda-quote">.</mark><mark class="wenda-passage"> A crossing takes nine minutes.</mark>'
            ' Tickets cost &lt;b&gt;HK$5&lt;/b&gt;.<br>It is run by a company.</blockquote>') in first
    assert ('<cite class="wenda-title">Harbour &lt;ferry&gt;</cite> · <span class="wenda-source">The Standard</span>'
            ' · <span class="wenda-author">A. Writer</span> · <span class="wenda-date">2024-05-01</span>') in first
    assert '<a href="https://example.org/ferry" rel="noopener noreferrer">article</a>' in first


def test_uncited_passage_is_marked_whole_and_article_markup_is_escaped():
    html = render.answer_html(FOUND, ARTICLES)
    second = re.search(r'<details class="wenda-citation wenda-rank-2"[^>]*>.*?</details>', html).group()
    assert '<mark class="wenda-passage">Tickets cost &lt;b&gt;HK$5&lt;/b&gt;.</mark>' in second
    assert "<b>" not in html
    assert "wenda-quote" not in second


def test_summaries_show_the_quote_for_the_cited_passage_and_the_start_of_the_others():
    html = render.answer_html(FOUND, ARTICLES)
    assert ('<summary><span class="wenda-number">[1]</span> <span class="wenda-snippet">The Star Ferry has carried '
            'passengers since 1888.</span> <span class="wenda-cited">') in html
    assert ('<summary><span class="wenda-number">[2]</span> <span class="wenda-snippet">Tickets cost '
            '&lt;b&gt;HK$5&lt;/b&gt;.</span></summary>') in html
    abstained = render.answer_html(Answer(question="q", language="en", found=False, hits=[hit(1, FIRST)],
                                          message="no"), ARTICLES)
    # 60 characters of the passage, then an ellipsis
    assert '<span class="wenda-snippet">The Star Ferry has carried passengers since 1888. A crossing…</span>' \
        in abstained


def test_scores_are_shown_only_when_asked():
    assert "wenda-scores" not in render.answer_html(FOUND, ARTICLES)
    html = render.answer_html(FOUND, ARTICLES, show_scores=True)
    assert '<p class="wenda-scores">BM25 rank 1 · dense rank not ranked · fused score 0.0164</p>' in html
    assert '<p class="wenda-scores">BM25 rank not ranked · dense rank 1 · fused score 0.0164</p>' in html


def test_abstention_says_so_in_the_questions_language_and_lists_related_passages():
    html = render.answer_html(ABSTAINED, ARTICLES, show_scores=True)
    assert html.startswith('<div class="wenda-reply" lang="zh-Hant">'
                           '<p class="wenda-abstain">文章中找不到這個問題的答案。</p>')
    assert '<p class="wenda-heading">相關段落，但並非答案：</p>' in html
    assert "wenda-sentence" not in html and "wenda-cited" not in html and "wenda-answer" not in html
    assert "BM25 排名 1 · 語意排名 未入選 · 融合分數 0.0164" in html


def test_an_article_url_that_is_not_http_is_not_linked():
    article = Article(doc_id="ferry", title="t", text=TEXT, url="javascript:alert(1)")
    html = render.answer_html(FOUND, {"ferry": article})
    assert "javascript" not in html and "rel=" not in html


def test_question_is_shown_as_text_and_shortened():
    assert render.question_html("<img src=x onerror=alert(1)>") == \
        '<div class="wenda-question">&lt;img src=x onerror=alert(1)&gt;</div>'
    assert render.question_html("問" * 5000, limit=10) == f'<div class="wenda-question">{"問" * 10}…</div>'


def test_every_language_has_every_string():
    assert all(set(words) == set(render.STRINGS["en"]) for words in render.STRINGS.values())
    assert render.strings("fr") is render.STRINGS["en"]


def test_seed_answer_marks_exactly_the_cited_source_text(seed_bot, seed_text):
    answer = seed_bot.ask("香港科學園深圳分園進駐了多少家企業？")
    assert answer.found
    html = render.answer_html(answer, seed_bot.index.articles)
    (start, end), = answer.text_spans
    assert f'<mark class="wenda-answer"><strong>{seed_text[start:end]}</strong></mark>' in html
    cited = re.search(rf'<details class="wenda-citation wenda-rank-{answer.citation} wenda-cited-passage"[^>]*>'
                      r".*?</details>", html).group()
    quoted = "".join(re.findall(r'<mark class="wenda-(?:quote|answer)">(?:<strong>)?(.*?)(?:</strong>)?</mark>', cited))
    assert quoted == "".join(seed_text[s:e] for s, e in answer.sentence_spans)


def test_the_understood_question_comes_first_and_the_words_follow_the_interface_language():
    html = render.answer_html(FOUND, ARTICLES, language="zh-Hans", understood="Star Ferry: when did it start?")
    assert html.startswith('<div class="wenda-reply" lang="zh-Hans"><p class="wenda-understood">理解为：'
                           'Star Ferry: when did it start?</p><p class="wenda-sentence">')
    assert "出处" in html and "Sources" not in html
    assert "Understood" not in render.answer_html(FOUND, ARTICLES)


def test_an_abstention_is_said_in_the_interface_language():
    assert "The articles do not answer this question." in render.answer_html(ABSTAINED, ARTICLES, language="en")


def test_the_answers_own_source_is_listed_first_under_its_number():
    second = Answer(**{**FOUND.__dict__, "citation": 2, "sentence": "Tickets cost <b>HK$5</b>.",
                       "sentence_spans": ((96, 121),), "text_spans": ((96, 121),)})
    html = render.answer_html(second, ARTICLES)
    assert html.index("wenda-rank-2") < html.index("wenda-rank-1")


@pytest.mark.parametrize("mode, label", [("bm25", "BM25 score"), ("dense", "dense similarity"), ("hybrid", "fused score")])
def test_the_score_is_named_for_the_retrieval_mode(mode, label):
    html = render.answer_html(FOUND, ARTICLES, show_scores=True, mode=mode)
    assert f"{label} 0.0164" in html


def test_a_traditional_quote_is_shown_in_simplified_with_the_original_a_click_away():
    text = "港園\n\n香港科學園深圳分園2023年9月開園。"
    article = Article(doc_id="p", title="港園", text=text)
    p = Passage(doc_id="p", passage_id="p#0", title="港園", section="", kind="body", text=text[4:], spans=((4, 23),))
    answer = Answer(question="香港科学园深圳分园何时开园？", language="zh-Hans", found=True, hits=[hit(1, p)],
                    text="2023年9月", sentence=text[4:], citation=1, sentence_spans=((4, 23),),
                    text_spans=((13, 20),))
    html = render.answer_html(answer, {"p": article})
    assert ('<p class="wenda-sentence">香港科学园深圳分园<mark class="wenda-answer"><strong>2023年9月</strong></mark>'
            '开园。') in html
    assert ('<details class="wenda-original"><summary>原文</summary><p lang="zh-Hant">香港科學園深圳分園2023年9月開園。'
            '</p></details>') in html
    assert '<blockquote class="wenda-context">港园<br><mark class="wenda-quote">香港科学园深圳分园</mark>' in html
    assert "wenda-original" not in render.answer_html(answer, {"p": article}, language="zh-Hant")


def test_a_citation_names_the_page_of_a_pdf_it_quotes():
    on_page = Passage(doc_id="ferry", passage_id="ferry#9", title=ARTICLE.title, section="Harbour ferry › p. 3",
                      kind="body", text=TEXT[15:95], spans=((15, 95),))
    assert render.page_of(on_page) == "p. 3" and render.page_of(FIRST) == ""
    html = render.citation_html(hit(1, on_page), ARTICLE, "en")
    assert '<span class="wenda-date">2024-05-01</span> · <span class="wenda-page">p. 3</span>' in html
    assert "wenda-page" not in render.citation_html(hit(1, FIRST), ARTICLE, "en")


def test_the_citation_marker_links_to_its_source_and_holds_a_preview_of_the_quote():
    html = render.answer_html(FOUND, ARTICLES, key="3")
    marker = re.search(r'<a class="wenda-ref" href="#wenda-3-source-1">\[1\]<span class="wenda-preview" '
                       r'role="tooltip">(.*?)</span></span></a>', html).group(1)
    assert marker == ('<span class="wenda-preview-quote">The Star Ferry has carried passengers since 1888.</span>'
                      '<span class="wenda-preview-source">[1] Harbour &lt;ferry&gt; · The Standard · 2024-05-01')
    assert '<details class="wenda-citation wenda-rank-1 wenda-cited-passage" id="wenda-3-source-1">' in html
    assert '<details class="wenda-citation wenda-rank-2" id="wenda-3-source-2">' in html


@pytest.mark.parametrize("span, expected", [
    ((50, 80), "…arried passengers since 1888. A crossing takes nine minutes."),  # last: the text before it
    ((0, 49), "The Star Ferry has carried passengers since 1888. A crossing…"),  # first: what follows it
    ((10, 80), "…erry has carried passengers since 1888. A crossing takes nin…"),  # longer than 60: its start
])
def test_a_snippet_is_centred_on_the_sentence_that_matched(span, expected):
    assert render.snippet(FIRST.text, span) == expected


def test_an_uncited_sources_snippet_shows_the_sentence_that_matched_the_question(seed_bot):
    from bot.retrieve import Query

    question = "河套合作區累計PCT國際專利申請量有多少？"
    answer = seed_bot.ask(question, k=5)
    query = Query(question, seed_bot.encoder)
    matched = render.matched_sentences(answer.hits, query.weights(seed_bot.index.bm25), query.pairs)
    html = render.answer_html(answer, seed_bot.index.articles, matched=matched)
    for hit in answer.hits:
        start, end = matched[hit.rank]
        assert hit.passage.text[start:end] in hit.passage.text
    others = [h for h in answer.hits if h.rank != answer.citation]
    late = [h for h in others if matched[h.rank][0] > 0]  # a matched sentence that does not open its passage
    assert late, "some uncited passage matched on a later sentence"
    for hit in late:
        summary = re.search(rf'wenda-rank-{hit.rank}"[^>]*><summary>.*?<span class="wenda-snippet">(.*?)</span>',
                            html).group(1)
        start, end = matched[hit.rank]
        assert summary.startswith("…") and hit.passage.text[start:min(end, start + 20)] in summary


CAPTIONED = ("港園\n\n深圳分園積極幫助企業牽線各大銀行與投\n\n▲6月11日，園區向10個平台授牌。\n\n新華社\n\n"
             "資機構，還定期開展路演。\n\n下一段。")
#             0  2    4                 22 24                         49           61
CAPTIONED_PASSAGE = Passage(doc_id="c", passage_id="c#1", title="港園", section="", kind="body",
                            text="深圳分園積極幫助企業牽線各大銀行與投資機構，還定期開展路演。",
                            spans=((4, 22), (49, 61)))


def test_a_caption_the_layout_put_inside_a_passage_is_shown_apart_from_the_quote():
    article = Article(doc_id="c", title="港園", text=CAPTIONED)
    assert "".join(CAPTIONED[s:e] for s, e in CAPTIONED_PASSAGE.spans) == CAPTIONED_PASSAGE.text
    assert render.captions_between(CAPTIONED, CAPTIONED_PASSAGE.spans) == ["▲6月11日，園區向10個平台授牌。 新華社"]
    html = render.passage_context(article, hit(1, CAPTIONED_PASSAGE), [(render.QUOTE, CAPTIONED_PASSAGE.spans)])
    quote, caption = html.split("</blockquote>")
    assert '<mark class="wenda-quote">深圳分園積極幫助企業牽線各大銀行與投資機構，還定期開展路演。</mark>' in quote
    assert "▲" not in quote
    assert caption == ('<p class="wenda-caption"><span class="wenda-caption-label">Photo caption</span> '
                       '▲6月11日，園區向10個平台授牌。 新華社</p>')


def test_the_plain_text_holds_the_sentence_the_short_answer_and_the_citation_without_markup():
    assert render.answer_text(FOUND, ARTICLES, "en") == [
        "The Star Ferry has carried passengers since 1888. [1]", "Answer: 1888",
        "[1] Harbour <ferry> · The Standard · A. Writer · 2024-05-01 · https://example.org/ferry"]
    assert render.answer_text(ABSTAINED, ARTICLES, "zh-Hant", understood="誰創辦？") == [
        "理解為：誰創辦？", "文章中找不到這個問題的答案。", "相關段落，但並非答案：",
        "[1] Harbour <ferry> · The Standard · A. Writer · 2024-05-01 · https://example.org/ferry"]
    html = render.answer_html(FOUND, ARTICLES)
    assert html.endswith('<div class="wenda-plain" hidden><p>The Star Ferry has carried passengers since 1888. [1]</p>'
                         '<p>Answer: 1888</p><p>[1] Harbour &lt;ferry&gt; · The Standard · A. Writer · 2024-05-01 · '
                         'https://example.org/ferry</p></div></div>')


def test_an_english_reader_gets_the_chinese_short_answer_written_the_english_way(seed_bot):
    answer = seed_bot.ask("When did the Shenzhen branch of the Hong Kong Science Park open?")
    assert answer.found and answer.text == "2023年9月"
    html = render.answer_html(answer, seed_bot.index.articles, language="en")
    assert '<p class="wenda-english" lang="en">In English: <strong>September 2023</strong></p>' in html
    assert "<p>Answer: 2023年9月 (September 2023)</p>" in html
    assert "wenda-english" not in render.answer_html(answer, seed_bot.index.articles, language="zh-Hant")
