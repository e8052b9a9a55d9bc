"""bot.followup: follow-up questions understood from the earlier ones, worked out by hand."""

from __future__ import annotations

import pytest

from bot.followup import Understood, names, resolve, subject_of, understand

PARK = "香港科學園深圳分園進駐了多少家企業？"
INSTITUTE = "港科大深港協同創新研究院的執行總監是誰？"


@pytest.mark.parametrize("question, subject", [
    (PARK, "香港科學園深圳分園"),
    (INSTITUTE, "港科大深港協同創新研究院"),  # a name before 的, not the title after it
    ("劉振韜於哪一年在香港組建芯片研發團隊？", "劉振韜"),  # a person before a longer common noun
    ("國務院何時印發《河套深港科技創新合作區深圳園區發展規劃》？", "《河套深港科技創新合作區深圳園區發展規劃》"),
    ("香港科学园深圳分园是什么时候开园的？", "香港科学园深圳分园"),  # Simplified kept as typed
    ("When did the Shenzhen branch of the Hong Kong Science Park open?", "Shenzhen branch of the Hong Kong Science Park"),
    ("In which year did Liu Zhentao set up his team?", "Liu Zhentao"),  # "In" only starts the sentence
    ("何時開園？", ""),  # 開園 is tagged a place by jieba's dictionary, and is no name
    ("When did it open?", ""),
])
def test_the_subject_is_the_name_a_follow_up_means(question, subject):
    assert subject_of(question) == subject


def test_a_pronoun_is_replaced_by_the_subject_of_the_earlier_question():
    understood = understand("它何時開園？", [PARK])
    assert understood == Understood("它何時開園？", "香港科學園深圳分園何時開園？", "香港科學園深圳分園")
    assert understood.changed


def test_a_question_without_a_subject_gets_it_in_front():
    assert understand("每天有幾班？", ["直通跨境巴士專線是何時開通的？"]).text == "直通跨境巴士專線 每天有幾班？"
    # an English name is its capitalised words: "bus" is left out
    assert understand("How many trips a day?", ["When did the Hong Kong Science Park bus start?"]).text == \
        "Hong Kong Science Park: How many trips a day?"


def test_english_pronouns_and_possessives():
    history = ["When did the Shenzhen branch of the Hong Kong Science Park open?"]
    assert understand("How many companies has it attracted?", history).text == \
        "How many companies has Shenzhen branch of the Hong Kong Science Park attracted?"
    assert understand("Where did he move his office from?", ["Who is Liu Zhentao?"]).text == \
        "Where did Liu Zhentao move his office from?"  # the first pronoun only: the rest refer back to it
    assert understand("How long is his commute?", ["Who is Liu Zhentao?"]).text == "How long is Liu Zhentao's commute?"


def test_a_determiner_puts_the_subject_before_the_question():
    assert resolve("該研究院發表了多少篇論文？", "港科大深港協同創新研究院").text == \
        "港科大深港協同創新研究院 該研究院發表了多少篇論文？"


def test_the_subject_carries_through_a_chain_of_follow_ups():
    assert understand("涵蓋多少個範疇？", [PARK, "它是甚麼時候開園的？"]).text == "香港科學園深圳分園 涵蓋多少個範疇？"


@pytest.mark.parametrize("question, history", [
    ("河套合作區在哪裏？", [PARK]),  # a subject of its own
    ("它何時開園？", []),  # nothing to carry
    ("它何時開園？", ["今年3月舉辦了什麼活動？"]),  # no name earlier
    ("香港科學園深圳分園何時開園？", [PARK]),  # already holds the subject
])
def test_a_question_that_needs_nothing_is_kept_as_asked(question, history):
    understood = understand(question, history)
    assert understood.text == question and not understood.changed and understood.subject == ""


def test_names_are_runs_of_nouns_with_a_proper_noun_or_of_two_nouns():
    assert names(PARK) == ["香港科學園深圳分園"]  # 企業 alone is a common noun of two characters
    assert names("香港科學園深圳分園進駐了多少家香港企業和機構？") == ["香港科學園深圳分園", "香港企業和機構"]
