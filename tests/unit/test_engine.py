"""``bot.engine.encodable``: what UTF-8 cannot encode is dropped, everything else is kept as it is."""

from __future__ import annotations

import pytest

from bot.engine import encodable, k_error


@pytest.mark.parametrize("text, clean", [
    ("\udcff", ""),
    ("河\udcff套", "河套"),
    ("\ud800香港\udfff", "香港"),
    ("\ud83d\ude00 ok", "😀 ok"),  # a surrogate pair is the character it spells
    ("😀 \ufeff 河套 naïve", "😀 \ufeff 河套 naïve"),
    ("", ""),
])
def test_encodable(text, clean):
    assert encodable(text) == clean
    clean.encode("utf-8")


def test_k_error_shows_a_short_value():
    assert str(k_error(True)) == "k must be an integer between 1 and 100, not True"
    assert str(k_error("x" * 1000)).endswith("not 'xxxxxxxxxxxxxxxxxxx…")
