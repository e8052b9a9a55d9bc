"""bot.formats.word: a Word draft read as paragraphs in order, its headings the sections of the passages under
them, its table a row a line, a line break inside a sentence joined; title, author and date from the document."""

from __future__ import annotations

import shutil

import pytest

from bot.corpus import read_file
from bot.errors import CorpusError
from bot.passages import passages_for

from conftest import TEST_DATA


@pytest.fixture
def draft(tmp_path):
    shutil.copy(TEST_DATA / "formats" / "draft_zh.docx", tmp_path / "draft_zh.docx")
    [article] = read_file(tmp_path / "draft_zh.docx", tmp_path)
    return article, passages_for(article, 400)


def test_a_word_draft_keeps_its_title_author_and_date(draft):
    article, _ = draft
    assert (article.title, article.author, article.date) == ("鯉灣海濱圖書館服務概覽", "康文署新聞組", "2025-03-12")
    assert article.text.startswith("# 鯉灣海濱圖書館服務概覽\n\n本稿供傳媒參考")


def test_headings_are_the_sections_of_the_passages_under_them_and_tables_are_text(draft):
    article, passages = draft
    sections = {p.text: p.section for p in passages}
    assert sections["每張讀者證可同時借閱最多十二項資料，借期為二十一天，可於網上續借兩次。"] == "鯉灣海濱圖書館服務概覽 › 借閱服務"
    assert sections["- 演講廳可容納一百二十人。"] == "鯉灣海濱圖書館服務概覽 › 設施"
    [table] = [p for p in passages if p.text.startswith("| 類別 |")]
    assert table.section == "鯉灣海濱圖書館服務概覽 › 館藏"
    assert "| 中文圖書 | 150,000 |\n| 英文圖書 | 62,000 |" in table.text
    for passage in passages:
        assert "".join(article.text[s:e] for s, e in passage.spans) == passage.text


def test_a_line_break_inside_a_sentence_is_joined(draft):
    article, passages = draft
    assert "一元五角，\n兒童讀者證" in article.text
    assert "逾期歸還的資料，每項每天罰款一元五角，兒童讀者證則豁免罰款。" in [p.text for p in passages]


def test_a_file_that_is_not_a_word_document_is_a_corpus_error(tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CorpusError, match="not a Word document that can be read"):
        list(read_file(tmp_path / "notes.docx", tmp_path))
