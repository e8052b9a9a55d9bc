"""bot.english: short answers from the seed article written the English way, a formatting of the span only."""

from __future__ import annotations

import pytest

from bot.english import amount, english, ordinal, pinyin_name

# Sentences of the seed article (corpus/000_4537e6698f2b37d0.txt), each with spans Wenda answers with.
OPENED = "深港政府共同出資建設的香港科學園深圳分園自2023年9月開園以來，已進駐40家香港企業和機構。"
LISTED = "至2023年底，有126間醫療健康及生物科技公司可在港上市，集資額2766億港元。"
PROJECTS = ("河套合作區推進和落地高端科研項目超過160個，匯聚8個世界500強企業研發中心、香港5所世界百強高校項目10個、"
            "1.5萬餘名科技科研人才，累計PCT國際專利申請量超1700件。")
DIRECTOR = "港科大深港協同創新研究院執行總監高凌雲介紹。"
FUNDED = "「特區政府通過科技創新及產業發展局（ITF）的資助計劃，支持了河套深港科技創新轉化醫學研究院"
RESEARCH = "香港科技大學深港協同創新研究院於2020年在河套合作區深圳園區成立後，至今已設立17個實驗室，建成科研隊伍130多人。"
SIGNED = ("今年4月，港深創新及科技園有限公司與首批共59個機構簽署合作備忘錄，分別來自香港、內地和7個海外國家，"
          "多聚焦於生命健康科技、新能源和微電子等產業，估計將投資逾10億元，創造數以千計的就業機會。")
CROSSING = "去年9月，在河套深港科技創新合作區，「科匯通」業務正式試點"
MARKED = "▲6月11日，河套深圳園區向10個中試平台授牌"


def test_the_sentences_are_the_seed_articles(seed_text):
    for sentence in (OPENED, LISTED, PROJECTS, DIRECTOR, FUNDED, RESEARCH, SIGNED, CROSSING, MARKED):
        assert sentence in seed_text


@pytest.mark.parametrize("span, sentence, written", [
    ("2023年9月", OPENED, "September 2023"),
    ("2023年底", LISTED, "the end of 2023"),
    ("2020年", RESEARCH, "2020"),
    ("去年9月", CROSSING, "September last year"),
    ("6月11日", MARKED, "11 June"),
])
def test_a_date(span, sentence, written):
    assert english(span, sentence) == written


@pytest.mark.parametrize("span, sentence, written", [
    ("40家", OPENED, "40 (香港企業和機構)"),  # the counted noun as the sentence gives it
    ("126間", LISTED, "126 (醫療健康及生物科技公司)"),
    ("2766億港元", LISTED, "HK$276.6 billion"),
    ("超過160個", PROJECTS, "over 160"),  # nothing counted follows: the number alone
    ("8個", PROJECTS, "8 (世界500強企業研發中心)"),
    ("5所", PROJECTS, "5 (世界百強高校項目)"),  # not running on into the next count, 10個
    ("1.5萬餘名", PROJECTS, "more than 15,000 (科技科研人才)"),
    ("超1700件", PROJECTS, "over 1,700"),
    ("130多人", RESEARCH, "more than 130"),
    ("17個", RESEARCH, "17 (實驗室)"),
    ("逾10億元", SIGNED, "over 1 billion (元)"),  # 元 is dollars or yuan by the article's place: kept
])
def test_a_quantity(span, sentence, written):
    assert english(span, sentence) == written


def test_a_bound_the_article_words_otherwise():
    assert english("超過2766億港元") == "over HK$276.6 billion"
    assert english("數以千計", SIGNED) == ""  # vague: no formatting states it


def test_a_name_in_pinyin_or_the_english_the_article_gives_in_brackets():
    assert english("高凌雲", DIRECTOR) == "Gao Lingyun"
    assert english("科技創新及產業發展局", FUNDED) == "ITF"
    assert english("科技創新及產業發展局（ITF）", FUNDED) == "ITF"
    assert pinyin_name("曾志偉") == "Zeng Zhiwei" and pinyin_name("歐陽震華") == "Ouyang Zhenhua"


@pytest.mark.parametrize("span, sentence", [
    ("香港科學園深圳分園", OPENED),  # a place, not a person: no pinyin (Hong Kong is not Xianggang)
    ("已進駐40家香港企業和機構", OPENED),  # more than one thing
    ("HK$5", "A single crossing takes about nine minutes and costs HK$5."),  # English already
])
def test_anything_else_gets_no_english(span, sentence):
    assert english(span, sentence) == ""


def test_amounts_and_ordinals():
    assert [amount(v) for v in (40, 1700, 15000, 0.5, 276_600_000_000, 1_200_000)] == \
        ["40", "1,700", "15,000", "0.5", "276.6 billion", "1.2 million"]
    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 22, 27)] == ["1st", "2nd", "3rd", "11th", "12th", "22nd", "27th"]

