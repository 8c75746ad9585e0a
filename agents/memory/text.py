"""How a memory is written into a prompt: the headers, the trimmed last attempt, the notes.

Pure functions of text, shared by every memory that shows a sample its own past (and by the
compatibility helpers of :mod:`agents.strategies`), so the wording lives in one place.

>>> print(episode_text("Question: Q?", "Thought: ...", ["Search the film first."],
...                    show_last_attempt=True, max_notes=None))
<BLANKLINE>
You have attempted this before and failed. Your last attempt was:
Question: Q?
Thought: ...
(END OF PREVIOUS ATTEMPT)
<BLANKLINE>
You have attempted this before and failed. Your notes from those attempts, to use now:
- Search the film first.
<BLANKLINE>
>>> episode_text("Question: Q?", "", [], show_last_attempt=True, max_notes=None)
''
"""
from __future__ import annotations

from typing import Callable, Sequence

# How the carried-over memory is introduced (task-agnostic wording: a question, a game, a function).
LAST_ATTEMPT_HEADER = "You have attempted this before and failed. Your last attempt was:"
LAST_ATTEMPT_END = "(END OF PREVIOUS ATTEMPT)"
REFLECTIONS_HEADER = ("You have attempted this before and failed. "
                      "Your notes from those attempts, to use now:")

# The original kept about 1,600 tokens of the previous trace; longer traces crowd out the attempt.
LAST_ATTEMPT_TOKENS = 1600
TRACE_CUT = "[... the rest of this trace was cut]"


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
    if count_tokens("\n".join(lines)) > max_tokens:
        while len(lines) > 1 and count_tokens("\n".join(lines + [TRACE_CUT])) > max_tokens:
            lines.pop()
        lines.append(TRACE_CUT)
    return "\n".join(lines)


def newest(notes: Sequence[str], limit: int | None) -> list[str]:
    """The newest ``limit`` non-empty notes, oldest first (all of them when ``limit`` is None).

    >>> newest(["a", "", "b", "c"], 2), newest(["a", "b"], None)
    (['b', 'c'], ['a', 'b'])
    """
    kept = [note for note in notes if note]
    return kept[-limit:] if limit else kept


def last_attempt_block(heading: str, trace: str, max_tokens: int = LAST_ATTEMPT_TOKENS,
                       count_tokens: Callable[[str], int] | None = None) -> str:
    """The previous attempt, trimmed and framed as failed; "" when there is none."""
    from ..llm.base import approx_token_count

    if not trace.strip():
        return ""
    trimmed = trim_trace(trace.strip(), max_tokens, count_tokens or approx_token_count)
    return f"{LAST_ATTEMPT_HEADER}\n{heading}\n{trimmed}\n{LAST_ATTEMPT_END}"


def notes_block(notes: Sequence[str]) -> str:
    """Notes (reflections) as a bulleted block under their header; "" when there are none."""
    return REFLECTIONS_HEADER + "\n" + "\n".join(f"- {note}" for note in notes) if notes else ""


def framed(blocks: Sequence[str]) -> str:
    """The ``{memory}`` slot of a template: the non-empty blocks, a blank line apart, set off by
    newlines; "" when nothing is shown (the template then reads as if it had no slot)."""
    shown = [block for block in blocks if block]
    return "\n" + "\n\n".join(shown) + "\n" if shown else ""


def episode_text(heading: str, last_attempt: str, notes: Sequence[str], *, show_last_attempt: bool,
                 max_notes: int | None, show_notes: bool = True, max_tokens: int = LAST_ATTEMPT_TOKENS,
                 count_tokens: Callable[[str], int] | None = None) -> str:
    """What one sample's own past shows its next attempt: its last attempt (when shown) and the
    newest ``max_notes`` notes (when shown)."""
    attempt = last_attempt_block(heading, last_attempt, max_tokens, count_tokens) if show_last_attempt else ""
    return framed([attempt, notes_block(newest(notes, max_notes) if show_notes else [])])
