"""ALFWorld's prompts, written for this project: plain ``str.format`` templates, so a notebook cell can
print one, edit it and pass it back (``run_trials(..., task="alfworld", template=MY_TEMPLATE)``).
:func:`default_prompts` is the one place that says which prompts the agent uses.

The acting prompt is completion-style (it ends where the model writes its next command), which suits
base models such as the embedded Gemma 3 270M as well as chat models. Fields:

- ``{examples}``: two solved games of the game's own task type (:func:`examples_for` picks them);
- ``{memory}``: what the strategy carries over (reflections and/or the last attempt), or "";
- ``{scratchpad}``: this attempt: the room and the task as the game states them, then ``> command``
  lines, each followed by the game's reply, and a last ``>`` where the model continues.

>>> prompt = ACT_TEMPLATE.format(examples="<two games>", memory="", scratchpad="You are in a room.\\n>")
>>> print(prompt[prompt.index("(end of examples)"):])
(end of examples)
<BLANKLINE>
Here is your task.
You are in a room.
>

The few-shots of all six task types travel as *one* string (so a run's manifest records and hashes
them, and one edit changes one type's), one ``### <task type>`` section per type:

>>> shots = default_prompts()["examples"]
>>> shots.count("### "), examples_for(shots, "pick_and_place_simple").startswith("You are in the middle")
(6, True)
"""
from __future__ import annotations

import re

from .env import TASK_TYPES

ACT_TEMPLATE = """Interact with a household to solve a task. After each ">" write one command; the game replies on the next line. Commands: go to X, open X, close X, take X from Y, move X to Y, clean X with Y, heat X with Y, cool X with Y, use X, examine X, look, inventory. A command that starts with "think:" is a note to yourself: it is answered "OK." and changes nothing.
Here are two examples.

{examples}
(end of examples)
{memory}
Here is your task.
{scratchpad}"""

# Shown a failed attempt, the model writes what went wrong and a plan that names objects and places
# (a vague "be more careful" helps no later trial).
REFLECT_TEMPLATE = """You will see an earlier attempt at a household task that failed: the game never counted the task as done, or the attempt was stopped (too many commands, or the same command repeated). In two or three sentences, say what went wrong and give a plan for the next attempt that names the objects and places to use.
Here are two examples.

{examples}
(end of examples)

Previous trial:
{scratchpad}
{past}
Reflection:"""

PROMPT_OPTIONS = ("template", "examples", "reflect_template", "reflect_examples")
_SECTION = re.compile(r"^### (\S+)\s*$", re.MULTILINE)


def format_examples(fewshots: dict[str, list[str]]) -> str:
    """The few-shots of every task type as one string: a ``### <task type>`` line, then that type's
    games separated by a blank line.

    >>> print(format_examples({"pick_and_place_simple": ["game A", "game B"]}))
    ### pick_and_place_simple
    game A
    <BLANKLINE>
    game B
    """
    return "\n\n".join(f"### {kind}\n" + "\n\n".join(games) for kind, games in fewshots.items())


def examples_for(examples: str, task_type: str) -> str:
    """The examples one game is shown: its task type's section of ``examples``, or all of
    ``examples`` when it has no ``### <task type>`` sections (one set for every game).

    >>> examples_for("### look_at_obj_in_light\\nA\\n\\n### pick_two_obj_and_place\\nB", "pick_two_obj_and_place")
    'B'
    >>> examples_for("the same two games for all", "look_at_obj_in_light")
    'the same two games for all'
    """
    marks = list(_SECTION.finditer(examples))
    if not marks:
        return examples.strip("\n")
    for i, mark in enumerate(marks):
        if mark.group(1) == task_type:
            end = marks[i + 1].start() if i + 1 < len(marks) else len(examples)
            return examples[mark.end():end].strip("\n")
    have = ", ".join(m.group(1) for m in marks)
    raise ValueError(f"the examples have no '### {task_type}' section (they have: {have}); add one, "
                     f"or pass examples without '### ' sections to show the same ones in every game")


def format_reflections(reflections: list[tuple[str, str]]) -> str:
    """The reflection few-shots: ``Previous trial:``, a failed attempt, then ``Reflection: ...``.

    >>> print(format_reflections([("> look\\nNothing happens.", "Look less.")]))
    Previous trial:
    > look
    Nothing happens.
    <BLANKLINE>
    Reflection: Look less.
    """
    return "\n\n".join(f"Previous trial:\n{trajectory}\n\nReflection: {note}" for trajectory, note in reflections)


def format_past(reflections: list[str]) -> str:
    """The game's earlier reflections as the reflection prompt's ``{past}`` block (the original
    showed the last 3 plans of that game), or "" before there are any.

    >>> print(format_past(["Take the mug first.", "Look in cabinet 2."]))
    <BLANKLINE>
    Plans written after earlier failed attempts at this game:
    - Take the mug first.
    - Look in cabinet 2.
    <BLANKLINE>
    >>> format_past([])
    ''
    """
    if not reflections:
        return ""
    return "\nPlans written after earlier failed attempts at this game:\n" + "".join(f"- {r}\n" for r in reflections)


def default_prompts(agent: str = "react") -> dict[str, str]:
    """ALFWorld's prompts by option name (one agent type, ``react``).

    >>> sorted(default_prompts()) == sorted(PROMPT_OPTIONS)
    True
    """
    from .fewshots import FEWSHOTS, REFLECTIONS

    if agent != "react":
        raise ValueError(f"unknown ALFWorld agent {agent!r}; choose: react")
    return {"template": ACT_TEMPLATE,
            "examples": format_examples({kind: FEWSHOTS[kind] for kind in TASK_TYPES}),
            "reflect_template": REFLECT_TEMPLATE,
            "reflect_examples": format_reflections(REFLECTIONS)}
