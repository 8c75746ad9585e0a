"""The helpers the notebooks call: tables, a trajectory worth reading, plots. Thin by design: the
work is done in ``agents`` (``agents.engine.report``, ``agents.engine.plots``).

A "frame" is what :func:`agents.run_trials` returns (one row per attempt) or a run folder path.
"""
from __future__ import annotations

import os
from typing import Any

from agents.engine import report
from agents.engine.plots import find_runs, load_run, plot_success_rate as plot, save_figure, summary_table  # noqa: F401

__all__ = ["summarize", "log", "compare", "analyse", "viewer", "pick_trajectory", "show_trajectory", "plot", "save",
           "load_run", "find_runs"]


def _frame(frame: Any) -> Any:
    return load_run(frame) if isinstance(frame, (str, os.PathLike)) else frame


def _records(frame: Any) -> list[dict[str, Any]]:
    from agents.types import normalize_record

    frame = _frame(frame)
    return [normalize_record(r) for r in frame.to_dict("records")] if len(frame) else []


def summarize(frame: Any) -> Any:
    """One row per trial: attempts by outcome, samples solved so far, success rate, tokens, cost."""
    return summary_table(_frame(frame))


def log(frame: Any) -> str:
    """Every trajectory, grouped by trial and outcome (the run folder's ``log.txt``)."""
    return report.format_log(_records(frame))


def compare(runs: list[Any]) -> Any:
    """One row per run: label, feedback, model, environment, samples, and the success rate after each trial."""
    import pandas as pd
    from agents.engine.plots import run_info, run_label, success_curve

    rows = []
    for run in runs:
        frame = _frame(run)
        trials, rates = success_curve(frame)
        info = run_info(frame)
        rows.append({"run": run_label(frame), "task": info["task"], "feedback": info["feedback"],
                     "model": info["model"], "environment": info["environment"], "samples": info["n"],
                     "run_dir": frame.attrs.get("run_dir"),
                     **{f"trial {t}": r for t, r in zip(trials, rates)}})
    return pd.DataFrame(rows)


def pick_trajectory(frame: Any) -> tuple[str, list[dict[str, Any]]]:
    """The attempts of one sample worth reading, and why it was picked:

    - ``"fixed"``: the first sample that failed and was then solved (its reflection helped);
    - ``"failed"``: else the unsolved sample with the most trials and reflections behind it;
    - ``"none"``: no failures at all (or no attempts).
    """
    by_question: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(_records(frame), key=lambda r: r["trial"]):
        by_question.setdefault(record["sample_id"], []).append(record)
    for attempts in by_question.values():
        if len(attempts) > 1 and attempts[-1].get("correct") and not attempts[0].get("correct"):
            return "fixed", attempts
    failed = [a for a in by_question.values() if not any(r.get("correct") for r in a)]
    if failed:
        return "failed", max(failed, key=lambda a: (len(a), len(a[-1].get("reflections") or [])))
    return "none", []


def show_trajectory(frame: Any) -> None:
    """Print one failed-then-fixed sample, trial by trial, with the feedback and reflections shown."""
    kind, attempts = pick_trajectory(frame)
    if kind == "none":
        print("No failed attempt in this run: nothing was reflected on.")
        return
    if kind == "failed":
        print("Nothing was failed and then fixed in this run; here is the most-tried failure.\n")
    first = attempts[0]
    target = first.get("target", first.get("gold"))
    print(f"[{first['sample_id']}] {first.get('input', '')}")
    if target is not None and len(str(target)) < 200:
        print(f"target: {target!r}")
    for record in attempts:
        feedback = record.get("feedback") or {}
        print(f"\n=== trial {record['trial']}: {report.outcome(record)} "
              f"(answer {str(record.get('answer', ''))[:80]!r}; {feedback.get('source', '?')} feedback: "
              f"{'success' if feedback.get('success') else 'failure'}) ===")
        for note in record.get("reflections") or []:
            print(f"reflection shown: {note}")
        if record.get("last_attempt"):
            print("(shown its last attempt)")
        print(record.get("trajectory", ""))
        if record.get("error"):
            print(f"ERROR: {record['error']}")


def save(fig: Any, run_dir: Any, name: str = "success_rate") -> list[Any]:
    """Save ``fig`` as PNG and SVG into ``run_dir`` and print the paths."""
    paths = save_figure(fig, run_dir, name)
    for path in paths:
        print(f"saved {path}")
    return paths


def analyse(runs: Any, task: str = "hotpotqa", n_resamples: int = 2000, paper: bool = True):
    """The reviewer's view of every run of ``task`` under ``runs`` (roots or run folders): the
    per-trial table with bootstrap CIs, the paired tests between strategies, and the figure with
    bands (see ``agents.engine.analysis``; ``python -m agents report`` writes the same to disk).

    Returns ``(ci_table, paired_table, figure)``; ``(None, None, None)`` when there is no run.
    """
    from agents import get_task
    from agents.engine import analysis
    from agents.engine.report_cli import load_runs

    paths = runs if isinstance(runs, (list, tuple)) else [runs]
    found = load_runs([p for p in paths if find_runs(p)]).get(task, []) if paths else []
    if not found:
        print(f"No {task} runs under {', '.join(str(p) for p in paths)} yet.")
        return None, None, None
    the_task = get_task(task)
    curves = the_task.paper_curves() if paper else None
    return (analysis.ci_table(found, n_resamples=n_resamples), analysis.paired_table(found, n_resamples=n_resamples),
            analysis.plot_ci_bands(found, paper=curves, n_resamples=n_resamples, paper_agent=the_task.paper_agent))


def viewer(runs: Any, path: Any, task: str = "hotpotqa"):
    """Write the trial viewer (one self-contained HTML file) of ``task``'s runs and show it inline."""
    from agents.engine.report_cli import load_runs
    from agents.engine.viewer import write_viewer

    found = load_runs(runs if isinstance(runs, (list, tuple)) else [runs]).get(task, [])
    written = write_viewer(found, path)
    print(f"viewer: {written} (open it in a browser; it needs no server)")
    try:
        from IPython.display import IFrame
        return IFrame(src=os.path.relpath(written), width="100%", height=620)
    except ImportError:
        return written
