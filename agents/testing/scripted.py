"""A scripted stand-in model that plays the agents' formats: for tests, benchmarks and fault drills.

Its reply depends on the prompt alone (deterministic, thread-safe, zero latency), so two runs that
send the same prompts get the same replies whatever the concurrency, faults or restarts. It knows
the gold answers (given at construction), unlike the agents, and answers correctly only on some
trials: a question is solved at trial ``1 + hash(question) % 4``-ish, so curves rise over trials.

>>> model = ScriptedHotpotModel({"Who wrote Dune?": "Frank Herbert"}, solve_at={"Who wrote Dune?": 1})
>>> model.complete("...Question: Who wrote Dune?\\nThought:").text
' I know this one.\\nAction: Finish[Frank Herbert]'
>>> model.complete("...Question: Who wrote Dune?\\nThought 1:").text
' I should search for the main entity.\\nAction 1: Search[Dune]'
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable

from ..llm.base import LLM, Completion, approx_token_count

_STEP = re.compile(r"\nThought (\d+):")


def _stable_hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


_TRY = re.compile(r"\(try (\d+)\)")


def _tries_shown(text: str) -> int:
    """The latest earlier trial the memory shows: wrong answers say ``(try k)``, and so do the
    reflections on them, so the count survives a strategy that shows only the newest reflection."""
    return max((int(k) for k in _TRY.findall(text)), default=0)


class ScriptedHotpotModel(LLM):
    """``ScriptedHotpotModel(golds, solve_at=None, max_trial=4, search_titles=None)``.

    - ``golds``: question text -> gold answer (or HotPotQA records via :meth:`from_records`);
    - ``solve_at``: question -> the trial at which it answers correctly (default from a hash; some
      questions are never solved, value ``max_trial + 1``). The trial is read from the prompt: one
      more than the latest past attempt its memory shows (a wrong answer is ``not <gold> (try k)``
      and a reflection names the try it diagnoses), so no memory means trial 1 every time.
    - A self-check or judge prompt (ending ``Supported:``) is always answered "yes": an
      overconfident checker, so honest feedback visibly differs from the oracle.
    - ``search_titles``: question -> the title its first Search uses (default: a capitalised word).
    """

    backend = "scripted"

    def __init__(self, golds: dict[str, str], solve_at: dict[str, int] | None = None,
                 max_trial: int = 4, search_titles: dict[str, str] | None = None, name: str = "scripted"):
        self.golds = dict(golds)
        self.solve_at = dict(solve_at or {})
        self.max_trial = max_trial
        self.search_titles = dict(search_titles or {})
        self.name = name

    @classmethod
    def from_records(cls, records: Iterable[dict[str, Any]], **options: Any) -> "ScriptedHotpotModel":
        records = list(records.to_dict("records") if hasattr(records, "to_dict") else records)
        return cls({r["question"]: r["answer"] for r in records},
                   search_titles={r["question"]: r["context"]["title"][0] for r in records
                                  if isinstance(r.get("context"), dict) and r["context"].get("title")},
                   **options)

    def reply_for(self, prompt: str) -> str:
        """The scripted reply to ``prompt`` (what :meth:`complete` returns, before stop cutting)."""
        if prompt.rstrip().endswith("Reflection:"):
            tried = _tries_shown(prompt.rsplit("Previous trial:", 1)[-1])
            return (f" I answered without checking the second entity (try {tried}); "
                    "next time I will verify both hops.")
        if prompt.rstrip().endswith("Supported:"):
            return " yes. The attempt looks complete."
        head, _, tail = prompt.rpartition("Question: ")
        question = tail.split("\n", 1)[0].strip()
        gold = self.golds.get(question, "unknown")
        memory = head.split("(end of examples)")[-1]  # the few-shots may hold anything
        trial = 1 + _tries_shown(memory)
        solved_at = self.solve_at.get(question, 1 + _stable_hash(question) % (self.max_trial + 1))
        answer = gold if trial >= solved_at else f"not {gold} (try {trial})"
        if tail.rstrip().endswith("Action:"):
            return f" Finish[{answer}]"
        steps = _STEP.findall("\n" + tail)
        if not steps:  # CoT: one thought and the answer
            return f" I know this one.\nAction: Finish[{answer}]"
        k = int(steps[-1])
        if k == 1:
            title = self.search_titles.get(question) or next(
                (w.strip("?,.\"'") for w in question.split()[1:] if w[:1].isupper()), question)
            return f" I should search for the main entity.\nAction 1: Search[{title}]"
        if k == 2:
            return f" Let me find the detail.\nAction 2: Lookup[{question.split()[-1].strip('?')}]"
        return f" I have enough to answer.\nAction {k}: Finish[{answer}]"

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        text = self.reply_for(prompt)
        return Completion(text, approx_token_count(prompt), approx_token_count(text))
