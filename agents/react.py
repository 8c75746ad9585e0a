"""ReAct agents: ``Thought k / Action k / Observation k`` over a docstore (Yao et al., 2023).

>>> from agents.llm import CallableLLM
>>> from agents.docstore import OfflineDocstore
>>> store = OfflineDocstore({"Opry Mills": ["Opry Mills is a super-regional shopping mall in Nashville."]})
>>> script = iter([" I should look the mall up.\\nAction 1: Search[opry mills]",
...                " It is a mall.\\nAction 2: Finish[super-regional shopping mall]"])
>>> agent = ReactAgent("What is Opry Mills?", docstore=store, llm=CallableLLM(lambda p: next(script)),
...                    evaluator=lambda a: a == "super-regional shopping mall")
>>> attempt = agent.run()
>>> print(attempt.scratchpad)
Thought 1: I should look the mall up.
Action 1: Search[opry mills]
Observation 1: Opry Mills is a super-regional shopping mall in Nashville.
Thought 2: It is a mall.
Action 2: Finish[super-regional shopping mall]
Observation 2: Answer is CORRECT
"""
from __future__ import annotations

import copy
from typing import Any

from . import fewshots, prompts
from .base import Agent
from .parsing import Action, one_line, parse_action, split_thought
from .strategies import ReinAgentStrategy

INVALID_ACTION = "Invalid action: use Search[entity], Lookup[keyword] or Finish[answer]."


class ReactAgent(Agent):
    """``ReactAgent(question, *, docstore, llm, evaluator, max_steps=6, context_budget=None, ...)``.

    Halts (``halted=True``) after ``max_steps`` steps without Finish, or when the prompt would no
    longer fit the model: more than ``context_budget`` tokens counted by the active model's own
    tokenizer (default: its context window less the reply's ``max_tokens``).
    """

    kind = "react"

    def __init__(self, question: str, *, docstore: Any, max_steps: int = 6,
                 context_budget: int | None = None, **options: Any):
        if docstore is None:
            raise TypeError("ReactAgent needs a docstore (agents.docstore.make_docstore('offline', records))")
        options.setdefault("template", prompts.REACT_TEMPLATE)
        options.setdefault("examples", fewshots.REACT_EXAMPLES)
        options.setdefault("reflect_template", prompts.REACT_REFLECT_TEMPLATE)
        options.setdefault("reflect_examples", fewshots.REACT_REFLECT_EXAMPLES)
        super().__init__(question, **options)
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.docstore = docstore
        self.max_steps = max_steps
        self.context_budget = context_budget or (self.llm.context_window - self.max_tokens)

    def _prompt(self) -> str:
        return self.template.format(examples=self.examples, memory=self.memory,
                                    question=self.question, scratchpad=self.scratchpad.lstrip("\n"))

    def _reflect_prompt(self, scratchpad: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, question=self.question,
                                            scratchpad=scratchpad)

    def _attempt(self) -> None:
        # Lookup remembers the page opened last: each attempt gets its own copy of that state, so
        # agents sharing one docstore (concurrent questions) never read each other's pages.
        self._pages = copy.copy(self.docstore)
        while not self.finished:
            if self.steps >= self.max_steps or self.llm.count_tokens(self._prompt()) > self.context_budget:
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
        action = parse_action(rest) or (None if rest else parse_action(thought))
        if action is None and not rest:
            # The reply held a thought only: ask for the action on its own line.
            rest = self._call(self._prompt(), stop=stop + ["\n"]).text
            action = parse_action(rest)
        if action is None:
            self.invalid_actions += 1
            self.scratchpad += f" {one_line(rest, 200)}\nObservation {k}: {INVALID_ACTION}"
            return
        self.scratchpad += f" {action}\nObservation {k}: {one_line(self._observe(action))}"

    def _observe(self, action: Action) -> str:
        if action.kind == "Finish":
            return self._finish(action.argument)
        try:
            if action.kind == "Search":
                return self._pages.search(action.argument)
            return self._pages.lookup(action.argument)
        except Exception as error:  # a docstore failure is something the agent can react to
            return f"{action} failed: {type(error).__name__}: {error}"


class ReactReflectAgent(ReactAgent):
    """A :class:`ReactAgent` whose strategy defaults to ``REINAGENT`` (the original code's name)."""

    def __init__(self, question: str, **options: Any):
        options.setdefault("strategy", ReinAgentStrategy.REINAGENT)
        super().__init__(question, **options)
