"""Build, save atomically, load and validate the index folder: passages, BM25 postings, FAISS vectors.

The folder holds ``manifest.json`` (format, encoder, settings, corpus fingerprint, file sizes) beside
plainly named files. A build writes a sibling temporary folder and renames it into place, so an
interrupted build never leaves a folder that loads.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import faiss
import numpy as np
from tqdm import tqdm

from .bm25 import BM25
from .corpus import Article, fingerprint, read_corpus
from .encoders import Encoder, load_encoder
from .errors import CorruptIndexError, CorpusError, MissingIndexError, StaleIndexError
from .passages import Passage, passages_for, windows
from .settings import Settings
from .text import tokens

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
ARTICLES = "articles.jsonl"
VECTORS = "dense.faiss"
WINDOW_ROWS = "dense_rows.npy"
BATCH = 64


@dataclass
class Index:
    """A loaded index: the passages, their articles, BM25 postings and the FAISS vectors."""

    folder: Path
    manifest: dict
    passages: list[Passage]
    articles: dict[str, Article]
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
    passages = [p for a in articles for p in passages_for(a, settings.max_passage_chars)]
    if not passages:
        raise CorpusError("the articles have no text to index")
    encoder = encoder or load_encoder(settings.encoder)
    stages: dict[str, float] = {}
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-", dir=folder.parent))
    try:
        t = time.perf_counter()
        texts = [p.search_text() for p in passages]
        bm25 = BM25.build([tokens(t) for t in tqdm(texts, desc="tokens", unit="passage", disable=not progress)],
                          settings.bm25_k1, settings.bm25_b, settings.bm25_epsilon)
        bm25.save(work)
        stages["bm25_s"] = time.perf_counter() - t
        t = time.perf_counter()
        window_texts, window_rows = _windows(passages, settings.dense_window_chars)
        vectors = faiss.IndexFlatIP(encoder.dim)
        with tqdm(total=len(window_texts), desc="vectors", unit="window", disable=not progress) as bar:
            for i in range(0, len(window_texts), BATCH):
                vectors.add(encoder.encode_passages(window_texts[i : i + BATCH]))
                bar.update(len(window_texts[i : i + BATCH]))
        faiss.write_index(vectors, str(work / VECTORS))
        np.save(work / WINDOW_ROWS, window_rows)
        stages["dense_s"] = time.perf_counter() - t
        _write_jsonl(work / PASSAGES, (asdict(p) for p in passages))
        _write_jsonl(work / ARTICLES, (asdict(a) for a in articles))
        manifest = {
            "format_version": FORMAT_VERSION,
            "encoder": encoder.name,
            "dimension": encoder.dim,
            "settings": settings.index_fields(),
            "corpus": corpus_info or {},
            "articles": len(articles),
            "passages": len(passages),
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


def _windows(passages: list[Passage], max_chars: int) -> tuple[list[str], np.ndarray]:
    """The sentence windows of every passage (with the heading context in front) and their passage rows."""
    texts: list[str] = []
    rows: list[int] = []
    for row, passage in enumerate(passages):
        for window in windows(passage.text, max_chars):
            texts.append(f"{passage.section}\n{window}" if passage.section else window)
            rows.append(row)
    return texts, np.array(rows, dtype=np.int32)


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


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
        raise CorruptIndexError(
            f"{folder} holds an index of another format version; rebuild with: {build_command(None, folder)}"
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


def load(folder: Path) -> Index:
    """Load and validate ``folder``; a damaged or truncated file is a CorruptIndexError, not a traceback."""
    manifest = read_manifest(folder)
    command = build_command(Path(manifest.get("corpus", {}).get("folder") or "corpus"), folder)
    for name, size in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists() or path.stat().st_size != size:
            raise CorruptIndexError(f"{path} is missing or has the wrong size (truncated?); rebuild with: {command}")
    try:
        passages = [_passage(json.loads(line)) for line in _lines(folder / PASSAGES)]
        articles = {a["doc_id"]: Article(**a) for a in map(json.loads, _lines(folder / ARTICLES))}
        bm25 = BM25.load(folder)
        vectors = faiss.read_index(str(folder / VECTORS), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        window_rows = np.load(folder / WINDOW_ROWS, mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise CorruptIndexError(f"the index in {folder} is damaged ({type(error).__name__}: {error}); "
                                f"rebuild with: {command}") from None
    consistent = len(passages) == bm25.size == manifest.get("passages") and len(window_rows) == vectors.ntotal
    if not consistent or vectors.d != manifest.get("dimension"):
        raise CorruptIndexError(f"the files in {folder} disagree on the number of passages; rebuild with: {command}")
    return Index(folder, manifest, passages, articles, bm25, vectors, window_rows)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def _passage(record: dict) -> Passage:
    record["spans"] = tuple(tuple(span) for span in record["spans"])
    return Passage(**record)

