"""`python -m bot` as a person runs it: index, ask (text, --json, --jsonl), and a one-line "error: ..."
with exit code 2 for every mistake a person can make, never a traceback.

The main paths run as a subprocess, as typed; the rarer ones call ``bot.__main__.main`` in this process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import store
from bot.index import build_from_folder, read_manifest
from bot.settings import Settings

from conftest import ROOT

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
TIMEOUT = 180
REBUILD = "python -m bot index"
UNREADABLE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8  # no text encoding reads it (a Big5 file is read now)


def wenda(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, encoding="utf-8", timeout=TIMEOUT)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus(tiny_corpus, tmp_path_factory) -> Path:
    """The tiny corpus plus a file no text encoding reads, which must be skipped."""
    folder = tmp_path_factory.mktemp("cli") / "corpus"
    shutil.copytree(tiny_corpus, folder)
    (folder / "old-scan.txt").write_bytes(UNREADABLE)
    return folder


@pytest.fixture(scope="module")
def indexed(corpus) -> tuple[Path, subprocess.CompletedProcess]:
    folder = corpus.parent / "index"
    return folder, wenda("index", "--corpus", str(corpus), "--index", str(folder), "--quiet")


def _source(corpus: Path, doc_id: str) -> str:
    return (corpus / f"{doc_id}.txt").read_text(encoding="utf-8")


def test_index_skips_the_non_utf8_file_with_a_note_and_builds_from_the_rest(indexed, corpus):
    folder, run = indexed
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.strip().startswith(f"indexed 6 passages from 3 articles into {folder}")
    [note] = _lines(run.stderr)  # said once, not twice
    assert note.startswith(f"skipped {corpus / 'old-scan.txt'}") and "not UTF-8" in note
    assert "no text encoding reads it" in note
    manifest = read_manifest(folder)
    assert [s["path"] for s in manifest["corpus"]["skipped"]] == [str(corpus / "old-scan.txt")]


def test_index_if_stale_does_nothing_when_fresh(indexed, corpus):
    folder, _ = indexed
    run = wenda("index", "--corpus", str(corpus), "--index", str(folder), "--if-stale", "--quiet")
    assert run.returncode == 0 and run.stdout.strip() == f"index in {folder} is up to date"


PASSAGE_KEYS = {"rank", "doc_id", "passage_id", "title", "text", "start", "end", "score"}


def _check_answer_object(out: dict, corpus: Path) -> None:
    """The documented schema, and offsets that slice the source files."""
    assert {"question", "language", "found", "answer", "passages", "latency_ms"} <= set(out)
    assert isinstance(out["found"], bool) and isinstance(out["latency_ms"], (int, float))
    assert out["passages"], "retrieval returns passages even when the answer abstains"
    assert [p["rank"] for p in out["passages"]] == list(range(1, len(out["passages"]) + 1))
    for p in out["passages"]:
        assert PASSAGE_KEYS <= set(p)
        source = _source(corpus, p["doc_id"])
        assert source[p["start"] : p["end"]] == p["text"]
        assert p["passage_id"].startswith(p["doc_id"] + "#")
    if out["found"]:
        answer = out["answer"]
        assert {"text", "sentence", "citation"} <= set(answer)
        cited = out["passages"][answer["citation"] - 1]
        assert answer["sentence"] in cited["text"] and answer["text"] in answer["sentence"]
    else:
        assert out["answer"] is None


def test_ask_json_gives_the_documented_schema_with_offsets_into_the_source(indexed, corpus):
    folder, _ = indexed
    question = "深圳地鐵哪一年開通？"
    run = wenda("ask", "--index", str(folder), "--json", question)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    _check_answer_object(out, corpus)
    assert out["question"] == question and out["language"] == "zh-Hant"
    assert out["found"] is True
    cited = out["passages"][out["answer"]["citation"] - 1]
    assert cited["doc_id"] == "hans" and cited["title"] == "深圳地铁"
    assert "2004" in out["answer"]["text"]
    source = _source(corpus, "hans")
    for key, text in (("sentence_spans", out["answer"]["sentence"]), ("text_spans", out["answer"]["text"])):
        if key in out["answer"]:
            assert "".join(source[s:e] for s, e in out["answer"][key]) == text


def test_ask_prints_a_readable_answer_with_its_sources(indexed, capsys):
    from bot.__main__ import main

    assert main(["ask", "--index", str(indexed[0]), "How long does a Star Ferry crossing take?"]) == 0
    out = capsys.readouterr().out
    assert "[1] Harbour ferry (en, " in out
    assert "nine minutes" in out


def test_ask_jsonl_prints_one_object_a_line_with_its_id(indexed, corpus, tmp_path, capsys):
    from bot.__main__ import main

    folder, _ = indexed
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join([
        json.dumps({"id": "q1", "question": "When did the Star Ferry start?"}),
        "",
        json.dumps({"id": "q2", "question": "幻彩詠香江每晚幾點上演？"}, ensure_ascii=False),
        json.dumps({"id": 3, "question": "   "}),
    ]) + "\n", encoding="utf-8")
    assert main(["ask", "--index", str(folder), "--jsonl", str(questions)]) == 1  # the blank question failed
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["q1", "q2", 3]
    for record in records[:2]:
        _check_answer_object(record, corpus)
    assert records[0]["language"] == "en" and records[0]["passages"][0]["doc_id"] == "en"
    assert records[1]["language"] == "zh-Hant" and records[1]["passages"][0]["doc_id"] == "hant"
    assert records[2]["found"] is False and records[2]["answer"] is None and "empty" in records[2]["error"]


# --- every mistake: one line on stderr, exit code 2 ------------------------------------------------

@pytest.fixture(scope="module")
def error_runs(indexed, corpus, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every failing command, run side by side (each is a fresh `python -m bot`)."""
    folder, _ = indexed
    root = tmp_path_factory.mktemp("cli-errors")

    stale_corpus = root / "stale-corpus"
    shutil.copytree(corpus, stale_corpus)
    build_from_folder(stale_corpus, root / "stale-index", Settings(), progress=False)
    (stale_corpus / "en.txt").write_text("Harbour ferry\n\nThe fare is now HK$6.\n", encoding="utf-8")

    corrupt = root / "corrupt-index"
    shutil.copytree(folder, corrupt)
    vectors = store.live_folder(corrupt) / "dense.faiss"
    vectors.write_bytes(vectors.read_bytes()[: vectors.stat().st_size // 2])

    only_binary = root / "only-binary"
    only_binary.mkdir()
    (only_binary / "old.txt").write_bytes(UNREADABLE)

    cases = {
        "empty question": ["ask", "--index", str(folder), ""],
        "10,000-character question": ["ask", "--index", str(folder), "河" * 10_000],
        "missing index": ["ask", "--index", str(root / "never-built"), "Star Ferry?"],
        "stale index": ["ask", "--index", str(root / "stale-index"), "Star Ferry?"],
        "corrupt index": ["ask", "--index", str(corrupt), "Star Ferry?"],
        "only a non-UTF-8 corpus file": ["index", "--corpus", str(only_binary), "--index", str(root / "i"), "--quiet"],
    }
    running = {
        name: subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8")
        for name, args in cases.items()
    }
    results = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=TIMEOUT)
        results[name] = subprocess.CompletedProcess(cases[name], process.returncode, out, err)
    return results


ERRORS = {
    "empty question": "the question is empty",
    "10,000-character question": "10,000 characters",
    "missing index": f"never-built; build it with: {REBUILD}",
    "stale index": "changed since the index",
    "corrupt index": "dense.faiss (missing or of the wrong size); rebuild with: " + REBUILD,
    "only a non-UTF-8 corpus file": "not UTF-8",
}


def _check_one_error_line(code: int, out: str, err: str, expected: str) -> None:
    assert "Traceback" not in err, err
    assert code == 2, (code, out, err)
    lines = _lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_mistakes_give_one_error_line_and_exit_code_2(error_runs, case):
    run = error_runs[case]
    _check_one_error_line(run.returncode, run.stdout, run.stderr, ERRORS[case])
    assert run.stdout == ""


# The same contract for the rarer mistakes, through bot.__main__.main in this process (faster).
IN_PROCESS = {
    "blank question": (["ask", "--index", "{index}", "  \n "], "the question is empty"),
    "no question": (["ask", "--index", "{index}"], "give either a question or --jsonl FILE"),
    "question and jsonl": (["ask", "--index", "{index}", "--jsonl", "{questions}", "Star Ferry?"], "give either"),
    "bad k": (["ask", "--index", "{index}", "--k", "500", "Star Ferry?"], "k must be an integer between 1 and 100"),
    "missing jsonl": (["ask", "--index", "{index}", "--jsonl", "{tmp}/nowhere.jsonl"], "cannot read"),
    "missing corpus": (["index", "--corpus", "{tmp}/nowhere", "--index", "{tmp}/index", "--quiet"], "does not exist"),
    "unknown encoder": (["index", "--corpus", "{corpus}", "--index", "{tmp}/index", "--quiet", "--encoder", "bert"],
                        "unknown encoder 'bert'"),
}


@pytest.mark.parametrize("case", IN_PROCESS, ids=list(IN_PROCESS))
def test_rarer_mistakes_give_one_error_line_and_exit_code_2(indexed, corpus, tmp_path, capsys, case):
    from bot.__main__ import main

    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"id": 1, "question": "Star Ferry?"}\nnot json\n', encoding="utf-8")
    names = {"index": str(indexed[0]), "questions": str(questions), "tmp": str(tmp_path), "corpus": str(corpus)}
    argv, expected = IN_PROCESS[case]
    code = main([arg.format(**names) for arg in argv])
    captured = capsys.readouterr()
    _check_one_error_line(code, captured.out, captured.err, expected)
    assert captured.out == ""
    assert not (tmp_path / "index").exists()


def test_stale_and_corrupt_messages_name_the_rebuild_command(error_runs):
    for case in ("missing index", "stale index", "corrupt index"):
        assert REBUILD in error_runs[case].stderr


def test_nothing_is_left_behind_by_a_failed_index_command(error_runs):
    args = error_runs["only a non-UTF-8 corpus file"].args
    index = Path(args[args.index("--index") + 1])
    assert not index.exists()
    assert not index.parent.exists() or not any(p.name.startswith(".") for p in index.parent.iterdir())
