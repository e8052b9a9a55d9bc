"""bot.romanize: Chinese names written in pinyin, in either order, tones, hyphens and spaces ignored."""

from __future__ import annotations

import pytest

from bot.romanize import is_pinyin_name, letters, readings, writes


@pytest.mark.parametrize("latin, chinese", [
    ("Gao Lingyun", "高凌雲"), ("Lingyun Gao", "高凌雲"), ("GAO Ling-yun", "高凌雲"), ("Wang Xuelai", "王雪萊"),
    ("Liu Zhentao", "劉振韜"), ("Wu Zhili", "吳志力"), ("wang xue lai", "王雪莱"),
])
def test_pinyin_writes_the_chinese_name(latin, chinese):
    assert writes(latin, chinese)


@pytest.mark.parametrize("latin, chinese", [("Guo Lingyun", "高凌雲"), ("Wang Xuelai", "高凌雲"), ("", "高凌雲")])
def test_another_name_does_not(latin, chinese):
    assert not writes(latin, chinese)


def test_every_reading_of_a_polyphonic_character_is_tried():
    assert {"zengqiang", "cengqiang"} <= readings("曾強")


def test_letters_only():
    assert letters("Ling-yun  GAO") == "lingyungao"


@pytest.mark.parametrize("name, expected", [
    ("Wang Xuelai", True), ("Liu Zhentao", True), ("Gao Ling-yun", True),
    ("State Council", False), ("Victoria Harbour", False), ("Shenzhen", False),
])
def test_names_that_read_as_pinyin(name, expected):
    assert is_pinyin_name(name) is expected
