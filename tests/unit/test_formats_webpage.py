"""bot.formats.webpage: news pages modelled on real ones (tests/data/formats) read to their article: the text
trafilatura extracts without the page's furniture, kept beside the page, with title, author, date, site name
and address; pages in Big5 and GBK read by the charset they declare; every passage slices the kept text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.corpus import kept_path, read_file
from bot.formats.webpage import headline
from bot.passages import passages_for

from conftest import TEST_DATA

FORMATS = TEST_DATA / "formats"

PAGES = {
    "portal_zh.html": {
        "meta": {"title": "鯉灣海濱圖書館月底開放 館藏逾二十三萬冊", "author": "陳嘉欣", "date": "2025-03-12",
                 "source": "港聞網", "url": "https://news.example.hk/finance/20250312/lei-wan-library"},
        "encoding": "utf-8",
        "says": ["館藏約二十三萬冊，是區內規模最大的公共圖書館。", "開幕首月將舉辦二十場閱讀活動"],
        "furniture": ["首頁", "分享", "WhatsApp", "廣告", "信用卡", "相關新聞", "公共圖書館推夜讀計劃", "讀者留言",
                      "書蟲阿明", "值唔值得", "熱門排行", "樓價連升", "版權所有", "私隱政策", "搜尋", "即時新聞",
                      "__portal_script_ran", "document.write"],
    },
    "feature_en.html": {
        "meta": {"title": "Night ferries return to the harbour after eight years", "author": "Alice Wong",
                 "date": "2025-04-02", "source": "Harbour Times",
                 "url": "https://www.harbourtimes.example/city/2025/04/02/night-ferries-return"},
        "encoding": "utf-8",
        "says": ["Fares will be HK$9.80 for adults", "It plans to add a third boat if demand grows."],
        "furniture": ["cookies", "Subscribe", "Share on", "newsletter", "Advertisement", "Mortgage", "Read more",
                      "Five bus routes", "ferryfan", "All rights reserved", "Topics:", "__feature_script_ran"],
    },
    "ferry_big5.html": {
        "meta": {"title": "渡輪夜航服務五月恢復", "author": "李志明", "date": "2025-04-02"},
        "encoding": "big5hkscs",
        "says": ["首班船於晚上十一時四十分開出", "「我哋等咗好多年，終於有船返屋企嘅。」"],
        "furniture": ["新聞分類", "新聞檔案", "熱門新聞", "港鐵新綫", "副刊", "版權所有", "今日天氣", "__big5_script_ran"],
    },
    "library_gbk.html": {
        "meta": {"title": "海滨图书馆三月底开放 藏书约二十三万册", "author": "王喆", "date": "2025-03-12",
                 "source": "鲤湾网"},
        "encoding": "gb18030",
        "says": ["藏书约二十三万册，是区内规模最大的公共图书馆。", "比原定计划提前四个月完工。"],
        "furniture": ["网站首页", "当前位置", "分享到", "上一篇", "下一篇", "相关阅读", "网友评论", "期待开馆",
                      "责任编辑", "Copyright", "__gbk_script_ran"],
    },
}


def read_page(folder: Path, name: str):
    """The one article of the fixture page ``name``, read from a copy in ``folder``."""
    shutil.copy(FORMATS / name, folder / name)
    [article] = read_file(folder / name, folder)
    return article


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_news_page_is_its_article_with_its_metadata_and_none_of_its_furniture(tmp_path, name):
    expected = PAGES[name]
    article = read_page(tmp_path, name)
    assert article.doc_id == name.removesuffix(".html")
    got = {key: getattr(article, key) for key in ("title", "author", "date", "source", "url")}
    assert got == {key: expected["meta"].get(key, "") for key in got}
    assert article.encoding == expected["encoding"]
    assert article.text.startswith(f"# {article.title}\n\n")  # the headline heads the passages as their section
    for words in expected["says"]:
        assert words in article.text
    for words in expected["furniture"]:
        assert words not in article.text, words


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_passage_slices_the_text_kept_beside_the_page(tmp_path, name):
    article = read_page(tmp_path, name)
    kept = json.loads(kept_path(tmp_path / name).read_text(encoding="utf-8"))
    assert kept["format"] == "html" and kept["extractor"].startswith("trafilatura ")
    [record] = kept["articles"]
    assert record["text"] == article.text
    passages = passages_for(article, 400)
    assert passages and all(p.section.startswith(article.title) for p in passages)
    for passage in passages:
        assert "".join(record["text"][s:e] for s, e in passage.spans) == passage.text


def test_a_sentence_split_over_two_paragraphs_or_by_a_line_break_is_one_passage(tmp_path):
    article = read_page(tmp_path, "portal_zh.html")
    texts = {p.text: p for p in passages_for(article, 400)}
    over_paragraphs = texts["署方發言人表示，新館總建築費約為四億二千萬元，自2021年動工，工程比原定計劃提早四個月完成。"]
    assert len(over_paragraphs.spans) == 2  # the blank line between the two <p> is skipped, not in the text
    by_break = texts["新館樓高五層，設有兒童圖書館、自修室及一個可容納120人的多用途演講廳，每日開放時間為上午九時至晚上十時。"]
    assert article.text[by_break.spans[0][1]] == "\n"  # the <br> is kept in the text and skipped by the passage
    big5 = read_page(tmp_path, "ferry_big5.html")
    assert any("約一千五百人次，如需求增加，將增設第三艘渡輪。" in p.text for p in passages_for(big5, 400))


def test_the_kept_text_is_used_until_the_page_changes(tmp_path, monkeypatch):
    first = read_page(tmp_path, "feature_en.html")
    import bot.formats.webpage as webpage

    def unavailable(page: str):
        raise AssertionError("extracted again")

    monkeypatch.setattr(webpage, "extract", unavailable)
    assert read_page(tmp_path, "feature_en.html") == first  # the same bytes: the kept text, not a new extraction
    monkeypatch.undo()
    page = tmp_path / "feature_en.html"
    page.write_text(page.read_text(encoding="utf-8").replace("1,500 passengers", "1,800 passengers"), encoding="utf-8")
    [changed] = read_file(page, tmp_path)
    assert "1,800 passengers" in changed.text
    assert "1,800 passengers" in json.loads(kept_path(page).read_text(encoding="utf-8"))["articles"][0]["text"]


def test_a_page_in_a_read_only_folder_is_read_without_keeping_its_text(tmp_path, caplog, monkeypatch):
    import errno

    import bot.corpus

    def read_only(path: Path, text: str) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(bot.corpus, "_write_atomically", read_only)
    article = read_page(tmp_path, "library_gbk.html")
    assert article.author == "王喆"
    assert not kept_path(tmp_path / "library_gbk.html").exists()
    assert "could not keep the text extracted from" in caplog.text


def test_a_declared_charset_that_is_wrong_does_not_win_over_utf8(tmp_path):
    page = tmp_path / "mislabelled.html"
    page.write_text('<html><head><meta charset="big5"><title>深圳地铁</title></head>'
                    "<body><p>深圳地铁于2004年12月28日开通，首条线路为罗宝线。</p></body></html>", encoding="utf-8")
    [article] = read_file(page, tmp_path)
    assert article.encoding == "utf-8" and "罗宝线" in article.text


@pytest.mark.parametrize("title, headlines, names, expected", [
    ("鯉灣海濱圖書館月底開放　館藏逾二十三萬冊｜財經｜即時新聞｜港聞網", ["鯉灣海濱圖書館月底開放　館藏逾二十三萬冊"], [],
     "鯉灣海濱圖書館月底開放 館藏逾二十三萬冊"),
    ("Night ferries return - Harbour Times", [], ["Harbour Times"], "Night ferries return"),
    ("海滨图书馆三月底开放_新闻中心_鲤湾网", [], ["鲤湾网"], "海滨图书馆三月底开放"),
    ("Hong Kong-Shenzhen rail link opens | City | Harbour Times", [], ["Harbour Times", "City"],
     "Hong Kong-Shenzhen rail link opens"),
    ("A headline – with a dash in it", [], [], "A headline – with a dash in it"),
])
def test_the_title_loses_what_the_site_adds_to_the_headline(title, headlines, names, expected):
    assert headline(title, headlines, names) == expected
