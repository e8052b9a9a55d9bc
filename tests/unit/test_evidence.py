"""bot.evidence: how much of a question a sentence states, on sentences of the seed article."""

from __future__ import annotations

import functools

import pytest

from bot.evidence import char_pairs, contains, coverage, pair_share, token_holder
from bot.text import normalize

SENTENCE = normalize("香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。")


def test_contains_finds_chinese_words_anywhere_and_latin_words_whole() -> None:
    assert contains(SENTENCE, "进驻") and contains(SENTENCE, "企业")
    assert not contains(SENTENCE, "员工")
    english = normalize("The Science Park's Shenzhen branch opened in September 2023.")
    assert contains(english, "science") and contains(english, "2023") and contains(english, "park's")
    assert not contains(english, "art")  # inside "park" and "start" but never a word of its own
    assert not contains("restart the engine", "start")


def test_coverage_weighs_words_by_idf_and_counts_translations() -> None:
    weights = [("进驻", 2.0, []), ("企业", 1.0, []), ("员工", 1.0, [])]
    holds = functools.partial(contains, SENTENCE)
    assert coverage(weights, holds) == pytest.approx(3 / 4)
    translated = [("companies", 2.0, ["企业", "公司"]), ("staff", 2.0, ["员工"])]
    assert coverage(translated, holds) == pytest.approx(1 / 2)
    assert coverage([], holds) == 0.0


def test_coverage_on_a_token_set() -> None:
    weights = [("进驻", 1.0, []), ("进", 1.0, [])]
    assert coverage(weights, {"进驻", "企业"}.__contains__) == pytest.approx(1 / 2)


def test_token_holder_tolerates_english_inflection_only() -> None:
    holds = token_holder(["the", "companies", "opened", "深圳", "labs"])
    assert holds("company") and holds("companies") and holds("open") and holds("opening") and holds("lab")
    assert holds("深圳") and not holds("深")  # Chinese words match whole, as tokens
    assert not holds("compass") and not holds("opera")
    irregular = token_holder(["he", "led", "the", "team", "and", "won"])
    assert irregular("lead") and irregular("win") and not irregular("wine")


def test_character_pairs_match_across_scripts_and_cuts() -> None:
    question = char_pairs("深圳分園進駐了多少家企業？")
    assert "进驻" in question and "分园" in question and "驻了" in question
    # 深圳 圳分 分园 进驻 企业 of the question's 11 pairs are in the sentence (not 园进, 家企, 驻了…)
    assert len(question) == 11 and pair_share(question, SENTENCE) == pytest.approx(5 / 11)
    assert pair_share(char_pairs("How many firms?"), SENTENCE) == 0.0
