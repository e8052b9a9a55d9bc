"""Bad input on every path into the Bot: text UTF-8 cannot encode (lone surrogates, undecodable bytes on
the command line), k outside 1..100, and --jsonl batches with broken lines, which get an error record in
their place while the batch goes on (exit code 1)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from bot import Bot
from bot.__main__ import main
from bot.errors import QueryError
from bot.factcheck import check, check_json

from conftest import ROOT

ZH = "香港科學園深圳分園進駐了多少家企業？"
CLAIM = "香港科學園深圳分園已進駐60家香港企業和機構。"
K_RULE = "k must be an integer between 1 and 100"
TIMEOUT = 180


# --- one place cleans what cannot be encoded --------------------------------------------------------

@pytest.mark.parametrize("dirty", ["\udcff" + ZH, ZH + "\ud800", "\udc80\udcff" + ZH + "\udcfe"])
def test_lone_surrogates_are_dropped_from_a_question(seed_bot, dirty):
    out = seed_bot.ask_json(dirty)
    assert out["question"] == ZH
    assert {k: v for k, v in out.items() if k != "latency_ms"} == \
        {k: v for k, v in seed_bot.ask_json(ZH).items() if k != "latency_ms"}
    assert [h.passage.passage_id for h in seed_bot.search(dirty)] == [h.passage.passage_id for h in seed_bot.search(ZH)]


def test_a_question_of_lone_surrogates_only_is_empty(seed_bot):
    with pytest.raises(QueryError, match="the question is empty"):
        seed_bot.ask("\udcff\udcfe  ")


def test_a_claim_is_cleaned_by_the_same_check_as_a_question(seed_bot, monkeypatch):
    assert check_json(seed_bot, "\udcff" + CLAIM) == check_json(seed_bot, CLAIM)
    with pytest.raises(QueryError, match="the claim is empty"):
        check(seed_bot, "\udcff")
    seen = []
    original = Bot.check_question
    monkeypatch.setattr(Bot, "check_question", lambda self, text, what="question": seen.append(what) or
                        original(self, text, what))
    check(seed_bot, CLAIM)
    assert seen == ["claim"]


@pytest.mark.parametrize("value", [123, None, ["a", "list"]])
def test_a_question_that_is_not_text_is_a_query_error(seed_bot, value):
    with pytest.raises(QueryError, match="must be text"):
        seed_bot.ask(value)


# --- k: one rule everywhere ---------------------------------------------------------------------------

@pytest.mark.parametrize("k", [0, -1, 101, True, 2.0, "3"])
def test_k_outside_1_to_100_is_refused_by_ask_search_and_check(seed_bot, k):
    message = f"{K_RULE}, not {k!r}"
    for call in (lambda: seed_bot.ask(ZH, k), lambda: seed_bot.search(ZH, k), lambda: check(seed_bot, CLAIM, k)):
        with pytest.raises(QueryError) as raised:
            call()
        assert str(raised.value) == message


def test_k_none_is_the_default_and_1_and_100_are_allowed(seed_bot):
    assert len(seed_bot.ask(ZH, None).hits) == seed_bot.settings.k
    assert len(seed_bot.ask(ZH, 1).hits) == 1
    assert seed_bot.settings.k < len(seed_bot.search(ZH, 100)) <= 100


@pytest.mark.parametrize("command, text", [("ask", ZH), ("check", CLAIM)])
def test_cli_k_0_is_an_error_not_the_default(seed_index, capsys, command, text):
    assert main([command, text, "--index", str(seed_index), "--k", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"error: {K_RULE}, not 0\n"


# --- undecodable bytes on the command line ------------------------------------------------------------

def _bot(*args: str | bytes, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, timeout=TIMEOUT,
                          input=stdin.encode() if stdin is not None else None)


def test_undecodable_bytes_in_a_command_line_question_are_dropped(seed_index):
    run = _bot("ask", b"\xff" + ZH.encode() + b"\xfe", "--index", str(seed_index), "--json")
    assert run.returncode == 0, run.stderr.decode()
    assert json.loads(run.stdout)["question"] == ZH
    run = _bot("check", b"\xff\xfe\x80", "--index", str(seed_index))
    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.decode() == "error: the claim is empty; paste a sentence from a draft or a report to check it\n"


# --- --jsonl: a broken line gets an error record, the batch goes on -----------------------------------

def _run_jsonl(command: str, index, path, capsys) -> tuple[int, list[dict], str]:
    code = main([command, "--index", str(index), "--jsonl", str(path)])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


BROKEN_LINES = [
    (b'{"id": "a", "question": "' + ZH.encode() + b'"}', None),
    (b"not json", "line 2 is not JSON"),
    (b'["a", "list"]', "line 3 is an array, not an object"),
    (b'{"id": "d"}', 'line 4 has no "question"'),
    (b'{"id": "e", "question": 123}', 'line 5: "question" must be a string, not a number'),
    (b'{"id": "f", "question": null}', 'line 6: "question" must be a string, not null'),
    (b'{"id": "g", "question": ["a"]}', 'line 7: "question" must be a string, not an array'),
    (b'{"id": "h", "question": "\xff\xfe"}', "line 8 is not UTF-8"),
    (b'{"id": [1, 2], "question": "x"}', "line 9: the id must be a string or a number"),
    (b'{"id": "j", "question": "\\udcff' + ZH.encode() + b'"}', None),
    (b'{"question": "When did the Shenzhen branch of the Hong Kong Science Park open?"}', None),
]


def test_ask_jsonl_gives_each_broken_line_an_error_record_and_goes_on(seed_index, tmp_path, capsys):
    questions = tmp_path / "questions.jsonl"
    questions.write_bytes(b"\n".join(line for line, _ in BROKEN_LINES) + b"\n")
    code, records, err = _run_jsonl("ask", seed_index, questions, capsys)
    assert code == 1 and err == ""
    assert [r["id"] for r in records] == ["a", 2, 3, "d", "e", "f", "g", 8, 9, "j", 11]
    for record, (_, error) in zip(records, BROKEN_LINES):
        if error is None:
            assert "error" not in record and record["found"], record
        else:
            assert set(record) == {"id", "error"} and error in record["error"], record
    assert records[0]["question"] == records[9]["question"] == ZH
    assert records[10]["language"] == "en"


def test_jsonl_exit_code_is_0_when_every_line_was_answered(seed_index, tmp_path, capsys):
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\ufeff" + json.dumps({"id": 1, "question": ZH}) + "\n\n" +
                         json.dumps({"id": 2, "question": "港科大深港協同創新研究院的執行總監是誰？"}) + "\n", encoding="utf-8")
    code, records, _ = _run_jsonl("ask", seed_index, questions, capsys)
    assert code == 0 and [r["id"] for r in records] == [1, 2] and all(r["found"] for r in records)


def test_an_error_record_never_echoes_a_huge_line(seed_index, tmp_path, capsys):
    huge = "河" * 5_000_000
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "huge", "question": huge}, ensure_ascii=False) + "\n" +
                         json.dumps({"id": "x" * 10_000, "question": ZH}) + "\n" +
                         json.dumps({"id": "ok", "question": ZH}, ensure_ascii=False) + "\n", encoding="utf-8")
    code = main(["ask", "--index", str(seed_index), "--jsonl", str(questions)])
    out = capsys.readouterr().out
    assert code == 1 and len(out.encode()) < 20_000
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["id"] == "huge" and "5,000,000 characters" in records[0]["error"]
    assert records[0]["question"] == "河" * 100 + "…" and records[0]["found"] is False
    assert records[1] == {"id": 2, "error": "line 2: the id is 10,000 characters long; the limit is 200"}
    assert records[2]["found"]


def test_check_jsonl_gives_each_broken_line_an_error_record_and_goes_on(seed_index, tmp_path, capsys):
    claims = tmp_path / "claims.jsonl"
    claims.write_bytes(b'{"id": 1, "claim": 60}\n{"id": 2, "claim": "' + CLAIM.encode() + b'"}\n{"id": 3\n'
                       b'{"id": 4, "claim": "\\udcff"}\n')
    code, records, _ = _run_jsonl("check", seed_index, claims, capsys)
    assert code == 1
    assert records[0] == {"id": 1, "error": 'line 1: "claim" must be a string, not a number'}
    assert records[1]["id"] == 2 and records[1]["verdict"] == "contradicted"
    assert records[2]["id"] == 3 and "line 3 is not JSON" in records[2]["error"]
    assert records[3] == {"id": 4, "claim": "", "verdict": None, "evidence": [], "mismatches": [],
                          "error": "the claim is empty; paste a sentence from a draft or a report to check it"}


@pytest.mark.parametrize("command, field, text", [("ask", "question", ZH), ("check", "claim", CLAIM)])
def test_jsonl_dash_reads_standard_input_one_line_at_a_time(seed_index, command, field, text):
    """An answer is printed as soon as its line arrives, before standard input is closed."""
    process = subprocess.Popen([sys.executable, "-m", "bot", command, "--index", str(seed_index), "--jsonl", "-"],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, encoding="utf-8")
    timer = threading.Timer(TIMEOUT, process.kill)
    timer.start()
    try:
        process.stdin.write(json.dumps({"id": "first", field: text}, ensure_ascii=False) + "\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())
        assert first["id"] == "first" and "error" not in first
        process.stdin.write("{broken\n")
        process.stdin.close()
        rest = [json.loads(line) for line in process.stdout.read().splitlines()]
        assert process.wait() == 1, process.stderr.read()
    finally:
        timer.cancel()
        process.kill()
    assert rest == [{"id": 2, "error": rest[0]["error"]}] and "line 2 is not JSON" in rest[0]["error"]


@pytest.mark.parametrize("command", ["ask", "check"])
def test_help_says_what_jsonl_does_with_a_bad_line(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert '"-" for standard input' in text and '{"id", "error"}' in text and "exit code 1" in text
