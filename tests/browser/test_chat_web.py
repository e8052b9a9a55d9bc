"""The chat as people use it, in a real browser (Debian's chromium and Playwright, the app in this process
over the seed index): follow-up questions, the newest answer scrolled into view, blank and over-long
submissions, an interface language that keeps to the visitor's choice, citation markers that open their
source and preview the quote, snippets centred on the sentence that matched, plain-text copies and labels, a
photo caption kept out of the quote, the landing page's articles and examples, an English reader's short
answer in English, and the phone layout."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import app
from chromium import browser  # noqa: F401  (the fixture)
from test_web import EN, WAIT_MS, ZH, Visit, expect, visit

pytestmark = pytest.mark.browser

FOLLOW_UP = "它何時開園？"
# Its answer is the sentence the page layout broke around a photo caption (投 / ▲6月11日… / 資機構).
CAPTIONED = "深圳分園在投融資方面幫助山半導體牽線哪些機構？"
TITLE = "港深科研合作趨緊密 創新資源集聚"


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
    # each submission in the box waits for the hint of the one before it to change: Gradio drops a submission
    # made while the box's previous one is still being answered
    pasted = "河" * 2001
    box.fill(pasted)
    box.press("Enter")
    expect(hint).to_contain_text("問題太長了（2,001 字，上限 2,000 字）", timeout=WAIT_MS)
    expect(box).to_have_value(pasted)  # kept, to be trimmed
    assert page.page.locator(".wenda-reply").count() == 0

    box.fill("   ")
    box.press("Enter")
    expect(hint).to_contain_text("請先輸入問題", timeout=WAIT_MS)
    assert page.page.locator(".wenda-reply").count() == 0 and page.page.locator(".wenda-question").count() == 0

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


def test_the_citation_marker_previews_the_quote_on_hover_and_opens_its_source_on_a_click(page, seed_bot):
    expected = seed_bot.ask(ZH)
    reply = page.ask(ZH)
    marker, preview = reply.locator(".wenda-sentence a.wenda-ref"), reply.locator(".wenda-preview")
    expect(marker).to_contain_text(f"[{expected.citation}]")
    expect(preview).to_be_hidden()
    marker.hover()
    expect(preview).to_be_visible()
    expect(preview.locator(".wenda-preview-quote")).to_have_text(expected.sentence)
    expect(preview.locator(".wenda-preview-source")).to_contain_text(TITLE)
    page.page.mouse.move(0, 0)
    expect(preview).to_be_hidden()
    source = reply.locator(f"details.wenda-rank-{expected.citation}")
    expect(source.locator("blockquote")).to_be_hidden()
    page.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the source out of view
    marker.click()
    expect(source.locator("blockquote.wenda-context")).to_be_visible()
    top, height = source.bounding_box()["y"], page.page.viewport_size["height"]
    assert 0 <= top < height, f"the opened source starts at {top:.0f}px of a {height}px window"
    assert page.page.evaluate("location.hash") == ""  # the page did not jump to an anchor of another reply


def test_each_sources_snippet_is_centred_on_the_sentence_that_matched(page):
    reply = page.ask(ZH)
    # the passage that opens 同時，深圳園區「港味」日益濃郁。 matched on its second sentence
    snippet = reply.locator(".wenda-snippet", has_text="涵蓋生物醫藥")
    expect(snippet).to_have_text(re.compile(r"^…香港科學園深圳分園2023年9月開園，已進駐40家"))
    source = reply.locator("details.wenda-citation").filter(has=page.page.locator(".wenda-snippet", has_text="涵蓋生物醫藥"))
    source.locator("summary").click()
    expect(source.locator("mark.wenda-passage").first).to_have_text(re.compile("^同時，深圳園區「港味」"))


def test_copy_gives_the_answer_as_plain_text_and_every_message_is_labelled_without_markup(browser, web_url, seed_bot):
    context, seen = visit(browser, web_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_url)
    try:
        expected = seed_bot.ask(ZH)
        reply = seen.ask(ZH)
        expect(reply).to_be_visible()
        seen.page.locator("#wenda-chat .message-buttons").last.locator("button").first.click()
        copied = seen.page.evaluate("navigator.clipboard.readText()")
        assert copied.splitlines() == [f"{expected.sentence} [{expected.citation}]", f"答案：{expected.text}",
                                       f"[{expected.citation}] {TITLE} · 大公報 (Ta Kung Pao) · 胡永愛 · 2024"]
        labels = seen.page.locator("#wenda-chat [aria-label*='message: ']")
        expect(labels).to_have_count(2)
        question, answer = (labels.nth(i).get_attribute("aria-label") for i in range(2))
        assert question.endswith(f": {ZH}") and "<" not in question
        assert answer.endswith(": " + copied) and "<" not in answer
        assert not seen.errors
    finally:
        context.close()


def test_a_photo_caption_the_layout_put_inside_the_quote_is_shown_apart(page, seed_bot):
    expected = seed_bot.ask(CAPTIONED)
    assert len(expected.sentence_spans) == 2  # the sentence is read across the caption
    reply = page.ask(CAPTIONED)
    source = reply.locator(f"details.wenda-rank-{expected.citation}")
    source.locator("summary").click()
    quote = source.locator("blockquote.wenda-context")
    expect(quote).to_be_visible()
    assert "".join(quote.locator("mark.wenda-quote, mark.wenda-answer").all_inner_texts()) == expected.sentence
    assert "▲" not in quote.inner_text() and "大公報記者胡永愛攝" not in quote.inner_text()
    caption = source.locator(".wenda-caption")
    expect(caption).to_contain_text("▲6月11日，河套深圳園區向10個中試平台授牌")
    expect(caption).to_contain_text("大公報記者胡永愛攝")
    assert caption.bounding_box()["y"] >= quote.bounding_box()["y"] + quote.bounding_box()["height"]


def test_the_landing_page_lists_the_articles_and_asks_examples_drawn_from_them(browser, web_url, seed_bot):
    context, seen = visit(browser, web_url)
    page = seen.page
    try:
        coverage = page.locator("details.wenda-coverage")
        passages = sum(1 for p in seed_bot.index.passages)
        expect(coverage.locator("summary")).to_have_text(f"Wenda 收錄 1 篇文章，共 {passages} 段（按此列出）")
        row = coverage.locator("tr.wenda-article-row")
        expect(row).to_be_hidden()
        coverage.locator("summary").click()
        expect(row).to_have_count(1)
        assert row.locator("td").all_inner_texts() == [TITLE, "大公報 (Ta Kung Pao)", "2024", str(passages)]

        examples = app.example_questions(seed_bot)
        buttons = page.locator(".wenda-example")
        assert buttons.all_inner_texts() == examples["zh-Hant"] and len(examples["zh-Hant"]) == app.EXAMPLE_COUNT
        headings = {part for p in seed_bot.index.passages for part in p.section.split(" › ")}
        assert all(any(topic in question for topic in headings) for question in examples["zh-Hant"])
        buttons.first.click()
        reply = page.locator(".wenda-reply").last
        expect(reply.locator(".wenda-sentence")).to_be_visible(timeout=WAIT_MS)

        page.get_by_text("English", exact=True).click()
        expect(buttons.first).to_have_text(examples["en"][0])
        buttons.nth(1).click()
        expect(page.locator(".wenda-reply")).to_have_count(2, timeout=WAIT_MS)
        expect(page.locator(".wenda-reply").last.locator(".wenda-heading")).to_have_text("Sources")
        expect(page.locator("#wenda-ask")).to_have_text("Ask")  # an English example keeps the English interface
        expect(coverage.locator("summary")).to_contain_text("Wenda covers 1 article(s)")
        assert not seen.errors
    finally:
        context.close()


@pytest.fixture
def english(browser, web_url):
    """A page of a visitor whose browser asks for English."""
    context, seen = visit(browser, web_url, locale="en-US")
    yield seen
    assert not seen.errors
    context.close()


def test_an_english_reader_gets_the_short_answer_written_in_english_beside_the_chinese_quote(english):
    reply = english.ask(EN)
    expect(reply.locator(".wenda-sentence mark.wenda-answer")).to_have_text("2023年9月")
    expect(reply.locator(".wenda-english")).to_have_text("In English: September 2023")
    reply = english.ask("How many Hong Kong companies and institutions have moved into the Shenzhen branch of the "
                        "Hong Kong Science Park?")
    expect(reply.locator(".wenda-sentence mark.wenda-answer")).to_have_text("40家")
    expect(reply.locator(".wenda-english")).to_have_text("In English: 40 (香港企業和機構)")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("WENDA_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Every element of the page that scrolls inside it (the page itself, the document, is the one scroll area).
INNER_SCROLLERS = """() => [...document.querySelectorAll('body *')].filter((e) =>
    ['auto', 'scroll'].includes(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 1
).map((e) => e.tagName + '#' + e.id + '.' + e.className)"""


def test_on_a_phone_the_page_uses_the_full_width_and_is_one_scroll_area(browser, web_url, shots):
    context = browser.new_context(locale="zh-HK", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    seen = Visit(page)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        page.goto(web_url)
        expect(page.locator("#wenda-ask")).to_be_visible(timeout=WAIT_MS)
        title, switch = page.locator("#wenda-top h2"), page.locator("#wenda-language")
        content = page.locator("#wenda-top").bounding_box()
        assert title.bounding_box()["y"] >= switch.bounding_box()["y"] + switch.bounding_box()["height"] - 1, \
            "the title sits under the language switch, not squeezed beside it"
        intro = page.locator("#wenda-top .prose").first.bounding_box()
        assert intro["width"] >= content["width"] - 2 and content["width"] >= 390 - 2 * 16
        heights = {round(box["height"]) for box in (b.bounding_box() for b in page.locator(".wenda-example").all())}
        assert len(heights) == 1, f"example buttons of heights {heights}"

        seen.ask(ZH)
        reply = seen.ask(FOLLOW_UP)
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        assert page.evaluate(INNER_SCROLLERS) == [], "something scrolls inside the page"
        assert 0 <= reply.bounding_box()["y"] < 844 / 2
        page.screenshot(path=str(shots / "wenda-phone.png"))

        marker, preview = reply.locator("a.wenda-ref"), reply.locator(".wenda-preview")
        marker.tap()  # a first tap previews the quote, a second opens the source
        expect(preview).to_be_visible()
        expect(reply.locator("details.wenda-cited-passage blockquote")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the preview sticks out sideways"
        marker.tap()
        expect(reply.locator("details.wenda-cited-passage blockquote")).to_be_visible()
        expect(preview).to_be_hidden()
        assert not seen.errors
    finally:
        context.close()
