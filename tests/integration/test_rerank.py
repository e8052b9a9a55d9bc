"""Hybrid re-ranking by sentence evidence (bot.retrieve.Retriever.rerank), on the seed article."""

from __future__ import annotations

import dataclasses

from bot.retrieve import Query, Retriever

QUESTION = "香港科學園深圳分園進駐了多少家企業？"
EVIDENCE = "已進駐40家香港企業和機構"


def _rows(bot) -> tuple[int, int]:
    """The passage that states the answer, and one about something else."""
    passages = bot.index.passages
    answer = next(i for i, p in enumerate(passages) if EVIDENCE in p.text)
    other = next(i for i, p in enumerate(passages) if "企業" not in p.text and "科學園" not in p.text and len(p.text) > 50)
    return answer, other


def test_the_passage_stating_the_question_together_overtakes_a_better_fused_one(seed_bot) -> None:
    answer, other = _rows(seed_bot)
    query = Query(QUESTION, seed_bot.encoder)
    fused = [(other, 1.0), (answer, 0.8)]
    reranked = seed_bot.retriever.rerank(query, fused, share=1.0)
    assert [row for row, _ in reranked] == [answer, other]
    assert reranked[0][1] > 0.8 + 0.5  # its best sentence covers most of the question


def test_no_evidence_weight_keeps_the_fused_order(seed_bot) -> None:
    answer, other = _rows(seed_bot)
    settings = dataclasses.replace(seed_bot.retriever.settings, evidence_weight=0.0)
    retriever = Retriever(seed_bot.index, seed_bot.encoder, settings)
    reranked = retriever.rerank(Query(QUESTION, seed_bot.encoder), [(other, 1.0), (answer, 0.8)], share=1.0)
    assert [row for row, _ in reranked] == [other, answer]


def test_only_hybrid_reranks(seed_bot) -> None:
    """The other modes stay the single methods and fusions the harness compares."""
    query = Query(QUESTION, seed_bot.encoder)
    weighted = seed_bot.retriever.search(query, 5, "weighted")
    hybrid = seed_bot.retriever.search(query, 5, "hybrid")
    assert EVIDENCE in hybrid[0].passage.text
    assert [h.score for h in weighted] != [h.score for h in hybrid]
