"""bot.factcheck end to end: our own claims about the seed article in Traditional Chinese, Simplified
Chinese and English (true ones, ones with a number, a date or a name altered, negated ones, unrelated
ones), each verdict, quote and mismatch asserted and every offset sliced from the source; the tiny
corpus's English and Simplified articles; ``python -m bot check``; and the fact-check tab's tables and
HTML on real checks.

The claims and what the articles say about them are in tests/data/claims_seed.jsonl.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot import Bot
from bot.__main__ import main
from bot.errors import QueryError
from bot.factcheck import CONTRADICTED, NOT_FOUND, SUPPORTED, check, check_json, to_json
from bot.factcheck_render import check_claims, report_html, to_csv, to_markdown
from bot.index import build_from_folder
from bot.settings import Settings
from bot.text import detect_language

from conftest import ROOT

CLAIMS_FILE = ROOT / "tests" / "data" / "claims_seed.jsonl"
CLAIMS = [json.loads(line) for line in CLAIMS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
# English claims over the Chinese article with one altered fact and nothing else to anchor them: the encoder's
# cross-lingual similarity is too weak to tell them from unrelated claims, so Wenda says not_found (never a
# wrong verdict). A fix makes these xfails pass: then move them out of this list.
KNOWN_MISSES = {
    "b3-en-date": "cross-lingual similarity 0.36 to the sentence with 2023年8月, below RELATED_CROSS",
    "c8-en-number": "cross-lingual similarity 0.42 to the sentence with 1.5萬餘名, below RELATED_CROSS",
}


def _case(claim: dict):
    reason = KNOWN_MISSES.get(claim["id"])
    return pytest.param(claim, id=claim["id"], marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else [])


@pytest.fixture(scope="module")
def results(seed_bot) -> dict[str, dict]:
    """Every seed claim checked once, as the JSON the CLI and the API give."""
    return {c["id"]: check_json(seed_bot, c["claim"]) for c in CLAIMS}


def test_the_claims_cover_three_scripts_and_every_verdict_and_kind_of_mismatch():
    assert {detect_language(c["claim"]) for c in CLAIMS} == {"zh-Hant", "zh-Hans", "en"}
    assert {c["verdict"] for c in CLAIMS} == {SUPPORTED, CONTRADICTED, NOT_FOUND}
    assert {m["kind"] for c in CLAIMS for m in c["mismatches"]} == {"number", "date", "name"}
    for language in ("zh-Hant", "zh-Hans", "en"):
        verdicts = {c["verdict"] for c in CLAIMS if detect_language(c["claim"]) == language}
        assert verdicts == {SUPPORTED, CONTRADICTED, NOT_FOUND}, language


@pytest.mark.parametrize("claim", [_case(c) for c in CLAIMS])
def test_seed_claim(claim, results, seed_text):
    result = results[claim["id"]]
    assert result["claim"] == claim["claim"]
    assert result["language"] == detect_language(claim["claim"])
    assert result["verdict"] == claim["verdict"], result
    assert [{k: m[k] for k in ("kind", "claim", "article")} for m in result["mismatches"]] == claim["mismatches"]
    if claim["quote"] is None:
        assert result["evidence"] == []
    else:
        assert claim["quote"] in result["evidence"][0]["text"]


@pytest.mark.parametrize("claim", [pytest.param(c, id=c["id"]) for c in CLAIMS if c["verdict"] != NOT_FOUND])
def test_evidence_and_mismatch_offsets_slice_the_source(claim, results, seed_text):
    result = results[claim["id"]]
    for evidence in result["evidence"]:
        assert "".join(seed_text[s:e] for s, e in evidence["spans"]) == evidence["text"]
        assert (evidence["start"], evidence["end"]) == (evidence["spans"][0][0], evidence["spans"][-1][1])
        assert evidence["doc_id"] == "000_4537e6698f2b37d0"
        assert evidence["title"] == "港深科研合作趨緊密 創新資源集聚"
    for mismatch in result["mismatches"]:
        start, end = mismatch["article_span"]
        assert seed_text[start:end] == mismatch["article"]
        assert result["evidence"][0]["start"] <= start < end <= result["evidence"][0]["end"]
        start, end = mismatch["claim_span"]
        assert claim["claim"][start:end] == mismatch["claim"]


def test_a_sentence_the_layout_broke_is_quoted_with_one_span_a_piece(results, seed_text):
    evidence = results["n1-hant-broken"]["evidence"][0]
    assert len(evidence["spans"]) == 2
    assert seed_text[evidence["start"] : evidence["end"]] != evidence["text"]  # a blank line lies between
    assert "".join(seed_text[s:e] for s, e in evidence["spans"]) == evidence["text"]


def test_a_fact_stated_twice_is_quoted_from_both_places(results):
    quotes = [e["text"] for e in results["a1-hant"]["evidence"]]
    assert len(quotes) == 2
    assert all("已進駐40家香港企業和機構" in q for q in quotes)


def test_mismatches_quote_each_side_as_written(results):
    # the Simplified claim's own characters, the Traditional article's own characters
    assert results["e1-hans-name"]["mismatches"][0]["claim"] == "高凌云"
    assert results["e1-hans-name"]["mismatches"][0]["article"] == "王雪萊"


def test_an_empty_or_overlong_claim_is_a_query_error(seed_bot):
    with pytest.raises(QueryError, match="empty"):
        check(seed_bot, "   ")
    with pytest.raises(QueryError, match="limit"):
        check(seed_bot, "河套" * 5000)
    with pytest.raises(QueryError, match="k must be"):
        check(seed_bot, "河套合作區", k=0)


# ------------------------------------------------------------------------------- English and Simplified articles


@pytest.fixture(scope="module")
def tiny_bot(tiny_corpus, tmp_path_factory) -> Bot:
    folder = tmp_path_factory.mktemp("factcheck") / "index"
    build_from_folder(tiny_corpus, folder, Settings(), progress=False)
    return Bot.open(folder)


@pytest.mark.parametrize("claim, verdict, mismatches", [
    ("The Star Ferry has carried passengers across Victoria Harbour since 1888.", SUPPORTED, []),
    ("The Star Ferry has carried passengers across Victoria Harbour since 1898.", CONTRADICTED,
     [("date", "1898", "1888")]),
    ("The Star Ferry has carried passengers across Kowloon Bay since 1888.", CONTRADICTED,
     [("name", "Kowloon Bay", "Victoria Harbour")]),
    ("A single crossing takes about nine minutes and costs HK$8.", CONTRADICTED, [("number", "HK$8", "HK$5")]),
    ("天星小輪自1888年起載客往來維多利亞港。", SUPPORTED, []),  # a Chinese claim over the English article
    ("深圳地鐵於2005年12月28日開通。", CONTRADICTED, [("date", "2005年12月28日", "2004年12月28日")]),
    ("截至2023年底，深圳地铁运营里程超过600公里。", CONTRADICTED, [("number", "超过600公里", "超过500公里")]),
    ("By the end of 2023 the Shenzhen Metro ran more than 500 km of lines.", SUPPORTED, []),
    ("維多利亞港每晚九時上演幻彩詠香江燈光表演。", CONTRADICTED, [("number", "九時", "八時")]),
    ("The Eiffel Tower was completed in 1889.", NOT_FOUND, []),
])
def test_tiny_corpus_claims(tiny_bot, tiny_corpus, claim, verdict, mismatches):
    result = check_json(tiny_bot, claim)
    assert result["verdict"] == verdict, result
    assert [(m["kind"], m["claim"], m["article"]) for m in result["mismatches"]] == mismatches
    for evidence in result["evidence"]:
        source = (tiny_corpus / f"{evidence['doc_id']}.txt").read_text(encoding="utf-8")
        assert "".join(source[s:e] for s, e in evidence["spans"]) == evidence["text"]


# ------------------------------------------------------------------------------------------------------- CLI


def test_cli_check_prints_the_verdict_the_mismatch_and_the_quote(seed_index, capsys):
    assert main(["check", "香港科学园深圳分园已进驻60家香港企业和机构。", "--index", str(seed_index)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == CONTRADICTED
    assert "60家" in out and "40家" in out and "已進駐40家香港企業和機構" in out


def test_cli_check_json_is_the_api_object(seed_index, seed_bot, capsys):
    claim = "河套合作區匯聚1.5萬餘名科技科研人才。"
    assert main(["check", claim, "--index", str(seed_index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == check_json(seed_bot, claim)


def test_cli_check_jsonl_gives_one_result_a_line_and_an_error_for_a_bad_claim(seed_index, tmp_path, capsys):
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": "a", "claim": "香港科學園深圳分園於2022年9月開園。"}\n\n'
                      '{"id": "b", "claim": " "}\n{"id": "c", "claim": "美联储今年已经三次加息。"}\n', encoding="utf-8")
    assert main(["check", "--jsonl", str(claims), "--index", str(seed_index)]) == 1  # the blank claim failed
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["verdict"]) for r in lines] == [("a", CONTRADICTED), ("b", None), ("c", NOT_FOUND)]
    assert "empty" in lines[1]["error"]


@pytest.mark.parametrize("args, message", [
    ([], "give either a claim or --jsonl FILE"),
    (["a claim", "--jsonl", "x.jsonl"], "give either a claim or --jsonl FILE"),
    (["--jsonl", "missing.jsonl"], "cannot read"),
])
def test_cli_check_mistakes_are_one_line_errors_with_exit_code_2(seed_index, capsys, args, message):
    assert main(["check", *args, "--index", str(seed_index)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------- the web tab's pieces


def test_report_of_pasted_claims(seed_bot):
    text = "1. 香港科学园深圳分园已进驻60家香港企业和机构。\n\n• 香港科學園深圳分園於2023年9月開園。\n(3) 美联储今年已经三次加息。\n"
    rows = check_claims(seed_bot, text)
    assert [(r.number, r.verdict) for r in rows] == [(1, CONTRADICTED), (2, SUPPORTED), (3, NOT_FOUND)]

    html = report_html(rows, seed_bot.index.articles, "zh-Hant")
    assert "共 3 項：相符 1，不符 1，未找到 1" in html
    assert '<span class="wenda-verdict wenda-verdict-contradicted">不符</span>' in html
    # the claim's figure and the article's, marked, and side by side in the table
    assert '<mark class="wenda-answer"><strong>60家</strong></mark>' in html
    assert '<mark class="wenda-answer"><strong>40家</strong></mark>' in html
    assert '<td class="wenda-mismatch-claim">60家</td><td class="wenda-mismatch-article">40家</td>' in html
    assert '<mark class="wenda-quote">' in html and "000_4537e6698f2b37d0 · 843–922" in html

    parsed = list(csv.reader(io.StringIO(to_csv(rows))))
    assert parsed[0] == ["#", "claim", "verdict", "mismatches", "evidence", "source"]
    assert parsed[1][:4] == ["1", "香港科学园深圳分园已进驻60家香港企业和机构。", CONTRADICTED, "number: 60家 ≠ 40家"]
    assert parsed[1][5] == "港深科研合作趨緊密 創新資源集聚 (000_4537e6698f2b37d0, 843–922)"
    assert parsed[3][2:] == [NOT_FOUND, "", "", ""]

    markdown = to_markdown(rows).splitlines()
    assert len(markdown) == 2 + len(rows)
    assert markdown[1] == "|---|---|---|---|---|---|"
    assert markdown[2].startswith("| 1 | 香港科学园深圳分园已进驻60家香港企业和机构。 | contradicted | number: 60家 ≠ 40家 |")


def test_to_json_round_trips_through_json(results):
    for result in results.values():
        assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_check_json_is_to_json_of_check(seed_bot):
    claim = "香港科學園深圳分園已進駐40家香港企業。"
    assert check_json(seed_bot, claim) == to_json(check(seed_bot, claim))
