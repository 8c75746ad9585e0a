"""The original Reflexion code's logged HotPotQA runs, as reference curves.

Exact per-trial counts of questions solved (out of 100), from the run logs in the original
repository (noahshinn/reflexion, ``hotpotqa_runs/root/*``; Shinn et al., 2023, arXiv:2303.11366).
Every curve ran under *oracle* feedback (the gold answer decided each retry) with that era's
OpenAI models; the figure labels say so.

>>> PAPER_CURVES["ReAct + Reflexion"]["solved"][:3]
[32, 42, 48]
>>> paper_curves("react")["original ReAct + Reflexion (GPT-3.5/4-era model, oracle feedback, logged)"][1]
0.42
"""
from __future__ import annotations

MODEL = "GPT-3.5/4-era model"  # the logs ran text-davinci-003 (ReAct) and gpt-3.5/gpt-4 (CoT)

PAPER_CURVES: dict[str, dict] = {
    "ReAct": {"agent": "react", "strategy": "base", "solved": [34, 34, 34, 34, 34, 34, 34]},
    "ReAct + Reflexion": {"agent": "react", "strategy": "reinagent",
                          "solved": [32, 42, 48, 50, 51, 53, 53]},
    "CoT (gold context) + Reflexion": {"agent": "cot_context", "strategy": "reinagent",
                                       "solved": [61, 69, 69, 70, 72, 74, 75, 75]},
    "CoT (no context) + Reflexion": {"agent": "cot_no_context", "strategy": "reinagent",
                                     "solved": [32, 37, 40, 40, 40]},
    "CoT (no context)": {"agent": "cot_no_context", "strategy": "base", "solved": [32, 33, 33, 33, 33]},
}
N_QUESTIONS = 100


def paper_curves(agent: str | None = None) -> dict[str, list[float]]:
    """Label -> success rate per trial (trial 1 first), for one agent type or all of them."""
    return {f"original {label} ({MODEL}, oracle feedback, logged)": [n / N_QUESTIONS for n in curve["solved"]]
            for label, curve in PAPER_CURVES.items() if agent is None or curve["agent"] == agent}


def paper_n(label: str) -> int:
    """Every logged HotPotQA curve counts the same 100 questions."""
    return N_QUESTIONS


def paper_agent(label: str) -> str | None:
    """The agent type a reference label belongs to, so a plot draws it in that agent's colour.

    >>> paper_agent("original CoT (gold context) + Reflexion (GPT-3.5/4-era model, oracle feedback, logged)")
    'cot_context'
    """
    for name, curve in PAPER_CURVES.items():
        if label.startswith(f"original {name} ("):
            return curve["agent"]
    return None
