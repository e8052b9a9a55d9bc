"""The chat as people use it, in a real browser (Debian's chromium and Playwright, the app in this process
over the seed index): follow-up questions, the newest answer scrolled into view, blank and over-long
submissions, and an interface language that keeps to the visitor's choice."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from chromium import browser  # noqa: F401  (the fixture)
from test_web import WAIT_MS, ZH, Visit, expect, visit

pytestmark = pytest.mark.browser

FOLLOW_UP = "它何時開園？"


@pytest.fixture
def page(browser, web_url):
    context, seen = visit(browser, web_url, height=800)
    yield seen
    assert not seen.errors
    context.close()


def test_a_follow_up_is_understood_from_the_question_before_it(page):
    alone = page.ask(FOLLOW_UP)  # nothing asked before: nothing to carry, nothing shown as understood
    expect(alone.locator(".wenda-sentence, .wenda-abstain")).to_be_visible()
    expect(alone.locator(".wenda-understood")).to_have_count(0)

    page.ask(ZH)
    reply = page.ask(FOLLOW_UP)
    expect(reply.locator(".wenda-understood")).to_have_text("理解為：香港科學園深圳分園何時開園？")
    expect(reply.locator(".wenda-sentence mark.wenda-answer")).to_have_text("2023年9月")


def test_each_new_answer_is_scrolled_into_view(page):
    viewport = page.page.viewport_size["height"]
    for question in (ZH, FOLLOW_UP, "港科大深港協同創新研究院的執行總監是誰？"):
        reply = page.ask(question)
        page.page.wait_for_timeout(300)  # the scroll runs once the reply is drawn
        top = reply.bounding_box()["y"]
        assert 0 <= top < viewport / 2, f"the newest reply starts at {top:.0f}px of a {viewport}px window"


def test_blank_and_over_long_submissions_change_nothing_but_a_hint(page):
    box, hint = page.page.locator("#wenda-question textarea"), page.page.locator("#wenda-hint")
    page.page.locator("#wenda-ask").click()
    expect(hint).to_contain_text("請先輸入問題")
    box.fill("   ")
    box.press("Enter")
    expect(hint).to_contain_text("請先輸入問題")
    assert page.page.locator(".wenda-reply").count() == 0 and page.page.locator(".wenda-question").count() == 0

    pasted = "河" * 2001
    box.fill(pasted)
    box.press("Enter")
    expect(hint).to_contain_text("問題太長了（2,001 字，上限 2,000 字）", timeout=WAIT_MS)
    expect(box).to_have_value(pasted)  # kept, to be trimmed
    assert page.page.locator(".wenda-reply").count() == 0

    page.ask(ZH)
    expect(hint).to_have_text("")


def test_the_language_keeps_to_the_visitors_choice_and_simplified_comes_back(browser, web_url):
    context, seen = visit(browser, web_url, locale="zh-CN")
    page = seen.page
    try:
        ask, footer = page.locator("#wenda-ask"), page.locator("footer")
        expect(ask).to_have_text("提问")
        expect(footer).to_contain_text("通过 API 使用")
        page.get_by_text("English", exact=True).click()
        expect(ask).to_have_text("Ask")
        expect(footer).to_contain_text("Use via API")
        reply = seen.ask(ZH)  # a Chinese question does not flip the chosen English
        expect(reply.locator(".wenda-heading")).to_have_text("Sources")
        expect(ask).to_have_text("Ask")
        page.get_by_text("中文", exact=True).click()
        expect(ask).to_have_text("提问")  # Simplified, as before the switch
        expect(footer).to_contain_text("通过 API 使用")
        reply = seen.ask("When did the Shenzhen branch of the Hong Kong Science Park open?")
        expect(reply.locator(".wenda-heading")).to_have_text("出处")
        expect(ask).to_have_text("提问")
        assert not seen.errors
    finally:
        context.close()


def test_a_mostly_chinese_question_is_answered_in_chinese(browser, web_url):
    context, seen = visit(browser, web_url, locale="en-US")
    try:
        expect(seen.page.locator("#wenda-ask")).to_have_text("Ask")
        seen.ask("Who is the 執行總監 of 港科大深港協同創新研究院?")
        expect(seen.page.locator("#wenda-ask")).to_have_text("提問")
    finally:
        context.close()


def test_a_simplified_reader_reads_the_quote_in_simplified_and_the_original_in_one_click(browser, web_url):
    context, seen = visit(browser, web_url, locale="zh-CN")
    try:
        reply = seen.ask("香港科学园深圳分园是什么时候开园的？")
        sentence = reply.locator(".wenda-sentence")
        expect(sentence).to_contain_text("香港科学园深圳分园")
        expect(sentence.locator("mark.wenda-answer")).to_have_text("2023年9月")
        original = reply.locator("details.wenda-original")
        expect(original.locator("p")).to_be_hidden()
        original.locator("summary").click()
        expect(original.locator("p")).to_contain_text("香港科學園深圳分園")
        expect(reply.locator("details.wenda-citation").first).to_have_class(re.compile("wenda-cited-passage"))
        assert not seen.errors
    finally:
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WENDA_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_on_a_phone_the_conversation_is_one_scroll_area_without_sideways_overflow(browser, web_url, shots):
    context = browser.new_context(locale="zh-HK", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    seen = Visit(page)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        page.goto(web_url)
        expect(page.locator("#wenda-ask")).to_be_visible(timeout=WAIT_MS)
        seen.ask(ZH)
        reply = seen.ask(FOLLOW_UP)
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        inner = page.evaluate("""() => [...document.querySelectorAll('#wenda-chat *')].filter(
            (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 1
        ).length""")
        assert inner == 0, "the chat scrolls inside the page"
        assert 0 <= reply.bounding_box()["y"] < 844 / 2
        page.screenshot(path=str(shots / "wenda-phone.png"))
        assert not seen.errors
    finally:
        context.close()
