"""Command line: ``python -m bot index`` builds the index, ``python -m bot ask`` answers, ``python -m bot check``
checks a claim against the articles (argument parsing only)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from .backends import MILVUS_TOKEN, backend_of
from .engine import Bot, encodable
from .errors import QueryError, WendaError, run_command
from .factcheck import check_json
from .index import build_from_folder, check_fresh, load, read_manifest, update, verify
from .settings import BACKENDS, MILVUS_BM25, MILVUS_DENSE_INDEXES, MODES, Settings

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
    index.add_argument("--encoder", help="use-m3 (default), e5-small (better retrieval, ~40x slower to build: README "
                       "\"Encoders\") or st:MODEL_OR_PATH for a sentence-transformers model")
    index.add_argument("--max-passage-chars", type=int, help="longest passage in characters (default 400)")
    index.add_argument("--if-stale", action="store_true", help="build only when the index is missing or stale")
    index.add_argument("--quiet", action="store_true", help="no progress bars")
    index.add_argument("--workers", type=int, help="processes for tokenising and encoding (default: one per core)")
    index.add_argument("--add", type=Path, nargs="+", metavar="FILE",
                       help="add these article files to the index (an indexed doc_id is replaced); only new text "
                            "is encoded")
    index.add_argument("--verify", action="store_true",
                       help="check every file of the index against its checksum and every record, then exit")
    index.add_argument("--remove", nargs="+", metavar="DOC_ID",
                       help="take these documents out of the index (change the corpus folder first: the index "
                            "then records it as it is)")
    index.add_argument("--backend", choices=BACKENDS,
                       help="where the index lives: embedded (default: files in --index) or milvus (collections in "
                            "the Milvus that --milvus-uri names; --index then keeps only its manifest)")
    index.add_argument("--milvus-uri", metavar="URI",
                       help="a Milvus Lite file (wenda.db), http://127.0.0.1:19530, or a cluster's address")
    index.add_argument("--milvus-token", metavar="TOKEN",
                       help=f"user:password or an API key for Milvus (default: ${MILVUS_TOKEN}; never written to disk)")
    index.add_argument("--collection", metavar="NAME", help="the Milvus collection to build or change (default wenda)")
    index.add_argument("--milvus-index", choices=MILVUS_DENSE_INDEXES,
                       help="Milvus's dense index: auto (default: FLAT up to 50,000 windows, HNSW above, or IVF_FLAT "
                            "where the server refuses HNSW, as Milvus Lite does), FLAT, IVF_FLAT or HNSW")
    index.add_argument("--milvus-bm25", choices=MILVUS_BM25,
                       help="wenda (default: Wenda's BM25 weights, the same scores as embedded) or server (Milvus's "
                            "BM25 function over Wenda's tokens)")
    index.set_defaults(run=_index)

    ask = commands.add_parser("ask", help="answer a question (or a JSONL file of them) with citations")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--jsonl", type=Path, metavar="FILE",
                     help='file of {"id", "question", "history"?} lines ("-" for standard input; "history": the '
                          'earlier questions of a conversation, oldest first); one JSON answer a line, '
                          'or {"id", "error"} for a line that cannot be answered; exit code 1 when a line failed')
    ask.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    ask.add_argument("--k", type=int, help="passages to retrieve, 1 to 100 (default 5)")
    ask.add_argument("--mode", choices=MODES, help="retrieval: hybrid (default), rrf, weighted, bm25 or dense")
    ask.add_argument("--json", action="store_true", help="print the JSON object instead of text")
    ask.add_argument("--reranker", metavar="MODEL_OR_PATH",
                     help="re-score the first 20 passages with this sentence-transformers cross-encoder (off by default)")
    ask.add_argument("--reader", metavar="MODEL_OR_PATH",
                     help="choose the answer span with this Hugging Face question-answering model (off by default)")
    ask.set_defaults(run=_ask)

    check = commands.add_parser("check", help="check a claim (or a JSONL file of them) against the articles")
    check.add_argument("claim", nargs="?", help="the claim, a sentence in Chinese or English")
    check.add_argument("--jsonl", type=Path, metavar="FILE",
                       help='file of {"id", "claim"} lines ("-" for standard input); one JSON result a line, '
                            'or {"id", "error"} for a line that cannot be checked; exit code 1 when a line failed')
    check.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    check.add_argument("--k", type=int, help="passages to search for the evidence, 1 to 100 (default 8)")
    check.add_argument("--json", action="store_true", help="print the JSON object instead of text")
    check.set_defaults(run=_check)
    return parser


def _index(args: argparse.Namespace) -> int:
    if args.milvus_token:
        os.environ[MILVUS_TOKEN] = args.milvus_token  # the backend reads it there, as from the environment
    if args.verify:
        report = verify(args.index)
        if report.get("backend") == "milvus":
            print(f"the index in {args.index} is intact: collection {report['collection']} at {report['uri']} "
                  f"(version {report['version']}) holds {report['passages']} passages, {report['windows']} window "
                  f"vectors and {report['articles']} articles as its manifest says, read in {report['seconds']:.1f} s")
        else:
            print(f"the index in {args.index} is intact: {report['files']} files ({report['bytes'] / 1e6:.1f} MB) "
                  f"match their checksums, {report['passages']} passages and {report['articles']} articles read "
                  f"in {report['seconds']:.1f} s")
        return 0
    if args.add or args.remove:
        return _grow(args)
    settings = Settings().replace(encoder=args.encoder, max_passage_chars=args.max_passage_chars,
                                  workers=args.workers, backend=args.backend, milvus_uri=args.milvus_uri,
                                  milvus_collection=args.collection, milvus_dense_index=args.milvus_index,
                                  milvus_bm25=args.milvus_bm25)
    if settings.backend != "milvus" and (args.milvus_uri or args.collection or args.milvus_index or args.milvus_bm25):
        raise QueryError("--milvus-uri, --collection, --milvus-index and --milvus-bm25 go with --backend milvus")
    if args.if_stale and _is_fresh(args.index, settings):
        print(f"index in {args.index} is up to date")
        return 0
    manifest = build_from_folder(args.corpus, args.index, settings, progress=not args.quiet)
    for skipped in manifest["corpus"]["skipped"]:
        print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    where = (f"collection {manifest['milvus']['collection']} at {manifest['milvus']['uri']} (manifest in {args.index})"
             if backend_of(manifest) == "milvus" else str(args.index))
    print(f"indexed {manifest['passages']} passages from {manifest['articles']} articles into {where} "
          f"in {manifest['build_s']:.1f} s")
    return 0


def _grow(args: argparse.Namespace) -> int:
    full_build = (args.encoder, args.max_passage_chars, args.if_stale, args.backend, args.milvus_uri, args.collection,
                  args.milvus_index, args.milvus_bm25)
    if any(full_build):
        raise QueryError("--encoder, --max-passage-chars, --if-stale and the backend options apply to a full build, "
                         "not to --add or --remove (the index's manifest names its backend); rebuild with: "
                         f"python -m bot index --corpus {args.corpus} --index {args.index}")
    manifest = update(args.index, add=args.add or (), remove=args.remove or (), progress=not args.quiet,
                      workers=args.workers)
    change = manifest["corpus"]["changes"][-1]
    print(f"added {len(change['added'])} files, removed {len(change['removed'])} documents: {args.index} holds "
          f"{manifest['passages']} passages from {manifest['articles']} articles ({manifest['windows_encoded']} "
          f"windows encoded, in {manifest['build_s']:.1f} s)")
    return 0


def _is_fresh(folder: Path, settings: Settings) -> bool:
    """Whether ``folder`` holds an index of the corpus as it is, built with ``settings`` by the same backend (for
    milvus: the same server and collection, and still there)."""
    try:
        manifest = read_manifest(folder)
        check_fresh(manifest, folder, settings)
        if backend_of(manifest) != settings.backend:
            return False
        if settings.backend == "milvus":
            record = manifest["milvus"]
            if (record["uri"], record["collection"]) != (settings.milvus_uri, settings.milvus_collection):
                return False
            load(folder)
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
        return _batch(args.jsonl, "question",
                      lambda line: bot.followup_json(line.text, line.history, args.k, args.mode),
                      {"found": False, "answer": None})
    out = bot.ask_json(args.question, args.k, args.mode)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else _readable(out))
    return 0


def _check(args: argparse.Namespace) -> int:
    if (args.claim is None) == (args.jsonl is None):
        raise QueryError('give either a claim or --jsonl FILE, e.g. python -m bot check "香港科學園深圳分園已進駐40家香港企業"')
    bot = Bot.open(args.index)
    if args.jsonl:
        return _batch(args.jsonl, "claim", lambda line: check_json(bot, line.text, args.k),
                      {"verdict": None, "evidence": [], "mismatches": []})
    out = check_json(bot, args.claim, args.k)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else _readable_check(out))
    return 0


ECHO_CHARS = 100  # characters of a question or claim an error record repeats
ID_CHARS = 200  # longest id a --jsonl line may have
_EXAMPLES = {"question": "河套合作區在哪裏？", "claim": "香港科學園深圳分園已進駐40家香港企業"}
_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
               dict: "an object", type(None): "null"}


@dataclass(frozen=True)
class Line:
    """One line of a --jsonl file: its id (the line number when it has none), its text and the conversation's
    earlier questions (a question's ``history``), or why it cannot be answered."""

    id: object
    text: str = ""
    error: str = ""
    history: tuple[str, ...] = ()


def _batch(path: Path, field: str, answer: Callable[[Line], dict], unanswered: dict) -> int:
    """Answer each line of ``path`` in turn, one JSON line each as it comes; a line that fails gets an error
    record in its place and the batch goes on. Exit code 1 when some line failed, else 0."""
    failed = False
    for line in _records(path, field):
        if line.error:
            out = {"id": line.id, "error": line.error}
        else:
            try:
                out = {"id": line.id, **answer(line)}
            except QueryError as error:
                out = {"id": line.id, field: _prefix(encodable(line.text)), **unanswered, "error": str(error)}
        failed = failed or "error" in out
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _records(path: Path, field: str) -> Iterator[Line]:
    """The lines of a JSONL file (``-``: standard input), read one at a time; blank lines are skipped."""
    with _open_lines(path) as lines:
        try:
            for number, raw in enumerate(lines, 1):
                if raw.strip():
                    yield _record(raw, number, field)
        except OSError as error:
            raise QueryError(f"cannot read {path}: {error}") from None


@contextlib.contextmanager
def _open_lines(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for reading bytes (a line that is not UTF-8 then fails alone), or standard input for ``-``."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        file = path.open("rb")
    except OSError as error:
        raise QueryError(f"cannot read {path}: {error}") from None
    with file:
        yield file


def _record(raw: bytes, number: int, field: str) -> Line:
    """Line ``number`` as a Line: ``{"id", field}`` with ``field`` a string, or a Line saying what is wrong."""
    expected = f'each line must be a JSON object like {{"id": 1, "{field}": "{_EXAMPLES[field]}"}}'
    try:
        record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError as error:
        return Line(number, error=f"line {number} is not UTF-8 ({error.reason} at byte {error.start}); {expected}")
    except json.JSONDecodeError as error:
        return Line(number, error=f"line {number} is not JSON ({error.msg} at column {error.colno}); {expected}")
    except (ValueError, RecursionError) as error:  # e.g. a number of 5,000 digits, or arrays nested 100,000 deep
        return Line(number, error=f"line {number} cannot be read as JSON ({type(error).__name__}); {expected}")
    if not isinstance(record, dict):
        return Line(number, error=f"line {number} is {_json_type(record)}, not an object; {expected}")
    id_ = record.get("id", number)
    if isinstance(id_, str):
        id_ = encodable(id_)
    if isinstance(id_, (list, dict)) or isinstance(id_, float) and not math.isfinite(id_):
        return Line(number, error=f"line {number}: the id must be a string or a number, not {_json_type(id_)}")
    if isinstance(id_, str) and len(id_) > ID_CHARS:
        return Line(number, error=f"line {number}: the id is {len(id_):,} characters long; the limit is {ID_CHARS}")
    if field not in record:
        return Line(id_, error=f'line {number} has no "{field}"; {expected}')
    if not isinstance(record[field], str):
        return Line(id_, error=f'line {number}: "{field}" must be a string, not {_json_type(record[field])}')
    history = record.get("history") if field == "question" else None
    history = [] if history is None else history
    if not isinstance(history, list) or not all(isinstance(q, str) for q in history):
        return Line(id_, error=f'line {number}: "history" must be an array of the earlier questions (strings), '
                               'oldest first')
    return Line(id_, record[field], history=tuple(history))


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _prefix(text: str) -> str:
    """``text`` cut to ECHO_CHARS characters with an ellipsis: an error record never repeats a huge input."""
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"


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
    if out["missing"]:
        lines.append(f"  not stated in the articles: {', '.join(out['missing'])}")
    for e in out["evidence"]:
        lines.append(f"  「{' '.join(e['text'].split())}」")
        lines.append(f"  [{e['title']} ({e['doc_id']}, {e['start']}–{e['end']})]")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
