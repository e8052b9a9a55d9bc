"""bot/selection.py and eval/train.py: the learned answer selection's features, its model file, and the
pieces of its training that can be worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answer import question_type, score_sentences
from bot.errors import EncoderError
from bot.retrieve import Query
from bot.selection import (ANSWER_FEATURES, MODEL, SENTENCE_FEATURES, Logistic, answer_features, load_selection,
                           sentence_features)
from eval.train import Question, choose_threshold, folds


def test_a_logistic_model_scores_as_worked_out_by_hand():
    model = Logistic(("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([1.0, -1.0]), 0.5)
    # x = (3, 1): standardised (1, 1); z = 1 - 1 + 0.5 = 0.5
    assert model.probability(np.array([[3.0, 1.0]]))[0] == pytest.approx(1 / (1 + np.exp(-0.5)))


def test_the_threshold_maximises_right_answers_plus_right_abstentions():
    p = np.array([0.9, 0.8, 0.6, 0.4, 0.3, 0.2])
    right = np.array([True, True, False, True, False, False])
    negative = np.array([False, False, False, False, True, True])
    # answering from 0.4 gets 3 right and declines both negatives (5); from 0.8, 2 right + 2 declined (4)
    assert choose_threshold(p, right, negative, decline_worth=1.0) == pytest.approx(0.4)
    # a decline worth a tenth: from 0.2, 3 right = 3; from 0.3, 3 + 0.1; from 0.4, 3 + 0.2; from 0.6, 2 + 0.2
    assert choose_threshold(p, right, negative, decline_worth=0.1) == pytest.approx(0.4)
    assert choose_threshold(p, np.ones(6, dtype=bool), negative, decline_worth=0.1) == pytest.approx(0.2)


def _question(group: str) -> Question:
    return Question("s", group, "q", "en", None, False, np.zeros(1, dtype=bool), np.zeros(1, dtype=bool), [])


def test_folds_keep_an_article_together():
    questions = [_question(g) for g in ["a", "b", "a", "c", "b", "d", "e", "f", "a"]]
    fold = folds(questions, n=3)
    by_group: dict[str, set[int]] = {}
    for q, f in zip(questions, fold):
        by_group.setdefault(q.group, set()).add(int(f))
    assert all(len(f) == 1 for f in by_group.values()) and len(set(fold.tolist())) == 3


@pytest.fixture(scope="module")
def seed_candidates(seed_bot):
    question = "香港科學園深圳分園進駐了多少家企業？"
    query = Query(question, seed_bot.encoder)
    hits = seed_bot.retriever.search(query, 5, "hybrid")
    kind = question_type(question)
    return query, kind, score_sentences(query, hits, seed_bot.encoder, seed_bot.index, 3, kind)


def test_sentence_features_are_one_row_per_candidate_with_gaps_to_the_best(seed_candidates):
    query, kind, candidates = seed_candidates
    rows = sentence_features(candidates, query.language, kind)
    assert rows.shape == (len(candidates), len(SENTENCE_FEATURES)) and np.all(np.isfinite(rows))
    gap = rows[:, SENTENCE_FEATURES.index("coverage_gap")]
    assert gap.max() == 0.0 and np.all(gap <= 0)
    holds = rows[:, SENTENCE_FEATURES.index("holds_kind")]
    assert holds.tolist() == [float(c.holds_kind) for c in candidates]
    row = answer_features(candidates, np.linspace(0.9, 0.1, len(candidates)), query.language, kind)
    assert row.shape == (len(ANSWER_FEATURES),) and row[ANSWER_FEATURES.index("margin")] == pytest.approx(
        0.9 - np.linspace(0.9, 0.1, len(candidates))[1])


def test_the_shipped_model_loads_and_ranks_the_answer_sentence_first(seed_candidates):
    query, kind, candidates = seed_candidates
    model = load_selection()
    assert model.meta["folds"].endswith("by article") and 0 < model.thresholds["cross"] <= model.thresholds["same"] < 1
    ranked, p = model.rank(candidates, query.language, kind)
    assert "已進駐40家香港企業和機構" in ranked[0].text and p[0] == p.max()
    assert model.answer_probability(ranked, p, query.language, kind) >= model.threshold(ranked[0], query.language)


def test_a_model_file_round_trips(tmp_path: Path):
    model = load_selection()
    model.save(tmp_path / "m.json")
    again = load_selection(tmp_path / "m.json")
    assert again.thresholds == model.thresholds and again.sentence.text == model.sentence.text


@pytest.mark.parametrize("damage", ["missing", "not json", "wrong features", "damaged ranker", "short arrays"])
def test_a_damaged_model_file_says_how_to_rebuild_it(tmp_path: Path, damage):
    path = tmp_path / "m.json"
    record = json.loads(MODEL.read_text(encoding="utf-8"))
    if damage == "not json":
        path.write_text("{", encoding="utf-8")
    elif damage == "wrong features":
        record["sentence"]["features"] = record["sentence"]["features"][::-1]
        path.write_text(json.dumps(record), encoding="utf-8")
    elif damage == "damaged ranker":
        record["sentence"]["lightgbm"] = record["sentence"]["lightgbm"][:200]
        path.write_text(json.dumps(record), encoding="utf-8")
    elif damage == "short arrays":
        record["answer"]["coef"] = record["answer"]["coef"][:-1]
        path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(EncoderError, match="python -m eval train"):
        load_selection(path)
