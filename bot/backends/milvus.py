"""The Milvus backend: passages, their BM25 weights and their window vectors in Milvus collections, searched by
the server and fused on the client (``bot/retrieve.py``) exactly as the embedded backend's results are.

The client code is the same for Milvus Lite (a ``.db`` file, or its bundled server on 127.0.0.1), a
standalone server and a cluster's proxy: only the URI and the token change. For ``--collection NAME``:

- ``NAME``: the pointer, one row naming the live generation and its version. A build writes a whole new
  generation and then switches this row with one upsert (Milvus Lite implements no aliases), so a build
  that fails half way leaves the previous generation serving; ``--add``/``--remove`` insert and delete in
  the live generation and bump the version, which serving processes notice within ``REFRESH_S``.
- ``NAME__g<stamp>_passages``: a row per passage: ``row`` (primary key), the passage as JSON (text, offsets,
  spans, metadata), and ``bm25``, its BM25Okapi term weights as a sparse vector: term id → the tf part
  ``tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))``; the query vector carries each term's idf, so an inner
  product is the BM25 score (Robertson and Zaragoza 2009) with Wenda's tokens, and adding articles changes
  no stored weight. With ``milvus_bm25 = "server"`` the row also holds the space-joined tokens, scored by
  Milvus's own BM25 function (whitespace analyzer) instead. ``bigrams`` is the character-bigram field's
  vector, made the same way from ``text.char_bigrams`` (Wenda's weights in either mode).
- ``NAME__g<stamp>_windows``: a row per sentence window: ``id``, its passage ``row``, its vector.
- ``NAME__g<stamp>_store``: named JSON documents cut into parts: the manifest, the term statistics of both
  fields (vocabulary and document frequencies, which idf comes from), the article table, and every article.

The index folder keeps only a copy of the manifest naming the URI and the collection (never the token,
which comes from ``--milvus-token`` or ``WENDA_MILVUS_TOKEN``); answering reads nothing else from it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import re
import secrets
import shutil
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import grpc
import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient
from pymilvus.exceptions import MilvusException
from tqdm import tqdm

from .. import store
from ..corpus import Article
from ..encoders import Encoder, load_encoder
from ..errors import CorruptIndexError, IndexStoreError, MissingIndexError, StaleIndexError, WendaError
from ..index import (FORMAT_VERSION, MANIFEST, PassageBigrams, _vectors, _windows, build_command, changed_corpus,
                     check_change, passage_from, read_additions, read_manifest, split, text_hashes)
from ..passages import Passage
from ..settings import Settings
from ..text import char_bigrams
from . import MILVUS_TOKEN as TOKEN_VARIABLE, BackendUnavailableError, recorded_corpus

log = logging.getLogger(__name__)

REFRESH_S = 2.0  # a serving process checks the pointer this often, to follow a rebuild or an --add
CONSISTENCY = "Strong"  # a reader sees what a writer wrote once the writer's command has returned
PART_CHARS = 16_000  # characters of a stored document per row: at most 64,000 UTF-8 bytes, under VARCHAR's 65,535
VARCHAR_BYTES = 65_535
INSERT_ROWS = 2_000  # rows a batch of inserts carries
CACHE_PASSAGES = 4_096  # passages (and window sets) a serving process keeps
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,150}")
GAP = Passage(doc_id="", passage_id="", title="", section="", kind="removed", text="", spans=((0, 0),))
PLACEHOLDER = [0.0, 0.0]  # Milvus needs a vector in every collection: the store's and the pointer's hold this
POINTER_KEY = "live"

T = TypeVar("T")


# --- talking to Milvus -----------------------------------------------------------------------------

def token() -> str:
    """The token for Milvus (``user:password`` or an API key): ``WENDA_MILVUS_TOKEN``, never a file."""
    return os.environ.get(TOKEN_VARIABLE, "")


def _rpc(error: BaseException) -> grpc.RpcError | None:
    """The failed gRPC call behind a pymilvus error, if there is one."""
    chain, visited = [error], set()
    while chain:  # pymilvus raises ``e from e``: the chain loops
        seen = chain.pop()
        if id(seen) in visited:
            continue
        visited.add(id(seen))
        if isinstance(seen, grpc.RpcError) and callable(getattr(seen, "code", None)):
            return seen
        chain += [e for e in (seen.__cause__, seen.__context__) if e is not None]
    return None


def failure(error: Exception, uri: str) -> WendaError:
    """A person's one-line error for a failed call to Milvus at ``uri``: down or unreachable, the token refused,
    the collection missing, or what Milvus said."""
    rpc = _rpc(error)
    status = rpc.code() if rpc is not None else None
    code = getattr(error, "code", None)
    code = None if callable(code) else code  # pymilvus puts the gRPC call's method there when one failed
    said = f"{status.name}: {rpc.details()}" if rpc is not None else str(getattr(error, "message", "") or error)
    said = " ".join(said.split())[:300]
    if status in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED) or "auth check fail" in said:
        return BackendUnavailableError(f"Milvus at {uri} refused the credentials ({said}); give the right token "
                                       f"with --milvus-token or {TOKEN_VARIABLE} (user:password, or an API key)")
    if status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) or code == 2:
        return BackendUnavailableError(f"Wenda is unavailable: Milvus at {uri} cannot be reached ({said}); check that "
                                       f"it is running and that --milvus-uri names it")
    if code == 100 or "collection not found" in said:
        return MissingIndexError(f"Milvus at {uri} has no collection for this index ({said})")
    return BackendUnavailableError(f"Milvus at {uri} failed ({said})")


class Connection:
    """One Milvus client; every call either returns or raises a WendaError saying what went wrong."""

    def __init__(self, uri: str, timeout: float) -> None:
        if not uri:
            raise IndexStoreError("the milvus backend needs a server: give --milvus-uri (a Milvus Lite file such "
                                  "as wenda.db, http://127.0.0.1:19530, or a cluster's address)")
        if "://" not in uri:  # a Milvus Lite file: recorded whole, so any working directory finds it
            uri = str(Path(uri).resolve())
        self.uri, self.timeout = uri, timeout
        for name in ("pymilvus", "pymilvus.milvus_client"):  # it logs every failure it raises; we say them once
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = MilvusClient(uri=uri, token=token(), timeout=timeout)
        except (MilvusException, grpc.RpcError) as error:  # a refused token comes as a bare RpcError
            raise failure(error, uri) from None
        except (ValueError, OSError, RuntimeError, ImportError) as error:  # a malformed URI, an unwritable Lite file
            raise BackendUnavailableError(f"cannot open Milvus at {uri!r} ({type(error).__name__}: {error}); give "
                                          f"--milvus-uri as a file ending .db, http://HOST:PORT or https://HOST") from None

    def __call__(self, method: str, *args: Any, timeout: float | None | str = "default", **kwargs: Any) -> Any:
        """``MilvusClient.<method>(*args, **kwargs)`` within the timeout (``None``: pymilvus's retries, for builds).
        The timeout goes as whole seconds: pymilvus bounds its retries by it only when it is an int."""
        seconds = self.timeout if timeout == "default" else timeout
        try:
            return getattr(self.client, method)(*args, timeout=None if seconds is None else max(1, math.ceil(seconds)),
                                                **kwargs)
        except (MilvusException, grpc.RpcError) as error:
            raise failure(error, self.uri) from None

    def close(self) -> None:
        self.client.close()


def lite_server(db_file: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """The command and environment that start Milvus Lite's bundled server (the real Milvus core, which
    ``MilvusClient("wenda.db")`` starts on a unix socket instead) for ``db_file`` on 127.0.0.1:``port``."""
    spec = importlib.util.find_spec("milvus_lite")
    if spec is None or not spec.submodule_search_locations:
        raise IndexStoreError('Milvus Lite is not installed; install it with: pip install "milvus-lite==2.5.1"')
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    env = {**os.environ, "LD_LIBRARY_PATH": f"{lib}:{os.environ.get('LD_LIBRARY_PATH', '')}"}
    return [str(lib / "milvus"), str(db_file), f"127.0.0.1:{port}", "ERROR"], env


def check_name(name: str) -> str:
    """``name`` if Milvus accepts it as a collection name with Wenda's suffixes, else a SettingsError-like
    message."""
    if not NAME_PATTERN.fullmatch(name):
        raise IndexStoreError(f"--collection {name!r} is not a usable Milvus collection name: use letters, digits "
                              f"and underscores, starting with a letter (at most 150)")
    return name


# --- BM25 statistics on the client ---------------------------------------------------------------

@dataclass
class Terms:
    """BM25Okapi's statistics (Robertson and Zaragoza 2009) as ``rank_bm25.BM25Okapi`` and ``bot/bm25.py`` compute
    them: document frequencies give each term's idf, ``log(N - df + 0.5) - log(df + 0.5)`` with negative values
    floored to ``epsilon`` × the mean idf. ``avgdl`` stays the build's, so stored tf parts stay valid as articles
    come and go (a rebuild brings it up to date)."""

    vocab: list[str]
    df: list[int]
    size: int
    avgdl: float
    k1: float
    b: float
    epsilon: float
    term_ids: dict[str, int] = field(init=False, repr=False)
    idf_of: np.ndarray = field(init=False, repr=False)  # by term id; -inf for a term no passage has any more
    idf: np.ndarray = field(init=False, repr=False)  # of the terms passages have, for ``evidence``

    def __post_init__(self) -> None:
        self.term_ids = {term: i for i, term in enumerate(self.vocab)}
        self._recompute()

    @classmethod
    def of(cls, documents: Sequence[Sequence[str]], settings: Settings) -> "Terms":
        """The statistics of tokenised passages, terms numbered by first appearance (as ``BM25.build``)."""
        lengths = sum(len(doc) for doc in documents)
        terms = cls([], [], 0, lengths / len(documents) if documents else 0.0, settings.bm25_k1, settings.bm25_b,
                    settings.bm25_epsilon)
        terms.count(documents)
        return terms

    def count(self, documents: Sequence[Sequence[str]]) -> None:
        """Add these passages' terms, numbering new terms as they appear."""
        for doc in documents:
            for term in dict.fromkeys(doc):
                t = self.term_ids.get(term)
                if t is None:
                    t = self.term_ids[term] = len(self.vocab)
                    self.vocab.append(term)
                    self.df.append(0)
                self.df[t] += 1
        self.size += len(documents)
        self._recompute()

    def forget(self, term_ids: Sequence[Sequence[int]]) -> None:
        """Take away removed passages, given the term ids of each (their stored sparse vectors' keys)."""
        for ids in term_ids:
            for t in ids:
                self.df[t] -= 1
        self.size -= len(term_ids)
        self._recompute()

    def _recompute(self) -> None:
        df = np.array(self.df, dtype=np.int64)
        idf = np.array([math.log(self.size - d + 0.5) - math.log(d + 0.5) for d in self.df], dtype=np.float64)
        live = df > 0
        if live.any():
            idf[live & (idf < 0)] = self.epsilon * idf[live].mean()
        idf[~live] = -np.inf
        self.idf_of, self.idf = idf, idf[live]

    def term_idf(self, term: str) -> float | None:
        """The term's idf, or None when no passage has it."""
        t = self.term_ids.get(term)
        return None if t is None or self.df[t] <= 0 else float(self.idf_of[t])

    def weights(self, doc: Sequence[str]) -> dict[int, float]:
        """A passage's sparse vector: each of its terms' tf part of BM25 (the terms must be counted)."""
        norm = self.k1 * (1 - self.b + self.b * len(doc) / self.avgdl) if self.avgdl else self.k1
        return {self.term_ids[term]: tf * (self.k1 + 1) / (tf + norm) for term, tf in Counter(doc).items()}

    def query(self, words: Sequence[str]) -> dict[int, float]:
        """The query's sparse vector: each known term's idf times how often it is asked (as rank-bm25 counts
        repeats). Milvus refuses negative weights, so a term of negative idf (only when the mean idf is negative,
        in a corpus of a few passages) is left out."""
        vector: dict[int, float] = {}
        for word in words:
            t = self.term_ids.get(word)
            if t is not None and self.df[t] > 0 and self.idf_of[t] > 0:
                vector[t] = vector.get(t, 0.0) + float(self.idf_of[t])
        return vector

    def to_json(self) -> dict:
        return {"vocab": self.vocab, "df": self.df, "size": self.size, "avgdl": self.avgdl, "k1": self.k1,
                "b": self.b, "epsilon": self.epsilon}

    @classmethod
    def from_json(cls, record: dict) -> "Terms":
        return cls(record["vocab"], record["df"], record["size"], record["avgdl"], record["k1"], record["b"],
                   record["epsilon"])


# --- layout --------------------------------------------------------------------------------------

def names(generation: str) -> dict[str, str]:
    """The collections of a generation."""
    return {kind: f"{generation}_{kind}" for kind in ("passages", "windows", "store")}


def dense_index(settings: Settings, count: int, kind: str | None = None) -> tuple[str, dict]:
    """The index type (``kind``, else the setting's) and build parameters for ``count`` window vectors: ``auto``
    is exact (FLAT) up to ``exact_search_limit``, HNSW above (``_create_generation`` falls back to IVF_FLAT
    where the server refuses HNSW, as Milvus Lite does)."""
    kind = kind or settings.milvus_dense_index
    if kind == "auto":
        kind = "FLAT" if count <= settings.exact_search_limit else "HNSW"
    params = {"FLAT": {}, "IVF_FLAT": {"nlist": max(1, min(settings.milvus_nlist, count))},
              "HNSW": {"M": settings.hnsw_m, "efConstruction": settings.hnsw_ef_construction}}[kind]
    return kind, params


def _schema_pointer() -> Any:
    schema = MilvusClient.create_schema(auto_id=False, description="Wenda: the live generation of an index")
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("generation", DataType.VARCHAR, max_length=256)
    schema.add_field("version", DataType.INT64)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
    return schema


def _schema_passages(server_bm25: bool) -> Any:
    schema = MilvusClient.create_schema(auto_id=False, description="Wenda: passages and their BM25 weights")
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("record", DataType.VARCHAR, max_length=VARCHAR_BYTES)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("bigrams", DataType.SPARSE_FLOAT_VECTOR)
    if server_bm25:
        schema.add_field("tokens", DataType.VARCHAR, max_length=VARCHAR_BYTES, enable_analyzer=True,
                         analyzer_params={"tokenizer": "whitespace"})
        schema.add_field("bm25_server", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25_server", function_type=FunctionType.BM25,
                                     input_field_names=["tokens"], output_field_names=["bm25_server"]))
    return schema


def _schema_windows(dim: int) -> Any:
    schema = MilvusClient.create_schema(auto_id=False, description="Wenda: sentence-window vectors")
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("row", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    return schema


def _schema_store() -> Any:
    schema = MilvusClient.create_schema(auto_id=False, description="Wenda: manifest, term statistics, articles")
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("name", DataType.VARCHAR, max_length=512)
    schema.add_field("part", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=VARCHAR_BYTES)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
    return schema


def _create(db: Connection, collection: str, schema: Any, indexes: list[tuple[str, str, str, dict]]) -> None:
    """Create ``collection`` with its indexes (field, index type, metric, parameters) and load it."""
    params = db.client.prepare_index_params()
    for field_name, kind, metric, extra in indexes:
        params.add_index(field_name, index_type=kind, metric_type=metric, params=extra)
    db("create_collection", collection, schema=schema, index_params=params, consistency_level=CONSISTENCY,
       timeout=None)


def _parts(name: str, text: str) -> list[dict]:
    """The rows of a stored document."""
    pieces = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
    return [{"key": f"{name}#{i}", "name": name, "part": i, "text": piece, "placeholder": PLACEHOLDER}
            for i, piece in enumerate(pieces)]


def _filter_text(value: str) -> str:
    """``value`` as a quoted string in a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def read_document(db: Connection, collection: str, name: str) -> Any:
    """A stored JSON document, or a CorruptIndexError when it is missing or does not parse."""
    rows = db("query", collection, filter=f"name == {_filter_text(name)}", output_fields=["part", "text"])
    try:
        if not rows or sorted(r["part"] for r in rows) != list(range(len(rows))):
            raise ValueError("missing or incomplete")
        return json.loads("".join(r["text"] for r in sorted(rows, key=lambda r: r["part"])))
    except ValueError as error:
        raise CorruptIndexError(f"the document {name!r} in {collection} at {db.uri} is damaged ({error}); rebuild "
                                f"the index") from None


def _write_document(db: Connection, collection: str, name: str, record: Any) -> None:
    """Store ``record`` as document ``name``, replacing whatever an interrupted writer left under that name."""
    _delete_document(db, collection, name)
    db("insert", collection, _parts(name, json.dumps(record, ensure_ascii=False)), timeout=None)


def _delete_document(db: Connection, collection: str, name: str) -> None:
    db("delete", collection, filter=f"name == {_filter_text(name)}", timeout=None)


def read_pointer(db: Connection, name: str) -> tuple[str, int]:
    """The live generation of collection ``name`` and its version, or a MissingIndexError saying how to build it."""
    if not db("has_collection", name):
        raise MissingIndexError(f"no Wenda collection {name!r} at {db.uri}; build it with: python -m bot index "
                                f"--backend milvus --milvus-uri {db.uri} --collection {name}")
    rows = db("get", name, ids=[POINTER_KEY], output_fields=["generation", "version"])
    if not rows:
        raise MissingIndexError(f"the Wenda collection {name!r} at {db.uri} names no built index; build it with: "
                                f"python -m bot index --backend milvus --milvus-uri {db.uri} --collection {name}")
    return rows[0]["generation"], int(rows[0]["version"])


def _check_ours(db: Connection, name: str) -> None:
    """Refuse a collection ``name`` that is not a Wenda pointer: Wenda never writes into someone else's."""
    fields = {f["name"] for f in db("describe_collection", name)["fields"]}
    if fields != {"key", "generation", "version", "placeholder"}:
        raise IndexStoreError(f"the collection {name!r} at {db.uri} is not one of Wenda's; choose another "
                              f"--collection")


def _switch(db: Connection, name: str, generation: str, version: int) -> None:
    """Make ``generation`` (at ``version``) the live one: one upsert of the pointer's only row."""
    if not db("has_collection", name):
        _create(db, name, _schema_pointer(), [("placeholder", "FLAT", "L2", {})])
    db("upsert", name, [{"key": POINTER_KEY, "generation": generation, "version": version,
                         "placeholder": PLACEHOLDER}], timeout=None)


def _drop_generation(db: Connection, generation: str) -> None:
    for collection in names(generation).values():
        if db("has_collection", collection, timeout=None):
            db("drop_collection", collection, timeout=None)


def _leftovers(db: Connection, name: str, live: str) -> list[str]:
    """Generations of ``name`` other than ``live``: replaced ones, and those of builds that died half way."""
    pattern = re.compile(rf"({re.escape(name)}__g\d{{8}}T\d{{6}}_[0-9a-f]{{6}})_(passages|windows|store)")
    found = {m.group(1) for c in db("list_collections", timeout=None) if (m := pattern.fullmatch(c))}
    return sorted(found - {live})


# --- the loaded index ----------------------------------------------------------------------------

class Cache:
    """The ``CACHE_PASSAGES`` values last stored, shared by the threads of a web server."""

    def __init__(self) -> None:
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: Any) -> bool:
        return key in self._values

    def get(self, key: Any, default: Any = None) -> Any:
        return self._values.get(key, default)

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > CACHE_PASSAGES:
                self._values.popitem(last=False)


@dataclass
class State:
    """What a serving process holds of one version of the live generation, replaced whole on a change."""

    generation: str
    version: int
    manifest: dict
    terms: Terms
    bigram_terms: Terms
    table: dict[str, dict]  # doc_id -> {"first": row, "end": row, "ordinal": n}, in index order
    passages: Cache = field(default_factory=Cache)  # row -> Passage
    windows: Cache = field(default_factory=Cache)  # row -> its window vectors
    articles: Cache = field(default_factory=Cache)  # doc_id -> Article

    @property
    def names(self) -> dict[str, str]:
        return names(self.generation)


class MilvusPassages(Sequence):
    """The passages by row, fetched from Milvus as asked (``prefetch`` many at once) and kept in a small cache;
    the row of a removed passage reads as an empty passage of no article, so its neighbours stay addressable."""

    def __init__(self, index: "MilvusIndex") -> None:
        self._index = index

    def __len__(self) -> int:
        return int(self._index.state.manifest["milvus"]["next_row"])

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        state = self._index.state
        if row not in state.passages:
            self._index.prefetch([row])
        return state.passages.get(row, GAP)

    def __iter__(self) -> Iterator[Passage]:
        for start in range(0, len(self), INSERT_ROWS):
            rows = list(range(start, min(start + INSERT_ROWS, len(self))))
            found = self._index.fetch(rows)
            yield from (found.get(row, GAP) for row in rows)


class MilvusArticles(Mapping):
    """The articles by doc_id, each read from the store when asked."""

    def __init__(self, index: "MilvusIndex") -> None:
        self._index = index

    def __getitem__(self, doc_id: str) -> Article:
        state = self._index.state
        entry = state.table[doc_id]  # KeyError for an unknown one, as a Mapping does
        if doc_id not in state.articles:
            record = self._index.call(lambda s: read_document(self._index.db, s.names["store"],
                                                              f"article/{entry['ordinal']}"))
            try:
                state.articles.put(doc_id, Article(**record))
            except TypeError as error:
                raise CorruptIndexError(f"the article {doc_id!r} in {state.names['store']} is damaged ({error}); "
                                        f"rebuild the index") from None
        return state.articles.get(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.state.table)

    def __len__(self) -> int:
        return len(self._index.state.table)


class MilvusIndex:
    """A Wenda index held in Milvus: searched there, fused by the caller; safe to share between threads."""

    def __init__(self, folder: Path, local: dict, db: Connection, settings: Settings) -> None:
        self.folder, self.local, self.db, self.query_settings = folder, local, db, settings
        self.collection = local["milvus"]["collection"]
        self._lock = threading.Lock()
        self._checked = 0.0
        if db("has_collection", self.collection):
            _check_ours(db, self.collection)
        self.state = self._read(*read_pointer(db, self.collection))
        self.passages = MilvusPassages(self)
        self.articles = MilvusArticles(self)

    # the interface of bot.backends.SearchIndex
    @property
    def manifest(self) -> dict:
        return self.state.manifest

    @property
    def bm25(self) -> Terms:
        self._follow()
        return self.state.terms

    @property
    def settings(self) -> Settings:
        return Settings().replace(**self.manifest["settings"])

    @property
    def corpus_folder(self) -> Path | None:
        return recorded_corpus(self.manifest)

    def sparse(self, words: Sequence[str], n: int, field: str = "bm25") -> list[tuple[int, float]]:
        """The ``n`` best passages by BM25 over ``field`` (``bm25`` words or ``bigrams``), best first (ties by row,
        as the embedded backend orders them)."""
        def search(state: State) -> list[tuple[int, float]]:
            if field == "bigrams":
                vector = state.bigram_terms.query(words)
                if not vector:
                    return []
                data, field_name, params = [vector], "bigrams", {"metric_type": "IP"}
            elif state.manifest["milvus"]["bm25"] == "server":
                if not words:
                    return []
                data, field_name, params = [" ".join(words)], "bm25_server", {"metric_type": "BM25"}
            else:
                vector = state.terms.query(words)
                if not vector:
                    return []
                data, field_name, params = [vector], "bm25", {"metric_type": "IP"}
            found = self.db("search", state.names["passages"], data, anns_field=field_name, limit=n,
                            search_params={**params, "params": {"drop_ratio_search": 0.0}})
            return sorted(((int(h["id"]), float(h["distance"])) for h in found[0] if h["distance"] > 0),
                          key=lambda hit: (-hit[1], hit[0]))
        return self.call(search)

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The ``n`` best passages by their best window's cosine, from the best ``4 n`` windows (as embedded)."""
        def search(state: State) -> list[tuple[int, float]]:
            limit = min(n * 4, int(state.manifest["windows"]))
            if limit <= 0:
                return []
            kind = state.manifest["dense_index"]
            params = {"IVF_FLAT": {"nprobe": self.query_settings.milvus_nprobe},
                      "HNSW": {"ef": max(self.query_settings.hnsw_ef_search, limit)}}.get(kind, {})
            found = self.db("search", state.names["windows"], [np.asarray(vector, dtype=np.float32).tolist()],
                            anns_field="vector", limit=limit, output_fields=["row"],
                            search_params={"metric_type": "IP", "params": params})
            best: dict[int, float] = {}
            for hit in sorted(found[0], key=lambda h: (-h["distance"], h["id"])):
                best.setdefault(int(hit["entity"]["row"]), float(hit["distance"]))
            return list(best.items())[:n]
        return self.call(search)

    def window_vectors(self, row: int) -> np.ndarray:
        """The stored vectors of passage ``row``'s windows, in sentence order."""
        state = self.state
        if row not in state.windows:
            self.prefetch([], windows=[row])
        return state.windows.get(row, np.zeros((0, int(state.manifest["dimension"])), dtype=np.float32))

    def prefetch(self, rows: Sequence[int], windows: Sequence[int] = ()) -> None:
        """Fetch the passages ``rows`` and the window vectors of ``windows`` not cached yet, one call each."""
        state = self.state
        missing = [r for r in dict.fromkeys(rows) if r not in state.passages]
        if missing:
            self.fetch(missing)
        wanted = [r for r in dict.fromkeys(windows) if r not in state.windows]
        if wanted:
            found = self.call(lambda s: self.db("query", s.names["windows"], filter=f"row in {wanted}",
                                                output_fields=["id", "row", "vector"]))
            by_row: dict[int, list[tuple[int, list[float]]]] = {r: [] for r in wanted}
            for hit in found:
                by_row.setdefault(int(hit["row"]), []).append((int(hit["id"]), hit["vector"]))
            dim = int(state.manifest["dimension"])
            for r, vectors in by_row.items():
                state.windows.put(r, np.array([v for _, v in sorted(vectors)], dtype=np.float32).reshape(-1, dim))

    def fetch(self, rows: Sequence[int]) -> dict[int, Passage]:
        """The passages ``rows`` that exist, read in one call and cached."""
        state = self.state
        found = self.call(lambda s: self.db("get", s.names["passages"], ids=list(rows), output_fields=["record"]))
        out = {}
        for hit in found:
            try:
                out[int(hit["row"])] = passage_from(json.loads(hit["record"]))
            except (TypeError, KeyError, ValueError) as error:
                raise CorruptIndexError(f"passage {hit['row']} in {state.names['passages']} is damaged ({error}); "
                                        f"rebuild the index") from None
        for row, passage in out.items():
            state.passages.put(row, passage)
        return out

    # following the live generation
    def call(self, work: Callable[[State], T]) -> T:
        """``work`` on the current state; when its collections are gone (a rebuild replaced them), once more on
        the new live generation."""
        self._follow()
        try:
            return work(self.state)
        except MissingIndexError:
            self._follow(force=True)
            return work(self.state)

    def _follow(self, force: bool = False) -> None:
        """Re-read the pointer at most every REFRESH_S (or now, with ``force``) and load a changed generation or
        version, checking it was built as this index was."""
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_S:
            return
        with self._lock:
            self._checked = now
            generation, version = read_pointer(self.db, self.collection)
            if (generation, version) != (self.state.generation, self.state.version):
                log.info("following %s to generation %s version %d", self.collection, generation, version)
                self.state = self._read(generation, version)

    def _read(self, generation: str, version: int) -> State:
        """The state of ``generation`` at ``version``, refused when it was built with another encoder or settings
        than the index folder records, or when its row count disagrees with its manifest (a change died half way)."""
        collections = names(generation)
        manifest = read_document(self.db, collections["store"], f"manifest@{version}")
        theirs = {**(manifest.get("settings") or {}), "encoder": manifest.get("encoder"),
                  "dimension": manifest.get("dimension")}
        ours = {**self.local["settings"], "encoder": self.local["encoder"], "dimension": self.local["dimension"]}
        changed = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        if changed:
            raise StaleIndexError(f"the collection {self.collection!r} at {self.db.uri} was built with another "
                                  f"encoder or settings ({', '.join(changed)}) than the index in {self.folder} "
                                  f"records; rebuild with: {_rebuild(self.local, self.folder)}")
        count = _count(self.db, collections["passages"])
        if count != manifest["passages"]:
            raise CorruptIndexError(f"{collections['passages']} at {self.db.uri} holds {count} passages, its manifest "
                                    f"{manifest['passages']} (an --add or --remove is under way or died half way); "
                                    f"if none is running, rebuild with: {_rebuild(self.local, self.folder)}")
        terms = Terms.from_json(read_document(self.db, collections["store"], f"terms@{version}"))
        bigram_terms = Terms.from_json(read_document(self.db, collections["store"], f"bigrams@{version}"))
        table = {doc_id: entry for doc_id, entry in read_document(self.db, collections["store"], f"articles@{version}")}
        return State(generation, version, manifest, terms, bigram_terms, table)


def _rebuild(manifest: dict, folder: Path) -> str:
    return build_command(recorded_corpus(manifest), folder, manifest)


# --- the backend's operations, called by bot/index.py ---------------------------------------------

def load(folder: Path, manifest: dict, settings: Settings | None = None) -> MilvusIndex:
    """Open the Milvus index that ``folder``'s manifest names (URI and collection)."""
    settings = settings or Settings()
    record = manifest.get("milvus")
    if not isinstance(record, dict) or not isinstance(record.get("uri"), str) or not record.get("collection"):
        raise CorruptIndexError(f"the manifest in {folder} names no Milvus collection; rebuild with: "
                                f"{_rebuild(manifest, folder)}")
    return MilvusIndex(folder, manifest, Connection(record["uri"], settings.milvus_timeout_s), settings)


def prepare(settings: Settings) -> Connection:
    """Connect to the Milvus a build names and check the collection's name, before any work is done."""
    name = check_name(settings.milvus_collection)
    db = Connection(settings.milvus_uri, settings.milvus_timeout_s)
    if db("has_collection", name):
        _check_ours(db, name)
    return db


def build(db: Connection, folder: Path, articles: list[Article], passages: list[Passage],
          token_lists: list[list[str]], settings: Settings, corpus_info: dict, encoder: Encoder, progress: bool,
          started: float, stages: dict[str, float]) -> dict:
    """Write the passages into a new generation of collection ``settings.milvus_collection`` (``db``, from
    ``prepare``), switch the pointer to it, drop the one it replaced, and record the manifest in ``folder``;
    returns the manifest."""
    name = settings.milvus_collection
    with store.writing(folder, "index (build, milvus)"):
        generation = f"{name}__g{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}_{secrets.token_hex(3)}"
        collections = names(generation)
        try:
            t = time.perf_counter()
            terms, bigram_terms = Terms.of(token_lists, settings), Terms.of(PassageBigrams(passages), settings)
            texts, window_rows = _windows(passages, settings.dense_window_chars)
            vectors, encoded = _vectors(texts, text_hashes(texts), encoder, settings, None, progress)
            stages["encode_s"] = time.perf_counter() - t
            t = time.perf_counter()
            kind, params = _create_generation(db, collections, encoder.dim, settings, len(texts))
            table = _insert(db, collections, settings, (terms, bigram_terms), articles, passages, token_lists, vectors,
                            window_rows, 0, 0, 0, progress)
            store.fault_point("milvus-inserted")
            manifest = {
                "format_version": FORMAT_VERSION, "backend": "milvus", "encoder": encoder.name,
                "dimension": encoder.dim, "settings": settings.index_fields(), "corpus": corpus_info, "files": {},
                "articles": len(articles), "passages": len(passages), "windows": len(texts), "dense_index": kind,
                "windows_encoded": encoded, "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_flags": f"--backend milvus --milvus-uri {db.uri} --collection {name}",
                "milvus": {"uri": db.uri, "collection": name, "generation": generation, "version": 1,
                           "bm25": settings.milvus_bm25, "dense_params": params, "next_row": len(passages),
                           "next_window": len(texts), "next_article": len(articles)}}
            for collection in (collections["passages"], collections["windows"]):
                db("flush", collection, timeout=None)
                _wait_for_indexes(db, collection)
            stages["insert_s"] = time.perf_counter() - t
            _publish(db, collections, manifest, (terms, bigram_terms), table, started, stages)
            store.fault_point("milvus-documents")
            _switch(db, name, generation, 1)
        except BaseException:
            _drop_generation(db, generation)  # the previous generation, if any, goes on serving
            raise
        for old in _leftovers(db, name, generation):
            log.info("dropping %s, replaced or left by an interrupted build", old)
            _drop_generation(db, old)
        _write_local(folder, manifest)
        db.close()
    log.info("indexed %d passages of %d articles into %s at %s in %.1f s", len(passages), len(articles), name,
             db.uri, manifest["build_s"])
    return manifest


def update(folder: Path, add: Sequence[Path], remove: Sequence[str], progress: bool, encoder: Encoder | None,
           workers: int | None) -> dict:
    """Insert the articles of ``add`` (replacing an indexed doc_id) and delete ``remove`` in the live generation,
    encoding only the new windows, then bump its version; the caller holds ``folder``'s writer lock."""
    started = time.perf_counter()
    index = load(folder, read_manifest(folder))
    state, db = index.state, index.db
    settings = index.settings.replace(workers=workers, milvus_bm25=state.manifest["milvus"]["bm25"])
    t = time.perf_counter()
    new_articles = read_additions(add, index.corpus_folder)
    dropped = check_change(index.articles, new_articles, remove, folder,
                           f"the collection {index.collection!r} at {db.uri}")
    passages, token_lists = split(new_articles, settings, progress)
    stages = {"passages_s": time.perf_counter() - t}
    manifest = json.loads(json.dumps(state.manifest))
    record, collections, terms, bigram_terms = manifest["milvus"], state.names, state.terms, state.bigram_terms
    gone = [state.table[d] for d in state.table if d in dropped]
    t = time.perf_counter()
    texts, window_rows = _windows(passages, settings.dense_window_chars)
    encoder = encoder or load_encoder(manifest["encoder"])
    vectors, encoded = _vectors(texts, text_hashes(texts), encoder, settings, None, progress)
    stages["encode_s"] = time.perf_counter() - t
    t = time.perf_counter()
    removed_terms, removed_bigrams = [], []
    for entry in gone:
        rows = db("query", collections["passages"], filter=_rows(entry), output_fields=["bm25", "bigrams"],
                  timeout=None)
        removed_terms += [list(r["bm25"]) for r in rows]
        removed_bigrams += [list(r["bigrams"]) for r in rows]
    terms.forget(removed_terms)
    terms.count(token_lists)
    bigram_terms.forget(removed_bigrams)
    bigram_terms.count(PassageBigrams(passages))
    table = {d: entry for d, entry in state.table.items() if d not in dropped}
    table.update(_insert(db, collections, settings, (terms, bigram_terms), new_articles, passages, token_lists,
                         vectors, window_rows, record["next_row"], record["next_window"], record["next_article"],
                         progress, upsert=True))
    store.fault_point("milvus-inserted")
    for entry in gone:
        db("delete", collections["passages"], filter=_rows(entry), timeout=None)
        db("delete", collections["windows"], filter=_rows(entry), timeout=None)
        _delete_document(db, collections["store"], f"article/{entry['ordinal']}")
    stages["insert_s"] = time.perf_counter() - t
    version = state.version + 1
    manifest.update(articles=len(table), passages=_count(db, collections["passages"]),
                    windows=_count(db, collections["windows"]), windows_encoded=encoded,
                    corpus=changed_corpus(manifest, add, remove), built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                         time.gmtime()))
    record.update(version=version, next_row=record["next_row"] + len(passages),
                  next_window=record["next_window"] + len(texts), next_article=record["next_article"] + len(new_articles))
    _publish(db, collections, manifest, (terms, bigram_terms), table, started, stages)
    db("flush", collections["passages"], timeout=None)
    _switch(db, index.collection, state.generation, version)
    for old in ("manifest", "terms", "bigrams", "articles"):
        _delete_document(db, collections["store"], f"{old}@{state.version}")
    _write_local(folder, manifest)
    return manifest


def verify(folder: Path, manifest: dict) -> dict:
    """Check the collections against their manifest: row counts, every passage and article record parsed."""
    started = time.perf_counter()
    index = load(folder, manifest)
    state, db = index.state, index.db
    windows = _count(db, state.names["windows"])
    if windows != state.manifest["windows"]:
        raise CorruptIndexError(f"{state.names['windows']} at {db.uri} holds {windows} window vectors, its manifest "
                                f"{state.manifest['windows']}; rebuild with: {_rebuild(manifest, folder)}")
    passages = sum(1 for p in index.passages if p is not GAP)
    for doc_id in index.articles:
        index.articles[doc_id]
    return {"folder": str(folder), "backend": "milvus", "uri": db.uri, "collection": index.collection,
            "generation": state.generation, "version": state.version, "passages": passages,
            "windows": windows, "articles": len(index.articles), "seconds": round(time.perf_counter() - started, 3)}


# --- writing -------------------------------------------------------------------------------------

def _create_generation(db: Connection, collections: dict[str, str], dim: int, settings: Settings,
                       count: int) -> tuple[str, dict]:
    """Create a generation's collections; returns the dense index type and parameters it got."""
    passages = [("bm25", "SPARSE_INVERTED_INDEX", "IP", {"drop_ratio_build": 0.0}),
                ("bigrams", "SPARSE_INVERTED_INDEX", "IP", {"drop_ratio_build": 0.0})]
    if settings.milvus_bm25 == "server":
        passages.append(("bm25_server", "SPARSE_INVERTED_INDEX", "BM25",
                         {"bm25_k1": settings.bm25_k1, "bm25_b": settings.bm25_b}))
    _create(db, collections["passages"], _schema_passages(settings.milvus_bm25 == "server"), passages)
    kind, params = dense_index(settings, count)
    try:
        _create(db, collections["windows"], _schema_windows(dim), [("vector", kind, "IP", params),
                                                                   ("row", "INVERTED", "", {})])
    except BackendUnavailableError as error:
        if not (kind == "HNSW" and settings.milvus_dense_index == "auto" and "local mode only support" in str(error)):
            raise
        log.info("Milvus Lite refuses HNSW; %s gets IVF_FLAT", collections["windows"])
        db("drop_collection", collections["windows"], timeout=None)  # Lite creates it before refusing the index
        kind, params = dense_index(settings, count, "IVF_FLAT")
        _create(db, collections["windows"], _schema_windows(dim), [("vector", kind, "IP", params),
                                                                   ("row", "INVERTED", "", {})])
    _create(db, collections["store"], _schema_store(), [("placeholder", "FLAT", "L2", {}),
                                                        ("name", "INVERTED", "", {})])
    return kind, params


def _insert(db: Connection, collections: dict[str, str], settings: Settings, terms: tuple[Terms, Terms],
            articles: Sequence[Article],
            passages: Sequence[Passage], token_lists: Sequence[Sequence[str]], vectors: np.ndarray,
            window_rows: np.ndarray, first_row: int, first_window: int, first_article: int, progress: bool,
            upsert: bool = False) -> dict[str, dict]:
    """Write passages from row ``first_row``, windows from id ``first_window`` and articles from ordinal
    ``first_article``; returns the article table entries (their rows, for a later removal). ``terms`` are the
    statistics of the word and the bigram field."""
    write = "upsert" if upsert else "insert"
    words, bigrams = terms
    server_bm25 = settings.milvus_bm25 == "server"
    table: dict[str, dict] = {}
    with tqdm(total=len(passages) + len(vectors), desc="milvus", unit="row", disable=not progress) as bar:
        for start in range(0, len(passages), INSERT_ROWS):
            batch = []
            for i in range(start, min(start + INSERT_ROWS, len(passages))):
                row, passage = first_row + i, passages[i]
                entry = table.setdefault(passage.doc_id, {"first": row, "end": row + 1})
                entry["end"] = row + 1
                batch.append({"row": row, "record": _passage_json(passage), "bm25": words.weights(token_lists[i]),
                              "bigrams": bigrams.weights(char_bigrams(passage.search_text())),
                              **({"tokens": " ".join(token_lists[i])} if server_bm25 else {})})
            db(write, collections["passages"], batch, timeout=None)
            bar.update(len(batch))
        for start in range(0, len(vectors), INSERT_ROWS):
            stop = min(start + INSERT_ROWS, len(vectors))
            db(write, collections["windows"], [{"id": first_window + i, "row": first_row + int(window_rows[i]),
                                                "vector": vectors[i].tolist()} for i in range(start, stop)], timeout=None)
            bar.update(stop - start)
    for ordinal, article in enumerate(articles, first_article):
        if article.doc_id in table:
            table[article.doc_id]["ordinal"] = ordinal
            _write_document(db, collections["store"], f"article/{ordinal}", asdict(article))
    return table


def _passage_json(passage: Passage) -> str:
    """A passage's record, refused when it outgrows Milvus's text field."""
    text = json.dumps(asdict(passage), ensure_ascii=False)
    if len(text.encode("utf-8")) > VARCHAR_BYTES:
        raise IndexStoreError(f"passage {passage.passage_id} is {len(text):,} characters as a record, more than "
                              f"Milvus stores in one field; lower --max-passage-chars")
    return text


def _rows(entry: dict) -> str:
    """The filter selecting an article's passage rows (or its windows, which name the same rows)."""
    return f"row >= {int(entry['first'])} and row < {int(entry['end'])}"


def _wait_for_indexes(db: Connection, collection: str, limit_s: float = 3600.0) -> None:
    """Return once Milvus has indexed every row of ``collection``, so a build ends with an index that searches fast."""
    deadline = time.monotonic() + limit_s
    for index_name in db("list_indexes", collection, timeout=None):
        while db("describe_index", collection, index_name, timeout=None).get("pending_index_rows", 0) > 0:
            if time.monotonic() > deadline:
                raise BackendUnavailableError(f"Milvus at {db.uri} has not indexed {collection} after {limit_s:.0f} s")
            time.sleep(1.0)


def _count(db: Connection, collection: str) -> int:
    """The rows of ``collection`` (strongly consistent: what every write so far left)."""
    return int(db("query", collection, filter="", output_fields=["count(*)"])[0]["count(*)"])


def _publish(db: Connection, collections: dict[str, str], manifest: dict, terms: tuple[Terms, Terms],
             table: dict[str, dict], started: float, stages: dict[str, float]) -> None:
    """Write a version's documents, the word and bigram field's statistics among them (the pointer still names
    the previous version until ``_switch``)."""
    version = manifest["milvus"]["version"]
    _write_document(db, collections["store"], f"terms@{version}", terms[0].to_json())
    _write_document(db, collections["store"], f"bigrams@{version}", terms[1].to_json())
    _write_document(db, collections["store"], f"articles@{version}", list(table.items()))
    manifest["build_s"] = round(time.perf_counter() - started, 3)
    manifest["build_stage_s"] = {k: round(v, 3) for k, v in stages.items()}
    _write_document(db, collections["store"], f"manifest@{version}", manifest)
    db("flush", collections["store"], timeout=None)


def _write_local(folder: Path, manifest: dict) -> None:
    """Record ``manifest`` in ``folder`` as its live generation (the caller holds the writer's lock), so ``ask``,
    ``check`` and the web app find the collection as they find an embedded index."""
    generation = store.new_generation(folder)
    try:
        (generation / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        store.publish(folder, generation)
    except BaseException:
        if store.live_folder_or_none(folder) != generation:
            shutil.rmtree(generation, ignore_errors=True)
        raise
