"""Success rate per trial, the Reflexion paper's figure: one line per run, paper curves dashed.

A run is a folder written by :func:`agents.runner.run_trials` (or the DataFrame it returned). The
y value at trial k is the share of the run's questions solved in trials 1..k, recomputed from
``attempts.jsonl`` by :func:`agents.report.summarize`, so a plot never trusts a stale summary.

>>> import tempfile
>>> from agents.records import RunFolder
>>> folder = RunFolder(tempfile.mkdtemp())
>>> for qid, trial, ok in [("a", 1, True), ("b", 1, False), ("b", 2, True)]:
...     folder.append({"question_id": qid, "trial": trial, "correct": ok, "agent": "cot",
...                    "strategy": "reinagent"})
>>> success_curve(load_run(folder.path))
([1, 2], [0.5, 1.0])
>>> fig = plot_success_rate([folder.path], paper={"paper (approx.)": [0.4, 0.6]})
>>> [line.get_label() for line in fig.axes[0].get_lines()]
['cot/reinagent', 'paper (approx.)']
>>> [p.suffix for p in save_figure(fig, folder.path)]
['.png', '.svg']
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable

from .records import RunFolder
from .report import summarize


def _headless_backend() -> None:
    """Use Agg when nothing can show a window (CLI, CI); notebooks keep their inline backend."""
    import matplotlib

    in_kernel = "ipykernel" in sys.modules
    if not in_kernel and not os.environ.get("MPLBACKEND") and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")


# Approximate read-offs (not published numbers) of Shinn et al., 2023, "Reflexion: Language Agents
# with Verbal Reinforcement Learning" (arXiv:2303.11366), Fig. 4, HotPotQA (100 questions,
# GPT-3.5/4-era models). The paper's trial 0 is plotted here as trial 1.
PAPER_HOTPOTQA = {
    "paper ReAct only (approx.)": [0.32, 0.32, 0.33, 0.33, 0.34, 0.34, 0.34],
    "paper ReAct + Reflexion (approx.)": [0.32, 0.42, 0.48, 0.50, 0.52, 0.54, 0.54],
    "paper CoT only (approx.)": [0.32, 0.33, 0.33, 0.33, 0.33, 0.33, 0.34],
    "paper CoT + Reflexion (approx.)": [0.32, 0.37, 0.40, 0.40, 0.40, 0.40, 0.40],
    "paper CoT (GT) only (approx.)": [0.61, 0.61, 0.61, 0.61, 0.61, 0.61, 0.61, 0.61],
    "paper CoT (GT) + Reflexion (approx.)": [0.61, 0.70, 0.70, 0.71, 0.73, 0.75, 0.75, 0.75],
}


def load_run(run_dir: str | os.PathLike) -> Any:
    """A run folder's attempts as a DataFrame; ``attrs`` hold ``run_dir`` and the ``manifest``.

    A torn last line (a run killed mid-write) is dropped with a warning, as on resume.
    """
    import pandas as pd

    path = Path(run_dir)
    if not (path / "attempts.jsonl").exists() and not (path / "manifest.json").exists():
        raise FileNotFoundError(f"not a run folder (no attempts.jsonl or manifest.json): {path}")
    folder = RunFolder(path)
    frame = pd.DataFrame(folder.load())
    frame.attrs["run_dir"] = str(path)
    frame.attrs["manifest"] = folder.read_manifest() or {}
    return frame


def find_runs(root: str | os.PathLike) -> list[Path]:
    """Run folders (those with a ``manifest.json``) at or under ``root``, sorted: a results root
    (``<agent>/<strategy>/<run-name>/``), one agent's or strategy's folder, or a run folder."""
    return sorted(p.parent for p in Path(root).rglob("manifest.json"))


def _as_frame(run: Any) -> Any:
    if isinstance(run, (str, os.PathLike)):
        return load_run(run)
    return run  # a DataFrame from run_trials or load_run


def manifest_of(frame: Any) -> dict[str, Any]:
    """The run's ``manifest.json`` (from ``attrs``, or read from ``attrs["run_dir"]``), or ``{}``."""
    if "manifest" in frame.attrs:
        return frame.attrs["manifest"] or {}
    run_dir = frame.attrs.get("run_dir")
    if run_dir and (Path(run_dir) / "manifest.json").exists():
        return json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    return {}


def run_label(frame: Any) -> str:
    """``<agent>/<strategy>`` from the manifest, else from the records (``"cot_context/reinagent"``)."""
    manifest = manifest_of(frame)
    agent = manifest.get("agent") or (frame["agent"].iloc[0] if "agent" in frame and len(frame) else "?")
    strategy = manifest.get("strategy") or (
        frame["strategy"].iloc[0] if "strategy" in frame and len(frame) else "?")
    return f"{agent}/{strategy}"


def success_curve(frame: Any) -> tuple[list[int], list[float]]:
    """Trials and cumulative success rates of one run (over the manifest's question count)."""
    table = summary_table(frame)
    return [int(t) for t in table.index], [float(r) for r in table["success_rate"]]


def summary_table(frame: Any) -> Any:
    """The per-trial table of one run as a DataFrame indexed by trial (see :func:`report.summarize`)."""
    import pandas as pd

    records = frame.to_dict("records") if len(frame) else []
    n_questions = len(manifest_of(frame).get("dataset_ids") or []) or None
    rows = summarize(records, n_questions)
    columns = list(rows[0]) if rows else ["trial", "attempted", "correct", "incorrect", "halted",
                                          "errors", "solved", "success_rate"]
    return pd.DataFrame(rows, columns=columns).set_index("trial")


def plot_success_rate(runs: Any, ax: Any = None, paper: dict[str, Iterable[float]] | None = None,
                      title: str | None = None) -> Any:
    """Plot success rate per trial for ``runs`` (folders or DataFrames; one or a list) and return
    the figure. ``paper`` maps a label to rates for trials 1, 2, ...; drawn dashed."""
    _headless_backend()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if isinstance(runs, (str, os.PathLike)) or hasattr(runs, "attrs"):
        runs = [runs]
    frames = [_as_frame(run) for run in runs]
    labels = [run_label(frame) for frame in frames]
    # Two runs of the same agent/strategy (say two models) are told apart by their folder name.
    repeated = {label for label in labels if labels.count(label) > 1}
    labels = [f"{label} ({Path(frame.attrs['run_dir']).name})"
              if label in repeated and frame.attrs.get("run_dir") else label
              for frame, label in zip(frames, labels)]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
    else:
        fig = ax.figure
    for frame, label in zip(frames, labels):
        trials, rates = success_curve(frame)
        ax.plot(trials, rates, marker="o", label=label)
    for label, rates in (paper or {}).items():
        rates = list(rates)
        ax.plot(range(1, len(rates) + 1), rates, linestyle="--", marker=".", alpha=0.7, label=label)
    ax.set_xlabel("Trial")
    ax.set_ylabel("Proportion of questions solved")
    ax.set_ylim(-0.02, 1.02)  # a margin, so a curve at 0 or 1 is not hidden by the frame
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.set_title(title or "HotPotQA: success rate per trial")
    entries = len(frames) + len(paper or {})
    if entries > 4:  # beside the axes, so no curve hides behind it
        fig.set_size_inches(9.6, 4.2)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif entries:
        ax.legend(fontsize="small", loc="best")
    fig.tight_layout()
    return fig


def save_figure(fig: Any, run_dir: str | os.PathLike, name: str = "success_rate") -> list[Path]:
    """Write ``<run_dir>/<name>.png`` (150 dpi) and ``.svg``; return both paths."""
    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    for path in paths:
        fig.savefig(path, dpi=150 if path.suffix == ".png" else "figure", bbox_inches="tight")
    return paths
