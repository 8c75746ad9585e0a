"""Reading ``Kind[argument]`` actions out of free-form model replies; the vocabulary is the task's.

Models (small local ones above all) add chatter, ignore stop sequences, emit several actions at once
or nest brackets. We take the first well-formed action of the task's kinds and never raise: a reply
with none is an invalid action that the agent reports back as an observation.

>>> kinds = ("Search", "Lookup", "Finish")
>>> parse_action("Action 2: search[ The Dark Tower (series) ]  Action 3: Finish[x]", kinds)
Action(kind='Search', argument='The Dark Tower (series)')
>>> parse_action("Finish[Tybalt [character]] because ...", kinds)
Action(kind='Finish', argument='Tybalt [character]')
>>> parse_action("I think the answer is 1978.", kinds) is None
True
>>> split_thought("I should search Opry Mills.\\nAction 1: Search[Opry Mills]\\nObservation 1: ...")
('I should search Opry Mills.', 'Search[Opry Mills]\\nObservation 1: ...')
"""
from __future__ import annotations

import functools
import re
from typing import NamedTuple, Sequence

_ACTION_LABEL = re.compile(r"\bAction\s*\d*\s*:", re.IGNORECASE)


class Action(NamedTuple):
    kind: str       # one of the task's action kinds, spelled as the task spells it
    argument: str

    def __str__(self) -> str:
        return f"{self.kind}[{self.argument}]"


def _closing_bracket(text: str, start: int) -> int:
    """Index of the ``]`` that balances the ``[`` just before ``start``; -1 if unbalanced."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "[":
            depth += 1
        elif text[i] == "]":
            depth -= 1
            if depth == 0:
                return i
    return -1


@functools.lru_cache(maxsize=32)
def _action_start(kinds: tuple[str, ...]) -> tuple[re.Pattern, dict[str, str]]:
    spelled = {kind.lower(): kind for kind in kinds}
    names = "|".join(re.escape(kind) for kind in spelled)
    return re.compile(rf"\b({names})\s*\[", re.IGNORECASE), spelled


def parse_action(text: str, kinds: Sequence[str]) -> Action | None:
    """The first ``Kind[argument]`` in ``text`` with a kind in ``kinds`` (case-insensitive), or None.

    An unbalanced bracket takes the rest of the line (``Search[Blue Grass Airport`` still searches).

    >>> parse_action("FINISH [ yes ]", ["Finish"])
    Action(kind='Finish', argument='yes')
    >>> parse_action("Lookup[]", ["Lookup"]) is None
    True
    """
    pattern, spelled = _action_start(tuple(kinds))
    for match in pattern.finditer(text or ""):
        kind = spelled[match.group(1).lower()]
        end = _closing_bracket(text, match.end())
        if end == -1:
            line_end = text.find("\n", match.end())
            argument = text[match.end(): line_end if line_end != -1 else len(text)]
        else:
            argument = text[match.end(): end]
        argument = " ".join(argument.split())
        if argument:
            return Action(kind, argument)
    return None


def split_thought(reply: str) -> tuple[str, str]:
    """Split a reply into (thought, rest-after-the-Action-label); rest is "" with no label.

    >>> split_thought("  Let's think.  ")
    ("Let's think.", '')
    """
    reply = reply or ""
    label = _ACTION_LABEL.search(reply)
    if label is None:
        return " ".join(reply.split()), ""
    return " ".join(reply[: label.start()].split()), reply[label.end():].strip()


def one_line(text: str, limit: int = 2000, marker: str = "") -> str:
    """Collapse whitespace so a reply fits on its trajectory line, and cap its length; ``marker``
    is appended when something was cut, so a reader knows.

    >>> one_line("a\\n  b", limit=3)
    'a b'
    >>> one_line("abcdef", limit=3, marker=" [cut]")
    'abc [cut]'
    """
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit] + marker
