"""End to end: `python -m eval squad` over the first two articles of XQuAD (zh→zh, then en→zh reusing
the index), from the shared files to run files, metrics.json, report.md and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.settings import MODES
from conftest import SHARED_DATA, needs_shared_data
from eval.__main__ import main
from eval.readers import read_qrels, read_run

ARTICLES = 2  # about ten paragraphs
QUESTIONS = 3  # per paragraph, to keep the test short
pytestmark = [needs_shared_data("xquad_zh_public.json"), needs_shared_data("xquad_en_public.json")]


def _slice(name: str, folder: Path) -> Path:
    data = json.loads((SHARED_DATA / name).read_text(encoding="utf-8"))
    data["data"] = data["data"][:ARTICLES]
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["qas"] = paragraph["qas"][:QUESTIONS]
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def xquad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xquad")
    return {"zh": _slice("xquad_zh_public.json", folder), "en": _slice("xquad_en_public.json", folder),
            "index": folder / "index", "out": folder}


@pytest.fixture(scope="module")
def zh_run(xquad: dict[str, Path]) -> dict:
    report = xquad["out"] / "zh"
    code = main(["squad", "--contexts", str(xquad["zh"]), "--index-dir", str(xquad["index"]), "--report", str(report),
                 "--mode", "all", "--quiet"])
    assert code == 0
    return json.loads((report / "metrics.json").read_text(encoding="utf-8"))


def test_metrics_cover_every_mode_and_the_slice(zh_run: dict, xquad: dict[str, Path]) -> None:
    data = json.loads(xquad["zh"].read_text(encoding="utf-8"))["data"]
    paragraphs = sum(len(a["paragraphs"]) for a in data)
    questions = sum(len(p["qas"]) for a in data for p in a["paragraphs"])
    assert zh_run["benchmark"]["articles"] == paragraphs and zh_run["benchmark"]["judged"] == questions
    assert list(zh_run["modes"]) == list(MODES)
    for mode, m in zh_run["modes"].items():
        curve = m["recall_curve"]
        assert len(curve) == 20 and curve == sorted(curve), mode
        assert m["retrieval"]["recall@1"] == curve[0] and m["retrieval"]["recall@20"] == curve[19]
        assert 0 <= m["retrieval"]["recall@1"] <= m["retrieval"]["mrr@10"] <= 1
        assert m["latency_ms"]["p50"] <= m["latency_ms"]["p95"]
    # a sanity floor, not a benchmark: same-language questions over ten paragraphs are easy
    assert zh_run["modes"]["hybrid"]["retrieval"]["mrr@10"] > 0.6
    answers = zh_run["answers"]
    assert answers["mode"] == "hybrid" and answers["scored"] == questions
    assert 0 < answers["sentence_has_answer"] <= answers["answered"] <= 1
    assert answers["f1"] >= answers["exact_match"]
    assert not zh_run["index"]["reused"] and zh_run["index"]["build_s"] > 0


def test_run_files_qrels_and_report(zh_run: dict, xquad: dict[str, Path]) -> None:
    report = Path(zh_run["report"])
    qrels = read_qrels(report / "qrels.trec")
    assert len(qrels) == zh_run["benchmark"]["judged"]
    for mode in MODES:
        run = read_run(report / f"run.{mode}.tsv")
        assert set(run) <= set(qrels)
        for ranking in run.values():
            docs = [d for d, _ in ranking]
            assert len(docs) == len(set(docs)) <= 20
            assert all(d.startswith("a") and "p" in d for d in docs)
    # bm25 and the fused modes return a ranking for every question
    assert set(read_run(report / "run.hybrid.tsv")) == set(qrels)
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "| mode | R@1 | R@5 | R@10 | R@20 | MRR@10 | nDCG@10 | p50 ms | p95 ms |" in text
    assert f"--contexts {xquad['zh']}" in text
    assert (report / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = (report / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == zh_run["benchmark"]["questions"]
    assert set(json.loads(lines[0])["first_relevant_rank"]) == set(MODES)


def test_english_questions_reuse_the_chinese_index(zh_run: dict, xquad: dict[str, Path], capsys) -> None:
    report = xquad["out"] / "en"
    run_out = xquad["out"] / "en-run.tsv"
    code = main(["squad", "--contexts", str(xquad["zh"]), "--questions", str(xquad["en"]), "--index-dir",
                 str(xquad["index"]), "--report", str(report), "--mode", "dense", "--run-out", str(run_out),
                 "--no-answers", "--quiet"])
    assert code == 0
    data = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    assert data["index"]["reused"] and list(data["modes"]) == ["dense"] and data["answers"] is None
    assert data["benchmark"]["judged"] == zh_run["benchmark"]["judged"]
    assert set(read_run(run_out)) == set(read_qrels(report / "qrels.trec"))
    out = capsys.readouterr().out
    assert "| dense |" in out and "report:" in out


def test_a_missing_file_is_one_line_and_exit_code_2(tmp_path: Path, capsys) -> None:
    code = main(["squad", "--contexts", str(tmp_path / "nope.json"), "--index-dir", str(tmp_path / "i"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "nope.json does not exist" in err and err.count("\n") == 1
