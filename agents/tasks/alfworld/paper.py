"""The original Reflexion code's logged ALFWorld runs, as reference curves.

Games solved (of 134, the ``valid_unseen`` split) by each trial, under *oracle* feedback (the
environment's success signal decided each retry), with text-davinci-003 acting and reflecting.
Source: the run logs in the original repository (noahshinn/reflexion; Shinn et al., 2023,
"Reflexion: Language Agents with Verbal Reinforcement Learning", arXiv:2303.11366):

- ReAct + Reflexion: ``alfworld_runs/reflexion_run_logs/env_results_trial_{0..14}.json`` (some of
  them under ``alfworld_runs/root/reflexion_run_logs/``). The last file lists, per game, whether it
  was solved and the reflections written before it was; a game solved at trial *k* carries *k*
  reflections, which gives the whole curve. Checks: 50 games failed trial 1 (the trial-0 file),
  and the trial-13 file has exactly one unsolved game where the trial-14 file has none.
- ReAct, no memory (its retries were shown no reflection): ``alfworld_runs/root/base_run_logs/
  env_results_trial_{1,2,5}.json`` and ``alfworld_runs/base_run_logs/env_results_trial_{3,4}.json``.
  Trials 2 and 6 were counted game by game; trial 1 is the Reflexion run's (the no-memory run
  resumed from it: its games carry the same first reflections); trials 3-5 from the reflections
  each solved game carries and the files' sizes (each unsolved game adds one character,
  ``false`` against ``true``).

The logs number trials from 0 (``env_results_trial_0.json`` is the first); here the first is trial 1.
So the often-quoted "130 of 134 by trial 10" is this list's 11th value and "134 by trial 14" its 15th.

>>> PAPER_CURVES["ReAct + Reflexion"]["solved"][0], PAPER_CURVES["ReAct + Reflexion"]["solved"][-1]
(84, 134)
>>> paper_curves("react")["original ReAct, no memory (text-davinci-003, oracle feedback, logged)"][-1]
0.7537
"""
from __future__ import annotations

MODEL = "text-davinci-003"
N_GAMES = 134

PAPER_CURVES: dict[str, dict] = {
    "ReAct + Reflexion": {"agent": "react", "strategy": "reinagent",
                          "solved": [84, 103, 111, 113, 117, 118, 123, 126, 128, 129, 130, 130, 131, 133, 134]},
    "ReAct, no memory": {"agent": "react", "strategy": "base", "solved": [84, 94, 97, 98, 100, 101]},
}


def paper_curves(agent: str | None = None) -> dict[str, list[float]]:
    """Label -> share of the 134 games solved after each trial (trial 1 first)."""
    return {f"original {label} ({MODEL}, oracle feedback, logged)": [round(n / N_GAMES, 4) for n in curve["solved"]]
            for label, curve in PAPER_CURVES.items() if agent is None or curve["agent"] == agent}


def paper_n(label: str) -> int:
    """Every logged ALFWorld curve counts the 134 ``valid_unseen`` games (a 12-game run is a share of 12)."""
    return N_GAMES


def paper_agent(label: str) -> str | None:
    """The agent type a reference label belongs to (so a plot draws it in that agent's colour).

    >>> paper_agent("original ReAct + Reflexion (text-davinci-003, oracle feedback, logged)")
    'react'
    """
    for name, curve in PAPER_CURVES.items():
        if label.startswith(f"original {name} ("):
            return curve["agent"]
    return None
