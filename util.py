"""The helpers the notebooks call: tables, a trajectory worth reading, plots. Thin by design: the
work is done in ``agents`` (``report.summarize``, ``report.format_log``, ``plots``).

A "frame" is what :func:`agents.run_trials` returns (one row per attempt) or a run folder path.
"""
from __future__ import annotations

import os
from typing import Any

from agents import report
from agents.plots import find_runs, load_run, plot_success_rate as plot, save_figure, summary_table  # noqa: F401

__all__ = ["summarize", "log", "compare", "pick_trajectory", "show_trajectory", "plot", "save",
           "load_run", "find_runs"]


def _frame(frame: Any) -> Any:
    return load_run(frame) if isinstance(frame, (str, os.PathLike)) else frame


def _records(frame: Any) -> list[dict[str, Any]]:
    frame = _frame(frame)
    return frame.to_dict("records") if len(frame) else []


def summarize(frame: Any) -> Any:
    """One row per trial: attempts by outcome, questions solved so far, success rate, tokens, cost."""
    return summary_table(_frame(frame))


def log(frame: Any) -> str:
    """Every trajectory, grouped by trial and outcome (the run folder's ``log.txt``)."""
    return report.format_log(_records(frame))


def compare(runs: list[Any]) -> Any:
    """One row per run: label, model, questions, trials and the success rate after each trial."""
    import pandas as pd
    from agents.plots import manifest_of, run_label, success_curve

    rows = []
    for run in runs:
        frame = _frame(run)
        trials, rates = success_curve(frame)
        manifest = manifest_of(frame)
        rows.append({"run": run_label(frame), "model": manifest.get("model_id"),
                     "questions": len(manifest.get("dataset_ids") or []) or None,
                     "run_dir": frame.attrs.get("run_dir"),
                     **{f"trial {t}": r for t, r in zip(trials, rates)}})
    return pd.DataFrame(rows)


def pick_trajectory(frame: Any) -> tuple[str, list[dict[str, Any]]]:
    """The attempts of one question worth reading, and why it was picked:

    - ``"fixed"``: the first question that failed and was then solved (its reflection helped);
    - ``"failed"``: else the unsolved question with the most trials and reflections behind it;
    - ``"none"``: no failures at all (or no attempts).
    """
    by_question: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(_records(frame), key=lambda r: r["trial"]):
        by_question.setdefault(record["question_id"], []).append(record)
    for attempts in by_question.values():
        if len(attempts) > 1 and attempts[-1].get("correct") and not attempts[0].get("correct"):
            return "fixed", attempts
    failed = [a for a in by_question.values() if not any(r.get("correct") for r in a)]
    if failed:
        return "failed", max(failed, key=lambda a: (len(a), len(a[-1].get("reflections") or [])))
    return "none", []


def show_trajectory(frame: Any) -> None:
    """Print one failed-then-fixed question, trial by trial, with the reflections that were shown."""
    kind, attempts = pick_trajectory(frame)
    if kind == "none":
        print("No failed attempt in this run: nothing was reflected on.")
        return
    if kind == "failed":
        print("No question was failed and then fixed in this run; here is the most-tried failure.\n")
    first = attempts[0]
    print(f"[{first['question_id']}] {first.get('question', '')}\ngold answer: {first.get('gold')!r}")
    for record in attempts:
        print(f"\n=== trial {record['trial']}: {report.outcome(record)} "
              f"(answer {record.get('answer', '')!r}) ===")
        for note in record.get("reflections") or []:
            print(f"reflection shown: {note}")
        if record.get("last_attempt"):
            print("(shown its last attempt)")
        print(record.get("scratchpad", ""))
        if record.get("error"):
            print(f"ERROR: {record['error']}")


def save(fig: Any, run_dir: Any, name: str = "success_rate") -> list[Any]:
    """Save ``fig`` as PNG and SVG into ``run_dir`` and print the paths."""
    paths = save_figure(fig, run_dir, name)
    for path in paths:
        print(f"saved {path}")
    return paths
