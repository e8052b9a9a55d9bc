"""bot.index end to end: build, save atomically, load, and refuse stale, corrupt, missing or empty input
with a message that names the command to run."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import bot.index
from bot import Bot, CorpusError, CorruptIndexError, MissingIndexError, StaleIndexError
from bot.corpus import fingerprint, read_corpus
from bot.encoders import load_encoder
from bot.index import FORMAT_VERSION, MANIFEST, build, build_from_folder, load, read_manifest
from bot.text import char_bigrams
from bot import store
from bot.passages import passages_for
from bot.settings import Settings

REBUILD = "python -m bot index"


class RecordingEncoder:
    """The real default encoder, keeping every batch of vectors it hands to the index."""

    def __init__(self, fail_on_call: int | None = None, interrupt: type[BaseException] = KeyboardInterrupt) -> None:
        self.inner = load_encoder("use-m3")
        self.name, self.dim = self.inner.name, self.inner.dim
        self.batches: list[np.ndarray] = []
        self.fail_on_call, self.interrupt = fail_on_call, interrupt

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        if self.fail_on_call is not None and len(self.batches) + 1 == self.fail_on_call:
            raise self.interrupt()
        vectors = self.inner.encode_passages(texts)
        self.batches.append(vectors)
        return vectors


def _copy_corpus(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _leftovers(parent: Path) -> list[str]:
    """What lies beside the index folders under ``parent`` or inside them but the live generation."""
    found = sorted(p.name for p in parent.iterdir() if p.name.startswith("."))
    for folder in (p for p in parent.iterdir() if p.is_dir() and (p / store.CURRENT).exists()):
        live = store.live_folder(folder)
        found += sorted(p.name for p in folder.iterdir() if p.name not in (store.CURRENT, store.LOCK, live.name))
    return found


@pytest.fixture(scope="module")
def built(tiny_corpus, tmp_path_factory) -> tuple[Path, Path, dict]:
    """(corpus, index folder, manifest) of the tiny corpus, built once; tests copy it before damaging it."""
    root = tmp_path_factory.mktemp("built")
    corpus = _copy_corpus(tiny_corpus, root / "corpus")
    folder = root / "out" / "index"
    manifest = build_from_folder(corpus, folder, Settings(), progress=False)
    return corpus, folder, manifest


def _copy_index(built, tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    return folder


# --- round trip ------------------------------------------------------------------------------------

def test_round_trip_keeps_passages_articles_and_vectors(tiny_corpus, tmp_path):
    report = read_corpus(tiny_corpus)
    settings = Settings()
    info = {"folder": str(tiny_corpus.resolve()), "fingerprint": fingerprint(tiny_corpus), "skipped": []}
    encoder = RecordingEncoder()
    folder = tmp_path / "index"
    manifest = build(report.articles, folder, settings, info, progress=False, encoder=encoder)

    index = load(folder)
    expected = [p for a in report.articles for p in passages_for(a, settings.max_passage_chars)]
    assert index.passages == expected
    assert index.articles == {a.doc_id: a for a in report.articles}
    assert len(index.passages) == index.bm25.size == manifest["passages"] == 6
    vectors = np.concatenate(encoder.batches)
    assert index.vectors.ntotal == len(vectors) >= len(index.passages)
    assert index.vectors.d == 512
    np.testing.assert_allclose(index.vectors.reconstruct_n(0, index.vectors.ntotal), vectors, atol=1e-6)
    assert index.manifest == manifest
    assert index.settings == settings


def test_manifest_records_what_built_the_index(built):
    corpus, folder, manifest = built
    live = store.live_folder(folder)
    on_disk = json.loads((live / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk == manifest == read_manifest(folder)
    assert manifest["format_version"] == FORMAT_VERSION == 4
    assert manifest["encoder"] == "use-m3" and manifest["dimension"] == 512
    assert manifest["settings"] == Settings().index_fields()
    assert manifest["corpus"]["folder"] == str(corpus.resolve())
    assert manifest["corpus"]["fingerprint"] == fingerprint(corpus)
    assert manifest["corpus"]["skipped"] == []
    assert (manifest["articles"], manifest["passages"]) == (3, 6)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["built_at"])
    built_at = time.mktime(time.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(time.time() - built_at) < 3600
    files = {p.name: p.stat().st_size for p in live.iterdir() if p.name != MANIFEST}
    assert {name: record["size"] for name, record in manifest["files"].items()} == files
    assert all(record["xxh3_128"] == store.checksum(live / name) for name, record in manifest["files"].items())
    assert {"passages.jsonl", "articles.jsonl", "dense.faiss", "bm25_vocab.json", "bm25_weights.npy",
            "bigrams_vocab.json", "bigrams_weights.npy"} <= set(files)


def test_the_built_index_opens_and_answers_from_its_passages(built):
    _, folder, _ = built
    bot = Bot.open(folder)
    hits = bot.search("深圳地鐵哪一年開通？", k=3)
    assert hits and hits[0].passage.doc_id == "hans"
    assert all(h.passage in bot.index.passages for h in hits)


def test_rebuilding_replaces_the_index_and_leaves_nothing_behind(built, tmp_path):
    corpus = _copy_corpus(built[0], tmp_path / "corpus")
    folder = tmp_path / "out" / "index"
    build_from_folder(corpus, folder, Settings(), progress=False)
    (corpus / "more.txt").write_text("Night market\n\nThe Temple Street night market opens at 4 pm.\n", encoding="utf-8")
    manifest = build_from_folder(corpus, folder, Settings(), progress=False)
    assert manifest["articles"] == 4 and len(load(folder).passages) == 7
    assert _leftovers(folder.parent) == []


# --- stale -----------------------------------------------------------------------------------------

def test_changed_corpus_makes_the_index_stale(built, tmp_path):
    corpus = _copy_corpus(built[0], tmp_path / "corpus")
    folder = tmp_path / "index"
    build_from_folder(corpus, folder, Settings(), progress=False)
    Bot.open(folder)  # fresh

    original = (corpus / "en.txt").read_text(encoding="utf-8")
    (corpus / "en.txt").write_text(original.replace("HK$5", "HK$6"), encoding="utf-8")
    with pytest.raises(StaleIndexError) as caught:
        Bot.open(folder)
    message = str(caught.value)
    assert "changed" in message and REBUILD in message and f"--corpus {corpus.resolve()}" in message
    assert f"--index {folder}" in message
    Bot.open(folder, check_corpus=False)  # still loadable on request

    (corpus / "en.txt").write_text(original, encoding="utf-8")  # the fingerprint is of content, not times
    Bot.open(folder)
    (corpus / "new.md").write_text("# New\n\nA new article.\n", encoding="utf-8")
    with pytest.raises(StaleIndexError, match=REBUILD):
        Bot.open(folder)


@pytest.mark.parametrize("change, field", [
    ({"max_passage_chars": 200}, "max_passage_chars"),
    ({"bm25_k1": 1.2}, "bm25_k1"),
    ({"encoder": "st:some/other-model"}, "encoder"),
])
def test_different_index_settings_make_the_index_stale(built, change, field):
    with pytest.raises(StaleIndexError) as caught:
        Bot.open(built[1], Settings(**change))
    assert field in str(caught.value) and REBUILD in str(caught.value)


def test_query_settings_do_not_make_the_index_stale(built):
    bot = Bot.open(built[1], Settings(k=2, mode="bm25", candidates=10))
    assert bot.settings.k == 2 and bot.settings.mode == "bm25"
    assert len(bot.search("Star Ferry")) <= 2


# --- corrupt ---------------------------------------------------------------------------------------

def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path: Path) -> None:
    """Same size, unreadable content (the manifest's size check cannot see it)."""
    size = path.stat().st_size
    path.write_bytes(b"#" * size)


DAMAGE = {
    "truncated dense.faiss": lambda f: _truncate(f / "dense.faiss"),
    "missing dense.faiss": lambda f: (f / "dense.faiss").unlink(),
    "truncated bm25 weights": lambda f: _truncate(f / "bm25_weights.npy"),
    "garbled bm25 indptr": lambda f: _garble(f / "bm25_indptr.npy"),
    "garbled bm25 vocab": lambda f: _garble(f / "bm25_vocab.json"),
    "garbled passages": lambda f: _garble(f / "passages.jsonl"),
    "passages of the wrong shape": lambda f: (f / "passages.jsonl").write_text(
        "\n".join(json.dumps({"doc_id": "x", "oops": 1}) for _ in range(6)), encoding="utf-8"),
    "garbled articles": lambda f: _garble(f / "articles.jsonl"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_file_is_a_corrupt_index_error_naming_the_rebuild(built, tmp_path, damage):
    folder = _copy_index(built, tmp_path)
    live = store.live_folder(folder)
    DAMAGE[damage](live)
    if damage == "passages of the wrong shape":  # keep the recorded size and checksum right: parsing must catch it
        manifest = json.loads((live / MANIFEST).read_text(encoding="utf-8"))
        manifest["files"]["passages.jsonl"] = {"size": (live / "passages.jsonl").stat().st_size,
                                               "xxh3_128": store.checksum(live / "passages.jsonl")}
        (live / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptIndexError) as caught:
        Bot.open(folder)
    assert REBUILD in str(caught.value) and str(folder) in str(caught.value)
    with pytest.raises(CorruptIndexError):
        load(folder)


@pytest.mark.parametrize("manifest", ["{not json", "", "[1, 2]", json.dumps({"format_version": 99})],
                         ids=["garbled", "empty", "not-an-object", "other-version"])
def test_a_damaged_manifest_is_a_corrupt_index_error(built, tmp_path, manifest):
    folder = _copy_index(built, tmp_path)
    (store.live_folder(folder) / MANIFEST).write_text(manifest, encoding="utf-8")
    with pytest.raises(CorruptIndexError, match=REBUILD):
        Bot.open(folder)


def test_a_manifest_that_is_not_utf8_is_a_corrupt_index_error(built, tmp_path):
    folder = _copy_index(built, tmp_path)
    (store.live_folder(folder) / MANIFEST).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CorruptIndexError, match=REBUILD):
        Bot.open(folder)


# --- missing and empty -----------------------------------------------------------------------------

def test_missing_index_is_a_missing_index_error(tmp_path):
    for folder in (tmp_path / "never-built", tmp_path):  # no folder; a folder without a manifest
        with pytest.raises(MissingIndexError) as caught:
            Bot.open(folder)
        assert REBUILD in str(caught.value) and str(folder) in str(caught.value)


@pytest.mark.parametrize("files", [{}, {"empty.txt": ""}, {"blank.md": " \n\n\t\n"}, {"notes.docx": "x"}],
                         ids=["no-files", "empty-file", "blank-file", "no-article-files"])
def test_empty_corpus_is_a_corpus_error_and_builds_nothing(tmp_path, files):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(CorpusError) as caught:
        build_from_folder(corpus, out / "index", Settings(), progress=False)
    assert "no articles" in str(caught.value)
    if files and "docx" not in next(iter(files)):
        assert "no text" in str(caught.value)
    assert not (out / "index").exists()
    assert not out.exists() or _leftovers(out) == []


def test_missing_corpus_folder_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        build_from_folder(tmp_path / "nowhere", tmp_path / "index", Settings(), progress=False)


# --- interrupted builds ----------------------------------------------------------------------------

@pytest.fixture()
def previous(built, tmp_path) -> tuple[Path, Path, dict]:
    """A corpus and a built index of it, then the corpus changed so that a rebuild would differ."""
    corpus = _copy_corpus(built[0], tmp_path / "corpus")
    folder = tmp_path / "out" / "index"
    manifest = build_from_folder(corpus, folder, Settings(), progress=False)
    (corpus / "more.txt").write_text("Night market\n\nThe Temple Street night market opens at 4 pm.\n", encoding="utf-8")
    return corpus, folder, manifest


def _assert_previous_index_intact(folder: Path, manifest: dict) -> None:
    index = load(folder)
    assert index.manifest == manifest and len(index.passages) == 6
    Bot.open(folder, check_corpus=False).search("Star Ferry")
    assert _leftovers(folder.parent) == []


def test_build_interrupted_while_encoding_keeps_the_previous_index(previous, monkeypatch):
    corpus, folder, manifest = previous
    encoder = RecordingEncoder(fail_on_call=2)
    monkeypatch.setattr(bot.index, "load_encoder", lambda name: encoder)
    monkeypatch.setattr(bot.index, "BATCH", 2)  # several batches, so the interruption comes half way
    with pytest.raises(KeyboardInterrupt):
        build_from_folder(corpus, folder, Settings(), progress=False)
    assert len(encoder.batches) == 1  # it really stopped in the middle
    _assert_previous_index_intact(folder, manifest)


def test_build_failing_while_encoding_keeps_the_previous_index(previous, monkeypatch):
    corpus, folder, manifest = previous
    monkeypatch.setattr(bot.index, "load_encoder", lambda name: RecordingEncoder(fail_on_call=1, interrupt=MemoryError))
    with pytest.raises(MemoryError):
        build_from_folder(corpus, folder, Settings(), progress=False)
    _assert_previous_index_intact(folder, manifest)


def test_first_build_interrupted_leaves_no_folder(built, tmp_path, monkeypatch):
    monkeypatch.setattr(bot.index, "load_encoder", lambda name: RecordingEncoder(fail_on_call=1))
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        build_from_folder(built[0], out / "index", Settings(), progress=False)
    assert [p.name for p in out.iterdir()] in ([], ["index"])
    assert not (out / "index").exists() or [p.name for p in (out / "index").iterdir()] == [store.LOCK]
    with pytest.raises(MissingIndexError):
        Bot.open(out / "index")


def test_the_bigram_field_finds_a_passage_by_its_pairs_of_characters(built):
    _, folder, _ = built
    index = load(folder)
    row = next(r for r in range(len(index.passages)) if len(char_bigrams(index.passages[r].text)) > 4)
    pairs = char_bigrams(index.passages[row].text)[:4]
    assert row in [r for r, _ in index.sparse(pairs, 3, "bigrams")]
    assert index.sparse(["不存在的字對"], 3, "bigrams") == []
    assert index.bigrams.size == len(index.passages)
