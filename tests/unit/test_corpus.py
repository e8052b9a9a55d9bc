"""bot.corpus: every accepted file format read into Articles, in any encoding that can be told apart, bad files
skipped with a reason, fingerprints."""

from __future__ import annotations

import codecs
import dataclasses
import json
import shutil
from pathlib import Path

import opencc
import pytest

from bot.corpus import Article, corpus_files, fingerprint, read_corpus, read_file
from bot.errors import CorpusError
from bot.passages import passages_for

from conftest import SEED, TEST_DATA

HANT = "維港夜景\n\n維多利亞港每晚八時上演幻彩詠香江燈光表演，吸引大批旅客。\n"


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _by_id(folder: Path) -> dict:
    return {a.doc_id: a for a in read_corpus(folder).articles}


def test_txt_title_is_first_non_empty_line_and_text_is_kept_byte_for_byte(tmp_path):
    text = "\n\n  維港夜景  \n\n維多利亞港每晚八時上演幻彩詠香江燈光表演。\n"
    _write(tmp_path, "night.txt", text)
    article = _by_id(tmp_path)["night"]
    assert article.title == "維港夜景"
    assert article.text == text  # offsets point into the file as stored: nothing trimmed
    assert article.path == str(tmp_path / "night.txt")


def test_the_seed_article_reads_with_its_sidecar(seed_corpus, seed_text):
    report = read_corpus(seed_corpus)
    assert report.skipped == []
    [article] = report.articles
    assert article.doc_id == "000_4537e6698f2b37d0"
    assert article.text == seed_text
    assert article.title == "港深科研合作趨緊密 創新資源集聚"
    assert (article.author, article.source, article.date, article.lang) == ("胡永愛", "大公報 (Ta Kung Pao)", "2024", "zh-Hant")


def test_md_title_has_heading_marks_stripped(tmp_path):
    _write(tmp_path, "ferry.md", "## Harbour ferry\n\nThe Star Ferry has carried passengers since 1888.\n")
    article = _by_id(tmp_path)["ferry"]
    assert article.title == "Harbour ferry"
    assert article.text.startswith("## Harbour ferry")


HTML = """<!DOCTYPE html>
<html><head><title>  Star   Ferry | News </title>
<style>p { color: red }</style><script>var hidden = "no";</script></head>
<body><nav>Home Menu</nav>
<article><h1>Harbour ferry</h1>
<p>The Star Ferry has   carried passengers
since 1888 &amp; more.</p>
<script>alert("never")</script><style>.x{}</style>
<p>A crossing takes about <b>nine</b> minutes.</p></article>
<footer>Copyright</footer></body></html>"""


def test_html_reads_the_article_body_without_script_style_or_page_furniture(tmp_path):
    _write(tmp_path, "ferry.html", HTML)
    article = _by_id(tmp_path)["ferry"]
    assert article.title == "Harbour ferry"  # the headline, not the <title> with the site's name
    assert article.text == (  # the extracted text kept (tests/unit/test_formats_webpage.py has real pages)
        "# Harbour ferry\n\nThe Star Ferry has carried passengers since 1888 & more.\n\n"
        "A crossing takes about nine minutes.\n"
    )


def test_a_small_html_page_keeps_its_visible_text_and_without_title_its_first_line(tmp_path):
    _write(tmp_path, "only.html", "<body><nav>Menu</nav><main><p>Only this.</p></main></body>")
    _write(tmp_path, "bare.htm", "<html><body><p>深圳地铁</p><p>深圳地铁于2004年开通。</p></body></html>")
    articles = _by_id(tmp_path)
    assert articles["only"].text == "Only this.\n"
    assert articles["bare"].text == "深圳地铁\n\n深圳地铁于2004年开通。\n"
    assert articles["bare"].title == "深圳地铁"
    assert articles["bare"].date == ""  # a year in the text is not the page's date


def test_jsonl_one_article_a_line_with_metadata(tmp_path):
    lines = [
        {"id": "scmp-1", "title": "Ferry", "text": "The Star Ferry has carried passengers since 1888.",
         "source": "SCMP", "date": "2024-01-02", "url": "https://example.org/1", "lang": "en"},
        {"id": "hans-1", "text": "深圳地铁\n深圳地铁于2004年开通。"},
    ]
    _write(tmp_path, "feed.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    articles = _by_id(tmp_path)
    assert set(articles) == {"scmp-1", "hans-1"}
    first = articles["scmp-1"]
    assert (first.title, first.source, first.date, first.url, first.lang) == (
        "Ferry", "SCMP", "2024-01-02", "https://example.org/1", "en")
    assert articles["hans-1"].title == "深圳地铁"  # no title: the first line of the text
    assert articles["hans-1"].text == "深圳地铁\n深圳地铁于2004年开通。"


def test_jsonl_bad_line_is_skipped_with_its_reason_and_the_rest_is_read(tmp_path):
    _write(tmp_path, "feed.jsonl", "\n".join([
        json.dumps({"id": "a", "text": "First article."}),
        "{not json",
        json.dumps({"id": "b", "text": "Second article."}),
        json.dumps({"id": "c"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "d", "text": "Fourth article."}),
    ]))
    report = read_corpus(tmp_path)
    assert [a.doc_id for a in report.articles] == ["a", "b", "d"]
    where = {w: why for w, why in report.skipped}
    feed = str(tmp_path / "feed.jsonl")
    assert set(where) == {f"{feed}:2", f"{feed}:4", f"{feed}:5"}
    assert "not JSON" in where[f"{feed}:2"]
    assert '"id" and "text"' in where[f"{feed}:4"]


def test_read_file_alone_raises_on_a_bad_jsonl_line(tmp_path):
    path = _write(tmp_path, "feed.jsonl", '{"id": "a", "text": "ok"}\n{oops\n')
    with pytest.raises(CorpusError, match=r"feed.jsonl:2: not JSON"):
        list(read_file(path, tmp_path))


def test_sidecar_metadata_overrides_and_is_not_an_article(tmp_path):
    _write(tmp_path, "news/night.txt", HANT)
    _write(tmp_path, "news/night.meta.json", json.dumps(
        {"title": "幻彩詠香江", "author": "記者", "source": "大公報", "date": "2024-06-01", "colour": "ignored"},
        ensure_ascii=False))
    report = read_corpus(tmp_path)
    [article] = report.articles
    assert article.doc_id == "news/night"  # path under the corpus, without the extension
    assert (article.title, article.author, article.source, article.date) == ("幻彩詠香江", "記者", "大公報", "2024-06-01")
    assert not hasattr(article, "colour")
    assert corpus_files(tmp_path) == [tmp_path / "news" / "night.txt"]


def test_broken_sidecar_skips_its_article_with_a_reason(tmp_path):
    _write(tmp_path, "night.txt", HANT)
    _write(tmp_path, "night.meta.json", "{title: oops")
    _write(tmp_path, "ferry.txt", "Harbour ferry\n\nThe Star Ferry.\n")
    report = read_corpus(tmp_path)
    assert [a.doc_id for a in report.articles] == ["ferry"]
    [(path, why)] = report.skipped
    assert path == str(tmp_path / "night.txt") and "night.meta.json" in why


def _prefix(text: str, before: str) -> str:
    return text[: text.index(before)]


def _encoded_seed_parts() -> dict[str, tuple[str, str]]:
    """What each file of tests/data/encodings holds (tests/data/README.md says how it was made): its text
    and the encoding it was saved in."""
    seed, harbour = SEED.read_text(encoding="utf-8"), (TEST_DATA / "harbour_en.txt").read_text(encoding="utf-8")
    return {
        "seed_big5.txt": (_prefix(seed, "2017年7月簽署"), "big5"),
        "seed_gbk.txt": (opencc.OpenCC("t2s").convert(_prefix(seed, "香港創業者劉振韜")), "gb18030"),
        "seed_utf16.txt": (_prefix(seed, "創科合作 深港雙向奔赴"), "utf-16-le"),
        "harbour_utf16le.txt": (harbour, "utf-16-le"),  # no byte-order mark: charset-normalizer tells
    }


@pytest.mark.parametrize("name", sorted(_encoded_seed_parts()))
def test_big5_gbk_and_utf16_files_are_read_and_their_encoding_recorded(tmp_path, name):
    text, encoding = _encoded_seed_parts()[name]
    shutil.copy(TEST_DATA / "encodings" / name, tmp_path / name)
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / name).read_bytes().decode("utf-8")
    report = read_corpus(tmp_path)
    assert report.skipped == []
    [article] = report.articles
    assert article.text == text and article.encoding == encoding
    assert article.meta()["encoding"] == encoding


def test_offsets_of_a_big5_article_point_into_its_decoded_text(tmp_path):
    shutil.copy(TEST_DATA / "encodings" / "seed_big5.txt", tmp_path / "seed.txt")
    [article] = read_corpus(tmp_path).articles
    passages = passages_for(article, 400)
    assert [p.kind for p in passages] == ["body", "byline", "caption"]
    for passage in passages:
        assert "".join(article.text[s:e] for s, e in passage.spans) == passage.text
    # the same characters as the UTF-8 seed, at the same offsets (not the file's byte offsets)
    as_utf8 = Article(doc_id="seed", title=article.title, text=_encoded_seed_parts()["seed_big5.txt"][0])
    assert [(p.text, p.spans) for p in passages] == [(p.text, p.spans) for p in passages_for(as_utf8, 400)]
    sentence = "香港特區政府把握新質生產力發展要求"
    assert article.text.index(sentence) < (TEST_DATA / "encodings" / "seed_big5.txt").read_bytes().index(
        sentence.encode("big5"))


def test_a_short_big5_file_is_read_as_big5_not_as_japanese(tmp_path):
    text = "舊新聞\n\n這是一篇以Big5編碼保存的文章。\n"  # 39 bytes: CP932 reads them too, as kana
    _write(tmp_path, "old-big5.txt", text.encode("big5"))
    [article] = read_corpus(tmp_path).articles
    assert (article.text, article.encoding) == (text, "big5")


def test_utf8_is_read_as_utf8_with_or_without_a_bom_and_utf32_by_its_bom(tmp_path):
    _write(tmp_path, "plain.txt", HANT)
    _write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + HANT.encode("utf-8"))
    _write(tmp_path, "wide.txt", HANT.encode("utf-32"))
    articles = _by_id(tmp_path)
    assert {doc_id: (a.text, a.encoding) for doc_id, a in articles.items()} == {
        "plain": (HANT, "utf-8"), "bom": (HANT, "utf-8-sig"), "wide": (HANT, "utf-32-le")}


def test_a_utf16_jsonl_file_gives_each_article_its_encoding(tmp_path):
    lines = [{"id": "a", "text": "深圳地铁于2004年开通。"}, {"id": "b", "text": "The Star Ferry."}]
    _write(tmp_path, "feed.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode("utf-16"))
    articles = _by_id(tmp_path)
    assert [(a.text, a.encoding) for a in articles.values()] == [
        ("深圳地铁于2004年开通。", "utf-16-le"), ("The Star Ferry.", "utf-16-le")]


def test_an_index_record_without_an_encoding_is_still_an_article():
    article = Article(doc_id="x", title="T", text="Text.", encoding="big5")
    record = dataclasses.asdict(article)
    assert Article(**record) == article
    del record["encoding"]  # written by an index built before the field existed
    assert Article(**record).encoding == "utf-8"


def _skipped(folder: Path, name: str, content: bytes) -> str:
    _write(folder, name, content)
    _write(folder, "night.txt", HANT)
    report = read_corpus(folder)
    assert [a.doc_id for a in report.articles] == ["night"]
    [(path, why)] = report.skipped
    assert path == str(folder / name)
    return why


def test_a_file_no_encoding_reads_is_skipped_saying_so_and_the_rest_is_read(tmp_path):
    why = _skipped(tmp_path, "picture.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert "not UTF-8" in why and "no text encoding reads it" in why and "picture.txt" in why


def test_a_damaged_gbk_file_is_skipped_with_a_hint_naming_its_encoding(tmp_path):
    gbk = (TEST_DATA / "encodings" / "seed_gbk.txt").read_bytes()
    why = _skipped(tmp_path, "damaged.txt", gbk[:1200] + b"\xff" + gbk[1200:])
    assert "mostly gb18030" in why and "`iconv -c -f GB18030 -t UTF-8 damaged.txt" in why


def test_an_english_code_page_that_cannot_be_told_apart_is_skipped_naming_the_candidates(tmp_path):
    harbour = (TEST_DATA / "harbour_en.txt").read_text(encoding="utf-8").replace("▲", "*")
    text = harbour.replace("The company plans", "The café company plans").replace('"a working', "“a working")
    why = _skipped(tmp_path, "western.txt", text.encode("cp1252"))  # two accents: cp1250 and cp850 fit too
    assert "cannot be told for sure" in why and "cp1250" in why and "`iconv -f CP" in why


def test_a_file_with_a_utf16_mark_that_is_not_utf16_is_skipped(tmp_path):
    why = _skipped(tmp_path, "odd.txt", codecs.BOM_UTF16_LE + "Hi".encode("utf-16-le") + b"\x00")
    assert "utf-16-le byte-order mark" in why and "save it again as UTF-8" in why


def test_an_empty_jsonl_file_is_reported_like_an_empty_txt(tmp_path):
    _write(tmp_path, "empty.txt", b"")
    _write(tmp_path, "empty-feed.jsonl", b"")
    _write(tmp_path, "blank-feed.jsonl", "\n  \n")
    _write(tmp_path, "night.txt", HANT)
    report = read_corpus(tmp_path)
    assert [a.doc_id for a in report.articles] == ["night"]
    assert sorted(report.skipped) == sorted(
        (str(tmp_path / name), f"{tmp_path / name}: the file has no text")
        for name in ("empty.txt", "empty-feed.jsonl", "blank-feed.jsonl"))


@pytest.mark.parametrize("name", ["report.odt", "notes.doc", "night.meta.json", "README"])
def test_read_file_refuses_a_file_type_the_corpus_reader_does_not_read(tmp_path, name):
    path = _write(tmp_path, name, "Harbour ferry\n\nThe Star Ferry.\n")
    with pytest.raises(CorpusError) as caught:
        list(read_file(path, tmp_path))
    message = str(caught.value)
    assert name in message and ".txt, .md, .html, .htm, .jsonl, .pdf, .docx, .rss, .atom, .xml files" in message


def test_duplicate_ids_keep_the_first_and_report_the_second(tmp_path):
    _write(tmp_path, "night.md", "# Night\n\nFirst.\n")
    _write(tmp_path, "night.txt", HANT)  # same id "night"
    _write(tmp_path, "feed.jsonl", "\n".join(json.dumps({"id": i, "text": t}) for i, t in
                                             [("j", "One."), ("j", "Two."), ("k", "Three.")]))
    report = read_corpus(tmp_path)
    articles = {a.doc_id: a for a in report.articles}
    assert set(articles) == {"night", "j", "k"}
    assert articles["night"].text.startswith("# Night")  # files are read in sorted order: .md first
    assert articles["j"].text == "One."
    reasons = [why for _, why in report.skipped]
    assert len(reasons) == 2 and all("duplicate document id" in why for why in reasons)


def test_empty_file_is_skipped_and_readme_hidden_and_other_files_ignored(tmp_path):
    _write(tmp_path, "empty.txt", "  \n\n")
    _write(tmp_path, "README.md", "# how to\n")
    _write(tmp_path, ".hidden/secret.txt", "hidden\n")
    _write(tmp_path, "notes.odt", b"PK\x03\x04")
    _write(tmp_path, "night.txt", HANT)
    report = read_corpus(tmp_path)
    assert [a.doc_id for a in report.articles] == ["night"]
    assert [(p, why) for p, why in report.skipped] == [(str(tmp_path / "empty.txt"), f"{tmp_path / 'empty.txt'}: the file has no text")]


def test_missing_corpus_folder_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "nowhere")


def test_fingerprint_changes_when_any_file_changes_and_only_then(tmp_path):
    night = _write(tmp_path, "night.txt", HANT)
    _write(tmp_path, "ferry.txt", "Harbour ferry\n")
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first and len(first) == 64
    night.write_text(HANT, encoding="utf-8")  # rewritten, same bytes
    assert fingerprint(tmp_path) == first
    night.write_text(HANT.replace("八時", "九時"), encoding="utf-8")
    changed = fingerprint(tmp_path)
    assert changed != first
    sidecar = _write(tmp_path, "night.meta.json", '{"title": "x"}')
    with_sidecar = fingerprint(tmp_path)
    assert with_sidecar != changed
    sidecar.unlink()
    assert fingerprint(tmp_path) == changed
    _write(tmp_path, "sub/new.txt", "New\n")
    assert fingerprint(tmp_path) != changed
    (tmp_path / "sub" / "new.txt").rename(tmp_path / "sub" / "renamed.txt")  # same bytes, another id
    assert fingerprint(tmp_path) not in (changed, first)
