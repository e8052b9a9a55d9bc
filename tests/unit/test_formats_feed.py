"""bot.formats.feed: RSS and Atom files read as one article an entry, with its link, date, author and the feed's
title as its source; an entry's full content where the feed has it, else its summary; its id stable as the
feed grows; an entry without text skipped with the reason and the rest read."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.corpus import read_corpus, read_file
from bot.passages import passages_for

from conftest import TEST_DATA

FORMATS = TEST_DATA / "formats"


def read_feed(folder: Path, name: str) -> dict:
    shutil.copy(FORMATS / name, folder / name)
    return {article.url: article for article in read_file(folder / name, folder, on_bad_line=lambda where, why: None)}


def test_each_rss_entry_is_an_article_with_its_link_date_author_and_full_content(tmp_path):
    articles = read_feed(tmp_path, "newsroom.rss")
    library = articles["https://www.lcsd.example.hk/news/20250312-library.html"]
    assert (library.title, library.date, library.author, library.source, library.encoding) == (
        "鯉灣海濱圖書館月底開放", "2025-03-12", "康文署新聞組", "康文署新聞公報", "utf-8")
    assert library.doc_id.startswith("newsroom/") and library.text.startswith("# 鯉灣海濱圖書館月底開放\n\n")
    assert "館藏約二十三萬冊" in library.text  # content:encoded, not the one-line description
    assert "__feed_script_ran" not in library.text and "圖書館外貌" not in library.text
    assert "圖書館每日開放時間為上午九時至晚上十時，農曆新年首三天休館。" in [p.text for p in passages_for(library, 400)]
    ferry = articles["https://www.lcsd.example.hk/news/20250402-ferry.html"]
    assert ferry.author == "Transport Desk" and "last boat leaving at 1.10am" in ferry.text  # its summary


def test_an_atom_entry_prefers_its_content_to_its_summary_and_joins_a_broken_sentence(tmp_path):
    articles = read_feed(tmp_path, "newsroom.atom")
    ferries = articles["https://www.harbourtimes.example/city/2025/04/02/night-ferries-return"]
    assert (ferries.date, ferries.author, ferries.source) == ("2025-04-02", "Alice Wong", "Harbour Times: City")
    assert "resumes in May" not in ferries.text  # the summary, when there is content
    texts = [p.text for p in passages_for(ferries, 400)]
    assert ("Fares will be HK$9.80 for adults and HK$4.90 for children and older people,\n\nthe same as the daytime "
            "fare on the route.") not in texts
    joined = next(p for p in passages_for(ferries, 400) if p.text.startswith("Fares"))
    assert joined.text == "Fares will be HK$9.80 for adults and HK$4.90 for children and older people,\nthe same as " \
                          "the daytime fare on the route." and len(joined.spans) == 2
    repairs = articles["https://www.harbourtimes.example/city/2025/03/28/pier-repairs"]
    assert repairs.author == "Harbour Times" and repairs.date == "2025-03-28"  # the feed's author, the update's date
    for article in articles.values():
        for passage in passages_for(article, 400):
            assert "".join(article.text[s:e] for s, e in passage.spans) == passage.text


def test_an_entry_without_text_is_skipped_with_its_reason(tmp_path):
    shutil.copy(FORMATS / "newsroom.rss", tmp_path / "newsroom.rss")
    report = read_corpus(tmp_path)
    assert len(report.articles) == 2
    [(where, why)] = report.skipped
    assert where == f"{tmp_path / 'newsroom.rss'}#3" and "has neither content nor a summary" in why


def test_an_entry_keeps_its_id_when_the_feed_grows(tmp_path):
    before = {a.url: a.doc_id for a in read_feed(tmp_path, "newsroom.atom").values()}
    feed = tmp_path / "newsroom.atom"
    newer = ("<entry><title>Ferry pier reopens</title><link href='https://www.harbourtimes.example/new'/>"
             "<id>tag:harbourtimes.example,2025:new</id><updated>2025-04-03T09:00:00+08:00</updated>"
             "<summary>The pier reopened on Thursday.</summary></entry>")
    feed.write_text(feed.read_text(encoding="utf-8").replace("<entry>", newer + "\n  <entry>", 1), encoding="utf-8")
    after = {a.url: a.doc_id for a in read_file(feed, tmp_path)}
    assert len(after) == 3 and all(after[url] == doc_id for url, doc_id in before.items())


def test_a_file_that_is_not_a_feed_is_skipped_saying_so(tmp_path):
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?><urlset><url><loc>https://a.example/</loc></url>'
                                          "</urlset>", encoding="utf-8")
    report = read_corpus(tmp_path)
    assert report.articles == [] and "not an RSS or Atom feed" in report.skipped[0][1]
