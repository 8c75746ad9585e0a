"""HotPotQA's ReAct agent: the ReAct loop with ``Search[entity]`` and ``Lookup[keyword]`` over a docstore.

>>> from agents.llm import CallableLLM
>>> from agents.tasks.hotpotqa.docstore import OfflineDocstore
>>> store = OfflineDocstore({"Opry Mills": ["Opry Mills is a super-regional shopping mall in Nashville."]})
>>> replies = iter([" I should look the mall up.\\nAction 1: Search[opry mills]",
...                 " It is a mall.\\nAction 2: Finish[super-regional shopping mall]"])
>>> agent = ReactAgent("What kind of place is Opry Mills?", docstore=store,
...                    llm=CallableLLM(lambda p: next(replies)),
...                    evaluator=lambda a: a == "super-regional shopping mall")
>>> attempt = agent.run()
>>> print(attempt.trajectory)
Thought 1: I should look the mall up.
Action 1: Search[opry mills]
Observation 1: Opry Mills is a super-regional shopping mall in Nashville.
Thought 2: It is a mall.
Action 2: Finish[super-regional shopping mall]
Observation 2: Answer is CORRECT
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from ...actors.parsing import Action
from ...actors.parsing import parse_action as parse_kinds
from ...actors.cot import CoTActor
from ...actors.react import ReactActor
from ...strategies import ReinAgentStrategy
from .prompts import default_prompts

ACTIONS = ("Search", "Lookup", "Finish")


def parse_action(text: str) -> Action | None:
    """The first HotPotQA action in a reply.

    >>> parse_action("Action 2: search[ The Dark Tower ]")
    Action(kind='Search', argument='The Dark Tower')
    """
    return parse_kinds(text, ACTIONS)


class ReactAgent(ReactActor):
    """``ReactAgent(question, *, docstore, llm, evaluator | feedback, max_steps=6, ...)``: see
    :class:`agents.actors.react.ReactActor` for the step and prompt-length limits."""

    kind = "react"
    actions = ACTIONS

    def __init__(self, question: str, *, docstore: Any, **options: Any):
        if docstore is None:
            raise TypeError("ReactAgent needs a docstore (agents.make_docstore('offline', records))")
        if "context_budget" in options:  # the earlier name of the prompt-length limit
            options["max_prompt_tokens"] = options.pop("context_budget")
        for name, text in default_prompts("react").items():
            options.setdefault(name, text)
        super().__init__(question, **options)
        self.docstore = docstore

    @property
    def invalid_action_message(self) -> str:
        return "Invalid action: use Search[entity], Lookup[keyword] or Finish[answer]."

    def _tools(self) -> dict[str, Callable[[str], str]]:
        # Lookup remembers the page opened last: each attempt gets its own copy of that state, so
        # agents sharing one docstore (concurrent questions) never read each other's pages.
        pages = copy.copy(self.docstore)
        return {"Search": pages.search, "Lookup": pages.lookup}


class ReactReflectAgent(ReactAgent):
    """A :class:`ReactAgent` whose strategy defaults to ``REINAGENT`` (the original code's name)."""

    def __init__(self, question: str, **options: Any):
        options.setdefault("strategy", ReinAgentStrategy.REINAGENT)
        super().__init__(question, **options)


class CoTAgent(CoTActor):
    """HotPotQA's chain of thought: :class:`agents.actors.cot.CoTActor` with HotPotQA's prompts.
    ``context`` given: ``cot_context`` (reads the gold paragraphs); None: ``cot_no_context``.

    >>> from agents.llm import CallableLLM
    >>> agent = CoTAgent("What is 2+2?", llm=CallableLLM(lambda p: " Easy.\\nAction: Finish[4]"),
    ...                  evaluator=lambda a: a == "4")
    >>> agent.kind, agent.run().correct
    ('cot_no_context', True)
    """

    def __init__(self, question: str, context: str | None = None, **options: Any):
        kind = "cot_context" if context is not None else "cot_no_context"
        for name, text in default_prompts(kind).items():
            if options.get(name) is None:
                options[name] = text
        super().__init__(question, context, kind=kind, **options)
