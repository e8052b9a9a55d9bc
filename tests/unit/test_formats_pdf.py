"""bot.formats.pdf: press releases read in reading order, each page ended by a form feed so a passage's section
names its page (p. 3); running headers and page numbers left out; a word hyphenated at a line end, a sentence
going on over a page and Chinese lines broken inside sentences joined; a scan without text refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.corpus import read_corpus, read_file
from bot.errors import CorpusError
from bot.passages import passages_for

from conftest import TEST_DATA

FORMATS = TEST_DATA / "formats"


def read_pdf(folder: Path, name: str):
    shutil.copy(FORMATS / name, folder / name)
    [article] = read_file(folder / name, folder)
    return article, passages_for(article, 400)


def passage_with(passages, words: str):
    return next(p for p in passages if words in p.text)


def test_an_english_release_keeps_its_text_pages_and_metadata_without_its_furniture(tmp_path):
    article, passages = read_pdf(tmp_path, "release_en.pdf")
    assert (article.title, article.author, article.date) == (
        "Harbourfront Library to open on 28 March", "Leisure and Cultural Services Department", "2025-03-12")
    assert article.text.count("\f") == 3  # one form feed ends each page
    for furniture in ("Press Release", "Page 1 of 3", "Page 3 of 3"):
        assert furniture not in article.text
    for passage in passages:
        assert "".join(article.text[s:e] for s, e in passage.spans) == passage.text
    assert passage_with(passages, "12 items").section.endswith("› p. 1")
    assert passage_with(passages, "lecture hall").section == "Harbourfront Library to open on 28 March › Opening " \
                                                              "hours and services › p. 2"
    assert passage_with(passages, "Carol Ho").section.endswith("Media enquiries › p. 3")


def test_a_hyphenated_word_and_a_sentence_over_a_page_break_are_joined(tmp_path):
    article, passages = read_pdf(tmp_path, "release_en.pdf")
    assert "collec-\ntion" in article.text  # the kept text is the page's, line for line
    hyphenated = passage_with(passages, "a separate collection of 40,000 picture books")
    assert len(hyphenated.spans) == 2 and article.text[hyphenated.spans[0][1]:hyphenated.spans[1][0]] == "-\n"
    over_page = passage_with(passages, "lend e-readers to\nresidents aged over 65")
    assert "\f" not in over_page.text and over_page.section.endswith("p. 2")  # cited by the page it starts on


def test_a_chinese_release_joins_its_lines_inside_sentences(tmp_path):
    article, passages = read_pdf(tmp_path, "release_zh.pdf")
    assert (article.title, article.author) == ("鯉灣海濱圖書館開幕安排", "康樂及文化事務署")
    assert "三月二十八\n日" in article.text
    joined = passage_with(passages, "開幕典禮將於二〇二五年三月二十八日上午十時在圖書館地下大堂舉行")
    assert "\n" not in joined.text and joined.section == "鯉灣海濱圖書館開幕安排 › p. 1"
    assert passage_with(passages, "古籍修復工作坊").text.endswith("每人每場限報兩個名額。")
    assert passage_with(passages, "穿梭巴士").section == "鯉灣海濱圖書館開幕安排 › 交通安排 › p. 2"
    assert "新聞公報" not in article.text and "第 1 頁" not in article.text


def test_a_scanned_pdf_is_skipped_saying_it_has_no_text_and_what_to_do(tmp_path):
    shutil.copy(FORMATS / "scanned.pdf", tmp_path / "scanned.pdf")
    shutil.copy(FORMATS / "release_zh.pdf", tmp_path / "release_zh.pdf")
    report = read_corpus(tmp_path)
    assert [a.doc_id for a in report.articles] == ["release_zh"]
    [(where, why)] = report.skipped
    assert where == str(tmp_path / "scanned.pdf")
    assert "no text layer" in why and "ocrmypdf scanned.pdf" in why


@pytest.mark.parametrize("content, says", [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not a PDF that can be read"),
    (b"Harbour ferry\n\nThe Star Ferry.\n", "not a PDF that can be read"),
])
def test_a_damaged_pdf_is_a_corpus_error_saying_so(tmp_path, content, says):
    (tmp_path / "broken.pdf").write_bytes(content)
    with pytest.raises(CorpusError, match=says):
        list(read_file(tmp_path / "broken.pdf", tmp_path))
