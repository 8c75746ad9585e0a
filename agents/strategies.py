"""What an agent carries from one trial to the next.

Reflexion (Shinn et al., 2023, "Reflexion: Language Agents with Verbal Reinforcement Learning",
arXiv:2303.11366) compares four ways of building the context of trial k+1 after trial k failed:

>>> ReinAgentStrategy("reinagent") is ReinAgentStrategy.REINAGENT
True
>>> ReinAgentStrategy.REFLEXION is ReinAgentStrategy.REINAGENT      # the original code's spelling
True
>>> ReinAgentStrategy.parse("last_attempt").value                   # the command line's spelling
'last_trial'
"""
from __future__ import annotations

import enum

from typing import Callable


class ReinAgentStrategy(enum.Enum):
    """How the next attempt is informed by the failed ones before it.

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

    Values are the names used in result folders. ``REFLEXION`` / ``LAST_ATTEMPT_AND_REFLEXION``
    (the original code's names) and ``reinAgent`` / ``LAST_ATTEMPT_AND_reinAgent`` (the seed's
    spellings) are aliases of the same members.
    """

    NONE = "base"
    LAST_ATTEMPT = "last_trial"
    REINAGENT = "reinagent"
    LAST_ATTEMPT_AND_REINAGENT = "last_trial_and_reinagent"

    # Aliases: Enum members with an equal value are the same object.
    REFLEXION = "reinagent"
    LAST_ATTEMPT_AND_REFLEXION = "last_trial_and_reinagent"
    reinAgent = "reinagent"
    LAST_ATTEMPT_AND_reinAgent = "last_trial_and_reinagent"

    @property
    def shows_last_attempt(self) -> bool:
        """Does the next attempt see the previous scratchpad?"""
        return self in (ReinAgentStrategy.LAST_ATTEMPT, ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT)

    @property
    def reflects(self) -> bool:
        """Does a failed attempt produce a self-reflection for the memory?"""
        return self in (ReinAgentStrategy.REINAGENT, ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT)

    @classmethod
    def parse(cls, text: "str | ReinAgentStrategy") -> "ReinAgentStrategy":
        """Accept a member, its value, or its name in any case (``"reinagent"``, ``"LAST_ATTEMPT"``).

        >>> ReinAgentStrategy.parse("Last_Attempt_And_Reflexion").name
        'LAST_ATTEMPT_AND_REINAGENT'
        """
        if isinstance(text, cls):
            return text
        key = str(text).strip()
        for member_name, member in cls.__members__.items():
            if key.lower() in (member_name.lower(), member.value):
                return member
        choices = ", ".join(m.name.lower() for m in cls)
        raise ValueError(f"unknown strategy {text!r}; choose one of: {choices}")


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
    return 1 if strategy is ReinAgentStrategy.LAST_ATTEMPT_AND_REINAGENT else None


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
