"""A scripted coder for tests: it knows the canonical solutions, and uses one only once a reflection
is in its memory, so a whole run's curve is known in advance.

- tests prompt: the docstring's examples as ``assert`` lines (correct tests);
- code prompt: a wrong body (``return None``) until the memory holds a reflection, then the
  canonical body; so under ``reflexion`` (the default) or ``reinagent`` a problem goes from failed
  to solved at trial 2, and under ``none`` or ``immediate-refinement`` (no reflection) it never does;
- reflection prompt: one sentence naming the failure.

Its reply depends on the prompt alone (deterministic and thread-safe), like
:class:`agents.testing.scripted.ScriptedHotpotModel`.

>>> problem = {"task_id": "T/0", "entry_point": "twice", "canonical_solution": "    return 2 * x\\n",
...            "prompt": 'def twice(x):\\n    \"\"\"Twice x.\\n    >>> twice(2)\\n    4\\n    \"\"\"\\n'}
>>> coder = ScriptedCoder([problem])
>>> coder.complete("...# (end of examples)\\n\\n" + problem["prompt"]).text
'    return None\\n'
>>> coder.complete(REFLECTIONS_HEADER + "\\n- fix it\\n\\n" + problem["prompt"]).text
'    return 2 * x\\n'
>>> coder.complete(problem["prompt"] + "# Tests:\\nassert").text
' twice(2) == 4'
"""
from __future__ import annotations

from typing import Any, Iterable

from ...llm.base import LLM, Completion, approx_token_count
from ...strategies import REFLECTIONS_HEADER
from .visible import docstring_tests

WRONG_BODY = "    return None\n"
REFLECTION = " returned None instead of computing the result; next time implement what the docstring describes."


class ScriptedCoder(LLM):
    """``ScriptedCoder(problems, name="scripted-coder")``: ``problems`` are HumanEval records."""

    backend = "scripted"

    def __init__(self, problems: Iterable[dict[str, Any]], name: str = "scripted-coder"):
        self.problems = list(problems)
        self.name = name

    def _problem(self, prompt: str) -> dict[str, Any] | None:
        """The problem whose prompt appears last in ``prompt`` (the one being worked on)."""
        found = [(prompt.rfind(p["prompt"].strip()), p) for p in self.problems]
        at, problem = max(found, key=lambda pair: pair[0], default=(-1, None))
        return problem if at >= 0 else None

    def reply_for(self, prompt: str) -> str:
        if "\nReflection:" in prompt.rsplit("Previous trial:", 1)[-1]:
            return REFLECTION
        problem = self._problem(prompt)
        if problem is None:
            return "I do not know this function."
        if prompt.endswith("# Tests:\nassert"):
            tests = docstring_tests(problem["prompt"], problem["entry_point"])
            return "\n".join(tests)[len("assert"):]
        memory = prompt[: prompt.rfind(problem["prompt"].strip())]
        return problem["canonical_solution"] if REFLECTIONS_HEADER in memory else WRONG_BODY

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        text = self.reply_for(prompt)
        return Completion(text, approx_token_count(prompt), approx_token_count(text))
