"""Markdown (``.md``): the file is the article as written, marks and all (offsets point into it); its title is
its first level-one heading (``# …``), else its first line."""

from __future__ import annotations

import re
from pathlib import Path

from . import Extracted, Format, Items
from .charset import decode_file

_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def read(path: Path, doc_id: str) -> Items:
    """The one article of a Markdown file, titled by its first ``# heading`` when it has one."""
    text, encoding = decode_file(path)
    title = _TITLE.search(text)
    yield Extracted(doc_id, text, {"title": title.group(1).strip()} if title else {}, encoding)


FORMAT = Format("markdown", (".md",), read)
