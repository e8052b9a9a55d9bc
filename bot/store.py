"""The index folder on disk: complete generations behind a ``CURRENT`` pointer, one writer at a time,
and a checksum of every file.

``index/`` holds ``CURRENT`` (the name of the live generation, one line), the generation folders
(``gen-…/manifest.json``, ``passages.jsonl``, …) and ``.lock``. A writer takes the lock, writes a new
generation beside the live one, syncs it to disk and switches ``CURRENT`` with one atomic rename, so a
reader sees the old index or the new one at every instant, whatever is killed when. The next writer
removes what an interrupted one left behind. The builder replaces only a folder that is empty or holds
a Wenda index: a folder of anything else is refused, never emptied.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import xxhash
from filelock import FileLock, Timeout

from .errors import IndexStoreError, MissingIndexError

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
LOCK = ".lock"
WRITER = ".writer.json"  # who holds the lock: pid, command, since
GENERATION_PREFIX = "gen-"
LEGACY_MANIFEST = "manifest.json"  # format 2 kept its files in the folder itself
HASH = "xxh3_128"
CHUNK = 1 << 22
LOCK_WAIT_S = 3600.0


def fault_point(step: str) -> None:
    """Called at every step of a swap; the fault-injection tests replace it to kill the process there."""


def live_folder(folder: Path) -> Path:
    """The folder holding the live generation's files (a format-2 index: the folder itself), or a
    MissingIndexError when ``folder`` holds no index."""
    pointer = folder / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if (folder / LEGACY_MANIFEST).is_file():
            return folder
        raise MissingIndexError(f"no index in {folder}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise IndexStoreError(f"cannot read {pointer} ({error})") from None
    if not name.startswith(GENERATION_PREFIX) or "/" in name or not (folder / name).is_dir():
        raise IndexStoreError(f"{pointer} names no generation of the index ({name[:80]!r})")
    return folder / name


def live_folder_or_none(folder: Path) -> Path | None:
    """``live_folder``, or None where there is no readable live index."""
    try:
        return live_folder(folder)
    except IndexStoreError:
        return None


def holds_index(folder: Path) -> bool:
    """Whether ``folder`` holds a Wenda index (of this format or an older one)."""
    return (folder / CURRENT).is_file() or (folder / LEGACY_MANIFEST).is_file()


def check_writable(folder: Path, corpus: Path | None = None) -> None:
    """Refuse to build into ``folder`` unless it is new, empty or a Wenda index, and refuse an index
    folder inside the corpus or a corpus inside the index folder (such an index is always stale)."""
    if corpus is not None:
        where, articles = folder.resolve(), corpus.resolve()
        if where == articles or where.is_relative_to(articles) or articles.is_relative_to(where):
            raise IndexStoreError(f"the index folder {folder} and the corpus folder {corpus} overlap (one is or "
                                  f"holds the other); keep the index outside the corpus, e.g. --index index")
    if folder.exists() and not folder.is_dir():
        raise IndexStoreError(f"{folder} is a file, not an index folder; give a new or empty folder with --index")
    if folder.is_dir() and not holds_index(folder) and not all(_ours(p) for p in folder.iterdir()):
        raise IndexStoreError(f"{folder} is not empty and holds no Wenda index; Wenda replaces only its own "
                              f"index folders: give a new or empty folder with --index")


@contextmanager
def writing(folder: Path, command: str, wait_s: float = LOCK_WAIT_S,
            say: Callable[[str], None] = lambda text: print(text, file=sys.stderr)) -> Iterator[None]:
    """Hold ``folder``'s writer lock (waiting for another writer, and saying who it is), removing what
    an interrupted writer left behind once the lock is ours."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"waiting for {_holder(folder)} to finish writing the index in {folder}")
        try:
            lock.acquire(timeout=wait_s)
        except Timeout:
            raise IndexStoreError(f"{_holder(folder)} still holds the lock on {folder} after {wait_s:.0f} s; "
                                  f"try again when it has finished") from None
    try:
        _write_json(folder / WRITER, {"pid": os.getpid(), "command": command,
                                      "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        clean_leftovers(folder)
        yield
    finally:
        (folder / WRITER).unlink(missing_ok=True)
        lock.release()


def _ours(path: Path) -> bool:
    """Whether ``path`` in an index folder is what a Wenda writer leaves there (a first build killed half
    way leaves a generation and the lock, and no ``CURRENT``)."""
    name = path.name
    return name in (LOCK, WRITER) or name.startswith(GENERATION_PREFIX) or (name.startswith(f"{CURRENT}.")
                                                                             and name.endswith(".tmp"))


def _holder(folder: Path) -> str:
    try:
        writer = json.loads((folder / WRITER).read_text(encoding="utf-8"))
        return f"process {writer['pid']} ({writer['command']}, since {writer['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def new_generation(folder: Path) -> Path:
    """An empty generation folder to write a complete index into (not live until ``publish``)."""
    generation = Path(tempfile.mkdtemp(prefix=f"{GENERATION_PREFIX}{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-",
                                       dir=folder))
    umask = os.umask(0)
    os.umask(umask)
    generation.chmod(0o777 & ~umask)  # readable as the folder is, not mkdtemp's owner-only
    return generation


def publish(folder: Path, generation: Path) -> None:
    """Make ``generation`` the live index: sync its files, switch ``CURRENT`` by one atomic rename, then
    remove the generations it replaced (and a format-2 index's files)."""
    fault_point("written")
    for path in generation.iterdir():
        _fsync(path)
    _fsync(generation)
    pointer = folder / f"{CURRENT}.{os.getpid()}.tmp"
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    _fsync(pointer)
    fault_point("pointer-written")
    os.replace(pointer, folder / CURRENT)
    _fsync(folder)
    fault_point("switched")
    clean_leftovers(folder)
    fault_point("cleaned")


def clean_leftovers(folder: Path) -> None:
    """Remove every generation but the live one, temporary pointers and a replaced format-2 index.
    Only a writer holding the lock calls this."""
    live = live_folder_or_none(folder)
    for path in folder.iterdir():
        stale_generation = path.name.startswith(GENERATION_PREFIX) and path != live
        if stale_generation or (path.name.startswith(f"{CURRENT}.") and path.name.endswith(".tmp")):
            log.info("removing %s, left by an interrupted or replaced write", path)
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if live is not None and live != folder and (folder / LEGACY_MANIFEST).is_file():
        _remove_legacy(folder)


def _remove_legacy(folder: Path) -> None:
    """The files of a format-2 index in ``folder`` itself, named by its manifest."""
    try:
        names = list(json.loads((folder / LEGACY_MANIFEST).read_text(encoding="utf-8")).get("files", {}))
    except (OSError, ValueError, AttributeError):
        names = []
    for name in [*names, LEGACY_MANIFEST]:
        path = folder / name
        if "/" not in name and path.is_file():
            path.unlink()


def checksum(path: Path) -> str:
    """The XXH3-128 digest of a file's bytes (several GB a second, so loading can check every file)."""
    digest = xxhash.xxh3_128()
    with path.open("rb") as file:
        while block := file.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def describe_files(generation: Path, exclude: str) -> dict[str, dict]:
    """Size and checksum of every file of a generation but ``exclude`` (the manifest that records them)."""
    return {p.name: {"size": p.stat().st_size, HASH: checksum(p)}
            for p in sorted(generation.iterdir()) if p.name != exclude}


def damaged_files(generation: Path, files: dict[str, dict], hashes: bool) -> list[str]:
    """The recorded files that are missing, of another size, or (with ``hashes``) of other content."""
    damaged = []
    for name, record in files.items():
        path = generation / name
        if not path.is_file() or path.stat().st_size != record["size"]:
            damaged.append(f"{name} (missing or of the wrong size)")
        elif hashes and checksum(path) != record[HASH]:
            damaged.append(f"{name} (its content changed: checksum mismatch)")
    return damaged


def _write_json(path: Path, record: dict) -> None:
    path.write_text(json.dumps(record), encoding="utf-8")


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk, so a switched pointer never names data still in the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
