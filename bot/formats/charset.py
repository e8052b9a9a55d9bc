"""Bytes to text: the byte-order mark, else UTF-8, else the charset a page declares, else the encoding
charset-normalizer tells; a file none of them reads for sure is a CorpusError saying how to convert it."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from ..errors import CorpusError

# Byte-order marks, the longer first (a UTF-32 LE mark begins with the UTF-16 LE one), and their codecs.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Two of charset-normalizer's readings closer than this in mess and in coherence are a tie it cannot break.
CLOSE = 0.05
PIECES, PIECE_BYTES = 8, 512  # of a file no encoding reads whole, the pieces guessed one by one for a hint
# A declared charset names a family a browser reads with its widest member (the WHATWG Encoding Standard):
# pages labelled gb2312 hold GBK characters, pages labelled big5 hold HKSCS ones.
WIDEST = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs"}


def decode_file(path: Path, declared: str = "") -> tuple[str, str]:
    """The text of the file at ``path`` and the encoding it was read from (see ``decode``)."""
    return decode(path.read_bytes(), path, declared)


def decode(data: bytes, path: Path, declared: str = "") -> tuple[str, str]:
    """The text of ``data`` (the bytes of ``path``) and the encoding it was read from: the one its
    byte-order mark names, else UTF-8, else the ``declared`` charset (an HTML page's), else
    charset-normalizer's reading when one is clearly the best. CorpusError says how to convert a file that
    none of them reads, naming the likely encodings where there are some."""
    codec = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(codec), _encoding_name(codec, data)
    except UnicodeDecodeError as error:
        if codec != "utf-8":
            name = _encoding_name(codec, data)
            raise CorpusError(f"{path} starts with a {name} byte-order mark but is not {name} (byte {error.start}); "
                              "save it again as UTF-8") from None
        not_utf8 = f"{path} is not UTF-8 (byte {error.start})"
    if declared:
        try:
            widest = WIDEST.get(codecs.lookup(declared).name, declared)
            return data.decode(widest), _encoding_name(widest)
        except (LookupError, UnicodeDecodeError):  # an unknown or wrong label: tell the encoding as for any file
            pass
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


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
PRESCAN_BYTES = 4096  # a page declares its charset near the top (browsers look at the first 1,024 bytes)


def declared_charset(data: bytes) -> str:
    """The charset an HTML page declares in a ``<meta>`` tag near its top ("" when none)."""
    found = _META_CHARSET.search(data[:PRESCAN_BYTES])
    return found.group(1).decode("ascii").lower() if found else ""


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
