"""The Articles tab in a real browser (Debian's chromium through Playwright): with the admin token, a PDF and a
news page dropped in are indexed and answered from in the chat without a restart, and one removed is gone; a
wrong token changes nothing, a file over 20 MB is refused, an uploaded page's scripts never run; a server
without WENDA_ADMIN_TOKEN has no such tab."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from articles_site import TOKEN, serve
from conftest import TEST_DATA

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]
WAIT_MS = 60_000
FORMATS = TEST_DATA / "formats"
PDF_QUESTION = "How many items can each reader card borrow at the Harbourfront Library?"
PAGE_QUESTION = "鯉灣海濱圖書館的演講廳可容納多少人？"
PDF_TITLE = "Harbourfront Library to open on 28 March"
# the tabs by their names in either language: the interface follows the language of the last question
ASK_TAB, ARTICLES_TAB = re.compile("^(Ask|問答|问答)$"), re.compile("^(Articles|文章)$")

if not CHROMIUM.exists():
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (`make browser-deps` installs it with apt)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
expect = sync_api.expect


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("articles-web")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    """The app in English with the Articles tab open; dialogs and script errors are collected on the page."""
    context = browser.new_context(locale="en-US", viewport={"width": 1180, "height": 1400})
    page = context.new_page()
    page.problems = []
    page.on("dialog", lambda dialog: (page.problems.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.goto(site[0])
    expect(page.locator("#wenda-ask")).to_have_text("Ask", timeout=WAIT_MS)
    page.get_by_role("tab", name=ARTICLES_TAB).click()
    yield page
    context.close()


def drop(page, path: Path) -> None:
    """Drag ``path`` from outside the browser and drop it on the upload area."""
    transfer = page.evaluate_handle(
        """([name, bytes]) => { const data = new DataTransfer();
             data.items.add(new File([new Uint8Array(bytes)], name)); return data; }""",
        [path.name, list(path.read_bytes())])
    zone = page.locator("#wenda-upload").get_by_text("Drop File Here")
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})


def uploaded(page, name: str):
    """The download link of the file ``name`` in the upload area (there once it is uploaded)."""
    return page.locator("#wenda-upload tr", has_text=name).locator("a")


def ask(page, question: str):
    """Ask in the chat tab and return the new reply."""
    page.get_by_role("tab", name=ASK_TAB).click()
    replies = page.locator(".wenda-reply")
    before = replies.count()
    box = page.locator("#wenda-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=WAIT_MS)
    return replies.nth(before)


def test_upload_a_pdf_and_a_news_page_ask_them_then_remove_one(page, site):
    page.locator("#wenda-token input").fill(TOKEN)
    page.locator("#wenda-show").click()
    rows = page.locator("#wenda-articles tr.wenda-article-row")
    expect(rows).to_have_count(1, timeout=WAIT_MS)

    drop(page, FORMATS / "portal_zh.html")  # drag and drop
    page.locator("#wenda-upload input[type=file]").set_input_files(str(FORMATS / "release_en.pdf"))  # chosen
    link = uploaded(page, "portal_zh")
    expect(link).to_be_visible(timeout=WAIT_MS)
    expect(uploaded(page, "release_en")).to_be_visible(timeout=WAIT_MS)
    served = page.request.get(link.get_attribute("href"))
    assert served.headers.get("content-disposition", "").startswith("attachment")  # a download, never a page
    page.locator("#wenda-add").click()
    status = page.locator("#wenda-articles-status")
    expect(status).to_contain_text("Added uploads/release_en.pdf: 1 article(s), 5 passages.", timeout=WAIT_MS)
    expect(status).to_contain_text("Added uploads/portal_zh.html: 1 article(s)")
    expect(rows).to_have_count(3)
    expect(page.locator("#wenda-articles")).to_contain_text(PDF_TITLE)
    expect(page.locator("#wenda-articles")).to_contain_text("港聞網")
    expect(page.locator("#wenda-upload a")).to_have_count(0)  # the upload area is cleared

    reply = ask(page, PDF_QUESTION)
    expect(reply.locator(".wenda-sentence")).to_contain_text("up to 12 items")
    expect(reply.locator(".wenda-meta").first).to_contain_text(PDF_TITLE)
    reply = ask(page, PAGE_QUESTION)
    expect(reply.locator(".wenda-sentence")).to_contain_text("可容納120人")
    expect(reply.locator(".wenda-meta").first).to_contain_text("港聞網")

    page.get_by_role("tab", name=ARTICLES_TAB).click()
    page.locator("#wenda-remove-choice input").click()
    page.get_by_role("option", name=f"{PDF_TITLE} (uploads/release_en)").click()
    page.locator("#wenda-remove").click()
    expect(status).to_contain_text("已移除 uploads/release_en.pdf（1 篇文章）。", timeout=WAIT_MS)  # zh since 鯉灣…？
    expect(rows).to_have_count(2)
    expect(page.locator("#wenda-articles")).not_to_contain_text(PDF_TITLE)
    reply = ask(page, PDF_QUESTION)
    expect(reply.locator(".wenda-sentence, .wenda-abstain")).to_be_visible()
    expect(reply).not_to_contain_text(PDF_TITLE)
    assert not (site[1] / "uploads" / "release_en.pdf").exists()

    assert page.evaluate("typeof window.__portal_script_ran") == "undefined"
    assert not page.problems


def test_a_page_whose_title_and_text_are_markup_never_runs_it(page, tmp_path):
    hostile = tmp_path / "hostile.html"
    hostile.write_text('<html><head><title>&lt;img src=x onerror="window.__title_ran=1"&gt;</title>'
                       '<script>window.__page_ran = 1</script></head><body><h1>&lt;img src=x '
                       'onerror="window.__title_ran=1"&gt; Ferry notice</h1><p>The ferry pier reopens on '
                       'Thursday, the operator said, after repairs to its west side.</p>'
                       '<img src=x onerror="window.__img_ran=1"></body></html>', encoding="utf-8")
    page.locator("#wenda-token input").fill(TOKEN)
    page.locator("#wenda-upload input[type=file]").set_input_files(str(hostile))
    expect(uploaded(page, "hostile")).to_be_visible(timeout=WAIT_MS)
    page.locator("#wenda-add").click()
    expect(page.locator("#wenda-articles-status")).to_contain_text("Added uploads/hostile.html", timeout=WAIT_MS)
    expect(page.locator("#wenda-articles")).to_contain_text('<img src=x onerror="window.__title_ran=1"> Ferry notice')
    reply = ask(page, "When does the ferry pier reopen?")
    expect(reply).to_contain_text("Thursday")
    for flag in ("__title_ran", "__page_ran", "__img_ran"):
        assert page.evaluate(f"typeof window.{flag}") == "undefined", flag
    assert page.locator('img[src="x"]').count() == 0
    assert not page.problems


def test_a_wrong_token_changes_nothing_and_a_file_over_20_mb_is_refused(page, site, tmp_path):
    before = sorted(p.name for p in site[1].rglob("*"))
    page.locator("#wenda-token input").fill("not the token")
    page.locator("#wenda-upload input[type=file]").set_input_files(str(FORMATS / "release_zh.pdf"))
    expect(uploaded(page, "release_zh")).to_be_visible(timeout=WAIT_MS)
    page.locator("#wenda-add").click()
    expect(page.locator("#wenda-articles-status")).to_have_text("The admin token is wrong: nothing was changed.",
                                                                 timeout=WAIT_MS)
    expect(page.locator("#wenda-articles tr")).to_have_count(0)  # and no list for a wrong token
    assert sorted(p.name for p in site[1].rglob("*")) == before

    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (20 * 1024 * 1024 + 1))
    page.locator("#wenda-token input").fill(TOKEN)
    page.locator("#wenda-upload input[type=file]").set_input_files(str(huge))
    expect(page.get_by_text("exceed the maximum allowed size")).to_be_visible(timeout=WAIT_MS)
    expect(uploaded(page, "huge")).to_have_count(0)
    assert sorted(p.name for p in site[1].rglob("*")) == before


def test_without_an_admin_token_there_is_no_articles_tab(browser, web_url):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(web_url)
        expect(page.locator("#wenda-ask")).to_have_text("Ask", timeout=WAIT_MS)
        expect(page.get_by_role("tab")).to_have_count(2)
        assert page.get_by_role("tab", name="Articles").count() == 0
        assert page.locator("#wenda-upload, #wenda-token").count() == 0
    finally:
        context.close()
