"""Shared fixtures: the seed article, a tiny trilingual corpus, and indexes built from them once per session."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_4537e6698f2b37d0.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_DATA = ROOT / "tests" / "data"

# A tiny corpus in the three forms Wenda serves: Traditional, Simplified, English.
TINY_ARTICLES = {
    "hant.txt": "維港夜景\n\n維多利亞港每晚八時上演幻彩詠香江燈光表演，吸引大批旅客。\n\n表演長約十分鐘，由四十多幢建築物參與。\n",
    "hans.txt": "深圳地铁\n\n深圳地铁于2004年12月28日开通，首条线路为罗宝线。\n\n截至2023年底，深圳地铁运营里程超过500公里。\n",
    "en.txt": "Harbour ferry\n\nThe Star Ferry has carried passengers across Victoria Harbour since 1888.\n\n"
              "A single crossing takes about nine minutes and costs HK$5.\n",
}


def needs_shared_data(name: str) -> pytest.MarkDecorator:
    """Skip unless the benchmark file ``name`` is in ../shared/data, saying so: a fresh clone has none beside it."""
    path = SHARED_DATA / name
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent: this test needs the benchmark sets "
                                                        "in ../shared/data beside the clone")


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder holding the seed article and its sidecar, as shipped in corpus/."""
    folder = tmp_path_factory.mktemp("seed-corpus")
    for path in (ROOT / "corpus").iterdir():
        if path.name != "README.md":
            shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def seed_index(seed_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus indexed with the default settings (built once; treat as read-only)."""
    from bot.index import build_from_folder
    from bot.settings import Settings

    folder = tmp_path_factory.mktemp("seed-index") / "index"
    build_from_folder(seed_corpus, folder, Settings(), progress=False)
    return folder


@pytest.fixture(scope="session")
def seed_bot(seed_index: Path):
    from bot import Bot

    return Bot.open(seed_index)


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-corpus")
    for name, text in TINY_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def web_url(seed_bot):
    """The web app and its JSON API on a free port, in this process (the seed index, shared)."""
    from app import create_server

    server = create_server(seed_bot, port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


def ask_cli(index: Path, question: str, *extra: str) -> subprocess.CompletedProcess:
    """``python -m bot ask QUESTION --index INDEX --json EXTRA…`` run from the project root, as a user would."""
    return subprocess.run([sys.executable, "-m", "bot", "ask", question, "--index", str(index), "--json", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def write_tiny_bert(folder: Path, text: str, head: str = "") -> Path:
    """A random one-layer BERT saved in ``folder`` with a WordPiece vocabulary made from ``text`` (the
    special tokens, its words and its non-ASCII characters): a plain encoder, or with ``head``
    "classifier" one with a single-score head, as a sentence-transformers CrossEncoder loads it, or with
    "qa" one with start and end logits, as an extractive reader. Nothing is downloaded."""
    import torch
    import transformers

    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    symbols = {c for c in text if not c.isspace() and not c.isalnum()} | {c for c in text if ord(c) > 127}
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words | symbols)]
    folder.mkdir(parents=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # from the folder rather than BertTokenizerFast(vocab_file=...), which transformers 5 ignores
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder))
    assert len(tokenizer) == len(vocab)
    torch.manual_seed(0)
    config = transformers.BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=37, vocab_size=len(vocab), num_labels=2 if head == "qa" else 1)
    model = {"classifier": transformers.BertForSequenceClassification, "qa": transformers.BertForQuestionAnswering,
             "": transformers.BertModel}[head](config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


MILVUS_LITE = 'pip install "pymilvus>=2.5,<2.6" "milvus-lite==2.5.1" "setuptools<80"'


class MilvusLite:
    """Milvus Lite's bundled server (the real Milvus core) on a free 127.0.0.1 port, holding its data in ``folder``;
    ``kill`` ends it by its PID, ``start`` brings it back on the same port with the same data."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port, self.process = folder, _free_port(), None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it answers (at most 60 s); it dies with this process, whatever kills it."""
        from bot.backends.milvus import lite_server

        command, env = lite_server(self.folder / "milvus.db", self.port)
        # no preexec_fn: forking Python code out of a process with gRPC threads can hang the child before exec
        self.process = subprocess.Popen([sys.executable, "-c", DIE_WITH_PARENT, env["LD_LIBRARY_PATH"], *command],
                                        cwd=self.folder, stdout=subprocess.DEVNULL,
                                        stderr=(self.folder / "server.log").open("ab"))
        deadline = time.monotonic() + 60
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"Milvus Lite did not start: {(self.folder / 'server.log').read_text(errors='replace')[-500:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server by its PID and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# A fresh interpreter asks Linux to SIGKILL it when the test process dies (PR_SET_PDEATHSIG), then becomes the
# server (exec keeps the PID), so no server outlives a killed test run. The server's library path (argv[1]) is
# set only for the exec: Python itself does not start with Milvus Lite's libraries.
DIE_WITH_PARENT = ("import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
                   "os.execve(sys.argv[2], sys.argv[2:], {**os.environ, 'LD_LIBRARY_PATH': sys.argv[1]})")


@pytest.fixture(scope="session")
def milvus_lite(tmp_path_factory: pytest.TempPathFactory):
    """A function starting Milvus Lite servers for the tests (skipping, with the reason, where milvus-lite is not
    installed); every server it started is killed by its PID at the end, whether the tests passed or not."""
    if importlib.util.find_spec("milvus_lite") is None or importlib.util.find_spec("pymilvus") is None:
        pytest.skip(f"milvus-lite is not installed (make test installs it; by hand: {MILVUS_LITE})")
    started: list[MilvusLite] = []

    def start() -> MilvusLite:
        server = MilvusLite(tmp_path_factory.mktemp("milvus"))
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture(scope="session")
def milvus_server(milvus_lite) -> MilvusLite:
    """One Milvus Lite server shared by the session's tests (each test uses its own collections)."""
    return milvus_lite()
