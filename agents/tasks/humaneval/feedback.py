"""HumanEval's feedback sources: the agent's own tests (the original's, the default), the same with
the docstring's examples, the hidden tests, and none.

- ``tests``: success when every test the agent wrote passes; the message is the summary line and
  each failed test with its output, which the reflection may read. The agent hands its outcomes
  over (``outcomes=``): see :class:`agents.tasks.humaneval.actor.CodeGenAgent`. With no runnable test the
  attempt is *untested*: never a success (the original counted it as passing its own tests).
- ``tests+docstring``: the same verdict on the docstring's examples and the model's tests (a
  different feedback, labelled so; the agent reads the source from this function's ``source``).
- ``oracle``: success when the problem's hidden tests pass (a verdict held by this closure, never
  by the agent). The message is empty: the agent is told "Answer is INCORRECT" and nothing of the
  hidden tests, not even which one failed.
- ``none``: no verdict; every attempt is untested (the arms that run no test: ``simple``,
  ``immediate-reflexion``).

Whatever drives the retries, the hidden tests are run once per attempt for reporting (``pass``).

>>> from agents.actors.code_parsing import Outcome
>>> own_tests()("    return 0\\n", "...", outcomes=[Outcome("assert f(1) == 1", False, "assert f(1) == 1 # output: 0")])
Feedback(success=False, message='1 of 1 tests failed\\nassert f(1) == 1 # output: 0', source='tests')
>>> own_tests()("    return 0\\n", "...", outcomes=[])
Feedback(success=False, message='no runnable test: nothing checked this implementation', source='tests', untested=True)
>>> hidden_tests(lambda completion: "return 1" in completion)("    return 1\\n", "...")
Feedback(success=True, message='', source='oracle')
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ...actors.code_parsing import summarize_outcomes
from ...types import Feedback, FeedbackFn

NO_OUTCOMES = ("no test results were handed over: tests feedback needs an actor that runs its own "
               "tests (the codegen agent)")
NO_VERDICT = "no verdict: this strategy runs no test, so nothing checks an attempt before the last"


def own_tests(source: str = "tests") -> FeedbackFn:
    """Feedback from the tests the attempt ran (its ``outcomes``); no runnable test is untested."""
    def feedback(answer: str, trajectory: str, outcomes: Sequence[Any] | None = None) -> Feedback:
        if outcomes is None:
            return Feedback(False, NO_OUTCOMES, source)
        success, message = summarize_outcomes(outcomes)
        return Feedback(success, message, source, untested=not outcomes)

    feedback.source = source  # type: ignore[attr-defined]  (the agent reads which tests it runs)
    return feedback


def hidden_tests(verdict: Callable[[str], Any]) -> FeedbackFn:
    """Oracle feedback from ``verdict(completion)`` (truthy when the hidden tests pass). The
    verdict's reason is *not* passed on: it is for the records, not for the agent."""
    def feedback(answer: str, trajectory: str) -> Feedback:
        return Feedback(bool(verdict(answer)), "", "oracle")

    feedback.source = "oracle"  # type: ignore[attr-defined]
    return feedback


def no_verdict() -> FeedbackFn:
    """The ``none`` source: every attempt is untested (and so failed: every trial runs).

    >>> no_verdict()("    return 1\\n", "...").untested
    True
    """
    def feedback(answer: str, trajectory: str) -> Feedback:
        return Feedback(False, NO_VERDICT, "none", untested=True)

    feedback.source = "none"  # type: ignore[attr-defined]
    return feedback
