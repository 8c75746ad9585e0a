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

from .prompts import LAST_ATTEMPT_HEADER, REFLECTIONS_HEADER


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
        Both: the last attempt's trace and the accumulated reflections.

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


def format_memory(strategy: ReinAgentStrategy, question: str, last_attempt: str,
                  reflections: list[str]) -> str:
    """The ``{memory}`` block of the next attempt's prompt under ``strategy``.

    >>> print(format_memory(ReinAgentStrategy.REINAGENT, "Q?", "Thought: ...", ["Search the film first."]))
    <BLANKLINE>
    You have tried this question before and failed. Your notes from those attempts, to use now:
    - Search the film first.
    <BLANKLINE>
    >>> format_memory(ReinAgentStrategy.NONE, "Q?", "Thought: ...", ["ignored"])
    ''
    """
    parts = []
    if strategy.shows_last_attempt and last_attempt:
        parts.append(f"{LAST_ATTEMPT_HEADER}\nQuestion: {question}\n{last_attempt.strip()}")
    if strategy.reflects and reflections:
        notes = "\n".join(f"- {note}" for note in reflections)
        parts.append(f"{REFLECTIONS_HEADER}\n{notes}")
    return "\n" + "\n\n".join(parts) + "\n" if parts else ""
