"""Cantonese questions read as standard written Chinese (bot/cantonese.py)."""

from bot.answer import question_type
from bot.cantonese import written
from bot.retrieve import Query
from bot.text import normalize


def test_question_words_become_standard_ones():
    assert written("今年係香港回歸幾多周年呀？") == normalize("今年是香港回歸多少周年？")
    assert written("佢係邊個？") == normalize("他是誰？")
    assert written("深圳分園而家有幾多間公司入咗駐？") == normalize("深圳分園現在有多少間公司入了駐？")


def test_the_kind_of_answer_follows_the_cantonese_question_word():
    assert question_type(written("呢篇報道係邊個寫嘅？")) == "person"
    assert question_type(written("條巴士線幾時開通㗎？")) == "date"
    assert question_type(written("邊個機構發出嘅邀請？")) == "org"
    assert question_type(written("而家有幾多間公司？")) == "number"


def test_standard_chinese_is_only_normalised():
    """係 and 同 are standard Chinese inside words (關係, 同比): without a Cantonese word nothing changes."""
    for text in ("深港兩地的關係如何？", "同比增長多少？", "Who opened it?"):
        assert written(text) == normalize(text)


def test_the_query_searches_the_written_form_but_keeps_the_question():
    query = Query("佢間公司喺邊區？", encoder=None)
    assert query.text == "佢間公司喺邊區？"
    assert "他" in query.written and "哪区" in query.written
    assert "佢" not in "".join(query.tokens)
