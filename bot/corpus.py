"""Read article files (.txt, .md, .html, .jsonl, with optional .meta.json sidecars) into Articles."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

from .errors import CorpusError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (*TEXT_SUFFIXES, ".html", ".htm", ".jsonl")
META_SUFFIX = ".meta.json"
METADATA_KEYS = ("title", "source", "date", "url", "lang", "author")


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

    def meta(self) -> dict[str, str]:
        """Metadata for display and for the index (everything but the text)."""
        return {k: getattr(self, k) for k in ("doc_id", "title", "source", "date", "url", "lang", "author", "path")}


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
    """Articles in one file: one for .txt/.md/.html, one a line for .jsonl.

    A bad .jsonl line raises CorpusError, or with ``on_bad_line`` is passed to it as ``(where, why)``
    and skipped, so one bad line does not lose the rest of the file.
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(path, on_bad_line)
        return
    text = _decode(path)
    meta = _sidecar(path)
    doc_id = str(path.relative_to(root).with_suffix(""))
    if suffix in (".html", ".htm"):
        html_title, text = html_to_text(text)
        if html_title:  # a page without <title> falls back to its first line, like a .txt
            meta.setdefault("title", html_title)
    if not text.strip():
        raise CorpusError(f"{path}: the file has no text")
    meta.setdefault("title", first_line_title(text))
    yield Article(doc_id=doc_id, text=text, path=str(path), **meta)


def first_line_title(text: str) -> str:
    """The first non-empty line, without Markdown heading marks."""
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()
    return ""


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{path} is not UTF-8 (byte {error.start}); convert it, e.g. `iconv -f BIG5 -t UTF-8 {path.name}`"
        ) from None


def _sidecar(path: Path) -> dict[str, str]:
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


def _read_jsonl(path: Path, on_bad_line: Callable[[str, str], None] | None = None) -> Iterator[Article]:
    lines = _decode(path).splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{where}: not JSON ({error.msg})") from None
            article = article_from_record(record, where)
        except CorpusError as error:
            if on_bad_line is None:
                raise
            on_bad_line(where, str(error))
            continue
        yield article


def article_from_record(record: object, where: str) -> Article:
    """An Article from a JSON object with ``id``, ``title``, ``text`` and optional metadata."""
    if not isinstance(record, dict) or not str(record.get("text") or "").strip() or not record.get("id"):
        raise CorpusError(f"{where}: each line needs at least non-empty \"id\" and \"text\"")
    text = str(record["text"])
    meta = {k: str(record[k]) for k in METADATA_KEYS if record.get(k)}
    meta.setdefault("title", first_line_title(text))
    return Article(doc_id=str(record["id"]), text=text, path=where.rsplit(":", 1)[0], **meta)


_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
               "figcaption", "blockquote", "header", "footer", "table", "ul", "ol"}
_SKIP_TAGS = {"script", "style", "nav", "noscript", "template", "svg", "head", "aside", "form", "button"}


class _TextExtractor(HTMLParser):
    """Collects visible text, one block element a paragraph; ``<article>`` (or ``<main>``) wins if present."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {"all": [], "article": [], "main": []}
        self.depth: dict[str, int] = {"article": 0, "main": 0}
        self.skip = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        if tag in self.depth:
            self.depth[tag] += 1
        if tag == "title":
            self.in_title = True
        if tag in _BLOCK_TAGS:
            self._emit("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self.skip:
            self.skip -= 1
        if tag in _BLOCK_TAGS:
            self._emit("\n\n")
        if tag in self.depth and self.depth[tag]:
            self.depth[tag] -= 1
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skip:
            self._emit(re.sub(r"\s+", " ", data))

    def _emit(self, text: str) -> None:
        self.parts["all"].append(text)
        for name, depth in self.depth.items():
            if depth:
                self.parts[name].append(text)


def html_to_text(html: str) -> tuple[str, str]:
    """(title, body text) of an HTML page: paragraphs separated by blank lines; offsets index this text."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    for name in ("article", "main", "all"):
        body = "".join(parser.parts[name])
        if body.strip():
            break
    lines = [" ".join(line.split()) for line in body.split("\n")]
    text = "\n\n".join(line for line in lines if line)
    return " ".join("".join(parser.title).split()), text
