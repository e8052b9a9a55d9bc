"""A corpus of real text at any size: sentences of the shared QA data sets re-shuffled into distinct articles.

Every paragraph is kept under the passage limit, so one paragraph makes one passage and the passage
count is known before indexing. The questions of the same data sets make the benchmark's queries.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from bot.text import split_sentences

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SOURCES = ("drcd_dev.json", "cmrc2018_dev.json", "xquad_zh_public.json", "xquad_en_public.json")
ARTICLES_PER_FILE = 2000
MANIFEST = "bench-corpus.json"


@dataclass(frozen=True)
class Pools:
    """Sentences and titles of each language, and the data sets' questions."""

    sentences: dict[str, list[str]]
    titles: dict[str, list[str]]
    questions: list[str]


def read_pools(data: Path = DATA) -> Pools:
    """Distinct sentences, titles and questions of the shared SQuAD-format data sets."""
    sentences: dict[str, dict[str, None]] = {"zh": {}, "en": {}}
    titles: dict[str, dict[str, None]] = {"zh": {}, "en": {}}
    questions: list[str] = []
    for name in SOURCES:
        path = data / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: the benchmark builds its corpus from ../shared/data")
        language = "en" if "_en_" in name else "zh"
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            titles[language][article.get("title") or "untitled"] = None
            for paragraph in article["paragraphs"]:
                for sentence in split_sentences(paragraph["context"]):
                    if 8 <= len(sentence.text) <= (300 if language == "en" else 150):
                        sentences[language][sentence.text] = None
                questions += [qa["question"] for qa in paragraph["qas"]]
    return Pools({k: list(v) for k, v in sentences.items()}, {k: list(v) for k, v in titles.items()}, questions)


def make_corpus(folder: Path, passages: int, seed: int = 7, max_chars: int = 380, data: Path = DATA) -> dict:
    """Write JSONL article files holding about ``passages`` one-passage paragraphs into ``folder``.

    Reuses the folder when it already holds the corpus of the same size and seed (its
    ``bench-corpus.json`` says so), since generating is the same work every time.
    """
    wanted = {"passages": passages, "seed": seed, "max_chars": max_chars, "sources": list(SOURCES)}
    marker = folder / MANIFEST
    if marker.exists() and {k: v for k, v in json.loads(marker.read_text()).items() if k in wanted} == wanted:
        return json.loads(marker.read_text())
    pools = read_pools(data)
    rng = random.Random(seed)
    weights = {k: len(v) for k, v in pools.sentences.items()}
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("articles-*.jsonl"):
        old.unlink()
    paragraphs = articles = 0
    batch: list[str] = []
    while paragraphs < passages:
        language = rng.choices(list(weights), weights=list(weights.values()))[0]
        pool = pools.sentences[language]
        count = min(rng.randint(3, 9), passages - paragraphs)
        body = [_paragraph(pool, rng, max_chars, " " if language == "en" else "") for _ in range(count)]
        title = f"{rng.choice(pools.titles[language])} ({articles + 1})"
        batch.append(json.dumps({"id": f"bench-{articles:06d}", "title": title, "text": "\n\n".join(body),
                                 "lang": language}, ensure_ascii=False))
        paragraphs += count
        articles += 1
        if len(batch) == ARTICLES_PER_FILE:
            _flush(folder, batch, articles)
    if batch:
        _flush(folder, batch, articles)
    info = {**wanted, "articles": articles, "paragraphs": paragraphs,
            "distinct_sentences": {k: len(v) for k, v in pools.sentences.items()}}
    marker.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def _paragraph(pool: list[str], rng: random.Random, max_chars: int, joiner: str) -> str:
    """Two to six random sentences, stopping before the paragraph would pass ``max_chars``."""
    out = [rng.choice(pool)]
    for _ in range(rng.randint(1, 5)):
        sentence = rng.choice(pool)
        if len(joiner.join(out)) + len(joiner) + len(sentence) > max_chars:
            break
        out.append(sentence)
    return joiner.join(out)


def _flush(folder: Path, batch: list[str], articles: int) -> None:
    number = (articles - 1) // ARTICLES_PER_FILE
    (folder / f"articles-{number:03d}.jsonl").write_text("\n".join(batch) + "\n", encoding="utf-8")
    batch.clear()


def sample_questions(pools: Pools, n: int, seed: int = 7) -> list[str]:
    """``n`` questions drawn from every data set (a fixed sample, so runs compare)."""
    rng = random.Random(seed)
    return rng.sample(pools.questions, min(n, len(pools.questions)))
