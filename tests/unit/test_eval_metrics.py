"""eval.metrics: retrieval metrics (through ranx) and answer metrics against values worked out by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from eval import EvalError
from eval.harness import top_ids
from eval.metrics import (
    Prediction,
    abstention,
    answer_scores,
    answer_tokens,
    contains_answer,
    exact_match,
    f1,
    latency,
    per_query_scores,
    retrieval_scores,
)

# q1: the relevant d1 is second; q2: one of two relevant at 1, the other at 3; q3: nothing retrieved.
QRELS = {"q1": {"d1": 1}, "q2": {"d2": 1, "d3": 1}, "q3": {"d4": 1}}
RUN = {"q1": ["d2", "d1", "d5"], "q2": ["d3", "d9", "d2"], "q3": []}


def test_retrieval_metrics_match_hand_computation() -> None:
    scores = retrieval_scores(QRELS, RUN, ["recall@1", "recall@5", "mrr@10", "ndcg@10"])
    assert scores["recall@1"] == pytest.approx((0 + 1 / 2 + 0) / 3)
    assert scores["recall@5"] == pytest.approx((1 + 1 + 0) / 3)
    assert scores["mrr@10"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    ndcg_q1 = (1 / math.log2(3)) / 1
    ndcg_q2 = (1 / math.log2(2) + 1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3))
    assert scores["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2 + 0) / 3)


def test_per_query_scores_name_each_query() -> None:
    scores = per_query_scores(QRELS, RUN, ["mrr@10"])["mrr@10"]
    assert scores == pytest.approx({"q1": 0.5, "q2": 1.0, "q3": 0.0})


def test_the_given_order_counts_not_alphabetical_or_repeated_ids() -> None:
    # ranx sorts by score; the harness passes ranks, so "z" stays first and a repeated id keeps its first place
    scores = per_query_scores({"q": {"z": 1}}, {"q": ["z", "a", "z"]}, ["mrr@10"])["mrr@10"]
    assert scores["q"] == 1.0
    assert per_query_scores({"q": {"a": 1}}, {"q": ["z", "a", "a"]}, ["mrr@10"])["mrr@10"]["q"] == 0.5


def test_a_query_missing_from_the_run_scores_zero_and_unjudged_queries_are_left_out() -> None:
    run = {"q1": ["d1"], "extra": ["d1"]}
    scores = per_query_scores({"q1": {"d1": 1}, "q2": {"d2": 1}, "unjudged": {}}, run, ["recall@1"])["recall@1"]
    assert scores == {"q1": 1.0, "q2": 0.0}


def test_unknown_metric_and_nothing_judged_are_errors() -> None:
    with pytest.raises(EvalError, match="unknown metric"):
        retrieval_scores(QRELS, RUN, ["recall"])
    with pytest.raises(EvalError, match="no question has a relevant document"):
        retrieval_scores({"q1": {}}, RUN)


def test_documents_are_ranked_at_their_best_passage() -> None:
    def hit(doc: str, n: int, score: float) -> SimpleNamespace:
        return SimpleNamespace(passage=SimpleNamespace(doc_id=doc, passage_id=f"{doc}#{n}"), score=score)

    hits = [hit("a", 1, 0.9), hit("b", 0, 0.8), hit("a", 0, 0.7), hit("c", 0, 0.6)]
    assert top_ids(hits, "doc", 20) == [("a", 0.9), ("b", 0.8), ("c", 0.6)]
    assert top_ids(hits, "doc", 2) == [("a", 0.9), ("b", 0.8)]
    assert [p for p, _ in top_ids(hits, "passage", 20)] == ["a#1", "b#0", "a#0", "c#0"]


# ---------------------------------------------------------------- answers


def test_answer_tokens_are_characters_for_chinese_and_words_for_english() -> None:
    assert answer_tokens("The Panthers' defense!") == ["panthers", "defense"]
    assert answer_tokens("2017年7月") == ["2017", "年", "7", "月"]
    assert answer_tokens("《框架協議》") == answer_tokens("框架协议") == ["框", "架", "协", "议"]
    assert answer_tokens("ＡＢＣ公司") == ["abc", "公", "司"]


def test_exact_match_normalises_case_articles_punctuation_and_script() -> None:
    assert exact_match("the Denver Broncos.", ["Denver Broncos"]) == 1.0
    assert exact_match("國務院", ["国务院"]) == 1.0
    assert exact_match("Broncos", ["Denver Broncos"]) == 0.0
    assert exact_match("", ["x"]) == 0.0


def test_f1_on_words_and_on_characters() -> None:
    # words: precision 2/3, recall 1 → 0.8
    assert f1("Denver Broncos won", ["Denver Broncos"]) == pytest.approx(0.8)
    # characters: 2017|年|7|月 against 2017|年 → precision 1/2, recall 1 → 2/3
    assert f1("2017年7月", ["2017年"]) == pytest.approx(2 / 3)
    # the best gold answer counts
    assert f1("2017年7月", ["2016年", "2017年7月"]) == 1.0
    assert f1("深圳", ["香港"]) == 0.0


def test_sentence_contains_answer_across_scripts_and_spacing() -> None:
    sentence = "2017年7月簽署的《深化粵港澳合作推進大灣區建設框架協議》明確支持"
    assert contains_answer(sentence, ["2017年7月"]) == 1.0
    assert contains_answer(sentence, ["签署"]) == 1.0
    assert contains_answer("It was signed in  July 2017.", ["july 2017"]) == 1.0
    assert contains_answer(sentence, ["2018年", ""]) == 0.0


def test_abstention_precision_and_recall() -> None:
    # abstained on q1 (unanswerable: right) and q2 (answerable: wrong); answered q3 (unanswerable: wrong)
    found = [False, False, True, True]
    answerable = [False, True, False, True]
    assert abstention(found, answerable) == {"abstention_precision": 0.5, "abstention_recall": 0.5}
    assert abstention([True, True], [True, True]) == {"abstention_precision": None, "abstention_recall": None}


def test_answer_scores_average_over_answerable_questions() -> None:
    predictions = [
        Prediction(True, "2017年7月", "2017年7月簽署的協議", ("2017年7月",)),  # EM 1, F1 1, sentence 1
        Prediction(True, "7月", "2017年7月簽署", ("2017年",)),  # EM 0, F1 0, sentence 1
        Prediction(False, "", "", ("國務院",)),  # abstained: 0 everywhere
        Prediction(False, "", "", (), answerable=False),  # right to abstain
    ]
    scores = answer_scores(predictions)
    assert scores["questions"] == 4 and scores["scored"] == 3 and scores["unanswerable"] == 1
    assert scores["answered"] == pytest.approx(2 / 3)
    assert scores["sentence_has_answer"] == pytest.approx(2 / 3)
    assert scores["exact_match"] == pytest.approx(1 / 3)
    assert scores["f1"] == pytest.approx(1 / 3)
    assert scores["abstention_precision"] == pytest.approx(1 / 2)
    assert scores["abstention_recall"] == 1.0


def test_latency_percentiles() -> None:
    # numpy's linear interpolation: p95 sits at 0.95 * 4 = 3.8 between 4 and 100
    assert latency([1, 2, 3, 4, 100]) == pytest.approx({"p50": 3.0, "p95": 4 + 0.8 * 96, "mean": 22.0})
    assert latency([]) == {"p50": None, "p95": None, "mean": None}


def test_compare_runs_with_the_paired_randomisation_test():
    from eval.metrics import compare
    qrels = {f"q{i}": {f"d{i}": 1} for i in range(40)}
    right = {f"q{i}": [f"d{i}", "x"] for i in range(40)}
    wrong = {f"q{i}": (["x", f"d{i}"] if i < 30 else [f"d{i}", "x"]) for i in range(40)}
    data = compare(qrels, {"right": right, "wrong": wrong, "same": dict(right)})
    assert data["questions"] == 40
    assert data["scores"]["right"]["recall@1"] == 1.0 and data["scores"]["wrong"]["recall@1"] == 0.25
    by_pair = {(p["a"], p["b"], p["metric"]): p for p in data["pairs"]}
    assert by_pair["right", "wrong", "recall@1"]["a_better"] and by_pair["right", "wrong", "recall@1"]["p"] < 0.01
    same = by_pair["right", "same", "recall@1"]
    assert not same["a_better"] and not same["b_better"]
    with pytest.raises(EvalError):
        compare(qrels, {"one": right})
