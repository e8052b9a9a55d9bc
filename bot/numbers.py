"""Quantities and dates in Chinese and English text, normalised to comparable values with their spans.

``facts(text)`` finds numbers (Arabic, Chinese and English numerals, with 萬/億/thousand/million/billion),
percentages, sums of money and dates, each with the character span it came from; ``compare(claim,
article)`` says whether two of them agree. An approximation marker (超/逾/多/餘/以上/over/more than/
about…) turns a stated value into the interval of values the text allows, so "超1700件" agrees with
"1,800" while "40家" differs from "60家". Pure functions: text in, records out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Union

from .text import CJK, normalize

INF = math.inf
_CJK = re.compile(f"[{CJK}]")

AGREES = "agrees"
DIFFERS = "differs"
VAGUER = "vaguer"  # the article states less than the claim (a date without the claim's day): no verdict

# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Quantity:
    """A number, percentage or sum of money: the figure stated and the interval of values its wording
    allows (超1700 → 1700 < x; 130多 → 130 ≤ x < 140; 2766億 → within half a 億 of 2766億).

    ``unit`` is a class shared by Chinese counters and English nouns ("org" for 家/companies, "HKD" for
    港元/HK$, "percent"…; "" when the text names none); ``counter`` is the word as written (normalised).
    """

    kind: str  # "number" or "percent"
    value: float
    low: float
    high: float
    low_closed: bool
    high_closed: bool
    unit: str
    counter: str
    start: int
    end: int
    text: str

    @property
    def bounded(self) -> bool:
        """True when the wording gives a range (超/over, 不到/under), not a value or a narrow band."""
        return self.low == -INF or self.high == INF


@dataclass(frozen=True)
class Date:
    """A calendar date with the precision the text gives (None for what it leaves out)."""

    year: int | None
    month: int | None
    day: int | None
    start: int
    end: int
    text: str
    kind: str = "date"
    unit: str = "date"
    counter: str = ""


Fact = Union[Quantity, Date]

# ----------------------------------------------------------------------------------- unit vocabularies

# Chinese counters (Simplified, as ``normalize`` leaves them) by unit class; longest match wins.
_ZH_UNITS = {
    "hour": "个小时 小时 钟头", "minute": "分钟", "clock": "时 点钟", "month": "个月", "day": "天", "anniversary": "周年",
    "year": "年", "age": "岁", "HKD": "港元 港币", "USD": "美元", "CNY": "人民币", "money": "元",
    "percent": "%", "point": "个百分点", "org": "家 间 所", "people": "名 人 位", "paper": "篇",
    "building": "栋 幢 座", "trip": "班 趟", "times": "次", "fold": "倍", "rank": "强",
    "generic": "个 项 件 款 种 类 条 只 张 台 部 辆 宗 笔 份 期 届 轮 场 层 套", "km": "公里",
    "sqkm": "平方公里", "metre": "米",
}
_ZH_UNIT_CLASS = {word: cls for cls, words in _ZH_UNITS.items() for word in words.split()}

# English nouns (singular; plurals are folded) by the same classes.
_EN_UNITS = {
    "org": "company firm enterprise business institution organisation organization institute university "
           "bank startup start-up college school",
    "people": "people person researcher scientist talent professional employee worker staff member resident "
              "visitor passenger tourist student expert scholar engineer",
    "paper": "paper publication",
    "building": "building tower block",
    "trip": "trip round-trip service departure run",
    "clock": "o'clock pm am",
    "times": "time",
    "fold": "fold",
    "year": "year",
    "month": "month",
    "day": "day",
    "hour": "hour",
    "minute": "minute",
    "anniversary": "anniversary",
    "age": "year-old",
    "generic": "project lab laboratory centre center item platform patent application category sector field area "
               "country unit line batch product programme program team result",
    "km": "kilometre kilometer km",
    "percent": "percent per-cent",
    "point": "percentage-point",
}
_EN_UNIT_CLASS = {word: cls for cls, words in _EN_UNITS.items() for word in words.split()}

# Classes that count things; "generic" (个, items) and "" fit any of them. The rest are measures.
_COUNTS = frozenset({"org", "people", "paper", "building", "trip", "generic", "rank", ""})
_MONEY = frozenset({"HKD", "USD", "CNY", "money"})


def compatible(a: Fact, b: Fact) -> bool:
    """Whether two facts measure the same kind of thing, so comparing their values makes sense."""
    if a.kind != b.kind:
        return False
    if a.kind == "date":
        return True
    ua, ub = a.unit, b.unit
    if ua == ub or "" in (ua, ub):
        return True
    if ua in _MONEY and ub in _MONEY:
        return True
    return ua in _COUNTS and ub in _COUNTS and "generic" in (ua, ub)


# ------------------------------------------------------------------------------------------ numerals

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
_ARABIC = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def parse_chinese_number(text: str) -> float:
    """The value of a Chinese or mixed numeral: 一百六十 → 160, 兩萬 → 20000, 1.5萬 → 15000,
    2766億 → 276600000000, 百億 → 10000000000, 二〇二三 → 2023 (Traditional or Simplified)."""
    s = normalize(text).replace(",", "")
    if s and all(c in _ZH_DIGITS for c in s) and len(s) > 1:
        return float("".join(str(_ZH_DIGITS[c]) for c in s))  # digit by digit, as years are written
    total = 0.0  # finished 亿 groups
    section = 0.0  # finished 万 group inside the current 亿 group
    group = 0.0  # the current group below 万
    number: float | None = None
    i = 0
    while i < len(s):
        c = s[i]
        arabic = _ARABIC.match(s, i)
        if arabic:
            number = float(arabic.group())
            i = arabic.end()
            continue
        if c in _ZH_DIGITS:
            number = float(_ZH_DIGITS[c])
        elif c in _ZH_SMALL:
            group += (1.0 if number is None else number) * _ZH_SMALL[c]
            number = None
        elif c in _ZH_BIG:
            value = group + (number or 0.0)
            if c == "万":
                section += (value or 1.0) * 10_000
            else:
                total = (total + section + value or 1.0) * 100_000_000
                section = 0.0
            group, number = 0.0, None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
        i += 1
    return total + section + group + (number or 0.0)


_EN_ONES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
            if i > 1}
_EN_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
              "trillion": 1_000_000_000_000, "bn": 1_000_000_000, "k": 1_000}


def parse_english_number(text: str) -> float:
    """The value of an English numeral: "forty" → 40, "one hundred and sixty" → 160,
    "twenty-one" → 21, "1.5 million" → 1500000, "a dozen" → 12, "2,766" → 2766."""
    words = normalize(text).replace("-", " ").split()
    total = group = 0.0
    number: float | None = None
    for word in words:
        if word in ("and", "a", "an"):
            if word != "and":
                number = 1.0
            continue
        if word == "dozen":
            group += (number or 1.0) * 12
            number = None
        elif word in _EN_ONES:
            number = (number or 0.0) + _EN_ONES[word]
        elif word in _EN_TENS:
            number = (number or 0.0) + _EN_TENS[word]
        elif word == "hundred":
            group += (1.0 if number is None else number) * 100
            number = None
        elif word in _EN_SCALES:
            total += (group + (1.0 if number is None and not group else number or 0.0)) * _EN_SCALES[word]
            group, number = 0.0, None
        elif _ARABIC.fullmatch(word):
            number = float(word.replace(",", ""))
        else:
            raise ValueError(f"not an English numeral: {text!r}")
    return total + group + (number or 0.0)


# ------------------------------------------------------------------------------------- approximation


def _interval(value: float, marker: str, step: float) -> tuple[float, float, bool, bool]:
    """The values a number allows, given its approximation marker (already normalised to a rule)."""
    if marker == ">":
        return value, INF, False, False
    if marker == ">=":
        return value, INF, True, False
    if marker == "<":
        return -INF, value, False, False
    if marker == "<=":
        return -INF, value, False, True
    if marker == "~":
        return value * 0.9, value * 1.1, True, True
    if marker == "~<":  # nearly: a little under
        return value * 0.9, value, True, True
    if marker == "+":  # 130多, 1.5萬餘: from the value up to the next step of its last digit
        return value, value + step, True, False
    if marker == "x":  # 數千, thousands of: several times the value, below ten times
        return 2 * value, 10 * value, True, False
    half = step / 2  # a rounded figure (1.5萬, 276.6 billion): anything that rounds to it
    return value - half, value + half, True, True


def _last_digit_step(value: float) -> float:
    """The place value of the last significant digit: 130 → 10, 15000 → 1000, 1.5 → 0.1."""
    if value == 0:
        return 1.0
    if value != int(value):
        decimals = len(repr(value).split(".")[1].rstrip("0"))
        return 10.0 ** -decimals
    step = 1.0
    n = int(value)
    while n % 10 == 0:
        n //= 10
        step *= 10
    return step


def _rounding_step(literal: str, scale: float) -> float:
    """Rounding tolerance of a figure written with a scale word (2766億, 276.6 billion), else 0."""
    if scale == 1:
        return 0.0
    decimals = len(literal.split(".")[1]) if "." in literal else 0
    return scale * 10.0 ** -decimals


_ZH_BEFORE = {
    "超过": ">", "超出": ">", "超": ">", "逾": ">", "多于": ">", "高于": ">", "大于": ">", "突破": ">",
    "至少": ">=", "不少于": ">=", "不低于": ">=",
    "不到": "<", "少于": "<", "低于": "<", "未满": "<", "不足": "<",
    "不超过": "<=", "最多": "<=", "至多": "<=",
    "约": "~", "大约": "~", "约为": "~", "近": "~<", "将近": "~<", "接近": "~<",
}
_ZH_AFTER = {"以上": ">=", "以下": "<=", "以内": "<=", "左右": "~", "上下": "~"}
_EN_BEFORE = {
    "more than": ">", "over": ">", "above": ">", "exceeding": ">", "exceeded": ">", "exceeds": ">",
    "in excess of": ">", "upwards of": ">",
    "at least": ">=", "no fewer than": ">=", "no less than": ">=", "a minimum of": ">=",
    "less than": "<", "fewer than": "<", "under": "<", "below": "<",
    "at most": "<=", "up to": "<=", "no more than": "<=", "a maximum of": "<=",
    "about": "~", "around": "~", "approximately": "~", "roughly": "~", "some": "~", "an estimated": "~",
    "nearly": "~<", "almost": "~<", "close to": "~<",
}
_EN_AFTER = {"or more": ">=", "or above": ">=", "plus": ">", "+": ">", "or less": "<=", "or fewer": "<=", "or so": "~"}


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# ---------------------------------------------------------------------------------------- Chinese scan

_ZH_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
_ZH_DATE = re.compile(
    r"(?:(?P<year>1[89]\d{2}|20\d{2}|[一二][〇零一二三四五六七八九]{3})年|(?P<rel>今年|去年|明年|前年|本年))"
    r"(?:(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?"
    r"(?:(?P<day>3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?)?"
    r"(?P<part>底|末|初)?"
    r"|(?<![\d年个])(?P<month2>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?"
    r"(?:(?P<day2>3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?"
)
_ZH_RELATIVE = {"今年": 0, "本年": 0, "去年": -1, "明年": 1, "前年": -2}
_ZH_UNIT_RE = _alternation(_ZH_UNIT_CLASS)
_ZH_NUMBER = re.compile(
    rf"(?P<before>{_alternation(_ZH_BEFORE)})?"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[十百千万亿]*|百分之[" + _ZH_NUMERALS + r"\d.]+"
    r"|(?P<several>数|几|上)(?:以)?(?=[十百千万])[十百千万亿]+(?:计)?|[" + _ZH_NUMERALS + r"]+|半)"
    r"(?P<more>多|余)?"
    rf"(?P<unit>{_ZH_UNIT_RE}|成)?"
    rf"(?P<after>{_alternation(_ZH_AFTER)})?"
)
_ZH_SKIP_BEFORE = "第每之某哪几周这那其唯统进同星"
_TIMES = frozenset({"year", "month", "day", "hour", "minute"})


def _zh_dates(norm: str, text: str, reference_year: int | None, taken: list[tuple[int, int]]) -> list[Fact]:
    out: list[Fact] = []
    for m in _ZH_DATE.finditer(norm):
        year = None
        if m.group("year"):
            year = int(parse_chinese_number(m.group("year")))
        elif m.group("rel") and reference_year is not None:
            year = reference_year + _ZH_RELATIVE[m.group("rel")]
        month_text = m.group("month") or m.group("month2")
        day_text = m.group("day") or m.group("day2")
        month = int(parse_chinese_number(month_text)) if month_text else None
        day = int(parse_chinese_number(day_text)) if day_text else None
        if m.group("part") and month is None:
            month = 12 if m.group("part") in "底末" else 1  # 2023年底: December 2023
        if year is None and month is None:
            continue
        out.append(Date(year, month, day, m.start(), m.end(), text[m.start() : m.end()]))
        taken.append(m.span())
    return out


def _zh_number(m: re.Match, norm: str, text: str) -> Quantity | None:
    num, unit, several = m.group("num"), m.group("unit") or "", m.group("several")
    start, end = m.start(), m.end()
    preceding = norm[start - 1 : start]
    if preceding and (preceding in _ZH_SKIP_BEFORE or (preceding.isascii() and preceding.isalnum())):
        return None  # ordinals (第三), "each" (每一), "one of" (之一), identifiers (A1)
    if any(c.isdigit() for c in num):
        chinese = unit or m.group("before") or m.group("after") or m.group("more") or not num[-1].isdigit()
        following = norm[end : end + 1]
        if not chinese and not (_CJK.match(preceding or " ") or _CJK.match(following or " ")):
            return None  # a bare number in Latin text the English reading left alone: covid-19, 5g, 27th
    else:
        if not (unit or m.group("more") or several or num.startswith("百分之")
                or (m.group("before") and re.search("[十百千万亿]", num))):
            return None  # 兩地, 萬一, 不到一(半): numerals that count nothing
        if unit and norm.startswith(unit[-1], m.end("unit")):
            return None  # reduplication: 一棟棟, 一個個
        if num == "一" and not (m.group("more") or m.group("before")) and _ZH_UNIT_CLASS.get(unit) not in _TIMES:
            return None  # 一家, 一種, 一次: the article "a", not a count
    literal = re.match(r"[\d,.]*", num).group().replace(",", "")
    try:
        if num.startswith("百分之"):
            value = parse_chinese_number(num[3:])
        elif several:
            value = parse_chinese_number(num[len(several) :].lstrip("以").rstrip("计"))
        elif num == "半":
            value = 0.5
        else:
            value = parse_chinese_number(num)
    except ValueError:
        return None
    unit_class = "percent" if num.startswith("百分之") else _ZH_UNIT_CLASS.get(unit, "")
    if unit == "成":  # 三成: three tenths
        value, unit_class = value * 10, "percent"
    if several == "上":
        rule = ">="  # 上千: a thousand or more
    elif several:
        rule = "x"
    elif m.group("more"):
        rule = "+"
    elif m.group("before"):
        rule = _ZH_BEFORE[m.group("before")]
        if m.group("after") in ("以上", "左右") and rule in (">", ">="):
            rule = ">="
    elif m.group("after"):
        rule = _ZH_AFTER[m.group("after")]
    else:
        rule = "="
    if rule == "+":
        step = _last_digit_step(value)
    elif literal and not num.startswith("百分之"):
        step = _rounding_step(literal, value / float(literal) if float(literal) else 1.0)
    else:
        step = 0.0
    low, high, lc, hc = _interval(value, rule, step)
    kind = "percent" if unit_class == "percent" else "number"
    return Quantity(kind, value, low, high, lc, hc, unit_class, unit, start, end, text[start:end])


# ---------------------------------------------------------------------------------------- English scan

_MONTHS = {name: i for i, names in enumerate(
    ["", "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul", "august aug",
     "september sept sep", "october oct", "november nov", "december dec"]) for name in names.split()}
MONTH_NAMES = tuple(name for name in _MONTHS if len(name) > 3 or name == "may")  # for finders of names
_EN_DATE = re.compile(
    r"\b(?:(?P<d1>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\s+(?:of\s+)?)?"
    rf"(?P<mon>{_alternation(_MONTHS)})\b\.?"
    r"(?:\s+(?P<d2>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b(?!\s*(?:%|percent|,\d)))?"
    r"(?:,?\s+(?P<year>(?:19|20)\d{2})\b)?"
    r"|\b(?P<part>(?:the\s+)?(?:end|close|beginning|start)\s+of|late|early)\s+(?P<pyear>(?:19|20)\d{2})\b"
    r"|\b(?P<iso>(?:19|20)\d{2})-(?P<imon>0[1-9]|1[0-2])(?:-(?P<iday>[0-2]\d|3[01]))?\b"
    r"|\b(?P<rel>this|last|next)\s+year\b"
)
_EN_RELATIVE = {"this": 0, "last": -1, "next": 1}
_EN_WORD = "|".join(sorted([*_EN_ONES, *_EN_TENS, "hundred", "thousand", "million", "billion", "trillion", "dozen"],
                           key=len, reverse=True))
_EN_WORDS = (rf"\b(?:(?:a|an)\s+)?(?:{_EN_WORD})"  # and only after a scale: "one hundred and sixty"
             rf"(?:(?:(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))\s+and\s+|[\s-]+)(?:{_EN_WORD}))*\b")
_EN_NUMBER = re.compile(
    rf"(?:\b(?P<before>{_alternation(_EN_BEFORE)})\s+)?"
    r"(?P<cur>hk\$|us\$|rmb\s?|usd\s?|hkd\s?|cny\s?|\$|¥)?"
    r"(?P<num>(?P<several>\b(?:dozens|hundreds|thousands|millions|billions)\s+of)\b"
    r"|(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
    rf"|{_EN_WORDS})"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion|bn)\b)?"
    r"(?P<pct>\s*%|\s+per\s*cent\b|\s+percent\b|\s+percentage\s+points?\b)?"
    r"(?:\s*(?P<cur2>hong kong dollars|us dollars|dollars|yuan|renminbi|rmb|hkd|usd)\b)?"
    rf"(?P<after>\s*-?(?:{_alternation(_EN_AFTER)})(?![a-z]))?"
)
_EN_CURRENCY = {"hk$": "HKD", "hkd": "HKD", "hong kong dollars": "HKD", "us$": "USD", "usd": "USD",
                "us dollars": "USD", "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "renminbi": "CNY", "¥": "CNY",
                "$": "money", "dollars": "money"}
_EN_WORD_RE = re.compile(r"[a-z]+(?:['-][a-z]+)*|\d[\d,.]*|[^\sa-z\d]")
_RANK_BEFORE = re.compile(r"(?:\btop|\bfortune(?:\s+global)?|\bglobal)\s+$")


def _en_dates(norm: str, text: str, reference_year: int | None, taken: list[tuple[int, int]]) -> list[Fact]:
    out: list[Fact] = []
    for m in _EN_DATE.finditer(norm):
        if _overlaps(m.span(), taken):
            continue
        if m.group("rel"):
            if reference_year is None:
                continue
            out.append(Date(reference_year + _EN_RELATIVE[m.group("rel")], None, None, m.start(), m.end(),
                            text[m.start() : m.end()]))
            taken.append(m.span())
            continue
        if m.group("iso"):
            year, month = int(m.group("iso")), int(m.group("imon"))
            day = int(m.group("iday")) if m.group("iday") else None
        elif m.group("pyear"):
            part = m.group("part")
            year, day = int(m.group("pyear")), None
            month = 12 if re.search(r"end|close|late", part) else 1
        else:
            name = m.group("mon")
            day_text = m.group("d1") or m.group("d2")
            year = int(m.group("year")) if m.group("year") else None
            if name in ("may", "mar", "march") and not (day_text or year):
                continue  # the verb "may", "march on"
            if name == "may" and not text[m.start("mon")].isupper():
                continue
            month, day = _MONTHS[name], int(day_text) if day_text else None
        out.append(Date(year, month, day, m.start(), m.end(), text[m.start() : m.end()]))
        taken.append(m.span())
    return out


def _en_number(m: re.Match, norm: str, text: str) -> Fact | None:
    num = m.group("num")
    start, end = m.start(), m.end()
    if _CJK.match(norm, m.end("num")) or (start and _CJK.match(norm, start - 1)):
        return None  # a number written against Chinese text is read with its Chinese unit or marker
    if m.group("before") is None and start and (norm[start - 1].isalnum() or norm[start - 1] in "-_/#"):
        return None  # part of a word or an identifier: covid-19, h5n1, no.8
    if norm[end : end + 1].isalpha() and not m.group("scale"):
        return None  # 5g, 3d
    if re.fullmatch(r"(?:a|an)\s+.*", num) and not re.search(r"hundred|thousand|million|billion|dozen", num):
        return None
    if num.strip() == "one" and not m.group("before"):
        return None  # "one of", "one-stop": "one" counts something only with a marker
    several = m.group("several")
    literal = num.replace(",", "") if _ARABIC.fullmatch(num) else ""
    try:
        if several:
            value = float(_EN_SCALES.get(several.split()[0][:-1], 12))  # hundreds of → 100, dozens of → 12
        else:
            value = parse_english_number(num)
    except ValueError:
        return None
    scale = _EN_SCALES.get(m.group("scale") or "", 1)
    value *= scale
    currency = m.group("cur") or m.group("cur2")
    unit_class, counter = "", ""
    if m.group("pct"):
        unit_class = "point" if "point" in m.group("pct") else "percent"
    elif currency:
        unit_class = _EN_CURRENCY[currency.strip()]
    else:
        counter, unit_class = _en_unit_after(norm, end)
        if _RANK_BEFORE.search(norm[max(0, start - 20) : start]):
            unit_class = "rank"
    plain_year = (literal and "." not in literal and 1800 <= value <= 2099 and len(num) == 4 and not m.group("before")
                  and not unit_class and scale == 1)
    if plain_year:
        return Date(int(value), None, None, m.start("num"), m.end("num"), text[m.start("num") : m.end("num")])
    if several:
        rule = "x"
    elif m.group("before"):
        rule = _EN_BEFORE[m.group("before")]
    elif m.group("after"):
        rule = _EN_AFTER[m.group("after").strip(" -")]
    else:
        rule = "="
    step = _rounding_step(literal or "1", scale) if scale != 1 else 0.0
    low, high, lc, hc = _interval(value, rule, step)
    kind = "percent" if unit_class == "percent" else "number"
    return Quantity(kind, value, low, high, lc, hc, unit_class, counter, start, end, text[start:end].strip())


def _en_unit_after(norm: str, end: int) -> tuple[str, str]:
    """The counted noun within the next six words (stopping at punctuation or another number)."""
    for i, word in enumerate(_EN_WORD_RE.findall(norm[end : end + 80])):
        if i >= 6 or not word[0].isalpha():
            break
        for form in (word, word[:-1] if word.endswith("s") else None, word[:-2] if word.endswith("es") else None,
                     word[:-3] + "y" if word.endswith("ies") else None):
            if form and form in _EN_UNIT_CLASS:
                return word, _EN_UNIT_CLASS[form]
    return "", ""


# ------------------------------------------------------------------------------------------ public API


def facts(text: str, reference_year: int | None = None) -> list[Fact]:
    """Every quantity and date in ``text``, in reading order, with spans into ``text``.

    ``reference_year`` resolves 今年/去年/this year/last year (without it they are skipped); a date
    written without a year (6月11日, June 11) keeps none.
    """
    norm = normalize(text)
    taken: list[tuple[int, int]] = []  # spans already read: dates first, then numbers
    found = _zh_dates(norm, text, reference_year, taken)
    found += _en_dates(norm, text, reference_year, taken)
    for pattern, read in ((_EN_NUMBER, _en_number), (_ZH_NUMBER, _zh_number)):
        for m in pattern.finditer(norm):
            fact = None if _overlaps(m.span("num"), taken) else read(m, norm, text)
            if fact is not None:
                found.append(fact)
                taken.append((fact.start, fact.end))
    return sorted(found, key=lambda f: f.start)


def compare(claim: Fact, article: Fact) -> str:
    """AGREES, DIFFERS or VAGUER (the article is less precise than the claim) for two compatible facts.

    Numbers: a claim stated as a range (超/over/以上) agrees only when the article's values all lie in
    it ("over 1,500" agrees with "超1700", "超2000" differs from it); any other claim agrees when its
    values and the article's overlap ("1,800" agrees with "超1700"; "40家" differs from "60家").
    Dates: fields both give must be equal; a field only the claim gives makes the article VAGUER.
    """
    if isinstance(claim, Date) or isinstance(article, Date):
        if not (isinstance(claim, Date) and isinstance(article, Date)):
            return DIFFERS
        vaguer = False
        for a, b in ((claim.year, article.year), (claim.month, article.month), (claim.day, article.day)):
            if a is not None and b is not None and a != b:
                return DIFFERS
            if a is not None and b is None:
                vaguer = True
        return VAGUER if vaguer else AGREES
    if claim.unit != article.unit and {claim.unit, article.unit} <= {"HKD", "USD", "CNY"}:
        return DIFFERS
    if claim.bounded:
        return AGREES if _contains(claim, article) else DIFFERS
    return AGREES if _overlap(claim, article) else DIFFERS


def _overlap(a: Quantity, b: Quantity) -> bool:
    if a.high < b.low or b.high < a.low:
        return False
    if a.high == b.low:
        return a.high_closed and b.low_closed
    if b.high == a.low:
        return b.high_closed and a.low_closed
    return True


def _contains(outer: Quantity, inner: Quantity) -> bool:
    """``inner`` within ``outer``, a shared end counting as inside ("more than forty" holds "四十多")."""
    return outer.low <= inner.low and inner.high <= outer.high


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)
