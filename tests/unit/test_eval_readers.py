"""eval.readers: SQuAD ids and relevance, BEIR and TREC round trips, gold sets, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.corpus import Article
from bot.passages import passages_for
from eval import EvalError
from eval.readers import (
    Benchmark,
    Question,
    read_beir,
    read_gold,
    read_qrels,
    read_run,
    read_squad,
    with_evidence_passages,
    write_beir,
    write_qrels,
    write_run,
)
from conftest import SHARED_DATA, needs_shared_data


def _squad(questions: dict[str, str]) -> dict:
    """Two articles (two paragraphs, then one) with questions q1..q4; ``questions`` gives their text."""
    def qa(qid: str, answer: str) -> dict:
        return {"id": qid, "question": questions[qid], "answers": [{"text": answer, "answer_start": 0}]}

    return {"version": "1.1", "data": [
        {"title": "深圳", "paragraphs": [
            {"context": "深圳地铁于2004年开通。", "qas": [qa("q1", "2004年"), qa("q2", "深圳地铁")]},
            {"context": "截至2023年底，运营里程超过500公里。", "qas": [qa("q3", "500公里")]},
        ]},
        {"title": "Ferry", "paragraphs": [
            {"context": "The Star Ferry has sailed since 1888.", "qas": [qa("q4", "1888")]},
        ]},
    ]}


ZH = {"q1": "深圳地铁哪年开通？", "q2": "什么于2004年开通？", "q3": "运营里程多少？", "q4": "天星小轮何时开航？"}
EN = {"q1": "When did the Shenzhen Metro open?", "q2": "What opened in 2004?", "q3": "How long is it?",
      "q4": "Since when has the Star Ferry sailed?"}


@pytest.fixture()
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_squad(ZH), ensure_ascii=False), encoding="utf-8")
    return path


def test_squad_paragraphs_are_documents_a_i_p_j_without_titles(squad_file: Path) -> None:
    bench = read_squad(squad_file)
    assert [a.doc_id for a in bench.articles] == ["a0p0", "a0p1", "a1p0"]
    assert [a.title for a in bench.articles] == ["", "", ""]
    assert bench.articles[1].text == "截至2023年底，运营里程超过500公里。"
    assert bench.unit == "doc" and bench.has_answers and bench.name == "tiny"


def test_squad_question_is_relevant_to_its_own_paragraph(squad_file: Path) -> None:
    questions = {q.qid: q for q in read_squad(squad_file).questions}
    assert [q for q in questions] == ["q1", "q2", "q3", "q4"]
    assert {qid: dict(q.relevant) for qid, q in questions.items()} == {
        "q1": {"a0p0": 1}, "q2": {"a0p0": 1}, "q3": {"a0p1": 1}, "q4": {"a1p0": 1}}
    assert questions["q3"].answers == ("500公里",) and questions["q3"].text == ZH["q3"]


def test_squad_parallel_questions_keep_the_contexts_relevance_and_answers(squad_file: Path, tmp_path: Path) -> None:
    english = tmp_path / "tiny_en.json"
    parallel = _squad(EN)
    parallel["data"].reverse()  # order and paragraph positions in the questions file do not matter
    english.write_text(json.dumps(parallel), encoding="utf-8")
    bench = read_squad(squad_file, english)
    questions = {q.qid: q for q in bench.questions}
    assert questions["q4"].text == EN["q4"] and dict(questions["q4"].relevant) == {"a1p0": 1}
    assert questions["q1"].answers == ("2004年",)
    assert bench.name == "tiny+q-tiny_en"
    assert [a.text for a in bench.articles] == [a.text for a in read_squad(squad_file).articles]


def test_squad_errors_name_the_file_and_the_problem(squad_file: Path, tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="does not exist"):
        read_squad(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(EvalError, match=r"broken.json:1:\d+: not valid JSON"):
        read_squad(broken)
    (tmp_path / "beir.json").write_text('{"corpus": []}', encoding="utf-8")
    with pytest.raises(EvalError, match="not SQuAD v1.1 JSON"):
        read_squad(tmp_path / "beir.json")
    other = _squad({**EN, "q9": "?"})
    other["data"][1]["paragraphs"][0]["qas"][0]["id"] = "q9"
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(EvalError, match="not in .*tiny.json"):
        read_squad(squad_file, tmp_path / "other.json")
    twice = _squad(ZH)
    twice["data"][1]["paragraphs"][0]["qas"][0]["id"] = "q1"
    (tmp_path / "twice.json").write_text(json.dumps(twice, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(EvalError, match="'q1' appears twice"):
        read_squad(tmp_path / "twice.json")


@needs_shared_data("drcd_dev.json")
def test_squad_reader_on_drcd_dev_counts_and_ids() -> None:
    bench = read_squad(SHARED_DATA / "drcd_dev.json")
    assert len(bench.articles) == 1000 and len(bench.questions) == 3524
    data = json.loads((SHARED_DATA / "drcd_dev.json").read_text(encoding="utf-8"))["data"]
    last = len(data) - 1, len(data[-1]["paragraphs"]) - 1
    assert bench.articles[-1].doc_id == f"a{last[0]}p{last[1]}"
    assert bench.articles[-1].text == data[-1]["paragraphs"][-1]["context"]
    first_qa = data[0]["paragraphs"][0]["qas"][0]
    assert bench.questions[0].qid == first_qa["id"] and dict(bench.questions[0].relevant) == {"a0p0": 1}


# ---------------------------------------------------------------- BEIR


def _write_beir(folder: Path, corpus: list[dict], queries: list[dict], qrels: str) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries), encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text(qrels, encoding="utf-8")
    return folder


def test_beir_reader_searches_title_and_text_and_keeps_positive_judgements(tmp_path: Path) -> None:
    folder = _write_beir(
        tmp_path / "scifact",
        [{"_id": "d1", "title": "Ferries", "text": "The Star Ferry."}, {"_id": "d2", "title": "", "text": "Trams."}],
        [{"_id": "1", "text": "ferry?"}, {"_id": "2", "text": "trams?"}, {"_id": "3", "text": "only in train"}],
        "query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t0\n2\td2\t2\n",
    )
    bench = read_beir(folder)
    assert [(a.doc_id, a.text) for a in bench.articles] == [("d1", "Ferries\n\nThe Star Ferry."), ("d2", "Trams.")]
    assert [(q.qid, q.text, dict(q.relevant)) for q in bench.questions] == [("1", "ferry?", {"d1": 1}),
                                                                              ("2", "trams?", {"d2": 2})]
    assert bench.name == "scifact" and not bench.has_answers


def test_beir_round_trip(tmp_path: Path) -> None:
    bench = Benchmark(
        "tiny",
        [Article(doc_id="a0p0", title="", text="深圳地铁于2004年开通。"), Article(doc_id="a0p1", title="", text="Trams.")],
        [Question("q1", "深圳地铁哪年开通？", {"a0p0": 1}), Question("q2", "trams?", {"a0p1": 1, "a0p0": 2})],
    )
    write_beir(bench, tmp_path / "tiny")
    back = read_beir(tmp_path / "tiny")
    assert [(a.doc_id, a.title, a.text) for a in back.articles] == [(a.doc_id, a.title, a.text) for a in bench.articles]
    assert [(q.qid, q.text, dict(q.relevant)) for q in back.questions] == [
        (q.qid, q.text, dict(q.relevant)) for q in bench.questions]


def test_beir_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="not a folder"):
        read_beir(tmp_path / "nowhere")
    folder = _write_beir(tmp_path / "b", [{"_id": "d1", "text": "x"}], [{"_id": "1", "text": "q"}], "1\td1\t1\n9\td1\t1\n")
    with pytest.raises(EvalError, match="queries.jsonl lacks"):
        read_beir(folder)
    (folder / "corpus.jsonl").write_text('{"_id": "d1"\n', encoding="utf-8")
    with pytest.raises(EvalError, match=r"corpus.jsonl:1: not JSON"):
        read_beir(folder)


# ---------------------------------------------------------------- TREC


def test_trec_run_round_trip_keeps_rank_order_even_for_tied_scores(tmp_path: Path) -> None:
    rankings = {"q1": [("a0p3", 0.5), ("a0p1", 0.5), ("a1p0", 0.25)], "q2": [("a1p0", 12.75)]}
    path = tmp_path / "run.tsv"
    write_run(path, rankings, "wenda-hybrid")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "q1 Q0 a0p3 1 0.5 wenda-hybrid" and len(lines) == 4
    assert read_run(path) == rankings


def test_trec_run_is_readable_by_ranx(tmp_path: Path) -> None:
    from ranx import Run

    path = tmp_path / "run.tsv"
    write_run(path, {"q1": [("d1", 2.0), ("d2", 1.0)]}, "wenda-bm25")
    assert Run.from_file(str(path), kind="trec").to_dict() == {"q1": {"d1": 2.0, "d2": 1.0}}


def test_trec_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="white space"):
        write_run(tmp_path / "run.tsv", {"q 1": [("d1", 1.0)]}, "tag")
    (tmp_path / "bad.tsv").write_text("q1 Q0 d1 1 0.5 tag\nq1 Q0 d2 two 0.4 tag\n", encoding="utf-8")
    with pytest.raises(EvalError, match=r"bad.tsv:2: expected `qid Q0 docid rank score tag`"):
        read_run(tmp_path / "bad.tsv")


def test_qrels_read_the_same_from_trec_and_beir_forms(tmp_path: Path) -> None:
    questions = [Question("q1", "?", {"d1": 1, "d3": 2}), Question("q2", "?", {"d2": 1})]
    write_qrels(tmp_path / "qrels.trec", questions)
    (tmp_path / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t2\nq2\td2\t1\n", encoding="utf-8")
    expected = {"q1": {"d1": 1, "d3": 2}, "q2": {"d2": 1}}
    assert read_qrels(tmp_path / "qrels.trec") == read_qrels(tmp_path / "test.tsv") == expected


# ---------------------------------------------------------------- gold question sets


def test_gold_questions_are_relevant_to_the_passages_holding_their_evidence(seed_corpus: Path, tmp_path: Path) -> None:
    lines = [
        {"id": "q01-hans", "group": "q01", "language": "zh-Hans", "question": "框架协议是在什么时候签署的？",
         "answerable": True, "evidence": "2017年7月簽署的《深化粵港澳合作推進大灣區建設框架協議》明確支持「港深創新及科技園」建設。",
         "answer": "2017年7月"},
        {"id": "u05-en", "group": "u05", "language": "en", "question": "Who is the current Chief Executive?",
         "answerable": False, "evidence": None, "answer": None},
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    bench = read_gold(path, seed_corpus)
    assert bench.unit == "passage" and bench.name == "gold-gold" and not bench.judged()
    passages = [p for a in bench.articles for p in passages_for(a, 400)]
    resolved = with_evidence_passages(bench, passages)
    answerable, unanswerable = resolved.questions
    assert answerable.relevant and not unanswerable.relevant and unanswerable.answers == ()
    by_id = {p.passage_id: p for p in passages}
    for passage_id in answerable.relevant:
        assert "2017年7月簽署" in by_id[passage_id].text
    assert answerable.answers == ("2017年7月",) and answerable.language == "zh-Hans"


def test_gold_errors(seed_corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "q1", "question": "?", "answerable": true, "evidence": null, "answer": null}\n',
                    encoding="utf-8")
    with pytest.raises(EvalError, match=r"gold.jsonl:1: \"evidence\" is missing"):
        read_gold(path, seed_corpus)
    path.write_text('{"id": "q1", "question": "?"}\n', encoding="utf-8")
    with pytest.raises(EvalError, match='"answerable"'):
        read_gold(path, seed_corpus)
    with pytest.raises(EvalError, match="does not exist"):
        read_gold(path, tmp_path / "no-corpus")
