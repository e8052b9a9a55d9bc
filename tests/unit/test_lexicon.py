"""bot.lexicon: a claim's content words, and whether a text states a word, a synonym, a translation or
the opposite of it (CC-CEDICT and bot/data/antonyms.tsv, on real words of news)."""

from __future__ import annotations

import pytest

from bot.lexicon import Context, Word, content_words, opposites, synonyms
from bot.text import normalize


def test_content_words_leave_out_function_words_aspect_adverbs_and_reporting_verbs():
    words = [w.text for w in content_words("執行總監表示，研究院至今已經設立了17個實驗室。")]
    assert words[:3] == [normalize("執行"), normalize("總監"), normalize("研究院")] and normalize("設立") in words
    assert not {normalize(w) for w in ("表示", "至今", "已經", "了")} & set(words)
    english = [w.text for w in content_words("The institute has only set up 17 laboratories, he said.")]
    assert english == ["institute", "only", "set", "up", "laboratories"]


def test_content_words_skip_the_spans_compared_on_their_own():
    text = "研究院已設立17個實驗室"
    assert [w.text for w in content_words(text, skip=[(0, 3)])][0] == normalize("設立")


def test_qualifiers_that_change_a_claim_are_content_words():
    assert normalize("首次") in [w.text for w in content_words("研究院首次設立實驗室")]
    assert "first" in [w.text for w in content_words("It was the first company to move in.")]


@pytest.mark.parametrize("word, synonym", [("設立", "成立"), ("簽訂", "簽署"), ("企業", "公司")])
def test_synonyms_share_a_specific_gloss(word, synonym):
    assert normalize(synonym) in synonyms(normalize(word))


@pytest.mark.parametrize("word, opposite", [
    ("簽署", "終止"), ("增加", "減少"), ("上升", "下降"), ("成立", "解散"), ("擴大", "縮小"),
    ("開園", "閉園"),  # one character for its opposite, read off pairs such as 開業/結業 and 開放/關閉
    ("rise", "fall"), ("signed", "terminate"),
])
def test_opposites_of_news_predicates(word, opposite):
    assert normalize(opposite) in opposites(normalize(word))


def test_an_english_word_opposes_the_opposite_of_its_chinese_translation():
    assert normalize("簽署") in opposites("terminated")


def test_a_word_is_never_its_own_synonym_and_opposite():
    for word in map(normalize, ("簽署", "增加", "開放", "上市")):
        assert not synonyms(word) & opposites(word)


def test_context_holds_words_synonyms_and_translations_in_both_directions():
    zh = Context("今年4月，港深創新及科技園有限公司與首批共59個機構簽署合作備忘錄。")
    assert zh.holds(normalize("簽訂")) and zh.holds("signed") and zh.holds("memorandum") and zh.holds("companies")
    assert not zh.holds(normalize("終止")) and not zh.holds("terminated")
    en = Context("The Star Ferry has carried passengers across Victoria Harbour since 1888.")
    assert en.holds("carries") and not en.holds("bus")


def test_a_pinyin_word_finds_its_chinese_and_a_translation_its_head_character():
    context = Context("香港科學園深圳分園2023年9月開園，進駐河套合作區。")
    assert context.holds("hetao") and context.holds("branch") and context.holds("opened")


def test_an_opposite_is_found_as_the_holding_rules_read_words():
    context = Context("香港科學園深圳分園2023年9月開園，組建團隊。")
    start, end = context.opposite(Word("closed", 0, 6, "eng"))
    assert context.norm[start:end] == normalize("開園")  # "open" → 開放 → the head of 開園
    start, end = Context("首批三棟大樓將在年底陸續落成").opposite(Word(normalize("拆卸"), 0, 2, "v"))
    assert (start, end) == (12, 14)
    assert Context("香港科學園深圳分園開園").opposite(Word(normalize("閉"), 0, 1, "v")) is not None
    assert Context("香港科學園深圳分園開園").opposite(Word("opened", 0, 6, "eng")) is None
    assert Context("組建團隊").holds("organized")  # CC-CEDICT glosses 組建 "to put together; to organize"


def test_a_wider_context_holds_words_and_translations_but_no_synonyms_or_head_characters():
    text = "香港科技大學深港協同創新研究院於2020年在深圳分園成立"
    loose, exact = Context(text), Context(text, loose=False)
    assert loose.holds(normalize("設立")) and not exact.holds(normalize("設立"))
    assert loose.holds("branch") and not exact.holds("branch")
    assert exact.holds("university") and exact.holds(normalize("研究院"))
