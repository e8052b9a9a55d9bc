"""bot.clean on the seed article: captions, bylines, sidebars and figure boxes found, broken sentences joined,
and not a character of the source changed (every block is a list of source spans)."""

from __future__ import annotations

import pytest

from bot.clean import Block, clean
from bot.text import fold_spaces


@pytest.fixture(scope="module")
def blocks(seed_text) -> list[Block]:
    return clean(seed_text)


def _containing(blocks: list[Block], source: str, needle: str) -> list[Block]:
    return [b for b in blocks if needle in b.text(source)]


def _one(blocks: list[Block], source: str, needle: str) -> Block:
    found = _containing(blocks, source, needle)
    assert len(found) == 1, f"{needle!r} is in {len(found)} blocks"
    return found[0]


def test_every_non_space_character_is_in_exactly_one_block(blocks, seed_text):
    covered = [0] * len(seed_text)
    for block in blocks:
        for s, e in block.spans:
            assert 0 <= s < e <= len(seed_text)
            for i in range(s, e):
                covered[i] += 1
    assert max(covered) == 1
    lost = [seed_text[i] for i, n in enumerate(covered) if n == 0 and not seed_text[i].isspace()]
    assert lost == []
    assert [b.spans[0][0] for b in blocks] == sorted(b.spans[0][0] for b in blocks)  # reading order


def test_captions_are_found_and_keep_their_credit_lines(blocks, seed_text):
    captions = [b for b in blocks if b.kind == "caption"]
    assert len(captions) == seed_text.count("▲") == 5
    assert all(b.text(seed_text).startswith("▲") for b in captions)
    first = _one(blocks, seed_text, "▲河套深港科技創新合作區深圳園區「港味」日益濃郁。")
    assert first.kind == "caption"
    assert first.text(seed_text) == "▲河套深港科技創新合作區深圳園區「港味」日益濃郁。\n\n新華社"  # the credit line
    second = _one(blocks, seed_text, "▲6月11日")
    assert second.kind == "caption" and second.text(seed_text).endswith("大公報記者胡永愛攝")


def test_captions_and_credits_never_appear_inside_body_text(blocks, seed_text):
    caption_chars = {i for b in blocks if b.kind == "caption" for s, e in b.spans for i in range(s, e)}
    for block in blocks:
        if block.kind == "caption":
            continue
        text = block.text(seed_text)
        assert "▲" not in text and "新華社" not in text and "攝" not in text, text
        assert not any(i in caption_chars for s, e in block.spans for i in range(s, e))


@pytest.mark.parametrize(
    "before, after",
    [
        ("深圳分園不僅在投融資方面積極幫助山半導體牽線各大銀行與投", "資機構，還定期開展專場路演"),
        ("如果深圳園區可以有像香港政府主導的HKIC（香港", "投資管理有限公司）這類投資公司"),
        ("《規劃》中提出，「到2025年，", "基本建立高效的深港科技創新協同機制"),
        ("從屯門家中上班，除去過關時間僅需半小時，", "「比以前節約了一個小時！」"),
    ],
    ids=["caption-between", "blank-line-in-brackets", "blank-line-in-quote", "blank-line-before-quote"],
)
def test_sentences_broken_by_the_layout_are_whole_in_one_body_block(blocks, seed_text, before, after):
    assert before + after not in seed_text  # the source really has them apart
    block = _one(blocks, seed_text, before + after)
    assert block.kind == "body"
    assert len(block.spans) == 2
    (s1, e1), (s2, e2) = block.spans
    assert seed_text[s1:e1].endswith(before) and seed_text[s2:e2].startswith(after)
    assert seed_text[e1:s2].strip() == "" or seed_text[e1:s2].strip().startswith("▲")  # only layout between
    assert _containing(blocks, seed_text, after) == [block]  # the second half is not a block of its own


def test_the_caption_inside_a_broken_sentence_stays_a_caption(blocks, seed_text):
    joined = _one(blocks, seed_text, "牽線各大銀行與投資機構")
    caption = _one(blocks, seed_text, "▲6月11日")
    assert joined.spans[0][1] < caption.spans[0][0] < caption.spans[-1][1] < joined.spans[1][0]


def test_byline_is_its_own_block(blocks, seed_text):
    byline = _one(blocks, seed_text, "大公報記者 胡永愛")
    assert byline.kind == "byline"
    assert byline.text(seed_text) == "大公報記者 胡永愛"
    compiled = _one(blocks, seed_text, "大公報記者胡永愛整理")
    assert compiled.kind == "byline" and compiled.text(seed_text) == "大公報記者胡永愛整理"


@pytest.mark.parametrize(
    "name, role, quote",
    [
        ("吳志力", "深圳市宜遠智能科技有限公司總經理", "●河套發展的這些年，我們開發推廣了全球首個AI膚質分析平台"),
        ("王雪萊", "河套深港科技創新轉化醫學研究院執行院長", "●我親身感受到越來越多來自香港的同行"),
        ("劉振韜", "深圳山半導體科技有限公司CEO", "●現在的河套已經逐步成為中國的矽谷"),
    ],
)
def test_sidebar_quotes_are_separate_items_with_speaker_and_section(blocks, seed_text, name, role, quote):
    item = _one(blocks, seed_text, quote)
    assert item.kind == "item"
    text = item.text(seed_text)
    assert text.startswith(f"{name}\n{role}\n\n●")
    assert "河套港企心聲" in item.section
    assert text.count("●") == 1  # one speaker's quote, not the whole sidebar


def test_the_three_sidebar_items_are_distinct_blocks(blocks, seed_text):
    items = [b for b in blocks if b.kind == "item"]
    assert len(items) == 3
    assert len({b.spans for b in items}) == 3


@pytest.mark.parametrize(
    "heading, fact",
    [
        ("高端科研項目", "河套合作區推進和落地高端科研項目超過160個"),
        ("香港高校研究院", "已發表430篇論文"),
        ("香港科學園深圳分園", "深港政府共同出資建設的香港科學園深圳分園"),
        ("臨床應用", "本港臨床測試數據可同時獲美國食品及藥物管理局"),
        ("人才培訓", "香港有5所大學在QS世界大學排名中躋身百100名"),
        ("上市集資", "有126間醫療健康及生物科技公司可在港上市，集資額2766億港元"),
    ],
)
def test_figure_box_items_are_their_own_blocks_under_their_heading(blocks, seed_text, heading, fact):
    block = _one(blocks, seed_text, fact)
    assert block.kind == "body"
    assert block.section.endswith(heading)
    assert not block.text(seed_text).startswith(heading)  # the heading is a block of its own
    assert len([b for b in blocks if b.kind == "heading" and b.text(seed_text) == heading]) == 1


def test_figure_box_sections_name_the_box_title(blocks, seed_text):
    assert _one(blocks, seed_text, "超過160個").section == "深港河套創科向更高水平邁進 › 高端科研項目"
    assert _one(blocks, seed_text, "集資額2766億港元").section == "拓展生物醫藥產業 香港別具優勢 › 上市集資"


def test_headings_and_notes(blocks, seed_text):
    for heading in ("港深科研合作趨緊密 創新資源集聚", "創科合作 深港雙向奔赴", "港高校團隊設AI實驗室", "熱評"):
        assert _one(blocks, seed_text, heading).kind == "heading"
    note = _one(blocks, seed_text, "資料來源：香港貿發局")
    assert note.kind == "note"
    body = _one(blocks, seed_text, "隨着深港合作向更高水平邁進")
    assert body.section == "港深科研合作趨緊密 創新資源集聚 › 港高校團隊設AI實驗室"


ENGLISH = (
    "Harbour news\n\n"
    "The government said on Monday that the new bridge would open to\n\n"
    "▲ The bridge at dusk.\n\n"
    "Reuters\n\n"
    "traffic next year, officials said.\n\n"
    "A second paragraph that is complete.\n\n"
    "The ferry operator said fares would rise\n\n"
    "by ten per cent in 2025.\n"
)


def test_english_sentences_broken_across_a_caption_or_blank_line_join_with_a_space():
    blocks = clean(ENGLISH)
    texts = [(b.kind, fold_spaces(b.text(ENGLISH))) for b in blocks]
    assert texts == [
        ("heading", "Harbour news"),
        ("body", "The government said on Monday that the new bridge would open to traffic next year, officials said."),
        ("caption", "▲ The bridge at dusk. Reuters"),
        ("body", "A second paragraph that is complete."),
        ("body", "The ferry operator said fares would rise by ten per cent in 2025."),
    ]
    joined = blocks[1].text(ENGLISH)
    assert "open to\ntraffic" in joined  # the one white-space character of the source keeps the words apart
    assert all(b.section == "Harbour news" for b in blocks[1:])


def test_a_long_english_line_broken_around_a_caption_joins_too():
    source = ("The government said on Monday that the new bridge across the harbour, first proposed in 2015, "
              "would open to\n\n▲ The bridge at dusk.\n\nAFP\n\ntraffic next year.\n")
    [body, caption] = clean(source)
    assert body.kind == "body" and caption.kind == "caption"
    assert fold_spaces(body.text(source)).endswith("would open to traffic next year.")
    assert caption.text(source) == "▲ The bridge at dusk.\n\nAFP"


def test_chinese_caption_with_a_photographer_credit_line():
    first = "當前，特區政府正全速推進合作區的香港園區建設，園區內首批三棟大樓將在"
    source = f"標題\n\n{first}\n\n▲園區大樓。\n\n大公報記者胡永愛攝\n\n年底陸續落成。\n"
    blocks = clean(source)
    kinds = [(b.kind, b.text(source)) for b in blocks]
    assert kinds == [
        ("heading", "標題"),
        ("body", first + "年底陸續落成。"),  # Chinese joins with nothing between
        ("caption", "▲園區大樓。\n\n大公報記者胡永愛攝"),
    ]


def test_a_finished_paragraph_is_not_joined_to_the_next():
    source = "Title\n\nFirst paragraph ends here.\n\nsecond starts lower case but the one before ended.\n"
    bodies = [b.text(source) for b in clean(source) if b.kind == "body"]
    assert bodies == ["First paragraph ends here.", "second starts lower case but the one before ended."]
