"""RSS and Atom feeds (``.rss``, ``.atom``, ``.xml``) by feedparser: one article an entry, with its link,
date, author and the feed's title as its source; the text is the entry's full content where the feed has
it, else its summary, after its title as a ``#`` heading."""

from __future__ import annotations

import datetime
import email.utils
import hashlib
from pathlib import Path

from lxml import etree, html as lxml_html

from ..errors import CorpusError
from . import BadRecord, Extracted, Format, Items
from .markup import paragraphs


def read(path: Path, doc_id: str) -> Items:
    """An article for each entry of the feed at ``path`` with text, a BadRecord for each without."""
    import feedparser

    parsed = feedparser.parse(path.read_bytes())  # bytes, never a name: feedparser fetches what looks like a URL
    if not parsed.entries:
        why = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        raise CorpusError(f"{path}: not an RSS or Atom feed with entries{why}")
    source = " ".join(str(parsed.feed.get("title", "")).split())
    for number, entry in enumerate(parsed.entries, 1):
        title = " ".join(str(entry.get("title", "")).split())
        body = _body(entry)
        if not body:
            yield BadRecord(f"{path}#{number}", f"entry {number} ({title or 'untitled'}) has neither content nor a summary")
            continue
        key = entry.get("id") or entry.get("link") or title or str(number)
        meta = {"title": title, "url": str(entry.get("link", "")), "date": _date(entry), "source": source,
                "author": str(entry.get("author") or parsed.feed.get("author") or "")}
        text = "\n\n".join(([f"# {title}"] if title else []) + body) + "\n"
        yield Extracted(f"{doc_id}/{_short_hash(key)}", text, {k: v for k, v in meta.items() if v},
                        parsed.get("encoding", "") or "utf-8")


def _body(entry) -> list[str]:
    """The paragraphs of an entry's fullest text: its longest content, else its summary."""
    contents = [c for c in entry.get("content", []) if str(c.get("value", "")).strip()]
    if contents:
        chosen = max(contents, key=lambda c: len(c["value"]))
        value, kind = chosen["value"], chosen.get("type", "text/html")
    else:
        value, kind = entry.get("summary", ""), entry.get("summary_detail", {}).get("type", "text/html")
    if not str(value).strip():
        return []
    if "html" not in kind:
        return [" ".join(part.split()) for part in str(value).split("\n\n") if part.strip()]
    try:
        return paragraphs(lxml_html.fragment_fromstring(value, create_parent="div"))
    except (etree.ParserError, ValueError):
        return [" ".join(str(value).split())]


def _date(entry) -> str:
    """The entry's publication (else update) date, YYYY-MM-DD, in the time zone the feed wrote it in."""
    for name in ("published", "updated"):
        raw = str(entry.get(name, "")).strip()
        if not raw:
            continue
        try:
            return datetime.datetime.fromisoformat(raw.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass
        try:
            return email.utils.parsedate_to_datetime(raw).date().isoformat()
        except (TypeError, ValueError):
            parsed = entry.get(f"{name}_parsed")
            if parsed:
                return datetime.date(*parsed[:3]).isoformat()
    return ""


def _short_hash(key: str) -> str:
    """A short stable id for an entry (from its id, link or title): the same entry keeps it when the feed grows."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()


def version() -> str:
    import feedparser

    return f"feedparser {feedparser.__version__}"


FORMAT = Format("feed", (".rss", ".atom", ".xml"), read, derived=True, version=version, many=True)
