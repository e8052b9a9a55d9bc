"""The error hierarchy: every failure a person can cause or fix, with a message saying what to do, and
how a command line turns one into an exit code."""

from __future__ import annotations

import os
import sys
from typing import Callable


class WendaError(Exception):
    """Base of every error Wenda reports to a person instead of a traceback."""


class CorpusError(WendaError):
    """An article file or the corpus folder cannot be read."""


class IndexStoreError(WendaError):
    """The index folder is missing, stale, corrupt or was built differently."""


class MissingIndexError(IndexStoreError):
    """No index has been built in the folder yet."""


class StaleIndexError(IndexStoreError):
    """The corpus or the settings changed since the index was built."""


class CorruptIndexError(IndexStoreError):
    """An index file is truncated, unreadable or inconsistent with the manifest."""


class EncoderError(WendaError):
    """The dense encoder cannot be loaded or named."""


class QueryError(WendaError):
    """The question or the request cannot be answered as asked (empty, too long, bad option)."""


class SettingsError(WendaError):
    """A setting is out of its range (a command-line option, ``--set KEY=VALUE``, a manifest's settings)."""


def model_load_error(what: str, model: str, error: Exception) -> EncoderError:
    """The one-line error for a model that could not be loaded (hub errors span several lines; the CLI
    prints one), saying what to do about it."""
    why = " ".join(str(error).split())
    return EncoderError(f"could not load {what} {model!r} ({type(error).__name__}: {why}); "
                        "give a local folder path, or make the model hub reachable")


def run_command(body: Callable[[], int]) -> int:
    """A command's exit code: ``body``'s, or 2 with one ``error:`` line on stderr for a WendaError, 130 on
    Ctrl-C, 0 when the reader of stdout went away (``… | head``)."""
    try:
        return body()
    except WendaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")
        return 0
