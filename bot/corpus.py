"""Read article files into Articles: each file by its format (``bot/formats``: text, Markdown, web pages, PDF,
Word, feeds, JSON Lines), with an optional ``NAME.meta.json`` sidecar; the text a format extracts (all but
text, Markdown and JSON Lines) is kept beside the file, so offsets always point into the text kept."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import CorpusError
from .formats import SUFFIXES, BadRecord, Extracted, Format, format_for
from .formats.jsonl import METADATA_KEYS

log = logging.getLogger(__name__)

META_SUFFIX = ".meta.json"
KEPT_SUFFIX = ".kept.json"  # beside NAME.EXT: the text (and metadata) extracted from it, as every offset sees it


@dataclass(frozen=True)
class Article:
    """One article: its id, metadata and the exact text that every offset points into."""

    doc_id: str
    title: str
    text: str
    source: str = ""
    date: str = ""
    url: str = ""
    lang: str = ""
    author: str = ""
    path: str = ""
    encoding: str = "utf-8"  # what the file was decoded from; offsets index the decoded text

    def meta(self) -> dict[str, str]:
        """Metadata for display and for the index (everything but the text)."""
        return {k: getattr(self, k)
                for k in ("doc_id", "title", "source", "date", "url", "lang", "author", "path", "encoding")}


@dataclass
class CorpusReport:
    """What reading a corpus folder found: the articles and the files it had to skip, with why."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def corpus_files(folder: Path) -> list[Path]:
    """Article files under ``folder`` in a stable order (sidecars, READMEs and hidden files excluded)."""
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist; create it and put article files in it")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not p.name.endswith(META_SUFFIX)
        and p.name.lower() != "readme.md"
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def fingerprint(folder: Path) -> str:
    """SHA-256 over every article file's relative path and bytes, and its sidecar: changes when the corpus does."""
    digest = hashlib.sha256()
    for path in corpus_files(folder):
        for part in (path, path.with_name(path.stem + META_SUFFIX)):
            if part.exists():
                digest.update(str(part.relative_to(folder)).encode() + b"\0" + part.read_bytes() + b"\0")
    return digest.hexdigest()


def read_corpus(folder: Path) -> CorpusReport:
    """Read every article under ``folder``; an unreadable file is skipped and reported, not fatal."""
    report = CorpusReport()
    seen: set[str] = set()

    def skip(where: str, why: str) -> None:
        # the caller reports skips (the CLI prints them): log quietly so they are not shown twice
        log.info("skipped %s: %s", where, why)
        report.skipped.append((where, why))

    for path in corpus_files(folder):
        try:
            for article in read_file(path, folder, on_bad_line=skip):
                if article.doc_id in seen:
                    skip(str(path), f"duplicate document id {article.doc_id!r}; ids must be unique")
                    continue
                seen.add(article.doc_id)
                report.articles.append(article)
        except CorpusError as error:
            skip(str(path), str(error))
    return report


def read_file(path: Path, root: Path, on_bad_line: Callable[[str, str], None] | None = None) -> Iterator[Article]:
    """The articles of one file (of any format ``bot/formats`` reads; its id is its path under ``root``).

    A bad record of a file that holds many (a .jsonl line, a feed entry) raises CorpusError, or with
    ``on_bad_line`` is passed to it as ``(where, why)`` and skipped, so one bad record does not lose the rest.
    """
    fmt = format_for(path)
    doc_id = str(path.relative_to(root).with_suffix(""))
    items = kept(path, fmt, doc_id) if fmt.derived else fmt.read(path, doc_id)
    sidecar = {} if fmt.many else _sidecar(path)
    for item in items:
        if isinstance(item, Extracted) and not item.text.strip():
            if not fmt.many:
                raise CorpusError(f"{path}: the file has no text")
            item = BadRecord(f"{path}", f"{item.doc_id} has no text")
        if isinstance(item, BadRecord):
            if on_bad_line is None:
                raise item
            on_bad_line(item.where, str(item))
            continue
        meta = {k: v for k, v in item.meta.items() if k in METADATA_KEYS and v} | sidecar
        meta.setdefault("title", first_line_title(item.text))
        yield Article(doc_id=item.doc_id, text=item.text, path=str(path), encoding=item.encoding, **meta)


def first_line_title(text: str) -> str:
    """The first non-empty line, without Markdown heading marks."""
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()
    return ""


def kept_path(path: Path) -> Path:
    """Where the text extracted from ``path`` is kept: ``NAME.EXT.kept.json`` beside it."""
    return path.with_name(path.name + KEPT_SUFFIX)


def kept(path: Path, fmt: Format, doc_id: str) -> list[Extracted | BadRecord]:
    """The articles of a file whose format extracts its text: as kept beside it while the file's bytes are
    the ones they were extracted from, else extracted now and kept. The kept text stays the article's text
    when the extracting library changes, so offsets cited once still point at the same words; delete the
    ``.kept.json`` file to extract again."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    where = kept_path(path)
    try:
        record = json.loads(where.read_text(encoding="utf-8"))
        if record["sha256"] == digest and record["format"] == fmt.name:
            return [_unkept(item, path, doc_id) for item in record["articles"]]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("%s is unreadable (%s); extracting %s again", where, error, path)
    items = list(fmt.read(path, doc_id))
    record = {"format": fmt.name, "extractor": fmt.version(), "source": path.name, "sha256": digest,
              "articles": [_kept_item(item, path, doc_id) for item in items]}
    try:
        _write_atomically(where, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    except OSError as error:  # a read-only corpus: the text is extracted again next time, and may differ
        log.warning("could not keep the text extracted from %s beside it (%s)", path, error)
    return items


def _kept_item(item: Extracted | BadRecord, path: Path, doc_id: str) -> dict:
    """An article (or a record that could not be read) as kept: ids and places relative to the file's, which
    may move."""
    if isinstance(item, BadRecord):
        return {"where": item.where.removeprefix(str(path)), "error": str(item)[len(item.where) + 2:]}
    return {"id": item.doc_id[len(doc_id):], "text": item.text, "meta": item.meta, "encoding": item.encoding}


def _unkept(item: dict, path: Path, doc_id: str) -> Extracted | BadRecord:
    """A kept record as the format gave it for the file at ``path`` (of id ``doc_id``)."""
    if "error" in item:
        return BadRecord(f"{path}{item['where']}", str(item["error"]))
    return Extracted(doc_id + str(item["id"]), str(item["text"]), {str(k): str(v) for k, v in item["meta"].items()},
                     str(item["encoding"]))


def _write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` through a temporary file renamed over it: a reader sees the old file or the new."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sidecar(path: Path) -> dict[str, str]:
    """The metadata of ``NAME.meta.json`` beside ``path`` (none when there is no such file)."""
    meta_path = path.with_name(path.stem + META_SUFFIX)
    if not meta_path.exists():
        return {}
    try:
        raw = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorpusError(f"{meta_path}: not valid UTF-8 JSON ({error})") from None
    if not isinstance(raw, dict):
        raise CorpusError(f"{meta_path}: expected a JSON object with keys from {', '.join(METADATA_KEYS)}")
    return {k: str(raw[k]) for k in METADATA_KEYS if raw.get(k)}
