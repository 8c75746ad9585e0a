"""The prompts tell the truth: the few-shot code is right, its tests hold, the failures the
reflection examples show are what the wrong code really prints (all checked in the sandbox), no
example is a HumanEval problem, and the docstring examples turned into tests hold for the
canonical solutions (except where HumanEval's own docstring is wrong)."""
import pytest

from agents.actors.code_parsing import join_program
from agents.tasks.humaneval import fewshots
from agents.tasks.humaneval.prompts import default_prompts
from agents.tasks.humaneval.visible import docstring_tests
from tests.tasks.humaneval import needs_sandbox

# HumanEval docstrings whose own examples disagree with the canonical solution.
WRONG_DOCSTRINGS = {"HumanEval/47", "HumanEval/148"}


@pytest.fixture(scope="module")
def problems():
    from agents.tasks.humaneval.data import load_humaneval
    return load_humaneval()


@needs_sandbox
@pytest.mark.parametrize("stub, body, tests", fewshots.SOLVED)
def test_every_solved_example_passes_its_tests(stub, body, tests):
    from agents.tasks.humaneval.scoring import run_tests

    outcomes = run_tests(join_program(stub, body), tests)
    assert [o.passed for o in outcomes] == [True] * len(tests), [o.message for o in outcomes]
    assert docstring_tests(stub, stub.split("def ")[1].split("(")[0])[0] in tests  # its docstring example too


@needs_sandbox
@pytest.mark.parametrize("stub, body, results, reflection", fewshots.FAILED)
def test_every_failed_example_shows_what_its_code_really_prints(stub, body, results, reflection):
    from agents.tasks.humaneval.scoring import run_tests

    outcomes = run_tests(join_program(stub, body), [test for test, _, _ in results])
    assert [(o.test, o.passed, o.message) for o in outcomes] == results
    assert reflection.startswith("The implementation")  # the reflection template's first words


def test_no_example_is_a_humaneval_problem(problems):
    entry_points = {p["entry_point"] for p in problems}
    shown = [stub.split("def ")[1].split("(")[0] for stub, *_ in fewshots.SOLVED + fewshots.FAILED]
    assert not set(shown) & entry_points
    text = "\n".join(default_prompts().values())
    assert not any(p["prompt"].strip()[:80] in text for p in problems)


def test_the_templates_take_their_fields():
    prompts = default_prompts()
    code = prompts["template"].format(examples=prompts["examples"], memory="", prompt="def f(x):\n")
    assert code.endswith("def f(x):\n") and "count_vowels" in code
    tests = prompts["tests_template"].format(examples=prompts["tests_examples"], prompt="def f(x):\n")
    assert tests.endswith("def f(x):\n# Tests:\nassert")
    reflect = prompts["reflect_template"].format(examples=prompts["reflect_examples"], scratchpad="X")
    assert reflect.endswith("Previous trial:\nX\n\nReflection: The implementation")


@needs_sandbox
def test_docstring_examples_hold_for_the_canonical_solutions(problems):
    from agents.tasks.humaneval.scoring import run_tests

    picked = problems[::4]  # 41 problems: enough to catch a parsing slip, quick in the sandbox
    failures = {}
    for problem in picked:
        tests = docstring_tests(problem["prompt"], problem["entry_point"])
        outcomes = run_tests(problem["prompt"] + problem["canonical_solution"], tests, timeout=10)
        bad = [o.message for o in outcomes if not o.passed]
        if bad and problem["task_id"] not in WRONG_DOCSTRINGS:
            failures[problem["task_id"]] = bad
    assert failures == {}
    assert sum(bool(docstring_tests(p["prompt"], p["entry_point"])) for p in problems) >= 120
