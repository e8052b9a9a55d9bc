"""Article file formats: one module a format, each a ``Format`` that turns one file into the articles it
holds, chosen by the file's suffix through ``format_for``.

A format either reads its text straight from the file (``.txt``, ``.md``, ``.jsonl``: offsets point into
the decoded file) or extracts it (``derived``: web pages, PDF, Word, feeds), in which case the corpus
keeps the extracted text beside the file (``bot/corpus.py``) and offsets point into that. Extracted text
is written as plain paragraphs a blank line apart, headings marked ``#`` as in Markdown, list items
``- ``, table rows ``| … |`` and PDF pages ended by a form feed, which ``bot/clean.py`` reads.
A new format is one module here and one line in ``FORMATS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..errors import CorpusError


@dataclass(frozen=True)
class Extracted:
    """One article as a format read it: its id, its text (every offset points into it), the metadata the
    file gave (title, source, date, url, lang, author) and the encoding the text was decoded from."""

    doc_id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"


class BadRecord(CorpusError):
    """One record of a file that holds many (a .jsonl line, a feed entry) that cannot be an article: said
    where (``file:line``, or the file) and why, so the rest of the file is still read."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where}: {why}")
        self.where = where


# A format yields an Extracted for each article, or a BadRecord for a record it could not read.
Items = Iterator["Extracted | BadRecord"]


@dataclass(frozen=True)
class Format:
    """A file format: its name, the suffixes it is chosen by, and ``read(path, doc_id)`` giving the articles
    of the file (``doc_id`` is the file's own id, its path under the corpus without the suffix).
    ``derived``: its text is extracted from the file rather than the file's own characters;
    ``version`` names the library doing it, recorded beside the kept text."""

    name: str
    suffixes: tuple[str, ...]
    read: Callable[[Path, str], Items]
    derived: bool = False
    version: Callable[[], str] = lambda: ""
    many: bool = False  # one file holds many articles (each with its own id; no sidecar metadata)


def _formats() -> tuple[Format, ...]:
    from . import feed, jsonl, markdown, pdf, plain, webpage, word

    return (plain.FORMAT, markdown.FORMAT, webpage.FORMAT, jsonl.FORMAT, pdf.FORMAT, word.FORMAT, feed.FORMAT)


FORMATS = _formats()
BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
SUFFIXES = tuple(BY_SUFFIX)


def format_for(path: Path) -> Format:
    """The format of ``path`` by its suffix, or a CorpusError listing the ones Wenda reads."""
    suffix = path.suffix.lower()
    if suffix not in BY_SUFFIX:
        what = f"a {suffix} file" if suffix else "a file without an extension"
        raise CorpusError(f"{path}: {what} is not an article Wenda reads; it reads {', '.join(SUFFIXES)} files "
                          "(corpus/README.md describes them)")
    return BY_SUFFIX[suffix]
