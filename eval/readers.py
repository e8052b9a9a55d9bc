"""Benchmark files in, run files out: SQuAD v1.1 JSON, the BEIR folder layout, our gold JSONL question
sets, and TREC run and qrels files.

Every reader returns a ``Benchmark``: the articles to index and the questions, each with what counts
as relevant (document or passage ids with a grade) and its gold short answers.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from bot.corpus import Article, read_corpus
from bot.errors import CorpusError
from bot.passages import Passage
from bot.text import normalize

from . import EvalError

log = logging.getLogger(__name__)

Ranking = Sequence[tuple[str, float]]  # (document or passage id, score), best first


@dataclass(frozen=True)
class Question:
    """One query with its relevance judgements (id → grade) and gold short answers."""

    qid: str
    text: str
    relevant: Mapping[str, int] = field(default_factory=dict)
    answers: tuple[str, ...] = ()
    answerable: bool = True
    language: str = ""
    evidence: str = ""  # gold sets: the sentence a relevant passage contains


@dataclass(frozen=True)
class Benchmark:
    """Articles to index and questions to ask; ``unit`` says whether relevance names documents
    (``doc``: ``Article.doc_id``) or passages (``passage``: ``Passage.passage_id``)."""

    name: str
    articles: list[Article]
    questions: list[Question]
    unit: str = "doc"
    has_answers: bool = True
    sources: tuple[str, ...] = ()
    relevance: str = ""  # how relevance was decided, in words, for the report
    corpus: str = ""  # names what is indexed: benchmarks over the same articles share an index folder

    def judged(self) -> list[Question]:
        """The questions that have at least one relevant document or passage."""
        return [q for q in self.questions if q.relevant]


# ---------------------------------------------------------------- SQuAD v1.1 (DRCD, CMRC 2018, XQuAD)


def read_squad(contexts: Path, questions: Path | None = None) -> Benchmark:
    """Every paragraph of ``contexts`` as an article ``a{i}p{j}`` (titles left out of retrieval); the
    questions of ``contexts``, or those of the parallel file ``questions`` (same ids), each relevant to
    the paragraph it belongs to in ``contexts``."""
    articles: list[Article] = []
    gold: dict[str, tuple[str, str, tuple[str, ...]]] = {}  # qid → (doc id, question, answers)
    for i, j, paragraph, where in _squad_paragraphs(contexts):
        doc_id = f"a{i}p{j}"
        articles.append(Article(doc_id=doc_id, title="", text=_string(paragraph, "context", where)))
        for qid, question, answers in _squad_questions(paragraph, where):
            if qid in gold:
                raise EvalError(f"{contexts}: question id {qid!r} appears twice; ids must be unique")
            gold[qid] = (doc_id, question, answers)
    if not gold:
        raise EvalError(f"{contexts}: no questions found; is it SQuAD v1.1 JSON with \"qas\" lists?")
    if questions is None:
        asked = [(qid, question) for qid, (_, question, _) in gold.items()]
    else:
        asked = [(qid, question) for _, _, paragraph, where in _squad_paragraphs(questions)
                 for qid, question, _ in _squad_questions(paragraph, where)]
        unknown = [qid for qid, _ in asked if qid not in gold]
        if unknown:
            raise EvalError(f"{questions}: {len(unknown)} question ids (e.g. {unknown[0]!r}) are not in {contexts}; "
                            "--questions must be a parallel file with the same ids")
    out = [Question(qid, text, {gold[qid][0]: 1}, gold[qid][2]) for qid, text in asked]
    name = contexts.stem if questions is None else f"{contexts.stem}+q-{questions.stem}"
    sources = (str(contexts),) if questions is None else (str(contexts), str(questions))
    return Benchmark(name, articles, out, unit="doc", has_answers=True, sources=sources,
                     relevance="a question's relevant document is the paragraph it belongs to", corpus=contexts.stem)


def _squad_paragraphs(path: Path) -> Iterator[tuple[int, int, dict, str]]:
    """(article number, paragraph number, paragraph, where) for every paragraph, in file order."""
    data = _load_json(path)
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise EvalError(f'{path}: not SQuAD v1.1 JSON (expected {{"data": [{{"paragraphs": [...]}}]}})')
    for i, article in enumerate(articles):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise EvalError(f'{path}: data[{i}] has no "paragraphs" list; is it SQuAD v1.1 JSON?')
        for j, paragraph in enumerate(paragraphs):
            where = f"{path}: data[{i}].paragraphs[{j}]"
            if not isinstance(paragraph, dict):
                raise EvalError(f"{where} is not an object")
            yield i, j, paragraph, where


def _squad_questions(paragraph: dict, where: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    qas = paragraph.get("qas", [])
    if not isinstance(qas, list):
        raise EvalError(f'{where}: "qas" is not a list')
    for n, qa in enumerate(qas):
        at = f"{where}.qas[{n}]"
        if not isinstance(qa, dict) or "id" not in qa:
            raise EvalError(f'{at}: each question needs an "id" and a "question"')
        answers = qa.get("answers") or []
        if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
            raise EvalError(f'{at}: "answers" must be a list of {{"text", "answer_start"}} objects')
        yield str(qa["id"]), _string(qa, "question", at), tuple(str(a.get("text", "")) for a in answers if a.get("text"))


def _string(record: dict, key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise EvalError(f'{where}: "{key}" is missing or not a string')
    return value


def _load_json(path: Path) -> object:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as error:
        raise EvalError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalError(f"{path} does not exist; check the path (benchmark files live in ../shared/data/)") from None
    except IsADirectoryError:
        raise EvalError(f"{path} is a folder; give a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvalError(f"cannot read {path} as UTF-8 text ({error})") from None


# ---------------------------------------------------------------- BEIR


def read_beir(folder: Path, split: str = "test") -> Benchmark:
    """``corpus.jsonl``, ``queries.jsonl`` and ``qrels/{split}.tsv`` of a BEIR folder.

    A document's title and text are searched together (the BEIR convention), as the title line of
    a news article is; the queries are those with at least one relevant document in the split.
    """
    if not folder.is_dir():
        raise EvalError(f"{folder} is not a folder; give a BEIR folder with corpus.jsonl, queries.jsonl, qrels/")
    articles = []
    for record, where in _jsonl(folder / "corpus.jsonl"):
        doc_id, text, title = _string(record, "_id", where), _string(record, "text", where), record.get("title") or ""
        articles.append(Article(doc_id=doc_id, title="", text=f"{title}\n\n{text}" if title else text))
    texts = {_string(r, "_id", w): _string(r, "text", w) for r, w in _jsonl(folder / "queries.jsonl")}
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    missing = [qid for qid in qrels if qid not in texts]
    if missing:
        raise EvalError(f"{folder}/qrels/{split}.tsv names {len(missing)} queries (e.g. {missing[0]!r}) "
                        "that queries.jsonl lacks")
    known = {a.doc_id for a in articles}
    unknown = sum(1 for rel in qrels.values() for d in rel if d not in known)
    if unknown:
        log.warning("%s: %d judged documents are not in corpus.jsonl", folder, unknown)
    questions = [Question(qid, texts[qid], {d: g for d, g in rel.items() if g > 0})
                 for qid, rel in qrels.items() if any(g > 0 for g in rel.values())]
    return Benchmark(folder.name, articles, questions, unit="doc", has_answers=False, sources=(str(folder),),
                     relevance=f"relevant documents are those with a positive grade in qrels/{split}.tsv",
                     corpus=folder.name)


def write_beir(benchmark: Benchmark, folder: Path, split: str = "test") -> None:
    """Write ``benchmark`` in the BEIR layout (titles empty: the indexed text already holds them)."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    _write_jsonl(folder / "corpus.jsonl", ({"_id": a.doc_id, "title": "", "text": a.text} for a in benchmark.articles))
    _write_jsonl(folder / "queries.jsonl", ({"_id": q.qid, "text": q.text} for q in benchmark.questions))
    lines = ["query-id\tcorpus-id\tscore"]
    lines += [f"{q.qid}\t{doc}\t{grade}" for q in benchmark.judged() for doc, grade in q.relevant.items()]
    (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _jsonl(path: Path) -> Iterator[tuple[dict, str]]:
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvalError(f"{path}:{number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise EvalError(f"{path}:{number}: expected a JSON object")
        yield record, f"{path}:{number}"


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- our gold question sets


def read_gold(path: Path, corpus: Path) -> Benchmark:
    """A gold JSONL question set over the article folder ``corpus``.

    Lines: ``{"id", "question", "language", "answerable", "evidence", "answer"}`` (evidence and
    answer null when unanswerable). Relevance is per passage and is filled in once the index exists
    (``with_evidence_passages``): a passage is relevant when its text contains the evidence sentence.
    """
    try:
        report = read_corpus(corpus)
    except CorpusError as error:
        raise EvalError(str(error)) from None
    if not report.articles:
        raise EvalError(f"no articles in {corpus}; give the corpus the questions were written for with --corpus")
    questions, seen = [], set()
    for record, where in _jsonl(path):
        qid, text = str(record.get("id") or ""), record.get("question")
        if not qid or not isinstance(text, str) or not isinstance(record.get("answerable"), bool):
            raise EvalError(f'{where}: each line needs "id", "question" and "answerable" (true or false)')
        if qid in seen:
            raise EvalError(f"{where}: question id {qid!r} appears twice; ids must be unique")
        seen.add(qid)
        answerable = record["answerable"]
        if answerable:
            evidence, answer = _string(record, "evidence", where), _string(record, "answer", where)
            questions.append(Question(qid, text, {}, (answer,), True, str(record.get("language") or ""), evidence))
        else:
            questions.append(Question(qid, text, {}, (), False, str(record.get("language") or "")))
    if not questions:
        raise EvalError(f"{path} has no questions")
    return Benchmark(f"gold-{path.stem}", report.articles, questions, unit="passage", has_answers=True,
                     sources=(str(path), str(corpus)),
                     relevance="a question's relevant passages are those whose text contains its evidence sentence",
                     corpus=f"gold-{corpus.resolve().name}")


def with_evidence_passages(benchmark: Benchmark, passages: Sequence[Passage]) -> Benchmark:
    """``benchmark`` with each evidence question relevant to the passages whose text contains its
    evidence (ignoring white space, script and width, so layout repair does not hide a match)."""
    texts = [(p.passage_id, _squash(p.text)) for p in passages]
    questions = []
    for q in benchmark.questions:
        if q.evidence:
            evidence = _squash(q.evidence)
            relevant = {pid: 1 for pid, text in texts if evidence in text}
            if not relevant:
                log.warning("%s: no passage contains its evidence %r; left out of retrieval metrics", q.qid,
                            q.evidence[:40])
            q = replace(q, relevant=relevant)
        questions.append(q)
    return replace(benchmark, questions=questions)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text))


# ---------------------------------------------------------------- TREC runs and qrels


def write_run(path: Path, rankings: Mapping[str, Ranking], tag: str) -> None:
    """A TREC run file: ``qid Q0 docid rank score tag``, ranks from 1 in the order given.

    The rank column is authoritative: fused scores can tie, and tools that re-sort by score
    (trec_eval) may then order tied documents differently.
    """
    for name in (tag, *rankings, *(d for ranking in rankings.values() for d, _ in ranking)):
        if not name or any(c.isspace() for c in name):
            raise EvalError(f"cannot write {path}: the id {name!r} is empty or has white space, which TREC forbids")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for qid, ranking in rankings.items():
            for rank, (doc, score) in enumerate(ranking, 1):
                out.write(f"{qid} Q0 {doc} {rank} {score:.8g} {tag}\n")


def read_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    """A TREC run file as ``{qid: [(docid, score), ...]}`` in rank order."""
    ranked: dict[str, list[tuple[int, str, float]]] = {}
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            qid, _, doc, rank, score, _ = parts
            ranked.setdefault(qid, []).append((int(rank), doc, float(score)))
        except ValueError:
            raise EvalError(f"{path}:{number}: expected `qid Q0 docid rank score tag`, got {line.strip()[:80]!r}") from None
    return {qid: [(doc, score) for _, doc, score in sorted(rows)] for qid, rows in ranked.items()}


def write_qrels(path: Path, questions: Iterable[Question]) -> None:
    """TREC qrels: ``qid 0 docid grade`` for every judged question (so trec_eval can check a run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for q in questions:
            for doc, grade in q.relevant.items():
                out.write(f"{q.qid} 0 {doc} {grade}\n")


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Qrels in TREC form (``qid 0 docid grade``) or BEIR's TSV (``query-id corpus-id score`` with a header)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        parts = [part.strip() for part in line.split("\t")] if "\t" in line else line.split()
        if not parts or (number == 1 and parts[0] == "query-id"):
            continue
        try:
            if len(parts) == 4:
                qid, _, doc, grade = parts
            else:
                qid, doc, grade = parts
            qrels.setdefault(qid, {})[doc] = int(float(grade))
        except ValueError:
            raise EvalError(f"{path}:{number}: expected `qid 0 docid grade` or `query-id<TAB>corpus-id<TAB>score`, "
                            f"got {line.strip()[:80]!r}") from None
    return qrels
