"""ReAct (Yao et al., 2023): numbered Thought / Action / Observation lines until ``Finish[answer]``.

The loop is task-agnostic: a task names its action kinds and gives a tool per kind (HotPotQA:
``Search`` and ``Lookup`` over a docstore, see :mod:`agents.tasks.hotpotqa.agents`). ``Finish`` ends
the attempt and asks for feedback.

>>> from agents.llm import CallableLLM
>>> replies = iter([" I should count.\\nAction 1: Add[2, 2]", " It is 4.\\nAction 2: Finish[4]"])
>>> class Adder(ReactActor):
...     actions = ("Add", "Finish")
...     def _tools(self):
...         return {"Add": lambda arg: str(sum(int(x) for x in arg.split(",")))}
>>> agent = Adder("What is 2+2?", llm=CallableLLM(lambda p: next(replies)), evaluator=lambda a: a == "4",
...               template="{examples}{memory}Question: {question}\\n{scratchpad}", examples="")
>>> print(agent.run().trajectory)
Thought 1: I should count.
Action 1: Add[2, 2]
Observation 1: 4
Thought 2: It is 4.
Action 2: Finish[4]
Observation 2: Answer is CORRECT
"""
from __future__ import annotations

from typing import Any, Callable

from ..reflexion import Agent
from .parsing import Action, one_line, parse_action, split_thought

# The original halted ReAct once its prompt passed ~3,900 tokens (text-davinci-003's window less
# the reply), which shaped its curves; the kit keeps that limit unless told otherwise.
ORIGINAL_PROMPT_LIMIT = 3896
OBSERVATION_LIMIT = 2000
OBSERVATION_CUT = f" [observation cut at {OBSERVATION_LIMIT} characters]"


class ReactActor(Agent):
    """``ReactActor(task_input, *, llm, feedback, max_steps=6, max_prompt_tokens=3896, ...)``.

    Halts (``halted=True``) after ``max_steps`` steps without Finish, or when the prompt would pass
    ``max_prompt_tokens`` (counted by the active model's own tokenizer; never more than its
    context window less the reply). The first step always runs: an attempt never halts before it
    has acted, whatever its memory holds.
    """

    kind = "react"
    actions: tuple[str, ...] = ("Finish",)

    def __init__(self, task_input: str, *, max_steps: int = 6,
                 max_prompt_tokens: int | None = ORIGINAL_PROMPT_LIMIT, **options: Any):
        super().__init__(task_input, **options)
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.max_steps = max_steps
        window = self.llm.context_window - self.max_tokens
        self.max_prompt_tokens = min(max_prompt_tokens or window, window)

    @property
    def invalid_action_message(self) -> str:
        forms = ", ".join(f"{kind}[...]" for kind in self.actions)
        return f"Invalid action: use one of {forms}."

    def _tools(self) -> dict[str, Callable[[str], str]]:
        """The tools of this attempt by action kind (``Finish`` is the base's)."""
        return {}

    def _prompt(self) -> str:
        return self.template.format(examples=self.examples, memory=self.memory,
                                    question=self.input, scratchpad=self.scratchpad.lstrip("\n"))

    def _reflect_prompt(self, trajectory: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, question=self.input,
                                            scratchpad=trajectory)

    def _attempt(self) -> None:
        self._active_tools = self._tools()
        while not self.finished:
            over_budget = self.steps > 0 and self.llm.count_tokens(self._prompt()) > self.max_prompt_tokens
            if self.steps >= self.max_steps or over_budget:
                self.halted = True
                return
            self._step()

    def _step(self) -> None:
        self.steps += 1
        k = self.steps
        stop = [f"\nObservation {k}", "\nObservation:", "\nQuestion:", "(end of examples)"]
        self.scratchpad += f"\nThought {k}:"
        thought, rest = split_thought(self._call(self._prompt(), stop=stop).text)
        self.scratchpad += f" {one_line(thought)}\nAction {k}:"
        action = parse_action(rest, self.actions) or (None if rest else parse_action(thought, self.actions))
        if action is None and not rest:
            # The reply held a thought only: ask for the action on its own line.
            rest = self._call(self._prompt(), stop=stop + ["\n"]).text
            action = parse_action(rest, self.actions)
        if action is None:
            self.invalid_actions += 1
            self.scratchpad += f" {one_line(rest, 200)}\nObservation {k}: {self.invalid_action_message}"
            return
        observation = one_line(self._observe(action), OBSERVATION_LIMIT, OBSERVATION_CUT)
        self.scratchpad += f" {action}\nObservation {k}: {observation}"

    def _observe(self, action: Action) -> str:
        if action.kind == "Finish":
            return self._finish(action.argument)
        try:
            return self._active_tools[action.kind](action.argument)
        except Exception as error:  # a tool failure is something the agent can react to
            return f"{action} failed: {type(error).__name__}: {error}"
