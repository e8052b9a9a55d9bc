"""bot.claims: a pasted draft cut into sentences (offsets into the draft) and each sentence into the claims
it joins, on real sentences of the seed article and an English draft."""

from __future__ import annotations

import pytest

from bot.claims import split_draft

from conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")
BRANCH = ("香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構，涵蓋生物醫藥、大數據及人工智能、機器人、新材料、"
          "微電子、金融科技及可持續發展科技等7大範疇。")
SUBJECT = "香港科學園深圳分園"


def claims_of(text: str) -> list[str]:
    return [claim.text for sentence in split_draft(text) for claim in sentence.claims]


def test_the_seed_sentences_are_in_the_seed():
    assert BRANCH in SEED_TEXT


def test_facts_joined_by_commas_are_claims_that_each_carry_the_subject():
    [sentence] = split_draft(BRANCH)
    assert [c.text for c in sentence.claims] == [
        "香港科學園深圳分園2023年9月開園",
        "香港科學園深圳分園已進駐40家香港企業和機構",
        "香港科學園深圳分園涵蓋生物醫藥、大數據及人工智能、機器人、新材料、微電子、金融科技及可持續發展科技等7大範疇",
    ]
    assert [c.subject for c in sentence.claims] == ["", SUBJECT, SUBJECT]


def test_a_time_leads_into_the_claim_after_it():
    sentence = next(s for s in split_draft(SEED_TEXT) if s.text.startswith("今年4月，港深創新及科技園有限公司"))
    first, *rest = sentence.claims
    assert first.text == "今年4月，港深創新及科技園有限公司與首批共59個機構簽署合作備忘錄"
    assert "港深創新及科技園有限公司估計將投資逾10億元" in [c.text for c in rest]


def test_the_subject_is_the_noun_a_describing_clause_leads_to():
    sentence = "深港政府共同出資建設的香港科學園深圳分園自2023年9月開園以來，已進駐40家香港企業和機構。"
    assert sentence in SEED_TEXT
    assert claims_of(sentence)[1] == "香港科學園深圳分園已進駐40家香港企業和機構"


@pytest.mark.parametrize("sentence", [
    "香港創業者劉振韜於2019年在香港組建芯片研發團隊並進入香港科學園孵化。",  # one fact
    "2023年8月，國務院印發《河套深港科技創新合作區深圳園區發展規劃》，給合作區以新的定位：深港科技創新開放合作先導區、"
    "國際先進科技創新規則試驗區以及粵港澳大灣區中試轉化集聚區，並提出到2035年將其打造為「世界級的科研樞紐」的目標。",
    "得知設立香港科學園深圳分園，當即決定將深圳分公司從羅湖搬來。",  # no fact
    "「香港科學園由香港政府發起建設，一直鼓勵港企落戶於深圳園區。」",  # commas inside a quotation
])
def test_a_sentence_that_states_one_fact_stays_whole(sentence):
    assert sentence in SEED_TEXT
    assert claims_of(sentence) == [sentence]


def test_every_sentence_and_claim_of_the_seed_article_points_into_it():
    sentences = split_draft(SEED_TEXT)
    assert len(sentences) > 40
    assert sum(len(s.claims) > 1 for s in sentences) >= 5
    for sentence in sentences:
        assert SEED_TEXT[sentence.start : sentence.end] == sentence.text
        for claim in sentence.claims:
            assert sentence.start <= claim.start < claim.end <= sentence.end
            assert claim.text == claim.subject + SEED_TEXT[claim.start : claim.end]


ENGLISH = ("The Hong Kong Science Park's Shenzhen branch opened in September 2023 and has attracted 40 Hong Kong "
           "companies and institutions. By the end of 2023, the Shenzhen Metro ran more than 500 km of lines.\n\n"
           "Tung Chung has 40,000 residents, and the Star Ferry has carried passengers since 1888.\n"
           "The park, which opened in 2023, has 40 companies.")


def test_an_english_draft():
    sentences = split_draft(ENGLISH)
    assert [[c.text for c in s.claims] for s in sentences] == [
        ["The Hong Kong Science Park's Shenzhen branch opened in September 2023",
         "The Hong Kong Science Park's Shenzhen branch has attracted 40 Hong Kong companies and institutions"],
        ["By the end of 2023, the Shenzhen Metro ran more than 500 km of lines."],  # "when" leads into the claim
        ["Tung Chung has 40,000 residents", "the Star Ferry has carried passengers since 1888"],  # two subjects
        ["The park, which opened in 2023", "The park has 40 companies"],
    ]
    second = sentences[0].claims[1]
    assert ENGLISH[second.start : second.end] == "has attracted 40 Hong Kong companies and institutions"
    assert second.in_draft(len("The Hong Kong Science Park's Shenzhen branch "), len(second.text)) == (second.start,
                                                                                                       second.end)
    assert second.in_draft(0, 3) is None  # inside the borrowed subject


def test_one_claim_a_line_bullets_and_numbers_dropped_and_wrapped_lines_joined():
    text = ("1. 香港科學園深圳分園已進駐40家香港企業\n• 河套合作區匯聚1.5萬餘名科技科研人才\n(3) The Star Ferry has carried "
            "passengers\nacross Victoria Harbour since 1888.\n\n- 2023年8月，國務院印發")
    sentences = split_draft(text)
    assert [s.text for s in sentences] == [
        "香港科學園深圳分園已進駐40家香港企業", "河套合作區匯聚1.5萬餘名科技科研人才",
        "The Star Ferry has carried passengers\nacross Victoria Harbour since 1888.", "2023年8月，國務院印發"]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_an_empty_draft_has_no_sentences():
    assert split_draft(" \n\n• \n") == []
