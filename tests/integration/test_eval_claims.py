"""``python -m eval claims``: the fact check scored on a claims set (real claims about the seed article),
and a set that cannot be read refused with the line that is wrong."""

from __future__ import annotations

import json

import pytest

from eval import EvalError
from eval.__main__ import main
from eval.claims import Claim, read_claims, score

CLAIMS = [
    {"id": "t1", "claim": "香港科學園深圳分園於2023年9月開園。", "verdict": "supported", "class": "true", "script": "hant"},
    {"id": "f1", "claim": "香港科学园深圳分园已进驻60家香港企业和机构。", "verdict": "contradicted", "class": "number",
     "script": "hans"},
    {"id": "f2", "claim": "香港科技大學深港協同創新研究院首次設立17個實驗室。", "verdict": "unsupported", "class": "added",
     "script": "hant"},
    {"id": "u1", "claim": "美联储今年已经三次加息。", "verdict": "not_found", "class": "unrelated", "script": "hans"},
]


def test_the_report_counts_the_verdicts_and_the_false_claims_supported(seed_corpus, tmp_path, capsys):
    path, out = tmp_path / "claims.jsonl", tmp_path / "out.json"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CLAIMS), encoding="utf-8")
    assert main(["claims", str(path), "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "index"),
                 "--json", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["verdict"] for r in data["results"]] == [c["verdict"] for c in CLAIMS]
    assert (data["accuracy"], data["false_supported"], data["true_supported"], data["false_caught"]) == (1.0, 0, 1.0, 1.0)
    assert data["confusion"]["contradicted"]["contradicted"] == 1 and data["misses"] == []
    assert set(data["by_script"]) == {"hant", "hans"}
    printed = capsys.readouterr().out
    assert "false claims called supported: 0" in printed and "confusion" in printed


def test_score_counts_a_false_claim_called_supported_against_the_targets():
    claims = [Claim("a", "x", "supported", "true", "en"), Claim("b", "y", "contradicted", "number", "en"),
              Claim("c", "z", "unsupported", "added", "en"), Claim("d", "w", "not_found", "unrelated", "en")]
    data = score(claims, ["unsupported", "supported", "unsupported", "not_found"])
    assert (data["false_supported"], data["true_supported"], data["false_caught"]) == (1, 0.0, 0.5)
    assert data["accuracy"] == 0.5 and [m["id"] for m in data["misses"]] == ["a", "b"]


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "claim": "x"}', "each line needs"),
    ('{"id": "a", "claim": "x", "verdict": "true"}', "each line needs"),
    ("not json", "not JSON"),
])
def test_a_bad_line_is_refused_with_where_it_is(tmp_path, line, message):
    path = tmp_path / "claims.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(EvalError, match=message):
        read_claims(path)
