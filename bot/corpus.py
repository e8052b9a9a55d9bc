"""Read article files (.txt, .md, .html, .jsonl, with optional .meta.json sidecars) into Articles."""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

import charset_normalizer

from .errors import CorpusError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (*TEXT_SUFFIXES, ".html", ".htm", ".jsonl")
META_SUFFIX = ".meta.json"
METADATA_KEYS = ("title", "source", "date", "url", "lang", "author")
# Byte-order marks, the longer first (a UTF-32 LE mark begins with the UTF-16 LE one), and their codecs.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Two of charset-normalizer's readings closer than this in mess and in coherence are a tie it cannot break.
CLOSE = 0.05
PIECES, PIECE_BYTES = 8, 512  # of a file no encoding reads whole, the pieces guessed one by one for a hint


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
    """Articles in one file: one for .txt/.md/.html, one a line for .jsonl.

    A bad .jsonl line raises CorpusError, or with ``on_bad_line`` is passed to it as ``(where, why)``
    and skipped, so one bad line does not lose the rest of the file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        what = f"a {suffix} file" if suffix else "a file without an extension"
        raise CorpusError(f"{path}: {what} is not an article Wenda reads; it reads {', '.join(SUFFIXES)} files "
                          "(corpus/README.md describes them)")
    if suffix == ".jsonl":
        yield from _read_jsonl(path, on_bad_line)
        return
    text, encoding = decode_file(path)
    meta = _sidecar(path)
    doc_id = str(path.relative_to(root).with_suffix(""))
    if suffix in (".html", ".htm"):
        html_title, text = html_to_text(text)
        if html_title:  # a page without <title> falls back to its first line, like a .txt
            meta.setdefault("title", html_title)
    if not text.strip():
        raise CorpusError(f"{path}: the file has no text")
    meta.setdefault("title", first_line_title(text))
    yield Article(doc_id=doc_id, text=text, path=str(path), encoding=encoding, **meta)


def first_line_title(text: str) -> str:
    """The first non-empty line, without Markdown heading marks."""
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()
    return ""


def decode_file(path: Path) -> tuple[str, str]:
    """The text of a file and the encoding it was read from: the one its byte-order mark names, else
    UTF-8, else charset-normalizer's reading when one is clearly the best. CorpusError says how to convert
    a file that none of them reads, naming the likely encodings where there are some."""
    data = path.read_bytes()
    codec = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(codec), _encoding_name(codec, data)
    except UnicodeDecodeError as error:
        if codec != "utf-8":
            name = _encoding_name(codec, data)
            raise CorpusError(f"{path} starts with a {name} byte-order mark but is not {name} (byte {error.start}); "
                              "save it again as UTF-8") from None
        not_utf8 = f"{path} is not UTF-8 (byte {error.start})"
    guess = guess_encoding(data)
    if guess.text is not None:
        return guess.text, guess.encoding
    if guess.likely:
        raise CorpusError(f"{not_utf8}, and its encoding cannot be told for sure ({' or '.join(guess.likely)} "
                          f"would read it); convert it, e.g. `{_iconv(guess.likely[0], path)}`")
    mostly = _piecewise_guess(data)
    if mostly:
        raise CorpusError(f"{not_utf8}, and no encoding reads all of it: it is mostly {mostly} but has bytes that "
                          f"are not (damaged?); convert what can be, e.g. `{_iconv(mostly, path, lossy=True)}`")
    raise CorpusError(f"{not_utf8}, and no text encoding reads it: is it a text file? Save the article as UTF-8 text")


@dataclass(frozen=True)
class Guess:
    """What charset-normalizer makes of bytes that are not UTF-8: the text and its encoding when one
    reading is clearly the best, else the encodings whose readings it cannot choose between (none: it
    found no reading at all)."""

    text: str | None = None
    encoding: str = ""
    likely: tuple[str, ...] = ()


def guess_encoding(data: bytes) -> Guess:
    """charset-normalizer's reading of ``data`` if it is clearly the best (Guess.text), else the likely
    encodings.

    Readings tie on a short text or one with few non-ASCII bytes (Big5 and CP932 both read 40 bytes of
    Chinese; cp1250 and cp850 an English text with two accents). Encodings that give the same text are
    one reading. Wenda reads Chinese and English, so of readings that tie, one with clearly more ASCII
    and ideographs than the others wins; otherwise nothing is guessed."""
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return Guess()
    best = matches[0]
    tied = [best, *(m for m in matches[1:] if m.chaos - best.chaos < CLOSE and best.coherence - m.coherence < CLOSE)]
    readings: dict[str, list[str]] = {}  # text -> the encodings that read it so
    for match in tied:
        try:
            readings.setdefault(data.decode(match.encoding), []).append(_encoding_name(match.encoding))
        except UnicodeDecodeError:  # judged on samples of a large file, and wrong elsewhere
            continue
    ranked = sorted(readings.items(), key=lambda reading: _served_share(reading[0]), reverse=True)  # stable
    if not ranked:
        return Guess()
    if len(ranked) > 1 and _served_share(ranked[0][0]) - _served_share(ranked[1][0]) < CLOSE:
        return Guess(likely=tuple(names[0] for _, names in ranked))
    text, names = ranked[0]
    return Guess(text, names[0])


def _piecewise_guess(data: bytes) -> str:
    """The encoding most of the first few pieces of ``data`` read as ("" if none does), for the hint on a
    file that no encoding reads whole: a damaged byte spoils the whole but not the pieces without it.
    Pieces end at line breaks, which never split a character of an ASCII-compatible encoding."""
    found: Counter[str] = Counter()
    start = 0
    for _ in range(PIECES):
        end = data.find(b"\n", start + PIECE_BYTES)
        end = len(data) if end < 0 else end
        guess = guess_encoding(data[start:end])
        if guess.text is not None:
            found[guess.encoding] += 1
        if end >= len(data):
            break
        start = end + 1
    return found.most_common(1)[0][0] if found else ""


_NOT_SERVED = re.compile(r"[^\x00-\x7f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _served_share(text: str) -> float:
    """Share of ``text`` in the scripts Wenda serves: ASCII and CJK ideographs."""
    return len(_NOT_SERVED.sub("", text)) / len(text) if text else 0.0


def _encoding_name(codec: str, data: bytes = b"") -> str:
    """The canonical name of a codec (``utf_16_le`` → ``utf-16-le``); a BOM-reading codec by the byte
    order ``data`` starts with."""
    if codec in ("utf-16", "utf-32"):
        little = data.startswith(codecs.BOM_UTF32_LE if codec == "utf-32" else codecs.BOM_UTF16_LE)
        return f"{codec}-{'le' if little else 'be'}"
    return codecs.lookup(codec).name


def _iconv(encoding: str, path: Path, lossy: bool = False) -> str:
    """The iconv command that converts ``path`` from ``encoding`` (iconv spells UTF-16LE without a dash),
    ``lossy``: leaving out what does not convert."""
    name = re.sub(r"^(UTF-(?:16|32))-", r"\1", encoding.upper())
    return f"iconv {'-c ' if lossy else ''}-f {name} -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}"


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
    text, encoding = decode_file(path)
    if not text.strip():  # as for an empty .txt: reported, not silently nothing
        raise CorpusError(f"{path}: the file has no text")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{where}: not JSON ({error.msg})") from None
            article = article_from_record(record, where, encoding)
        except CorpusError as error:
            if on_bad_line is None:
                raise
            on_bad_line(where, str(error))
            continue
        yield article


def article_from_record(record: object, where: str, encoding: str = "utf-8") -> Article:
    """An Article from a JSON object with ``id``, ``title``, ``text`` and optional metadata, read from a
    file in ``encoding``."""
    if not isinstance(record, dict) or not str(record.get("text") or "").strip() or not record.get("id"):
        raise CorpusError(f"{where}: each line needs at least non-empty \"id\" and \"text\"")
    text = str(record["text"])
    meta = {k: str(record[k]) for k in METADATA_KEYS if record.get(k)}
    meta.setdefault("title", first_line_title(text))
    return Article(doc_id=str(record["id"]), text=text, path=where.rsplit(":", 1)[0], encoding=encoding, **meta)


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
