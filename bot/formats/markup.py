"""An element tree (HTML, or the XML trafilatura extracts a page's main text as) written as the paragraphs of
an extracted text: one block element a paragraph, headings marked ``#``, list items ``- ``, table rows
``| … |``, line breaks kept; scripts, styles, forms and images never become text."""

from __future__ import annotations

import re

from lxml import etree

BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "blockquote", "pre", "figure",
          "figcaption", "dd", "dt", "dl", "address", "center", "ul", "ol", "body", "html"}
HEADINGS = {f"h{level}": level for level in range(1, 7)}
SKIPPED = {"script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select", "textarea",
           "input", "object", "embed", "canvas", "audio", "video", "img", "nav", "aside", "title"}
# trafilatura's XML names for HTML's elements (its ``<head rend="h2">`` is a heading)
XML_TAGS = {"list": "ul", "item": "li", "quote": "blockquote", "code": "pre", "lb": "br", "row": "tr",
            "cell": "td", "graphic": "img", "ref": "a", "hi": "span"}
_SPACES = re.compile(r"[^\S\n]+")


def paragraphs(root: etree._Element) -> list[str]:
    """The paragraphs of ``root`` (a page's ``<body>``, a fragment, or trafilatura's extracted body) in
    document order."""
    walk = _Walk()
    walk.element(root)
    walk.flush()
    return walk.out


def html_tag(element: etree._Element) -> str:
    """The HTML name of an element of either vocabulary (``""`` for comments and processing instructions)."""
    if not isinstance(element.tag, str):
        return ""
    tag = element.tag.lower()
    if tag == "head":  # never a document's <head>: only a <body> or a fragment is walked
        return str(element.get("rend") or "h2").lower()
    return XML_TAGS.get(tag, tag)


class _Walk:
    """Collects the text of one paragraph at a time, starting a new one at every block element."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.parts: list[str] = []

    def flush(self, prefix: str = "") -> None:
        lines = [_SPACES.sub(" ", line).strip() for line in "".join(self.parts).split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.out.append(prefix + text)
        self.parts = []

    def element(self, element: etree._Element) -> None:
        tag = html_tag(element)
        if tag in SKIPPED or not tag:
            pass
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "table":
            self.flush()
            rows = [row for row in (_row(tr) for tr in element.iter() if html_tag(tr) == "tr") if row]
            self.out.append("\n".join(rows))
        elif tag in BLOCKS or tag in HEADINGS or tag in ("li", "tr"):
            self.flush()
            self.children(element)
            level = HEADINGS.get(tag, 0)
            self.flush("#" * level + " " if level else "- " if tag == "li" else "")
        else:
            self.children(element)
        if element.tail:
            self.parts.append(element.tail.replace("\n", " "))

    def children(self, element: etree._Element) -> None:
        if element.text:
            self.parts.append(element.text.replace("\n", " "))
        for child in element:
            self.element(child)


def _row(row: etree._Element) -> str:
    """A table row as ``| cell | cell |`` ("" when all its cells are empty)."""
    cells = [" ".join(" ".join(_cell(cell)).split()) for cell in row if html_tag(cell) in ("td", "th")]
    return "| " + " | ".join(cells) + " |" if any(cells) else ""


def _cell(cell: etree._Element) -> list[str]:
    """The text of a table cell, without its tail (the row's white space after it)."""
    walk = _Walk()
    walk.children(cell)
    walk.flush()
    return walk.out
