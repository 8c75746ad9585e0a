"""Worked examples for the code-generation prompts, written for this project (none is a HumanEval
problem). Each is data first (the function, its tests, what they printed), and the prompt text is
built from it by the same formatter the agent uses, so examples and real trajectories look alike.
``tests/tasks/humaneval/test_prompts.py`` runs every example in the sandbox to check that the code
is right, the tests hold, and the failures shown are what the wrong code really prints.

>>> print(CODE_EXAMPLES.split("\\n\\n\\n")[0].splitlines()[-1])
    return sum(1 for char in text.lower() if char in "aeiou")
>>> REFLECT_EXAMPLES.count("Previous trial:"), TESTS_EXAMPLES.count("# Tests:")
(2, 2)
"""
from __future__ import annotations

from ...actors.code_parsing import Outcome, format_attempt, summarize_outcomes

# Solved functions: (stub = signature + docstring, body, tests that hold for it).
SOLVED = [
    ('''def count_vowels(text: str) -> int:
    """Return how many vowels (a, e, i, o, u, in either case) the text contains.
    >>> count_vowels("Banana")
    3
    """
''', '''    return sum(1 for char in text.lower() if char in "aeiou")
''', ['assert count_vowels("Banana") == 3', 'assert count_vowels("") == 0',
      'assert count_vowels("AEIOU") == 5', 'assert count_vowels("rhythm") == 0']),
    ('''from typing import List


def running_max(values: List[int]) -> List[int]:
    """Return a list whose i-th item is the largest of values[0], ..., values[i].
    >>> running_max([3, 1, 4, 1, 5])
    [3, 3, 4, 4, 5]
    """
''', '''    result = []
    for value in values:
        result.append(value if not result or value > result[-1] else result[-1])
    return result
''', ['assert running_max([3, 1, 4, 1, 5]) == [3, 3, 4, 4, 5]', 'assert running_max([]) == []',
      'assert running_max([-2]) == [-2]', 'assert running_max([5, 4, 3]) == [5, 5, 5]']),
]

# Failed attempts: (stub, wrong body, [(test, passed, what the sandbox printed)], the reflection).
FAILED = [
    ('''def second_largest(values: list) -> int:
    """Return the second largest distinct value in the list.
    >>> second_largest([4, 1, 4, 3])
    3
    """
''', '''    return sorted(values)[-2]
''', [("assert second_largest([4, 1, 4, 3]) == 3", False, "assert second_largest([4, 1, 4, 3]) == 3 # output: 4"),
      ("assert second_largest([1, 2]) == 1", True, "")],
     "The implementation returns sorted(values)[-2], which is the largest value again when it occurs "
     "twice (4 for [4, 1, 4, 3]); remove duplicates with set() before sorting."),
    ('''def is_leap_year(year: int) -> bool:
    """Return True for leap years of the Gregorian calendar.
    >>> is_leap_year(2024)
    True
    >>> is_leap_year(1900)
    False
    """
''', '''    return year % 4 == 0
''', [("assert is_leap_year(2024) == True", True, ""),
      ("assert is_leap_year(1900) == False", False, "assert is_leap_year(1900) == False # output: True"),
      ("assert is_leap_year(2000) == True", True, "")],
     "The implementation only checks divisibility by 4, but a century year such as 1900 is a leap year "
     "only when it is divisible by 400; also require year % 100 != 0 or year % 400 == 0."),
]


def _code_examples() -> str:
    return "\n\n\n".join((stub + body).rstrip("\n") for stub, body, _ in SOLVED)


def _tests_examples() -> str:
    return "\n\n".join(stub + "# Tests:\n" + "\n".join(tests) for stub, _, tests in SOLVED)


def _reflect_examples() -> str:
    shots = []
    for stub, body, results, reflection in FAILED:
        outcomes = [Outcome(*result) for result in results]
        _, message = summarize_outcomes(outcomes)
        trajectory = format_attempt(stub + body, outcomes)
        trajectory += f"\nFeedback: Answer judged INCORRECT by tests-check: {message.splitlines()[0]}"
        shots.append(f"Previous trial:\n{trajectory}\n\nReflection: {reflection}")
    return "\n\n".join(shots)


CODE_EXAMPLES = _code_examples()
TESTS_EXAMPLES = _tests_examples()
REFLECT_EXAMPLES = _reflect_examples()
