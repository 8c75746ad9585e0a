"""A scripted model that plays ALFWorld's acting prompt: for tests, benchmarks and fault drills.

It reads the current game's task sentence and the commands already played from the prompt, and
answers with the next command of a plan it was given: a ``think:`` line first, then the plan (its
last command repeated once the plan runs out, which the actor stops as a repeat). Its reply depends
on the prompt alone, so runs are deterministic and cacheable. It plays the *winning* plan when the
prompt's memory shows at least ``solve_after`` reflections (0: always), else the *wrong* one, so a
run shows whether reflections reach the prompt. Reflection prompts get a one-line diagnosis.

>>> model = ScriptedAlfWorldModel({"put some mug on shelf": (["go to desk 1", "move mug 1 to shelf 1"],
...                                                           ["go to desk 1"])}, solve_after=1)
>>> room = "Here is your task.\\nYou are in a room.\\nYour task is to: put some mug on shelf.\\n"
>>> model.complete(room + ">").text
' think: I will follow my plan for this task.'
>>> model.complete(room + "> think: ...\\nOK.\\n>").text             # no reflection shown: the wrong plan
' go to desk 1'
>>> memory = REFLECTIONS_HEADER + "\\n- Put the mug on the shelf.\\n\\n"      # what a reinagent retry shows
>>> model.complete(memory + room + "> think: ...\\nOK.\\n> go to desk 1\\nOn the desk ...\\n>").text
' move mug 1 to shelf 1'
"""
from __future__ import annotations

import re
from typing import Any

from ...llm.base import LLM, Completion, approx_token_count
from ...strategies import REFLECTIONS_HEADER

_GOAL = re.compile(r"^Your task is to: (.*?)\.?$", re.MULTILINE)
_MOVE = re.compile(r"^move (.+?) to (.+)$")


class ScriptedAlfWorldModel(LLM):
    """``ScriptedAlfWorldModel(plans, solve_after=0, verbs="move", name=...)``.

    - ``plans``: task sentence -> ``(winning commands, wrong commands)``; :meth:`for_suite` gives
      the suite's own plans (``suite_spec.py``);
    - ``solve_after``: reflections the prompt must show before the winning plan is played (an int,
      or a dict by task sentence); 0 plays it at once;
    - ``verbs``: ``"put"`` writes ``put X in/on Y`` (ALFWorld's older verb) for ``move X to Y``.
    """

    backend = "scripted"

    def __init__(self, plans: dict[str, tuple], solve_after: int | dict[str, int] = 0, verbs: str = "move",
                 name: str = "scripted-alfworld"):
        if verbs not in ("move", "put"):
            raise ValueError(f"verbs must be 'move' or 'put', got {verbs!r}")
        self.plans = {goal: (list(win), list(wrong)) for goal, (win, wrong) in plans.items()}
        self.solve_after = solve_after
        self.verbs = verbs
        self.name = name

    @classmethod
    def for_suite(cls, **options: Any) -> "ScriptedAlfWorldModel":
        """The suite's winning and wrong plans, keyed by each game's task sentence."""
        from .env import SUITE_ROOT, read_goal
        from .suite_spec import SUITE

        return cls({read_goal(SUITE_ROOT / spec.relpath): (spec.win, spec.wrong) for spec in SUITE}, **options)

    def _needed(self, goal: str) -> int:
        return self.solve_after.get(goal, 0) if isinstance(self.solve_after, dict) else self.solve_after

    def reply_for(self, prompt: str) -> str:
        if prompt.rstrip().endswith("Reflection:"):
            return " I played the wrong plan, so the task was never done; next time I will play the right one."
        goals = list(_GOAL.finditer(prompt))
        if not goals:
            return " look"
        current = goals[-1]
        goal = current.group(1)
        memory = prompt[:current.start()].rsplit("(end of examples)", 1)[-1]
        notes = 0
        if REFLECTIONS_HEADER in memory:
            block = memory.split(REFLECTIONS_HEADER, 1)[1]
            notes = sum(1 for line in block.split("\n\n", 1)[0].splitlines() if line.startswith("- "))
        win, wrong = self.plans.get(goal, ([], []))
        plan = win if notes >= self._needed(goal) else wrong
        played = [line for line in prompt[current.end():].splitlines() if line.startswith("> ")]
        if not played:
            return " think: I will follow my plan for this task."
        if not plan:
            return " look"
        command = plan[min(len(played) - 1, len(plan) - 1)]
        move = _MOVE.match(command)
        if self.verbs == "put" and move:
            command = f"put {move.group(1)} in/on {move.group(2)}"
        return " " + command

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        text = self.reply_for(prompt)
        return Completion(text, approx_token_count(prompt), approx_token_count(text))
