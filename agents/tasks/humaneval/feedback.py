"""HumanEval's two feedback sources: the agent's own tests (honest, the default) and the hidden tests.

- ``tests``: success when every test the agent runs passes (the docstring's examples and the tests
  the model wrote); the message is the summary line and each failed test with its output, which
  the reflection may read. The agent hands its outcomes over (``outcomes=``): see
  :class:`agents.actors.codegen.CodeGenAgent`.
- ``oracle``: success when the problem's hidden tests pass (a verdict held by this closure, never
  by the agent). The message is empty: the agent is told "Answer is INCORRECT" and nothing of the
  hidden tests, not even which one failed.

Whatever drives the retries, the hidden tests are run once per attempt for reporting (``pass``).

>>> from agents.actors.code_parsing import Outcome
>>> own_tests()("    return 0\\n", "...", outcomes=[Outcome("assert f(1) == 1", False, "assert f(1) == 1 # output: 0")])
Feedback(success=False, message='1 of 1 tests failed\\nassert f(1) == 1 # output: 0', source='tests')
>>> hidden_tests(lambda completion: "return 1" in completion)("    return 1\\n", "...")
Feedback(success=True, message='', source='oracle')
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ...actors.code_parsing import summarize_outcomes
from ...types import Feedback, FeedbackFn

NO_OUTCOMES = ("no test results were handed over: tests feedback needs an actor that runs its own "
               "tests (the codegen agent)")


def own_tests() -> FeedbackFn:
    """Feedback from the tests the attempt ran (its ``outcomes``); no tests at all count as a pass,
    as in the original (its loop stopped when its own tests, however few, passed)."""
    def feedback(answer: str, trajectory: str, outcomes: Sequence[Any] | None = None) -> Feedback:
        if outcomes is None:
            return Feedback(False, NO_OUTCOMES, "tests")
        success, message = summarize_outcomes(outcomes)
        return Feedback(success, message, "tests")

    return feedback


def hidden_tests(verdict: Callable[[str], Any]) -> FeedbackFn:
    """Oracle feedback from ``verdict(completion)`` (truthy when the hidden tests pass). The
    verdict's reason is *not* passed on: it is for the records, not for the agent."""
    def feedback(answer: str, trajectory: str) -> Feedback:
        return Feedback(bool(verdict(answer)), "", "oracle")

    return feedback
