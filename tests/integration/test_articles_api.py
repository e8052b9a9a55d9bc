"""``/api/articles``: listing, adding (a multipart upload) and removing articles from a running server, with the
admin token only; an upload is answered from at once, a removal forgotten at once, and an upload that cannot
be read, is too large, or fails half way changes nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot import Bot
from bot.corpus import fingerprint, kept_path
from bot.index import check_fresh, read_manifest
from bot.library import MAX_UPLOAD_BYTES, safe_name

from articles_site import TOKEN, serve
from conftest import TEST_DATA

AUTH = {"Authorization": f"Bearer {TOKEN}"}
FORMATS = TEST_DATA / "formats"
PDF_QUESTION = "How many items can each reader card borrow at the Harbourfront Library?"
PAGE_QUESTION = "鯉灣海濱圖書館的演講廳可容納多少人？"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server with the admin token over its own copy of the seed corpus and index: (url, corpus, index)."""
    with serve(tmp_path_factory.mktemp("articles")) as running:
        yield running


def upload(url: str, name: str, content: bytes, headers: dict | None = AUTH) -> httpx.Response:
    return httpx.post(f"{url}/api/articles", files={"file": (name, content)}, headers=headers, timeout=120)


def listed(url: str) -> dict[str, dict]:
    response = httpx.get(f"{url}/api/articles", headers=AUTH, timeout=30)
    assert response.status_code == 200
    return {row["doc_id"]: row for row in response.json()["articles"]}


def ask(url: str, question: str) -> dict:
    return httpx.post(f"{url}/api/ask", json={"question": question}, timeout=60).json()


def corpus_state(corpus: Path) -> dict[str, bytes]:
    return {str(p.relative_to(corpus)): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("headers", [None, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_without_the_right_token_every_articles_endpoint_is_403(site, headers):
    url, corpus, _ = site
    before = corpus_state(corpus)
    for response in (httpx.get(f"{url}/api/articles", headers=headers),
                     upload(url, "note.txt", "渡輪\n\n渡輪每晚開出。\n".encode(), headers),
                     httpx.delete(f"{url}/api/articles/000_4537e6698f2b37d0", headers=headers)):
        assert response.status_code == 403
        assert "admin token" in response.json()["error"]
    assert corpus_state(corpus) == before


def test_a_server_started_without_a_token_has_the_endpoints_closed(web_url):
    for response in (httpx.get(f"{web_url}/api/articles", headers=AUTH),
                     upload(web_url, "note.txt", b"Ferry\n\nThe ferry sails.\n"),
                     httpx.delete(f"{web_url}/api/articles/x", headers=AUTH)):
        assert response.status_code == 403
        assert "WENDA_ADMIN_TOKEN" in response.json()["error"]


def test_with_the_token_the_list_names_each_article(site):
    [seed] = listed(site[0]).values()
    assert seed == {"doc_id": "000_4537e6698f2b37d0", "title": "港深科研合作趨緊密 創新資源集聚",
                    "source": "大公報 (Ta Kung Pao)", "date": "2024", "passages": seed["passages"],
                    "file": "000_4537e6698f2b37d0.txt"}
    assert seed["passages"] > 10


def test_an_uploaded_pdf_and_news_page_are_answered_from_then_removed(site):
    url, corpus, index = site
    for name in ("release_en.pdf", "portal_zh.html"):
        response = upload(url, name, (FORMATS / name).read_bytes())
        assert response.status_code == 201, response.text
        [added] = response.json()["added"]
        assert added["file"] == f"uploads/{name}" and added["passages"] > 0
    rows = listed(url)
    assert rows["uploads/release_en"]["title"] == "Harbourfront Library to open on 28 March"
    assert rows["uploads/portal_zh"]["source"] == "港聞網" and rows["uploads/portal_zh"]["date"] == "2025-03-12"
    check_fresh(read_manifest(index), index)  # the index records the corpus as it is now

    for question, doc_id, says in ((PDF_QUESTION, "uploads/release_en", "12 items"),
                                   (PAGE_QUESTION, "uploads/portal_zh", "120人")):
        out = ask(url, question)
        assert out["found"] and says in out["answer"]["sentence"], out
        cited = out["passages"][out["answer"]["citation"] - 1]
        assert cited["doc_id"] == doc_id
        kept = Bot.open(index).index.articles[doc_id].text
        assert "".join(kept[s:e] for s, e in out["answer"]["sentence_spans"]) == out["answer"]["sentence"]
    assert ask(url, PDF_QUESTION)["passages"][0]["section"].endswith("p. 1")  # the citation's page

    response = httpx.delete(f"{url}/api/articles/uploads/release_en", headers=AUTH, timeout=60)
    assert response.status_code == 200 and response.json()["removed"] == ["uploads/release_en"]
    assert "uploads/release_en" not in listed(url)
    assert not (corpus / "uploads" / "release_en.pdf").exists()
    assert not kept_path(corpus / "uploads" / "release_en.pdf").exists()
    out = ask(url, PDF_QUESTION)
    assert all(p["doc_id"] != "uploads/release_en" for p in out["passages"])
    assert httpx.delete(f"{url}/api/articles/uploads/release_en", headers=AUTH).status_code == 404


def test_an_upload_of_the_same_name_replaces_the_article(site):
    url = site[0]
    first = upload(url, "ferry.txt", "天星小輪\n\n天星小輪單程約需九分鐘。\n".encode())
    assert first.status_code == 201
    second = upload(url, "ferry.txt", "天星小輪\n\n天星小輪單程約需八分鐘。\n".encode())
    assert second.status_code == 201
    assert "八分鐘" in ask(url, "天星小輪單程需要多久？")["answer"]["sentence"]
    assert list(listed(url)).count("uploads/ferry") == 1


def test_a_file_over_20_mb_is_refused_with_a_message_and_nothing_changes(site):
    url, corpus, _ = site
    before, rows = corpus_state(corpus), listed(url)
    response = upload(url, "huge.txt", b"a" * (MAX_UPLOAD_BYTES + 1))
    assert response.status_code == 413
    assert "at most 20 MB" in response.json()["error"]
    assert corpus_state(corpus) == before and listed(url) == rows


@pytest.mark.parametrize("name, content, status, says", [
    ("scan.pdf", (FORMATS / "scanned.pdf").read_bytes(), 400, "no text layer"),
    ("notes.odt", b"PK\x03\x04", 400, "upload .txt, .md, .html"),
    ("page.exe", b"MZ", 400, "a .exe file"),
    ("empty.txt", b"", 400, "has no text"),
    ("README.md", b"# Read me\n", 400, "a name Wenda keeps"),
])
def test_a_file_that_cannot_be_an_article_is_refused_and_nothing_changes(site, name, content, status, says):
    url, corpus, _ = site
    before = corpus_state(corpus)
    response = upload(url, name, content)
    assert response.status_code == status and says in response.json()["error"]
    assert corpus_state(corpus) == before
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_a_request_without_a_file_gets_400_and_the_curl_command(site):
    response = httpx.post(f"{site[0]}/api/articles", headers=AUTH, data={"name": "x"}, timeout=30)
    assert response.status_code == 400 and "-F file=@" in response.json()["error"]


@pytest.mark.parametrize("name, safe", [
    ("../../outside.txt", "outside.txt"), ("..\\..\\win.txt", "win.txt"), ("/etc/passwd.txt", "passwd.txt"),
    (".hidden.txt", "hidden.txt"), ("新聞 稿 (1).TXT", "新聞_稿_1.txt"), ("a\x00b.txt", "a_b.txt"),
])
def test_an_uploaded_files_name_is_made_safe(name, safe):
    assert safe_name(name) == safe


def test_a_name_reaching_outside_the_corpus_lands_in_uploads(site):
    url, corpus, _ = site
    response = upload(url, "../../outside.txt", "Outside\n\nThe outside article is about ferries.\n".encode())
    assert response.status_code == 201 and response.json()["file"] == "uploads/outside.txt"
    assert (corpus / "uploads" / "outside.txt").is_file()
    assert not (corpus.parent / "outside.txt").exists() and not (corpus.parent.parent / "outside.txt").exists()


def test_an_upload_that_fails_half_way_leaves_the_corpus_and_the_index_as_they_were(site, monkeypatch):
    import bot.store

    url, corpus, index = site
    before, rows, live = corpus_state(corpus), listed(url), read_manifest(index)

    def killed(step: str) -> None:
        if step == "pointer-written":
            raise OSError("disk full")

    monkeypatch.setattr(bot.store, "fault_point", killed)
    response = upload(url, "release_zh.pdf", (FORMATS / "release_zh.pdf").read_bytes())
    assert response.status_code == 500
    assert response.json()["error"] == "the index could not be changed (disk full); the articles are as they were"
    monkeypatch.undo()
    assert corpus_state(corpus) == before and listed(url) == rows
    assert read_manifest(index)["corpus"]["fingerprint"] == live["corpus"]["fingerprint"] == fingerprint(corpus)
    assert ask(url, "香港科學園深圳分園進駐了多少家企業？")["found"]
    assert upload(url, "release_zh.pdf", (FORMATS / "release_zh.pdf").read_bytes()).status_code == 201


def test_the_articles_tab_has_every_word_in_every_language_and_escapes_what_it_lists():
    import app

    assert set(app.ARTICLE_WORDS) == set(app.UI)
    keys = set(app.ARTICLE_WORDS["en"])
    assert all(set(words) == keys and len(words["columns"]) == 6 for words in app.ARTICLE_WORDS.values())
    row = {"doc_id": "uploads/x", "title": "<script>alert(1)</script>", "source": "<b>", "date": "", "passages": 1,
           "file": "uploads/x.html"}
    table = app.articles_html([row], "en")
    assert "<script>" not in table and "&lt;script&gt;alert(1)&lt;/script&gt;" in table and "<b>" not in table
