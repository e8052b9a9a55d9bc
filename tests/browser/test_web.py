"""The web app in a real browser: Debian's chromium driven by Playwright, the app in this process on a
free port over the seed index. Screenshots go to a temporary folder, or to WENDA_SCREENSHOT_DIR
(``WENDA_SCREENSHOT_DIR=docs pytest tests/browser -k chinese_and_english`` remakes the README's pictures)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import app
import chromium
from chromium import browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

ZH = "香港科學園深圳分園進駐了多少家企業？"
EN = "When did the Shenzhen branch of the Hong Kong Science Park open?"
INJECTION = '<img src=x onerror="window.__wenda_xss=1"><script>window.__wenda_xss=2</script> **not bold** $$x$$'
WAIT_MS = 30_000

sync_api = chromium.sync_api()
expect = sync_api.expect


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WENDA_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Visit:
    """A page on the app, with everything it requested and every dialog or script error it raised."""

    page: object
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def ask(self, question: str) -> object:
        """Type ``question``, press Enter and return the new reply once it is shown."""
        replies = self.page.locator(".wenda-reply")
        before = replies.count()
        box = self.page.locator("#wenda-question textarea")
        box.fill(question)
        box.press("Enter")
        expect(replies).to_have_count(before + 1, timeout=WAIT_MS)
        return replies.nth(before)

    def offsite(self, home: str) -> list[str]:
        return [url for url in self.requests if not url.startswith((home, "data:", "blob:"))]


def visit(browser, url: str, locale: str = "zh-HK", height: int = 1300):
    context = browser.new_context(locale=locale, viewport={"width": 1180, "height": height})
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.goto(url)
    expect(page.locator("#wenda-ask")).to_be_visible(timeout=WAIT_MS)
    return context, seen


@pytest.fixture
def chinese(browser, web_url):
    context, seen = visit(browser, web_url)
    yield seen
    context.close()


def test_chinese_and_english_questions_are_answered_with_citations(browser, web_url, seed_bot, shots):
    context, seen = visit(browser, web_url, height=1800)
    page = seen.page
    try:
        expect(page.locator("#wenda-ask")).to_have_text("提問")  # a Hong Kong browser gets Traditional Chinese

        reply = seen.ask(ZH)
        expected = seed_bot.ask(ZH)
        expect(reply.locator(".wenda-sentence")).to_contain_text(expected.sentence)
        expect(reply.locator(".wenda-sentence mark.wenda-answer")).to_have_text(expected.text)
        citations = reply.locator("details.wenda-citation")
        expect(citations).to_have_count(len(expected.hits))
        cited = reply.locator(f"details.wenda-rank-{expected.citation}")
        expect(cited.locator("blockquote")).to_be_hidden()
        cited.locator("summary").click()
        expect(cited.locator("blockquote.wenda-context")).to_be_visible()
        quoted = cited.locator("mark.wenda-quote, mark.wenda-answer")
        expect(quoted.first).to_be_visible()
        assert "".join(quoted.all_inner_texts()) == expected.sentence
        expect(cited.locator("mark.wenda-answer")).to_have_text(expected.text)
        expect(cited.locator(".wenda-meta")).to_contain_text("港深科研合作趨緊密")
        expect(cited.locator(".wenda-meta")).to_contain_text("大公報")

        reply = seen.ask(EN)
        # English answers are being improved: an answer or the plain abstention, with passages either way
        expect(reply.locator(".wenda-sentence, .wenda-abstain")).to_be_visible()
        expect(reply.locator("details.wenda-citation").first).to_be_visible()
        expect(page.locator("#wenda-ask")).to_have_text("Ask")  # the interface follows the question
        expect(page.locator(".wenda-example").first).to_contain_text("What do the articles say about")
        expect(reply.locator(".wenda-english")).to_have_text("In English: September 2023")
        bottom = page.locator("#wenda-settings").bounding_box()
        page.screenshot(path=str(shots / "wenda-zh-en.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1180, "height": bottom["y"] + bottom["height"] + 24})

        assert not seen.dialogs and not seen.errors
        assert seen.offsite(web_url) == [], "every request stays on this machine"
    finally:
        context.close()


def test_html_in_a_question_is_shown_as_text_and_never_runs(chinese, web_url, shots):
    reply = chinese.ask(INJECTION)
    page = chinese.page
    expect(reply).to_be_visible()
    expect(page.locator(".wenda-question").last).to_have_text(INJECTION)
    assert page.locator('#wenda-chat img[src="x"], #wenda-chat script').count() == 0
    assert page.evaluate("window.__wenda_xss") is None
    assert page.locator("#wenda-chat strong", has_text="not bold").count() == 0
    page.screenshot(path=str(shots / "wenda-injection.png"), full_page=True)
    assert not chinese.dialogs and not chinese.errors


def test_an_empty_question_gets_a_polite_hint_and_the_app_keeps_serving(chinese):
    page = chinese.page
    page.locator("#wenda-ask").click()  # ignored in place: a hint under the box, no reply (issue 15)
    expect(page.locator("#wenda-hint")).to_contain_text("請先輸入問題")
    assert page.locator(".wenda-reply").count() == 0
    reply = chinese.ask("？？？")
    expect(reply).to_contain_text("這個問題沒有文字")
    reply = chinese.ask(ZH)
    expect(reply.locator(".wenda-sentence")).to_be_visible()


def test_language_switch_settings_and_scores(browser, web_url, seed_bot):
    context, seen = visit(browser, web_url, locale="en-US")
    page = seen.page
    try:
        expect(page.locator("#wenda-ask")).to_have_text("Ask")
        page.get_by_text("中文", exact=True).click()
        expect(page.locator("#wenda-ask")).to_have_text("提問")
        expect(page.locator(".wenda-example").first).to_have_text(app.example_questions(seed_bot)["zh-Hant"][0])

        page.locator("#wenda-settings").get_by_text("設定").click()
        page.get_by_label("BM25 關鍵詞").check()
        number = page.locator("#wenda-k input[type=number]")
        number.fill("2")
        number.press("Enter")
        page.get_by_label("顯示分數").check()
        reply = seen.ask(ZH)
        expect(reply.locator("details.wenda-citation")).to_have_count(2)
        expect(reply.locator(".wenda-scores").first).to_contain_text("BM25 排名 1")
        expect(page.get_by_label("BM25 關鍵詞")).to_be_checked()  # relabelling keeps the visitor's choice
        assert not seen.errors
    finally:
        context.close()


CLAIMS = ["香港科學園深圳分園已進駐40家香港企業和機構。",  # true, Traditional Chinese
          "香港科学园深圳分园已进驻60家香港企业和机构。",  # a changed number, Simplified Chinese
          "The Star Ferry crossing costs HK$5."]  # nothing in the seed article about it
CLAIM_INJECTION = "<script>window.__wenda_fc=1</script>"


def check_claims(page, text: str, count: int) -> object:
    """Paste ``text`` into the Fact check tab, press its button and return the ``count`` rows once shown."""
    page.locator("#wenda-claims textarea").fill(text)
    page.locator("#wenda-check").click()
    rows = page.locator("#wenda-report .wenda-check")
    expect(rows).to_have_count(count, timeout=WAIT_MS)
    expect(rows.first).to_contain_text(text.splitlines()[0], timeout=WAIT_MS)
    return rows


def test_fact_check_tab_gives_verdicts_quotes_and_a_csv(chinese, shots):
    import csv
    import io

    from bot.factcheck_render import headers

    page = chinese.page
    page.get_by_role("tab", name="事實核查").click()
    rows = check_claims(page, "\n".join(CLAIMS), 3)
    for row, verdict in zip(rows.all(), ("supported", "contradicted", "not_found")):
        expect(row.locator(".wenda-verdict")).to_have_class(f"wenda-verdict wenda-verdict-{verdict}")
    mismatch = rows.nth(1).locator("table.wenda-mismatches tbody tr")
    expect(mismatch).to_have_count(1)
    claim_cell, article_cell = mismatch.locator(".wenda-mismatch-claim"), mismatch.locator(".wenda-mismatch-article")
    expect(claim_cell).to_have_text("60家")
    expect(article_cell).to_have_text("40家")
    left, right = claim_cell.bounding_box(), article_cell.bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2, "side by side"
    quote = rows.first.locator("blockquote.wenda-context mark.wenda-quote").first
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("已進駐40家香港企業和機構")
    expect(rows.first.locator(".wenda-meta").first).to_contain_text("港深科研合作趨緊密")
    expect(rows.nth(1).locator("blockquote mark.wenda-value-article")).to_have_text("40家")

    with page.expect_download(timeout=WAIT_MS) as download:
        page.locator("#wenda-csv").click()
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert table[0] == headers("zh-Hant")
    assert [(r[2], r[3]) for r in table[1:]] == list(zip(CLAIMS, ("相符", "不符", "未找到")))
    page.screenshot(path=str(shots / "wenda-fact-check.png"), full_page=True)

    rows = check_claims(page, CLAIM_INJECTION, 1)
    expect(rows.first.locator(".wenda-claim")).to_contain_text(CLAIM_INJECTION)
    assert page.locator("#wenda-report script").count() == 0
    assert page.evaluate("typeof window.__wenda_fc") == "undefined"
    assert not chinese.dialogs and not chinese.errors
