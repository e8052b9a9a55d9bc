"""bot.passages: sentence-aware passages whose spans slice the source exactly."""

from __future__ import annotations

import pytest

from bot.corpus import Article, read_corpus
from bot.passages import Passage, map_spans, passages_for
from bot.text import split_sentences


def _slices(source: str, passage: Passage) -> str:
    return "".join(source[s:e] for s, e in passage.spans)


@pytest.fixture(scope="module")
def seed_article(seed_corpus) -> Article:
    [article] = read_corpus(seed_corpus).articles
    return article


@pytest.fixture(scope="module")
def tiny_articles(tiny_corpus) -> list[Article]:
    return read_corpus(tiny_corpus).articles


@pytest.mark.parametrize("max_chars", [400, 150, 60, 17])
def test_spans_slice_the_seed_to_each_passage_text(seed_article, max_chars):
    passages = passages_for(seed_article, max_chars)
    assert passages
    for p in passages:
        assert _slices(seed_article.text, p) == p.text
        assert p.start == p.spans[0][0] and p.end == p.spans[-1][1]
        if len(p.spans) == 1:
            assert seed_article.text[p.start : p.end] == p.text
        assert p.text == p.text.strip() and p.text
        assert len(p.text) <= max_chars


def test_spans_slice_the_tiny_corpus_and_each_paragraph_is_a_passage(tiny_articles):
    by_doc: dict[str, list[Passage]] = {}
    for article in tiny_articles:
        for p in passages_for(article, 400):
            assert _slices(article.text, p) == p.text == article.text[p.start : p.end]
            by_doc.setdefault(p.doc_id, []).append(p)
    assert [p.text for p in by_doc["hans"]] == ["深圳地铁于2004年12月28日开通，首条线路为罗宝线。",
                                                "截至2023年底，深圳地铁运营里程超过500公里。"]
    assert [p.text for p in by_doc["en"]] == [
        "The Star Ferry has carried passengers across Victoria Harbour since 1888.",
        "A single crossing takes about nine minutes and costs HK$5.",
    ]
    hant = by_doc["hant"][0]
    assert (hant.title, hant.section, hant.kind, hant.start) == ("維港夜景", "維港夜景", "body", len("維港夜景\n\n"))
    assert hant.search_text() == "維港夜景\n維多利亞港每晚八時上演幻彩詠香江燈光表演，吸引大批旅客。"


def test_seed_passages_keep_kinds_and_join_broken_sentences(seed_article):
    passages = passages_for(seed_article, 400)
    kinds = [p.kind for p in passages]
    assert "heading" not in kinds  # headings live on as sections
    assert kinds.count("caption") == 5 and kinds.count("item") == 3 and kinds.count("byline") == 2
    joined = [p for p in passages if "牽線各大銀行與投資機構" in p.text]
    assert len(joined) == 1 and len(joined[0].spans) == 2
    assert "▲" not in joined[0].text
    assert _slices(seed_article.text, joined[0]) == joined[0].text


def test_passage_ids_are_unique_and_numbered_in_reading_order(seed_article, tiny_articles):
    passages = [p for a in [seed_article, *tiny_articles] for p in passages_for(a, 120)]
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    seed = [p for p in passages if p.doc_id == seed_article.doc_id]
    assert [p.passage_id for p in seed] == [f"{seed_article.doc_id}#{i}" for i in range(len(seed))]
    assert [p.start for p in seed] == sorted(p.start for p in seed)


def test_long_paragraph_is_split_at_sentence_ends(seed_article):
    # the opening paragraph (307 characters, six sentences of at most 82) does not fit in 100
    text = seed_article.text
    paragraph_start = text.index("人才是第一資源")
    paragraph_end = text.index("香港新質生產力源泉。") + len("香港新質生產力源泉。")
    sentence_ends = {paragraph_start + s.end for s in split_sentences(text[paragraph_start:paragraph_end])}
    pieces = [p for p in passages_for(seed_article, 100) if paragraph_start <= p.start < paragraph_end]
    assert len(pieces) >= 4
    for piece in pieces:
        assert len(piece.text) <= 100
        assert piece.end in sentence_ends, piece.text  # cut only where a sentence ends
        assert piece.text.endswith("。")
    # the pieces cover the paragraph: only white space between them, nothing lost
    assert pieces[0].start == paragraph_start and pieces[-1].end == paragraph_end
    assert "".join(p.text for p in pieces) == text[paragraph_start:paragraph_end]
    assert len(passages_for(seed_article, 400)) < len(passages_for(seed_article, 100))


def test_sentences_are_packed_greedily():
    sentences = ["One two three.", "Four five six.", "Seven eight nine.", "Ten."]  # 14, 14, 17, 4
    article = Article(doc_id="d", title="T", text=" ".join(sentences))
    assert [p.text for p in passages_for(article, 30)] == [
        "One two three. Four five six.",  # 29 characters: the third would not fit
        "Seven eight nine. Ten.",
    ]


def test_a_sentence_longer_than_the_limit_is_cut_where_it_must():
    article = Article(doc_id="d", title="", text="甲" * 250 + "。")
    passages = passages_for(article, 100)
    assert [len(p.text) for p in passages] == [100, 100, 51]
    assert "".join(p.text for p in passages) == article.text
    assert [p.spans for p in passages] == [((0, 100),), ((100, 200),), ((200, 251),)]


def test_a_split_passage_keeps_the_spans_of_a_joined_sentence():
    source = "Title\n\nThe first sentence is long enough. The second is broken by the\n\n▲ A caption.\n\nlayout of the page.\n"
    article = Article(doc_id="d", title="Title", text=source)
    passages = passages_for(article, 60)  # the joined block is 82 characters: two sentences of 34 and 47
    body = [p for p in passages if p.kind == "body"]
    assert [p.text for p in body] == ["The first sentence is long enough.",
                                      "The second is broken by the\nlayout of the page."]
    assert len(body[1].spans) == 2
    for p in passages:
        assert _slices(source, p) == p.text


def test_map_spans_maps_text_offsets_back_to_source_spans():
    spans = ((10, 15), (20, 23))  # text of 8 characters: 5 from the first span, 3 from the second
    assert map_spans(spans, 0, 8) == spans
    assert map_spans(spans, 2, 4) == ((12, 14),)
    assert map_spans(spans, 3, 7) == ((13, 15), (20, 22))
    assert map_spans(spans, 5, 8) == ((20, 23),)
    assert map_spans(spans, 4, 4) == ()
