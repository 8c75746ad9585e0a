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

import ast
import contextlib
import inspect
import re
from typing import Any, Callable, NamedTuple, Sequence

from ..reflexion import REFLECTION_STOP, Agent, clean_reflection, feedback_observation
from ..strategies import _DEFAULT, format_memory, trim_trace
from .parsing import one_line

# Stops for completion-style models: the body ends where the next top-level statement begins.
# Chat models answer with a fenced whole function, which these would cut at its first line, so
# they get CHAT_CODE_STOP (see CodeGenAgent.code_stop).
CODE_STOP = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", "\n#", "\n@", "\n\n\n",
             "(end of examples)", "\n```"]
CHAT_CODE_STOP = ["(end of examples)"]
TESTS_STOP = ["\n\n", "\ndef ", "\n#", "(end of examples)", "\n```"]
TESTS_PRIMER = "assert"  # the tests prompt ends with it, so the reply continues the first test
REFLECTION_CUE = "Reflection:"
MAX_BODY_LINES = 80
SAFE_NAMES = frozenset({"abs", "all", "any", "bool", "dict", "float", "int", "isinstance", "len", "list",
                        "max", "min", "round", "set", "sorted", "str", "sum", "tuple", "range"})
MAX_TEST_CHARS = 400

_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_TOP_LEVEL_CODE = ("import ", "from ", "def ", "class ", "@", "async def ")


class Outcome(NamedTuple):
    """One test's result, as ``run_tests`` reports it (any object with these fields will do)."""

    test: str
    passed: bool
    message: str = ""


# -- reading model output ---------------------------------------------------------------------------
def join_program(prompt: str, completion: str) -> str:
    """The program a completion makes: the prompt, then the completion (HumanEval's convention).

    >>> join_program("def f():", "    return 1\\n")
    'def f():\\n    return 1\\n'
    """
    separator = "" if prompt.endswith("\n") or completion.startswith("\n") else "\n"
    return prompt + separator + completion


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _top_level_blocks(lines: list[str]) -> list[list[str]]:
    """Lines grouped by top-level statement: a column-0 line and the indented/blank lines after it."""
    blocks: list[list[str]] = []
    for line in lines:
        if line.strip() and _indent(line) == 0 or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def _whole_function(lines: list[str], entry_point: str) -> list[str] | None:
    """A reply that (re)defines the whole function: its imports, helpers and the function itself."""
    head = re.compile(rf"(async\s+)?def\s+{re.escape(entry_point)}\s*\(")
    kept = []
    for block in _top_level_blocks(lines):
        first = block[0].strip()
        if first.startswith(_TOP_LEVEL_CODE):
            kept.extend(block)
            if head.match(first):
                return kept
    return None


def _body(lines: list[str], flush_left_is_body: bool) -> list[str]:
    """The indented lines up to the first top-level one (where a base model starts rambling)."""
    first = next((line for line in lines if line.strip()), "")
    if flush_left_is_body and first and _indent(first) == 0:
        lines = ["    " + line if line.strip() else line for line in lines]  # a fenced, unindented body
    body = []
    for line in lines:
        if line.strip() and _indent(line) == 0:
            break
        body.append(line)
    while body and not body[-1].strip():
        body.pop()
    return body[:MAX_BODY_LINES]


def extract_completion(reply: str, entry_point: str) -> str:
    """What to append to the prompt: the body a base model wrote, or the whole function a chat
    model wrote (fences and chatter removed); "" when nothing usable was written. Never raises.

    >>> extract_completion("    return x * 2\\n\\n\\ndef unrelated():\\n    pass", "double")
    '    return x * 2\\n'
    >>> print(extract_completion("Sure!\\n```python\\nimport math\\ndef root(x):\\n    return math.sqrt(x)\\n```\\nDone.", "root"))
    <BLANKLINE>
    import math
    def root(x):
        return math.sqrt(x)
    <BLANKLINE>
    >>> extract_completion("I cannot help with that.", "root")
    ''
    """
    text = str(reply or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [re.sub(r"^\t+", lambda m: "    " * len(m.group()), line) for line in text.split("\n")]
    text = "\n".join(lines)
    fenced = False
    if "```" in text:
        blocks = _FENCE.findall(text)
        if blocks:
            chosen = next((b for b in blocks if f"def {entry_point}" in b), blocks[0])
            lines, fenced = chosen.split("\n"), True
    whole = _whole_function(lines, entry_point)
    if whole is not None:
        return "\n" + "\n".join(whole[:MAX_BODY_LINES]).rstrip() + "\n"
    body = _body(lines, flush_left_is_body=fenced)
    return "\n".join(body) + "\n" if body else ""


def is_test_statement(text: str, entry_point: str) -> bool:
    """Is ``text`` one ``assert`` statement that calls ``entry_point`` and names nothing but it
    and a few builtins? It is *parsed* to check (``ast.parse``), never compiled or run.

    >>> is_test_statement("assert add(1, 2) == 3", "add"), is_test_statement("assert add(x) == 3", "add")
    (True, False)
    >>> is_test_statement("assert abs(mean([1, 2]) - 1.5) < 1e-9", "mean"), is_test_statement("assert (", "f")
    (True, False)
    """
    if len(text) > MAX_TEST_CHARS or f"{entry_point}(" not in text.replace(" (", "("):
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return False
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return entry_point in names and names <= SAFE_NAMES | {entry_point}


def canonical_test(test: str) -> str:
    """What makes two tests the same test: their syntax tree (``'a'`` and ``"a"`` are one string).

    >>> canonical_test("assert f('a') == 1") == canonical_test('assert f("a")==1')
    True
    """
    try:
        return ast.dump(ast.parse(test))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return test.strip()


def unique_tests(tests: Sequence[str], limit: int | None = None) -> list[str]:
    """``tests`` without repeats (by :func:`canonical_test`), in order, the first ``limit`` of them."""
    kept, seen = [], set()
    for test in tests:
        key = canonical_test(test)
        if key not in seen:
            seen.add(key)
            kept.append(test)
    return kept[:limit] if limit is not None else kept


def parse_tests(reply: str, entry_point: str, limit: int | None = None) -> list[str]:
    """The well-formed tests in a reply to the tests prompt (which ends with ``assert``), in order,
    without repeats; a line that is not one complete test of ``entry_point`` is dropped.

    >>> parse_tests(" add(1, 2) == 3\\nassert add(1,2) == 3\\nassert add(2, 2) ==\\nprint(add(0, 0))", "add")
    ['assert add(1, 2) == 3']
    """
    lines = [line.strip() for line in (TESTS_PRIMER + str(reply or "")).split("\n")]
    return unique_tests([line for line in lines if line.startswith("assert")
                         and is_test_statement(line, entry_point)], limit)


# -- showing what happened ----------------------------------------------------------------------------
_LOAD_ERROR = re.compile(r'^\s*File "[^"]*", line (\d+)')


def short_error(message: str) -> str:
    """A traceback-style message in one line: the error and where (a program that does not load
    fails every test with the same long message; this keeps the results readable).

    >>> short_error('File "solution.py", line 3\\n    return (1,\\n           ^\\nSyntaxError: \\'(\\' was never closed')
    "the implementation does not load: SyntaxError: '(' was never closed (line 3)"
    >>> short_error("assert f(1) == 2 # output: 3")
    'assert f(1) == 2 # output: 3'
    """
    message = (message or "").strip()
    where = _LOAD_ERROR.match(message)
    if where is None:
        return one_line(message)
    last = [line.strip() for line in message.splitlines() if line.strip()][-1]
    return f"the implementation does not load: {one_line(last)} (line {where.group(1)})"


def failure_text(outcome: Any) -> str:
    """A failed test with what went wrong, on one line: ``assert f(1) == 2 # output: 3``.

    >>> failure_text(Outcome("assert f(1) == 2", False, "line 1: NameError: name 'g' is not defined"))
    "assert f(1) == 2 # line 1: NameError: name 'g' is not defined"
    """
    message = short_error(outcome.message or "failed")
    text = message if message.startswith(outcome.test.strip()) else f"{outcome.test} # {message}"
    return one_line(text, limit=300, marker=" [...]")


def summarize_outcomes(outcomes: Sequence[Any]) -> tuple[bool, str]:
    """``(all passed, message)``: a summary line, then each failed test with its output.

    >>> summarize_outcomes([Outcome("assert f(1) == 2", False, "assert f(1) == 2 # output: 3"),
    ...                Outcome("assert f(0) == 0", True)])
    (False, '1 of 2 tests failed\\nassert f(1) == 2 # output: 3')
    >>> summarize_outcomes([])
    (True, 'no tests to run')
    """
    failed = [o for o in outcomes if not o.passed]
    if not outcomes:
        return True, "no tests to run"
    if not failed:
        return True, f"all {len(outcomes)} tests passed"
    return False, "\n".join([f"{len(failed)} of {len(outcomes)} tests failed"] + [failure_text(o) for o in failed])


def format_attempt(program: str, outcomes: Sequence[Any]) -> str:
    """The readable part of a trajectory: the implementation, then the tests (failures first).

    >>> print(format_attempt("def f():\\n    return 3\\n", [Outcome("assert f() == 2", False, "assert f() == 2 # output: 3")]))
    Implementation:
    def f():
        return 3
    Tests (1 of 1 failed):
    failed: assert f() == 2 # output: 3
    """
    lines = ["Implementation:", program.strip("\n")]
    failed = [o for o in outcomes if not o.passed]
    if not outcomes:
        lines.append("Tests: none (no test could be read)")
    elif failed:
        lines.append(f"Tests ({len(failed)} of {len(outcomes)} failed):")
    else:
        lines.append(f"Tests (all {len(outcomes)} passed):")
    lines += [f"failed: {failure_text(o)}" for o in failed]
    lines += [f"passed: {o.test}" for o in outcomes if o.passed]
    return "\n".join(lines)


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
            reply = self._call(prompt, stop=REFLECTION_STOP, llm=self.reflect_llm).text
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
