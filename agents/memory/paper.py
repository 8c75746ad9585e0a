"""The paper's four memories (Shinn et al., 2023, arXiv:2303.11366), and the programming arms' too.

What trial k+1 of a sample is shown of its trials 1..k:

- :class:`NoMemory` (``none``): nothing; every trial starts afresh. The control.
- :class:`LastAttempt` (``last_attempt``): the previous attempt, trimmed and framed as failed.
- :class:`Reflections` (``reinagent``): the reflections written so far (all, unless capped).
- :class:`LastAttemptAndReflections` (``last_attempt_and_reinagent``): both; the newest
  reflection only, as in the original code.

The programming arms (HumanEval) are these memories plus flags that the code loop reads from their
registry entry (:mod:`agents.memory.registry`): ``reflexion`` and ``immediate-reflexion`` are
:class:`LastAttemptAndReflections` (the previous implementation *is* the last attempt: its code
and its failing tests; ``immediate-reflexion`` runs no test, ``runs_tests=False``);
``immediate-refinement`` is :class:`LastAttempt` (no reflection is written, ``reflects=False``);
``simple`` and ``test-acc`` are :class:`NoMemory` with ``one_shot=True`` (``test-acc`` writes no
code, ``writes_code=False``). Whether a reflection is written at all is the arm's ``reflects``: a
memory only decides what is shown.

>>> from agents.types import Attempt
>>> tried = Attempt("q1", 1, "hotpotqa", "cot", "x", input="Q?", trajectory="Thought: guess")
>>> for memory in (NoMemory(), LastAttempt(), Reflections(), LastAttemptAndReflections()):
...     memory.observe("q1", tried, "Look it up.")
...     print(type(memory).__name__, memory.shown("q1"))
NoMemory {'reflections': [], 'last_attempt': ''}
LastAttempt {'reflections': [], 'last_attempt': 'Thought: guess'}
Reflections {'reflections': ['Look it up.'], 'last_attempt': ''}
LastAttemptAndReflections {'reflections': ['Look it up.'], 'last_attempt': 'Thought: guess'}
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .episodic import Episodic

if TYPE_CHECKING:
    from ..types import Attempt


class NoMemory:
    """Shows nothing and keeps nothing (``NoMemory(**settings)`` accepts and ignores any setting)."""

    def __init__(self, **settings: Any):
        pass

    def observe(self, sample_id: str, attempt: "Attempt", reflection: str) -> None:
        pass

    def render(self, sample_id: str) -> str:
        return ""

    def shown(self, sample_id: str) -> dict[str, Any]:
        return {"reflections": [], "last_attempt": ""}

    def state(self) -> dict[str, Any]:
        return {}

    def load(self, state: dict[str, Any]) -> None:
        pass


class LastAttempt(Episodic):
    """The sample's previous attempt."""

    show_last_attempt = True


class Reflections(Episodic):
    """The sample's reflections: every one, or the newest ``max_notes``."""

    show_notes = True


class LastAttemptAndReflections(Episodic):
    """The previous attempt and the newest reflection (``max_notes=None`` shows them all)."""

    show_last_attempt = True
    show_notes = True

    def __init__(self, *, max_notes: int | None = 1, **settings: Any):
        super().__init__(max_notes=max_notes, **settings)
