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
from bot.factcheck import (CONTRADICTED, MISMATCH_KINDS, NOT_FOUND, SUPPORTED, UNSUPPORTED, VERDICTS, check,
                           check_json, to_json)
from bot.factcheck_render import check_claims, headers, report_html, to_csv, to_markdown
from bot.index import build_from_folder
from bot.settings import Settings
from bot.text import detect_language

from conftest import ROOT

CLAIMS_FILE = ROOT / "tests" / "data" / "claims_seed.jsonl"
CLAIMS = [json.loads(line) for line in CLAIMS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
FALSE = (CONTRADICTED, UNSUPPORTED)
# A place changed in the same slot is a name or a qualifier; a verb changed there a predicate or a qualifier.
ALIKE = {"qualifier": {"qualifier", "name", "predicate"}, "name": {"name", "qualifier"}, "predicate": {"predicate", "qualifier"}}
# Claims whose verdict (or reason) Wenda still gets wrong, with what it says instead: mostly English claims
# over the Chinese article whose words neither CC-CEDICT, pinyin nor the encoder match (so a true one is
# "unsupported", never "supported"), and a false one caught as unsupported rather than contradicted.
# A fix makes its xfail pass (strict): then take it out of this list.
KNOWN_MISSES = {
    "c3-en-exact-vs-bound": "unsupported: no match for filed",
    "c5-en": "unsupported: no match for brought, Fortune",
    "c7-en": "unsupported: no match for launched",
    "i2-en": "unsupported: no match for route, day",
    "k1-en": "unsupported: no match for Macao",
    "u5-hans-near": "unsupported: no match for 30家",
    "u7-en-near": "contradicted: date 2030 ≠ 2023年8月",
    "y2-hant-true": "verdict right, another sentence quoted",
    "z4-hans-paraphrase": "unsupported: no match for 出发, 不算, 省, 三十分钟",
    "w1-en-paraphrase": "unsupported: no match for promoted, first",
    "t1-hans-paraphrase": "unsupported: no match for 科大, 收录",
    "z5-en-paraphrase": "unsupported: no match for residents, travel, back",
    "w2-en-paraphrase": "unsupported: no match for gradually, turning",
    "s2-hans-paraphrase": "unsupported: no match for 增多, 王雪莱",
    "q4-hans-paraphrase": "unsupported: no match for 签约, 投资额",
    "t2-en-paraphrase": "unsupported: no match for attracted",
    "y3-en-paraphrase": "unsupported: no match for Under, launched, number, received",
    "q5-en-number": "unsupported: no match for batch, 12",
    "q6-hans-number": "not_found",
    "t4-hans-date": "verdict right, another sentence quoted",
    "y5-en-date": "unsupported: no match for plans",
    "z9-en-date": "not_found",
    "r5-en-name": "unsupported: no match for executive, past",
    "w3-en-name": "unsupported: no match for Intelligent",
    "r6-en-name": "unsupported: no match for executive, recruited, past",
    "z10-hant-name": "unsupported: no match for 元朗",
    "z11-hant-name": "unsupported: no match for 香港入境事務處",
    "s3-hans-name": "unsupported: no match for 高凌云",
    "r7-en-predicate": "unsupported: no match for shut, down",
    "q12-en-predicate": "unsupported: no match for revoked, accreditation",
    "y9-hans-predicate": "unsupported: no match for 叫停",
    "p7-en-predicate": "unsupported: no match for discouraged, companies, moving",
    "s5-hant-predicate": "verdict right, another sentence quoted",
    "x4-en-qualifier": "unsupported: no match for both, regulator, devices",
    "x5-hans-qualifier": "unsupported: no match for 深圳",
    "t7-en-qualifier": "unsupported: no match for alone",
    "z13-hans-qualifier": "unsupported: no match for 包括",
    "r9-en-qualifier": "supported",
    "t9-en-comparative": "unsupported: no match for companies, moved, branch",
    "r10-en-comparative": "verdict right, another sentence quoted",
    "t11-en-comparative": "unsupported: no match for filed, Fewer than 1,000",
    "z16-en-negation": "unsupported: no match for residents, back",
    "y11-hans-negation": "unsupported: no match for 刘振韬",
    "s7-en-negation": "unsupported: no match for any, Translational",
    "w4-hans-negation": "unsupported: no match for 吴志力",
    "r12-hant-negation": "unsupported: no match for 高凌雲",
    "x7-hans-negation": "unsupported: no match for 前",
    "z17-hant-negation": "contradicted for another reason: name 劉振韜 ≠ 白名單",
    "w5-en-added": "verdict right, another sentence quoted",
    "v2-en-order": "verdict right, another sentence quoted",
    "v5-hant-order": "verdict right, another sentence quoted",
    "v6-hans-order": "verdict right, another sentence quoted",
    "v12-en-order-true": "unsupported: no match for formed",
    "v13-hans-order-true": "unsupported: no match for 分园, 三年, 开园",
    "v15-en-order-true": "unsupported: no match for two, formed",
    "u13-hans-unrelated": "unsupported: no match for 新增, 两百家, 广州, 南沙",
}
# The one false claim of the set Wenda calls supported: "in the Hong Kong park" is matched by the 香港 of
# the institute's name, and an English place cannot be compared slot by slot with the Chinese.
KNOWN_FALSE_SUPPORTED = {"r9-en-qualifier"}


def _case(claim: dict):
    reason = KNOWN_MISSES.get(claim["id"])
    return pytest.param(claim, id=claim["id"], marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else [])


@pytest.fixture(scope="module")
def results(seed_bot) -> dict[str, dict]:
    """Every seed claim checked once, as the JSON the CLI and the API give."""
    return {c["id"]: check_json(seed_bot, c["claim"]) for c in CLAIMS}


def test_the_claims_cover_three_scripts_every_verdict_and_every_kind_of_mismatch():
    assert len(CLAIMS) >= 120
    assert {detect_language(c["claim"]) for c in CLAIMS} == {"zh-Hant", "zh-Hans", "en"}
    assert {c["verdict"] for c in CLAIMS} == set(VERDICTS)
    assert {m["kind"] for c in CLAIMS for m in c["mismatches"]} == set(MISMATCH_KINDS)
    for language in ("zh-Hant", "zh-Hans", "en"):
        verdicts = {c["verdict"] for c in CLAIMS if detect_language(c["claim"]) == language}
        assert verdicts == set(VERDICTS), language


@pytest.mark.parametrize("claim", [_case(c) for c in CLAIMS])
def test_seed_claim(claim, results):
    """The verdict, and why: a mismatch of the kind the claim's change is, claim and article as written, or
    the words the article does not state."""
    result = results[claim["id"]]
    assert result["claim"] == claim["claim"]
    assert result["language"] == detect_language(claim["claim"])
    assert result["verdict"] == claim["verdict"], result
    given = [(m["kind"], m["claim"], m["article"]) for m in result["mismatches"]]
    for want in claim["mismatches"]:
        kinds = ALIKE.get(want["kind"], {want["kind"]})
        assert any(kind in kinds and (_overlap(want["claim"], said) or _overlap(want["article"], quoted))
                   for kind, said, quoted in given), (want, given)
    for word in claim.get("missing", []):
        assert any(_overlap(word, listed) for listed in result["missing"]), (word, result["missing"])
    if result["verdict"] != UNSUPPORTED:
        assert result["missing"] == []
    if not claim["quote"]:
        assert result["evidence"] == []
    else:
        assert any(claim["quote"] in e["text"] or e["text"] in claim["quote"] for e in result["evidence"]), result


def _overlap(a: str, b: str) -> bool:
    return a in b or b in a


def test_no_false_claim_is_called_supported(results):
    called = {c["id"] for c in CLAIMS if c["verdict"] in FALSE and results[c["id"]]["verdict"] == SUPPORTED}
    assert called == KNOWN_FALSE_SUPPORTED


def test_the_set_meets_the_targets_it_was_built_for(results):
    """On these claims (the ones thresholds were chosen on): every false one caught but one, most true ones
    supported; eval/RESULTS.md gives the held-out sets' numbers."""
    true = [results[c["id"]]["verdict"] for c in CLAIMS if c["verdict"] == SUPPORTED]
    false = [results[c["id"]]["verdict"] for c in CLAIMS if c["verdict"] in FALSE]
    assert sum(v in FALSE for v in false) / len(false) >= 0.95
    assert true.count(SUPPORTED) / len(true) >= 0.65


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
    # a Chinese claim over the English article: 天星, 小輪, 載客 and 維多利亞港 are matched by neither CC-CEDICT
    # nor the encoder, so the sentence is too little related to say more than not_found (it was supported
    # before every word had to match): a known gap, see README
    ("天星小輪自1888年起載客往來維多利亞港。", NOT_FOUND, []),
    ("深圳地鐵於2005年12月28日開通。", CONTRADICTED, [("date", "2005年12月28日", "2004年12月28日")]),
    ("截至2023年底，深圳地铁运营里程超过600公里。", CONTRADICTED, [("number", "超过600公里", "超过500公里")]),
    ("By the end of 2023 the Shenzhen Metro ran more than 500 km of lines.", UNSUPPORTED, []),  # ran, km, lines
    ("The Star Ferry stopped carrying passengers across Victoria Harbour in 1888.", UNSUPPORTED, []),
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


def test_cli_check_lists_what_the_articles_do_not_state(seed_index, capsys):
    assert main(["check", "香港科技大學深港協同創新研究院首次設立17個實驗室。", "--index", str(seed_index)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == UNSUPPORTED
    assert out[1] == "  not stated in the articles: 首次"
    assert "至今已設立17個實驗室" in out[2]


def test_api_check_gives_unsupported_with_the_missing_words(web_url):
    import httpx

    out = httpx.post(f"{web_url}/api/check", json={"claim": "香港科技大學深港協同創新研究院首次設立17個實驗室。"},
                     timeout=60).json()
    assert (out["verdict"], out["missing"], out["mismatches"]) == (UNSUPPORTED, ["首次"], [])


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
    report = check_claims(seed_bot, text)
    assert [(r.number, r.sentence, r.verdict) for r in report.rows] == [
        (1, 1, CONTRADICTED), (2, 2, SUPPORTED), (3, 3, NOT_FOUND)]
    articles = seed_bot.index.articles

    html = report_html(report, articles, "zh-Hant")
    assert "3 句、3 項說法：不符 1，未獲佐證 0，未找到 1，相符 1" in html
    assert '<span class="wenda-verdict wenda-verdict-contradicted">不符</span>' in html
    # the claim's figure red, the article's green, and side by side in the table
    assert '<mark class="wenda-value-claim">60家</mark>' in html
    assert '<mark class="wenda-value-article">40家</mark>' in html
    assert '<td class="wenda-mismatch-claim">60家</td><td class="wenda-mismatch-article">40家</td>' in html
    assert '<mark class="wenda-quote">' in html and "000_4537e6698f2b37d0" not in html
    assert '<cite class="wenda-title">港深科研合作趨緊密 創新資源集聚</cite>' in html

    parsed = list(csv.reader(io.StringIO(to_csv(report, articles, "en"))))
    assert parsed[0] == headers("en")
    assert parsed[1][:5] == ["1", "1", "香港科学园深圳分园已进驻60家香港企业和机构。", "Contradicted", "number: 60家 ≠ 40家"]
    assert parsed[1][7] == "港深科研合作趨緊密 創新資源集聚 · 大公報 (Ta Kung Pao) · 胡永愛 · 2024"
    assert parsed[3][3:] == ["Not found", "", "", "", ""]

    markdown = to_markdown(report, articles, "en").splitlines()
    assert len(markdown) == 2 + len(report.rows)
    assert markdown[1] == "|---|---|---|---|---|---|---|---|"
    assert markdown[2].startswith("| 1 | 1 | 香港科学园深圳分园已进驻60家香港企业和机构。 | Contradicted | number: 60家 ≠ 40家 |")


def test_to_json_round_trips_through_json(results):
    for result in results.values():
        assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_check_json_is_to_json_of_check(seed_bot):
    claim = "香港科學園深圳分園已進駐40家香港企業。"
    assert check_json(seed_bot, claim) == to_json(check(seed_bot, claim))
