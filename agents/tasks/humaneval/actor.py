"""HumanEval's agent: the generic code-writing actor with HumanEval's prompts.

>>> CodeGenAgent.kind, CodeGenAgent.__mro__[1].__name__
('codegen', 'CodeGenActor')
"""
from __future__ import annotations

from typing import Any

from ...actors.codegen import CodeGenActor
from .prompts import default_prompts


class CodeGenAgent(CodeGenActor):
    """:class:`agents.actors.codegen.CodeGenActor` whose prompts default to HumanEval's
    (:mod:`agents.tasks.humaneval.prompts`); a prompt given wins."""

    def __init__(self, prompt: str, **options: Any):
        for name, text in default_prompts("codegen").items():
            if options.get(name) is None:
                options[name] = text
        options.setdefault("task", "humaneval")
        super().__init__(prompt, **options)
