"""JSON Lines (``.jsonl``): one article a line, ``{"id", "text", "title"?, "source"?, "date"?, "url"?,
"lang"?, "author"?}``; the text is the record's (offsets point into it). A bad line is reported and the
rest of the file read."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CorpusError
from . import BadRecord, Extracted, Format, Items
from .charset import decode_file

METADATA_KEYS = ("title", "source", "date", "url", "lang", "author")


def read(path: Path, doc_id: str) -> Items:
    """An article for each line of ``path`` with an id and a text, a BadRecord for each line without."""
    text, encoding = decode_file(path)
    if not text.strip():  # as for an empty .txt: reported, not silently nothing
        raise CorpusError(f"{path}: the file has no text")
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield record(line, f"{path}:{number}", encoding)


def record(line: str, where: str, encoding: str = "utf-8") -> Extracted | BadRecord:
    """The article of one line, or what is wrong with it (``where``: file and line)."""
    try:
        found = json.loads(line)
    except json.JSONDecodeError as error:
        return BadRecord(where, f"not JSON ({error.msg})")
    if not isinstance(found, dict) or not str(found.get("text") or "").strip() or not found.get("id"):
        return BadRecord(where, "each line needs at least non-empty \"id\" and \"text\"")
    meta = {k: str(found[k]) for k in METADATA_KEYS if found.get(k)}
    return Extracted(str(found["id"]), str(found["text"]), meta, encoding)


FORMAT = Format("jsonl", (".jsonl",), read, many=True)
