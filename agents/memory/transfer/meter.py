"""A model that counts what is asked through it: the calls and tokens a method spends learning.

>>> from agents.llm import CallableLLM
>>> model = Metered(CallableLLM(lambda p: "ok", name="m"))
>>> _ = model.complete("hello")
>>> model.usage["llm_calls"]
1
"""
from __future__ import annotations

from typing import Any

from ...llm.base import Completion, Wrapper


class Metered(Wrapper):
    """``llm`` with ``usage``: calls, input and output tokens made through it."""

    def __init__(self, llm: Any):
        super().__init__(llm)
        self.usage = {"llm_calls": 0, "input_tokens": 0, "output_tokens": 0}

    def _generate(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None = None) -> Completion:
        reply = self.llm.complete(prompt, stop=stop, max_tokens=max_tokens, draw=draw)
        self.usage["llm_calls"] += 1
        self.usage["input_tokens"] += int(reply.input_tokens or 0)
        self.usage["output_tokens"] += int(reply.output_tokens or 0)
        return reply
