"""The error hierarchy: every failure a person can cause or fix, with a message saying what to do."""


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
