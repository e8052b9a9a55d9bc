"""One loaded index serves every request: threads asking at once get the answers a single caller gets,
from memory-mapped files that are not copied per request."""

from __future__ import annotations

import mmap
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bot.index import JsonlRows

QUESTIONS = ["河套合作區在哪裏？", "深港科技創新合作區的面積有多大？", "Where is the Loop?", "PCT國際專利申請量超過多少件？"]


def test_threads_share_one_bot_and_get_the_sequential_answers(seed_bot):
    expected = [seed_bot.ask_json(q) for q in QUESTIONS]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(seed_bot.ask_json, QUESTIONS * 4))
    for answer, want in zip(got, expected * 4):
        assert {k: v for k, v in answer.items() if k != "latency_ms"} == {k: v for k, v in want.items()
                                                                           if k != "latency_ms"}


def test_the_loaded_passages_are_memory_mapped_not_copied(seed_bot):
    rows = seed_bot.index.passages._rows
    assert isinstance(rows, JsonlRows) and isinstance(rows._map, mmap.mmap)
    assert isinstance(seed_bot.index.bm25.weights, np.memmap) and isinstance(seed_bot.index.window_rows, np.memmap)


def test_warm_up_leaves_the_bot_answering_the_same(seed_bot):
    question = "香港科學園深圳分園進駐了多少家企業？"
    before = seed_bot.ask(question)
    seed_bot.warm_up()
    after = seed_bot.ask(question)
    assert (after.found, after.text, after.sentence, after.citation) == (before.found, before.text, before.sentence, before.citation)
