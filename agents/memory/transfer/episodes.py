"""What the transfer methods read of a run's records, and what their own model calls cost.

A training run's ``attempts.jsonl`` is a history: a trial retried after an error has one row per
try. :func:`episodes` turns it into one :class:`Episode` per sample (its attempts in trial order,
the newest try of each trial, error rows left out), in the order of the training samples, so
what is learnt never depends on the order in which a concurrent run finished its samples.

Success is what the *feedback* said (the record's ``success``), not the ground truth: a method
learns from the signal the run was given (``oracle`` on train; ``self`` or ``none`` online, where
nothing counts as solved), never from a score the agent could not see.

>>> records = [{"sample_id": "b", "trial": 1, "input": "Q b", "trajectory": "t1", "success": True},
...            {"sample_id": "a", "trial": 2, "input": "Q a", "trajectory": "t2", "success": True},
...            {"sample_id": "a", "trial": 1, "input": "Q a", "trajectory": "x", "error": "HTTP 500"},
...            {"sample_id": "a", "trial": 1, "input": "Q a", "trajectory": "t1", "success": False,
...             "attempt_no": 2}]
>>> [(e.sample_id, [r["trial"] for r in e.attempts], e.first_success["trial"]) for e in episodes(records, ["a", "b"])]
[('a', [1, 2], 2), ('b', [1], 1)]
>>> episodes(records, ["a", "b"])[0].failure_before_success["trajectory"]
't1'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..text import trim_trace


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def succeeded(record: dict[str, Any]) -> bool:
    """What the feedback said of one attempt (True only for a plain True: NaN, None are failures)."""
    value = record.get("success")
    if _missing(value):
        feedback = record.get("feedback")
        value = feedback.get("success") if isinstance(feedback, dict) else False
    return value is True or (not _missing(value) and bool(value) and not isinstance(value, str))


@dataclass
class Episode:
    """One sample's attempts (newest try of each trial, errors left out), in trial order."""

    sample_id: str
    input: str
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first_success(self) -> dict[str, Any] | None:
        return next((r for r in self.attempts if succeeded(r)), None)

    @property
    def failure_before_success(self) -> dict[str, Any] | None:
        """The last failed attempt before the first success (the pair ExpeL compares), or None."""
        success = self.first_success
        if success is None:
            return None
        failed = [r for r in self.attempts if not succeeded(r) and r.get("trial", 0) < success.get("trial", 0)]
        return failed[-1] if failed else None


def episodes(records: Iterable[dict[str, Any]], order: Iterable[str] = ()) -> list[Episode]:
    """The records as one :class:`Episode` per sample: the samples in ``order`` first (the training
    samples' order), then any others by id. Rows with an ``error`` are left out (retried tries)."""
    newest: dict[tuple[str, int], dict[str, Any]] = {}
    for record in records:
        if not isinstance(record, dict) or not _missing(record.get("error")):
            continue
        key = (str(record.get("sample_id", "")), int(record.get("trial") or 1))
        if key not in newest or int(record.get("attempt_no") or 1) >= int(newest[key].get("attempt_no") or 1):
            newest[key] = record
    by_sample: dict[str, list[dict[str, Any]]] = {}
    for (sid, _trial), record in sorted(newest.items(), key=lambda kv: kv[0]):
        by_sample.setdefault(sid, []).append(record)
    ordered = [sid for sid in dict.fromkeys(str(s) for s in order) if sid in by_sample]
    ordered += sorted(sid for sid in by_sample if sid not in set(ordered))
    return [Episode(sid, str(by_sample[sid][0].get("input") or ""), by_sample[sid]) for sid in ordered]


def shown_trace(record: dict[str, Any], max_tokens: int, count_tokens: Callable[[str], int]) -> str:
    """An attempt's trajectory as a learning prompt shows it: trimmed to ``max_tokens`` (the longest
    observations first, then lines from the end, marked)."""
    return trim_trace(str(record.get("trajectory") or "").strip() or "(empty)", max_tokens, count_tokens)


@dataclass
class Usage:
    """What a method's own model calls cost: calls and the tokens the backend reported.

    >>> from agents.llm.base import CallableLLM
    >>> usage = Usage()
    >>> usage.ask(CallableLLM(lambda p: "ADD: x", name="t"), "prompt", max_tokens=16, draw="expel/0")
    'ADD: x'
    >>> usage.as_dict()
    {'calls': 1, 'input_tokens': 2, 'output_tokens': 2}
    """

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def ask(self, llm: Any, prompt: str, *, max_tokens: int, draw: str, stop: list[str] | None = None) -> str:
        reply = llm.complete(prompt, stop=stop, max_tokens=max_tokens, draw=draw)
        self.calls += 1
        self.input_tokens += int(reply.input_tokens or 0)
        self.output_tokens += int(reply.output_tokens or 0)
        return reply.text

    def as_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens}

    @classmethod
    def of(cls, content: dict[str, Any]) -> "Usage":
        """The running total a content already carries (online updates add to it)."""
        saved = content.get("usage") if isinstance(content.get("usage"), dict) else {}
        return cls(**{k: int(saved.get(k) or 0) for k in ("calls", "input_tokens", "output_tokens")})


def count_of(llm: Any) -> Callable[[str], int]:
    """The model's own token counter, or the kit's approximate one (~4 characters a token)."""
    from ...llm.base import approx_token_count

    return llm.count_tokens if llm is not None else approx_token_count
