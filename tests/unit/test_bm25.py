"""bot.bm25: the same scores as rank_bm25.BM25Okapi (Robertson and Zaragoza 2009), faster, and saved plainly."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot.bm25 import BM25, FILES
from bot.corpus import read_corpus
from bot.passages import passages_for
from bot.text import tokens

from conftest import TEST_DATA

# Four tokenised documents small enough to score by hand (k1 = 1.5, b = 0.75, epsilon = 0.25).
HAND = [["香港", "科技", "香港"], ["深圳", "科技"], ["深圳", "河套"], ["深圳"]]


def _ranking(scores: np.ndarray) -> list[int]:
    """Documents with a positive score, best first, ties by position (scores rounded past float noise)."""
    rounded = np.round(scores, 9)
    rows = np.flatnonzero(rounded > 0)
    return [int(r) for r in rows[np.lexsort((rows, -rounded[rows]))]]


def test_scores_worked_out_by_hand():
    bm25 = BM25.build(HAND)
    # N = 4, avgdl = 8 / 4 = 2; idf = ln((N - df + 0.5) / (df + 0.5))
    assert bm25.term_idf("香港") == pytest.approx(math.log(3.5 / 1.5))  # df 1
    assert bm25.term_idf("科技") == pytest.approx(0.0)  # df 2: exactly zero is kept
    # df 3 gives ln(1.5/3.5) < 0: floored to epsilon * mean of the raw idfs
    floor = 0.25 * (math.log(3.5 / 1.5) + 0.0 + math.log(1.5 / 3.5) + math.log(3.5 / 1.5)) / 4
    assert bm25.term_idf("深圳") == pytest.approx(floor)
    assert bm25.term_idf("維港") is None

    def weight(idf, tf, dl):
        return idf * tf * 2.5 / (tf + 1.5 * (1 - 0.75 + 0.75 * dl / 2))

    np.testing.assert_allclose(bm25.scores(["香港"]), [weight(math.log(3.5 / 1.5), 2, 3), 0, 0, 0])
    np.testing.assert_allclose(bm25.scores(["深圳"]), [0, weight(floor, 1, 2), weight(floor, 1, 2), weight(floor, 1, 1)])
    # a repeated query word counts twice, as in rank_bm25
    np.testing.assert_allclose(bm25.scores(["香港", "香港"]), 2 * bm25.scores(["香港"]))
    np.testing.assert_allclose(bm25.scores(["河套", "深圳"]), bm25.scores(["河套"]) + bm25.scores(["深圳"]))


def test_hand_corpus_matches_rank_bm25():
    ours, ref = BM25.build(HAND), BM25Okapi(HAND)
    for query in (["香港"], ["深圳"], ["科技"], ["河套", "深圳", "香港"], ["維港"], []):
        np.testing.assert_allclose(ours.scores(query), ref.get_scores(query), rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def seed_documents(seed_corpus) -> list[list[str]]:
    [article] = read_corpus(seed_corpus).articles
    return [tokens(p.search_text()) for p in passages_for(article, 400)]


DRCD_SLICE = TEST_DATA / "drcd_dev_slice.json"  # the first 60 paragraphs of DRCD dev (tests/data/README.md)


@pytest.fixture(scope="module")
def drcd_documents() -> list[list[str]]:
    data = json.loads(DRCD_SLICE.read_text(encoding="utf-8"))
    paragraphs = [p["context"] for article in data["data"] for p in article["paragraphs"]]
    assert len(paragraphs) == 60
    return [tokens(p) for p in paragraphs]


def _common_term(documents: list[list[str]]) -> str:
    """A term in more than half the documents: its raw idf is negative, so the epsilon floor applies."""
    df: dict[str, int] = {}
    for doc in documents:
        for term in set(doc):
            df[term] = df.get(term, 0) + 1
    term, count = max(df.items(), key=lambda item: item[1])
    assert count > len(documents) / 2, (term, count)
    return term


SEED_QUERIES = [
    "河套合作區在哪裏？",
    "河套合作区在哪里？",
    "到2035年打造為甚麼？",
    "PCT國際專利申請量超過多少件？",
    "2766",
    "山半導體CEO劉振韜",
    "深港科技創新 香港 深圳 河套 合作",
    "quantum chromodynamics",  # nothing matches
]

DRCD_QUERIES = [
    "梵語的學術研究由誰開創？",
    "1786年2月2日亞洲協會在哪裡舉行？",
    "哪一年",
    "政府 主要 成為",
    "xylophone 不存在的詞彙組合",
]


@pytest.mark.parametrize("name", ["seed", "drcd"])
def test_scores_equal_rank_bm25(name, seed_documents, drcd_documents):
    documents, queries = (seed_documents, SEED_QUERIES) if name == "seed" else (drcd_documents, DRCD_QUERIES)
    common = _common_term(documents)
    ours, ref = BM25.build(documents), BM25Okapi(documents)
    assert ours.term_idf(common) == pytest.approx(ref.idf[common]) and ref.idf[common] == pytest.approx(
        0.25 * ref.average_idf)
    for text in [*queries, common]:
        query = tokens(text) if text != common else [common, common]
        expected = ref.get_scores(query)
        got = ours.scores(query)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-12), text
        assert _ranking(got) == _ranking(expected), text
    assert np.allclose(ours.scores(tokens("quantum chromodynamics")), 0)


def test_seed_queries_find_their_passages(seed_documents):
    bm25 = BM25.build(seed_documents)
    [row] = [i for i, doc in enumerate(seed_documents) if "2766" in doc]
    rows, scores = bm25.top(tokens("集資額2766億港元"), 3)
    assert rows[0] == row
    rows, _ = bm25.top(["2035"], 5)
    assert len(rows) == 1 and "2035" in seed_documents[rows[0]]


def test_top_returns_positive_scores_best_first_ties_by_row():
    bm25 = BM25.build(HAND)
    rows, scores = bm25.top(["深圳"], 10)
    assert rows.tolist() == [3, 1, 2]  # the shortest document first; 1 and 2 tie and keep their order
    assert np.all(np.diff(scores) <= 0) and np.all(scores > 0)
    rows, _ = bm25.top(["深圳"], 2)
    assert rows.tolist() == [3, 1]
    rows, scores = bm25.top(["科技"], 10)  # idf exactly zero: no positive score, no result
    assert rows.tolist() == [] and scores.tolist() == []
    assert bm25.top(["維港"], 5)[0].tolist() == []


def test_empty_document_among_others_matches_rank_bm25():
    documents = [["star", "ferry"], [], ["ferry", "harbour", "ferry"], ["harbour"]]
    ours, ref = BM25.build(documents), BM25Okapi(documents)
    for query in (["ferry"], ["harbour", "star"], ["none"]):
        np.testing.assert_allclose(ours.scores(query), ref.get_scores(query))


def test_save_load_round_trip(tmp_path, drcd_documents):
    bm25 = BM25.build(drcd_documents, k1=1.2, b=0.6, epsilon=0.1)
    bm25.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    loaded = BM25.load(tmp_path)
    assert loaded.size == bm25.size == 60
    assert loaded.vocab == bm25.vocab
    for text in DRCD_QUERIES:
        np.testing.assert_array_equal(loaded.scores(tokens(text)), bm25.scores(tokens(text)))
    np.testing.assert_allclose(loaded.scores(tokens(DRCD_QUERIES[0])),
                               BM25Okapi(drcd_documents, k1=1.2, b=0.6, epsilon=0.1).get_scores(tokens(DRCD_QUERIES[0])))
    meta = json.loads((tmp_path / "bm25_vocab.json").read_text(encoding="utf-8"))
    assert meta["size"] == 60 and "梵语" in meta["vocab"]  # plain, readable files


def test_load_rejects_arrays_that_disagree(tmp_path):
    BM25.build(HAND).save(tmp_path)
    np.save(tmp_path / "bm25_idf.npy", np.zeros(2))
    with pytest.raises(ValueError, match="do not match"):
        BM25.load(tmp_path)
