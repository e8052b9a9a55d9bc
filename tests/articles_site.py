"""A running server with the admin token over its own copy of the seed corpus and index, for the tests of adding
and removing articles (tests/integration/test_articles_api.py, tests/browser/test_articles_web.py)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import ROOT

TOKEN = "s3cret-token"


@contextmanager
def serve(root: Path, token: str = TOKEN) -> Iterator[tuple[str, Path, Path]]:
    """(url, corpus, index) of a server on a free port over ``root/corpus`` (the seed) and ``root/index``."""
    from app import create_server
    from bot import Bot
    from bot.index import build_from_folder
    from bot.settings import Settings

    (root / "corpus").mkdir(parents=True)
    for path in (ROOT / "corpus").iterdir():
        if path.name != "README.md":
            shutil.copy(path, root / "corpus" / path.name)
    build_from_folder(root / "corpus", root / "index", Settings(), progress=False)
    server = create_server(Bot.open(root / "index"), port=0, admin_token=token)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", root / "corpus", root / "index"
    finally:
        server.should_exit = True
        thread.join(10)
