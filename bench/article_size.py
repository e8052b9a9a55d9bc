"""``python -m bench article-size``: time the passage stage of indexing (layout repair, sentences, passages:
``bot.passages.passages_for``) and BM25 tokenisation (``bot.text.tokens``) on one article of growing size,
in one process, and report passages per second: a stage that grows faster than its text shows as a rate
that falls with the size.

The articles are real text repeated to size: the seed article (Traditional Chinese, with its captions,
bylines and broken sentences) and the English paragraphs of XQuAD (``../shared/data``). Each comes in two
layouts: paragraphs a blank line apart (``zh``, ``en``), and a single line break apart (``zh-lines``,
``en-lines``), as many exported articles are, which makes the whole article one block of the cleaner.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bot.corpus import Article
from bot.passages import passages_for
from bot.settings import Settings
from bot.text import tokens

from .corpus import DATA
from .scale import machine

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_4537e6698f2b37d0.txt"
ENGLISH = DATA / "xquad_en_public.json"
ARTICLES = ("zh", "zh-lines", "en", "en-lines")
MIN_SECONDS = 2.0  # a small article is cut again until this much time has passed, for a steady rate


def parse_size(size: str) -> int:
    """Bytes in ``10K``, ``1M``, ``50M`` or a plain number (powers of 1000, as file sizes are quoted)."""
    units = {"K": 1000, "M": 1000**2, "G": 1000**3}
    text = size.strip().upper().removesuffix("B")
    try:
        return int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)
    except (ValueError, IndexError):
        raise ValueError(f"not a size: {size!r}; give e.g. 10K, 1M or 50M") from None


def paragraphs(language: str) -> list[str]:
    """The paragraphs an article of ``language`` is made of, as in their source."""
    if language == "zh":
        return [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    if not ENGLISH.exists():
        raise FileNotFoundError(f"{ENGLISH} is missing: the English articles are made of XQuAD's paragraphs "
                                "in ../shared/data (run with --articles zh,zh-lines without it)")
    data = json.loads(ENGLISH.read_text(encoding="utf-8"))["data"]
    return [p["context"] for article in data for p in article["paragraphs"]]


def make_article(name: str, size: int) -> str:
    """Article ``name`` (one of ``ARTICLES``) of at least ``size`` UTF-8 bytes: its language's paragraphs
    repeated, a blank line apart, or with ``-lines`` a line break apart."""
    language, _, layout = name.partition("-")
    base = paragraphs(language)
    separator = "\n" if layout == "lines" else "\n\n"
    out: list[str] = []
    total = i = 0
    while total < size:
        paragraph = base[i % len(base)].strip() if layout == "lines" else base[i % len(base)]
        out.append(paragraph)
        total += len(paragraph.encode("utf-8")) + len(separator)
        i += 1
    return separator.join(out) + "\n"


def measure(text: str, max_chars: int) -> dict:
    """Seconds of the passage stage and of tokenising its passages (``bot.index.split`` on one article,
    in one process): the quietest of the runs made until ``MIN_SECONDS`` have passed (one for a large
    article), since other jobs share the machine; and the rates."""
    article = Article(doc_id="bench", title="bench", text=text)
    runs: list[tuple[float, float]] = []
    while sum(map(sum, runs)) < MIN_SECONDS:
        started = time.perf_counter()
        passages = passages_for(article, max_chars)
        cut = time.perf_counter()
        token_count = sum(len(tokens(p.search_text())) for p in passages)
        runs.append((cut - started, time.perf_counter() - cut))
    passages_s, tokens_s = min(runs, key=sum)
    size = len(text.encode("utf-8"))
    return {"bytes": size, "characters": len(text), "passages": len(passages), "tokens": token_count,
            "runs": len(runs), "passages_s": round(passages_s, 4), "tokens_s": round(tokens_s, 4),
            "passages_per_s": round(len(passages) / passages_s, 1),
            "passages_per_s_with_tokens": round(len(passages) / (passages_s + tokens_s), 1),
            "mb_per_s_with_tokens": round(size / 1e6 / (passages_s + tokens_s), 3)}


def run(sizes: list[str], out: Path | None, articles: list[str], command: str) -> dict:
    """Measure every article at every size, print a Markdown table, write ``out`` as JSON if given."""
    max_chars = Settings().max_passage_chars
    tokens("預熱 warm up")  # jieba loads its dictionary on first use: not part of any article's time
    result: dict = {"command": command, "machine": machine(), "max_passage_chars": max_chars, "rows": []}
    for name in articles:
        for size in sizes:
            text = make_article(name, parse_size(size))
            row = {"article": name, "size": size, **measure(text, max_chars)}
            result["rows"].append(row)
            print(f"[bench] {name} {size}: {row['passages']:,} passages, {row['passages_s']:.3f} s + "
                  f"tokens {row['tokens_s']:.3f} s", file=sys.stderr, flush=True)
            del text
    result["flatness"] = {name: _spread([r for r in result["rows"] if r["article"] == name]) for name in articles}
    result["machine"]["load_average_end"] = list(os.getloadavg())
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    return result


def _spread(rows: list[dict]) -> dict:
    """How far apart the fastest and slowest rates are (1.0 is perfectly flat)."""
    spread = {}
    for key in ("passages_per_s", "passages_per_s_with_tokens"):
        rates = [r[key] for r in rows]
        spread[key] = round(max(rates) / min(rates), 2) if rates else None
    return spread


def table(result: dict) -> str:
    """The results as a Markdown table, one row per language and size."""
    lines = ["| article | size | characters | passages | passage stage s | passages/s | + tokens s | "
             "passages/s with tokens | MB/s with tokens |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['article']} | {r['size']} | {r['characters']:,} | {r['passages']:,} | {r['passages_s']:.3f} "
                     f"| {r['passages_per_s']:,.0f} | {r['tokens_s']:.3f} | {r['passages_per_s_with_tokens']:,.0f} "
                     f"| {r['mb_per_s_with_tokens']:.2f} |")
    lines.append("")
    for name, spread in result["flatness"].items():
        lines.append(f"{name}: fastest / slowest rate {spread['passages_per_s']}× (passage stage), "
                     f"{spread['passages_per_s_with_tokens']}× (with tokens)")
    return "\n".join(lines)
