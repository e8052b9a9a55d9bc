"""Plain text (``.txt``): the file is the article, decoded as ``charset.decode`` tells; its title is its first
non-empty line (the corpus's default)."""

from __future__ import annotations

from pathlib import Path

from . import Extracted, Format, Items
from .charset import decode_file


def read(path: Path, doc_id: str) -> Items:
    """The one article of a text file: its characters, offsets and all."""
    text, encoding = decode_file(path)
    yield Extracted(doc_id, text, {}, encoding)


FORMAT = Format("text", (".txt",), read)
