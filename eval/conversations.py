"""``python -m eval conversations FILE.jsonl``: follow-up questions answered with the conversation's earlier
questions (``Bot.ask_followup``) and without them (``Bot.ask``, the follow-up alone).

A line is ``{"id", "language", "turns": [{"question", "evidence", "answer"}, ...]}``: a conversation of two or
three turns, each with the article sentence that answers it and the short answer inside it (as in
``eval/gold``). A turn is answered *right* when Wenda answers with a sentence that holds the short answer and
is the evidence sentence or part of it (white space ignored). Every turn after the first is a follow-up; the
report gives their share answered right with history and without, by language, and each follow-up whose
outcome the history changed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from bot import Answer, Bot, Settings
from bot.corpus import read_corpus
from bot.errors import CorpusError
from bot.text import normalize

from . import EvalError
from .harness import prepare_index
from .metrics import contains_answer
from .readers import Benchmark, _jsonl
from .report import ROOT, emit


@dataclass(frozen=True)
class Turn:
    """One question of a conversation, with the sentence that answers it and the short answer."""

    question: str
    evidence: str
    answer: str


@dataclass(frozen=True)
class Conversation:
    """One line of a conversation set."""

    id: str
    language: str
    turns: tuple[Turn, ...]


def read_conversations(path: Path) -> list[Conversation]:
    """The conversations of a JSONL set, each of at least two turns."""
    out = []
    for record, where in _jsonl(path):
        turns = record.get("turns")
        if not record.get("id") or not isinstance(turns, list) or len(turns) < 2:
            raise EvalError(f'{where}: each line needs "id" and "turns", a list of two or more '
                            '{"question", "evidence", "answer"} objects')
        try:
            parsed = tuple(Turn(t["question"], t["evidence"], t["answer"]) for t in turns)
        except (KeyError, TypeError):
            raise EvalError(f'{where}: each turn needs "question", "evidence" and "answer"') from None
        out.append(Conversation(str(record["id"]), str(record.get("language") or ""), parsed))
    if not out:
        raise EvalError(f"{path} has no conversations")
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text))


def right(answer: Answer, turn: Turn) -> bool:
    """Whether ``answer`` quotes the turn's evidence sentence (or part of it) holding its short answer."""
    if not answer.found or not contains_answer(answer.sentence, [turn.answer]):
        return False
    sentence, evidence = _squash(answer.sentence), _squash(turn.evidence)
    return sentence in evidence or evidence in sentence


def run(path: Path, corpus: Path, index_dir: Path | None, settings: Settings, mode: str | None = None) -> dict:
    """Answer every turn of ``path`` over ``corpus``, with and without the earlier turns, and score them."""
    conversations = read_conversations(path)
    try:
        articles = read_corpus(corpus).articles
    except CorpusError as error:
        raise EvalError(str(error)) from None
    folder = index_dir or ROOT / "eval" / "runs" / "index" / f"gold-{corpus.resolve().name}"
    index, _ = prepare_index(Benchmark(f"conversations-{path.stem}", articles, []), folder, settings, progress=False)
    bot = Bot(index, settings)
    started, turns = time.perf_counter(), []
    for conversation in conversations:
        asked = [t.question for t in conversation.turns]
        for number, turn in enumerate(conversation.turns):
            alone = bot.ask(turn.question, mode=mode)
            followed, understood = bot.ask_followup(turn.question, asked[:number], mode=mode)
            turns.append({"id": conversation.id, "language": conversation.language, "turn": number + 1,
                          "question": turn.question, "understood": understood.text,
                          "with_history": right(followed, turn), "without_history": right(alone, turn)})
    out = {"set": str(path), "corpus": str(corpus), "mode": mode or settings.mode,
           "conversations": len(conversations),
           "ms_per_turn": round(1000 * (time.perf_counter() - started) / max(len(turns), 1), 1)}
    out |= score(turns)
    out["turns"] = turns
    return out


def score(turns: Sequence[dict]) -> dict:
    """Follow-ups right with history and without, overall and by language, and first turns (which have none)."""
    follow = [t for t in turns if t["turn"] > 1]
    out = {"first_turns": _shares([t for t in turns if t["turn"] == 1]), "follow_ups": _shares(follow)}
    out["by_language"] = {lang: _shares([t for t in follow if t["language"] == lang])
                          for lang in sorted({t["language"] for t in follow})}
    out["changed"] = [t for t in follow if t["with_history"] != t["without_history"]]
    return out


def _shares(turns: Sequence[dict]) -> dict:
    n = len(turns)
    with_history = sum(t["with_history"] for t in turns)
    without = sum(t["without_history"] for t in turns)
    return {"turns": n, "with_history": with_history, "without_history": without,
            "right_only_with_history": sum(t["with_history"] and not t["without_history"] for t in turns),
            "right_only_without": sum(t["without_history"] and not t["with_history"] for t in turns),
            "with_share": round(with_history / n, 4) if n else None,
            "without_share": round(without / n, 4) if n else None}


def summary(data: dict) -> Iterable[str]:
    """The report in lines, for people."""
    f = data["follow_ups"]
    yield (f"{data['conversations']} conversations from {data['set']} ({data['mode']} mode) · "
           f"{data['ms_per_turn']} ms a turn")
    yield (f"follow-ups right: {f['with_history']}/{f['turns']} with history, {f['without_history']}/{f['turns']} "
           f"without ({f['right_only_with_history']} right only with it, {f['right_only_without']} only without)")
    first = data["first_turns"]
    yield f"first turns right: {first['with_history']}/{first['turns']} (no history to use)"
    for lang, s in data["by_language"].items():
        yield f"  {lang:>8}: {s['with_history']}/{s['turns']} with history, {s['without_history']}/{s['turns']} without"
    for t in data["changed"]:
        mark = "+" if t["with_history"] else "-"
        yield f"  {mark} {t['id']} turn {t['turn']}: {t['question']} → {t['understood']}"


def main(path: Path, corpus: Path, index_dir: Path | None, out: Path | None, settings: Settings,
         mode: str | None = None) -> int:
    data = run(path, corpus, index_dir, settings, mode)
    return emit(data, out, summary(data))
