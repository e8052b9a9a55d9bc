"""What a reader costs a question: ``SpanReader.best`` over three passages of at most
``max_passage_chars`` (the bot's ``answer_passages``), timed per question on DRCD questions.

``python -m bench.reader_speed [--reader wenda] [--threads 1] [--questions 200] [--contexts FILE]``

The three passages are the one of the question's own paragraph holding the answer and the first
passages of the next two paragraphs, cut as plain 400-character slices (the bot cuts at sentences; the
lengths are what matter here). The median and p90 of the per-question times are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reader_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader", default="wenda", help="reader name or folder (default: wenda)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--contexts", type=Path, default=ROOT.parent / "shared" / "data" / "drcd_dev.json")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    import numpy as np
    import torch

    from bot.reader import load_reader
    from bot.settings import Settings

    torch.set_num_threads(args.threads)
    size, count = Settings().max_passage_chars, Settings().answer_passages
    paragraphs = [p for a in json.loads(args.contexts.read_text(encoding="utf-8"))["data"] for p in a["paragraphs"]]
    work = []
    for n, paragraph in enumerate(paragraphs):
        for qa in paragraph["qas"][:1]:
            at = qa["answers"][0]["answer_start"] // size * size
            others = [paragraphs[(n + k) % len(paragraphs)]["context"][:size] for k in range(1, count)]
            work.append((qa["question"], [paragraph["context"][at:at + size], *others]))
        if len(work) == args.questions:
            break
    reader = load_reader(args.reader)
    reader.best(*work[0])  # warm up
    times = []
    for question, contexts in work:
        started = time.perf_counter()
        reader.best(question, contexts)
        times.append(1000 * (time.perf_counter() - started))
    print(json.dumps({"reader": args.reader, "threads": args.threads, "questions": len(times),
                      "passages": count, "passage_chars": size, "ms_median": round(float(np.median(times)), 1),
                      "ms_p90": round(float(np.percentile(times, 90)), 1), "ms_mean": round(float(np.mean(times)), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
