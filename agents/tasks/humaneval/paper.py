"""Reference numbers for HumanEval: the original code's logged runs, counted from its files.

**pass@1, as the original defines it**: per problem, the hidden tests of the implementation where
the loop stopped (its own tests passed, or the last iteration came). After trial k that is this
kit's ``success_rate`` (the latest implementation up to trial k, judged by the hidden tests); the
per-trial hidden score of each attempt is recorded beside it under its own name (``correct``, and
``solved``: correct at some trial, the oracle's view).

**The paper's run** (91 %, Shinn et al. 2023, arXiv:2303.11366, Table 1): GPT-4, Reflexion with
the model's own tests, 10 iterations, all 164 problems, in the original repository (noahshinn/reflexion)
at commit 891dbd3 (2023-03-26), ``root/reflexion_test_run/reflexion_10_gpt-4_pass_at_k_1.jsonl``
(later moved to ``programming_runs/root/reflexion_humaneval_py_pass_at_1/``). Each record has
``is_solved`` and the ``reflections`` written, so a solved problem was solved at iteration
``len(reflections) + 1``: 134 at iteration 1, 6 at 2, 2 at 3, 8 at 10, 14 never.

======  ===  ===  ===  ===  ===  ===  ===  ===  ===  ===
iter      1    2    3    4    5    6    7    8    9   10
solved  134  140  142  142  142  142  142  142  142  150
======  ===  ===  ===  ===  ===  ===  ===  ===  ===  ===

**Baselines** (the original's ``simple`` strategy: one attempt, the hidden tests judge it): 134 of
164 in the log written with that code (commit 656c716, 2023-03-22, ``root/test_run/simple_1_gpt-4_pass_at_k_1.jsonl``)
and 141 of 164 in the later one (commit 5d9a5f2, 2023-04-03,
``root/simple_human_eval_py_logging/humaneval-py..gz_simple_1_gpt-4_pass_at_k_1_py.jsonl``).
Drawn flat: one attempt has no later trial.

**The 85-problem log** (commit 5d9a5f2, ``root/reflexion_human_eval_py_logging/..._reflexion_5_gpt-4_...jsonl``:
5 iterations, HumanEval/0 to /84, the file ends there) is kept for tables, labelled for what it is:
its code counted a first implementation that passed the model's own tests as solved *without*
running the hidden tests, so its curve as logged (57, 63, 63, 63, 75 of 85) is not pass@1; with
the hidden tests run on every stopped implementation it is 55, 61, 61, 61, 73 of 85
(:data:`LOG_85`). It is not drawn.

**Feedback quality** (``test-acc``, commit 4e42b24, ``programming_runs/root/testacc_humaneval_py/``):
GPT-4's own tests accepted the canonical solution on 96 of 164 problems.

>>> curves = paper_curves()
>>> [round(164 * r) for r in curves[LOGGED_LABEL]]
[134, 140, 142, 142, 142, 142, 142, 142, 142, 150]
>>> sorted(round(164 * c[0]) for label, c in curves.items() if label != LOGGED_LABEL)
[134, 141]
>>> paper_agent(LOGGED_LABEL)
'codegen'
"""
from __future__ import annotations

N_PROBLEMS = 164
SOLVED_BY = [134, 140, 142, 142, 142, 142, 142, 142, 142, 150]   # the paper's run, per iteration
LOGGED_LABEL = "original Reflexion (GPT-4, self-written tests, logged, 164 problems)"
SIMPLE = {  # label -> problems solved in one attempt, of 164
    "original GPT-4 simple (one attempt, logged 2023-03-22, 164 problems)": 134,
    "original GPT-4 simple (one attempt, logged 2023-04-03, 164 problems)": 141,
}
LOG_85 = {"label": "original Reflexion (GPT-4, 5 iterations, logged, 85 problems: its first iteration "
                   "not checked by the hidden tests)",
          "n": 85, "as_logged": [57, 63, 63, 63, 75], "hidden_tests_rerun": [55, 61, 61, 61, 73]}
TEST_ACC = {"n": 164, "accepted": 96}   # own tests accept the canonical solution
REPORTED = {"GPT-4 (no reflection)": 0.80, "GPT-4 + Reflexion": 0.91}
SOURCE = ("noahshinn/reflexion@891dbd3 root/reflexion_test_run/reflexion_10_gpt-4_pass_at_k_1.jsonl; "
          "@656c716 and @5d9a5f2 simple logs; Shinn et al. 2023, Table 1")


def logged_curve() -> list[float]:
    """Share of the 164 problems solved by iteration 1..10 in the paper's run."""
    return [n / N_PROBLEMS for n in SOLVED_BY]


def paper_curves(agent: str | None = None) -> dict[str, list[float]]:
    """Label -> pass@1 per trial (trial 1 first): the paper's run and the two one-attempt
    baselines (flat). Every curve is the ``codegen`` agent's."""
    if agent not in (None, "codegen"):
        return {}
    curves = {LOGGED_LABEL: logged_curve()}
    curves.update({label: [solved / N_PROBLEMS] * len(SOLVED_BY) for label, solved in SIMPLE.items()})
    return curves


def paper_agent(label: str) -> str | None:
    """The agent a reference curve belongs to (for its colour in a plot)."""
    return "codegen" if label.startswith("original ") else None
