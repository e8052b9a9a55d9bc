"""The milvus backend against a real Milvus process (Milvus Lite's server on 127.0.0.1): the same passages, scores
and answers as the embedded backend on the seed and a DRCD slice, --add/--remove as inserts and deletes, a build
that fails half way, a server killed mid-session, a wrong token, and the errors a person sees."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot import Bot, Settings, WendaError
from bot.backends import BackendUnavailableError
from bot.errors import MissingIndexError, StaleIndexError
from bot.index import build, build_from_folder, load, read_manifest, update
from bot.retrieve import Query
from bot.settings import MODES
from bot import store

from conftest import ROOT, TEST_DATA

SEED_QUESTIONS = [json.loads(line) for line in (ROOT / "eval" / "gold" / "seed_questions.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()][::5]  # 40 of 198, in all three languages
DRCD = TEST_DATA / "drcd_dev_slice.json"


def milvus_settings(server, collection: str, **changes) -> Settings:
    return Settings().replace(backend="milvus", milvus_uri=server.uri, milvus_collection=collection, **changes)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def same_hits(got, want) -> None:
    """The same passages in the same order, with the same scores (Milvus computes in float32)."""
    assert [(h.row, h.passage) for h in got] == [(h.row, h.passage) for h in want]
    for a, b in zip(got, want):
        assert a.score == pytest.approx(b.score, rel=1e-5, abs=1e-6)
        assert (a.bm25_rank, a.dense_rank) == (b.bm25_rank, b.dense_rank)
        for x, y in ((a.bm25_score, b.bm25_score), (a.dense_score, b.dense_score)):
            assert (x is None) == (y is None) and (x is None or x == pytest.approx(y, rel=1e-5, abs=1e-6))


def same_answer(got: dict, want: dict) -> None:
    """``ask_json`` records equal but for the latency, and scores and confidence to float32 rounding."""
    for record in (got, want):
        record.pop("latency_ms")
    if want["answer"]:
        assert got["answer"].pop("confidence") == pytest.approx(want["answer"].pop("confidence"), abs=2e-4)
    for a, b in zip(got["passages"], want["passages"]):
        assert a.pop("score") == pytest.approx(b.pop("score"), rel=1e-5, abs=2e-6)
    assert got == want


@pytest.fixture(scope="module")
def seed_milvus(milvus_server, seed_corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seed-milvus") / "index"
    build_from_folder(seed_corpus, folder, milvus_settings(milvus_server, "seed"), progress=False)
    return folder


@pytest.fixture(scope="module")
def drcd_pair(milvus_server, tmp_path_factory) -> tuple[Bot, Bot, list[str]]:
    """The DRCD slice indexed by both backends, and its questions."""
    from eval.readers import read_squad

    benchmark = read_squad(DRCD)
    embedded = tmp_path_factory.mktemp("drcd") / "embedded"
    milvus = tmp_path_factory.mktemp("drcd") / "milvus"
    build(benchmark.articles, embedded, Settings(), progress=False)
    build(benchmark.articles, milvus, milvus_settings(milvus_server, "drcd"), progress=False)
    return Bot(load(embedded)), Bot(load(milvus)), [q.text for q in benchmark.questions[::4]]


def test_seed_same_passages_scores_and_answers_in_every_mode(seed_bot, seed_milvus):
    bot = Bot.open(seed_milvus)
    assert bot.index.manifest["backend"] == "milvus" and len(bot.index.passages) == len(seed_bot.index.passages)
    for item in SEED_QUESTIONS:
        for mode in MODES:
            same_hits(bot.search(item["question"], 10, mode), seed_bot.search(item["question"], 10, mode))
        same_answer(bot.ask_json(item["question"]), seed_bot.ask_json(item["question"]))


def test_drcd_same_passages_and_answers_and_bm25_scores_equal(drcd_pair):
    embedded, milvus, questions = drcd_pair
    assert milvus.index.manifest["dense_index"] == "FLAT"
    for question in questions:
        query = Query(question, embedded.encoder)
        words = embedded.retriever.lexical(query)[0]
        want, got = embedded.index.sparse(words, 100), milvus.index.sparse(words, 100)
        assert [r for r, _ in got] == [r for r, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5)
        want, got = embedded.index.dense(query.vector, 100), milvus.index.dense(query.vector, 100)
        assert [r for r, _ in got] == [r for r, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5, abs=1e-6)
        for mode in ("hybrid", "rrf", "weighted"):
            same_hits(milvus.search(question, 5, mode), embedded.search(question, 5, mode))
        same_answer(milvus.ask_json(question), embedded.ask_json(question))


def test_term_statistics_equal_the_embedded_bm25(drcd_pair):
    embedded, milvus, _ = drcd_pair
    terms, bm25 = milvus.index.bm25, embedded.index.bm25
    assert terms.vocab == bm25.vocab and list(terms.idf) == list(bm25.idf)
    assert all(terms.term_idf(t) == bm25.term_idf(t) for t in bm25.vocab[:500]) and terms.term_idf("不存在的詞") is None


def test_articles_and_window_vectors_come_from_milvus(seed_bot, seed_milvus):
    bot = Bot.open(seed_milvus)
    [doc_id] = list(bot.index.articles)
    assert bot.index.articles[doc_id] == seed_bot.index.articles[doc_id]
    assert bot.index.articles.get("nope") is None
    for row in (0, 7, len(seed_bot.index.passages) - 1):
        assert bot.index.window_vectors(row) == pytest.approx(seed_bot.index.window_vectors(row), abs=1e-6)
    assert list(bot.index.passages) == list(seed_bot.index.passages)


def test_threads_share_one_milvus_bot(seed_milvus):
    bot = Bot.open(seed_milvus)
    questions = [item["question"] for item in SEED_QUESTIONS[:6]]
    expected = [bot.ask_json(q) for q in questions]
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(bot.ask_json, questions * 3))
    for answer, want in zip(got, expected * 3):
        same_answer(dict(answer), json.loads(json.dumps(want)))


def test_cli_ask_and_check_run_unchanged_on_milvus(seed_milvus):
    done = cli("ask", "香港科學園深圳分園進駐了多少家企業？", "--index", str(seed_milvus), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answer"]["text"] == "40家"
    done = cli("check", "香港科學園深圳分園已進駐60家香港企業和機構。", "--index", str(seed_milvus), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "contradicted"
    done = cli("index", "--verify", "--index", str(seed_milvus))
    assert done.returncode == 0 and "is intact: collection seed at" in done.stdout, done.stderr


def test_add_and_remove_are_inserts_and_deletes(milvus_server, seed_corpus, tmp_path):
    folder = tmp_path / "index"
    build_from_folder(seed_corpus, folder, milvus_settings(milvus_server, "grow"), progress=False)
    before = read_manifest(folder)
    generation = before["milvus"]["generation"]
    question = "How many passengers did the Star Ferry carry last year?"
    manifest = update(folder, add=[TEST_DATA / "harbour_en.txt"], progress=False)
    assert manifest["milvus"]["generation"] == generation and manifest["milvus"]["version"] == 2
    assert manifest["articles"] == 2 and manifest["passages"] > before["passages"]
    bot = Bot.open(folder)
    answer = bot.ask_json(question)
    assert answer["found"] and "19.6 million" in answer["answer"]["sentence"]
    assert bot.index.bm25.size == manifest["passages"]
    done = cli("index", "--remove", "harbour_en", "--index", str(folder), "--quiet")
    assert done.returncode == 0, done.stderr
    after = read_manifest(folder)
    assert (after["articles"], after["passages"], after["windows"]) == (1, before["passages"], before["windows"])
    bot = Bot.open(folder)
    assert all(h.passage.doc_id != "harbour_en" for h in bot.search(question, 10, "hybrid"))
    assert bot.index.bm25.term_idf("ferry") is None  # no passage has it any more
    with pytest.raises(WendaError, match="no document 'harbour_en'"):
        update(folder, remove=["harbour_en"], progress=False)


def test_a_serving_bot_follows_an_add_by_another_process(milvus_server, tiny_corpus, tmp_path, monkeypatch):
    from bot.backends import milvus

    monkeypatch.setattr(milvus, "REFRESH_S", 0.0)
    folder = tmp_path / "index"
    build_from_folder(tiny_corpus, folder, milvus_settings(milvus_server, "follow"), progress=False)
    bot = Bot.open(folder)
    question = "How many passengers did the Star Ferry carry last year?"
    assert not any("19.6 million" in h.passage.text for h in bot.search(question, 3))
    done = cli("index", "--add", str(TEST_DATA / "harbour_en.txt"), "--index", str(folder), "--quiet")
    assert done.returncode == 0, done.stderr
    assert any("19.6 million" in h.passage.text for h in bot.search(question, 3))


@pytest.mark.parametrize("step", ["milvus-inserted", "milvus-documents"])
def test_a_build_that_fails_half_way_leaves_the_previous_one_serving(milvus_server, seed_corpus, tiny_corpus,
                                                                      tmp_path, monkeypatch, step):
    folder = tmp_path / "index"
    collection = f"atomic_{step.split('-')[1]}"
    settings = milvus_settings(milvus_server, collection)
    build_from_folder(seed_corpus, folder, settings, progress=False)
    bot = Bot.open(folder)
    live = read_manifest(folder)["milvus"]["generation"]

    def die(at: str) -> None:
        if at == step:
            raise KeyboardInterrupt

    monkeypatch.setattr(store, "fault_point", die)
    with pytest.raises(KeyboardInterrupt):
        build_from_folder(tiny_corpus, folder, settings, progress=False)
    monkeypatch.undo()
    assert read_manifest(folder)["milvus"]["generation"] == live
    assert bot.ask_json("香港科學園深圳分園進駐了多少家企業？")["answer"]["text"] == "40家"
    collections = bot.index.db.client.list_collections()
    assert sorted(c for c in collections if c.startswith(collection)) == sorted(
        [collection, f"{live}_passages", f"{live}_windows", f"{live}_store"])
    build_from_folder(tiny_corpus, folder, settings, progress=False)  # the next build replaces it, and follows
    assert Bot.open(folder).index.manifest["articles"] == 3
    assert not bot.index.db.client.has_collection(f"{live}_passages")


def test_a_killed_server_is_unavailable_then_recovers(milvus_lite, tiny_corpus, tmp_path):
    import app

    server = milvus_lite()
    folder = tmp_path / "index"
    build_from_folder(tiny_corpus, folder, milvus_settings(server, "killed"), progress=False)
    settings = Settings().replace(milvus_timeout_s=2.0)
    bot = Bot(load(folder, settings=settings), settings)
    assert bot.index.db.timeout == 2.0
    question = "深圳地铁什么时候开通？"
    assert bot.ask_json(question)["answer"]["text"] == "2004年12月28日"
    server.kill()
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match=f"Wenda is unavailable: Milvus at {server.uri} cannot be "
                                                      f"reached"):
        bot.ask_json("Which line opened first in Shenzhen?")
    assert time.monotonic() - started < 15
    _, html = app.reply(bot, "When did the Shenzhen Metro open?", 5, "hybrid", False, "en")
    assert "Please try again in a moment" in html  # the web app's polite reply, not a crash
    server.start()
    assert bot.ask_json(question)["answer"]["text"] == "2004年12月28日"
    _, html = app.reply(bot, question, 5, "hybrid", False, "zh-Hans")
    assert "2004年12月28日" in html


def test_errors_are_one_line_for_a_person(milvus_lite, milvus_server, seed_milvus, tiny_corpus, tmp_path):
    server = milvus_lite()
    folder = tmp_path / "index"
    build_from_folder(tiny_corpus, folder, milvus_settings(server, "errors"), progress=False)
    server.kill()
    for args, expected in [
        (("ask", "Where is the Star Ferry?", "--index", str(folder)), "Wenda is unavailable: Milvus at"),
        (("index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "other"), "--backend", "milvus",
          "--milvus-uri", "http://127.0.0.1:1"), "cannot be reached"),
        (("index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "other"), "--backend", "milvus",
          "--milvus-uri", "ftp://nowhere"), "ftp://nowhere is illegal, needs start with"),
        (("index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "other"), "--backend", "milvus",
          "--milvus-uri", milvus_server.uri, "--collection", "no-dashes"), "is not a usable Milvus collection"),
        (("index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "other"), "--milvus-uri",
          milvus_server.uri), "go with --backend milvus"),
    ]:
        done = cli(*args)
        assert done.returncode == 2 and done.stdout == "", done.stderr
        assert done.stderr.startswith("error: ") and expected in done.stderr and done.stderr.count("\n") == 1, \
            done.stderr
    # the collection is gone (dropped by someone), or was rebuilt with other settings
    moved = tmp_path / "moved"
    copy_index(seed_milvus, moved, collection="dropped")
    with pytest.raises(MissingIndexError, match="no Wenda collection 'dropped' at .*; build it with: python -m bot "
                                                "index --backend milvus"):
        Bot.open(moved)
    copy_index(seed_milvus, moved, encoder="st:other-model")
    with pytest.raises(StaleIndexError, match="was built with another encoder or settings \\(encoder\\)"):
        load(moved)


def copy_index(source: Path, target: Path, collection: str | None = None, encoder: str | None = None) -> None:
    """A copy of the index folder ``source`` whose manifest names another collection or encoder."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    path = store.live_folder(target) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if collection:
        manifest["milvus"]["collection"] = collection
    if encoder:
        manifest["encoder"] = encoder
    path.write_text(json.dumps(manifest), encoding="utf-8")


class AuthProxy:
    """A gRPC proxy to Milvus Lite, which has no authentication, checking the token as a Milvus server with
    ``common.security.authorizationEnabled`` does: a call without the right ``authorization`` metadata fails with
    UNAUTHENTICATED and Milvus's message; the rest pass through unchanged."""

    def __init__(self, upstream: str, token: str) -> None:
        import grpc

        self.grpc, self.expected = grpc, base64.b64encode(token.encode()).decode()
        self.channel = grpc.insecure_channel(upstream)
        self.server = grpc.server(ThreadPoolExecutor(4))
        self.server.add_generic_rpc_handlers([self])
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def service(self, details):
        """Every method: check the token, then forward the request's bytes."""
        forward = self.channel.unary_unary(details.method)

        def handle(request: bytes, context):
            metadata = dict(context.invocation_metadata())
            if metadata.get("authorization") != self.expected:
                context.abort(self.grpc.StatusCode.UNAUTHENTICATED,
                              "auth check failure, please check username and password are correct")
            return forward(request, metadata=[(k, v) for k, v in metadata.items() if k != "authorization"],
                           timeout=60)

        return self.grpc.unary_unary_rpc_method_handler(handle)

    def stop(self) -> None:
        self.server.stop(0)
        self.channel.close()


def test_a_wrong_token_is_a_clear_error(milvus_server, tiny_corpus, tmp_path, monkeypatch):
    proxy = AuthProxy(f"127.0.0.1:{milvus_server.port}", "root:Milvus")
    try:
        uri = f"http://127.0.0.1:{proxy.port}"
        folder = tmp_path / "index"
        done = cli("index", "--corpus", str(tiny_corpus), "--index", str(folder), "--backend", "milvus",
                   "--milvus-uri", uri, "--collection", "token", "--milvus-token", "root:Milvus", "--quiet")
        assert done.returncode == 0, done.stderr
        done = cli("ask", "Where is the Star Ferry?", "--index", str(folder), "--json",
                   env={"WENDA_MILVUS_TOKEN": "root:Milvus"})
        assert done.returncode == 0 and json.loads(done.stdout)["found"], done.stderr
        for wrong in ("root:wrong", ""):
            done = cli("ask", "Where is the Star Ferry?", "--index", str(folder), env={"WENDA_MILVUS_TOKEN": wrong})
            assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
            assert done.stderr.startswith(f"error: Milvus at {uri} refused the credentials") and \
                "--milvus-token or WENDA_MILVUS_TOKEN" in done.stderr, done.stderr
        monkeypatch.setenv("WENDA_MILVUS_TOKEN", "root:wrong")
        with pytest.raises(BackendUnavailableError, match="refused the credentials"):
            load(folder)
    finally:
        proxy.stop()


def test_server_bm25_function_ranks_with_milvus_statistics(milvus_server, tiny_corpus, tmp_path):
    folder = tmp_path / "index"
    build_from_folder(tiny_corpus, folder, milvus_settings(milvus_server, "serverbm25", milvus_bm25="server"),
                      progress=False)
    bot = Bot.open(folder)
    assert bot.index.manifest["milvus"]["bm25"] == "server"
    hits = bot.search("深圳地铁什么时候开通？", 3, "bm25")
    assert hits and hits[0].passage.doc_id == "hans" and hits[0].bm25_score > 0
    assert bot.ask_json("深圳地铁什么时候开通？")["answer"]["text"] == "2004年12月28日"


def test_auto_dense_index_is_hnsw_where_the_server_takes_it_else_ivf_flat(milvus_server, tiny_corpus, tmp_path):
    folder = tmp_path / "index"
    manifest = build_from_folder(tiny_corpus, folder, milvus_settings(milvus_server, "ivf", exact_search_limit=0),
                                 progress=False)
    assert manifest["dense_index"] == "IVF_FLAT"  # Milvus Lite refuses HNSW
    assert Bot.open(folder).search("Star Ferry", 3, "dense")
    done = cli("index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "hnsw"), "--backend", "milvus",
               "--milvus-uri", milvus_server.uri, "--collection", "hnsw", "--milvus-index", "HNSW", "--quiet")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "invalid index type: HNSW" in done.stderr, \
        done.stderr


def test_a_milvus_lite_file_needs_no_server(milvus_lite, tiny_corpus, tmp_path):
    folder = tmp_path / "index"
    done = subprocess.run([sys.executable, "-m", "bot", "index", "--corpus", str(tiny_corpus), "--index", str(folder),
                           "--backend", "milvus", "--milvus-uri", "wenda.db", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert read_manifest(folder)["milvus"]["uri"] == str(tmp_path / "wenda.db")  # found from any directory
    done = cli("ask", "深圳地铁什么时候开通？", "--index", str(folder), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["answer"]["text"] == "2004年12月28日", done.stderr
