"""Growing an index: ``--add`` encodes only new text, ``--remove`` encodes nothing, the result ranks as a
fresh build of the same articles would, and an interrupted change leaves the previous index in place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot import Bot, CorpusError, CorruptIndexError
from bot.encoders import load_encoder
from bot.index import (ARTICLE_IDS, MANIFEST, WINDOW_HASHES, _windows, build, build_from_folder, load,
                       read_manifest, text_hashes, update)
from bot import store
from bot.corpus import read_corpus
from bot.settings import Settings

NEW = "Night market\n\nThe Temple Street night market opens at 4 pm.\n\nIt sells food and clothes until midnight.\n"


class CountingEncoder:
    """The real default encoder, remembering every text it was asked to encode."""

    def __init__(self, fail: bool = False) -> None:
        self.inner = load_encoder("use-m3")
        self.name, self.dim = self.inner.name, self.inner.dim
        self.texts: list[str] = []
        self.fail = fail

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        if self.fail:
            raise KeyboardInterrupt
        self.texts += texts
        return self.inner.encode_passages(texts)


@pytest.fixture()
def grown(tiny_corpus, tmp_path) -> tuple[Path, Path]:
    """(corpus, index) of the tiny corpus, built in this test's folder."""
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    folder = tmp_path / "index"
    build_from_folder(corpus, folder, Settings(), progress=False)
    return corpus, folder


def _vectors_by_text(folder: Path) -> dict[int, np.ndarray]:
    index = load(folder)
    hashes = np.load(store.live_folder(folder) / WINDOW_HASHES)
    return dict(zip(hashes.tolist(), index.vectors.reconstruct_n(0, index.vectors.ntotal)))


def _scores_by_passage(folder: Path, words: list[str]) -> dict[str, float]:
    index = load(folder)
    scores = index.bm25.scores(words)
    return {p.passage_id: round(float(s), 9) for p, s in zip(index.passages, scores)}


def test_add_encodes_only_the_new_article_and_ranks_as_a_fresh_build(grown, tmp_path):
    corpus, folder = grown
    before = _vectors_by_text(folder)
    (corpus / "night.txt").write_text(NEW, encoding="utf-8")
    encoder = CountingEncoder()
    manifest = update(folder, add=[corpus / "night.txt"], progress=False, encoder=encoder)

    index = load(folder)
    assert manifest["articles"] == 4 and "night" in index.articles
    night = [p for p in index.passages if p.doc_id == "night"]
    assert len(night) == 2 and manifest["passages"] == 8
    expected_windows, _ = _windows(night, Settings().dense_window_chars)
    assert sorted(encoder.texts) == sorted(set(expected_windows)) == sorted(expected_windows)
    assert manifest["windows_encoded"] == len(expected_windows)
    after = _vectors_by_text(folder)
    for key, vector in before.items():  # old vectors are carried over exactly, not re-encoded
        np.testing.assert_array_equal(after[key], vector)

    fresh = tmp_path / "fresh"
    build_from_folder(corpus, fresh, Settings(), progress=False)
    for words in (["night", "market"], ["深圳", "地铁"], ["star", "ferry", "harbour"]):
        assert _scores_by_passage(folder, words) == _scores_by_passage(fresh, words)
    assert Bot.open(folder).search("When does the Temple Street night market open?", k=1)[0].passage.doc_id == "night"


def test_an_added_file_inside_the_corpus_keeps_the_index_fresh(grown):
    corpus, folder = grown
    (corpus / "night.txt").write_text(NEW, encoding="utf-8")
    update(folder, add=[corpus / "night.txt"], progress=False)
    Bot.open(folder)  # no StaleIndexError: the corpus is what the index holds
    change = read_manifest(folder)["corpus"]["changes"][-1]
    assert change["added"] == [str(corpus / "night.txt")] and change["removed"] == []


def test_adding_an_indexed_doc_id_replaces_the_article(grown):
    corpus, folder = grown
    (corpus / "en.txt").write_text("Harbour ferry\n\nThe Star Ferry now costs HK$6 a crossing.\n", encoding="utf-8")
    encoder = CountingEncoder()
    manifest = update(folder, add=[corpus / "en.txt"], progress=False, encoder=encoder)
    index = load(folder)
    assert manifest["articles"] == 3
    passages = [p for p in index.passages if p.doc_id == "en"]
    assert [p.text for p in passages] == ["The Star Ferry now costs HK$6 a crossing."]
    assert encoder.texts == _windows(passages, Settings().dense_window_chars)[0]


def test_remove_encodes_nothing_and_leaves_the_rest_unchanged(grown, tmp_path):
    corpus, folder = grown
    before = _vectors_by_text(folder)
    encoder = CountingEncoder()
    (corpus / "hant.txt").unlink()  # the corpus changes first, then the index is told
    manifest = update(folder, remove=["hant"], progress=False, encoder=encoder)
    assert encoder.texts == [] and manifest["windows_encoded"] == 0
    index = load(folder)
    assert "hant" not in index.articles and all(p.doc_id != "hant" for p in index.passages)
    assert manifest["articles"] == 2 and len(index.passages) == 4
    assert json.loads((store.live_folder(folder) / ARTICLE_IDS).read_text(encoding="utf-8")) == ["en", "hans"]
    after = _vectors_by_text(folder)
    assert set(after) < set(before)
    for key, vector in after.items():
        np.testing.assert_array_equal(vector, before[key])
    assert len(index.window_rows) == index.vectors.ntotal and int(max(index.window_rows)) == len(index.passages) - 1

    fresh = tmp_path / "fresh"
    build_from_folder(corpus, fresh, Settings(), progress=False)
    assert _scores_by_passage(folder, ["深圳", "star"]) == _scores_by_passage(fresh, ["深圳", "star"])
    Bot.open(folder)  # the corpus without hant.txt is what the index holds


def test_removing_an_unknown_document_names_where_the_ids_are(grown):
    _, folder = grown
    with pytest.raises(CorpusError, match="no document 'nope'.*articles_ids.json"):
        update(folder, remove=["nope"], progress=False)


def test_removing_every_document_is_refused(grown):
    _, folder = grown
    with pytest.raises(CorpusError, match="empty"):
        update(folder, remove=["hant", "hans", "en"], progress=False)
    assert load(folder).manifest["articles"] == 3


def test_an_interrupted_add_keeps_the_previous_index(grown):
    corpus, folder = grown
    manifest = read_manifest(folder)
    (corpus / "night.txt").write_text(NEW, encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        update(folder, add=[corpus / "night.txt"], progress=False, encoder=CountingEncoder(fail=True))
    assert load(folder).manifest == manifest
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []


def test_the_cli_adds_and_removes(grown, capsys):
    from bot.__main__ import main

    corpus, folder = grown
    (corpus / "night.txt").write_text(NEW, encoding="utf-8")
    assert main(["index", "--index", str(folder), "--add", str(corpus / "night.txt"), "--quiet"]) == 0
    Bot.open(folder)
    out = capsys.readouterr().out
    assert out.startswith(f"added 1 files, removed 0 documents: {folder} holds 8 passages from 4 articles")
    (corpus / "night.txt").unlink()
    (corpus / "hant.txt").unlink()
    assert main(["index", "--index", str(folder), "--remove", "night", "hant", "--quiet"]) == 0
    assert "removed 2 documents" in capsys.readouterr().out
    assert sorted(load(folder).articles) == ["en", "hans"]
    Bot.open(folder)
    code = main(["index", "--index", str(folder), "--remove", "hans", "--encoder", "st:x"])
    assert code == 2 and "apply to a full build" in capsys.readouterr().err


def test_an_index_of_the_previous_format_asks_for_a_rebuild(grown):
    corpus, folder = grown
    path = store.live_folder(folder) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptIndexError) as caught:
        Bot.open(folder)
    message = str(caught.value)
    assert "another format version (1" in message
    assert f"rebuild with: python -m bot index --corpus {corpus.resolve()} --index {folder}" in message


def test_loaded_passages_and_articles_read_rows_on_demand(grown):
    corpus, folder = grown
    index = load(folder)
    articles = read_corpus(corpus).articles
    assert len(index.passages) == 6 and index.passages[-1] == index.passages[5] == list(index.passages)[5]
    assert index.passages[1:3] == [index.passages[1], index.passages[2]]
    with pytest.raises(IndexError):
        index.passages[6]
    assert dict(index.articles) == {a.doc_id: a for a in articles}
    assert index.articles.get("missing") is None and "hans" in index.articles


def test_window_hashes_key_the_text():
    hashes = text_hashes(["維港", "维港", "維港"])
    assert hashes.dtype == np.uint64 and hashes[0] == hashes[2] != hashes[1]


def test_identical_windows_are_encoded_once(tmp_path):
    from bot.corpus import Article

    same = "The Star Ferry crosses Victoria Harbour."
    articles = [Article("a", "A", same), Article("b", "B", same + "\n\nIt takes nine minutes.")]
    encoder = CountingEncoder()
    manifest = build(articles, tmp_path / "index", Settings(), progress=False, encoder=encoder)
    assert manifest["windows"] == 3 and manifest["windows_encoded"] == 2
    assert sorted(encoder.texts) == sorted([same, "It takes nine minutes."])
    index = load(tmp_path / "index")
    vectors = index.vectors.reconstruct_n(0, 3)
    np.testing.assert_array_equal(vectors[0], vectors[1])


def test_window_vectors_of_a_passage_are_its_sentence_windows_in_order(grown):
    _, folder = grown
    index = load(folder)
    encoder = load_encoder("use-m3")
    for row, passage in enumerate(index.passages):
        texts, _ = _windows([passage], Settings().dense_window_chars)
        assert len(index.window_ids(row)) == len(texts)
        np.testing.assert_allclose(index.window_vectors(row), encoder.encode_passages(texts), atol=1e-5)
