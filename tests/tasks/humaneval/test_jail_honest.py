"""Issue 17 item 5: honest, correct programs pass the real two-jail verdict, including the ones that
print a lot, return a ``str`` Enum, use a dataclass with a quoted annotation, or return exact numbers;
and what fails by design (a third-party package) fails with a reason that says so.
"""
import textwrap

import pytest

from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval.scoring import run_tests, score

pytestmark = needs_sandbox


def problem(prompt: str, entry: str, checks: str) -> dict:
    test = "def check(candidate):\n" + textwrap.indent(textwrap.dedent(checks).strip() + "\n", "    ")
    return {"task_id": f"Honest/{entry}", "prompt": textwrap.dedent(prompt).lstrip(), "entry_point": entry,
            "test": test}


VERDICT = problem('''
    def verdict(n: int) -> str:
        """'YES' if n is even, else 'NO'."""
    ''', "verdict", """
    assert candidate(2) == 'YES'
    assert candidate(3) == 'NO'
    assert isinstance(candidate(4), str)
    assert [candidate(n) for n in (1, 2)] == ['NO', 'YES']
    """)

ENUM_SOLUTION = '''
from enum import Enum


class Answer(str, Enum):
    YES = "YES"
    NO = "NO"


def verdict(n: int) -> str:
    return Answer.YES if n % 2 == 0 else Answer.NO
'''

CHAIN = problem('''
    from typing import List


    def chain_sum(values: List[int]) -> int:
        """Sum of the values, through a linked list."""
    ''', "chain_sum", """
    assert candidate([1, 2, 3]) == 6
    assert candidate([]) == 0
    """)

DATACLASS_SOLUTION = '''
from dataclasses import dataclass, field
from typing import List, Optional, get_type_hints


@dataclass
class Node:
    value: int
    rest: "Optional[Node]" = None
    tags: "List[str]" = field(default_factory=list)


def chain_sum(values: List[int]) -> int:
    assert get_type_hints(Node)["rest"] == Optional[Node]
    head = None
    for value in reversed(values):
        head = Node(value, head)
    total = 0
    while head is not None:
        total, head = total + head.value, head.rest
    return total
'''

RATIO = problem('''
    from fractions import Fraction
    from decimal import Decimal


    def ratio(a: int, b: int):
        """a / b, exactly."""
    ''', "ratio", """
    assert candidate(1, 3) == Fraction(1, 3)
    assert candidate(6, 4) == Fraction(3, 2)
    assert isinstance(candidate(2, 7), Fraction)
    """)

PRICE = problem('''
    from decimal import Decimal


    def price(cents: int) -> Decimal:
        """The price in units, to the cent."""
    ''', "price", """
    assert candidate(110) == Decimal("1.10")
    assert str(candidate(110)) == "1.10"
    """)

CHATTY = problem('''
    def total(values: list) -> int:
        """Sum the values."""
    ''', "total", """
    assert candidate([1, 2]) == 3
    assert candidate([5]) == 5
    """)

CHATTY_SOLUTION = '''
import sys


def total(values: list) -> int:
    for _ in range(40):   # 2.5 MiB to stdout and to stderr on every call, past the kit's 1 MiB cap
        print("debug " * 5000)
        print("trace " * 5000, file=sys.stderr)
    return sum(values)
'''


@pytest.mark.parametrize("name, task, solution", [
    ("str Enum result", VERDICT, ENUM_SOLUTION),
    ("dataclass with quoted annotations", CHAIN, DATACLASS_SOLUTION),
    ("Fraction result", RATIO, "    return Fraction(a, b)\n"),
    ("Decimal result", PRICE, "    return (Decimal(cents) / 100).quantize(Decimal(\"0.01\"))\n"),
    ("more than 1 MiB of prints", CHATTY, CHATTY_SOLUTION),
])
def test_honest_solution_passes(name, task, solution):
    result = score(task, solution, timeout=20)
    assert result.passed, f"{name}: {result.reason}"


def test_the_agents_own_tests_see_the_same_values():
    outcomes = run_tests(ENUM_SOLUTION, ["assert verdict(2) == 'YES'", "assert verdict(3) == 'YES'"], timeout=10)
    assert [o.passed for o in outcomes] == [True, False]
    assert outcomes[1].message == "assert verdict(3) == 'YES' # output: 'NO'"


def test_a_third_party_package_fails_by_design_and_says_why():
    # The jail hides site-packages (numpy included): a numpy solution fails to load, naming the module.
    result = score(CHATTY, "    return int(numpy.sum(values))\n\n\nimport numpy\n", timeout=20)
    assert not result.passed
    assert "failed to load" in result.reason and "numpy" in result.reason
