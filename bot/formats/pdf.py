"""PDF (``.pdf``): the text layer in reading order by pdfminer.six's layout analysis, one text box a
paragraph, each page ended by a form feed (so a citation knows its page); the running header and footer a
page repeats, and page numbers, left out; larger type marked as headings. A PDF without a text layer (a
scan) is refused with what to do. Lines are kept as the page breaks them: ``bot/clean.py`` joins a word
hyphenated at a line end and a Chinese sentence broken across lines."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from . import Extracted, Format, Items

PAGE_END = "\f"
MARGIN = 0.1  # of the page's height at the top and at the bottom, where running heads and folios sit
HEADING_RATIO = 1.15  # type this much larger than the body's is a heading
_PAGE_NUMBER = re.compile(r"^(?:(?:page|p\.)\s*)?\d+(?:\s*(?:of|/)\s*\d+)?$|^[-–—]\s*\d+\s*[-–—]$|^第\s*\d+\s*[頁页]"
                          r"(?:\s*[,，]?\s*共\s*\d+\s*[頁页])?$", re.IGNORECASE)
_CID = re.compile(r"\(cid:\d+\)")
_JUNK_TITLE = re.compile(r"^(?:untitled|microsoft word - .*|.*\.(?:docx?|pdf|indd|rtf))$", re.IGNORECASE)


@dataclass(frozen=True)
class Box:
    """A text box of a page: its lines, mean type size, and whether it sits in the top or bottom margin."""

    lines: tuple[str, ...]
    size: float
    margin: bool

    @property
    def key(self) -> str:
        """The box's text with every number as ``#``: a running head or folio is the same on every page."""
        return re.sub(r"\d+", "#", " ".join(" ".join(self.lines).split()))


def read(path: Path, doc_id: str) -> Items:
    """The article of one PDF: its pages' text, a form feed after each."""
    pages, info = _layout(path)
    if not any(box.lines for page in pages for box in page):
        raise CorpusError(f"{path}: the PDF has no text layer, only pictures of pages (a scan?); run OCR on it, e.g. "
                          f"`ocrmypdf {path.name} {path.stem}.ocr.pdf`, and add the result")
    furniture = _furniture(pages)
    body = [box for page in pages for box in page if box.key not in furniture]
    sizes = [box.size for box in body for _ in "".join(box.lines)]
    usual = statistics.median(sizes) if sizes else 0.0
    largest = max((box.size for box in body), default=0.0)
    written = []
    for page in pages:
        paragraphs = [_paragraph(box, usual, largest) for box in page if box.key not in furniture]
        written.append("\n\n".join(paragraphs) + f"\n{PAGE_END}\n")
    text = "".join(written)
    meta = {"title": info.get("title", ""), "author": info.get("author", ""), "date": info.get("date", "")}
    if not meta["title"]:
        meta["title"] = next((line.lstrip("# ") for line in text.split("\n") if line.startswith("# ")), "")
    yield Extracted(doc_id, text, {k: v for k, v in meta.items() if v}, "")


def _paragraph(box: Box, usual: float, largest: float) -> str:
    """A box as a paragraph; a short box in larger type is a heading (``#`` for the largest, the title)."""
    text = "\n".join(box.lines)
    if usual and box.size >= usual * HEADING_RATIO and len(box.lines) <= 2:
        return ("# " if box.size >= largest else "## ") + " ".join(box.lines)
    return text


def _furniture(pages: list[list[Box]]) -> set[str]:
    """The texts (numbers as ``#``) of margin boxes that repeat on two pages or more, or that are a page number."""
    seen: dict[str, int] = {}
    for page in pages:
        for key in {box.key for box in page if box.margin}:
            seen[key] = seen.get(key, 0) + 1
    numbers = {box.key for page in pages for box in page if box.margin and _PAGE_NUMBER.match(" ".join(box.lines))}
    return {key for key, count in seen.items() if count >= 2} | numbers


def _layout(path: Path) -> tuple[list[list[Box]], dict[str, str]]:
    """Every page's text boxes in reading order, and the document's title, author and date."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTChar, LTTextContainer
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException

    pages: list[list[Box]] = []
    try:
        with path.open("rb") as file:
            document = PDFDocument(PDFParser(file))
            resources = PDFResourceManager()
            device = PDFPageAggregator(resources, laparams=LAParams())
            interpreter = PDFPageInterpreter(resources, device)
            for page in PDFPage.create_pages(document):
                interpreter.process_page(page)
                layout = device.get_result()
                boxes = []
                for element in layout:
                    if not isinstance(element, LTTextContainer):
                        continue
                    lines = tuple(line for line in (_CID.sub("", line).strip() for line in
                                                    element.get_text().splitlines()) if line)
                    chars = [c.size for line in element for c in line if isinstance(c, LTChar)]
                    margin = element.y0 >= layout.height * (1 - MARGIN) or element.y1 <= layout.height * MARGIN
                    if lines:
                        boxes.append(Box(lines, statistics.fmean(chars) if chars else 0.0, margin))
                pages.append(boxes)
            info = _info(document.info[0] if document.info else {})
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise CorpusError(f"{path}: the PDF is password-protected; save an unprotected copy and add that") from None
    except (PDFException, PSException, ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"{path}: not a PDF that can be read ({type(error).__name__}: {error}); is it damaged?") from None
    return pages, info


def _info(raw: dict) -> dict[str, str]:
    """Title, author and date (YYYY-MM-DD) from a PDF's document information, where they are real."""
    from pdfminer.utils import decode_text

    def text(name: str) -> str:
        value = raw.get(name)
        value = getattr(value, "resolve", lambda: value)()
        return " ".join(decode_text(value).split()) if isinstance(value, bytes) else ""

    title = text("Title")
    date = re.match(r"D:(\d{4})(\d{2})(\d{2})", text("CreationDate"))
    return {"title": "" if _JUNK_TITLE.match(title) else title, "author": text("Author"),
            "date": "-".join(date.groups()) if date else ""}


def version() -> str:
    from importlib.metadata import version as installed

    return f"pdfminer.six {installed('pdfminer.six')}"


FORMAT = Format("pdf", (".pdf",), read, derived=True, version=version)
