"""bot.factcheck_render's pure parts: pasted text split into claims, and rows as CSV, Markdown and HTML with
every piece of visitor text escaped (rows that could not be checked need no index)."""

from __future__ import annotations

import csv
import io

import pytest

from bot.errors import QueryError
from bot.factcheck_render import MAX_CLAIMS, Row, check_claims, report_html, row_html, split_claims, to_csv, to_markdown

HOSTILE = '=HYPERLINK("http://x")|<script>alert(1)</script> *bold* [a](b)'


def test_split_claims_drops_bullets_numbers_and_blank_lines():
    text = "1. 第一項\n\n2、第二項\n(3) three\n（4）第四項\n- five\n• six\n   \n1.5萬餘名科技科研人才\n2023年8月，國務院印發"
    assert split_claims(text) == ["第一項", "第二項", "three", "第四項", "five", "six", "1.5萬餘名科技科研人才",
                                  "2023年8月，國務院印發"]


def test_nothing_or_too_much_to_check_is_a_query_error():
    with pytest.raises(QueryError, match="one claim a line"):
        check_claims(None, " \n\n ")
    with pytest.raises(QueryError, match=f"at most {MAX_CLAIMS}"):
        check_claims(None, "\n".join(f"claim {i}" for i in range(MAX_CLAIMS + 1)))


def test_csv_quotes_cells_and_defuses_formulas():
    rows = [Row(1, HOSTILE, None, "the claim is too long"), Row(2, 'say "hi", then, go', None, "x")]
    parsed = list(csv.reader(io.StringIO(to_csv(rows))))
    assert parsed[0] == ["#", "claim", "verdict", "mismatches", "evidence", "source"]
    assert parsed[1] == ["1", "'" + HOSTILE, "error", "the claim is too long", "", ""]
    assert parsed[2][1] == 'say "hi", then, go'


def test_markdown_escapes_what_would_break_the_table_or_render():
    table = to_markdown([Row(1, HOSTILE + "\nsecond line", None, "why")])
    lines = table.splitlines()
    assert len(lines) == 3
    claim = r'=HYPERLINK("http://x")\|\<script\>alert(1)\</script\> \*bold\* \[a\](b) second line'
    assert lines[2] == f"| 1 | {claim} | error | why |  |  |"


def test_html_escapes_the_claim_and_the_error():
    html = row_html(Row(7, HOSTILE, None, "<b>too long</b>"), {})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;too long&lt;/b&gt;" in html
    assert '<span class="wenda-verdict wenda-verdict-error">Not checked</span>' in html


def test_report_counts_the_verdicts_in_the_interface_language():
    rows = [Row(1, "a", None, "x"), Row(2, "b", None, "y")]
    assert "2 claims: 0 supported, 0 contradicted, 0 not found" in report_html(rows, {}, "en")
    assert "共 2 项：相符 0，不符 0，未找到 0" in report_html(rows, {}, "zh-Hans")
