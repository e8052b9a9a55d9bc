"""bot.factcheck_render: a draft's claims checked and reported in one language, one colour a role, sources
named as in the chat, and exported as CSV and Markdown with every piece of visitor text escaped. The pure
parts on hand-built checks; a draft checked for real against the seed index at the end."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from bot.claims import split_draft
from bot.corpus import Article
from bot.errors import QueryError
from bot.factcheck import CONTRADICTED, MISMATCH_KINDS, NOT_FOUND, SUPPORTED, UNSUPPORTED, VERDICTS, Check, Mismatch
from bot.factcheck_render import (MAX_CLAIMS, STRINGS, DraftError, Report, Row, check_claims, file_name, headers,
                                  report_html, row_html, split_claims, to_csv, to_markdown)
from bot.passages import Passage

HOSTILE = '=HYPERLINK("http://x")|<script>alert(1)</script> *bold* [a](b)'
TITLE = "港深科研合作趨緊密"
ARTICLE = Article("doc_a1b2", TITLE, "前言。\n\n香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。\n\n結語。",
                  source="大公報", date="2024", url="https://example.org/a?x=1&y=2", author="胡永愛")
SENTENCE = "香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。"
START = ARTICLE.text.index(SENTENCE)
ARTICLES = {ARTICLE.doc_id: ARTICLE}
DRAFT = "香港科學園深圳分園2023年9月開園，已進駐60家香港企業和機構。\n\n它是創科重鎮。"


@dataclass(frozen=True)
class Quote:
    """Evidence as the render code reads it (bot.factcheck's contract): the sentence, its source spans, its hit."""

    hit: object
    text: str
    spans: tuple[tuple[int, int], ...]


def quote(text: str = SENTENCE) -> Quote:
    start = ARTICLE.text.index(text)
    passage = Passage(ARTICLE.doc_id, "p1", ARTICLE.title, "", "body", ARTICLE.text, ((0, len(ARTICLE.text)),))
    return Quote(SimpleNamespace(passage=passage), text, ((start, start + len(text)),))


def report(*checks: Check) -> Report:
    """The draft's claims (three: two in the first sentence, one in the second) with the given checks."""
    sentences = tuple(split_draft(DRAFT))
    claims = [(n, c) for n, s in enumerate(sentences, 1) for c in s.claims]
    rows = tuple(Row(i, claim, chk, sentence=n) for i, ((n, claim), chk) in enumerate(zip(claims, checks), 1))
    return Report(DRAFT, sentences, rows)


def contradicted(claim: str) -> Check:
    at = claim.index("60家")
    article_at = START + SENTENCE.index("40家")
    mismatch = Mismatch("number", "60家", "40家", (at, at + 3), ((article_at, article_at + 3),))
    return Check(claim, "zh-Hant", CONTRADICTED, (quote(),), (mismatch,))


def the_report() -> Report:
    first, second, third = [c.text for s in split_draft(DRAFT) for c in s.claims]
    return report(Check(first, "zh-Hant", SUPPORTED, (quote(), quote("前言。")), ()), contradicted(second),
                  Check(third, "zh-Hant", UNSUPPORTED, (quote(),), (), missing=("創科重鎮",)))


# ------------------------------------------------------------------------------------------ the draft


def test_split_claims_drops_bullets_numbers_and_blank_lines():
    text = "1. 第一項\n\n2、第二項\n(3) three\n（4）第四項\n- five\n• six\n   \n1.5萬餘名科技科研人才\n2023年8月，國務院印發"
    assert split_claims(text) == ["第一項", "第二項", "three", "第四項", "five", "six", "1.5萬餘名科技科研人才",
                                  "2023年8月，國務院印發"]


def test_a_sentence_joining_facts_is_checked_claim_by_claim():
    assert split_claims(DRAFT) == ["香港科學園深圳分園2023年9月開園", "香港科學園深圳分園已進駐60家香港企業和機構",
                                   "它是創科重鎮。"]


def test_nothing_or_too_much_to_check_is_a_query_error_in_each_language():
    with pytest.raises(DraftError, match="Paste the draft") as empty:
        check_claims(None, " \n\n ")
    assert isinstance(empty.value, QueryError)
    assert empty.value.message("zh-Hant").startswith("請貼上要核查的文稿")
    with pytest.raises(DraftError, match=f"at most {MAX_CLAIMS}") as many:
        check_claims(None, "\n".join(f"Claim {i}" for i in range(MAX_CLAIMS + 1)))
    assert many.value.message("zh-Hans") == f"文稿共有 {MAX_CLAIMS + 1} 项说法，一次最多核查 {MAX_CLAIMS} 项，请分段核查。"


def test_every_language_has_every_word():
    keys = set(STRINGS["en"])
    for language, words in STRINGS.items():
        assert set(words) == keys, language
        assert all(words[v] for v in (*VERDICTS, "error", *MISMATCH_KINDS)), language
        assert len(words["columns"]) == len(STRINGS["en"]["columns"])


# ------------------------------------------------------------------------------------------------ HTML


def test_the_draft_comes_back_with_each_sentence_marked_by_its_worst_verdict():
    html = report_html(the_report(), ARTICLES, "zh-Hant")
    draft = re.search(r'<div class="wenda-draft">(.*?)</div>', html).group(1)
    sentences = re.findall(r'<span class="wenda-draft-sentence wenda-draft-(\w+)"', draft)
    assert sentences == [CONTRADICTED, UNSUPPORTED]  # supported and contradicted: contradicted
    assert re.sub(r"<[^>]+>", "", draft.replace("<br>", "\n")) == "香港科學園深圳分園2023年9月開園，已進駐60家香港企業和機構。12\n\n它是創科重鎮。3"
    assert '<a class="wenda-claim-ref" href="#wenda-claim-2">2</a>' in draft
    assert 'id="wenda-claim-2"' in html
    # the wrong value red and the missing words amber, in the draft itself
    assert '<mark class="wenda-value-claim">60家</mark>' in draft
    assert '<mark class="wenda-value-missing">創科重鎮</mark>' in draft


def test_one_colour_a_role_claim_red_article_green_missing_amber():
    html = report_html(the_report(), ARTICLES, "en")
    contradicted_row = re.search(r'<div class="wenda-check wenda-contradicted".*?</div>', html).group()
    assert '<span class="wenda-claim-text" lang="zh-Hant">香港科學園深圳分園已進駐<mark class="wenda-value-claim">60家</mark>' \
           in contradicted_row
    assert '<td class="wenda-mismatch-claim">60家</td><td class="wenda-mismatch-article">40家</td>' in contradicted_row
    assert '<mark class="wenda-value-article">40家</mark>' in contradicted_row  # green in the quote, as in the table
    assert "wenda-value-claim\">40家" not in html and "wenda-answer" not in html
    unsupported = re.search(r'<div class="wenda-check wenda-unsupported".*?</div>', html).group()
    assert '<span class="wenda-verdict wenda-verdict-unsupported">Unsupported</span>' in unsupported
    assert '<p class="wenda-missing">Not in the articles: <mark class="wenda-value-missing">創科重鎮</mark></p>' \
           in unsupported


@pytest.mark.parametrize("language, words, foreign", [
    ("en", ["Contradicted", "Supported", "Unsupported", "number", "What", "Claim", "Article",
            "Sentences 2, claims 3: 1 contradicted, 1 unsupported, 0 not found, 1 supported"], "不符"),
    ("zh-Hant", ["不符", "相符", "未獲佐證", "數字", "項目", "說法", "文章未提及",
                 "2 句、3 項說法：不符 1，未獲佐證 1，未找到 0，相符 1"], "Contradicted"),
    ("zh-Hans", ["不符", "相符", "未获佐证", "数字", "项目", "说法", "文章未提及",
                 "2 句、3 项说法：不符 1，未获佐证 1，未找到 0，相符 1"], "未獲佐證"),
])
def test_the_report_speaks_the_interface_language_never_the_claims(language, words, foreign):
    html = report_html(the_report(), ARTICLES, language)
    assert html.startswith(f'<div class="wenda-checks" lang="{language}">')
    for word in words:
        assert word in html, word
    assert foreign not in html
    assert "Supported" not in html if language != "en" else "相符" not in html


def test_a_source_is_named_as_in_the_chat_not_by_its_document_id():
    html = report_html(the_report(), ARTICLES, "zh-Hant")
    assert ('<p class="wenda-meta"><cite class="wenda-title">港深科研合作趨緊密</cite> · <span class="wenda-source">'
            '大公報</span> · <span class="wenda-author">胡永愛</span> · <span class="wenda-date">2024</span> · '
            '<a href="https://example.org/a?x=1&amp;y=2" rel="noopener noreferrer">原文</a></p>') in html
    assert "doc_a1b2" not in html
    assert html.count('<blockquote class="wenda-context">') == 4  # every evidence sentence of every claim


def test_html_escapes_the_claim_and_the_error():
    claim = split_draft(HOSTILE)[0].claims[0]
    html = row_html(Row(7, claim, None, '<b>too long</b>'), {}, "zh-Hant")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'title="&lt;b&gt;too long&lt;/b&gt;"' in html
    assert '<span class="wenda-verdict wenda-verdict-error">無法核查</span>' in html


def test_not_found_says_so_in_the_interface_language():
    [claim] = split_draft("美联储今年已经三次加息。")[0].claims
    html = row_html(Row(1, claim, Check(claim.text, "zh-Hans", NOT_FOUND, (), ())), {}, "en")
    assert "The articles say nothing about this." in html and 'lang="zh-Hans"' in html


# ----------------------------------------------------------------------------------------- the exports


def test_csv_has_localized_headers_verdict_words_every_quote_and_the_missing_words():
    parsed = list(csv.reader(io.StringIO(to_csv(the_report(), ARTICLES, "zh-Hant"))))
    assert parsed[0] == headers("zh-Hant") == ["#", "句子", "說法", "結果", "不符之處", "文章未提及", "文章原句", "出處"]
    source = "港深科研合作趨緊密 · 大公報 · 胡永愛 · 2024 · https://example.org/a?x=1&y=2"
    assert parsed[1] == ["1", "1", "香港科學園深圳分園2023年9月開園", "相符", "", "", f"[1] {SENTENCE}\n[2] 前言。",
                         f"[1] {source}\n[2] {source}"]
    assert parsed[2] == ["2", "1", "香港科學園深圳分園已進駐60家香港企業和機構", "不符", "數字：60家 ≠ 40家", "", SENTENCE,
                         source]
    assert parsed[3][:6] == ["3", "2", "它是創科重鎮。", "未獲佐證", "", "創科重鎮"]
    assert "doc_a1b2" not in to_csv(the_report(), ARTICLES, "en")


def test_csv_quotes_cells_and_defuses_formulas():
    claims = [c for s in split_draft(f'{HOSTILE}\nSay "hi", then, go') for c in s.claims]
    rows = tuple(Row(i, c, None, "the claim is too long", sentence=i) for i, c in enumerate(claims, 1))
    parsed = list(csv.reader(io.StringIO(to_csv(Report("", (), rows), {}, "en"))))
    assert parsed[1] == ["1", "1", "'" + HOSTILE, "Not checked", "This claim could not be checked.", "", "", ""]
    assert parsed[2][2] == 'Say "hi", then, go'


def test_markdown_headers_and_escaping():
    claim = split_draft(HOSTILE + "\nsecond line")[0].claims[0]  # a wrapped line: one claim over two lines
    table = to_markdown(Report("", (), (Row(1, claim, None, "why"),)), {}, "zh-Hans").splitlines()
    assert table[0] == "| # | 句子 | 说法 | 结果 | 不符之处 | 文章未提及 | 文章原句 | 出处 |"
    assert table[1] == "|" + "---|" * 8
    claim = r'=HYPERLINK("http://x")\|\<script\>alert(1)\</script\> \*bold\* \[a\](b) second line'
    assert table[2] == f"| 1 | 1 | {claim} | 无法核查 | 这一项未能核查。 |  |  |  |"
    rows = to_markdown(the_report(), ARTICLES, "en").splitlines()
    assert rows[3].startswith("| 2 | 1 | 香港科學園深圳分園已進駐60家香港企業和機構 | Contradicted | number: 60家 ≠ 40家 |  |")


def test_file_names_carry_the_date():
    assert file_name("csv", datetime.date(2026, 12, 1)) == "fact-check-2026-12-01.csv"
    assert file_name("md") == f"fact-check-{datetime.date.today().isoformat()}.md"


# ------------------------------------------------------------------------------------- on real checks


def test_a_draft_checked_against_the_seed(seed_bot):
    draft = "香港科學園深圳分園2023年9月開園，已進駐60家香港企業和機構。\n河套合作區匯聚1.5萬餘名科技科研人才。"
    checked = check_claims(seed_bot, draft)
    assert [(r.sentence, r.claim.text) for r in checked.rows] == [
        (1, "香港科學園深圳分園2023年9月開園"), (1, "香港科學園深圳分園已進駐60家香港企業和機構"),
        (2, "河套合作區匯聚1.5萬餘名科技科研人才。")]
    assert checked.rows[1].verdict == CONTRADICTED
    assert checked.verdict_of(1) == CONTRADICTED
    assert [(m.claim, m.article) for m in checked.rows[1].check.mismatches] == [("60家", "40家")]

    articles = seed_bot.index.articles
    html = report_html(checked, articles, "en")
    assert '<mark class="wenda-value-claim">60家</mark>' in html
    assert '<mark class="wenda-value-article">40家</mark>' in html
    assert "港深科研合作趨緊密 創新資源集聚</cite> · <span class=\"wenda-source\">大公報 (Ta Kung Pao)</span>" in html
    assert "000_4537e6698f2b37d0" not in html
    parsed = list(csv.reader(io.StringIO(to_csv(checked, articles, "en"))))
    assert parsed[0] == headers("en")
    assert parsed[2][3:5] == ["Contradicted", "number: 60家 ≠ 40家"]
    assert parsed[2][7] == "港深科研合作趨緊密 創新資源集聚 · 大公報 (Ta Kung Pao) · 胡永愛 · 2024"
