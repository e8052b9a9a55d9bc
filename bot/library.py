"""The articles, as the people who own the corpus change them from the web (``/api/articles`` and the web
app's Articles tab): an upload checked (type, size, name) and read before it enters ``corpus/``, indexed
with ``index --add`` semantics (only new text encoded), and answered from at once; a removal likewise.

A change is all or nothing: the file is read in a hidden folder of the corpus first, the index is changed
as a new generation switched in atomically (``bot/store.py``), and a change that fails puts the corpus back
as it was. Changes take turns; questions are answered throughout, from the old index until the new one is
live.
"""

from __future__ import annotations

import hmac
import logging
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .corpus import KEPT_SUFFIX, META_SUFFIX, Article, kept_path, read_file
from .engine import Bot
from .errors import CorpusError, IndexStoreError
from .formats import SUFFIXES
from .index import load, update

log = logging.getLogger(__name__)

MB = 1 << 20  # as the web app's upload area counts a megabyte
MAX_UPLOAD_BYTES = 20 * MB  # a long PDF report; more is refused before it is read
UPLOADS = "uploads"  # the folder of corpus/ that uploads go to
MAX_NAME_CHARS = 120
_STAGING = ".incoming-"  # hidden folders of corpus/ (never read as articles) where a change is prepared
_UNSAFE = re.compile(r"[^\w.\-]+")


class UploadTooLarge(CorpusError):
    """An upload over MAX_UPLOAD_BYTES."""


class UnknownArticle(CorpusError):
    """A document id the index does not hold."""


def too_large(size: int) -> UploadTooLarge:
    """The one message for a file over the limit."""
    return UploadTooLarge(f"the file is {size / MB:.1f} MB; articles can be at most {MAX_UPLOAD_BYTES // MB} MB "
                          "each: split a long report into parts, or add it with python -m bot index --add FILE")


def safe_name(name: str) -> str:
    """``name`` as a file name in ``corpus/uploads/``: its last path component only, letters (any script),
    digits, ``.``, ``-`` and ``_`` (runs of anything else become ``_``), not hidden, of a type Wenda reads;
    a CorpusError says why a name cannot be one."""
    base = unicodedata.normalize("NFC", re.split(r"[/\\]", name or "")[-1]).strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUFFIXES:
        what = f"a .{suffix} file" if dot and suffix else "a file without an extension"
        raise CorpusError(f"{base or 'the upload'} is {what}; upload {', '.join(SUFFIXES)} files")
    stem = _UNSAFE.sub("_", stem).strip("._") or "article"
    safe = f"{stem[: MAX_NAME_CHARS - len(suffix) - 1]}.{suffix.lower()}"
    if safe.lower() == "readme.md" or safe.endswith((META_SUFFIX, KEPT_SUFFIX)):
        raise CorpusError(f"{base} is a name Wenda keeps for itself; rename the file")
    return safe


@dataclass(frozen=True)
class Row:
    """One article as the Articles list shows it."""

    doc_id: str
    title: str
    source: str
    date: str
    passages: int
    file: str  # its path under corpus/

    def as_dict(self) -> dict:
        """The row as ``GET /api/articles`` lists it."""
        return {"doc_id": self.doc_id, "title": self.title, "source": self.source, "date": self.date,
                "passages": self.passages, "file": self.file}


class LiveBot:
    """A Bot that follows its index: every use goes to the Bot of the index as last loaded, so the web app
    and the API answer from an added article as soon as the change is live, without a restart."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    def __getattr__(self, name: str):
        return getattr(self._bot, name)

    def reload(self) -> None:
        """Load the index's live generation (the encoder and settings stay: the index records the same)."""
        bot = self._bot
        self._bot = Bot(load(bot.index.folder), bot.settings, bot.encoder)


class Library:
    """Adds and removes the articles of one index and its corpus, for whoever holds ``token``."""

    def __init__(self, bot: Bot, token: str) -> None:
        if not token:
            raise ValueError("a Library needs the admin token")
        self.live = bot if isinstance(bot, LiveBot) else LiveBot(bot)
        self._token = token.encode("utf-8")
        self._lock = threading.Lock()
        self._counts: tuple[Path, dict[str, int]] | None = None  # passages a document, for one generation
        corpus = self.live.index.corpus_folder
        for left in corpus.glob(f"{_STAGING}*") if corpus and corpus.is_dir() else ():  # a killed change's
            shutil.rmtree(left, ignore_errors=True)

    def allows(self, token: str | None) -> bool:
        """Whether ``token`` is the admin token (compared in constant time)."""
        return hmac.compare_digest((token or "").encode("utf-8", "surrogatepass"), self._token)

    @property
    def corpus(self) -> Path:
        """The corpus folder the index was built from (resolved)."""
        folder = self.live.index.corpus_folder
        if folder is None or not folder.is_dir():
            raise CorpusError(f"the index in {self.live.index.folder} records no corpus folder that exists; "
                              "rebuild it with: python -m bot index --corpus corpus/")
        return folder.resolve()

    def rows(self) -> list[Row]:
        """Every article of the live index, in the index's order."""
        index, corpus = self.live.index, self.corpus
        counts = self._passage_counts()
        rows = []
        for doc_id in index.articles:
            article = index.articles[doc_id]
            file = self._file_of(article, corpus)
            rows.append(Row(doc_id, article.title, article.source, article.date, counts.get(doc_id, 0),
                            str(file.relative_to(corpus)) if file else ""))
        return rows

    def add(self, name: str, data: bytes, progress: bool = False) -> dict:
        """Put the file ``name`` with bytes ``data`` in ``corpus/uploads/`` and index its articles (a file of the
        same name is replaced, and articles it no longer holds go); returns what changed. CorpusError when the
        file cannot be an article."""
        name = safe_name(name)
        if len(data) > MAX_UPLOAD_BYTES:
            raise too_large(len(data))
        with self._lock:
            corpus = self.corpus
            staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=corpus))
            try:
                staged = staging / UPLOADS / name
                staged.parent.mkdir()
                staged.write_bytes(data)
                articles = list(read_file(staged, staging))  # read (and its text kept) before it enters the corpus
                target = corpus / UPLOADS / name
                self._check_ids(articles, target)
                index, new = self.live.index, {a.doc_id for a in articles}
                gone = [d for d in index.articles if d not in new and self._file_of(index.articles[d], corpus) == target]
                return self._change(corpus, staging, moves=[(p, target.parent / p.name) for p in _with_sidecars(staged)],
                                    add=[target], remove=gone, progress=progress, added=articles, file=target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def remove(self, doc_id: str, progress: bool = False) -> dict:
        """Take the file holding ``doc_id`` (and every article it holds) out of the corpus and the index."""
        with self._lock:
            index, corpus = self.live.index, self.corpus
            if doc_id not in index.articles:
                raise UnknownArticle(f"no article {doc_id!r} in the index; GET /api/articles lists them")
            file = self._file_of(index.articles[doc_id], corpus)
            if file is None:
                raise CorpusError(f"the file of {doc_id!r} is not in {corpus}; take it out of the index with: "
                                  f"python -m bot index --remove {doc_id}")
            siblings = [d for d in index.articles if self._file_of(index.articles[d], corpus) == file]
            staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=corpus))
            try:
                return self._change(corpus, staging, moves=[(p, staging / p.name) for p in _with_sidecars(file)],
                                    add=[], remove=siblings, progress=progress, added=[], file=file)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def _change(self, corpus: Path, staging: Path, moves: list[tuple[Path, Path]], add: list[Path],
                remove: list[str], progress: bool, added: list[Article], file: Path) -> dict:
        """Move the files, change the index, and load it; if the index cannot be changed, move them back (and
        restore a file the upload replaced) and re-raise, leaving the corpus and the index as they were."""
        started = time.perf_counter()
        backup = staging / ".replaced"
        replaced = [(target, backup / target.name) for _, target in moves if target.exists()]
        done: list[tuple[Path, Path]] = []
        try:
            for target, kept_aside in replaced:
                kept_aside.parent.mkdir(exist_ok=True)
                target.replace(kept_aside)
            for source, target in moves:
                target.parent.mkdir(parents=True, exist_ok=True)
                source.replace(target)
                done.append((source, target))
            manifest = update(self.live.index.folder, add=add, remove=remove, progress=progress,
                              encoder=self.live.encoder)
        except BaseException as error:
            for source, target in reversed(done):
                target.replace(source)
            for target, kept_aside in replaced:
                kept_aside.replace(target)
            if isinstance(error, OSError):  # e.g. the disk filled while the new index was written
                raise IndexStoreError(f"the index could not be changed ({error}); the articles are as they "
                                      "were") from error
            raise
        self.live.reload()
        log.info("articles: %s %s", "added" if add else "removed", file)
        counts = self._passage_counts()
        return {"file": str(file.relative_to(corpus)),
                "added": [Row(a.doc_id, a.title, a.source, a.date, counts.get(a.doc_id, 0),
                              str(file.relative_to(corpus))).as_dict() for a in added],
                "removed": list(remove), "articles": manifest["articles"], "passages": manifest["passages"],
                "windows_encoded": manifest.get("windows_encoded", 0),
                "seconds": round(time.perf_counter() - started, 3)}

    def _check_ids(self, articles: list[Article], target: Path) -> None:
        """Refuse an upload whose articles would take the id of an article of another file."""
        index, corpus = self.live.index, self.corpus
        for article in articles:
            if article.doc_id in index.articles:
                other = self._file_of(index.articles[article.doc_id], corpus)
                if other is not None and other != target:
                    raise CorpusError(f"{target.name} holds the article id {article.doc_id!r}, which "
                                      f"{other.relative_to(corpus)} has already; change the id in the file")

    def _file_of(self, article: Article, corpus: Path) -> Path | None:
        """The file under ``corpus`` that an indexed article was read from, if it is still there."""
        recorded = Path(article.path)
        candidates = [recorded if recorded.is_absolute() else Path.cwd() / recorded]
        candidates += [corpus / f"{article.doc_id}{suffix}" for suffix in SUFFIXES]
        for path in candidates:
            path = path.resolve()
            if path.is_file() and path.is_relative_to(corpus.resolve()):
                return path
        return None

    def _passage_counts(self) -> dict[str, int]:
        """Passages a document of the live index (counted once per generation: 100k passages take a second)."""
        index = self.live.index
        if self._counts is None or self._counts[0] != index.files:
            counts: dict[str, int] = {}
            for passage in index.passages:
                counts[passage.doc_id] = counts.get(passage.doc_id, 0) + 1
            self._counts = (index.files, counts)
        return self._counts[1]


def _with_sidecars(path: Path) -> list[Path]:
    """``path`` and the files Wenda keeps beside it (its metadata sidecar and its kept text) that exist."""
    return [p for p in (path, path.with_name(path.stem + META_SUFFIX), kept_path(path)) if p.exists()]

