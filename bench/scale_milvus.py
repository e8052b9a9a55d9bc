"""``python -m bench scale --backend milvus``: the milvus backend on the benchmark corpus, beside the embedded index
in the same run: build, load, end-to-end and retrieval latency per mode, each search stage, BM25 against the
embedded scores and against Milvus's own BM25 function, dense recall against exact search, ``--add`` /
``--remove``, and the memory of the client and of the Milvus server.

The Milvus builds take the embedded build's window vectors (looked up by text hash) instead of encoding the same
texts again: encoding is the same work for both backends and the embedded build times it. Without
``--milvus-uri`` the benchmark starts Milvus Lite's bundled server on 127.0.0.1 and kills it at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import faiss
import numpy as np

from bot.backends import milvus
from bot.corpus import fingerprint, read_corpus
from bot.engine import Bot
from bot.index import WINDOW_HASHES, split, text_hashes
from bot.retrieve import Query
from bot.settings import MODES

from .scale import ROOT, _PeakMemory, _latencies, _rss_mb, _say, time_stages

LOAD_QUESTIONS = 20  # a fresh process opens the index and answers these, for its start-up time and memory


class StoredVectors:
    """The embedded index's window vectors as an encoder of window texts (by text hash): a Milvus build then
    stores what the embedded build encoded."""

    def __init__(self, bot: Bot) -> None:
        self.name, self.dim = bot.encoder.name, bot.encoder.dim
        self.vectors = bot.index.vectors
        self.ids = {int(h): i for i, h in enumerate(np.load(bot.index.files / WINDOW_HASHES).tolist())}

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        ids = np.array([self.ids[int(h)] for h in text_hashes(list(texts)).tolist()], dtype=np.int64)
        return self.vectors.reconstruct_batch(ids)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError("only window texts are looked up")


class LiteServer:
    """Milvus Lite's bundled server on a free 127.0.0.1 port, killed by its PID at the end."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command, env = milvus.lite_server(folder / "bench.db", self.port)
        self.process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                                        stderr=(folder / "server.log").open("ab"))
        deadline = time.monotonic() + 60
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"Milvus Lite did not start; see {folder / 'server.log'}")
            time.sleep(0.2)
        self.uri = f"http://127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def measure(embedded: Bot, corpus: Path, asked: list[str], repeats: int, uri: str | None) -> dict:
    """Everything the module docstring lists, as a JSON-ready record; the Milvus data and index folders go beside
    the embedded index folder."""
    base = embedded.index.folder
    server = None if uri else LiteServer(Path(f"{base}-milvus-data"))
    uri = uri or server.uri
    result: dict = {"uri": uri, "server": "Milvus Lite 2.5.1 (bundled server)" if server else "given"}
    try:
        builds = _build(embedded, corpus, uri, base, server)
        result["builds"] = {name: record for name, (_, record) in builds.items()}
        folder = builds["wenda"][0]
        result["load"] = _load(folder)
        result["embedded_load"] = _load(embedded.index.folder)
        bot = Bot.open(folder)
        empty = lambda: _empty_caches(bot)  # noqa: E731  (each timed pass starts with the client's caches empty)
        _say(f"milvus: timing {len(asked)} questions x {repeats} passes in each mode")
        result["latency_ms"], result["latency_runs_ms"] = _latencies(bot, asked, repeats, modes=MODES,
                                                                     before_pass=empty)
        result["search_latency_ms"], _ = _latencies(bot, asked, repeats, search_only=True, modes=MODES,
                                                    before_pass=empty)
        server_bot = Bot.open(builds["server"][0])
        result["server_bm25_latency_ms"], _ = _latencies(server_bot, asked, repeats, modes=("bm25", "hybrid"),
                                                         before_pass=lambda: _empty_caches(server_bot))
        result["stage_ms"] = _stages(bot, server_bot, asked, repeats)
        result["bm25"] = _bm25_agreement(embedded, bot, server_bot, asked)
        result["dense_recall_at_10"] = _recall(embedded, bot, asked)
        result["grow_s"] = _grow(folder, Path(f"{base}-milvus-added.jsonl"))
        if server:
            result["server_rss_after_queries_mb"] = _rss_mb(server.process.pid)
    finally:
        if server:
            server.stop()
    return result


def _build(embedded: Bot, corpus: Path, uri: str, base: Path, server: LiteServer | None) -> dict:
    """The corpus split once, then written into two collections: Wenda's BM25 weights (the default) and Milvus's
    BM25 function; their folders and build records."""
    _say(f"milvus: reading and splitting {corpus}")
    started = time.perf_counter()
    articles = read_corpus(corpus).articles
    corpus_info = {"folder": str(corpus.resolve()), "fingerprint": fingerprint(corpus), "skipped": []}
    passages, token_lists = split(articles, embedded.settings, progress=True)
    split_s = time.perf_counter() - started
    vectors = StoredVectors(embedded)
    out = {}
    for name in ("wenda", "server"):
        folder = Path(f"{base}-milvus-{name}-index")
        settings = embedded.settings.replace(backend="milvus", milvus_uri=uri, milvus_collection=f"bench_{name}",
                                             milvus_bm25=name, workers=1)  # 1: StoredVectors in this process
        _say(f"milvus: building collection bench_{name} ({name} BM25) at {uri}")
        sampler = _PeakMemory(server.process.pid) if server else None
        if sampler:
            sampler.start()
        started = time.perf_counter()
        manifest = milvus.build(milvus.prepare(settings), folder, articles, passages, token_lists, settings,
                                corpus_info, vectors, True, started - split_s, {"passages_s": split_s})
        if sampler:
            sampler.stop()
        out[name] = (folder, {"build_s": manifest["build_s"], "build_stage_s": manifest["build_stage_s"],
                              "dense_index": manifest["dense_index"], "dense_params": manifest["milvus"]["dense_params"],
                              "server_peak_rss_mb": sampler.peak_mb if sampler else None})
    return out


def _empty_caches(bot: Bot) -> None:
    state = bot.index.state
    state.passages, state.windows, state.articles = milvus.Cache(), milvus.Cache(), milvus.Cache()


def _load(folder: Path, repeats: int = 3) -> dict:
    """``Bot.open`` in a fresh process (imports excluded), best of ``repeats``, and that process's memory once it
    has answered LOAD_QUESTIONS questions."""
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's (this process holds both indexes)
    code = ("import re, sys, time; from pathlib import Path; from bot.engine import Bot\n"
            "t = time.perf_counter(); bot = Bot.open(Path(sys.argv[1])); opened = time.perf_counter() - t\n"
            f"for q in ['深圳地铁什么时候开通？', 'Who runs the ferry?', '河套合作區在哪裏？'] * {LOAD_QUESTIONS // 3 + 1}:\n"
            "    bot.ask_json(q)\n"
            "peak = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)\n"
            "print(opened, int(peak) / 1024)")
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True,
                              check=True)
        runs.append([float(x) for x in done.stdout.split()])
    return {"bot_open_s": round(min(r[0] for r in runs), 3), "client_peak_rss_mb": round(max(r[1] for r in runs), 1),
            "runs": runs}


def _stages(bot: Bot, server_bot: Bot, questions: list[str], repeats: int) -> dict:
    """Milliseconds of each Milvus call a question makes, on its own."""
    n = max(bot.settings.k, bot.settings.candidates)
    queries = [Query(q, bot.encoder) for q in questions]
    words = [bot.retriever.lexical(q)[0] for q in queries]
    vectors = [q.vector for q in queries]
    rows = [[row for row, _ in bot.index.sparse(w, 20)] for w in words]
    stages = {
        "sparse_wenda": lambda i: bot.index.sparse(words[i], n),
        "sparse_server_bm25": lambda i: server_bot.index.sparse(words[i], n),
        "dense": lambda i: bot.index.dense(vectors[i], n),
        "fetch_20_passages": lambda i: bot.index.fetch(rows[i]),
        "window_vectors_3": lambda i: _windows_uncached(bot, rows[i][:3]),
    }
    return time_stages(stages, len(questions), repeats)


def _windows_uncached(bot: Bot, rows: list[int]) -> None:
    """Fetch the window vectors of ``rows`` from Milvus, as the first question touching them does."""
    bot.index.state.windows = milvus.Cache()
    bot.index.prefetch([], windows=rows)


def _bm25_agreement(embedded: Bot, bot: Bot, server_bot: Bot, questions: list[str], n: int = 100) -> dict:
    """How Milvus's BM25 top-n compares with the embedded one: with Wenda's weights, whether the lists are equal,
    or differ only where passages tie to float32 rounding at the cut, and the largest relative difference of a
    passage's score in both; with the server's BM25 function, the overlap of the first 10 and of all n."""
    same = same_but_ties = overlap_10 = overlap_n = 0.0
    worst = 0.0
    for q in questions:
        words = embedded.retriever.lexical(Query(q, embedded.encoder))[0]
        want, got = embedded.index.sparse(words, n), bot.index.sparse(words, n)
        scores, found = dict(want), dict(got)
        worst = max([worst, *(abs(found[r] - scores[r]) / scores[r] for r in found.keys() & scores.keys())])
        same += [r for r, _ in got] == [r for r, _ in want]
        cut = min(scores.values(), default=0.0)
        same_but_ties += all(abs(score - cut) <= 1e-6 * cut for row, score in [*got, *want]
                             if row not in scores or row not in found)
        theirs, ours = [r for r, _ in server_bot.index.sparse(words, n)], [r for r, _ in want]
        overlap_10 += len(set(theirs[:10]) & set(ours[:10])) / max(len(ours[:10]), 1)
        overlap_n += len(set(theirs) & set(ours)) / max(len(ours), 1)
    count = len(questions)
    return {"wenda_same_top_100": round(same / count, 4), "wenda_same_but_ties_at_the_cut": round(same_but_ties / count, 4),
            "wenda_max_relative_score_difference": worst, "server_overlap_at_10": round(overlap_10 / count, 4),
            "server_overlap_at_100": round(overlap_n / count, 4), "questions": count}


def _recall(embedded: Bot, bot: Bot, questions: list[str]) -> dict:
    """Recall@10 of Milvus's dense passages against exact search over the same vectors (and the embedded
    index's, for comparison)."""
    vectors = embedded.index.vectors
    _say("milvus: exact search over every window vector, for recall")
    exact = faiss.IndexFlatIP(vectors.d)
    exact.add(vectors.reconstruct_n(0, vectors.ntotal))
    exact_index = replace(embedded.index, vectors=exact)
    n = max(bot.settings.k, bot.settings.candidates)
    ours, theirs = [], []
    for q in questions:
        vector = Query(q, bot.encoder).vector
        want = {row for row, _ in exact_index.dense(vector, n)[:10]}
        ours.append(len({row for row, _ in bot.index.dense(vector, n)[:10]} & want) / max(len(want), 1))
        theirs.append(len({row for row, _ in embedded.index.dense(vector, n)[:10]} & want) / max(len(want), 1))
    return {"milvus_passages": round(float(np.mean(ours)), 4), "embedded_passages": round(float(np.mean(theirs)), 4),
            "questions": len(questions)}


def _grow(folder: Path, path: Path) -> dict:
    """Seconds of ``python -m bot index --add`` of one article and ``--remove`` of it (start-up included)."""
    path.write_text(json.dumps({"id": "bench-added", "title": "Added", "text": "深圳地铁于2004年12月28日开通。\n\n"
                                "截至2023年底，深圳地铁运营里程超过500公里。"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    out = {}
    for name, change in (("add_one_article", ["--add", str(path)]), ("remove_it", ["--remove", "bench-added"])):
        _say(f"python -m bot index --index {folder} {' '.join(change)}")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "index", "--index", str(folder), *change, "--quiet"], cwd=ROOT,
                       check=True, capture_output=True)
        out[name] = round(time.perf_counter() - started, 1)
    return out


def table_side_by_side(r: dict) -> str:
    """The embedded and the milvus backend side by side, as the Markdown table of bench/RESULTS.md."""
    m, b = r["milvus"], r["milvus"]["builds"]
    rows = [
        ("passages (articles, dense windows)", f"{r['passages']:,} ({r['articles']:,}, {r['windows']:,})", "same", "same"),
        ("build", f"{r['build_s']:.0f} s (encoding {r['build_stage_s'].get('encode_s', 0):.0f} s)",
         _build_cell(b["wenda"]), _build_cell(b["server"])),
        ("dense index", r["dense_index"], f"{b['wenda']['dense_index']} {b['wenda']['dense_params']}", "same"),
        ("load: Bot.open in a fresh process", f"{m['embedded_load']['bot_open_s']:.2f} s",
         f"{m['load']['bot_open_s']:.2f} s", ""),
        *((f"{mode} end to end p50 / p95", _cell(r["latency_ms"], mode), _cell(m["latency_ms"], mode),
           _cell(m["server_bm25_latency_ms"], mode)) for mode in MODES),
        *((f"{mode} retrieval only p50 / p95", _cell(r["search_latency_ms"], mode), _cell(m["search_latency_ms"], mode),
           "") for mode in MODES),
        ("BM25 top-100 p50 / p95", _cell(r["stage_ms"], "bm25", 2), _cell(m["stage_ms"], "sparse_wenda", 2),
         _cell(m["stage_ms"], "sparse_server_bm25", 2)),
        ("dense top-100 (400 windows) p50 / p95", _cell(r["stage_ms"], "dense_retrieve", 2),
         _cell(m["stage_ms"], "dense", 2), ""),
        ("fetch 20 passages / 3 passages' windows p50", "memory map",
         f"{m['stage_ms']['fetch_20_passages']['p50']:.2f} / {m['stage_ms']['window_vectors_3']['p50']:.2f} ms", ""),
        ("BM25 like embedded: same top-100 / same but ties at the cut / largest score difference", "reference",
         f"{m['bm25']['wenda_same_top_100']:.1%} / {m['bm25']['wenda_same_but_ties_at_the_cut']:.1%} / "
         f"{m['bm25']['wenda_max_relative_score_difference']:.1e}",
         f"overlap with Wenda's top-10 {m['bm25']['server_overlap_at_10']:.1%}, top-100 "
         f"{m['bm25']['server_overlap_at_100']:.1%}"),
        ("dense recall@10 (passages) vs exact", f"{m['dense_recall_at_10']['embedded_passages']:.3f}",
         f"{m['dense_recall_at_10']['milvus_passages']:.3f}", ""),
        ("memory: a process that opened the index and answered 20 questions",
         f"{m['embedded_load']['client_peak_rss_mb']:,.0f} MB (arrays memory-mapped)",
         f"client {m['load']['client_peak_rss_mb']:,.0f} MB + server {m.get('server_rss_after_queries_mb') or 0:,.0f} "
         f"MB (server peak {b['wenda']['server_peak_rss_mb'] or 0:,.0f} MB while building)", ""),
        ("--add one article / --remove it (CLI, start-up included)", "not re-run here",
         f"{m['grow_s']['add_one_article']:.0f} s / {m['grow_s']['remove_it']:.0f} s", ""),
    ]
    machine = r["machine"]
    lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores; load average at start "
             f"{machine['load_average_start'][0]:.1f}, at end {machine['load_average_end'][0]:.1f}; Milvus: {m['server']}.",
             "", "| measure | embedded | milvus (Wenda's BM25, default) | milvus (server BM25 function) |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def _cell(latencies: dict, key: str, digits: int = 1) -> str:
    value = latencies.get(key)
    return f"{value['p50']:.{digits}f} / {value['p95']:.{digits}f} ms" if value else ""


def _build_cell(record: dict) -> str:
    stages = record["build_stage_s"]
    return (f"{record['build_s']:.0f} s (split {stages.get('passages_s', 0):.0f} s, vectors looked up "
            f"{stages.get('encode_s', 0):.0f} s, insert and index {stages.get('insert_s', 0):.0f} s)")
