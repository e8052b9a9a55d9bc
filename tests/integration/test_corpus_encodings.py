"""Articles saved in Big5, GBK and UTF-16 indexed and answered end to end: the index records each article's
encoding, and every citation slices the decoded text; ``index --add`` reads such a file too, and refuses a
file type the corpus reader does not read (web pages, PDF, Word and feeds: tests/unit/test_formats_*.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import Bot
from bot.__main__ import main
from bot.index import build_from_folder, read_manifest
from bot.settings import Settings

from conftest import TEST_DATA

ENCODINGS = {"seed_big5": "big5", "seed_gbk": "gb18030", "seed_utf16": "utf-16-le", "harbour_utf16le": "utf-16-le"}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A corpus of the files in tests/data/encodings (none of them UTF-8) and its index."""
    root = tmp_path_factory.mktemp("encodings")
    shutil.copytree(TEST_DATA / "encodings", root / "corpus")
    build_from_folder(root / "corpus", root / "index", Settings(), progress=False)
    return root / "corpus", root / "index"


@pytest.fixture(scope="module")
def bot(encoded) -> Bot:
    return Bot.open(encoded[1])


def test_every_file_is_indexed_with_its_encoding(encoded, bot):
    assert read_manifest(encoded[1])["corpus"]["skipped"] == []
    assert {doc_id: bot.index.articles[doc_id].encoding for doc_id in bot.index.articles} == ENCODINGS


@pytest.mark.parametrize("question, doc_ids, short", [
    ("今年是《粵港澳大灣區發展規劃綱要》發布幾周年？", {"seed_big5", "seed_gbk", "seed_utf16"}, "5周年"),
    ("深圳园区「港味」怎样？", {"seed_big5", "seed_gbk", "seed_utf16"}, ""),
    ("How many passengers did the Star Ferry carry last year?", {"harbour_utf16le"}, "19.6"),
])
def test_answers_cite_offsets_into_the_decoded_text(bot, question, doc_ids, short):
    answer = bot.ask(question)
    assert answer.found
    assert short in answer.text
    for hit in bot.search(question, 5):
        article = bot.index.articles[hit.passage.doc_id]
        assert "".join(article.text[s:e] for s, e in hit.passage.spans) == hit.passage.text
    cited = answer.hits[answer.citation - 1].passage
    assert cited.doc_id in doc_ids
    text = bot.index.articles[cited.doc_id].text
    assert "".join(text[s:e] for s, e in answer.sentence_spans) == answer.sentence
    assert "".join(text[s:e] for s, e in answer.text_spans) == answer.text


def test_index_add_reads_a_big5_file_and_refuses_an_odt(encoded, tmp_path, capsys):
    folder = tmp_path / "index"
    shutil.copytree(encoded[1], folder)
    odt = tmp_path / "report.odt"
    odt.write_bytes(b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.text")
    assert main(["index", "--index", str(folder), "--add", str(odt), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "a .odt file is not an article Wenda reads; it reads .txt, .md, .html, .htm, .jsonl, .pdf, .docx" in err
    assert set(Bot.open(folder).index.articles) == set(ENCODINGS)  # unchanged

    big5 = tmp_path / "ferry.txt"
    big5.write_bytes("天星小輪\n\n天星小輪自1888年起往來維多利亞港兩岸，單程約需九分鐘。\n".encode("big5"))
    assert main(["index", "--index", str(folder), "--add", str(big5), "--quiet"]) == 0
    added = Bot.open(folder)
    assert added.index.articles["ferry"].encoding == "big5"
    assert "九分鐘" in added.ask("天星小輪單程需要多久？").sentence
