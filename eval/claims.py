"""``python -m eval claims FILE.jsonl``: the fact check scored on a claims set, above all how many false
claims it called supported.

A line is ``{"id", "claim", "verdict", "class"?, "script"?, "mismatches"?, "missing"?}``: ``verdict`` is
what a careful press officer wants. A claim is *true* when that is ``supported``, *false* when it is
``contradicted`` or ``unsupported``, *unrelated* when ``not_found``. The report gives verdict accuracy,
the confusion matrix (wanted × given), the three targets (no false claim supported; true ones supported;
false ones contradicted or unsupported), each by class and script, and every claim that missed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from tqdm import tqdm

from bot import Bot, Settings
from bot.corpus import read_corpus
from bot.errors import CorpusError
from bot.factcheck import CONTRADICTED, NOT_FOUND, SUPPORTED, UNSUPPORTED, VERDICTS, check_json

from . import EvalError
from .harness import prepare_index
from .readers import Benchmark, _jsonl
from .report import ROOT, emit

log = logging.getLogger(__name__)
FALSE = (CONTRADICTED, UNSUPPORTED)


@dataclass(frozen=True)
class Claim:
    """One line of a claims set."""

    id: str
    claim: str
    verdict: str
    kind: str  # the line's "class": true, paraphrase, number, predicate…
    script: str


def read_claims(path: Path) -> list[Claim]:
    """The claims of a JSONL set, each with the verdict it should get."""
    claims, seen = [], set()
    for record, where in _jsonl(path):
        cid, text, verdict = str(record.get("id") or ""), record.get("claim"), record.get("verdict")
        if not cid or not isinstance(text, str) or verdict not in VERDICTS:
            raise EvalError(f'{where}: each line needs "id", "claim" and "verdict" (one of {", ".join(VERDICTS)})')
        if cid in seen:
            raise EvalError(f"{where}: claim id {cid!r} appears twice; ids must be unique")
        seen.add(cid)
        claims.append(Claim(cid, text, verdict, str(record.get("class") or ""), str(record.get("script") or "")))
    if not claims:
        raise EvalError(f"{path} has no claims")
    return claims


def score(claims: Sequence[Claim], given: Sequence[str]) -> dict:
    """Accuracy, the confusion matrix and the three targets, overall and by class and script."""
    pairs = list(zip(claims, given))
    out = _targets(pairs)
    out["confusion"] = {want: {got: sum(1 for c, g in pairs if c.verdict == want and g == got) for got in VERDICTS}
                        for want in VERDICTS}
    out["by_class"] = {kind: _targets([p for p in pairs if p[0].kind == kind])
                       for kind in sorted({c.kind for c in claims})}
    out["by_script"] = {script: _targets([p for p in pairs if p[0].script == script])
                        for script in sorted({c.script for c in claims})}
    out["misses"] = [{"id": c.id, "claim": c.claim, "wanted": c.verdict, "given": g} for c, g in pairs if g != c.verdict]
    return out


def _targets(pairs: Sequence[tuple[Claim, str]]) -> dict:
    true = [g for c, g in pairs if c.verdict == SUPPORTED]
    false = [g for c, g in pairs if c.verdict in FALSE]
    unrelated = [g for c, g in pairs if c.verdict == NOT_FOUND]
    return {
        "claims": len(pairs),
        "accuracy": _share(sum(1 for c, g in pairs if g == c.verdict), len(pairs)),
        "false_supported": sum(1 for g in false + unrelated if g == SUPPORTED),
        "true_supported": _share(true.count(SUPPORTED), len(true)),
        "false_caught": _share(sum(1 for g in false if g in FALSE), len(false)),
        "unrelated_not_found": _share(unrelated.count(NOT_FOUND), len(unrelated)),
    }


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def run(path: Path, corpus: Path, index_dir: Path | None, settings: Settings, progress: bool = True) -> dict:
    """Check every claim of ``path`` against the articles of ``corpus`` and score the verdicts."""
    claims = read_claims(path)
    try:
        articles = read_corpus(corpus).articles
    except CorpusError as error:
        raise EvalError(str(error)) from None
    if not articles:
        raise EvalError(f"no articles in {corpus}; give the corpus the claims were written for with --corpus")
    folder = index_dir or ROOT / "eval" / "runs" / "index" / f"claims-{corpus.resolve().name}"
    index, _ = prepare_index(Benchmark(f"claims-{path.stem}", articles, []), folder, settings, progress=progress)
    bot = Bot(index, settings)
    started = time.perf_counter()
    results = [check_json(bot, c.claim) for c in tqdm(claims, desc="checking", unit="claim", disable=not progress)]
    elapsed = time.perf_counter() - started
    out = {"set": str(path), "corpus": str(corpus), "ms_per_claim": round(1000 * elapsed / len(claims), 1)}
    out |= score(claims, [r["verdict"] for r in results])
    out["results"] = [{"id": c.id, **r} for c, r in zip(claims, results)]
    return out


def summary(data: dict) -> Iterable[str]:
    """The report in lines, for people."""
    yield f"{data['claims']} claims from {data['set']} · {data['ms_per_claim']} ms a claim"
    yield (f"false claims called supported: {data['false_supported']} · true supported: {_pct(data['true_supported'])}"
           f" · false contradicted or unsupported: {_pct(data['false_caught'])}"
           f" · unrelated not found: {_pct(data['unrelated_not_found'])} · accuracy {_pct(data['accuracy'])}")
    yield "confusion (rows wanted, columns given): " + " ".join(f"{v:>12}" for v in VERDICTS)
    for want, row in data["confusion"].items():
        yield f"{want:>40} " + " ".join(f"{row[v]:>12}" for v in VERDICTS)
    for group in ("by_class", "by_script"):
        for name, t in data[group].items():
            yield (f"  {name or '-':>12}: {t['claims']:>3} claims, accuracy {_pct(t['accuracy'])}, "
                   f"false supported {t['false_supported']}, true supported {_pct(t['true_supported'])}, "
                   f"false caught {_pct(t['false_caught'])}")
    for miss in data["misses"]:
        yield f"  miss {miss['id']}: wanted {miss['wanted']}, given {miss['given']}: {miss['claim']}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def main(path: Path, corpus: Path, index_dir: Path | None, out: Path | None, settings: Settings,
         progress: bool = True) -> int:
    data = run(path, corpus, index_dir, settings, progress)
    return emit(data, out, summary(data))
