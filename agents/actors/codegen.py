"""Code generation: write tests, write the function, run the tests in a sandbox, read the results.

One attempt of :class:`CodeGenActor` on a function's prompt (its signature and docstring):

1. on the first trial, the tests: every ``assert`` line the model writes from the prompt (the
   original's rule; ``max_tests`` samples that many, reproducibly), after the docstring's own
   examples when ``test_source="both"`` (feedback ``tests+docstring``); they are kept for every
   later trial;
2. the body: the model continues the prompt (completion-style, as a base model would), and
   :func:`extract_completion` cuts what it wrote down to the function;
3. the tests run against prompt + body through ``run_tests`` (the task's sandbox: model-written
   code never runs in this process), and the trajectory shows the code, the tests and the results;
4. the feedback function gives the verdict; it also receives the test outcomes (``outcomes=``)
   when it takes them, which is how feedback from the agent's own tests works. An attempt with no
   runnable test is *untested*, never a pass: by default its trials end there, as the original's
   loop did (``on_untested="retry"`` tries again, writing tests anew).

What trial k+1 is shown is the arm's memory (:mod:`agents.memory.paper`, chosen by its entry in
:mod:`agents.memory.registry`; the base agent writes the reflections): under the default ``reflexion`` arm, the previous implementation with its failing tests and their output, and
the newest reflection; ``immediate-refinement`` leaves out the reflection, ``immediate-reflexion``
runs no test at all, ``simple`` makes one attempt, and ``test-acc`` writes only tests and runs them
on the canonical solution (``reference``).

Model output is never trusted to be well formed: fences, chatter, a repeated docstring, a second
function, ``if __name__`` blocks and garbage are cut or dropped, and nothing here raises on them.

HumanEval's agent is this actor with HumanEval's prompts:

>>> from agents.llm import CallableLLM
>>> from agents.tasks.humaneval.actor import CodeGenAgent
>>> from agents.types import Feedback
>>> def fake_run_tests(program, tests):                  # a stand-in for the sandbox
...     ok = "return a + b" in program
...     return [Outcome(t, ok, "" if ok else t + " # output: None") for t in tests]
>>> replies = iter([" add(2, 2) == 4", "    return a - b\\n\\n\\nprint(add(1, 2))",
...                 " subtracts; it should add.", "    return a + b\\n"])
>>> agent = CodeGenAgent('def add(a, b):\\n    \"\"\"Add a and b.\"\"\"\\n', entry_point="add",
...                      run_tests=fake_run_tests, llm=CallableLLM(lambda p: next(replies)),
...                      feedback=lambda answer, trajectory, outcomes: Feedback(
...                          all(o.passed for o in outcomes), source="tests"))
>>> first = agent.run()
>>> print(first.trajectory)
Implementation:
def add(a, b):
    \"\"\"Add a and b.\"\"\"
    return a - b
Tests (1 of 1 failed):
failed: assert add(2, 2) == 4 # output: None
Feedback: Answer judged INCORRECT by tests-check
>>> second = agent.run()
>>> second.reflections, second.answer, second.success
(['The implementation subtracts; it should add.'], '    return a + b\\n', True)
>>> "return a - b" in second.last_attempt and "# output: None" in second.last_attempt
True
"""
from __future__ import annotations

import dataclasses
import hashlib
import random
from typing import Any, Callable, Sequence

from ..memory.registry import default_arm
from ..reflexion import REFLECTION_STOP, Agent
from ..types import Attempt, Feedback
from .code_parsing import (CHAT_CODE_STOP, CODE_STOP, NO_RUNNABLE_TEST, Outcome, TESTS_STOP,  # noqa: F401 (Outcome: the doctest)
                           extract_completion, format_attempt, join_program, parse_tests, unique_tests)

CODE_TOKENS = 1024          # code and tests: the original's budget (the kit's old 256 cut whole functions)
REFLECTION_TOKENS = 256     # the original's reflections were a few sentences (at most ~540 characters logged)
DOCSTRING_MAX_TESTS = 6     # tests+docstring: the docstring's examples, then the model's, the first 6
UNTESTED_RULES = ("stop", "retry")
# A reflection ends where a small model starts writing the next attempt's format.
CODE_REFLECTION_STOP = REFLECTION_STOP + ["\nImplementation:", "\nTests (", "\n\n\n"]


def sample_tests(tests: Sequence[str], n: int | None, seed_text: str) -> list[str]:
    """``n`` of ``tests`` chosen at random, reproducibly (seeded by ``seed_text``, the sample's id),
    kept in their order; all of them when ``n`` is None or at least their number.

    >>> sample_tests(["assert f(1)", "assert f(2)", "assert f(3)"], 2, "HumanEval/0")
    ['assert f(2)', 'assert f(3)']
    >>> sample_tests(["assert f(1)"], None, "x")
    ['assert f(1)']
    """
    tests = list(tests)
    if n is None or n >= len(tests):
        return tests
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big")
    keep = sorted(random.Random(seed).sample(range(len(tests)), n))
    return [tests[i] for i in keep]


# -- the agent ----------------------------------------------------------------------------------------------
class CodeGenActor(Agent):
    """``CodeGenActor(prompt, *, entry_point, run_tests, llm, feedback, <prompts>, ...)``.

    - ``prompt``: the function's signature and docstring (what the model continues);
    - ``entry_point``: the function's name; ``run_tests(program, tests) -> [outcome]``: runs tests
      against a program in a sandbox (outcomes have ``test``, ``passed``, ``message``);
    - ``test_source``: ``"model"`` (the tests the model writes: the original's; the default),
      ``"both"`` (the docstring's examples given as ``visible_tests``, then the model's, the first
      ``max_tests`` or 6) or ``"visible"`` (the docstring's alone);
    - ``max_tests``: under ``"model"``, keep that many of the model's tests, sampled reproducibly
      (default: every one, as the code that logged the paper's run did);
    - ``on_untested``: what follows an attempt with no runnable test: ``"stop"`` (its trials end,
      as the original's loop ended; the default) or ``"retry"`` (the next trial writes tests anew);
    - ``reference``: the canonical completion, used only by the ``test-acc`` arm (its tests are
      run on it; no code is written);
    - budgets: ``max_tokens`` (the code, 1,024), ``test_max_tokens`` (1,024), ``reflect_max_tokens`` (256);
    - prompts: ``template``, ``examples``, ``tests_template``, ``tests_examples``,
      ``reflect_template``, ``reflect_examples``, all required (HumanEval's
      :class:`agents.tasks.humaneval.actor.CodeGenAgent` fills in its own).

    Other keywords: see :class:`agents.reflexion.Agent` (``strategy`` defaults to ``reflexion``, the
    original's programming loop). The attempt's ``answer`` is the completion (what follows the
    prompt; HumanEval's convention); ``extra`` records the tests and their counts.
    """

    kind = "codegen"
    input_label = "Function: "
    whole_reflections = True   # the original kept the whole reflection, a few sentences

    def __init__(self, prompt: str, *, entry_point: str, run_tests: Callable[[str, list[str]], Sequence[Any]],
                 visible_tests: Sequence[str] = (), test_source: str = "model", max_tests: int | None = None,
                 test_max_tokens: int = CODE_TOKENS, reflect_max_tokens: int = REFLECTION_TOKENS,
                 on_untested: str = "stop", reference: str | None = None,
                 tests_template: str | None = None, tests_examples: str | None = None, **options: Any):
        if test_source not in ("both", "visible", "model"):
            raise ValueError(f"test_source must be 'both', 'visible' or 'model', not {test_source!r}")
        if on_untested not in UNTESTED_RULES:
            raise ValueError(f"on_untested must be 'stop' or 'retry', not {on_untested!r}")
        if max_tests is not None and (isinstance(max_tests, bool) or not isinstance(max_tests, int) or max_tests < 1):
            raise ValueError(f"max_tests must be a positive integer or None (every test), not {max_tests!r}")
        missing = [name for name, value in (("tests_template", tests_template), ("tests_examples", tests_examples))
                   if value is None] + [name for name in ("template", "examples", "reflect_template",
                                                          "reflect_examples") if options.get(name) is None]
        if missing:
            raise TypeError(f"{type(self).__name__} needs its prompts: {', '.join(missing)} (a task's "
                            "prompts(agent) gives them; HumanEval's CodeGenAgent has its own)")
        options.setdefault("task", "humaneval")
        options.setdefault("max_tokens", CODE_TOKENS)
        options.setdefault("strategy", default_arm(options["task"]))
        options.setdefault("reflect_trace_tokens", None)  # the whole implementation and its results
        super().__init__(prompt, reflect_max_tokens=reflect_max_tokens, **options)
        if not self.arm.writes_code and reference is None:
            raise ValueError("the test-acc arm runs the model's tests on the canonical solution: pass "
                             "reference=<its completion> (HumanEval's task does)")
        self.entry_point = entry_point
        self.run_tests = run_tests
        self.visible_tests = list(visible_tests)
        self.test_source = test_source
        self.max_tests = max_tests
        self.test_max_tokens = test_max_tokens
        self.on_untested = on_untested
        self.reference = reference
        self.tests_template = tests_template
        self.tests_examples = tests_examples
        self.tests: list[str] | None = None  # written on the first trial, kept for the later ones

    # -- prompts ----------------------------------------------------------------------------------------
    def memory_heading(self, attempt: Attempt) -> str:
        """A shown last attempt names the function alone (its implementation shows the docstring)."""
        return f"{self.input_label}{self.entry_point}"

    @property
    def code_stop(self) -> list[str]:
        """Chat models stop on their own and fence a whole function: cutting at ``\\ndef`` would
        leave nothing of it, so they get only the examples' end marker."""
        return CHAT_CODE_STOP if self.llm.is_chat else CODE_STOP

    def _prompt(self) -> str:
        return self.template.format(examples=self.examples, memory=self.memory, prompt=self.input)

    def _tests_prompt(self) -> str:
        return self.tests_template.format(examples=self.tests_examples, prompt=self.input,
                                          entry_point=self.entry_point)

    def _reflect_prompt(self, trajectory: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, scratchpad=trajectory)

    # Reflections are written by the base (:meth:`Agent.reflect`): the template's "The implementation"
    # starts them, the whole reply is kept, and they stop where a small model starts the next attempt.
    reflection_stop = CODE_REFLECTION_STOP

    def restore(self, attempts: list[Any]) -> None:
        """Resume: the memory, and the tests the first trial wrote (no model call is made)."""
        super().restore(attempts)
        for attempt in reversed(self.attempts):
            if isinstance(attempt.extra.get("tests"), list):
                self.tests = [str(t) for t in attempt.extra["tests"]]
                break

    # -- one attempt ----------------------------------------------------------------------------------------
    def _write_tests(self) -> list[str]:
        if self.test_source == "visible":
            return unique_tests(self.visible_tests, self.max_tests)
        if self.test_source == "both":
            limit = self.max_tests or DOCSTRING_MAX_TESTS
            tests = unique_tests(self.visible_tests, limit)
            if len(tests) < limit:
                tests += self._model_tests()
            return unique_tests(tests, limit)
        return sample_tests(self._model_tests(), self.max_tests, self.sample_id or self.entry_point)

    def _model_tests(self) -> list[str]:
        with self._budget(self.test_max_tokens):
            reply = self._call(self._tests_prompt(), stop=TESTS_STOP).text
        return parse_tests(reply, self.entry_point)

    def _attempt(self) -> None:
        arm = self.arm
        self.steps = 1
        if arm.runs_tests and not self.tests:  # none yet, or none runnable last time (on_untested="retry")
            self.tests = self._write_tests()
        if arm.writes_code:
            reply = self._call(self._prompt(), stop=self.code_stop).text
            completion = extract_completion(reply, self.entry_point)
        else:  # test-acc: the tests are checked against the canonical solution
            completion = self.reference or ""
        program = join_program(self.input, completion)
        tests = list(self.tests or []) if arm.runs_tests else []
        outcomes = list(self.run_tests(program, tests)) if tests else []
        self.scratchpad = format_attempt(program, outcomes,
                                         none_reason=None if arm.runs_tests else "this strategy runs no test")
        self.extra = {"tests": list(self.tests or []), "tests_passed": sum(bool(o.passed) for o in outcomes),
                      "tests_total": len(outcomes), "completion_empty": not completion.strip()}
        observation = self._finish(completion, outcomes=outcomes)
        self.scratchpad += f"\nFeedback: {observation.splitlines()[0] if observation else ''}"

    def _rule(self, verdict: Feedback, evidence: dict[str, Any]) -> Feedback:
        """The code loop's rules (the base hands the outcomes to feedback that takes them, and ends
        a one-shot arm's trials): an attempt whose feedback read the outcomes but no test ran is
        untested, whatever it said; and an untested attempt ends its trials under
        ``on_untested="stop"`` when the arm meant to test it."""
        outcomes = evidence.get("outcomes")
        if "outcomes" in self._feedback_params and outcomes is not None and not outcomes and not verdict.untested:
            verdict = dataclasses.replace(verdict, success=False, untested=True,
                                          message=verdict.message or NO_RUNNABLE_TEST)
        if verdict.untested and self.arm.runs_tests and self.on_untested == "stop" and not verdict.stop:
            verdict = dataclasses.replace(verdict, stop=True)
        return verdict

