"""CC-CEDICT query translation: English words and pairs to Chinese, Chinese words to English, kept only
where the corpus vocabulary has them."""

from __future__ import annotations

from bot.translate import translate


def test_english_pairs_translate_before_single_words() -> None:
    out = translate(["hong", "kong", "state", "council"], lambda t: 1.0)
    assert out["hong kong"] == ["香港"]
    assert "国务院" in out["state council"]
    assert "hong" not in out and "state" not in out  # covered by the pairs


def test_only_translations_the_corpus_uses_are_kept() -> None:
    vocabulary = {"实验室": 2.0, "专利": 3.0}
    out = translate(["laboratories", "patent", "weather"], vocabulary.get)
    assert out == {"laboratories": ["实验室"], "patent": ["专利"]}


def test_chinese_words_translate_to_english_gloss_words() -> None:
    out = translate(["专利", "国务院"], {"patent": 1.0, "council": 2.0, "state": 1.5}.get)
    assert out["专利"] == ["patent"]
    assert set(out["国务院"]) <= {"state", "council"} and out["国务院"]


def test_words_the_corpus_uses_most_come_first_and_characters_only_without_a_word() -> None:
    idf = {"去世": 4.0, "死": 1.0, "丧生": 6.0, "丢": 0.5}.get  # 丢 only as a piece of 丢命
    assert translate(["die"], idf)["die"] == ["去世", "丧生"]
    assert translate(["die"], {"死": 1.0, "丢": 0.5}.get)["die"] == ["死", "丢"]


def test_irregular_and_plural_forms_find_their_dictionary_entry() -> None:
    idf = {"领导": 2.0, "导": 1.0, "失去": 2.0, "黑豹": 3.0, "豹": 1.0, "国歌": 4.0}.get
    out = translate(["led", "lost", "panthers", "national", "anthems"], idf)
    assert out["led"][0] == "领导"  # "lead", not the light-emitting diode "LED" glosses
    assert "失去" in out["lost"] and out["panthers"] == ["豹"]
    assert out["national anthems"] == ["国歌"] and "national" not in out
