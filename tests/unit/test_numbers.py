"""bot.numbers: numerals, quantities and dates read out of Chinese and English text, with the values
worked out by hand, and the rule that says whether a claim's figure agrees with an article's."""

from __future__ import annotations

import math

import pytest

from bot.numbers import (AGREES, DIFFERS, VAGUER, Date, Quantity, compare, compatible, facts, parse_chinese_number,
                         parse_english_number)

INF = math.inf


def one(text: str, reference_year: int | None = None):
    found = facts(text, reference_year)
    assert len(found) == 1, f"{text!r} gave {found}"
    return found[0]


def interval(q: Quantity) -> tuple[float, float, bool, bool]:
    return q.low, q.high, q.low_closed, q.high_closed


# ------------------------------------------------------------------------------------------ numerals


@pytest.mark.parametrize("text, value", [
    ("四十", 40),  # 4 × 10
    ("一百六十", 160),  # 1 × 100 + 6 × 10
    ("十五", 15),  # a leading 十 is 1 × 10
    ("二十", 20),
    ("百", 100),
    ("兩萬", 20_000),  # 兩 is 2 (Traditional; normalised to 两)
    ("一萬五千", 15_000),  # 1 × 10^4 + 5 × 10^3
    ("三千零五", 3_005),
    ("1.5萬", 15_000),  # 1.5 × 10^4
    ("2766億", 276_600_000_000),  # 2766 × 10^8
    ("百億", 10_000_000_000),  # 100 × 10^8
    ("一萬億", 1_000_000_000_000),  # 10^4 × 10^8
    ("二〇二三", 2023),  # digit by digit, as years are written
])
def test_chinese_numerals(text, value):
    assert parse_chinese_number(text) == value


@pytest.mark.parametrize("text, value", [
    ("forty", 40),
    ("three", 3),
    ("twenty-one", 21),
    ("one hundred and sixty", 160),
    ("two thousand five hundred", 2_500),
    ("a dozen", 12),
    ("1.5 million", 1_500_000),
    ("2,766", 2_766),
])
def test_english_numerals(text, value):
    assert parse_english_number(text) == value


def test_a_word_that_is_not_a_numeral_is_an_error():
    with pytest.raises(ValueError):
        parse_chinese_number("河套")
    with pytest.raises(ValueError):
        parse_english_number("forty companies")


# ----------------------------------------------------------------------------------------- quantities


def test_a_count_keeps_its_span_counter_and_unit_class():
    q = one("已進駐40家香港企業")
    assert (q.kind, q.text, q.start, q.end) == ("number", "40家", 3, 6)
    assert interval(q) == (40, 40, True, True)
    assert (q.unit, q.counter) == ("org", "家")


@pytest.mark.parametrize("text, expected", [
    ("超1700件", (1700, INF, False, False)),  # 超: more than
    ("超過160個", (160, INF, False, False)),
    ("逾10億元", (1_000_000_000, INF, False, False)),
    ("超百億元", (10_000_000_000, INF, False, False)),
    ("50家以上", (50, INF, True, False)),  # 以上: at least
    ("不到一百人", (-INF, 100, False, False)),
    ("130多人", (130, 140, True, False)),  # 多 after 130: up to the next ten
    ("1.5萬餘名", (15_000, 16_000, True, False)),  # 餘 after 1.5萬: up to the next thousand
    ("十多個", (10, 20, True, False)),
    ("約40家", (36, 44, True, True)),  # 約: within a tenth
    ("近兩年", (1.8, 2, True, True)),  # 近: a little under
    ("數以千計", (2_000, 10_000, True, False)),  # thousands: several times a thousand
    ("2766億港元", (276_550_000_000, 276_650_000_000, True, True)),  # rounded to the 億: ± half of 10^8
])
def test_chinese_quantities_become_the_interval_their_wording_allows(text, expected):
    assert interval(one(text)) == pytest.approx(expected)


@pytest.mark.parametrize("text, expected, unit", [
    ("more than 1,700 patent applications", (1700, INF, False, False), "generic"),
    ("about nine minutes", (8.1, 9.9, True, True), "minute"),
    ("forty companies", (40, 40, True, True), "org"),
    ("at least 50 firms", (50, INF, True, False), "org"),
    ("1,700-plus patents", (1700, INF, False, False), "generic"),
    ("HK$276.6 billion", (276_550_000_000, 276_650_000_000, True, True), "HKD"),  # ± half of 0.1 billion
    ("10 billion yuan", (9_500_000_000, 10_500_000_000, True, True), "CNY"),
    ("thousands of people", (2_000, 10_000, True, False), "people"),
])
def test_english_quantities(text, expected, unit):
    q = one(text)
    assert interval(q) == pytest.approx(expected)
    assert q.unit == unit


def test_the_same_sum_written_in_both_languages_gives_the_same_interval():
    assert interval(one("2766億港元")) == pytest.approx(interval(one("HK$276.6 billion")))
    assert interval(one("1.5萬")) == pytest.approx(interval(one("15 thousand")))


@pytest.mark.parametrize("text, value", [("5.2%", 5.2), ("百分之三十", 30), ("三成", 30), ("30 per cent", 30)])
def test_percentages(text, value):
    q = one(text)
    assert (q.kind, q.low, q.high) == ("percent", value, value)


@pytest.mark.parametrize("text", [
    "一直", "統一", "兩地", "第三", "之一", "一棟棟大樓", "一步", "COVID-19", "5G", "H5N1", "the 27th", "one of them",
])
def test_words_that_only_look_like_numbers_are_not_quantities(text):
    assert facts(text) == []


def test_a_text_gives_every_fact_in_reading_order():
    text = "河套合作區推進和落地高端科研項目超過160個，匯聚8個世界500強企業研發中心、1.5萬餘名科技科研人才，累計PCT國際專利申請量超1700件。"
    assert [f.text for f in facts(text)] == ["超過160個", "8個", "500強", "1.5萬餘名", "超1700件"]
    assert all(text[f.start : f.end] == f.text for f in facts(text))


# ---------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize("text, ymd", [
    ("2023年9月", (2023, 9, None)),
    ("2017年7月簽署", (2017, 7, None)),
    ("至2023年底", (2023, 12, None)),  # the end of a year is its December
    ("6月11日", (None, 6, 11)),
    ("二〇二三年", (2023, None, None)),
    ("September 2023", (2023, 9, None)),
    ("11 June 2024", (2024, 6, 11)),
    ("June 11, 2024", (2024, 6, 11)),
    ("2024-06-11", (2024, 6, 11)),
    ("by the end of 2023", (2023, 12, None)),
    ("since 1888", (1888, None, None)),
    ("in 2019", (2019, None, None)),
])
def test_dates(text, ymd):
    d = one(text)
    assert isinstance(d, Date)
    assert (d.year, d.month, d.day) == ymd


def test_relative_years_are_read_against_the_reference_year():
    assert (one("今年4月", 2024).year, one("今年4月", 2024).month) == (2024, 4)
    assert one("去年", 2024).year == 2023
    assert one("last year", 2024).year == 2023
    assert one("今年4月").year is None  # without a reference the month stays, the year is unknown
    assert facts("this year") == []


def test_a_year_followed_by_a_counted_noun_is_a_number_and_may_only_with_a_day_is_a_month():
    assert one("2000 companies").kind == "number"
    assert facts("it may rain") == []
    assert (one("May 5").month, one("May 5").day) == (5, 5)


# -------------------------------------------------------------------------------------------- compare


@pytest.mark.parametrize("claim, article, outcome", [
    ("40家", "40家", AGREES),
    ("60家", "40家", DIFFERS),
    ("1,800", "超1700件", AGREES),  # a value the article's range allows
    ("more than 1,500", "超1700件", AGREES),  # a weaker range than the article's
    ("超過2000件", "超1700件", DIFFERS),  # a stronger range than the article's
    ("1500多件", "超1700件", DIFFERS),
    ("130", "130多人", AGREES),
    ("150", "130多人", DIFFERS),
    ("超過一百人", "130多人", AGREES),
    ("16,000", "1.5萬餘名", DIFFERS),  # 1.5萬餘 stops short of 16,000
    ("15,000", "1.5萬餘名", AGREES),
    ("forty", "四十家", AGREES),
    ("more than forty", "四十多幢", AGREES),
    ("HK$276.6 billion", "2766億港元", AGREES),
    ("HK$277 billion", "2766億港元", AGREES),  # rounded to the billion
    ("HK$376.6 billion", "2766億港元", DIFFERS),
    ("US$276.6 billion", "2766億港元", DIFFERS),  # another currency
    ("超千億元", "超百億元", DIFFERS),
    ("80家以上", "50家以上", DIFFERS),
    ("30家以上", "50家以上", AGREES),
])
def test_compare_quantities(claim, article, outcome):
    assert compare(one(claim), one(article)) == outcome


@pytest.mark.parametrize("claim, article, outcome", [
    ("September 2023", "2023年9月", AGREES),
    ("March 2023", "2023年9月", DIFFERS),
    ("2022年9月", "2023年9月", DIFFERS),
    ("in 2023", "2023年9月", AGREES),  # less precise than the article, and true
    ("2023年9月1日", "2023年9月", VAGUER),  # the article does not give the day
    ("the end of 2023", "2023年底", AGREES),
])
def test_compare_dates(claim, article, outcome):
    assert compare(one(claim), one(article)) == outcome


def test_compatible_facts_measure_the_same_kind_of_thing():
    assert compatible(one("40家"), one("7個"))  # 個 counts anything
    assert compatible(one("60 companies"), one("40家"))
    assert compatible(one("HK$5"), one("10億元"))  # sums of money, whatever the currency
    assert not compatible(one("40家"), one("2766億港元"))
    assert not compatible(one("40家"), one("2023年9月"))
    assert not compatible(one("5%"), one("5家"))
    assert not compatible(one("三班"), one("130多人"))
