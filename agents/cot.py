"""Chain-of-Thought agents: one Thought, then ``Finish[answer]``; with or without supporting context.

With ``context`` (the question's gold paragraphs) the agent answers by reading; without it, from what
the model knows. The paper runs both to separate reasoning from retrieval.

>>> from agents.llm import CallableLLM
>>> replies = iter([" Poe wrote it.\\nAction: Finish[Poe]",
...                 "I named the wrong author.",
...                 " The note says Twain.\\nAction: Finish[Mark Twain]"])
>>> agent = CoTAgent("Who wrote Tom Sawyer?", llm=CallableLLM(lambda p: next(replies)),
...                  evaluator=lambda a: a == "Mark Twain", strategy="reinagent")
>>> [(a.trial, a.answer, a.correct) for a in (agent.run(), agent.run())]
[(1, 'Poe', False), (2, 'Mark Twain', True)]
>>> agent.reflections
['I named the wrong author.']
"""
from __future__ import annotations

from typing import Any

from . import fewshots, prompts
from .base import Agent
from .parsing import one_line, parse_action, split_thought

COT_STOP = ["\nObservation", "\nQuestion:", "\nContext:", "(end of examples)"]


class CoTAgent(Agent):
    """``CoTAgent(question, context=None, *, llm, evaluator, strategy=..., ...)``.

    ``context`` given → the "CoT with supporting context" agent (``kind == "cot_context"``);
    ``None`` → "CoT without context" (``kind == "cot_no_context"``). Other keywords: see
    :class:`agents.base.Agent`.
    """

    def __init__(self, question: str, context: str | None = None, **options: Any):
        self.context = context
        with_context = context is not None
        self.kind = "cot_context" if with_context else "cot_no_context"
        options.setdefault("template", prompts.COT_CONTEXT_TEMPLATE if with_context else prompts.COT_TEMPLATE)
        options.setdefault("examples", fewshots.COT_CONTEXT_EXAMPLES if with_context else fewshots.COT_EXAMPLES)
        options.setdefault("reflect_template", prompts.COT_CONTEXT_REFLECT_TEMPLATE if with_context
                           else prompts.COT_REFLECT_TEMPLATE)
        options.setdefault("reflect_examples", fewshots.COT_CONTEXT_REFLECT_EXAMPLES if with_context
                           else fewshots.COT_REFLECT_EXAMPLES)
        super().__init__(question, **options)

    def _prompt(self) -> str:
        return self.template.format(examples=self.examples, memory=self.memory, question=self.question,
                                    context=self.context or "", scratchpad=self.scratchpad)

    def _reflect_prompt(self, scratchpad: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, question=self.question,
                                            context=self.context or "", scratchpad=scratchpad)

    def _attempt(self) -> None:
        self.steps = 1
        self.scratchpad = "Thought:"
        reply = self._call(self._prompt(), stop=COT_STOP).text
        thought, rest = split_thought(reply)
        action = parse_action(rest) or parse_action(thought)
        self.scratchpad += f" {one_line(thought)}"
        if action is None and not rest:
            # The model stopped after its thought: ask for the action on its own line.
            self.scratchpad += "\nAction:"
            rest = self._call(self._prompt(), stop=COT_STOP + ["\n"]).text
            action = parse_action(rest)
        else:
            self.scratchpad += "\nAction:"
        if action is None or action.kind != "Finish":
            self.invalid_actions += 1
            self.scratchpad += f" {one_line(rest, 200)}\nObservation: Invalid action: give the answer as Finish[answer]."
            return
        self.scratchpad += f" {action}\nObservation: {self._finish(action.argument)}"
