"""What an agent carries from one trial to the next: the strategies ("arms"), each described once.

Reflexion (Shinn et al., 2023, "Reflexion: Language Agents with Verbal Reinforcement Learning",
arXiv:2303.11366) compares ways of building the context of trial k+1 after trial k failed. HotPotQA
and ALFWorld use four (``none``, ``last_attempt``, ``reinagent``, ``last_attempt_and_reinagent``);
the original's programming code has its own arms and names (``simple``, ``reflexion``,
``immediate-refinement``, ``immediate-reflexion``, ``test-acc``). Each arm is one row of
:data:`ARMS`: its name, other spellings, the tasks it applies to, and what it shows and does.

>>> ReinAgentStrategy("reinagent") is ReinAgentStrategy.REINAGENT
True
>>> ReinAgentStrategy.REFLEXION is ReinAgentStrategy.REINAGENT      # HotPotQA's original spelling
True
>>> ReinAgentStrategy.parse("last_attempt").value                   # the command line's spelling
'last_trial'

A name means what the original meant in that task: ``reflexion`` on HumanEval is the programming
loop (the previous implementation, its failing tests and the newest reflection), on HotPotQA the
reflections alone:

>>> ReinAgentStrategy.parse("reflexion", task="humaneval").value, ReinAgentStrategy.parse("reflexion").value
('reflexion', 'reinagent')
>>> [s.arm.name for s in strategies_for("humaneval")]
['none', 'reinagent', 'simple', 'reflexion', 'immediate-refinement', 'immediate-reflexion', 'test-acc']
>>> default_strategy("humaneval").value, default_strategy("hotpotqa").value
('reflexion', 'reinagent')
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from typing import Callable


class ReinAgentStrategy(enum.Enum):
    """How the next attempt is informed by the failed ones before it (details: :data:`ARMS`).

    NONE
        Nothing of earlier attempts: every trial starts from the bare question. The control arm.
    LAST_ATTEMPT
        The previous attempt's reasoning trace (its scratchpad) is shown, replacing the one before:
        the agent can see what it did, but is given no diagnosis.
    REINAGENT
        After each failed attempt the reflection model writes a short self-reflection ("I searched
        the wrong page; next time search the director first"). Reflections accumulate in an
        episodic memory and all of them are shown to every later attempt.
    LAST_ATTEMPT_AND_REINAGENT
        Both: the last attempt's trace and the reflections. As in the original code, only the
        *newest* reflection is shown with the trace (``max_reflections=None`` shows them all).
    SIMPLE, CODE_REFLEXION, IMMEDIATE_REFINEMENT, IMMEDIATE_REFLEXION, TEST_ACC
        The original's programming arms (HumanEval), named as it named them: one attempt; the
        previous implementation with its failing tests and the newest reflection (the default);
        the same without a reflection; a reflection without any test; and how often the
        self-written tests accept the canonical solution.

    Values are the names used in result folders. ``REFLEXION`` / ``LAST_ATTEMPT_AND_REFLEXION``
    (HotPotQA's original names) and ``reinAgent`` / ``LAST_ATTEMPT_AND_reinAgent`` (the seed's
    spellings) are aliases of the same members.
    """

    NONE = "base"
    LAST_ATTEMPT = "last_trial"
    REINAGENT = "reinagent"
    LAST_ATTEMPT_AND_REINAGENT = "last_trial_and_reinagent"
    SIMPLE = "simple"
    CODE_REFLEXION = "reflexion"
    IMMEDIATE_REFINEMENT = "immediate-refinement"
    IMMEDIATE_REFLEXION = "immediate-reflexion"
    TEST_ACC = "test-acc"

    # Aliases: Enum members with an equal value are the same object.
    REFLEXION = "reinagent"
    LAST_ATTEMPT_AND_REFLEXION = "last_trial_and_reinagent"
    reinAgent = "reinagent"
    LAST_ATTEMPT_AND_reinAgent = "last_trial_and_reinagent"

    @property
    def arm(self) -> "Arm":
        """Everything this strategy shows and does (its row of :data:`ARMS`)."""
        return ARMS[self]

    @property
    def shows_last_attempt(self) -> bool:
        """Does the next attempt see the previous scratchpad?"""
        return self.arm.shows_last_attempt

    @property
    def reflects(self) -> bool:
        """Does a failed attempt produce a self-reflection for the memory?"""
        return self.arm.reflects

    @classmethod
    def parse(cls, text: "str | ReinAgentStrategy", task: str | None = None) -> "ReinAgentStrategy":
        """Accept a member, its value, or any of its spellings in any case (``"reinagent"``,
        ``"LAST_ATTEMPT"``, ``"immediate_refinement"``). With ``task``, a name means what it means
        in that task, and an arm that does not apply to it is refused.

        >>> ReinAgentStrategy.parse("Last_Attempt_And_Reflexion").name
        'LAST_ATTEMPT_AND_REINAGENT'
        >>> ReinAgentStrategy.parse("last_attempt", task="humaneval").name   # the same arm there
        'IMMEDIATE_REFINEMENT'
        >>> ReinAgentStrategy.parse("test-acc", task="hotpotqa")
        Traceback (most recent call last):
        ...
        ValueError: strategy 'test-acc' does not apply to task hotpotqa; choose one of: none, last_attempt, reinagent, last_attempt_and_reinagent
        """
        key = _key(text.name if isinstance(text, cls) else str(text))
        if task is not None:
            for member, arm in ARMS.items():  # a name that means another arm in this task
                if task in arm.tasks_spellings and key in {_key(s) for s in arm.tasks_spellings[task]}:
                    return member
        if isinstance(text, cls):
            found = text
        else:
            found = next((member for member, arm in ARMS.items()
                          if key in {_key(member.name), _key(member.value), _key(arm.name),
                                     *(_key(s) for s in arm.spellings)}), None)
            if found is None:
                found = next((member for name, member in cls.__members__.items() if key == _key(name)), None)
        if found is None:
            names = ", ".join(s.arm.name for s in (strategies_for(task) if task else cls))
            raise ValueError(f"unknown strategy {text!r}; choose one of: {names}")
        if task is not None and found not in strategies_for(task):
            names = ", ".join(s.arm.name for s in strategies_for(task))
            shown = found.arm.name if isinstance(text, cls) else str(text).strip()
            raise ValueError(f"strategy {shown!r} does not apply to task {task}; choose one of: {names}")
        return found


def _key(name: str) -> str:
    """Spellings compare without case, and ``-`` and ``_`` are one character."""
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Arm:
    """One strategy, described once: how it is named, where it applies, what it shows and does.

    - ``name``: the command line's spelling (``--strategy NAME``); ``spellings``: others accepted
      in every task it applies to; ``tasks_spellings``: names that mean this arm in one task only
      (``"reflexion"`` on HumanEval);
    - ``tasks``: the tasks it applies to (None: every task); ``default_in``: where it is the default;
    - ``shows_last_attempt`` / ``reflects`` / ``max_reflections`` (reflections shown; None: all):
      what trial k+1 sees;
    - programming only: ``runs_tests`` (the attempt runs the tests the model wrote),
      ``writes_code`` (False: only tests are written, and checked against the canonical solution),
      ``one_shot`` (one trial per sample), ``feedback`` (the feedback source the arm implies when
      none is asked for: an arm that runs no test has no verdict);
    - ``label``: what the next attempt is shown, in words (tables, the README).
    """

    name: str
    label: str
    spellings: tuple[str, ...] = ()
    tasks_spellings: "dict[str, tuple[str, ...]]" = None  # type: ignore[assignment]
    tasks: tuple[str, ...] | None = None
    excluded_from: tuple[str, ...] = ()
    default_in: tuple[str, ...] = ()
    shows_last_attempt: bool = False
    reflects: bool = False
    max_reflections: int | None = None
    runs_tests: bool = True
    writes_code: bool = True
    one_shot: bool = False
    feedback: str | None = None

    def __post_init__(self):
        if self.tasks_spellings is None:
            object.__setattr__(self, "tasks_spellings", {})

    def applies_to(self, task: str) -> bool:
        return (self.tasks is None or task in self.tasks) and task not in self.excluded_from


_PROGRAMMING = ("humaneval",)

ARMS: dict[ReinAgentStrategy, Arm] = {
    ReinAgentStrategy.NONE: Arm(
        "none", "nothing: every trial starts afresh (a re-roll)", spellings=("base",)),
    ReinAgentStrategy.LAST_ATTEMPT: Arm(
        "last_attempt", "the previous attempt, trimmed to ~1,600 tokens and framed as failed",
        spellings=("last_trial",), excluded_from=_PROGRAMMING, shows_last_attempt=True),
    ReinAgentStrategy.REINAGENT: Arm(
        "reinagent", "every reflection written so far (Reflexion as on HotPotQA and ALFWorld)",
        spellings=("reflexion",), default_in=("hotpotqa", "alfworld"), reflects=True),
    ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT: Arm(
        "last_attempt_and_reinagent", "the previous attempt and the newest reflection",
        spellings=("last_trial_and_reinagent", "last_attempt_and_reflexion"), excluded_from=_PROGRAMMING,
        shows_last_attempt=True, reflects=True, max_reflections=1),
    ReinAgentStrategy.SIMPLE: Arm(
        "simple", "one attempt, no retry and no test (the original's baseline)", tasks=_PROGRAMMING,
        runs_tests=False, one_shot=True, feedback="none"),
    ReinAgentStrategy.CODE_REFLEXION: Arm(
        "reflexion", "the previous implementation, its failing tests with their output, and the newest "
        "reflection (the original's loop)", tasks=_PROGRAMMING, default_in=_PROGRAMMING,
        tasks_spellings={"humaneval": ("reflexion", "last_attempt_and_reinagent", "last_trial_and_reinagent",
                                       "last_attempt_and_reflexion")},
        shows_last_attempt=True, reflects=True, max_reflections=1),
    ReinAgentStrategy.IMMEDIATE_REFINEMENT: Arm(
        "immediate-refinement", "the previous implementation and its failing tests, no reflection",
        tasks=_PROGRAMMING, tasks_spellings={"humaneval": ("last_attempt", "last_trial")},
        shows_last_attempt=True),
    ReinAgentStrategy.IMMEDIATE_REFLEXION: Arm(
        "immediate-reflexion", "the previous implementation and the newest reflection, written without "
        "any test (every trial runs)", tasks=_PROGRAMMING, shows_last_attempt=True, reflects=True,
        max_reflections=1, runs_tests=False, feedback="none"),
    ReinAgentStrategy.TEST_ACC: Arm(
        "test-acc", "no code: the model's tests are run on the canonical solution, once (how often "
        "they accept it)", tasks=_PROGRAMMING, writes_code=False, one_shot=True, feedback="tests"),
}


def strategies_for(task: str | None) -> list[ReinAgentStrategy]:
    """The strategies a task offers, in :data:`ARMS` order (every one without a task).

    >>> [s.arm.name for s in strategies_for("hotpotqa")]
    ['none', 'last_attempt', 'reinagent', 'last_attempt_and_reinagent']
    """
    return [member for member, arm in ARMS.items() if task is None or arm.applies_to(task)]


def default_strategy(task: str | None) -> ReinAgentStrategy:
    """The original's method on ``task``: its Reflexion arm."""
    return next((m for m, arm in ARMS.items() if task in arm.default_in), ReinAgentStrategy.REINAGENT)


# The seed code's spelling of the class name.
reinAgentStrategy = ReinAgentStrategy

# How the carried-over memory is introduced (task-agnostic wording: a question, a game, a function).
LAST_ATTEMPT_HEADER = "You have attempted this before and failed. Your last attempt was:"
LAST_ATTEMPT_END = "(END OF PREVIOUS ATTEMPT)"
REFLECTIONS_HEADER = ("You have attempted this before and failed. "
                      "Your notes from those attempts, to use now:")

# The original kept about 1,600 tokens of the previous trace; longer traces crowd out the attempt.
LAST_ATTEMPT_TOKENS = 1600
_DEFAULT = object()


def default_max_reflections(strategy: ReinAgentStrategy) -> int | None:
    """How many reflections a strategy shows by default: the original's choices.

    >>> default_max_reflections(ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT), default_max_reflections(ReinAgentStrategy.REINAGENT)
    (1, None)
    """
    return strategy.arm.max_reflections


def shown_reflections(strategy: ReinAgentStrategy, reflections: list[str],
                      max_reflections: "int | None | object" = _DEFAULT) -> list[str]:
    """The part of the memory the next attempt sees: the newest ``max_reflections`` (all if None).

    >>> shown_reflections(ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT, ["a", "b", "c"])
    ['c']
    >>> shown_reflections(ReinAgentStrategy.REINAGENT, ["a", "b", "c"], max_reflections=2)
    ['b', 'c']
    """
    if not strategy.reflects:
        return []
    cap = default_max_reflections(strategy) if max_reflections is _DEFAULT else max_reflections
    notes = [note for note in reflections if note]
    return notes[-cap:] if cap else notes


def trim_trace(trace: str, max_tokens: int, count_tokens: Callable[[str], int]) -> str:
    """Shorten a trace to ``max_tokens``: the longest observations go first (they are what grows),
    then whole lines from the end, marked, so what is shown always says it was cut.

    >>> pad = "Thought 1: t\\nObservation 1: " + "long " * 50 + "\\nObservation 2: short"
    >>> print(trim_trace(pad, 20, lambda s: len(s.split())))
    Thought 1: t
    Observation 1: [truncated]
    Observation 2: short
    >>> print(trim_trace("a b\\nc d\\ne f", 3, lambda s: len(s.split())))
    a b
    [... the rest of this trace was cut]
    """
    lines = trace.split("\n")
    while count_tokens("\n".join(lines)) > max_tokens:
        observations = [i for i, line in enumerate(lines)
                        if line.startswith("Observation") and not line.endswith("[truncated]")]
        if not observations:
            break
        longest = max(observations, key=lambda i: len(lines[i]))
        label = lines[longest].split(":", 1)[0]
        lines[longest] = f"{label}: [truncated]"
    marker = "[... the rest of this trace was cut]"
    if count_tokens("\n".join(lines)) > max_tokens:
        while len(lines) > 1 and count_tokens("\n".join(lines + [marker])) > max_tokens:
            lines.pop()
        lines.append(marker)
    return "\n".join(lines)


def format_memory(strategy: ReinAgentStrategy, task_input: str, last_attempt: str,
                  reflections: list[str], *, max_reflections: "int | None | object" = _DEFAULT,
                  last_attempt_tokens: int = LAST_ATTEMPT_TOKENS,
                  count_tokens: Callable[[str], int] | None = None) -> str:
    """The ``{memory}`` block of the next attempt's prompt under ``strategy``.

    ``reflections`` is the whole episodic memory; :func:`shown_reflections` picks what is shown.
    The last attempt is trimmed to ``last_attempt_tokens`` and framed by a header that says it
    failed and an end marker.

    >>> print(format_memory(ReinAgentStrategy.REINAGENT, "Q?", "Thought: ...", ["Search the film first."]))
    <BLANKLINE>
    You have attempted this before and failed. Your notes from those attempts, to use now:
    - Search the film first.
    <BLANKLINE>
    >>> format_memory(ReinAgentStrategy.NONE, "Q?", "Thought: ...", ["ignored"])
    ''
    """
    from .llm.base import approx_token_count

    parts = []
    if strategy.shows_last_attempt and last_attempt.strip():
        trace = trim_trace(last_attempt.strip(), last_attempt_tokens, count_tokens or approx_token_count)
        parts.append(f"{LAST_ATTEMPT_HEADER}\n{task_input}\n{trace}\n{LAST_ATTEMPT_END}")
    notes = shown_reflections(strategy, reflections, max_reflections)
    if notes:
        parts.append(REFLECTIONS_HEADER + "\n" + "\n".join(f"- {note}" for note in notes))
    return "\n" + "\n\n".join(parts) + "\n" if parts else ""
