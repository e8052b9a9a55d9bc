"""The optional cross-encoder re-ranking stage, with a tiny random cross-encoder the test builds itself
(no model ships and none downloads here): it re-orders the first candidates by its own scores, and a
model that cannot be loaded is one clear error."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bot import EncoderError
from bot.crossencoder import load_reranker
from bot.retrieve import Query, Retriever

from conftest import ask_cli, write_tiny_bert

QUESTION = "香港科學園深圳分園進駐了多少家企業？"


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory, seed_text: str) -> Path:
    pytest.importorskip("sentence_transformers")
    folder = write_tiny_bert(tmp_path_factory.mktemp("tiny-ce") / "model", seed_text + QUESTION, head="classifier")
    return folder


def test_scores_one_finite_number_a_passage(tiny_cross_encoder: Path) -> None:
    reranker = load_reranker(str(tiny_cross_encoder))
    scores = reranker.scores(QUESTION, ["河套合作區", "已進駐40家香港企業和機構", "深圳"])
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert reranker.scores(QUESTION, []).shape == (0,)
    assert load_reranker(str(tiny_cross_encoder)) is reranker  # loaded once


def test_search_orders_the_first_candidates_by_the_cross_encoder(seed_bot, tiny_cross_encoder: Path) -> None:
    settings = dataclasses.replace(seed_bot.settings, reranker=str(tiny_cross_encoder), reranker_depth=10)
    retriever = Retriever(seed_bot.index, seed_bot.encoder, settings)
    query = Query(QUESTION, seed_bot.encoder)
    hits = retriever.search(query, 5, "hybrid")
    plain = seed_bot.retriever.search(query, 10, "hybrid")
    expected = load_reranker(str(tiny_cross_encoder)).scores(QUESTION, [h.passage.search_text() for h in plain])
    best = [plain[i].row for i in np.argsort(-expected, kind="stable")[:5]]
    assert [h.row for h in hits] == best
    assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=True)[:5], rel=1e-5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]


def test_a_missing_model_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="could not load cross-encoder"):
        load_reranker(str(tmp_path / "no-such-model"))


def test_cli_ask_with_a_reranker(seed_index: Path, tiny_cross_encoder: Path, tmp_path: Path) -> None:
    done = ask_cli(seed_index, QUESTION, "--reranker", str(tiny_cross_encoder))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert len(out["passages"]) == 5 and out["question"] == QUESTION
    failed = ask_cli(seed_index, QUESTION, "--reranker", str(tmp_path / "missing"))
    assert failed.returncode == 2
    assert "could not load cross-encoder" in failed.stderr and "Traceback" not in failed.stderr
