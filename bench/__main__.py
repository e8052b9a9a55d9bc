"""Command line of the benchmarks (argument parsing only): ``python -m bench scale ...``,
``python -m bench article-size ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Wenda's speed and scale benchmarks.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    scale = commands.add_parser("scale", help="build an index of N passages of real text and time it")
    scale.add_argument("--passages", type=int, default=100_000, help="passages in the corpus (default 100000)")
    scale.add_argument("--index", type=Path, required=True, help="index folder to build into")
    scale.add_argument("--json", type=Path, required=True, help="file to write the results to")
    scale.add_argument("--corpus", type=Path, help="where to write the generated corpus (default: INDEX-corpus)")
    scale.add_argument("--questions", type=int, default=200, help="questions to time (default 200)")
    scale.add_argument("--repeats", type=int, default=3, help="timed passes over the questions; the quietest "
                                                               "is reported (default 3)")
    scale.add_argument("--rank-bm25-queries", type=int, default=20,
                       help="questions scored by rank-bm25 for the reference (default 20; ~1 s each at 100k)")
    scale.add_argument("--reuse", action="store_true",
                       help="measure the index already in INDEX if it was built from this corpus")
    scale.add_argument("--workers", type=int, help="build processes (default: one per core)")
    scale.add_argument("--encoder-threads", type=int,
                       help="BLAS threads of the question-time encoder, a diagnostic (default: as shipped)")
    scale.add_argument("--backend", choices=("embedded", "milvus"), default="embedded",
                       help="milvus: also index the corpus in Milvus and time it beside the embedded index, in every "
                            "mode (default: embedded only)")
    scale.add_argument("--milvus-uri", metavar="URI",
                       help="the Milvus to use with --backend milvus (default: start Milvus Lite's server on "
                            "127.0.0.1 beside INDEX, and stop it at the end)")
    scale.set_defaults(run=_scale)
    size = commands.add_parser("article-size", help="time the passage stage and tokenisation of one article "
                                                     "of growing size (passages per second)")
    size.add_argument("--sizes", default="10K,100K,1M,10M,50M",
                      help="article sizes in UTF-8 bytes, comma-separated (default 10K,100K,1M,10M,50M)")
    size.add_argument("--articles", default="zh,zh-lines,en,en-lines",
                      help="zh: the seed article's paragraphs repeated a blank line apart, en: XQuAD's English "
                           "paragraphs; -lines: a single line break apart (default: all four)")
    size.add_argument("--json", type=Path, help="file to write the results to")
    size.set_defaults(run=_article_size)
    args = parser.parse_args(argv)
    args.command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    return args.run(args)


def _scale(args: argparse.Namespace) -> int:
    from .scale import run

    run(args.passages, args.index, args.json, corpus=args.corpus, questions=args.questions, repeats=args.repeats,
        rank_bm25_queries=args.rank_bm25_queries, reuse=args.reuse, workers=args.workers,
        encoder_threads=args.encoder_threads, command=args.command, backend=args.backend,
        milvus_uri=args.milvus_uri)
    return 0


def _article_size(args: argparse.Namespace) -> int:
    from .article_size import ARTICLES, parse_size, run

    sizes = [s for s in args.sizes.split(",") if s.strip()]
    articles = [s.strip() for s in args.articles.split(",") if s.strip()]
    if not articles or any(name not in ARTICLES for name in articles):
        print(f"error: --articles takes some of {', '.join(ARTICLES)}, not {args.articles!r}", file=sys.stderr)
        return 2
    try:
        for size in sizes:
            parse_size(size)
    except ValueError as error:
        print(f"error: --sizes: {error}", file=sys.stderr)
        return 2
    run(sizes, args.json, articles, command=args.command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
