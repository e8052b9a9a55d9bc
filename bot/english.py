"""A Chinese short answer written the English way, for an English reader: a date ("2023年9月" → "September
2023"), a quantity ("超過2766億港元" → "over HK$276.6 billion"; "40家" → "40 (香港企業和機構)", the counted
noun as the sentence gives it), a person's name in pinyin ("高凌雲" → "Gao Lingyun") or the English name the
sentence gives in brackets. Only ever a formatting of the span, never a translation: a span that is not one
of these gets no English ("").

Dates and quantities are read by ``bot.numbers`` (the fact check's parser); this module only writes them.
"""

from __future__ import annotations

import math
import re

import jieba.posseg
from pypinyin import lazy_pinyin

from .numbers import INF, Date, Quantity, facts
from .text import CJK, normalize

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
RELATIVE_YEARS = {"今年": "this year", "本年": "this year", "去年": "last year", "明年": "next year",
                  "前年": "the year before last"}
SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
CURRENCIES = {"HKD": "HK$", "USD": "US$", "CNY": "RMB "}
# Measures written with an English unit after the number (singular, plural); a count takes the noun it counts.
UNITS = {"hour": ("hour", "hours"), "minute": ("minute", "minutes"), "day": ("day", "days"),
         "month": ("month", "months"), "year": ("year", "years"), "age": ("year old", "years old"),
         "times": ("time", "times"), "fold": ("time", "times"), "km": ("km", "km"), "sqkm": ("km²", "km²"),
         "metre": ("m", "m"), "point": ("percentage point", "percentage points"), "clock": ("o'clock", "o'clock")}
# Surnames whose reading differs from the character's usual one, and surnames of two characters (Simplified).
SURNAME_READINGS = {"单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
                    "乐": "yue", "盖": "ge", "覃": "qin", "翟": "zhai", "缪": "miao", "长孙": "zhangsun",
                    "尉迟": "yuchi"}
COMPOUND_SURNAMES = frozenset("欧阳 司马 诸葛 上官 司徒 东方 皇甫 令狐 公孙 慕容 夏侯 宇文 端木 长孙 尉迟".split())

_CHINESE = re.compile(f"[{CJK}]")
_NAME = re.compile(f"[{CJK}]{{2,4}}")
_BRACKET = r"\s*[（(]\s*([A-Za-z][A-Za-z .,'&-]*[A-Za-z.])\s*[）)]"  # the article's English name in brackets
_BRACKETED = re.compile(_BRACKET)
_ENDS_BRACKETED = re.compile(_BRACKET + r"\s*$")
_NOUN_FLAGS = ("n", "j", "eng", "vn")  # jieba's nouns (n, nr, ns, nt, nz…), abbreviations, Latin words, verbal nouns
_PHRASE_FLAGS = (*_NOUN_FLAGS, "a", "b", "l", "m")  # what a noun phrase also holds: 醫療健康, 世界500強企業
_JOINERS = frozenset("和及与")  # not 、, which lists other counts


def english(span: str, sentence: str = "", at: int | None = None) -> str:
    """``span`` (a short answer at offset ``at`` of ``sentence``; found in it by default) written the English
    way, or "" when it holds no Chinese or is not a date, a quantity or a name."""
    if not _CHINESE.search(span):
        return ""
    at = sentence.find(span) if at is None else at
    after = sentence[at + len(span):] if at >= 0 else ""
    if bracketed := _BRACKETED.match(after) or _ENDS_BRACKETED.search(span):
        return bracketed.group(1)
    found = facts(span)
    if len(found) == 1 and span.strip() == found[0].text:
        fact = found[0]
        return date(fact) if isinstance(fact, Date) else quantity(fact, after)
    if _NAME.fullmatch(span) and at >= 0 and is_person(sentence, at, at + len(span)):
        return pinyin_name(span)
    return ""


def date(fact: Date) -> str:
    """A date as English writes it: "11 June 2024", "September 2023", "the end of 2023", "September last year"."""
    text = normalize(fact.text)
    part = text[-1] if text[-1] in "底末初" else ""
    month = fact.month if "月" in text or not part else None  # 2023年底: the month is the part, not a month
    words = [str(fact.day)] if fact.day else []
    words += [MONTHS[month - 1]] if month else []
    relative = next((phrase for word, phrase in RELATIVE_YEARS.items() if text.startswith(word)), "")
    words += [str(fact.year)] if fact.year else [relative] if relative else []
    written = " ".join(words)
    return {"底": f"the end of {written}", "末": f"the end of {written}", "初": f"early {written}"}.get(part, written)


def quantity(fact: Quantity, following: str = "") -> str:
    """A quantity as English writes it, with the bound its wording gives ("over", "more than", "about"…): a
    sum of money with its currency, a measure with its unit, a count with the noun it counts in the text
    ``following`` it."""
    bound = _bound(fact)
    if bound is None:
        return ""
    if fact.unit == "percent":
        written = f"{amount(fact.value)}%"
    elif fact.unit in CURRENCIES:
        written = CURRENCIES[fact.unit] + amount(fact.value)
    elif fact.unit == "anniversary":
        written = f"{ordinal(fact.value)} anniversary"
    elif fact.unit in UNITS:
        one, many = UNITS[fact.unit]
        written = f"{amount(fact.value)} {one if fact.value == 1 else many}"
    elif fact.unit == "money":  # 元: dollars or yuan, as the article's place has it, so kept as written
        written = f"{amount(fact.value)} ({fact.counter})"
    else:
        noun = counted_noun(following)
        written = amount(fact.value) + (f" ({noun})" if noun else "")
    return f"{bound} {written}" if bound else written


def _bound(fact: Quantity) -> str | None:
    """The English words for the interval the figure's wording allows: "" for the figure itself (exact or
    rounded), None for a vague one ("數以千計") that a formatting cannot state."""
    value, low, high = fact.value, fact.low, fact.high
    if high == INF:
        return "at least" if fact.low_closed else "over"
    if low == -INF:
        return "at most" if fact.high_closed else "under"
    if math.isclose(low, value * 0.9) and math.isclose(high, value * 1.1):
        return "about"
    if math.isclose(low, value * 0.9) and high == value:
        return "nearly"
    if low == value < high and not fact.high_closed:
        return "more than"  # 130多, 1.5萬餘
    return "" if low <= value <= high else None


def amount(value: float) -> str:
    """A number as English writes it: 40, 1,700, 15,000, 0.5; from a million up in words: 276.6 billion."""
    for scale, word in SCALES:
        if abs(value) >= scale:
            return f"{_digits(value / scale)} {word}"
    return _digits(value)


def _digits(value: float) -> str:
    """``value`` in digits with thousands separators and no trailing zeros (float noise rounded away)."""
    value = round(value, 6)
    return f"{int(value):,}" if value == int(value) else f"{value:,}"


def ordinal(value: float) -> str:
    """1st, 2nd, 3rd, 11th, 27th."""
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _words(text: str) -> list[tuple[int, int, str]]:
    """``text`` cut into words by jieba, with their part of speech: (start, end, flag)."""
    out, offset = [], 0
    for word, flag in jieba.posseg.cut(normalize(text)):
        out.append((offset, offset + len(word), flag))
        offset += len(word)
    return out


def counted_noun(following: str) -> str:
    """What a count counts, in the article's words: the noun phrase opening the text ``following`` the count, as
    Chinese puts it after the counter (40家 香港企業和機構, 8個 世界500強企業研發中心); "" when none does."""
    words = _words(following)
    phrase: list[tuple[int, int, str]] = []
    for i, (start, end, flag) in enumerate(words):
        joiner = normalize(following[start:end]) in _JOINERS and i + 1 < len(words)
        # a number inside the phrase (世界500強) but not another count (項目10個) nor one opening it
        count = flag == "m" and (not phrase or i + 1 == len(words) or words[i + 1][2] == "m")
        if not (flag.startswith(_PHRASE_FLAGS) or (joiner and phrase)) or count:
            break
        phrase.append((start, end, flag))
    while phrase and not phrase[-1][2].startswith(_NOUN_FLAGS):  # a phrase ends with its noun
        phrase.pop()
    return following[: phrase[-1][1]] if phrase else ""


def is_person(sentence: str, start: int, end: int) -> bool:
    """Whether jieba reads a word at ``start:end`` of ``sentence`` as a person's name (it may cut 高凌雲 as 高 +
    凌雲: one name-tagged word inside the span is enough)."""
    return any(flag.startswith("nr") for s, e, flag in _words(sentence) if s < end and e > start)


def pinyin_name(name: str) -> str:
    """A Chinese name in pinyin, surname first, each part capitalised: 高凌雲 → Gao Lingyun, 歐陽震華 → Ouyang
    Zhenhua, 曾志偉 → Zeng Zhiwei (a surname read as surnames are)."""
    simple = normalize(name)
    cut = 2 if simple[:2] in COMPOUND_SURNAMES else 1
    surname = SURNAME_READINGS.get(simple[:cut]) or "".join(lazy_pinyin(simple[:cut]))
    given = "".join(lazy_pinyin(simple[cut:]))
    return " ".join(part.capitalize() for part in (surname, given) if part)

