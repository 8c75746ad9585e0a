"""Chain-of-Thought: one Thought, then ``Finish[answer]``; with or without a context to read.

With ``context`` (HotPotQA: the question's gold paragraphs) the agent answers by reading; without
it, from what the model knows. The paper runs both to separate reasoning from retrieval. The default
prompts are HotPotQA's (its task package); another task passes its own.

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
>>> agent.attempts[1].reflection         # written before trial 2, after trial 1 failed
'I named the wrong author.'

"""
from __future__ import annotations

from typing import Any

from ..reflexion import Agent
from .parsing import one_line, parse_action, split_thought

FINISH = ("Finish",)

COT_STOP = ["\nObservation", "\nQuestion:", "\nContext:", "(end of examples)"]


class CoTAgent(Agent):
    """``CoTAgent(question, context=None, *, llm, evaluator, strategy=..., ...)``.

    ``context`` given → the "CoT with supporting context" agent (``kind == "cot_context"``);
    ``None`` → "CoT without context" (``kind == "cot_no_context"``). Other keywords: see
    :class:`agents.reflexion.Agent`.
    """

    def __init__(self, question: str, context: str | None = None, **options: Any):
        self.context = context
        with_context = context is not None
        self.kind = "cot_context" if with_context else "cot_no_context"
        from ..tasks.hotpotqa.prompts import default_prompts

        for name, text in default_prompts(self.kind).items():
            options.setdefault(name, text)
        super().__init__(question, **options)

    def _prompt(self) -> str:
        return self.template.format(examples=self.examples, memory=self.memory, question=self.question,
                                    context=self.context or "", scratchpad=self.scratchpad)

    def _reflect_prompt(self, trajectory: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, question=self.question,
                                            context=self.context or "", scratchpad=trajectory)

    def _attempt(self) -> None:
        self.steps = 1
        self.scratchpad = "Thought:"
        reply = self._call(self._prompt(), stop=COT_STOP).text
        thought, rest = split_thought(reply)
        action = parse_action(rest, FINISH) or parse_action(thought, FINISH)
        self.scratchpad += f" {one_line(thought)}"
        if action is None and not rest:
            # The model stopped after its thought: ask for the action on its own line.
            self.scratchpad += "\nAction:"
            rest = self._call(self._prompt(), stop=COT_STOP + ["\n"]).text
            action = parse_action(rest, FINISH)
        else:
            self.scratchpad += "\nAction:"
        if action is None or action.kind != "Finish":
            self.invalid_actions += 1
            self.scratchpad += f" {one_line(rest, 200)}\nObservation: Invalid action: give the answer as Finish[answer]."
            return
        self.scratchpad += f" {action}\nObservation: {self._finish(action.argument)}"
