"""An attempt is data: what one agent did on one question in one trial.

It is what the run engine writes (one JSON line each), what resume rebuilds memory from, and what
gets re-scored and plotted. Agents fill it in; the runner adds the gold answer and the scores.

>>> a = Attempt(question_id="q1", trial=1, agent="cot", strategy="reinagent",
...             question="Who?", answer="Ada", correct=False)
>>> Attempt.from_dict(a.to_dict()) == a
True
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Attempt:
    question_id: str
    trial: int
    agent: str
    strategy: str
    question: str
    answer: str = ""
    correct: bool = False          # the evaluator's verdict: the trial's feedback
    scratchpad: str = ""
    reflections: list[str] = field(default_factory=list)  # the memory this attempt was shown
    last_attempt: str = ""         # the previous scratchpad this attempt was shown, if any
    steps: int = 0
    invalid_actions: int = 0
    halted: bool = False           # ran out of steps or context before Finish
    error: str | None = None       # a model/backend failure that ended the attempt
    llm_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0         # prompt tokens served from the KV prefix cache
    latency_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # runner's additions: gold, em, f1, ...

    @property
    def finished(self) -> bool:
        """Reached Finish (right or wrong) rather than halting or failing."""
        return not self.halted and self.error is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Attempt":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
