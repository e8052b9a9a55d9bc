"""The index folder's guarantees (bot/store.py): nothing of the user's is ever deleted, writers take
turns, a kill at any step of a swap leaves a loadable index, and a damaged file is an error naming it,
never an answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bot import Bot, CorruptIndexError, MissingIndexError
from bot import store
from bot.errors import IndexStoreError
from bot.index import MANIFEST, build_from_folder, load, read_manifest, update, verify
from bot.settings import Settings

from conftest import ROOT

REBUILD = "python -m bot index"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
NIGHT_MARKET = "Night market\n\nThe Temple Street night market opens at 4 pm and closes at midnight.\n"
PEAK_TRAM = "Peak Tram\n\nThe Peak Tram has climbed to Victoria Peak since 1888, a ride of about seven minutes.\n"


def wenda(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


@pytest.fixture(scope="module")
def built(tiny_corpus, tmp_path_factory) -> tuple[Path, Path]:
    """(corpus, index folder) of the tiny corpus, built once; tests copy the pair before changing it."""
    root = tmp_path_factory.mktemp("store")
    corpus = root / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    build_from_folder(corpus, root / "index", Settings(), progress=False)
    return corpus, root / "index"


@pytest.fixture()
def copy(built, tmp_path) -> tuple[Path, Path]:
    """A private copy of the built corpus and index (the manifest records the copy's corpus folder)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(built[0], corpus)
    folder = tmp_path / "index"
    build_from_folder(corpus, folder, Settings(), progress=False)
    return corpus, folder


def _leftovers(folder: Path) -> list[str]:
    live = store.live_folder(folder).name
    return sorted(p.name for p in folder.iterdir() if p.name not in (store.CURRENT, store.LOCK, live))


def _doc_ids(folder: Path) -> set[str]:
    return set(load(folder).articles)


# --- what the builder may replace ------------------------------------------------------------------

def test_a_folder_of_other_files_is_refused_and_kept(tiny_corpus, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("call the printer\n", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="not empty and holds no Wenda index"):
        build_from_folder(tiny_corpus, notes, Settings(), progress=False)
    assert [p.name for p in notes.iterdir()] == ["todo.txt"]
    run = wenda("index", "--corpus", str(tiny_corpus), "--index", str(notes), "--quiet")
    assert run.returncode == 2 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr
    assert (notes / "todo.txt").read_text(encoding="utf-8") == "call the printer\n"


def test_a_file_given_as_the_index_is_refused_and_kept(tiny_corpus, tmp_path):
    target = tmp_path / "index"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="is a file"):
        build_from_folder(tiny_corpus, target, Settings(), progress=False)
    assert target.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("where", ["the corpus itself", "inside the corpus", "holding the corpus"])
def test_an_index_overlapping_the_corpus_is_refused_and_the_corpus_kept(tiny_corpus, tmp_path, where):
    root = tmp_path / "root"
    corpus = root / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    before = sorted((p.name, p.read_bytes()) for p in corpus.iterdir())
    folder = {"the corpus itself": corpus, "inside the corpus": corpus / "index", "holding the corpus": root}[where]
    run = wenda("index", "--corpus", str(corpus), "--index", str(folder), "--quiet")
    assert run.returncode == 2 and "overlap" in run.stderr and "Traceback" not in run.stderr
    assert sorted((p.name, p.read_bytes()) for p in corpus.iterdir()) == before


def test_an_empty_folder_is_built_into(tiny_corpus, tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    build_from_folder(tiny_corpus, folder, Settings(), progress=False)
    assert len(load(folder).passages) == 6 and _leftovers(folder) == []


def test_a_folder_left_by_a_killed_first_build_is_built_into(tiny_corpus, tmp_path):
    folder = tmp_path / "index"
    (folder / "gen-20261202T000000-abc").mkdir(parents=True)
    (folder / "gen-20261202T000000-abc" / "passages.jsonl").write_text("{}\n", encoding="utf-8")
    (folder / store.LOCK).write_text("", encoding="utf-8")
    build_from_folder(tiny_corpus, folder, Settings(), progress=False)
    assert len(load(folder).passages) == 6 and _leftovers(folder) == []


def test_an_older_format_index_is_replaced_and_its_files_removed(tiny_corpus, tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "passages.jsonl").write_text("{}\n", encoding="utf-8")
    (folder / MANIFEST).write_text(json.dumps({"format_version": 2, "files": {"passages.jsonl": 3}}), encoding="utf-8")
    with pytest.raises(CorruptIndexError, match="another format version"):
        load(folder)
    build_from_folder(tiny_corpus, folder, Settings(), progress=False)
    assert len(load(folder).passages) == 6
    assert sorted(p.name for p in folder.iterdir()) == sorted([store.CURRENT, store.LOCK, store.live_folder(folder).name])


# --- one writer at a time --------------------------------------------------------------------------

def test_a_writer_waits_for_the_lock_and_says_who_holds_it(copy, tmp_path):
    corpus, folder = copy
    (tmp_path / "market.txt").write_text(NIGHT_MARKET, encoding="utf-8")
    said: list[str] = []
    done = threading.Event()
    with store.writing(folder, "a test holding the lock", say=said.append):
        def add() -> None:
            update(folder, add=[tmp_path / "market.txt"], progress=False)
            done.set()

        worker = threading.Thread(target=add)
        worker.start()
        time.sleep(1.0)
        assert not done.is_set()  # it waits while the lock is held
        assert "market" not in _doc_ids(folder)
    worker.join(120)
    assert done.is_set() and "market" in _doc_ids(folder)


def test_two_adds_at_once_both_land(copy, tmp_path):
    corpus, folder = copy
    files = [tmp_path / "market.txt", tmp_path / "tram.txt"]
    files[0].write_text(NIGHT_MARKET, encoding="utf-8")
    files[1].write_text(PEAK_TRAM, encoding="utf-8")
    runs = [subprocess.Popen([sys.executable, "-m", "bot", "index", "--index", str(folder), "--add", str(f), "--quiet"],
                             cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for f in files]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert {"market", "tram"} <= _doc_ids(folder)
    assert len(load(folder).articles) == 5 and _leftovers(folder) == []


def test_a_lock_held_too_long_is_a_clear_error(copy):
    _, folder = copy
    with store.writing(folder, "a test holding the lock", say=lambda text: None):
        with pytest.raises(IndexStoreError, match="a test holding the lock"):
            with store.writing(folder, "a second writer", wait_s=0.2, say=lambda text: None):
                pass


# --- a kill at every step of a swap ----------------------------------------------------------------

KILLER = """
import os, signal, sys
from pathlib import Path
import bot.store
from bot.index import build_from_folder, update
from bot.settings import Settings

step, mode, folder, extra = sys.argv[1:5]
def fault_point(at):
    if at == step:
        os.kill(os.getpid(), signal.SIGKILL)
bot.store.fault_point = fault_point
if mode == "add":
    update(Path(folder), add=[Path(extra)], progress=False)
else:
    build_from_folder(Path(extra), Path(folder), Settings(), progress=False)
"""
STEPS = ["building", "written", "pointer-written", "switched", "cleaned"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["add", "rebuild"])
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_leaves_a_loadable_index_and_the_next_writer_cleans_up(copy, tmp_path, step, mode):
    corpus, folder = copy
    market = tmp_path / "market.txt"
    market.write_text(NIGHT_MARKET, encoding="utf-8")
    if mode == "rebuild":
        shutil.copy(market, corpus / "market.txt")
    before = _doc_ids(folder)
    killed = subprocess.run([sys.executable, "-c", KILLER, step, mode, str(folder),
                             str(market if mode == "add" else corpus)], cwd=ROOT, env=ENV, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    switched = STEPS.index(step) >= STEPS.index("switched")
    assert _doc_ids(folder) == (before | {"market"} if switched else before)  # loadable, old or new
    Bot.open(folder, check_corpus=False).search("night market")
    update(folder, add=[tmp_path / "market.txt"], progress=False)  # the next writer
    assert _leftovers(folder) == []
    assert _doc_ids(folder) == before | {"market"}


# --- damaged files ---------------------------------------------------------------------------------

def _flip(path: Path, count: int = 8) -> None:
    """Invert ``count`` bytes in the middle of a file: same size, different content."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _files(folder: Path) -> list[str]:
    return sorted(read_manifest(folder)["files"])


@pytest.fixture(scope="module")
def file_names(built) -> list[str]:
    return _files(built[1])


def test_every_file_is_checksummed(built, file_names):
    assert {"passages.jsonl", "dense.faiss", "dense_rows.npy", "bm25_indices.npy", "bm25_indptr.npy", "bm25_idf.npy",
            "bm25_weights.npy", "dense_hashes.npy", "tokens.jsonl", "articles.jsonl"} <= set(file_names)


@pytest.mark.parametrize("name", ["passages.jsonl", "dense.faiss", "dense_rows.npy", "bm25_indices.npy",
                                  "bm25_indptr.npy", "bm25_idf.npy", "bm25_weights.npy", "dense_hashes.npy",
                                  "tokens.jsonl", "articles.jsonl", "bm25_vocab.json", "passages_offsets.npy"])
def test_flipped_bytes_in_any_file_are_an_error_naming_it(built, tmp_path, name):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    _flip(store.live_folder(folder) / name)
    with pytest.raises(CorruptIndexError) as caught:
        load(folder)
    assert name in str(caught.value) and REBUILD in str(caught.value) and str(folder) in str(caught.value)
    with pytest.raises(CorruptIndexError, match=name):
        verify(folder)


@pytest.mark.parametrize("name", ["passages.jsonl", "dense.faiss"])
def test_the_cli_says_which_file_is_damaged_and_answers_nothing(built, tmp_path, name):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    _flip(store.live_folder(folder) / name)
    run = wenda("ask", "How long does the Star Ferry take?", "--index", str(folder), "--json")
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert run.stderr.startswith("error: ") and name in run.stderr and len(run.stderr.splitlines()) == 1
    verified = wenda("index", "--verify", "--index", str(folder))
    assert verified.returncode == 2 and name in verified.stderr and "Traceback" not in verified.stderr


def test_verify_reports_an_intact_index(built):
    report = verify(built[1])
    assert report["passages"] == 6 and report["articles"] == 3 and report["files"] == len(_files(built[1]))
    run = wenda("index", "--verify", "--index", str(built[1]))
    assert run.returncode == 0 and "intact" in run.stdout and "6 passages" in run.stdout


def _rewrite_array(path: Path, change) -> None:
    """Change an array in place, same dtype and shape, and keep its recorded checksum out of the way:
    what the shape checks alone must catch on an index too big to hash at every load."""
    values = np.load(path).copy()
    change(values)
    np.save(path, values)


@pytest.mark.parametrize("name, change, words", [
    ("bm25_indptr.npy", lambda a: a.__setitem__(1, a[-1] + 5), "posting offsets"),
    ("bm25_indices.npy", lambda a: a.__setitem__(0, 10_000), "names a passage"),
    ("dense_rows.npy", lambda a: a.__setitem__(-1, 10_000), "outside the passages"),
    ("bm25_weights.npy", lambda a: a.__setitem__(0, np.nan), "not numbers"),
])
def test_without_checksums_the_shape_checks_catch_bad_arrays(built, tmp_path, name, change, words):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    _rewrite_array(store.live_folder(folder) / name, change)
    with pytest.raises(CorruptIndexError, match=words):
        load(folder, full_check=False)
    with pytest.raises(CorruptIndexError, match="checksum"):
        load(folder)


def test_a_passage_damaged_after_loading_is_an_error_not_a_decoding_traceback(built, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    index = load(folder)
    rows = index.passages._rows
    start = int(rows.offsets[2]) + 3
    with (store.live_folder(folder) / "passages.jsonl").open("r+b") as file:  # the mapped file changes beneath
        file.seek(start)
        file.write(b"\xff\xfe")
    with pytest.raises(CorruptIndexError, match="line 3"):
        index.passages[2]


# --- manifests with missing or mistyped fields -----------------------------------------------------

MANIFEST_DAMAGE = {
    "settings absent": lambda m: m.pop("settings"),
    "settings a string": lambda m: m.__setitem__("settings", "default"),
    "corpus null": lambda m: m.__setitem__("corpus", None),
    "files a list": lambda m: m.__setitem__("files", ["passages.jsonl"]),
    "format_version a string": lambda m: m.__setitem__("format_version", "3"),
    "passages a string": lambda m: m.__setitem__("passages", "6"),
    "a file record a number": lambda m: m["files"].__setitem__("dense.faiss", 123),
}


@pytest.mark.parametrize("damage", MANIFEST_DAMAGE, ids=list(MANIFEST_DAMAGE))
def test_a_manifest_with_a_missing_or_mistyped_field_is_a_clear_error(built, tmp_path, damage):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    path = store.live_folder(folder) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    MANIFEST_DAMAGE[damage](manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptIndexError, match=REBUILD):
        Bot.open(folder)
    run = wenda("ask", "How long does the Star Ferry take?", "--index", str(folder))
    assert run.returncode == 2 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr


def test_the_wrong_dimension_is_called_a_dimension(built, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    path = store.live_folder(folder) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["dimension"] = 384
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptIndexError, match="dimension 512, the manifest says 384"):
        load(folder)


def test_a_pointer_to_nothing_is_a_clear_error(built, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(built[1], folder)
    (folder / store.CURRENT).write_text("gen-gone\n", encoding="utf-8")
    with pytest.raises(CorruptIndexError, match="names no generation"):
        load(folder)
    (folder / store.CURRENT).unlink()
    with pytest.raises(MissingIndexError):
        load(folder)


def test_a_load_racing_with_a_writer_loads_the_new_generation(copy, tmp_path, monkeypatch):
    _, folder = copy
    market = tmp_path / "market.txt"
    market.write_text(NIGHT_MARKET, encoding="utf-8")
    real = store.damaged_files
    calls = []

    def writer_switches_first(generation, files, hashes):
        calls.append(generation)
        if len(calls) == 1:  # the reader has chosen its generation; a writer replaces and removes it now
            update(folder, add=[market], progress=False)
        return real(generation, files, hashes)

    monkeypatch.setattr(store, "damaged_files", writer_switches_first)
    index = load(folder)
    assert "market" in index.articles and not calls[0].exists() and index.files == store.live_folder(folder)
