"""Chain-of-Thought: one Thought, then ``Finish[answer]``; with or without a context to read.

With ``context`` (HotPotQA: the question's gold paragraphs) the agent answers by reading; without
it, from what the model knows. The paper runs both to separate reasoning from retrieval. The actor
knows no task: a task hands it its prompts and its agent name (HotPotQA's
:class:`agents.tasks.hotpotqa.actors.CoTAgent` is this actor with HotPotQA's prompts).

>>> from agents.llm import CallableLLM
>>> prompts = dict(template="{examples}{memory}Question: {question}\\n{scratchpad}", examples="",
...                reflect_template="{examples}Question: {question}\\n{scratchpad}\\nReflection:",
...                reflect_examples="")
>>> replies = iter([" Poe wrote it.\\nAction: Finish[Poe]",
...                 "I named the wrong author.",
...                 " The note says Twain.\\nAction: Finish[Mark Twain]"])
>>> agent = CoTActor("Who wrote Tom Sawyer?", kind="cot", llm=CallableLLM(lambda p: next(replies)),
...                  evaluator=lambda a: a == "Mark Twain", strategy="reinagent", **prompts)
>>> [(a.trial, a.answer, a.correct) for a in (agent.run(), agent.run())]
[(1, 'Poe', False), (2, 'Mark Twain', True)]
>>> agent.reflections, agent.kind
(['I named the wrong author.'], 'cot')
>>> agent.attempts[1].reflection         # written before trial 2, after trial 1 failed
'I named the wrong author.'

"""
from __future__ import annotations

from typing import Any

from ..reflexion import Agent
from .parsing import one_line, parse_action, split_thought

FINISH = ("Finish",)

COT_STOP = ["\nObservation", "\nQuestion:", "\nContext:", "(end of examples)"]


PROMPTS = ("template", "examples", "reflect_template", "reflect_examples")


class CoTActor(Agent):
    """``CoTActor(question, context=None, *, kind, llm, evaluator | feedback, template, examples,
    reflect_template, reflect_examples, ...)``.

    ``kind`` is the agent name the records carry (the task's: ``"cot_context"``, ``"cot"``); the
    four prompts are required, since an actor that fell back on one task's few-shots would run
    another task on them unnoticed. Other keywords: see :class:`agents.reflexion.Agent`.
    """

    kind = "cot"

    def __init__(self, question: str, context: str | None = None, *, kind: str | None = None,
                 **options: Any):
        missing = [name for name in PROMPTS if options.get(name) is None]
        if missing:
            raise TypeError(f"{type(self).__name__} needs its prompts: {', '.join(missing)} "
                            "(a task's prompts(agent) gives them; HotPotQA's CoTAgent has its own)")
        self.context = context
        if kind is not None:
            self.kind = kind
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
