"""Claims about the order of two events ("A之後才B", "A before B"): the two events as phrases of their own,
which one the claim says came first, and how two dates compare, so that the fact check can date each
event from the articles and see whether the order holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbers import Date

Span = tuple[int, int]


@dataclass(frozen=True)
class Order:
    """A claim split at its order word: ``earlier`` happened first according to the claim."""

    earlier: str
    later: str
    word: Span  # the order word ("之後才", "before") in the claim


# Each pattern splits a claim into two events; group "x" happened before group "y" by the claim's words.
# Chinese: 在Q之前R (R before Q), 在Q之後R (Q before R), A之後B (A before B), A之前B (B before A), 先A後B,
# A早於B, A晚於B; English: A before B, A after B, A prior to B, A earlier/later than B.
_PATTERNS = [
    (re.compile(r"^(?P<subject>[^，,。]*?)在(?P<q>.+?)(?P<w>之前|以前)[，,]?(?P<r>.+)$"), "subject+r", "q"),
    (re.compile(r"^(?P<subject>[^，,。]*?)在(?P<q>.+?)(?P<w>之後|以後|之后|以后)[，,]?(?:才)?(?P<r>.+)$"), "q", "subject+r"),
    (re.compile(r"^(?P<a>.+?)(?P<w>(?:之後|以後|之后|以后)[，,]?(?:才|再|方)?)(?P<b>.+)$"), "a", "b"),
    (re.compile(r"^(?P<a>.+?)(?P<w>(?:之前|以前)[，,]?)(?P<b>.+)$"), "b", "a"),
    (re.compile(r"^(?P<a>.*?)先(?P<x>.+?)[，,]?(?P<w>(?:之後|之后|然後|然后|後|后|再)(?:才)?)(?P<y>.+)$"), "a+x", "y"),
    (re.compile(r"^(?P<a>.+?)(?P<w>早於|早于|先於|先于)(?P<b>.+)$"), "a", "b"),
    (re.compile(r"^(?P<a>.+?)(?P<w>晚於|晚于)(?P<b>.+)$"), "b", "a"),
    (re.compile(r"^(?P<a>.+?)\s(?P<w>(?:only\s+)?(?:before|prior to|earlier than|ahead of))\s(?P<b>.+)$", re.I), "a", "b"),
    (re.compile(r"^(?P<a>.+?)\s(?P<w>(?:only\s+)?(?:after|later than|following))\s(?P<b>.+)$", re.I), "b", "a"),
]


def split(claim: str) -> Order | None:
    """The claim's two events and their order, or None when it states no order of events."""
    text = claim.strip().rstrip("。.！!")
    for pattern, first, second in _PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        earlier, later = _phrase(found, first), _phrase(found, second)
        if len(earlier.strip(" ，,")) >= 4 and len(later.strip(" ，,")) >= 4:
            return Order(earlier.strip(" ，,"), later.strip(" ，,"), found.span("w"))
    return None


def _phrase(found: re.Match, names: str) -> str:
    return "".join(found.group(name) or "" for name in names.split("+"))


def compare(a: Date, b: Date) -> int | None:
    """-1 when ``a`` is before ``b``, 1 when after, 0 when the same, None when their precision cannot tell
    (2023 against 2023年9月)."""
    for x, y in ((a.year, b.year), (a.month, b.month), (a.day, b.day)):
        if x is None or y is None:
            return None
        if x != y:
            return -1 if x < y else 1
    return 0
