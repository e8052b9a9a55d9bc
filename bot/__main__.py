"""Command line: ``python -m bot index`` builds the index, ``python -m bot ask`` answers (argument parsing only)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Iterator

from .engine import Bot
from .errors import QueryError, StaleIndexError, WendaError
from .index import build_from_folder, check_fresh, read_manifest
from .settings import MODES, Settings

DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path("index")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.run(args)
    except WendaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Wenda: cited extractive answers from news articles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="build the index from the corpus folder")
    index.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="article folder (default: corpus/)")
    index.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    index.add_argument("--encoder", help="use-m3 (default) or st:MODEL_OR_PATH for a sentence-transformers model")
    index.add_argument("--max-passage-chars", type=int, help="longest passage in characters (default 400)")
    index.add_argument("--if-stale", action="store_true", help="build only when the index is missing or stale")
    index.add_argument("--quiet", action="store_true", help="no progress bars")
    index.set_defaults(run=_index)

    ask = commands.add_parser("ask", help="answer a question (or a JSONL file of them) with citations")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--jsonl", type=Path, help='file of {"id", "question"} lines; one JSON answer a line')
    ask.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    ask.add_argument("--k", type=int, help="passages to retrieve (default 5)")
    ask.add_argument("--mode", choices=MODES, help="retrieval: hybrid (default), rrf, weighted, bm25 or dense")
    ask.add_argument("--json", action="store_true", help="print the JSON object instead of text")
    ask.set_defaults(run=_ask)
    return parser


def _index(args: argparse.Namespace) -> int:
    settings = Settings().replace(encoder=args.encoder, max_passage_chars=args.max_passage_chars)
    if args.if_stale and _is_fresh(args.index, settings):
        print(f"index in {args.index} is up to date")
        return 0
    manifest = build_from_folder(args.corpus, args.index, settings, progress=not args.quiet)
    for skipped in manifest["corpus"]["skipped"]:
        print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    print(f"indexed {manifest['passages']} passages from {manifest['articles']} articles into {args.index} "
          f"in {manifest['build_s']:.1f} s")
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
    if args.jsonl:
        for record in _questions(args.jsonl):
            try:
                out = bot.ask_json(record["question"], args.k, args.mode)
            except QueryError as error:
                out = {"question": record["question"], "found": False, "answer": None, "error": str(error)}
            print(json.dumps({"id": record["id"], **out}, ensure_ascii=False), flush=True)
        return 0
    out = bot.ask_json(args.question, args.k, args.mode)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else _readable(out))
    return 0


def _questions(path: Path) -> Iterator[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(f"cannot read {path}: {error}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield {"id": record.get("id", number), "question": str(record["question"])}
        except (json.JSONDecodeError, KeyError, AttributeError):
            raise QueryError(f'{path}:{number}: each line must be a JSON object with "id" and "question"') from None


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


if __name__ == "__main__":
    sys.exit(main())
