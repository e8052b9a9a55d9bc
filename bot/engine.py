"""The Bot: one loaded index (of either backend) and encoder answering questions; the JSON record every
interface returns."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Sequence

from .answer import Answer, extract
from .encoders import Encoder, load_encoder
from .errors import QueryError
from .backends import SearchIndex
from .followup import MAX_HISTORY, Understood, understand
from .index import check_fresh, load, read_manifest
from .reader import load_reader
from .retrieve import Hit, Query, Retriever
from .script import shown
from .settings import MAX_K, Settings


EMPTY_HINTS = {"question": "ask something about the articles",
               "claim": "paste a sentence from a draft or a report to check it"}
LONG_HINTS = {"question": "ask about one fact at a time", "claim": "check one sentence at a time"}


def encodable(text: str) -> str:
    """``text`` without the lone surrogates UTF-8 cannot encode (a command line turns undecodable bytes into
    them, JSON can spell them as ``\\udcff``), a surrogate pair joined into its character, so that every later
    stage (the tokenizer, the encoder, the JSON printed) can encode it."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def k_error(k: object) -> QueryError:
    """The one message for a ``k`` that is not an integer from 1 to MAX_K."""
    shown = repr(k) if len(repr(k)) <= 20 else repr(k)[:20] + "…"
    return QueryError(f"k must be an integer between 1 and {MAX_K}, not {shown}")


class Bot:
    """Answers questions from one index; safe to share between threads (it holds no per-question state)."""

    def __init__(self, index: SearchIndex, settings: Settings | None = None, encoder: Encoder | None = None) -> None:
        self.index = index
        self.settings = (settings or index.settings).replace(**index.manifest["settings"])
        self.encoder = encoder or load_encoder(index.manifest["encoder"])
        self.retriever = Retriever(index, self.encoder, self.settings)
        self.reader = load_reader(self.settings.reader) if self.settings.reader else None

    @classmethod
    def open(cls, folder: Path, settings: Settings | None = None, check_corpus: bool = True) -> "Bot":
        """Load the index in ``folder``, refusing a stale one (the message says which command rebuilds it)."""
        manifest = read_manifest(folder)
        if check_corpus:
            check_fresh(manifest, folder, settings)
        return cls(load(folder, settings=settings), settings)

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for (jieba's and CC-CEDICT's dictionaries,
        the part-of-speech model): about 2 s once, paid at start-up instead of by the first visitor."""
        self.ask("河套合作區何時成立？Who opened it?")

    def check_question(self, question: object, what: str = "question") -> str:
        """``question`` (or a claim, ``what="claim"``) cleaned and stripped, or a QueryError saying why it cannot
        be asked; every interface passes through here, so a question is cleaned the same way everywhere."""
        if not isinstance(question, str):
            raise QueryError(f"the {what} must be text, not {type(question).__name__}")
        question = encodable(question).strip()
        if not question:
            raise QueryError(f"the {what} is empty; {EMPTY_HINTS[what]}")
        if len(question) > self.settings.max_question_chars:
            raise QueryError(f"the {what} is {len(question):,} characters long; the limit is "
                             f"{self.settings.max_question_chars:,}: {LONG_HINTS[what]}")
        return question

    def check_k(self, k: object, default: int | None = None) -> int:
        """``k`` passages, or ``default`` (the index's ``k`` when not given) for None; a QueryError unless ``k``
        is an integer from 1 to MAX_K, so ask, search, check, the CLI and the API share one rule."""
        if k is None:
            return default or self.settings.k
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise k_error(k)
        return k

    def search(self, question: str, k: int | None = None, mode: str | None = None) -> list[Hit]:
        """The top passages for ``question``."""
        query = Query(self.check_question(question), self.encoder)
        return self.retriever.search(query, self.check_k(k), mode or self.settings.mode)

    def ask(self, question: str, k: int | None = None, mode: str | None = None) -> Answer:
        """An extractive answer with its cited passages, or an abstention in the question's language."""
        query = Query(self.check_question(question), self.encoder)
        hits = self.retriever.search(query, self.check_k(k), mode or self.settings.mode)
        return extract(query, hits, self.encoder, self.index, self.settings, self.reader)

    def ask_json(self, question: str, k: int | None = None, mode: str | None = None) -> dict:
        """``ask`` as the CLI/API JSON object, with its latency."""
        started = time.perf_counter()
        answer = self.ask(question, k, mode)
        return answer_json(answer, (time.perf_counter() - started) * 1000)

    def check_history(self, history: object) -> list[str]:
        """The earlier questions of a conversation (oldest first) cleaned like a question, blank ones dropped,
        the last MAX_HISTORY kept; a QueryError unless ``history`` is a list of strings."""
        if history is None:
            return []
        if not isinstance(history, (list, tuple)) or not all(isinstance(q, str) for q in history):
            raise QueryError("history must be a list of the earlier questions (strings), oldest first")
        return [self.check_question(q) for q in history[-MAX_HISTORY:] if encodable(q).strip()]

    def ask_followup(self, question: str, history: Sequence[str] = (), k: int | None = None,
                     mode: str | None = None) -> tuple[Answer, Understood]:
        """``ask`` for a question that may lean on the earlier ``history``: a pronoun or a missing subject takes
        the subject of the conversation so far (``followup.understand``), and the question as understood is
        searched and answered; the answer keeps the question as asked."""
        question = self.check_question(question)
        understood = understand(question, self.check_history(history))
        if len(understood.text) > self.settings.max_question_chars:  # the subject would push it over the limit
            understood = Understood(question, question)
        answer = self.ask(understood.text, k, mode)
        return dataclasses.replace(answer, question=question), understood

    def followup_json(self, question: str, history: Sequence[str] = (), k: int | None = None,
                      mode: str | None = None) -> dict:
        """``ask_followup`` as the CLI/API JSON object, with the question as understood and the latency."""
        started = time.perf_counter()
        answer, understood = self.ask_followup(question, history, k, mode)
        return answer_json(answer, (time.perf_counter() - started) * 1000, understood.text)


def answer_json(answer: Answer, latency_ms: float, understood: str | None = None) -> dict:
    """The stable JSON schema of an answer (see the README's CLI contract); ``understood`` is the question as
    searched when a conversation's earlier questions changed it (the question itself otherwise). Text quoted
    from the articles stays as written; where the question's script differs, ``…_shown`` beside it holds the
    same text in that script, character for character (``script.shown``)."""
    out = {
        "question": answer.question,
        "understood": answer.question if understood is None else understood,
        "language": answer.language,
        "found": answer.found,
        "answer": {
            "text": answer.text,
            "sentence": answer.sentence,
            "citation": answer.citation,
            "confidence": round(answer.confidence, 4),
            "sentence_spans": [list(s) for s in answer.sentence_spans],
            "text_spans": [list(s) for s in answer.text_spans],
        }
        if answer.found
        else None,
        "message": answer.message,
        "passages": [
            {
                "rank": h.rank,
                "doc_id": h.passage.doc_id,
                "passage_id": h.passage.passage_id,
                "title": h.passage.title,
                "section": h.passage.section,
                "kind": h.passage.kind,
                "text": h.passage.text,
                "start": h.passage.start,
                "end": h.passage.end,
                "spans": [list(s) for s in h.passage.spans],
                "score": round(h.score, 6),
                "bm25_rank": h.bm25_rank,
                "dense_rank": h.dense_rank,
            }
            for h in answer.hits
        ],
        "latency_ms": round(latency_ms, 2),
    }
    quoted = [(p, ("text",)) for p in out["passages"]] + ([(out["answer"], ("text", "sentence"))] if answer.found else [])
    for record, keys in quoted:
        for key in keys:
            if (converted := shown(record[key], answer.language)) != record[key]:
                record[f"{key}_shown"] = converted
    return out
