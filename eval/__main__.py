"""Command line: ``python -m eval squad | beir | gold`` scores Wenda's retrieval and answers, ``python -m eval
claims`` its fact check, ``python -m eval train`` fits the answer selection models (argument parsing only)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import shlex
import sys
from pathlib import Path

from bot import Settings
from bot.errors import run_command
from bot.selection import MODEL
from bot.settings import MODES

from . import EvalError
from . import claims as claims_eval
from . import conversations as conversations_eval
from .harness import evaluate
from .train import main as train_main
from .metrics import compare
from .readers import read_beir, read_gold, read_qrels, read_run, read_squad
from .report import ROOT, answer_table, language_table, retrieval_table

DEFAULT_CORPUS = ROOT / "corpus"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")

    def run() -> int:
        if args.command == "train":
            return train_main(args.out, progress=not args.quiet)
        if args.command == "conversations":
            return conversations_eval.main(args.file, args.corpus, args.index_dir, args.json, _settings(args.set),
                                           args.mode)
        if args.command == "compare":
            return _compare(args.runs, args.qrels, args.json)
        if args.command == "claims":
            return claims_eval.main(args.file, args.corpus, args.index_dir, args.json, _settings(args.set),
                                    progress=not args.quiet)
        benchmark = args.read(args)
        modes = list(MODES) if args.mode == "all" else [args.mode]
        data = evaluate(benchmark, _settings(args.set), modes, args.index_dir, args.report, args.run_out,
                        answers=not args.no_answers, rebuild=args.rebuild, progress=not args.quiet,
                        command=shlex.join(["python", "-m", "eval", *argv]))
        _print(data)
        return 0

    return run_command(run)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Score Wenda's retrieval and answers on a "
                                     "benchmark: TREC runs, metrics.json, report.md and a Recall@k plot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    squad = commands.add_parser("squad", help="SQuAD v1.1 JSON (DRCD, CMRC 2018, XQuAD): every paragraph is a document")
    squad.add_argument("--contexts", type=Path, required=True, help="the SQuAD file whose paragraphs are indexed")
    squad.add_argument("--questions", type=Path, help="a parallel SQuAD file (same question ids) to take the "
                       "questions from, e.g. XQuAD's English questions over its Chinese paragraphs")
    squad.set_defaults(read=lambda a: read_squad(a.contexts, a.questions))

    beir = commands.add_parser("beir", help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv")
    beir.add_argument("folder", type=Path, metavar="DIR")
    beir.add_argument("--split", default="test", help="qrels file to score against (default: test)")
    beir.set_defaults(read=lambda a: read_beir(a.folder, a.split))

    gold = commands.add_parser("gold", help="our JSONL question set (question, language, evidence, answer)")
    gold.add_argument("file", type=Path, metavar="FILE.jsonl")
    gold.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="article folder (default: corpus/)")
    gold.set_defaults(read=lambda a: read_gold(a.file, a.corpus))

    train = commands.add_parser("train", help="fit the answer selection models on ../shared/data and our question "
                                "set, report them out of fold against the rules, write bot/models/selection.json")
    train.add_argument("--out", type=Path, default=MODEL, help=f"model file (default: {MODEL.relative_to(ROOT)})")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(command="train")

    claims = _set_command(commands, "claims", "our JSONL claims set (id, claim, verdict): the fact check's verdict "
                          "accuracy, confusion matrix and false claims called supported", "claims-CORPUS",
                          "every verdict")
    claims.add_argument("--quiet", action="store_true", help="no progress bars")
    talk = _set_command(commands, "conversations", "our JSONL conversations (turns of question, evidence, answer): "
                        "follow-up questions answered right with the earlier questions and without them",
                        "gold-CORPUS", "every turn")
    talk.add_argument("--mode", choices=MODES, help="retrieval mode (default: the settings')")

    compare = commands.add_parser("compare", help="TREC runs of the same questions side by side: recall@1, recall@5 "
                                  "and mrr@10 with ranx's paired randomisation test of every pair")
    compare.add_argument("runs", nargs="+", metavar="[NAME=]RUN.tsv", help="two or more run files (e.g. a report "
                         "folder's run.hybrid.tsv), optionally named")
    compare.add_argument("--qrels", type=Path, required=True, help="the questions' qrels (a report's qrels.trec)")
    compare.add_argument("--json", type=Path, metavar="OUT", help="also write the scores and p-values as JSON")
    compare.set_defaults(command="compare")

    for command in (squad, beir, gold):
        command.set_defaults(command="score")
        command.add_argument("--mode", choices=(*MODES, "all"), default="all", help="retrieval mode (default: all)")
        command.add_argument("--index-dir", type=Path, help="index folder, reused while the articles and settings "
                             "are unchanged (default: eval/runs/index/NAME)")
        command.add_argument("--report", type=Path, help="report folder (default: eval/runs/NAME)")
        command.add_argument("--run-out", type=Path, help="TREC run file; with several modes RUN.MODE.tsv each "
                             "(default: REPORT/run.MODE.tsv)")
        command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                             help="override a setting, e.g. --set rrf_k=30 --set encoder=st:PATH (repeatable)")
        command.add_argument("--rebuild", action="store_true", help="rebuild the index even if it is up to date")
        command.add_argument("--no-answers", action="store_true", help="score retrieval only (faster)")
        command.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _set_command(commands, name: str, help: str, index: str, records: str) -> argparse.ArgumentParser:
    """A command scoring one of our JSONL sets over an article folder (claims, conversations)."""
    command = commands.add_parser(name, help=help)
    command.add_argument("file", type=Path, metavar="FILE.jsonl")
    command.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="article folder (default: corpus/)")
    command.add_argument("--index-dir", type=Path, help="index folder, reused while the articles and settings are "
                         f"unchanged (default: eval/runs/index/{index})")
    command.add_argument("--json", type=Path, metavar="OUT", help=f"also write {records} and the scores as JSON")
    command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    command.set_defaults(command=name)
    return command


def _settings(overrides: list[str]) -> Settings:
    """``Settings`` with ``KEY=VALUE`` overrides, each converted to the type of the field's default."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    changes = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise EvalError(f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(fields)}")
        kind = type(fields[key].default)
        try:
            changes[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        except ValueError:
            raise EvalError(f"--set {item!r}: {key} must be of type {kind.__name__}") from None
    return Settings().replace(**changes)


def _compare(runs: list[str], qrels: Path, out: Path | None) -> int:
    """Print (and with ``out`` write) ``metrics.compare`` of the named run files."""
    named = {}
    for item in runs:
        name, sep, path = item.partition("=")
        name, path = (name, path) if sep else (Path(item).stem, item)
        named[name] = {qid: [doc for doc, _ in ranking] for qid, ranking in read_run(Path(path)).items()}
    if len(named) != len(runs):
        raise EvalError("give each run a different name: NAME=RUN.tsv")
    data = compare(read_qrels(qrels), named)
    print(f"{data['questions']} questions; {data['test']}")
    for name, scores in data["scores"].items():
        print(f"  {name:24s} " + "  ".join(f"{m} {v:.4f}" for m, v in scores.items()))
    for pair in data["pairs"]:
        verdict = (f"{pair['a']} better" if pair["a_better"] else f"{pair['b']} better" if pair["b_better"]
                   else "no significant difference")
        print(f"  {pair['a']} vs {pair['b']} {pair['metric']}: p {pair['p']:.4f}, {verdict}")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


def _print(data: dict) -> None:
    b = data["benchmark"]
    print(f"\n{b['name']}: {b['judged']:,} judged questions over {b['articles']:,} articles "
          f"({data['index']['passages']:,} passages); index built in {data['index']['build_s']:.1f} s"
          f"{' (reused)' if data['index']['reused'] else ''}; questions took {data['query_s']:.1f} s\n")
    print(retrieval_table(data))
    by_language = language_table(data)
    if by_language:
        print(f"\n{by_language}")
    if data.get("answers"):
        print(f"\nanswers ({data['answers']['mode']} mode):\n{answer_table(data)}")
    print(f"\nreport: {data['report']}/report.md")


if __name__ == "__main__":
    sys.exit(main())
