"""The visible tests of a problem: the examples its docstring already shows, as ``assert`` lines.

A HumanEval prompt is the function's signature and docstring, and most docstrings show a few calls
with their results. Those examples are part of what the agent is given, so turning them into tests
is honest (no hidden test is read). Two spellings are understood:

- doctest: ``>>> f(1, 2)`` with the expected value on the next line;
- inline: ``f(1, 2) ==> 3`` (also ``=>``, ``➞``, ``->``, ``==``, ``# returns``, ``should return``).

An example that does not make one complete ``assert`` statement, or names anything but the function
and a few builtins (``f(n) -> f(n-1) + f(n-2)`` defines, it is no example), is dropped: see
:func:`agents.actors.code_parsing.is_test_statement`, which parses and never runs.

>>> prompt = '''def add(a, b):
...     \"\"\"Add two numbers.
...     >>> add(2, 3)
...     5
...     add(1, 1) ==> 2
...     \"\"\"
... '''
>>> docstring_tests(prompt, "add")
['assert add(2, 3) == 5', 'assert add(1, 1) == 2']
"""
from __future__ import annotations

import re

from ...actors.code_parsing import is_test_statement

# After the call, what introduces its result in the inline spelling (longest first).
_SEPARATORS = ("==>", "=>", "➞", "→", "->", "==", "# returns", "#returns", "should return", "returns", "return")
_WORDS = {"true": "True", "false": "False", "none": "None"}  # docstrings often write true/false


def _call_end(text: str, start: int) -> int:
    """Index just past the ``)`` that closes the call whose ``(`` is at ``start``; -1 if none."""
    depth, quote = 0, None
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _as_assert(call: str, expected: str, entry_point: str) -> str | None:
    """``assert call == expected``, if that is one statement (trailing ``.``/``,`` forgiven)."""
    expected = expected.strip()
    expected = _WORDS.get(expected.lower(), expected)
    for candidate in (expected, expected.rstrip(".,; ")):
        test = f"assert {call.strip()} == {candidate}"
        if candidate and is_test_statement(test, entry_point):
            return test
    return None


def _doctest_examples(lines: list[str], entry_point: str) -> list[str]:
    tests = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith(">>> ") or f"{entry_point}(" not in stripped:
            continue
        expected = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if expected and not expected.startswith(">>>") and not expected.startswith('"""'):
            test = _as_assert(stripped[4:], expected, entry_point)
            if test:
                tests.append(test)
    return tests


def _inline_examples(lines: list[str], entry_point: str) -> list[str]:
    tests = []
    pattern = re.compile(rf"(?<![\w.]){re.escape(entry_point)}\(")
    for line in lines:
        if line.strip().startswith(">>>"):
            continue
        match = pattern.search(line)
        if match is None:
            continue
        end = _call_end(line, match.end() - 1)
        if end == -1:
            continue
        rest = line[end:].strip()
        for separator in _SEPARATORS:
            if rest.lower().startswith(separator):
                test = _as_assert(line[match.start():end], rest[len(separator):], entry_point)
                if test:
                    tests.append(test)
                break
    return tests


def docstring_tests(prompt: str, entry_point: str, limit: int | None = None) -> list[str]:
    """The examples in ``prompt`` that call ``entry_point``, as ``assert`` lines, in order, without
    repeats (``limit`` keeps the first ones).

    >>> docstring_tests('def f(x):\\n    \"\"\"f(2) -> true\\n    f(3) -> maybe so\\n    \"\"\"\\n', "f")
    ['assert f(2) == True']
    """
    lines = (prompt or "").splitlines()
    tests = []
    for test in _doctest_examples(lines, entry_point) + _inline_examples(lines, entry_point):
        if test not in tests:
            tests.append(test)
    return tests[:limit] if limit is not None else tests
