"""The report folder of one evaluation: ``metrics.json`` for machines, ``report.md`` for people, a
Recall@k plot, and ``questions.jsonl`` (each question's ranks and answer) for error analysis."""

from __future__ import annotations

import hashlib
import json
import math
import os
import resource
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from .harness import Outcome

ROOT = Path(__file__).resolve().parent.parent
PLOT = "recall_at_k.png"
_HEADLINE_NAMES = {"recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10", "recall@20": "R@20",
                   "mrr@10": "MRR@10", "ndcg@10": "nDCG@10"}


def summary(outcome: Outcome, scores: dict, command: str, report_dir: Path, run_files: Mapping[str, Path],
            elapsed_s: float) -> dict:
    """Everything ``metrics.json`` holds: what was run, on what, with which settings, and the scores."""
    b = outcome.benchmark
    return {
        "benchmark": {"name": b.name, "sources": list(b.sources), "unit": b.unit, "articles": len(b.articles),
                      "questions": len(b.questions), "judged": len(b.judged()), "skipped": len(outcome.skipped),
                      "relevance": b.relevance},
        "command": command,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": code_version(),
        "settings": asdict(outcome.settings),
        "index": outcome.index.summary(),
        "query_s": round(outcome.query_s, 2),
        "elapsed_s": round(elapsed_s, 2),
        "cpu_s": round(_cpu_seconds(), 2),
        "machine": machine(),
        "report": str(report_dir),
        "run_files": {mode: str(path) for mode, path in run_files.items()},
        **scores,
    }


def machine() -> dict:
    """What the timings depend on: the cores, how busy they were (1, 5, 15-minute load averages at the
    end of the run) and the BLAS thread limits set in the environment."""
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    return {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()], "thread_env": threads}


def _cpu_seconds() -> float:
    """CPU time of this process so far (user + system): a second view of the cost beside wall time,
    which other jobs on a shared machine stretch."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _source_digest(folder: Path) -> str:
    """SHA-256 (first 12 hex digits) of the ``.py`` files under ``folder``, as they are when this module loads."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


BOT_DIGEST = _source_digest(ROOT / "bot")  # pins the code a run used, even between commits


def code_version() -> dict:
    """The git commit of the checkout, whether ``bot/`` or ``eval/`` had uncommitted changes, and a
    digest of ``bot/`` as this run loaded it."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--", "bot", "eval") != "" if commit else None
    return {"commit": commit, "uncommitted": changed, "bot_digest": BOT_DIGEST}


def library_versions(*packages: str) -> dict[str, str]:
    """The installed version of each named distribution, for the record a trained model keeps."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in packages:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def write_report(folder: Path, data: dict, outcome: Outcome) -> list[Path]:
    """Write ``metrics.json``, ``report.md``, the plot and ``questions.jsonl`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "metrics.json", folder / "report.md", folder / PLOT, folder / "questions.jsonl"]
    paths[0].write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    plot_recall(data, paths[2])
    paths[1].write_text(markdown(data), encoding="utf-8")
    with paths[3].open("w", encoding="utf-8") as out:
        for record in question_records(outcome):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return paths


def question_records(outcome: Outcome) -> list[dict]:
    """Per question: its relevant ids, the rank of the first relevant one in each mode, its answer."""
    answers = {a.qid: a for a in outcome.answers}
    skipped = dict(outcome.skipped)
    records = []
    for q in outcome.benchmark.questions:
        ranks = {}
        for mode, mode_run in outcome.modes.items():
            ids = [doc for doc, _ in mode_run.rankings.get(q.qid, [])]
            ranks[mode] = next((i for i, doc in enumerate(ids, 1) if doc in q.relevant), None)
        record = {"id": q.qid, "question": q.text, "relevant": sorted(q.relevant), "first_relevant_rank": ranks}
        if q.qid in answers:
            a = answers[q.qid]
            record["answer"] = {"found": a.found, "text": a.text, "sentence": a.sentence,
                                "confidence": round(a.confidence, 4), "cited": a.citation_id, "gold": list(a.gold),
                                "answerable": a.answerable}
        if q.qid in skipped:
            record["skipped"] = skipped[q.qid]
        records.append(record)
    return records


def retrieval_table(data: dict) -> str:
    """Modes side by side: the headline retrieval metrics and query latency."""
    head = ["mode", *_HEADLINE_NAMES.values(), "p50 ms", "p95 ms"]
    rows = []
    for mode, m in data["modes"].items():
        r, lat = m["retrieval"], m["latency_ms"]
        rows.append([mode, *(f"{r[k]:.3f}" for k in _HEADLINE_NAMES), _ms(lat["p50"]), _ms(lat["p95"])])
    return _table(head, rows)


def language_table(data: dict) -> str:
    """R@1, R@5 and MRR@10 per mode and question language (only for labelled question sets)."""
    rows = [[mode, lang, *(f"{s[k]:.3f}" for k in ("recall@1", "recall@5", "mrr@10"))]
            for mode, m in data["modes"].items() for lang, s in m.get("by_language", {}).items()]
    return _table(["mode", "language", "R@1", "R@5", "MRR@10"], rows) if rows else ""


def answer_table(data: dict) -> str:
    """Answer metrics of the answer mode (and per language when the questions are labelled)."""
    a = data.get("answers")
    if not a:
        return ""
    head = ["questions", "scored", "answered", "sentence has answer", "EM", "F1", "abstain P", "abstain R",
            "p50 ms", "p95 ms"]
    rows = [_answer_row("all", a) + [_ms(a["latency_ms"]["p50"]), _ms(a["latency_ms"]["p95"])]]
    rows += [_answer_row(lang, s) + ["", ""] for lang, s in a.get("by_language", {}).items()]
    return _table(["", *head], rows)


def _answer_row(label: str, a: dict) -> list[str]:
    return [label, str(a["questions"]), str(a["scored"]), *(_num(a[k]) for k in (
        "answered", "sentence_has_answer", "exact_match", "f1", "abstention_precision", "abstention_recall"))]


def markdown(data: dict) -> str:
    """``report.md``: what was run and how to run it again, then the tables and the plot."""
    b, idx, code = data["benchmark"], data["index"], data["code"]
    skipped = f", {b['skipped']:,} could not be asked" if b["skipped"] else ""
    built = (f"reused (built {idx['built_at']} in {idx['build_s']:.1f} s)" if idx["reused"]
             else f"built in {idx['build_s']:.1f} s")
    version = (f"{code['commit'] or 'unknown commit'}{' + uncommitted changes in bot/ or eval/' if code['uncommitted'] else ''}"
               f" (bot/ digest {code.get('bot_digest', '?')})")
    lines = [
        f"# Wenda evaluation: {b['name']}",
        "",
        f"Finished {data['finished_at']} on {version}; {data['elapsed_s']:.0f} s in all ({data['cpu_s']:.0f} s of CPU), "
        f"{data['query_s']:.0f} s of questions{_machine_note(data.get('machine'))}. Reproduce with:",
        "",
        "```",
        data["command"],
        "```",
        "",
        "## Data and index",
        "",
        f"- sources: {', '.join(f'`{s}`' for s in b['sources'])}",
        f"- {b['articles']:,} articles → {idx['passages']:,} passages; index `{idx['folder']}` {built}, "
        f"encoder `{idx['encoder']}`",
        f"- {b['questions']:,} questions, {b['judged']:,} with relevance judgements{skipped}; {b['relevance']}",
        "",
        "## Retrieval",
        "",
        retrieval_table(data),
        "",
        f"Latency is per question on this machine, timed on an evenly spread sample of questions: tokenising "
        "and/or encoding the question plus the mode's search. "
        f"Ranks are the {'documents' if b['unit'] == 'doc' else 'passages'} in the order the retriever returned "
        "them (a document at its best passage); metrics by ranx.",
        "",
        f"![Recall@k for k = 1..20]({PLOT})",
        "",
    ]
    by_language = language_table(data)
    if by_language:
        lines += ["### By question language", "", by_language, ""]
    answers = answer_table(data)
    if answers:
        a = data["answers"]
        lines += [
            f"## Answers ({a['mode']} mode, top {data['settings']['k']} passages)",
            "",
            answers,
            "",
            "Scored over answerable questions with a gold answer; an abstention scores 0. "
            "*Sentence has answer*: the extracted sentence contains a gold answer. EM and F1 compare the short "
            "answer with the gold one (characters for Chinese, words for English). Abstention precision and "
            "recall take the unanswerable questions as positives. Latency: the search plus extraction, as `bot.ask` "
            f"spends them, timed on {a.get('latency_timed', '?')} questions spread over the set (the others reuse "
            "vectors the harness encodes in batches, which changes the time but not the answer).",
            "",
        ]
    lines += ["## Files", ""]
    lines += [f"- `{_near(path, data['report'])}`: TREC run, mode {mode}" for mode, path in data["run_files"].items()]
    lines += ["- `qrels.trec`: the relevance judgements, for trec_eval"]
    lines += ["- `metrics.json`: every number above; `questions.jsonl`: each question's ranks and answer", ""]
    return "\n".join(lines)


def plot_recall(data: dict, path: Path) -> None:
    """Recall@k for k = 1..20, one line per mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = [("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-")]
    lowest = 1.0
    for (mode, m), (marker, line) in zip(data["modes"].items(), styles * len(data["modes"])):
        curve = m["recall_curve"]
        lowest = min([lowest, *curve])
        ax.plot(range(1, len(curve) + 1), curve, marker=marker, linestyle=line, markersize=3, label=mode)
    bottom = max(0.0, math.floor((lowest - 0.02) * 10) / 10)  # zoom in where the curves are, from a round value
    ax.set(xlabel="k", ylabel="Recall@k", ylim=(bottom, 1.01), xlim=(0.5, 20.5), title=f"Recall@k: {data['benchmark']['name']}")
    ax.set_xticks(range(1, 21))
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _machine_note(m: dict | None) -> str:
    if not m:
        return ""
    env = "".join(f", {k}={v}" for k, v in m["thread_env"].items())
    return f" ({m['cpus']} cores, load average {m['load_avg'][1]:.1f} over the last 5 minutes{env})"


def _near(path: str, folder: str) -> str:
    """``path`` relative to ``folder`` when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path(folder).resolve()))
    except ValueError:
        return path


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def emit(data: dict, out: Path | None, lines) -> int:
    """Write ``data`` as JSON to ``out`` (when given) and print the report's ``lines``: exit code 0."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0
