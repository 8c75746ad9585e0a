"""The strategies as the seed code named them: a compatibility layer over :mod:`agents.memory.registry`.

Reflexion (Shinn et al., 2023, "Reflexion: Language Agents with Verbal Reinforcement Learning",
arXiv:2303.11366) compares ways of building the context of trial k+1 after trial k failed. HotPotQA
and ALFWorld use four (``none``, ``last_attempt``, ``reinagent``, ``last_attempt_and_reinagent``);
the original's programming code has its own arms and names (``simple``, ``reflexion``,
``immediate-refinement``, ``immediate-reflexion``, ``test-acc``). Each arm is one entry of the
registry (:mod:`agents.memory.registry`), with its memory (:mod:`agents.memory`); new code reads
the registry. :class:`ReinAgentStrategy` keeps the built-in arms' member names, and its values are
the folder names runs are filed under; an arm registered later parses to its registry entry.

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
from typing import Callable

from .memory import registry
from .memory.registry import Arm
from .memory.text import (LAST_ATTEMPT_END, LAST_ATTEMPT_HEADER, LAST_ATTEMPT_TOKENS,  # noqa: F401 (re-exported)
                          REFLECTIONS_HEADER, episode_text, newest, trim_trace)


class ReinAgentStrategy(enum.Enum):
    """How the next attempt is informed by the failed ones before it (details: the registry's arms).

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
    def arm(self) -> Arm:
        """Everything this strategy shows and does (its entry in :mod:`agents.memory.registry`)."""
        return registry.by_folder(self.value)

    @property
    def folder(self) -> str:
        return self.value

    @property
    def shows_last_attempt(self) -> bool:
        """Does the next attempt see the previous scratchpad?"""
        return self.arm.shows_last_attempt

    @property
    def reflects(self) -> bool:
        """Does a failed attempt produce a self-reflection for the memory?"""
        return self.arm.reflects

    @classmethod
    def parse(cls, text: "str | ReinAgentStrategy | Arm", task: str | None = None) -> "ReinAgentStrategy | Arm":
        """Accept a member, an arm, its value, or any of its spellings in any case (``"reinagent"``,
        ``"LAST_ATTEMPT"``, ``"immediate_refinement"``). With ``task``, a name means what it means
        in that task, and an arm that does not apply to it is refused. A built-in arm comes back as
        its member; an arm registered later as itself (it has ``value``, ``arm``, ``reflects`` too).

        >>> ReinAgentStrategy.parse("Last_Attempt_And_Reflexion").name
        'LAST_ATTEMPT_AND_REINAGENT'
        >>> ReinAgentStrategy.parse("last_attempt", task="humaneval").name   # the same arm there
        'IMMEDIATE_REFINEMENT'
        >>> ReinAgentStrategy.parse("test-acc", task="hotpotqa")
        Traceback (most recent call last):
        ...
        ValueError: strategy 'test-acc' does not apply to task hotpotqa; choose one of: none, last_attempt, reinagent, last_attempt_and_reinagent
        """
        found = registry.resolve(text.arm if isinstance(text, cls) else text, task=task)
        return as_strategy(found)


def as_strategy(arm: Arm) -> "ReinAgentStrategy | Arm":
    """A built-in arm as its member (code compares members by identity); any other arm as itself."""
    return ReinAgentStrategy._value2member_map_.get(arm.folder, arm)


# Every built-in arm by member, in the registry's order (the seed code's table).
ARMS: dict[ReinAgentStrategy, Arm] = {member: member.arm for member in ReinAgentStrategy}


def strategies_for(task: str | None) -> "list[ReinAgentStrategy | Arm]":
    """The strategies a task offers, in the registry's order (every one without a task).

    >>> [s.arm.name for s in strategies_for("hotpotqa")]
    ['none', 'last_attempt', 'reinagent', 'last_attempt_and_reinagent']
    """
    return [as_strategy(arm) for arm in registry.arms(task)]


def default_strategy(task: str | None) -> "ReinAgentStrategy | Arm":
    """The original's method on ``task``: its Reflexion arm."""
    return as_strategy(registry.default_arm(task))


# The seed code's spelling of the class name.
reinAgentStrategy = ReinAgentStrategy

_DEFAULT = object()


def default_max_reflections(strategy: "ReinAgentStrategy | Arm") -> int | None:
    """How many reflections a strategy shows by default: the original's choices.

    >>> default_max_reflections(ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT), default_max_reflections(ReinAgentStrategy.REINAGENT)
    (1, None)
    """
    return strategy.arm.max_reflections


def shown_reflections(strategy: "ReinAgentStrategy | Arm", reflections: list[str],
                      max_reflections: "int | None | object" = _DEFAULT) -> list[str]:
    """The part of the memory the next attempt sees: the newest ``max_reflections`` (all if None).

    >>> shown_reflections(ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT, ["a", "b", "c"])
    ['c']
    >>> shown_reflections(ReinAgentStrategy.REINAGENT, ["a", "b", "c"], max_reflections=2)
    ['b', 'c']
    """
    if not strategy.reflects:
        return []
    return newest(reflections, default_max_reflections(strategy) if max_reflections is _DEFAULT else max_reflections)


def format_memory(strategy: "ReinAgentStrategy | Arm", task_input: str, last_attempt: str,
                  reflections: list[str], *, max_reflections: "int | None | object" = _DEFAULT,
                  last_attempt_tokens: int = LAST_ATTEMPT_TOKENS,
                  count_tokens: Callable[[str], int] | None = None) -> str:
    """The ``{memory}`` block of a built-in arm's next attempt (the memories of
    :mod:`agents.memory.paper` write it; this is their text for one sample, given its past).

    >>> print(format_memory(ReinAgentStrategy.REINAGENT, "Q?", "Thought: ...", ["Search the film first."]))
    <BLANKLINE>
    You have attempted this before and failed. Your notes from those attempts, to use now:
    - Search the film first.
    <BLANKLINE>
    >>> format_memory(ReinAgentStrategy.NONE, "Q?", "Thought: ...", ["ignored"])
    ''
    """
    arm = strategy.arm
    cap = arm.max_reflections if max_reflections is _DEFAULT else max_reflections
    return episode_text(task_input, last_attempt, reflections, show_last_attempt=arm.shows_last_attempt,
                        show_notes=arm.reflects, max_notes=cap, max_tokens=last_attempt_tokens,
                        count_tokens=count_tokens)
