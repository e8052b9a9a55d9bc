"""Word documents (``.docx``) by python-docx: paragraphs in order, headings (and the title) marked ``#`` so
they become the sections of the passages under them, list items ``- ``, tables a row a line ``| … |``;
title, author and date from the document's properties."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import CorpusError
from . import Extracted, Format, Items

_HEADING = re.compile(r"^(?:heading|標題|标题)\s*(\d)$", re.IGNORECASE)


def read(path: Path, doc_id: str) -> Items:
    """The article of one Word document."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise CorpusError(f"{path}: not a Word document that can be read ({type(error).__name__}); save it again "
                          "as .docx (Word 2007 or later)") from None
    blocks = []
    for part in document.iter_inner_content():
        blocks.append(_table(part) if isinstance(part, Table) else _paragraph(part))
    text = "\n\n".join(block for block in blocks if block)
    properties = document.core_properties
    shown = next((block[2:] for block in blocks if block.startswith("# ")), "")  # the title as the page shows it
    title = shown or (properties.title or "").strip()
    meta = {"title": title, "author": (properties.author or "").strip(),
            "date": properties.created.date().isoformat() if properties.created else ""}
    yield Extracted(doc_id, text + "\n" if text else "", {k: v for k, v in meta.items() if v}, "")


def _paragraph(paragraph) -> str:
    """A paragraph as written (its line breaks kept), a heading marked by its level, a list item by ``- ``."""
    text = "\n".join(line.strip() for line in paragraph.text.split("\n") if line.strip())
    if not text:
        return ""
    style = paragraph.style.name if paragraph.style is not None else ""
    heading = _HEADING.match(style)
    if style == "Title" or heading:
        return "#" * (int(heading.group(1)) + 1 if heading else 1) + " " + " ".join(text.split())
    if style.startswith("List") or paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None:
        return "- " + text
    return text


def _table(table) -> str:
    """A table a row a line, its cells between bars (a merged cell once)."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or text != cells[-1]:
                cells.append(text)
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def version() -> str:
    from importlib.metadata import version as installed

    return f"python-docx {installed('python-docx')}"


FORMAT = Format("docx", (".docx",), read, derived=True, version=version)
