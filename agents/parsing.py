"""Reading actions out of free-form model replies.

Models (small local ones above all) add chatter, ignore stop sequences, emit several actions at once
or nest brackets. We take the first well-formed action and never raise: a reply with none is an
invalid action that the agent reports back as an observation.

>>> parse_action("Action 2: search[ The Dark Tower (series) ]  Action 3: Finish[x]")
Action(kind='Search', argument='The Dark Tower (series)')
>>> parse_action("Finish[Tybalt [character]] because ...")
Action(kind='Finish', argument='Tybalt [character]')
>>> parse_action("I think the answer is 1978.") is None
True
>>> split_thought("I should search Opry Mills.\\nAction 1: Search[Opry Mills]\\nObservation 1: ...")
('I should search Opry Mills.', 'Search[Opry Mills]\\nObservation 1: ...')
"""
from __future__ import annotations

import re
from typing import NamedTuple

ACTION_KINDS = ("Search", "Lookup", "Finish")
_ACTION_START = re.compile(r"\b(search|lookup|finish)\s*\[", re.IGNORECASE)
_ACTION_LABEL = re.compile(r"\bAction\s*\d*\s*:", re.IGNORECASE)


class Action(NamedTuple):
    kind: str       # one of ACTION_KINDS
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


def parse_action(text: str) -> Action | None:
    """The first ``Kind[argument]`` in ``text`` (case-insensitive), or None.

    An unbalanced bracket takes the rest of the line (``Search[Blue Grass Airport`` still searches).

    >>> parse_action("FINISH [ yes ]")
    Action(kind='Finish', argument='yes')
    >>> parse_action("Lookup[]") is None
    True
    """
    for match in _ACTION_START.finditer(text or ""):
        kind = match.group(1).capitalize()
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


def one_line(text: str, limit: int = 2000) -> str:
    """Collapse whitespace so a reply fits on its scratchpad line, and cap its length.

    >>> one_line("a\\n  b", limit=3)
    'a b'
    """
    return " ".join((text or "").split())[:limit]
