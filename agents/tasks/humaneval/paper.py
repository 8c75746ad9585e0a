"""Reference numbers for HumanEval: the original code's logged run and the paper's reported figures.

**Logged** (per trial, exact): the original repository (noahshinn/reflexion, commit 4e42b24,
``programming_runs/root/reflexion_human_eval_py_logging/humaneval-py..gz_reflexion_5_gpt-4_pass_at_k_1_py.jsonl``)
holds GPT-4's Reflexion run with up to 5 iterations, for 85 problems (HumanEval/0 to HumanEval/84;
the log ends there). Each record has ``is_solved`` and the ``reflections`` written, so a solved
problem was solved at iteration ``len(reflections) + 1``. Counted by hand from that file:

====================  ==  ==  ==  ==  ==  ========
solved at iteration    1   2   3   4   5  unsolved
problems              57   6   0   0  12        10
====================  ==  ==  ==  ==  ==  ========

**Its protocol** (``programming_runs/reflexion.py``, same commit): retries are driven by the
model's *own* tests (written once per problem); the hidden tests run once, on the implementation
where the loop stopped: when its own tests passed, or at the last iteration whatever they said
(hence the jump at iteration 5). That is this kit's ``tests`` feedback, not ``oracle``, and the
label says so. "Solved by iteration k" counts problems stopped by then with the hidden tests
passed: a lower bound on this kit's pass@1 after trial k.

**Reported** (Shinn et al., 2023, arXiv:2303.11366, abstract and Table 1): pass@1 on HumanEval
(Python; the original's copy has 161 problems) of 91% for GPT-4 + Reflexion against 80% for GPT-4
alone. Only final numbers: the baseline is drawn flat (one attempt), Reflexion's 91% is kept in
:data:`REPORTED` for tables.

>>> [round(r, 3) for r in paper_curves()[LOGGED_LABEL]]
[0.671, 0.741, 0.741, 0.741, 0.882]
>>> paper_agent(LOGGED_LABEL)
'codegen'
"""
from __future__ import annotations

SOLVED_AT = {1: 57, 2: 6, 3: 0, 4: 0, 5: 12}  # problems first solved at each iteration
N_LOGGED = 85                                   # HumanEval/0..84, the problems the log holds
LOGGED_LABEL = "original Reflexion (GPT-4, self-written-tests feedback, logged, 85 problems)"
BASELINE_LABEL = "original GPT-4 alone (one attempt, reported 80%)"
REPORTED = {"GPT-4 (no reflection)": 0.80, "GPT-4 + Reflexion": 0.91}
SOURCE = ("noahshinn/reflexion@4e42b24 programming_runs/root/reflexion_human_eval_py_logging/"
          "humaneval-py..gz_reflexion_5_gpt-4_pass_at_k_1_py.jsonl; Shinn et al. 2023, Table 1")


def logged_curve() -> list[float]:
    """Share of the logged problems solved by iteration 1..5."""
    solved, curve = 0, []
    for iteration in sorted(SOLVED_AT):
        solved += SOLVED_AT[iteration]
        curve.append(solved / N_LOGGED)
    return curve


def paper_curves(agent: str | None = None) -> dict[str, list[float]]:
    """Label -> pass@1 per trial (trial 1 first). Every curve is the ``codegen`` agent's."""
    if agent not in (None, "codegen"):
        return {}
    return {LOGGED_LABEL: logged_curve(), BASELINE_LABEL: [REPORTED["GPT-4 (no reflection)"]] * len(SOLVED_AT)}


def paper_agent(label: str) -> str | None:
    """The agent a reference curve belongs to (for its colour in a plot)."""
    return "codegen" if label.startswith("original ") else None
