"""Article text shown in the reader's script: Traditional articles in Simplified for a Simplified reader and the
other way round, with OpenCC. Its conversion is character for character for nearly all text, so offsets into
the original (the highlighted quote and answer) still fit the converted text; a piece whose conversion would
change its length is shown as it is, never with a mark in the wrong place. The original is kept everywhere
(the JSON, the citations' offsets, a 原文 toggle in the chat)."""

from __future__ import annotations

import functools

import opencc

# OpenCC's configuration into each reader's script; English readers read the original.
CONVERSIONS = {"zh-Hans": "t2s", "zh-Hant": "s2hk"}


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def shown(text: str, language: str) -> str:
    """``text`` in ``language``'s script when that keeps its length (so offsets still fit), else ``text``."""
    config = CONVERSIONS.get(language)
    if config is None or not text:
        return text
    converted = _converter(config).convert(text)
    return converted if len(converted) == len(text) else text
