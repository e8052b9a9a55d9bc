"""Wenda's evaluation harness: retrieval and answer accuracy of any configuration on SQuAD-style,
BEIR and our own question sets, as TREC runs, ``metrics.json``, ``report.md`` and a Recall@k plot.

Data flows one way: readers (files → Benchmark) → harness (index, queries per mode, latency)
→ metrics (ranx for retrieval, pure functions for answers) → report. Run it as ``python -m eval``.
"""

from bot.errors import WendaError


class EvalError(WendaError):
    """A benchmark file or an evaluation option is missing or invalid; the message says what to fix."""


__all__ = ["EvalError"]
