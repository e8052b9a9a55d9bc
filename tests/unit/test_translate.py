"""CC-CEDICT query translation: English words and pairs to Chinese, Chinese words to English, kept only
where the corpus vocabulary has them."""

from __future__ import annotations

from bot.translate import translate


def test_english_pairs_translate_before_single_words() -> None:
    out = translate(["hong", "kong", "state", "council"], lambda t: True)
    assert out["hong kong"] == ["香港"]
    assert "国务院" in out["state council"]
    assert "hong" not in out and "state" not in out  # covered by the pairs


def test_only_translations_the_corpus_uses_are_kept() -> None:
    vocabulary = {"实验室", "专利"}
    out = translate(["laboratories", "patent", "weather"], vocabulary.__contains__)
    assert out == {"laboratories": ["实验室"], "patent": ["专利"]}


def test_chinese_words_translate_to_english_gloss_words() -> None:
    out = translate(["专利", "国务院"], {"patent", "council", "state"}.__contains__)
    assert out["专利"] == ["patent"]
    assert set(out["国务院"]) <= {"state", "council"} and out["国务院"]
