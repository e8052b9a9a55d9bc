"""Command line: ``python -m bot index`` builds the index, ``python -m bot ask`` answers, ``python -m bot check``
checks a claim against the articles (argument parsing only)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Iterator

from .engine import Bot
from .errors import QueryError, WendaError, run_command
from .factcheck import check_json
from .index import build_from_folder, check_fresh, read_manifest, update
from .settings import MODES, Settings

DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path("index")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    return run_command(lambda: args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Wenda: cited extractive answers from news articles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="build the index from the corpus folder, or add and remove articles")
    index.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="article folder (default: corpus/)")
    index.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    index.add_argument("--encoder", help="use-m3 (default) or st:MODEL_OR_PATH for a sentence-transformers model")
    index.add_argument("--max-passage-chars", type=int, help="longest passage in characters (default 400)")
    index.add_argument("--if-stale", action="store_true", help="build only when the index is missing or stale")
    index.add_argument("--quiet", action="store_true", help="no progress bars")
    index.add_argument("--workers", type=int, help="processes for tokenising and encoding (default: one per core)")
    index.add_argument("--add", type=Path, nargs="+", metavar="FILE",
                       help="add these article files to the index (an indexed doc_id is replaced); only new text "
                            "is encoded")
    index.add_argument("--remove", nargs="+", metavar="DOC_ID",
                       help="take these documents out of the index (change the corpus folder first: the index "
                            "then records it as it is)")
    index.set_defaults(run=_index)

    ask = commands.add_parser("ask", help="answer a question (or a JSONL file of them) with citations")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--jsonl", type=Path, help='file of {"id", "question"} lines; one JSON answer a line')
    ask.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    ask.add_argument("--k", type=int, help="passages to retrieve (default 5)")
    ask.add_argument("--mode", choices=MODES, help="retrieval: hybrid (default), rrf, weighted, bm25 or dense")
    ask.add_argument("--json", action="store_true", help="print the JSON object instead of text")
    ask.add_argument("--reranker", metavar="MODEL_OR_PATH",
                     help="re-score the first 20 passages with this sentence-transformers cross-encoder (off by default)")
    ask.add_argument("--reader", metavar="MODEL_OR_PATH",
                     help="choose the answer span with this Hugging Face question-answering model (off by default)")
    ask.set_defaults(run=_ask)

    check = commands.add_parser("check", help="check a claim (or a JSONL file of them) against the articles")
    check.add_argument("claim", nargs="?", help="the claim, a sentence in Chinese or English")
    check.add_argument("--jsonl", type=Path, help='file of {"id", "claim"} lines; one JSON result a line')
    check.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    check.add_argument("--k", type=int, help="passages to search for the evidence (default 8)")
    check.add_argument("--json", action="store_true", help="print the JSON object instead of text")
    check.set_defaults(run=_check)
    return parser


def _index(args: argparse.Namespace) -> int:
    if args.add or args.remove:
        return _grow(args)
    settings = Settings().replace(encoder=args.encoder, max_passage_chars=args.max_passage_chars,
                                  workers=args.workers)
    if args.if_stale and _is_fresh(args.index, settings):
        print(f"index in {args.index} is up to date")
        return 0
    manifest = build_from_folder(args.corpus, args.index, settings, progress=not args.quiet)
    for skipped in manifest["corpus"]["skipped"]:
        print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    print(f"indexed {manifest['passages']} passages from {manifest['articles']} articles into {args.index} "
          f"in {manifest['build_s']:.1f} s")
    return 0


def _grow(args: argparse.Namespace) -> int:
    if args.encoder or args.max_passage_chars or args.if_stale:
        raise QueryError("--encoder, --max-passage-chars and --if-stale apply to a full build, not to --add or "
                         f"--remove; rebuild with: python -m bot index --corpus {args.corpus} --index {args.index}")
    manifest = update(args.index, add=args.add or (), remove=args.remove or (), progress=not args.quiet,
                      workers=args.workers)
    change = manifest["corpus"]["changes"][-1]
    print(f"added {len(change['added'])} files, removed {len(change['removed'])} documents: {args.index} holds "
          f"{manifest['passages']} passages from {manifest['articles']} articles ({manifest['windows_encoded']} "
          f"windows encoded, in {manifest['build_s']:.1f} s)")
    return 0


def _is_fresh(folder: Path, settings: Settings) -> bool:
    try:
        check_fresh(read_manifest(folder), folder, settings)
    except WendaError:
        return False
    return True


def _ask(args: argparse.Namespace) -> int:
    if (args.question is None) == (args.jsonl is None):
        raise QueryError('give either a question or --jsonl FILE, e.g. python -m bot ask "河套合作區在哪裏？"')
    bot = Bot.open(args.index)
    if args.reranker or args.reader:
        bot = Bot(bot.index, bot.settings.replace(reranker=args.reranker, reader=args.reader), bot.encoder)
    if args.jsonl:
        for record in _records(args.jsonl, "question"):
            try:
                out = bot.ask_json(record["question"], args.k, args.mode)
            except QueryError as error:
                out = {"question": record["question"], "found": False, "answer": None, "error": str(error)}
            print(json.dumps({"id": record["id"], **out}, ensure_ascii=False), flush=True)
        return 0
    out = bot.ask_json(args.question, args.k, args.mode)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else _readable(out))
    return 0


def _check(args: argparse.Namespace) -> int:
    if (args.claim is None) == (args.jsonl is None):
        raise QueryError('give either a claim or --jsonl FILE, e.g. python -m bot check "香港科學園深圳分園已進駐40家香港企業"')
    bot = Bot.open(args.index)
    if args.jsonl:
        for record in _records(args.jsonl, "claim"):
            try:
                out = check_json(bot, record["claim"], args.k)
            except QueryError as error:
                out = {"claim": record["claim"], "verdict": None, "evidence": [], "mismatches": [], "error": str(error)}
            print(json.dumps({"id": record["id"], **out}, ensure_ascii=False), flush=True)
        return 0
    out = check_json(bot, args.claim, args.k)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else _readable_check(out))
    return 0


def _records(path: Path, field: str) -> Iterator[dict]:
    """``{"id", field}`` records from a JSONL file (a line without an id is numbered)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(f"cannot read {path}: {error}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield {"id": record.get("id", number), field: str(record[field])}
        except (json.JSONDecodeError, KeyError, AttributeError):
            raise QueryError(f'{path}:{number}: each line must be a JSON object with "id" and "{field}"') from None


def _readable(out: dict) -> str:
    lines = []
    if out["found"]:
        answer = out["answer"]
        lines.append(answer["text"])
        if answer["text"] != answer["sentence"]:
            lines.append(f"  「{answer['sentence']}」")
        lines.append(f"  [{answer['citation']}]")
    else:
        lines.append(out["message"])
    lines.append("")
    for p in out["passages"]:
        snippet = " ".join(p["text"].split())
        lines.append(f"[{p['rank']}] {p['title']} ({p['doc_id']}, {p['start']}–{p['end']}): "
                     f"{snippet[:120]}{'…' if len(snippet) > 120 else ''}")
    return "\n".join(lines)


def _readable_check(out: dict) -> str:
    lines = [out["verdict"]]
    lines += [f"  {m['kind']}: the claim says {m['claim']}, the article {m['article']}" for m in out["mismatches"]]
    for e in out["evidence"]:
        lines.append(f"  「{' '.join(e['text'].split())}」")
        lines.append(f"  [{e['title']} ({e['doc_id']}, {e['start']}–{e['end']})]")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
