"""bot.factcheck's pure parts: finding names, pairing a claim's facts with a sentence's, and clause runs."""

from __future__ import annotations

from bot.factcheck import align, align_names, clauses, names
from bot.numbers import facts
from bot.text import normalize


def _pairs(claim: str, sentence: str) -> list[tuple[str, str | None]]:
    pairs = align(facts(claim, 2024), normalize(claim), facts(sentence, 2024), normalize(sentence))
    return [(c.text, s.text if s else None) for c, s in pairs]


def test_a_surname_jieba_split_off_is_joined_back_to_the_given_name():
    found = names("港科大深港協同創新研究院執行總監高凌雲介紹。")
    assert ("nr", "高凌雲") in [(n.kind, n.text) for n in found]
    assert [n.text for n in names("執行院長王雪萊表示") if n.kind == "nr"] == ["王雪萊"]


def test_places_and_organisations_keep_the_article_spelling_and_offsets():
    text = "2023年8月，國務院印發規劃；劉振韜將深圳分公司從羅湖搬來。"
    found = {(n.kind, n.text) for n in names(text)}
    assert {("nt", "國務院"), ("nr", "劉振韜"), ("ns", "羅湖")} <= found
    assert all(text[n.start : n.end] == n.text for n in names(text))


def test_latin_names_skip_sentence_openers_numbers_and_months():
    text = "The Star Ferry has sailed across Victoria Harbour since September 1888. Forty boats."
    found = [n.text for n in names(text)]
    assert found == ["Star Ferry", "Victoria Harbour"]


def test_an_abbreviation_counts_as_a_mention():
    claim = "港科大深港協同創新研究院執行總監是高凌雲"
    sentence = "香港科技大學深港協同創新研究院執行總監高凌雲介紹。"
    pairs = align_names(names(claim), normalize(claim), names(sentence), normalize(sentence))
    assert all(mine is theirs for mine, theirs in pairs)


def test_a_name_in_the_same_role_is_paired_with_the_claims():
    claim = "港科大深港協同創新研究院執行總監是王雪萊"
    sentence = "港科大深港協同創新研究院執行總監高凌雲介紹。"
    pairs = align_names(names(claim), normalize(claim), names(sentence), normalize(sentence))
    assert [(mine.text, theirs.text) for mine, theirs in pairs if mine is not theirs] == [("王雪萊", "高凌雲")]


def test_facts_pair_by_the_words_around_them_not_by_position():
    # 12個 sits where 8個 does ("世界500強企業研發中心" follows both), though 10個 comes later too
    assert _pairs("河套合作區匯聚了12個世界500強企業研發中心。",
                  "河套合作區匯聚8個世界500強企業研發中心、香港5所世界百強高校項目10個。") == [("12個", "8個"), ("500強", "500強")]


def test_across_languages_a_fact_beside_an_agreeing_one_pairs_with_its_neighbour():
    claim = "In April 2024 the company signed agreements with 69 organisations."
    sentence = "今年4月，港深創新及科技園有限公司與首批共59個機構簽署合作備忘錄，分別來自7個海外國家。"
    assert _pairs(claim, sentence) == [("April 2024", "今年4月"), ("69", "59個")]


def test_a_value_merely_inside_a_range_is_too_weak_to_pair_on():
    assert _pairs("The zone has 25,000 scientists and engineers of many kinds.", "項目超過160個，申請量超1700件。") == [
        ("25,000", None)]


def test_an_unrelated_fact_stays_unpaired():
    assert _pairs("香港科學園深圳分園已進駐60家香港企業。", "2023年10月開通直通巴士，每天三班往返。") == [("60家", None)]


def test_clause_runs_of_a_sentence():
    assert clauses("甲，乙，丙。") == ["甲，乙，丙。", "甲，", "甲，乙，", "乙，", "乙，丙。", "丙。"]
    assert clauses("One clause only.") == ["One clause only."]


def test_a_name_written_twice_in_the_sentence_pairs_by_role():
    # 香港 of 香港科學園 is the claim's own; the 香港 of 40家香港企業 stands where 美國 does
    claim = "香港科學園深圳分園已進駐40家美國企業。"
    sentence = "香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。"
    pairs = align_names(names(claim), normalize(claim), names(sentence), normalize(sentence))
    differing = [(mine.text, theirs.start) for mine, theirs in pairs if theirs is not None and mine is not theirs]
    assert differing == [("美國", sentence.index("香港企業"))]
