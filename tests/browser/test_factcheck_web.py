"""The Fact check tab in a real browser, as a press officer uses it: a two-sentence draft with one wrong
number pasted, the report read in one language and again in the other, its colours as the browser computes
them, and the CSV it exports. Debian's chromium driven by Playwright, the app in this process on a free port
over the seed index (as tests/browser/test_web.py); screenshots go to WENDA_SCREENSHOT_DIR when set."""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import sys
from pathlib import Path

import pytest

import chromium
from chromium import browser  # noqa: F401  (the fixture)

from conftest import ROOT

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
WRONG = "香港科學園深圳分園2023年9月開園，已進駐60家香港企業和機構。"  # the article says 40家
TRUE = "河套合作區匯聚1.5萬餘名科技科研人才。"
TITLE = "港深科研合作趨緊密 創新資源集聚"
DOC_ID = "000_4537e6698f2b37d0"

sync_api = chromium.sync_api()
expect = sync_api.expect
if str(ROOT) not in sys.path:  # app.py sits at the root, which plain `pytest` (unlike `python -m pytest`) leaves off
    sys.path.insert(0, str(ROOT))

from bot.factcheck_render import STRINGS, headers  # noqa: E402


@pytest.fixture
def page(browser, web_url):
    context = browser.new_context(locale="zh-HK", viewport={"width": 1180, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(web_url)
    expect(page.locator("#wenda-ask")).to_have_text("提問", timeout=WAIT_MS)  # a Hong Kong browser: Traditional
    yield page
    assert not errors
    context.close()


def rgb(locator, prop: str = "color") -> tuple[int, ...]:
    value = locator.evaluate(f"e => getComputedStyle(e).getPropertyValue('{prop}')")
    return tuple(int(float(n)) for n in re.findall(r"[\d.]+", value)[:3])


def red(colour: tuple[int, ...]) -> bool:
    r, g, b = colour
    return r > g + 40 and r > b + 40


def green(colour: tuple[int, ...]) -> bool:
    r, g, b = colour
    return g > r + 30 and g > b + 20


def assert_in_one_language(report, language: str) -> None:
    """Every word the report adds is the interface ``language``'s: badges, table headers, kinds, the summary."""
    words = STRINGS[language]
    verdicts = {words[v] for v in ("supported", "contradicted", "unsupported", "not_found", "error")}
    badges = report.locator(".wenda-verdict").all_inner_texts()
    assert badges and set(badges) <= verdicts, badges
    assert report.locator("table.wenda-mismatches th").all_inner_texts() == [words[h] for h in ("kind", "claim",
                                                                                                 "article")]
    assert report.locator(".wenda-mismatch-kind").first.inner_text() == words["number"]
    summary = report.locator(".wenda-check-summary").inner_text()
    assert re.fullmatch(re.sub(r"\\\{\w+\\\}", r"\\d+", re.escape(words["summary"])), summary), summary


def download(page, button: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=WAIT_MS) as info:
        page.locator(button).click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def test_a_draft_with_one_wrong_number(page, tmp_path_factory):
    shots = Path(os.environ.get("WENDA_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    page.get_by_role("tab", name="事實核查").click()
    page.locator("#wenda-claims textarea").fill(WRONG + TRUE)
    page.locator("#wenda-check").click()
    report = page.locator("#wenda-report")
    sentences = report.locator(".wenda-draft .wenda-draft-sentence")
    expect(sentences).to_have_count(2, timeout=WAIT_MS)

    # the draft back, the wrong sentence marked contradicted, the true one supported
    expect(sentences.nth(0)).to_have_class(re.compile(r"\bwenda-draft-contradicted\b"))
    expect(sentences.nth(1)).to_have_class(re.compile(r"\bwenda-draft-supported\b"))
    expect(sentences.nth(0)).to_contain_text("已進駐60家香港企業和機構")

    # one colour a role, wherever the value is shown: the claim's red, the article's green
    wrong = report.locator(".wenda-check.wenda-contradicted")
    claim_value = wrong.locator(".wenda-claim mark.wenda-value-claim")
    expect(claim_value).to_have_text("60家")
    article_value = wrong.locator("blockquote mark.wenda-value-article")
    expect(article_value).to_have_text("40家")
    for locator in (claim_value, report.locator(".wenda-draft mark.wenda-value-claim"),
                    wrong.locator(".wenda-mismatch-claim")):
        assert red(rgb(locator)), rgb(locator)
    for locator in (article_value, wrong.locator(".wenda-mismatch-article")):
        assert green(rgb(locator)), rgb(locator)
    assert red(rgb(wrong.locator(".wenda-verdict"), "background-color")) or red(rgb(wrong.locator(".wenda-verdict")))

    # the source named by its article, not by a hash
    expect(wrong.locator(".wenda-meta").first).to_contain_text(TITLE)
    expect(wrong.locator(".wenda-meta").first).to_contain_text("大公報")
    assert DOC_ID not in report.inner_text()

    assert_in_one_language(report, "zh-Hant")
    page.screenshot(path=str(shots / "wenda-fact-check-draft.png"), full_page=True)

    name, data = download(page, "#wenda-csv")
    assert name == f"fact-check-{datetime.date.today().isoformat()}.csv"
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == headers("zh-Hant")
    assert "不符" in [row[3] for row in table[1:]]
    assert all(DOC_ID not in cell for row in table for cell in row)

    # the interface switched to English: the same report, re-rendered, and its files with it
    page.get_by_text("English", exact=True).click()
    expect(report.locator(".wenda-check-summary")).to_contain_text("claims", timeout=WAIT_MS)
    expect(report.locator(".wenda-draft .wenda-draft-sentence")).to_have_count(2)
    assert_in_one_language(report, "en")
    expect(report.locator(".wenda-check.wenda-contradicted .wenda-verdict")).to_have_text("Contradicted")
    page.screenshot(path=str(shots / "wenda-fact-check-draft-en.png"), full_page=True)

    name, data = download(page, "#wenda-csv")
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == headers("en")
    assert "Contradicted" in [row[3] for row in table[1:]]
