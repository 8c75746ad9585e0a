"""The helpers the notebooks call: tables, a trajectory worth reading, plots. Thin by design: the
work is done in ``agents`` (``agents.engine.report``, ``agents.engine.plots``).

A "frame" is what :func:`agents.run_trials` returns (one row per attempt) or a run folder path.
"""
from __future__ import annotations

import os
from typing import Any

from agents.engine import report
from agents.engine.plots import find_runs, load_run, plot_success_rate as plot, save_figure, summary_table  # noqa: F401
from agents.engine.schema import is_correct

__all__ = ["summarize", "log", "compare", "analyse", "viewer", "pick_trajectory", "show_trajectory", "plot", "save",
           "load_run", "find_runs"]


def _frame(frame: Any) -> Any:
    return load_run(frame) if isinstance(frame, (str, os.PathLike)) else frame


def _records(frame: Any) -> list[dict[str, Any]]:
    from agents.engine.runs import Run
    from agents.types import normalize_record

    return [normalize_record(r) for r in Run.of(frame).records]


def summarize(frame: Any) -> Any:
    """One row per trial: attempts by outcome, samples solved so far, success rate, tokens, cost."""
    return summary_table(_frame(frame))


def log(frame: Any) -> str:
    """Every trajectory, grouped by trial and outcome (the run folder's ``log.txt``)."""
    return report.format_log(_records(frame))


def compare(runs: list[Any]) -> Any:
    """One row per run: its label (unique: what differs between runs is in it), feedback, model,
    environment, samples, the success rate after each trial, and last, the run folder (long, so it
    does not push the scores off screen)."""
    import pandas as pd
    from agents.engine.plots import success_curve
    from agents.engine.runs import describe_runs

    rows = []
    for info in describe_runs(runs):
        trials, rates = success_curve(info.frame())
        rows.append({"run": info.label, "feedback": info.feedback_source, "model": info.model,
                     "environment": info.environment, "samples": info.n,
                     **{f"trial {t}": r for t, r in zip(trials, rates)},
                     "task": info.task, "run_dir": info.run_dir or None})
    table = pd.DataFrame(rows)
    trials = [c for c in table.columns if str(c).startswith("trial ")]
    return table[["run", "feedback", "samples", *trials, "model", "environment", "task", "run_dir"]] if rows else table


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
        if len(attempts) > 1 and is_correct(attempts[-1]) and not is_correct(attempts[0]):
            return "fixed", attempts
    failed = [a for a in by_question.values() if not any(is_correct(r) for r in a)]
    if failed:
        return "failed", max(failed, key=lambda a: (len(a), len(a[-1].get("reflections") or [])))
    return "none", []


def _answer_lines(record: dict[str, Any], answer_format: str) -> tuple[str, list[str]]:
    """What the trial header says about the answer, and the lines to print under it, by what the
    task's answer is: a short text (quoted in the header), code (a block below the header, its
    whitespace kept), or an action (the last command sent: the environment decided, so the header
    gives the verdict and the number of steps, not the command)."""
    answer = record.get("answer")
    answer = "" if answer is None or answer != answer else str(answer)
    if answer_format == "code":
        return "code below", ["--- code ---", *(answer.splitlines() or ["(none)"]), "--- end of code ---"]
    if answer_format == "action":
        steps = record.get("steps")
        said = f"after {int(steps)} steps" if isinstance(steps, (int, float)) and steps == steps and steps else ""
        last = f"; last command {answer!r}" if answer else ""
        return f"{'won' if is_correct(record) else 'not won'} {said}{last}".replace("  ", " ").strip(), []
    shown = answer if len(answer) <= 80 else answer[:77] + "..."
    return f"answer {shown!r}", []


def show_trajectory(frame: Any) -> None:
    """Print one failed-then-fixed sample, trial by trial, with the feedback and reflections shown.
    The answer is shown as the task's answers read (``answer_format``: text, code, or an action)."""
    from agents.engine.runs import task_attribute

    kind, attempts = pick_trajectory(frame)
    if kind == "none":
        print("No failed attempt in this run: nothing was reflected on.")
        return
    if kind == "failed":
        print("Nothing was failed and then fixed in this run; here is the most-tried failure.\n")
    first = attempts[0]
    answer_format = task_attribute(str(first.get("task") or "hotpotqa"), "answer_format", "text")
    target = first.get("target", first.get("gold"))
    print(f"[{first['sample_id']}] {first.get('input', '')}")
    if target is not None and len(str(target)) < 200:
        print(f"target: {target!r}")
    for record in attempts:
        feedback = record.get("feedback") or {}
        said, below = _answer_lines(record, answer_format)
        print(f"\n=== trial {record['trial']}: {report.outcome(record)} ({said}; "
              f"{feedback.get('source', '?')} feedback: {'success' if feedback.get('success') else 'failure'}) ===")
        for line in below:
            print(line)
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


def analyse(runs: Any, task: str = "hotpotqa", n_resamples: int = 2000, paper: bool = True,
            interval: str = "wilson"):
    """The reviewer's view of every run of ``task`` under ``runs`` (roots or run folders): the
    per-trial table with confidence intervals (Wilson score by default; ``interval="bootstrap"``
    resamples ``n_resamples`` times), the paired tests between strategies, and the figure with
    bands (see ``agents.engine.analysis``; ``python -m agents report`` writes the same to disk).
    Pairs that cannot be compared (no shared samples, another feedback source) are printed as left out.

    Returns ``(ci_table, paired_table, figure)``; ``(None, None, None)`` when there is no run.
    """
    from agents import get_task
    from agents.engine import analysis
    from agents.engine.runs import load_runs

    paths = runs if isinstance(runs, (list, tuple)) else [runs]
    found = load_runs([p for p in paths if find_runs(p)]).get(task, []) if paths else []
    if not found:
        print(f"No {task} runs under {', '.join(str(p) for p in paths)} yet.")
        return None, None, None
    the_task = get_task(task)
    curves = the_task.paper_curves() if paper else None
    paired = analysis.paired_table(found, n_resamples=n_resamples, interval=interval)
    for note in paired.attrs.get("left_out") or []:
        print(f"left out of the paired comparisons: {note['run_a']} vs {note['run_b']}: {note['reason']}")
    return (analysis.ci_table(found, n_resamples=n_resamples, interval=interval), paired,
            analysis.plot_ci_bands(found, paper=curves, n_resamples=n_resamples, interval=interval))


def viewer(runs: Any, path: Any, task: str = "hotpotqa"):
    """Write the trial viewer (one self-contained HTML file) of ``task``'s runs and show it inline."""
    from agents.engine.runs import load_runs
    from agents.engine.viewer import write_viewer

    found = load_runs(runs if isinstance(runs, (list, tuple)) else [runs]).get(task, [])
    written = write_viewer(found, path)
    print(f"viewer: {written} (open it in a browser; it needs no server)")
    try:
        from IPython.display import IFrame
        return IFrame(src=os.path.relpath(written), width="100%", height=620)
    except ImportError:
        return written
