"""bot.index.dense_index: exact search for small indexes, an HNSW graph above ``exact_search_limit``."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from bot import Bot
from bot.index import build_from_folder, dense_index, load
from bot.settings import Settings


def test_exact_up_to_the_limit_then_hnsw_with_the_settings():
    settings = Settings(exact_search_limit=1000, hnsw_m=16, hnsw_ef_construction=40, hnsw_ef_search=64)
    assert type(dense_index(1000, 8, settings)) is faiss.IndexFlatIP
    hnsw = dense_index(1001, 8, settings)
    assert isinstance(hnsw, faiss.IndexHNSWFlat) and hnsw.metric_type == faiss.METRIC_INNER_PRODUCT
    assert (hnsw.hnsw.efConstruction, hnsw.hnsw.efSearch, hnsw.d) == (40, 64, 8)
    assert hnsw.hnsw.nb_neighbors(1) == 16  # M neighbours on the upper levels (2M on the bottom one)


def test_defaults_keep_small_indexes_exact():
    settings = Settings()
    assert type(dense_index(settings.exact_search_limit, 512, settings)) is faiss.IndexFlatIP
    assert isinstance(dense_index(settings.exact_search_limit + 1, 512, settings), faiss.IndexHNSWFlat)


def test_hnsw_finds_what_exact_search_finds():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((50, 64)).astype(np.float32)
    vectors = centres[rng.integers(0, 50, 4000)] + 0.3 * rng.standard_normal((4000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[rng.integers(0, 4000, 100)] + 0.1 * rng.standard_normal((100, 64)).astype(np.float32)
    exact, approx = dense_index(4000, 64, Settings()), dense_index(4000, 64, Settings(exact_search_limit=100))
    exact.add(vectors)
    approx.add(vectors)
    _, want = exact.search(queries, 10)
    _, got = approx.search(queries, 10)
    recall = np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want)])
    assert recall >= 0.99


@pytest.fixture(scope="module")
def hnsw_index(tiny_corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hnsw") / "index"
    manifest = build_from_folder(tiny_corpus, folder, Settings(exact_search_limit=2), progress=False)
    return folder, manifest


def test_an_index_past_the_limit_is_saved_and_memory_mapped_as_hnsw(hnsw_index):
    folder, manifest = hnsw_index
    assert manifest["dense_index"] == "hnsw" and manifest["windows"] > 2
    assert manifest["settings"]["exact_search_limit"] == 2
    index = load(folder)
    assert isinstance(index.vectors, faiss.IndexHNSWFlat) and index.vectors.ntotal == manifest["windows"]
    assert index.vectors.hnsw.efSearch == Settings().hnsw_ef_search
    assert load(folder, ef_search=64).vectors.hnsw.efSearch == 64  # a query-time setting: no rebuild


def test_hnsw_and_flat_indexes_answer_alike(hnsw_index, tiny_corpus):
    folder, _ = hnsw_index
    bot = Bot.open(folder, Settings(exact_search_limit=2))
    for question, doc_id in (("深圳地鐵哪一年開通？", "hans"), ("How long is a Star Ferry crossing?", "en")):
        assert bot.search(question, k=1, mode="dense")[0].passage.doc_id == doc_id


def test_a_different_limit_makes_the_index_stale(hnsw_index):
    from bot import StaleIndexError

    with pytest.raises(StaleIndexError, match="exact_search_limit"):
        Bot.open(hnsw_index[0], Settings())


def test_adding_to_an_hnsw_index_links_the_new_vectors_into_the_saved_graph(hnsw_index, tmp_path, monkeypatch):
    import shutil

    import bot.index
    from bot.index import VECTORS, update

    folder = tmp_path / "index"
    shutil.copytree(hnsw_index[0], folder)
    before_index = load(folder)
    before = before_index.vectors
    old = before.reconstruct_n(0, before.ntotal)
    opened = []
    real_read = faiss.read_index
    monkeypatch.setattr(bot.index.faiss, "read_index", lambda path, *flags: opened.append((path, flags)) or
                        real_read(path, *flags))
    article = tmp_path / "night.txt"
    article.write_text("Night market\n\nThe Temple Street night market opens at 4 pm.\n", encoding="utf-8")
    manifest = update(folder, add=[article], progress=False)
    assert (str(before_index.files / VECTORS), ()) in opened  # the saved graph, read whole to be extended
    after = load(folder).vectors
    assert isinstance(after, faiss.IndexHNSWFlat) and after.ntotal == manifest["windows"] == len(old) + 1
    np.testing.assert_array_equal(after.reconstruct_n(0, len(old)), old)
    bot = Bot.open(folder, Settings(exact_search_limit=2), check_corpus=False)
    assert bot.search("When does the Temple Street night market open?", k=1)[0].passage.doc_id == "night"
