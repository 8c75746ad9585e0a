"""Code generation: write tests, write the function, run the tests in a sandbox, read the results.

One attempt of :class:`CodeGenAgent` on a function's prompt (its signature and docstring):

1. on the first trial, the tests: the visible ones the task gives (a docstring's examples), then a
   few ``assert`` lines the model writes from the prompt; they are kept for every later trial;
2. the body: the model continues the prompt (completion-style, as a base model would), and
   :func:`extract_completion` cuts what it wrote down to the function;
3. the tests run against prompt + body through ``run_tests`` (the task's sandbox: model-written
   code never runs in this process), and the trajectory shows the code, the tests and the results;
4. the feedback function gives the verdict; it also receives the test outcomes (``outcomes=``)
   when it takes them, which is how feedback from the agent's own tests works.

Model output is never trusted to be well formed: fences, chatter, a repeated docstring, a second
function, ``if __name__`` blocks and garbage are cut or dropped, and nothing here raises on them.

>>> from agents.llm import CallableLLM
>>> from agents.types import Feedback
>>> def fake_run_tests(program, tests):                  # a stand-in for the sandbox
...     ok = "return a + b" in program
...     return [Outcome(t, ok, "" if ok else t + " # output: None") for t in tests]
>>> replies = iter([" add(2, 2) == 4", "    return a - b\\n\\n\\nprint(add(1, 2))",
...                 " subtracts; it should add.", "    return a + b\\n"])
>>> agent = CodeGenAgent('def add(a, b):\\n    \"\"\"Add a and b.\"\"\"\\n', entry_point="add",
...                      run_tests=fake_run_tests, llm=CallableLLM(lambda p: next(replies)),
...                      feedback=lambda answer, trajectory, outcomes: Feedback(
...                          all(o.passed for o in outcomes), source="tests"),
...                      strategy="reinagent")
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
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Sequence

from ..reflexion import REFLECTION_STOP, Agent, clean_reflection, feedback_observation
from ..strategies import _DEFAULT, format_memory, trim_trace
from .code_parsing import (CHAT_CODE_STOP, CODE_STOP, Outcome, REFLECTION_CUE, TESTS_STOP, extract_completion,
                            format_attempt, join_program, parse_tests, unique_tests)  # noqa: F401 (Outcome: the doctest)


# -- the agent ----------------------------------------------------------------------------------------------
class CodeGenAgent(Agent):
    """``CodeGenAgent(prompt, *, entry_point, run_tests, llm, feedback, ...)``.

    - ``prompt``: the function's signature and docstring (what the model continues);
    - ``entry_point``: the function's name; ``run_tests(program, tests) -> [outcome]``: runs tests
      against a program in a sandbox (outcomes have ``test``, ``passed``, ``message``);
    - ``visible_tests``: tests the task shows (a docstring's examples); ``test_source``: ``"both"``
      (visible, then the model's, up to ``max_tests``; the default), ``"visible"`` or ``"model"``;
    - ``max_tests`` (6), ``test_max_tokens`` (96) and ``reflect_max_tokens`` (128): budgets;
    - prompts: ``template``, ``examples``, ``tests_template``, ``tests_examples``,
      ``reflect_template``, ``reflect_examples`` (default: HumanEval's, :mod:`agents.tasks.humaneval.prompts`).

    Other keywords: see :class:`agents.reflexion.Agent`. The attempt's ``answer`` is the completion
    (what follows the prompt; HumanEval's convention); ``extra`` records the tests and their counts.
    """

    kind = "codegen"
    input_label = "Function: "

    def __init__(self, prompt: str, *, entry_point: str, run_tests: Callable[[str, list[str]], Sequence[Any]],
                 visible_tests: Sequence[str] = (), test_source: str = "both", max_tests: int = 6,
                 test_max_tokens: int = 96, reflect_max_tokens: int = 128,
                 tests_template: str | None = None, tests_examples: str | None = None, **options: Any):
        if test_source not in ("both", "visible", "model"):
            raise ValueError(f"test_source must be 'both', 'visible' or 'model', not {test_source!r}")
        from ..tasks.humaneval.prompts import default_prompts

        defaults = default_prompts("codegen")
        for name in ("template", "examples", "reflect_template", "reflect_examples"):
            options.setdefault(name, defaults[name])
        super().__init__(prompt, **options)
        self.entry_point = entry_point
        self.run_tests = run_tests
        self.visible_tests = list(visible_tests)
        self.test_source = test_source
        self.max_tests = max_tests
        self.test_max_tokens = test_max_tokens
        self.reflect_max_tokens = reflect_max_tokens
        self.tests_template = tests_template or defaults["tests_template"]
        self.tests_examples = tests_examples if tests_examples is not None else defaults["tests_examples"]
        self.tests: list[str] | None = None  # written on the first trial, kept for the later ones
        self._feedback_takes_outcomes = "outcomes" in inspect.signature(self.feedback_fn).parameters

    # -- prompts and memory --------------------------------------------------------------------------
    @property
    def memory(self) -> str:
        """The strategy's memory; the last attempt is introduced by the function's name alone (its
        implementation already shows the docstring)."""
        options = {} if self.max_reflections is _DEFAULT else {"max_reflections": self.max_reflections}
        return format_memory(self.strategy, f"{self.input_label}{self.entry_point}", self.last_attempt,
                             self.reflections, last_attempt_tokens=self.last_attempt_tokens,
                             count_tokens=self.llm.count_tokens, **options)

    @property
    def code_stop(self) -> list[str]:
        """Chat models stop on their own and fence a whole function: cutting at ``\\ndef`` would
        leave nothing of it, so they get only the examples' end marker."""
        chat = getattr(self.llm, "endpoint", None) == "chat" or self.llm.backend == "langchain"
        return CHAT_CODE_STOP if chat else CODE_STOP

    def _prompt(self) -> str:
        return self.template.format(examples=self.examples, memory=self.memory, prompt=self.input)

    def _tests_prompt(self) -> str:
        return self.tests_template.format(examples=self.tests_examples, prompt=self.input,
                                          entry_point=self.entry_point)

    def _reflect_prompt(self, trajectory: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, scratchpad=trajectory)

    # -- calls with their own budgets ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _budget(self, max_tokens: int):
        """Tests and reflections are short: a smaller ``max_tokens`` for the calls in the block."""
        saved, self.max_tokens = self.max_tokens, max_tokens
        try:
            yield
        finally:
            self.max_tokens = saved

    def reflect(self) -> str:
        """As :meth:`Agent.reflect`, with its own budget; words the template puts after its last
        ``Reflection:`` (say "The implementation") start the reflection, and the model continues them."""
        with self._budget(self.reflect_max_tokens):
            trace = trim_trace(self.last_attempt, max(256, self.reflect_llm.context_window // 2),
                               self.reflect_llm.count_tokens)
            prompt = self._reflect_prompt(trace)
            primer = prompt.rsplit(REFLECTION_CUE, 1)[1].strip() if REFLECTION_CUE in prompt else ""
            # After the primer the reply is mid-sentence: its line is the reflection, and what a
            # small model adds on later lines (copied test results, another example) is not.
            stop = REFLECTION_STOP + ["\n"] if primer else REFLECTION_STOP
            reply = self._call(prompt, stop=stop, llm=self.reflect_llm).text
        if not reply.strip():
            return ""  # the primer alone is no reflection
        joint = " " if primer and reply[:1].isalnum() else ""
        return clean_reflection(f"{primer}{joint}{reply}")

    def restore(self, attempts: list[Any]) -> None:
        """Resume: the memory, and the tests the first trial wrote (no model call is made)."""
        super().restore(attempts)
        for attempt in reversed(self.attempts):
            if isinstance(attempt.extra.get("tests"), list):
                self.tests = [str(t) for t in attempt.extra["tests"]]
                break

    # -- one attempt ----------------------------------------------------------------------------------------
    def _write_tests(self) -> list[str]:
        tests = [] if self.test_source == "model" else unique_tests(self.visible_tests, self.max_tests)
        if self.test_source != "visible" and len(tests) < self.max_tests:
            with self._budget(self.test_max_tokens):
                reply = self._call(self._tests_prompt(), stop=TESTS_STOP).text
            tests += parse_tests(reply, self.entry_point)
        return unique_tests(tests, self.max_tests)

    def _attempt(self) -> None:
        self.steps = 1
        if self.tests is None:
            self.tests = self._write_tests()
        reply = self._call(self._prompt(), stop=self.code_stop).text
        completion = extract_completion(reply, self.entry_point)
        program = join_program(self.input, completion)
        outcomes = list(self.run_tests(program, self.tests)) if self.tests else []
        self.scratchpad = format_attempt(program, outcomes)
        self.extra = {"tests": list(self.tests), "tests_passed": sum(bool(o.passed) for o in outcomes),
                      "tests_total": len(outcomes), "completion_empty": not completion.strip()}
        observation = self._finish(completion, outcomes)
        self.scratchpad += f"\nFeedback: {observation.splitlines()[0] if observation else ''}"

    def _finish(self, answer: str, outcomes: Sequence[Any] | None = None) -> str:
        """As :meth:`Agent._finish`, handing the test outcomes to feedback that takes them."""
        if outcomes is None or not self._feedback_takes_outcomes:
            return super()._finish(answer)
        self.answer = answer
        extra = {"call": self._call} if self._feedback_takes_call else {}
        self.feedback_result = self.feedback_fn(answer, self.scratchpad.strip(), outcomes=list(outcomes), **extra)
        self.finished = True
        return feedback_observation(self.feedback_result)
