"""Web pages (``.html``, ``.htm``): the article's main text, title, author, date, site name and address, by
trafilatura (Barbaresi 2021), from the page decoded in the charset it declares; the text kept is the
title as a ``#`` heading, then the body's paragraphs."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree, html as lxml_html

from ..errors import CorpusError
from . import Extracted, Format, Items
from .charset import decode, declared_charset
from .markup import paragraphs

# Page furniture trafilatura keeps on some pages, by the class or id news sites give it: advertisements,
# share bars, sign-up boxes. A class token equal to one of these, or starting with one and a dash.
FURNITURE = ("ad", "ads", "advert", "advertisement", "sponsor", "sponsored", "promo", "share", "social",
             "newsletter", "subscribe", "related", "comments", "cookie", "breadcrumb", "tags")
# What separates a headline from the site and section names a <title> adds (「…｜財經｜即時新聞」, "… - Site").
_SEPARATOR = re.compile(r"\s*(?:[|｜_·•»]|\s[-–—]\s|[–—])\s*")
_AUTHOR_META = ("author", "article:author", "byl", "dc.creator", "sailthru.author", "parsely-author")
_BYLINE = re.compile(r"(?:^|\s)(?:(?:記者|记者|撰文|作者)\s*[：:／/]?\s*|By\s+)([^\s|｜,，·]{2,20}(?:\s[A-Z][\w.'-]+){0,3})")
_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
SMALL_PAGE = 250  # characters: a page with less visible text than this has no furniture to tell apart
NEAR_HEADLINE = 12  # elements after the <h1> searched for a byline's author and date


def _furniture_xpath() -> str:
    """An XPath of the elements whose class or id names them as furniture (``FURNITURE``), for trafilatura's
    ``prune_xpath``."""

    def token(attribute: str, name: str) -> str:
        padded = f"concat(' ', normalize-space(translate(@{attribute}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
        padded += "'abcdefghijklmnopqrstuvwxyz')), ' ')"
        return f"contains({padded}, ' {name} ') or contains({padded}, ' {name}-')"

    tests = " or ".join(token(attribute, name) for name in FURNITURE for attribute in ("class", "id"))
    return f"//*[not(self::body) and not(self::html) and ({tests})]"


FURNITURE_XPATH = _furniture_xpath()


def read(path: Path, doc_id: str) -> Items:
    """The article of one web page (a CorpusError when it holds none)."""
    data = path.read_bytes()
    page, encoding = decode(data, path, declared_charset(data))
    try:
        text, meta = extract(page)
    except CorpusError as error:
        raise CorpusError(f"{path}: {error}") from None
    yield Extracted(doc_id, text, meta, encoding)


def extract(page: str) -> tuple[str, dict[str, str]]:
    """(kept text, metadata) of the HTML ``page``: trafilatura's main text without the page's furniture, or
    every visible paragraph of a page too small for it to judge."""
    import trafilatura

    tree = _parse(page)
    if tree is None:
        raise CorpusError("the file cannot be read as HTML")
    headlines = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    title_tag = " ".join((tree.findtext(".//title") or "").split())
    author, date = _byline(tree)
    _unwrap_layout_tables(tree)
    # dates from the page's markup only: htmldate's search of the text takes any year it mentions for one
    found = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False, include_tables=True,
                                        include_images=False, prune_xpath=FURNITURE_XPATH,
                                        date_extraction_params={"extensive_search": False, "original_date": True})
    body = paragraphs(found.body) if found is not None and found.body is not None else []
    visible = _visible(_parse(page))
    if sum(map(len, visible)) < SMALL_PAGE:  # a fragment or a page of a few lines: all of its text is the article
        body = visible
    get = (lambda name: str(getattr(found, name, None) or "")) if found is not None else (lambda name: "")
    site, categories = get("sitename"), list(getattr(found, "categories", None) or [])
    meta = {"title": headline(get("title") or title_tag, headlines, [site, *categories]),
            "author": get("author") or author, "date": get("date") or date, "source": site, "url": get("url")}
    title = meta["title"]
    if body and title and body[0].lstrip("# ") == title:
        body = body[1:]  # the headline trafilatura kept is the title already
    if not body:
        raise CorpusError("the page has no text that reads as an article")
    text = "\n\n".join(([f"# {title}"] if title else []) + body)
    return text + "\n", {key: value for key, value in meta.items() if value}


def _visible(tree: etree._Element | None) -> list[str]:
    """The paragraphs of a page's ``<article>``, else its ``<main>``, else its ``<body>`` (what the reader
    before trafilatura kept): the article of a page too small for an extractor to judge."""
    if tree is None:
        return []
    part = next((found for tag in ("article", "main", "body") if (found := tree.find(f".//{tag}")) is not None), tree)
    return paragraphs(part)


def _parse(page: str) -> etree._Element | None:
    """The page's element tree (None when it is not HTML at all)."""
    try:
        return lxml_html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", page))
    except (etree.ParserError, ValueError):
        return None


def _unwrap_layout_tables(tree: etree._Element) -> None:
    """Tables that lay a page out (their cells hold paragraphs, headings, divisions) made divisions, keeping
    of each row of columns only the column holding most of its text: the article, not the menu and sidebars
    beside it (older Chinese news sites are built so). Tables of data are left as they are."""
    for table in list(tree.iter("table")):
        if not table.xpath(".//p|.//h1|.//h2|.//h3|.//div|.//table"):
            continue
        for row in table.xpath("./tr|./tbody/tr|./thead/tr"):
            cells = [cell for cell in row if cell.tag in ("td", "th")]
            sizes = [len(cell.text_content().strip()) for cell in cells]
            if len(cells) > 1 and max(sizes) > sum(sizes) / 2:
                main = cells[sizes.index(max(sizes))]
                for cell in cells:
                    if cell is not main:
                        row.remove(cell)
        for element in [table, *table.iter("tbody", "thead", "tfoot", "tr", "td", "th")]:
            element.tag = "div"


def headline(title: str, headlines: list[str], names: list[str]) -> str:
    """``title`` without what the site adds to it: the page's ``<h1>`` when the title starts with it, else
    the title less the trailing parts that are the site's or a section's name (「…｜財經｜即時新聞」)."""
    title = " ".join(title.split())
    for h1 in (" ".join(h.split()) for h in headlines):
        rest = title[len(h1):]
        if h1 and title.startswith(h1) and (not rest or _SEPARATOR.match(rest)):
            return h1
    parts = _SEPARATOR.split(title)
    known = {" ".join(name.split()).lower() for name in names if name}
    while len(parts) > 1 and (parts[-1].lower() in known or _generic(parts[-1])):
        parts.pop()
    return title[: title.index(parts[-1]) + len(parts[-1])] if parts and parts[-1] else title


def _generic(part: str) -> bool:
    """Whether a title part is a generic section name rather than part of a headline."""
    return part.lower() in {"news", "latest news", "breaking news", "home", "即時新聞", "即时新闻", "新聞", "新闻",
                            "新聞中心", "新闻中心", "首頁", "首页", "港聞", "要聞", "要闻", "財經", "财经", "國際", "国际",
                            "娛樂", "娱乐"}


def _byline(tree: etree._Element | None) -> tuple[str, str]:
    """(author, YYYY-MM-DD date) a page gives in a ``<meta>`` tag or a byline under its headline, for what
    trafilatura leaves out: it keeps only author names with a space, which drops every Chinese name, and
    dates from the markup only."""
    if tree is None:
        return "", ""
    author = next((" ".join(meta.get("content", "").split()) for meta in tree.iter("meta")
                   if (meta.get("name") or meta.get("property") or "").lower() in _AUTHOR_META
                   and meta.get("content", "").strip()), "")
    date, after, seen = "", False, 0
    for element in tree.iter():
        if element.tag == "h1":
            after = True
            continue
        if not after or not isinstance(element.tag, str) or seen >= NEAR_HEADLINE:
            continue
        seen += 1
        text = " ".join((element.text or "").split())
        if not text or len(text) > 60:
            continue
        if not author and (found := _BYLINE.search(text)):
            author = found.group(1)
        if not date and (day := _FULL_DATE.search(text)):
            date = f"{day.group(1)}-{int(day.group(2)):02d}-{int(day.group(3)):02d}"
    return author, date


def version() -> str:
    import trafilatura

    return f"trafilatura {trafilatura.__version__}"


FORMAT = Format("html", (".html", ".htm"), read, derived=True, version=version)
