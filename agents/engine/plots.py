"""Success per trial, the Reflexion paper's figure: one line per run, reference curves dashed.

A run is a folder written by :func:`agents.engine.runner.run_trials` (or the DataFrame it returned).
The y value at trial k is the share of the run's samples whose latest answer is correct after trial
k (see :mod:`agents.engine.report`; HumanEval calls it pass@1), recomputed from ``attempts.jsonl``,
so a plot never trusts a stale summary. Colour says the agent, line style the strategy, marker the
feedback source (and where two runs differ only by their feedback source, the line and shade too);
a reference curve is drawn in its agent's colour, dashed and thin, with its own n when the sizes
differ. Runs of different tasks are never put on one axis.

>>> import tempfile
>>> from agents.engine.records import RunFolder
>>> folder = RunFolder(tempfile.mkdtemp())
>>> for qid, trial, ok in [("a", 1, True), ("b", 1, False), ("b", 2, True)]:
...     folder.append({"sample_id": qid, "trial": trial, "correct": ok, "agent": "cot_context",
...                    "strategy": "reinagent"})
>>> success_curve(load_run(folder.path))
([1, 2], [0.5, 1.0])
>>> fig = plot_success_rate([folder.path], paper={"reference": [0.4, 0.6]})
>>> [line.get_label() for line in fig.axes[0].get_lines()]
['cot_context · reinagent · oracle feedback', 'reference']
>>> [p.suffix for p in save_figure(fig, folder.path)]
['.png', '.svg']
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..tasks import title_and_unit
from .report import summarize, summary_columns
from .runs import Run, describe_runs, find_runs, read_manifest, task_attribute  # noqa: F401 - find_runs: API

# One colour per agent type (any task), one line style per strategy: a 20-run figure stays legible.
AGENT_COLOURS = {"react": "#1f77b4", "cot_context": "#d62728", "cot_no_context": "#2ca02c",
                 "alfworld_react": "#9467bd", "codegen": "#ff7f0e"}
_SPARE_COLOURS = ["#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
# Runs' lines: each arm's own (agents.memory.registry), else a spare one; "--" and ":" stay free
# for the reference curves (thin, faded).
_SPARE_STYLES = [(0, (3, 1, 1, 1)), (0, (8, 2)), (0, (2, 2))]
FEEDBACK_MARKERS = {"oracle": "o", "self": "s", "judge": "^", "tests": "D", "none": "v"}
# The line of a run whose twin differs only by feedback source (oracle keeps the strategy's line).
FEEDBACK_STYLES = {"tests": (0, (5, 1.5, 1, 1.5)), "self": (0, (2, 1)), "judge": (0, (7, 2)),
                   "none": (0, (1, 3))}
PAPER_MARKERS = ["x", "+", "1", "2", "3", "4", "|", "_"]


def run_styles(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """``color``, ``linestyle`` and ``marker`` per run (objects with ``agent``, ``strategy``,
    ``feedback_source`` and ``model``): colour = agent (shaded per model), line = strategy, marker =
    feedback source. Runs that differ *only* by feedback source (same agent, strategy and model)
    also differ in line and shade, so ``tests`` and ``oracle`` never look alike even in grey.

    >>> from types import SimpleNamespace as R
    >>> a, b = run_styles([R(agent="codegen", strategy="reinagent", feedback_source=f, model="m")
    ...                    for f in ("tests", "oracle")])
    >>> a["color"] != b["color"], a["linestyle"] != b["linestyle"], a["marker"] != b["marker"]
    (True, True, True)
    """
    import numpy as np
    from matplotlib.colors import to_rgb

    from ..memory.registry import plot_style

    model_shades = [0.0, 0.4, -0.35, 0.65, -0.55]
    spare: list[str] = []
    sources: dict[tuple, set] = {}
    for run in runs:
        sources.setdefault((run.agent, run.strategy, run.model), set()).add(run.feedback_source)
    out = []
    for run in runs:
        style = plot_style(run.strategy)  # what the arm's registry entry sets
        base = np.array(to_rgb(style.get("color") or agent_colour(run.agent)))
        models = list(dict.fromkeys(x.model for x in runs if x.agent == run.agent))
        shade = model_shades[models.index(run.model) % len(model_shades)]
        colour = base + (1 - base) * shade if shade > 0 else base * (1 + shade)
        if "linestyle" in style:
            line = style["linestyle"]
        else:
            spare += [run.strategy] if run.strategy not in spare else []
            line = _SPARE_STYLES[spare.index(run.strategy) % len(_SPARE_STYLES)]
        twins = sources[(run.agent, run.strategy, run.model)]
        if len(twins) > 1 and run.feedback_source != "oracle":
            line = FEEDBACK_STYLES.get(run.feedback_source, (0, (4, 1, 1, 1, 1, 1)))
            colour = colour * 0.6  # darker: the twin under oracle feedback keeps the agent's colour
        out.append({"color": tuple(float(c) for c in colour), "linestyle": line,
                    "marker": style.get("marker") or FEEDBACK_MARKERS.get(run.feedback_source, "P")})
    return out


def paper_label(label: str, n: int | None, unit: str, sizes_differ: bool) -> str:
    """A reference curve's legend entry: marked as the paper's, with its n where sizes differ.

    >>> paper_label("original ReAct (logged)", 134, "games", True)
    'original ReAct (logged) (n = 134 games)'
    """
    shown = label if "logged" in label or "reported" in label else f"{label} (paper's logged reference)"
    if sizes_differ:
        shown += f" (n = {n} {unit})" if n else " (n not stated)"
    return shown


def metric_of(task: str) -> tuple[str, str]:
    """What the per-trial share is called for ``task`` and what it means, as the task says.

    >>> metric_of("humaneval")[0], metric_of("hotpotqa")
    ('pass@1', ('success', 'latest answer after trial k is correct'))
    """
    return (str(task_attribute(task, "metric", "success")),
            str(task_attribute(task, "metric_note", "latest answer after trial k is correct")))


def setting_words(task: str, what: str = "per trial") -> str:
    """A figure's title: ``'HumanEval: pass@1 per trial'``."""
    title = title_and_unit(task)[0] if task else "no runs"
    return f"{title}: {metric_of(task)[0]} {what}"


def y_label(task: str, sizes: Iterable[int | None], unit: str) -> str:
    """The y axis of a success-per-trial figure: always a share; its n when every curve has the same.

    >>> y_label("humaneval", {164}, "problems").splitlines()
    ['pass@1: share of 164 problems', '(latest code after trial k passes the hidden tests)']
    >>> y_label("alfworld", {12, 134}, "games").splitlines()[0]
    "success: share of games (each curve's n in the legend)"
    """
    name, meaning = metric_of(task)
    sizes = set(sizes)
    n_text = f"{sizes.pop()} {unit}" if len(sizes) == 1 and None not in sizes else \
        f"{unit} (each curve's n in the legend)"
    return f"{name}: share of {n_text}\n({meaning})"


def _headless_backend() -> None:
    """Use Agg when nothing can show a window (CLI, CI); notebooks keep their inline backend."""
    import matplotlib

    in_kernel = "ipykernel" in sys.modules
    if not in_kernel and not os.environ.get("MPLBACKEND") and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")


def load_run(run_dir: str | os.PathLike) -> Any:
    """A run folder's *final* attempts as a DataFrame (one row per sample and trial, current field
    names); ``attrs`` hold ``run_dir`` and the ``manifest``. A torn last line is dropped with a
    warning, as on resume. (:meth:`agents.engine.runs.Run.read` then ``.frame()``.)"""
    return Run.read(run_dir).frame()


def _as_frame(run: Any) -> Any:
    if isinstance(run, (str, os.PathLike)):
        return load_run(run)
    if isinstance(run, Run):
        return run.frame()
    return run  # a DataFrame from run_trials or load_run


def manifest_of(frame: Any) -> dict[str, Any]:
    """The run's ``manifest.json`` (from ``attrs``, or read from ``attrs["run_dir"]``), or ``{}``."""
    if frame.attrs.get("manifest"):
        return frame.attrs["manifest"]
    run_dir = frame.attrs.get("run_dir")
    if run_dir and (Path(run_dir) / "manifest.json").exists():
        return read_manifest(run_dir).to_json()
    return {}


def run_info(frame: Any) -> dict[str, Any]:
    """Task, agent, strategy, feedback source, model, environment and sample count of a run."""
    run = Run.of(frame)
    known = lambda value, default: default if value in ("?", "") else value  # noqa: E731
    return {
        "task": run.task, "agent": run.agent, "strategy": run.strategy,
        "feedback": known(run.feedback_source, "oracle"), "model": run.manifest.model_id or "?",
        "environment": (run.manifest.environment or {}).get("label") or "", "n": run.n,
        "unit": run.manifest.unit or "samples",
    }


def run_label(frame: Any) -> str:
    """The run's label as the report writes it: ``agent · strategy · <source> feedback`` (and
    ``replay (temperature 0)`` for the none arm at temperature 0), e.g.
    ``"cot_context · reinagent · oracle feedback"``."""
    return Run.of(_as_frame(frame)).base_label()


def success_curve(frame: Any) -> tuple[list[int], list[float]]:
    """Trials and success rates of one run (over the manifest's sample count)."""
    table = summary_table(frame)
    return [int(t) for t in table.index], [float(r) for r in table["success_rate"]]


def summary_table(frame: Any) -> Any:
    """The per-trial table of one run as a DataFrame indexed by trial (see :func:`report.summarize`)."""
    import pandas as pd

    records = frame.to_dict("records") if len(frame) else []
    n_samples = len(manifest_of(frame).get("dataset_ids") or []) or None
    rows = summarize(records, n_samples)
    return pd.DataFrame(rows, columns=summary_columns(rows)).set_index("trial")


def agent_colour(agent: str, _seen: dict[str, str] = {}) -> str:  # noqa: B006 (a deliberate memo)
    """The agent's colour; unknown agents get spare colours in order of appearance."""
    if agent in AGENT_COLOURS:
        return AGENT_COLOURS[agent]
    if agent not in _seen:
        _seen[agent] = _SPARE_COLOURS[len(_seen) % len(_SPARE_COLOURS)]
    return _seen[agent]


def as_run(frame: Any) -> Run:
    """A frame (or run folder) as the :class:`~agents.engine.runs.Run` the report works on."""
    return Run.of(_as_frame(frame))


def plot_success_rate(runs: Any, ax: Any = None, paper: dict[str, Iterable[float]] | None = None,
                      title: str | None = None, paper_agent: Callable[[str], str | None] | None = None,
                      paper_n: Callable[[str], int | None] | None = None) -> Any:
    """Plot success per trial for ``runs`` (folders or DataFrames; one or a list) and return the
    figure. ``paper`` maps a label to rates for trials 1, 2, ...; ``paper_agent(label)`` names the
    agent whose colour a reference curve takes (grey otherwise) and ``paper_n(label)`` its sample
    count, shown when it differs from the runs' (the y axis is a share either way). Labels are the
    report's (:func:`agents.engine.analysis.describe_runs`): unique, saying what differs."""
    _headless_backend()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if isinstance(runs, (str, os.PathLike)) or hasattr(runs, "attrs"):
        runs = [runs]
    frames = [_as_frame(run) for run in runs]
    infos = describe_runs([as_run(frame) for frame in frames])
    tasks = sorted({info.task for info in infos})
    if len(tasks) > 1:
        raise ValueError(f"these runs belong to different tasks ({', '.join(tasks)}): plot each task "
                         "on its own figure")
    task = tasks[0] if tasks else ""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
    else:
        fig = ax.figure
    unit = title_and_unit(task)[1] if task else "samples"
    # The task knows its references: their agents (colour) and sizes, unless the caller says.
    paper_agent = paper_agent or task_attribute(task, "paper_agent", None)
    paper_n = paper_n or task_attribute(task, "paper_n", None)
    paper_sizes = {label: (paper_n(label) if paper_n else None) for label in (paper or {})}
    sizes = {x.n for x in infos} | {n for n in paper_sizes.values() if n}  # a reference's unstated n claims nothing
    sizes_differ = len(sizes) > 1
    for i, (frame, info, style) in enumerate(zip(frames, infos, run_styles(infos))):
        trials, rates = success_curve(frame)
        # A tiny offset keeps lines that sit on top of each other (all at 0, say) visible.
        offset = (i - (len(frames) - 1) / 2) * 0.004 if len(frames) > 1 else 0.0
        label = info.label + (f" (n = {info.n} {unit})" if sizes_differ else "")
        ax.plot(trials, [r + offset for r in rates], label=label, markersize=4, linewidth=1.6, **style)
    for label, rates in (paper or {}).items():
        rates = list(rates)
        agent = paper_agent(label) if paper_agent else None
        # Drawn like their agent's runs (colour) and strategy (a reference labelled "Reflexion" used
        # the memory; one without it did not), but thin, faded and without markers.
        strategy = "reinagent" if "reflexion" in label.lower() else "base"
        ax.plot(range(1, len(rates) + 1), rates, linestyle="--" if strategy == "reinagent" else ":",
                linewidth=1.1, alpha=0.55, color=agent_colour(agent) if agent else "#555555",
                label=paper_label(label, paper_sizes[label], unit, sizes_differ) if sizes_differ else label)
    ax.set_xlabel("Trial")
    ax.set_ylabel(y_label(task, sizes, unit))
    ax.set_ylim(-0.02, 1.02)  # a margin, so a curve at 0 or 1 is not hidden by the frame
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    models = sorted({info.model for info in infos})
    environments = sorted({info.environment for info in infos if info.environment != "environment not stated"})
    subtitle = ", ".join(models[:2]) + (f" +{len(models) - 2}" if len(models) > 2 else "")
    if environments:
        subtitle += " · " + "; ".join(environments)
    ax.set_title(title or f"{setting_words(task)}\n{subtitle}", fontsize="medium")
    entries = len(frames) + len(paper or {})
    longest = max((len(text) for text in ax.get_legend_handles_labels()[1]), default=0)
    # Beside the axes when there are many entries or long ones (the original's reference labels run
    # to 150 characters: inside a 6.4-inch axes they covered the curves and the y label).
    if entries > 3 or longest > 45:  # ... so no curve hides behind it, in as many columns as fit
        columns = 1 + entries // 24
        fig.set_size_inches(max(11, 6.0 + 0.052 * longest * columns),
                            max(4.2, 0.22 * entries / columns + 1.5))
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  ncol=1 + entries // 24, frameon=False)
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
