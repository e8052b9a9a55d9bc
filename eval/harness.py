"""Run a benchmark: build (or reuse) its index, ask every question under each retrieval mode, time
the queries, extract answers in one mode, and score everything.

Two passes keep a full run short: first every question is searched in every mode, then answers are
extracted from the answer mode's passages. The encoder is the slow part and embeds each text on its
own, so the harness encodes in batches what the bot would encode one by one (the questions; the
sentences of the passages answers are drawn from) and reuses the vectors; results are the same.
Latency is timed as the bot spends it, without those batches, on an evenly spread sample of about
``LATENCY_SAMPLE`` questions: a mode's search plus the tokenising (BM25) and encoding (dense) it
needs, and for answers the answer mode's search plus extraction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from tqdm import tqdm

from bot import Bot, Settings
from bot.answer import extract
from bot.encoders import Encoder
from bot.errors import IndexStoreError, QueryError
from bot import store
from bot.index import Index, build, load, read_manifest
from bot.retrieve import Hit, Query
from bot.settings import MODES
from bot.text import split_sentences

from . import EvalError
from .metrics import CURVE, HEADLINE, Prediction, answer_scores, latency, per_query_scores
from .readers import Benchmark, Question, Ranking, with_evidence_passages, write_qrels, write_run
from .report import summary, write_report

log = logging.getLogger(__name__)

RUNS = Path(__file__).resolve().parent / "runs"  # default home of indexes, reports and run files (git-ignored)
DEPTH = 20  # ids kept per query: Recall@k is reported up to k = 20
PASSAGES = 100  # passages fetched per query, enough to fill DEPTH distinct documents
LATENCY_SAMPLE = 500  # questions timed per run (all of them in smaller sets)
BATCH = 256  # texts per batched encoder call


class SentenceCache:
    """The bot's encoder, remembering the vector of every passage text it has encoded; ``preload``
    encodes many at once.

    The encoder embeds each text on its own, so a remembered vector is the one it would compute
    again (to float rounding) and the answers do not change; only the time does.
    """

    def __init__(self, encoder: Encoder) -> None:
        self.encoder, self.name, self.dim = encoder, encoder.name, encoder.dim
        self._vectors: dict[str, np.ndarray] = {}

    def preload(self, texts: Iterable[str], progress: bool = False) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        self._vectors.update(zip(missing, _encode_in_batches(missing, self.encoder.encode_passages, "sentence vectors",
                                                             progress)))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.preload(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


@dataclass
class IndexInfo:
    """Where the index is, how long it took to build, and whether this run reused it."""

    folder: Path
    manifest: dict
    reused: bool

    def summary(self) -> dict:
        m = self.manifest
        return {"folder": str(self.folder), "reused": self.reused, "build_s": m["build_s"],
                "build_stage_s": m.get("build_stage_s", {}), "built_at": m["built_at"], "encoder": m["encoder"],
                "articles": m["articles"], "passages": m["passages"], "settings": m["settings"]}


@dataclass
class ModeRun:
    """One mode's ranked ids per question and its per-question latency."""

    mode: str
    rankings: dict[str, Ranking] = field(default_factory=dict)
    latency_ms: list[float] = field(default_factory=list)  # the timed questions only


@dataclass(frozen=True)
class AnswerRecord:
    """The answer given to one question (for ``questions.jsonl`` and the answer metrics)."""

    qid: str
    question: str
    found: bool
    text: str
    sentence: str
    confidence: float
    citation_id: str
    latency_ms: float | None  # retrieval + extraction; None when not timed (see LATENCY_SAMPLE)
    gold: tuple[str, ...]
    answerable: bool


@dataclass
class Outcome:
    """Everything one evaluation produced, before scoring."""

    benchmark: Benchmark
    index: IndexInfo
    settings: Settings
    modes: dict[str, ModeRun]
    answer_mode: str | None
    answers: list[AnswerRecord]
    skipped: list[tuple[str, str]]
    query_s: float
    sentences: SentenceCache


def fingerprint(benchmark: Benchmark) -> str:
    """SHA-256 of every article's id, title and text: the index is reused only while it is unchanged."""
    digest = hashlib.sha256()
    for a in benchmark.articles:
        digest.update(f"{a.doc_id}\0{a.title}\0{a.text}\0".encode())
    return digest.hexdigest()


def prepare_index(benchmark: Benchmark, folder: Path, settings: Settings, rebuild: bool = False,
                  progress: bool = True) -> tuple[Index, IndexInfo]:
    """The index of ``benchmark`` in ``folder``: reused when built from the same articles with the same
    index settings, otherwise (re)built."""
    digest = fingerprint(benchmark)
    try:
        store.check_writable(folder)
    except IndexStoreError as error:
        raise EvalError(f"{error.args[0].split(';')[0]}; give an empty or new --index-dir") from None
    if store.holds_index(folder) and not rebuild:
        try:
            m = read_manifest(folder)
            if m.get("corpus", {}).get("fingerprint") == digest and m.get("settings") == settings.index_fields():
                index = load(folder)
                log.info("reusing the index in %s (built %s in %.1f s)", folder, m["built_at"], m["build_s"])
                return index, IndexInfo(folder, index.manifest, reused=True)
            log.info("the index in %s was built from other articles or settings; rebuilding", folder)
        except IndexStoreError as error:
            log.info("rebuilding: %s", error)
    info = {"benchmark": benchmark.name, "sources": list(benchmark.sources), "fingerprint": digest}
    build(benchmark.articles, folder, settings, corpus_info=info, progress=progress)
    index = load(folder)
    return index, IndexInfo(folder, index.manifest, reused=False)


def run(benchmark: Benchmark, index_dir: Path, settings: Settings, modes: Sequence[str], answers: bool = True,
        rebuild: bool = False, progress: bool = True) -> Outcome:
    """Index ``benchmark`` and ask each question in every mode; answers come from the default mode's
    hits (or the first mode's when the default is not run)."""
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise EvalError(f"unknown mode {unknown[0] if unknown else ''!r}; choose from {', '.join(MODES)} or all")
    index, info = prepare_index(benchmark, index_dir, settings, rebuild, progress)
    if benchmark.unit == "passage":
        benchmark = with_evidence_passages(benchmark, index.passages)
    missing = len({a.doc_id for a in benchmark.articles} - {p.doc_id for p in index.passages})
    if missing:
        log.warning("%d of %d articles produced no passage and cannot be retrieved", missing, len(benchmark.articles))
    bot = Bot(index, settings)
    answer_mode = None
    if answers and benchmark.has_answers:
        answer_mode = bot.settings.mode if bot.settings.mode in modes else modes[0]
    outcome = Outcome(benchmark, info, bot.settings, {m: ModeRun(m) for m in modes}, answer_mode, [], [], 0.0,
                      SentenceCache(bot.encoder))
    _warm_up(bot, modes)
    started = time.perf_counter()
    step = max(1, len(benchmark.questions) // LATENCY_SAMPLE)
    vectors = _question_vectors(bot, benchmark.questions, progress)
    pending: list[_Pending] = []
    questions = tqdm(benchmark.questions, desc=f"{benchmark.name}: questions", unit="q", disable=not progress)
    for number, question in enumerate(questions):
        try:
            pending.append(_search(bot, question, outcome, vectors.get(question.qid), timed=number % step == 0))
        except QueryError as error:
            outcome.skipped.append((question.qid, str(error)))
    if outcome.answer_mode:
        outcome.sentences.preload((s.text for p in pending for h in p.hits[: bot.settings.answer_passages]
                                   for s in split_sentences(h.passage.text)), progress)
        for item in tqdm(pending, desc=f"{benchmark.name}: answers", unit="q", disable=not progress):
            _answer(bot, item, outcome)
    outcome.query_s = time.perf_counter() - started
    if outcome.skipped:
        log.warning("%d questions could not be asked (e.g. %s: %s); they score 0", len(outcome.skipped),
                    *outcome.skipped[0])
    return outcome


def _warm_up(bot: Bot, modes: Sequence[str]) -> None:
    """Load what the first question would otherwise pay for (jieba's dictionary, lazily loaded
    tables, the encoder) before the clock starts."""
    for text in ("什么时候开始预热？", "When does the warm-up start?"):
        query = Query(text, bot.encoder)
        for mode in modes:
            hits = bot.retriever.search(query, bot.settings.k, mode)
        extract(query, hits, bot.encoder, bot.index, bot.settings, bot.reader)


def _question_vectors(bot: Bot, questions: Sequence[Question], progress: bool) -> dict[str, np.ndarray]:
    """Every question's vector, encoded in batches (the timed questions are encoded again, one by one)."""
    texts = [q.text.strip() for q in questions]
    return dict(zip((q.qid for q in questions), _encode_in_batches(texts, bot.encoder.encode_queries, "question vectors",
                                                                   progress)))


def _encode_in_batches(texts: Sequence[str], encode: Callable[[Sequence[str]], np.ndarray], desc: str,
                       progress: bool) -> list[np.ndarray]:
    """``encode`` applied to ``texts`` ``BATCH`` at a time, under a progress bar: one vector a text, in order."""
    out: list[np.ndarray] = []
    for i in tqdm(range(0, len(texts), BATCH), desc=desc, unit="batch", disable=not progress):
        out.extend(encode(texts[i : i + BATCH]))
    return out


@dataclass(frozen=True)
class _Pending:
    """A searched question waiting for its answer: the answer mode's passages and search time."""

    question: Question
    query: Query
    hits: list[Hit]
    search_ms: float | None


def _search(bot: Bot, question: Question, outcome: Outcome, vector: np.ndarray | None, timed: bool) -> _Pending:
    """Search in every mode; ``timed``, encode the question on its own and record each mode's latency."""
    query = Query(bot.check_question(question.text), bot.encoder)
    tokenise_ms = _timed(lambda: query.tokens)
    if timed or vector is None:
        encode_ms = _timed(lambda: query.vector)
    else:
        query.vector = vector  # Query caches it: the batch-encoded vector is the one it would compute
        encode_ms = 0.0
    answer_hits, answer_ms = [], None
    for mode, mode_run in outcome.modes.items():
        started = time.perf_counter()
        hits = bot.retriever.search(query, PASSAGES, mode)
        ms = (time.perf_counter() - started) * 1000
        ms += (tokenise_ms if mode != "dense" else 0.0) + (encode_ms if mode != "bm25" else 0.0)
        mode_run.rankings[question.qid] = top_ids(hits, outcome.benchmark.unit, DEPTH)
        if timed:
            mode_run.latency_ms.append(ms)
        if mode == outcome.answer_mode:
            # what Bot.ask does after its search (a search for k passages keeps the first k of these)
            answer_hits, answer_ms = hits[: bot.settings.k], ms if timed else None
    return _Pending(question, query, answer_hits, answer_ms)


def _answer(bot: Bot, item: _Pending, outcome: Outcome) -> None:
    """Extract the answer; a timed question uses the bot's own encoder, the others the remembered vectors."""
    timed = item.search_ms is not None
    started = time.perf_counter()
    answer = extract(item.query, item.hits, bot.encoder if timed else outcome.sentences, bot.index, bot.settings,
                     bot.reader)
    ms = item.search_ms + (time.perf_counter() - started) * 1000 if timed else None
    cited = answer.hits[answer.citation - 1].passage.passage_id if answer.found else ""
    q = item.question
    outcome.answers.append(AnswerRecord(q.qid, q.text, answer.found, answer.text, answer.sentence, answer.confidence,
                                        cited, ms, q.answers, q.answerable))


def _timed(compute) -> float:
    started = time.perf_counter()
    compute()
    return (time.perf_counter() - started) * 1000


def top_ids(hits: Sequence[Hit], unit: str, depth: int) -> list[tuple[str, float]]:
    """The first ``depth`` distinct documents (``unit="doc"``, each at its best passage's place and
    score) or passages (``unit="passage"``) of ``hits``."""
    out: dict[str, float] = {}
    for hit in hits:
        key = hit.passage.doc_id if unit == "doc" else hit.passage.passage_id
        out.setdefault(key, hit.score)
        if len(out) == depth:
            break
    return list(out.items())


def score(outcome: Outcome) -> dict:
    """The metrics of ``outcome``: per mode retrieval metrics, the Recall@1..20 curve and latency;
    answer metrics for the answer mode; per-language breakdowns when questions are labelled."""
    judged = outcome.benchmark.judged()
    qrels = {q.qid: dict(q.relevant) for q in judged}
    languages = sorted({q.language for q in judged if q.language})
    modes = {}
    for mode, mode_run in outcome.modes.items():
        ranked = {qid: [doc for doc, _ in ranking] for qid, ranking in mode_run.rankings.items()}
        per_query = per_query_scores(qrels, ranked, tuple(dict.fromkeys(HEADLINE + CURVE)))
        means = {m: _mean(per_query[m].values()) for m in per_query}
        modes[mode] = {
            "retrieval": {m: means[m] for m in HEADLINE},
            "recall_curve": [means[m] for m in CURVE],
            "latency_ms": latency(mode_run.latency_ms),
        }
        if len(languages) > 1:
            modes[mode]["by_language"] = {
                lang: {m: _mean(per_query[m][q.qid] for q in judged if q.language == lang) for m in HEADLINE}
                for lang in languages
            }
    result = {"modes": modes, "answers": None}
    if outcome.answer_mode:
        predictions = [Prediction(a.found, a.text, a.sentence, a.gold, a.answerable) for a in outcome.answers]
        result["answers"] = {"mode": outcome.answer_mode, **answer_scores(predictions),
                             "latency_ms": latency([a.latency_ms for a in outcome.answers if a.latency_ms is not None]),
                             "latency_timed": sum(1 for a in outcome.answers if a.latency_ms is not None)}
        labelled = {q.qid: q.language for q in outcome.benchmark.questions}
        if len(languages) > 1:
            result["answers"]["by_language"] = {
                lang: answer_scores([p for p, a in zip(predictions, outcome.answers) if labelled[a.qid] == lang])
                for lang in languages
            }
    return result


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def evaluate(benchmark: Benchmark, settings: Settings, modes: Sequence[str], index_dir: Path | None = None,
             report_dir: Path | None = None, run_out: Path | None = None, answers: bool = True,
             rebuild: bool = False, progress: bool = True, command: str = "") -> dict:
    """Run and score ``benchmark``; write the TREC runs, qrels and the report folder; return ``metrics.json``.

    Defaults: the index in ``eval/runs/index/<corpus>``, the report in ``eval/runs/<name>``, the runs
    beside the report as ``run.<mode>.tsv``.
    """
    started = time.perf_counter()
    index_dir = index_dir or RUNS / "index" / (benchmark.corpus or benchmark.name)
    report_dir = report_dir or RUNS / benchmark.name
    outcome = run(benchmark, index_dir, settings, modes, answers, rebuild, progress)
    scores = score(outcome)
    files = run_files(run_out, report_dir, modes)
    for mode, path in files.items():
        write_run(path, outcome.modes[mode].rankings, f"wenda-{mode}")
    write_qrels(report_dir / "qrels.trec", outcome.benchmark.judged())
    data = summary(outcome, scores, command, report_dir, files, time.perf_counter() - started)
    write_report(report_dir, data, outcome)
    return data


def run_files(run_out: Path | None, report_dir: Path, modes: Sequence[str]) -> dict[str, Path]:
    """One TREC run file per mode: ``run_out`` itself for a single mode, ``RUN.<mode>.tsv`` for several;
    ``<report>/run.<mode>.tsv`` by default."""
    if run_out is None:
        return {mode: report_dir / f"run.{mode}.tsv" for mode in modes}
    if len(modes) == 1:
        return {modes[0]: run_out}
    return {mode: run_out.with_name(f"{run_out.stem}.{mode}{run_out.suffix or '.tsv'}") for mode in modes}
