"""Reading code and tests out of model replies, and writing what a test run showed; never raises.

The parsing half of :mod:`agents.actors.codegen`: model output is never trusted to be well formed:
fences, chatter, a repeated docstring, a second function, ``if __name__`` blocks and garbage are cut
or dropped. Tests are checked with :mod:`ast` only (parsed, never compiled or run here).

>>> extract_completion("    return a + b\\n\\n\\nprint(add(1, 2))", "add")
'    return a + b\\n'
>>> parse_tests(" add(2, 2) == 4\\nassert add(0, 0) == 0\\nprint('hi')", "add")
['assert add(2, 2) == 4', 'assert add(0, 0) == 0']
"""
from __future__ import annotations

import ast
import re
from typing import Any, NamedTuple, Sequence

from .parsing import one_line

# Stops for completion-style models: the body ends where the next top-level statement begins.
# Chat models answer with a fenced whole function, which these would cut at its first line, so
# they get CHAT_CODE_STOP (see CodeGenActor.code_stop).
CODE_STOP = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", "\n#", "\n@", "\n\n\n",
             "(end of examples)", "\n```"]
CHAT_CODE_STOP = ["(end of examples)"]
TESTS_STOP = ["\n\n", "\ndef ", "\n#", "(end of examples)", "\n```"]
TESTS_PRIMER = "assert"  # the tests prompt ends with it, so the reply continues the first test
MAX_BODY_LINES = 80
SAFE_NAMES = frozenset({"abs", "all", "any", "bool", "dict", "float", "int", "isinstance", "len", "list",
                        "max", "min", "round", "set", "sorted", "str", "sum", "tuple", "range"})
MAX_TEST_CHARS = 400
NO_RUNNABLE_TEST = "no runnable test: nothing checked this implementation"

_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_TOP_LEVEL_CODE = re.compile(r"(import |from |def |class |@|async def |[A-Za-z_]\w*\s*(: [^=]+)?=[^=])")


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
    """A reply that (re)defines the whole function: its imports, constants, helpers and the
    function itself (prose, prints and asserts between them are dropped)."""
    head = re.compile(rf"(async\s+)?def\s+{re.escape(entry_point)}\s*\(")
    kept = []
    for block in _top_level_blocks(lines):
        first = block[0].strip()
        if _TOP_LEVEL_CODE.match(first):
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


def _compiles_as_body(lines: list[str]) -> bool:
    """Do ``lines`` make the body of a function? Compiled (never run), so a ``return`` left outside
    the function is caught as the paper-era code's ``exec`` caught it."""
    try:
        compile("def _body_check():\n" + "\n".join(lines) + "\n", "<body>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False


def reindent_bare_body(lines: list[str]) -> list[str]:
    """A body written flush left (neither fenced nor indented), re-indented as the original's code
    of the paper's era did (``py_fix_indentation``): first only its first line, then every line,
    the first that makes a function body; [] when neither does (prose, not code).

    >>> reindent_bare_body(["result = []", "for x in xs:", "    result.append(x)", "return result"])
    ['    result = []', '    for x in xs:', '        result.append(x)', '    return result']
    >>> reindent_bare_body(["total = 0", "    for x in xs:", "        total += x", "    return total"])
    ['    total = 0', '    for x in xs:', '        total += x', '    return total']
    >>> reindent_bare_body(["The answer is 42."])
    []
    """
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return []
    lines = lines[start:]
    first_only = ["    " + lines[0]] + lines[1:]
    every = ["    " + line if line.strip() else line for line in lines]
    for candidate in (first_only, every):
        if _compiles_as_body(candidate):
            return candidate[:MAX_BODY_LINES]
    return []


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
    >>> extract_completion("return x * 2", "double")             # a bare body is re-indented
    '    return x * 2\\n'
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
    first = next((line for line in lines if line.strip()), "")
    if first and _indent(first) == 0 and not fenced:
        body = reindent_bare_body(lines)  # a bare body: the paper-era re-indentation, not nothing
    else:
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
    reply = str(reply or "")
    joint = " " if reply[:1].isalnum() or reply[:1] == "_" else ""  # "assert" + "f(1)" needs a space
    lines = [line.strip() for line in (TESTS_PRIMER + joint + reply).split("\n")]
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
    (False, 'no runnable test: nothing checked this implementation')
    """
    failed = [o for o in outcomes if not o.passed]
    if not outcomes:  # never a pass (the original counted it as one); the feedback marks it untested
        return False, NO_RUNNABLE_TEST
    if not failed:
        return True, f"all {len(outcomes)} tests passed"
    return False, "\n".join([f"{len(failed)} of {len(outcomes)} tests failed"] + [failure_text(o) for o in failed])


def format_attempt(program: str, outcomes: Sequence[Any], none_reason: str | None = None) -> str:
    """The readable part of a trajectory: the implementation, then the tests (failures first);
    without outcomes, why there are none (``none_reason``; default: none could be read).

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
        lines.append(f"Tests: none ({none_reason or 'no runnable test could be read from the model'})")
    elif failed:
        lines.append(f"Tests ({len(failed)} of {len(outcomes)} failed):")
    else:
        lines.append(f"Tests (all {len(outcomes)} passed):")
    lines += [f"failed: {failure_text(o)}" for o in failed]
    lines += [f"passed: {o.test}" for o in outcomes if o.passed]
    return "\n".join(lines)
