"""A sample's own past: the base of the paper's memories, keyed by sample id.

Each sample keeps its newest attempt (its trajectory and the heading that names the sample, e.g.
``Question: ...``) and the reflections written on its failed attempts. Nothing of one sample
reaches another: samples run concurrently without waiting for each other. Subclasses say what is
shown (:mod:`agents.memory.paper`): the last attempt, the reflections, both or neither.

>>> from agents.types import Attempt
>>> memory = Episodic(show_last_attempt=True, show_notes=True, max_notes=1)
>>> first = Attempt("q1", 1, "hotpotqa", "cot", "x", input="Q?", trajectory="Thought: guess")
>>> memory.observe("q1", first, "I guessed; look it up.")
>>> print(memory.render("q1"))
<BLANKLINE>
You have attempted this before and failed. Your last attempt was:
Q?
Thought: guess
(END OF PREVIOUS ATTEMPT)
<BLANKLINE>
You have attempted this before and failed. Your notes from those attempts, to use now:
- I guessed; look it up.
<BLANKLINE>
>>> memory.render("q2"), memory.shown("q1")["reflections"]
('', ['I guessed; look it up.'])
>>> again = Episodic(show_last_attempt=True, show_notes=True, max_notes=1)
>>> again.load(memory.state()); again.render("q1") == memory.render("q1")
True
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .text import LAST_ATTEMPT_TOKENS, episode_text, newest

if TYPE_CHECKING:
    from ..types import Attempt


def _input_of(attempt: "Attempt") -> str:
    return attempt.input


class Episodic:
    """``Episodic(*, heading=None, count_tokens=None, last_attempt_tokens=1600, max_notes=None)``.

    - ``heading(attempt) -> str``: how the shown last attempt names its sample (the actor's
      ``Question: ...``; default: the attempt's input);
    - ``count_tokens`` / ``last_attempt_tokens``: the last attempt is trimmed to that many tokens
      (counted by the acting model's tokenizer);
    - ``max_notes``: the newest reflections shown (None: all of them).
    """

    show_last_attempt = False
    show_notes = False

    def __init__(self, *, heading: Callable[["Attempt"], str] | None = None,
                 count_tokens: Callable[[str], int] | None = None,
                 last_attempt_tokens: int = LAST_ATTEMPT_TOKENS, max_notes: int | None = None,
                 show_last_attempt: bool | None = None, show_notes: bool | None = None):
        self.heading = heading or _input_of
        self.count_tokens = count_tokens
        self.last_attempt_tokens = last_attempt_tokens
        self.max_notes = max_notes
        if show_last_attempt is not None:
            self.show_last_attempt = show_last_attempt
        if show_notes is not None:
            self.show_notes = show_notes
        self.samples: dict[str, dict[str, Any]] = {}

    def _of(self, sample_id: str) -> dict[str, Any]:
        return self.samples.get(sample_id) or {"heading": "", "last_attempt": "", "notes": []}

    def observe(self, sample_id: str, attempt: "Attempt", reflection: str) -> None:
        past = self.samples.setdefault(sample_id, {"heading": "", "last_attempt": "", "notes": []})
        past["heading"] = self.heading(attempt)
        past["last_attempt"] = attempt.trajectory
        if reflection:  # an empty reflection is no note: never store a placeholder
            past["notes"].append(reflection)

    def shown(self, sample_id: str) -> dict[str, Any]:
        past = self._of(sample_id)
        return {"reflections": newest(past["notes"], self.max_notes) if self.show_notes else [],
                "last_attempt": past["last_attempt"] if self.show_last_attempt else ""}

    def render(self, sample_id: str) -> str:
        past = self._of(sample_id)
        return episode_text(past["heading"], past["last_attempt"], past["notes"],
                            show_last_attempt=self.show_last_attempt, show_notes=self.show_notes,
                            max_notes=self.max_notes, max_tokens=self.last_attempt_tokens,
                            count_tokens=self.count_tokens)

    def state(self) -> dict[str, Any]:
        return {"samples": {sid: {"heading": p["heading"], "last_attempt": p["last_attempt"],
                                  "notes": list(p["notes"])} for sid, p in self.samples.items()}}

    def load(self, state: dict[str, Any]) -> None:
        samples = state.get("samples") if isinstance(state, dict) else None
        if not isinstance(samples, dict):
            raise ValueError(f"a {type(self).__name__} state is {{'samples': {{id: ...}}}}, got {state!r:.80}")
        self.samples = {str(sid): {"heading": str(p.get("heading", "")), "last_attempt": str(p.get("last_attempt", "")),
                                   "notes": [str(n) for n in p.get("notes", [])]} for sid, p in samples.items()}
