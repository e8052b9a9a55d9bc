"""bot.formats: one format a file type behind one interface (plain text, Markdown and JSON Lines read as they
are, nothing kept beside them), and the layout repair of what the formats write: ``#`` headings, ``|`` table
rows, a Chinese line broken inside a sentence and a hyphenated word joined, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clean import clean
from bot.corpus import Article, kept_path, read_file
from bot.errors import CorpusError
from bot.formats import BY_SUFFIX, FORMATS, SUFFIXES, format_for
from bot.passages import passages_for


def test_each_suffix_has_one_format_and_an_unknown_one_is_refused_with_the_list():
    assert SUFFIXES == (".txt", ".md", ".html", ".htm", ".jsonl", ".pdf", ".docx", ".rss", ".atom", ".xml")
    assert {fmt.name for fmt in FORMATS} == {"text", "markdown", "html", "jsonl", "pdf", "docx", "feed"}
    assert format_for(Path("a/Release.PDF")) is BY_SUFFIX[".pdf"]
    with pytest.raises(CorpusError, match=r"a \.odt file is not an article Wenda reads; it reads \.txt, \.md"):
        format_for(Path("notes.odt"))
    derived = {fmt.name for fmt in FORMATS if fmt.derived}
    assert derived == {"html", "pdf", "docx", "feed"} and all(fmt.version() for fmt in FORMATS if fmt.derived)


def test_text_markdown_and_jsonl_are_read_as_they_are_with_nothing_kept_beside_them(tmp_path):
    (tmp_path / "notes.md").write_text("![photo](a.jpg)\n\n# Harbour ferry\n\n## Fares\n\nHK$5 a crossing.\n",
                                       encoding="utf-8")
    (tmp_path / "plain.txt").write_text("Harbour ferry\n\nHK$5 a crossing.\n", encoding="utf-8")
    (tmp_path / "lines.jsonl").write_text('{"id": "j1", "text": "HK$5 a crossing."}\n', encoding="utf-8")
    [notes] = read_file(tmp_path / "notes.md", tmp_path)
    assert notes.title == "Harbour ferry"  # its first level-one heading, not its first line
    assert notes.text == (tmp_path / "notes.md").read_text(encoding="utf-8")
    assert [p.section for p in passages_for(notes, 400) if p.text == "HK$5 a crossing."] == ["Harbour ferry › Fares"]
    for name in ("plain.txt", "lines.jsonl"):
        assert list(read_file(tmp_path / name, tmp_path))
    assert not any(kept_path(tmp_path / name).exists() for name in ("notes.md", "plain.txt", "lines.jsonl"))


def _passages(text: str) -> list[tuple[str, str]]:
    article = Article(doc_id="d", title="T", text=text)
    passages = passages_for(article, 400)
    for p in passages:
        assert "".join(text[s:e] for s, e in p.spans) == p.text
    return [(p.kind, p.text) for p in passages]


def test_a_chinese_line_broken_inside_a_sentence_is_joined_and_a_title_line_is_not():
    text = ("香港科學園深圳分園\n"
            "香港科學園深圳分園於2023年9月開園，已進駐40家香港企業和機構，園區位於河套深港科技創新\n"
            "合作區深圳園區，總面積約3.89平方公里。\n")
    assert _passages(text) == [("body", "香港科學園深圳分園\n香港科學園深圳分園於2023年9月開園，已進駐40家香港企業和機構，"
                                        "園區位於河套深港科技創新合作區深圳園區，總面積約3.89平方公里。")]


def test_a_line_ending_with_a_comma_goes_on_and_one_ending_a_sentence_does_not():
    text = "新館樓高五層，設有自修室，\n每日開放至晚上十時。\n發言人表示，開幕首月將舉辦二十場活動。\n"
    assert _passages(text) == [("body", "新館樓高五層，設有自修室，每日開放至晚上十時。\n發言人表示，開幕首月將舉辦二十場活動。")]


def test_a_hyphenated_english_word_is_joined_and_other_line_breaks_stay_spaces():
    text = "The library holds a separate collec-\ntion of 40,000 picture books for young\nreaders.\n"
    assert _passages(text) == [("body", "The library holds a separate collection of 40,000 picture books for young\n"
                                        "readers.")]


def test_marked_headings_and_table_rows_are_read_as_such():
    text = "# 館藏\n\n## 分類？\n\n| 類別 | 數量 |\n| 中文圖書 | 150,000 |\n\n館藏總數約二十三萬項。\n"
    blocks = clean(text)
    assert [b.kind for b in blocks] == ["heading", "heading", "body", "body"]
    assert [b.section for b in blocks[2:]] == ["館藏 › 分類？", "館藏 › 分類？"]  # a heading ending with ？ too
    assert blocks[2].text(text) == "| 類別 | 數量 |\n| 中文圖書 | 150,000 |"  # a row ends a line: not joined on


def test_pages_of_a_pdf_name_the_section_and_a_text_without_form_feeds_has_none():
    text = "# Release\n\nFirst page text.\n\f\nSecond page text.\n\f\n"
    assert [b.section for b in clean(text) if b.kind == "body"] == ["Release › p. 1", "Release › p. 2"]
    assert [b.section for b in clean("# Release\n\nFirst page text.\n") if b.kind == "body"] == ["Release"]
