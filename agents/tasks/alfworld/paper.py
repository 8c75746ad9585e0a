"""The original Reflexion code's logged ALFWorld runs, as reference curves, labelled for what they are.

Games solved (of 134, the ``valid_unseen`` split) by each trial, under *oracle* feedback (the
environment's success signal decided each retry). The code that wrote the logs (noahshinn/reflexion,
commit 878a144, 2023-05-18, ``alfworld_runs/``) acted with **text-davinci-002** (100-token replies,
cut at a newline, at most 50 steps; a reply under 5 characters asked again at a rising temperature)
and reflected with **text-davinci-003** (256 tokens; the query showed the game's last 3 plans).
Source: the run logs in that repository (Shinn et al., 2023, arXiv:2303.11366):

- ReAct + Reflexion: ``alfworld_runs/root/reflexion_run_logs/env_results_trial_{0..14}.json``; the
  count of ``is_success`` in each file is the curve. Checks: 50 games failed trial 1, and the last
  file has none unsolved.
- "ReAct, no memory": ``alfworld_runs/root/base_run_logs/env_results_trial_{0..6}.json``, counted the
  same way: 84, 94, 97, 98, 100, 101, 101. It is **not a clean no-memory run**: its failed games carry
  1 to 4 reflections (1 after trial 1, 2 after trial 2, 3 after trial 3, then 4 and no more), so the
  memory grew through its first four trials and then froze; the label says so.

The logs number trials from 0 (``env_results_trial_0.json`` is the first); here the first is trial 1.
So the often-quoted "130 of 134 by trial 10" is this list's 11th value and "134 by trial 14" its 15th.

>>> PAPER_CURVES["ReAct + Reflexion"]["solved"][0], PAPER_CURVES["ReAct + Reflexion"]["solved"][-1]
(84, 134)
>>> [round(134 * r) for r in paper_curves("react")[NO_MEMORY_LABEL]]
[84, 94, 97, 98, 100, 101, 101]
"""
from __future__ import annotations

ACTOR, REFLECTOR = "text-davinci-002", "text-davinci-003"
N_GAMES = 134
SETTINGS = "100-token actions, 50 steps"

PAPER_CURVES: dict[str, dict] = {
    "ReAct + Reflexion": {"agent": "react", "strategy": "reinagent",
                          "solved": [84, 103, 111, 113, 117, 118, 123, 126, 128, 129, 130, 130, 131, 133, 134]},
    "ReAct, no memory": {"agent": "react", "strategy": "base", "solved": [84, 94, 97, 98, 100, 101, 101],
                         "note": "memory grew through trials 1-4, then froze"},
}


def label_of(name: str) -> str:
    """A curve's legend: what ran, with which models and settings, and what its feedback was.

    >>> label_of("ReAct + Reflexion")
    'original ReAct + Reflexion (text-davinci-002 acting, text-davinci-003 reflecting, 100-token actions, 50 steps, oracle feedback, logged, 134 games)'
    """
    curve = PAPER_CURVES[name]
    note = f"; {curve['note']}" if curve.get("note") else ""
    return (f"original {name} ({ACTOR} acting, {REFLECTOR} reflecting, {SETTINGS}, oracle feedback, "
            f"logged, {N_GAMES} games{note})")


REFLEXION_LABEL = label_of("ReAct + Reflexion")
NO_MEMORY_LABEL = label_of("ReAct, no memory")


def paper_curves(agent: str | None = None) -> dict[str, list[float]]:
    """Label -> share of the 134 games solved after each trial (trial 1 first)."""
    return {label_of(name): [round(n / N_GAMES, 4) for n in curve["solved"]]
            for name, curve in PAPER_CURVES.items() if agent is None or curve["agent"] == agent}


def paper_agent(label: str) -> str | None:
    """The agent type a reference label belongs to (so a plot draws it in that agent's colour).

    >>> paper_agent(REFLEXION_LABEL)
    'react'
    """
    for name, curve in PAPER_CURVES.items():
        if label.startswith(f"original {name} ("):
            return curve["agent"]
    return None
