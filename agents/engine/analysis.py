"""The report: CI tables, paired comparisons, the success-per-trial figure with bands, cost vs success.

A run is given as ``(records, manifest)``: the attempt dicts and the manifest dict, however they were
loaded (a run folder, a notebook's DataFrame ``.to_dict("records")``, a test fixture). Every number is
recomputed from the records, and every table and figure names the feedback source, because a curve
under ``self`` feedback is not the same claim as one under ``oracle`` feedback.

>>> recs = [{"sample_id": s, "trial": 1, "correct": s != "b", "feedback_source": "oracle"}
...         for s in "abc"] + [{"sample_id": "b", "trial": 2, "correct": True}]
>>> run = (recs, {"task": "hotpotqa", "agent": "react", "strategy": "reinagent",
...               "feedback_source": "oracle", "model_id": "m", "dataset_ids": ["a", "b", "c"]})
>>> table = ci_table([run], n_resamples=500)
>>> table[["run", "trial", "rate"]].round(3).values.tolist()
[['react · reinagent · oracle feedback', 1, 0.667], ['react · reinagent · oracle feedback', 2, 1.0]]
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from agents.tasks import title_and_unit
from agents.engine.stats import (bootstrap_ci, mcnemar_exact, outcome_matrix, pair, paired_bootstrap,
                                 sample_id_of)

# Order of "how much memory trial k+1 sees": in a pair, A is the later one, so A - B reads as the
# gain of the richer strategy over the poorer one.
STRATEGY_ORDER = ("base", "last_trial", "reinagent", "last_trial_and_reinagent")

Run = tuple  # (records: list[dict], manifest: dict)


@dataclass(eq=False)  # identity, not field equality: two identical runs are still two runs
class RunInfo:
    """What a table row or legend entry says about a run; ``ids``/``n_trials`` define its matrix."""
    label: str
    task: str
    agent: str
    strategy: str
    feedback_source: str
    model: str
    environment: str
    ids: list
    n_trials: int
    records: list
    _matrix: Any = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    def matrix(self) -> np.ndarray:
        """The outcome matrix (computed once: a run takes part in several pairs)."""
        if self._matrix is None:
            self._matrix = outcome_matrix(self.records, self.ids, self.n_trials)[1]
        return self._matrix


def _field(manifest: dict, records: list, key: str, *record_keys: str, default: str = "?") -> str:
    """A manifest value, else the records' single value (``"mixed: a, b"`` if they disagree)."""
    if manifest.get(key) not in (None, ""):
        return str(manifest[key])
    values = []
    for record in records:
        for rk in record_keys or (key,):
            value = record.get(rk)
            if rk == "feedback" and isinstance(value, dict):
                value = value.get("source")
            if value not in (None, ""):
                values.append(str(value))
                break
    values = list(dict.fromkeys(values))
    if not values:
        return default
    return values[0] if len(values) == 1 else "mixed: " + ", ".join(values)


def _environment(value: Any) -> str:
    """The manifest's environment as words: its ``label`` (a dict from the runner), or the text.

    >>> _environment({"kind": "offline docstore", "pages": 1000, "label": "offline docstore, 1000 pages"})
    'offline docstore, 1000 pages'
    """
    if isinstance(value, dict):
        return str(value.get("label") or value.get("kind") or "environment not stated")
    return str(value or "environment not stated")


def describe_runs(runs: Iterable[Run]) -> list[RunInfo]:
    """One :class:`RunInfo` per run, with labels ``agent · strategy · <source> feedback`` made
    unique by adding the model (then ``#i``) where two runs would read the same."""
    infos = []
    for i, run in enumerate(runs):
        if not (isinstance(run, (tuple, list)) and len(run) == 2 and isinstance(run[1], (dict, type(None)))):
            raise TypeError(f"run {i} is not a (records, manifest) pair; pass e.g. "
                            "(folder.load(), folder.read_manifest()) or (frame.to_dict('records'), {})")
        records, manifest = list(run[0]), dict(run[1] or {})
        ids = [str(s) for s in manifest.get("dataset_ids") or []] or list(
            dict.fromkeys(sample_id_of(r) for r in records))
        n_trials = int(manifest.get("n_trials") or max((int(r["trial"]) for r in records), default=1))
        info = RunInfo(
            label=str(manifest.get("label") or ""),
            task=_field(manifest, records, "task"),
            agent=_field(manifest, records, "agent"),
            strategy=_field(manifest, records, "strategy"),
            feedback_source=_field(manifest, records, "feedback_source", "feedback_source", "feedback"),
            model=_field(manifest, records, "model_id", "model_id", "model", default="model not stated"),
            environment=_environment(manifest.get("environment")),
            ids=ids, n_trials=n_trials, records=records)
        info.label = info.label or f"{info.agent} · {info.strategy} · {info.feedback_source} feedback"
        infos.append(info)
    for make_unique in (lambda i, x: f"{x.label} · {x.model}", lambda i, x: f"{x.label} #{i + 1}"):
        labels = [x.label for x in infos]
        for i, info in enumerate(infos):
            if labels.count(info.label) > 1:
                info.label = make_unique(i, info)
    return infos


def ci_table(runs: Iterable[Run], n_resamples: int = 10_000, level: float = 0.95, seed: int = 0) -> Any:
    """One row per (run, trial): the success rate after trial k with its percentile bootstrap CI
    over the run's samples (see :func:`agents.engine.stats.bootstrap_ci`)."""
    import pandas as pd

    rows = []
    for info in describe_runs(runs):
        matrix = info.matrix()
        ci = bootstrap_ci(matrix, n_resamples, level, seed) if info.n else None
        for k in range(info.n_trials):
            rows.append({
                "run": info.label, "task": info.task, "agent": info.agent, "strategy": info.strategy,
                "feedback_source": info.feedback_source, "model": info.model,
                "environment": info.environment, "n": info.n, "trial": k + 1,
                "correct": int(matrix[:, k].sum()),
                "rate": float(ci.rate[k]) if ci else np.nan,
                "ci_low": float(ci.low[k]) if ci else np.nan,
                "ci_high": float(ci.high[k]) if ci else np.nan,
                "level": level, "n_resamples": n_resamples, "seed": seed})
    return pd.DataFrame(rows, columns=_CI_COLUMNS)


_CI_COLUMNS = ["run", "task", "agent", "strategy", "feedback_source", "model", "environment", "n",
               "trial", "correct", "rate", "ci_low", "ci_high", "level", "n_resamples", "seed"]
_PAIRED_COLUMNS = ["run_a", "run_b", "task", "agent", "model", "strategy_a", "strategy_b",
                   "feedback_source_a", "feedback_source_b", "differs", "n_paired", "trial", "final_trial",
                   "rate_a", "rate_b", "diff", "diff_low", "diff_high", "bootstrap_p",
                   "mcnemar_b", "mcnemar_c", "discordant", "mcnemar_p", "level", "n_resamples", "seed"]


def _strategy_rank(strategy: str) -> int:
    return STRATEGY_ORDER.index(strategy) if strategy in STRATEGY_ORDER else -1


def paired_table(runs: Iterable[Run], n_resamples: int = 10_000, level: float = 0.95,
                 seed: int = 0) -> Any:
    """Paired comparisons of runs with the same task, agent and model that differ in strategy *or*
    in feedback source, not both (that difference would have two causes; ``differs`` says which), on
    the samples they share and the trials both ran. One row per (pair, trial):
    the bootstrap difference A - B with CI and p (:func:`~agents.engine.stats.paired_bootstrap`) and
    the exact McNemar test at that trial; ``final_trial`` marks the row to read first. A is the run
    whose strategy shows more memory (``STRATEGY_ORDER``), so a positive ``diff`` is a gain."""
    import pandas as pd

    infos = describe_runs(runs)
    rows = []
    for x, y in combinations(infos, 2):
        if (x.task, x.agent, x.model) != (y.task, y.agent, y.model):
            continue
        differs = [name for name, same in (("strategy", x.strategy == y.strategy),
                                           ("feedback source", x.feedback_source == y.feedback_source))
                   if not same]
        if len(differs) != 1:
            continue  # a repeat of one configuration, or a confounded pair
        a, b = (y, x) if _strategy_rank(y.strategy) > _strategy_rank(x.strategy) else (x, y)
        ids, ma, mb = pair(a.ids, a.matrix(), b.ids, b.matrix())
        boot = paired_bootstrap(ma, mb, n_resamples, level, seed)
        for k in range(ma.shape[1]):
            test = mcnemar_exact(ma[:, k], mb[:, k])
            rows.append({
                "run_a": a.label, "run_b": b.label, "task": a.task, "agent": a.agent,
                "model": a.model, "strategy_a": a.strategy, "strategy_b": b.strategy,
                "feedback_source_a": a.feedback_source, "feedback_source_b": b.feedback_source,
                "differs": differs[0], "n_paired": len(ids), "trial": k + 1,
                "final_trial": k == ma.shape[1] - 1,
                "rate_a": float(ma[:, k].mean()), "rate_b": float(mb[:, k].mean()),
                "diff": float(boot.diff[k]), "diff_low": float(boot.low[k]),
                "diff_high": float(boot.high[k]), "bootstrap_p": float(boot.pvalue[k]),
                "mcnemar_b": test.b, "mcnemar_c": test.c, "discordant": test.discordant,
                "mcnemar_p": test.pvalue, "level": level, "n_resamples": n_resamples, "seed": seed})
    return pd.DataFrame(rows, columns=_PAIRED_COLUMNS)


# ---------------------------------------------------------------------------------------- figures
# Colour says agent, line style says strategy, marker says feedback source; dashes are kept for
# the paper's curves so a reference is never mistaken for a run.
_STYLES = {"base": (0, (1, 1.5)), "last_trial": "-.", "reinagent": "-",
           "last_trial_and_reinagent": (0, (6, 1.5, 1, 1.5, 1, 1.5))}
_EXTRA_STYLES = [(0, (3, 1, 1, 1)), (0, (8, 2)), (0, (2, 2))]
_MARKERS = {"oracle": "o", "self": "s", "judge": "^", "tests": "D", "none": "v"}
_PAPER_MARKERS = ["x", "+", "1", "2", "3", "4", "|", "_"]


def _figure(width: float, height: float, panels: int = 1) -> tuple[Any, list]:
    """A pyplot-free figure: it renders with Agg (headless-safe, no window, no global state), and a
    notebook still shows it inline when it is a cell's value."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, panels, sharey=True, squeeze=False)[0]
    return fig, list(axes)


def _colours(infos: Sequence[RunInfo]) -> list:
    """The agent's colour (the same as every other figure of the kit, :func:`plots.agent_colour`);
    runs of one agent on several models get lighter/darker shades."""
    from matplotlib.colors import to_rgb

    from .plots import agent_colour

    shades = [0.0, 0.4, -0.35, 0.65, -0.55]
    out = []
    for info in infos:
        base = np.array(to_rgb(agent_colour(info.agent)))
        models = list(dict.fromkeys(x.model for x in infos if x.agent == info.agent))
        shade = shades[models.index(info.model) % len(shades)]
        out.append(tuple(base + (1 - base) * shade if shade > 0 else base * (1 + shade)))
    return out


def _style(strategy: str, known: list) -> Any:
    if strategy in _STYLES:
        return _STYLES[strategy]
    if strategy not in known:
        known.append(strategy)
    return _EXTRA_STYLES[known.index(strategy) % len(_EXTRA_STYLES)]


def _one_or_list(values: Iterable[str]) -> str:
    values = list(dict.fromkeys(values))
    return values[0] if len(values) == 1 else ", ".join(values)


def _count_list(values: Iterable[str]) -> str:
    """'oracle (2 runs), self (1 run)'."""
    values = list(values)
    counts = {v: values.count(v) for v in dict.fromkeys(values)}
    return ", ".join(f"{v} ({c} run{'s' if c > 1 else ''})" for v, c in counts.items())


def _setting_line(infos: Sequence[RunInfo]) -> str:
    """'model: m · offline docstore · n = 100 questions' for the subtitle."""
    ns = sorted({x.n for x in infos})
    unit = _unit(infos)
    n_text = f"n = {ns[0]} {unit}" if len(ns) == 1 else f"n = {min(ns)}–{max(ns)} {unit} (see legend)"
    return (f"model: {_one_or_list(x.model for x in infos)} · "
            f"{_one_or_list(x.environment for x in infos)} · {n_text}")


def _unit(infos: Sequence[RunInfo]) -> str:
    units = {title_and_unit(x.task)[1] for x in infos}
    return units.pop() if len(units) == 1 else "samples"


def _task_title(infos: Sequence[RunInfo]) -> str:
    return _one_or_list(title_and_unit(x.task)[0] for x in infos) if infos else "no runs"


def _legend(ax: Any, entries: int, handles: tuple = ()) -> None:
    """Beside the (rightmost) axes, outside, so it never hides a curve; two columns past 30 entries."""
    if entries:
        ax.legend(*handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  fontsize="small", ncol=2 if entries > 30 else 1, frameon=False)


def plot_ci_bands(runs: Iterable[Run], paper: dict[str, Iterable[float]] | None = None,
                  n_resamples: int = 10_000, level: float = 0.95, seed: int = 0,
                  title: str | None = None, paper_agent: Any = None) -> Any:
    """Success per trial, one line per run with its bootstrap band; ``paper`` maps a label to the
    paper's logged rates for trials 1, 2, ... (dashed, thin; in the colour of the agent that
    ``paper_agent(label)`` names, grey otherwise). Returns a matplotlib Figure.

    >>> recs = [{"sample_id": s, "trial": 1, "correct": s == "a"} for s in "ab"]
    >>> fig = plot_ci_bands([(recs, {"agent": "cot", "strategy": "base", "feedback_source": "oracle"})],
    ...                     paper={"CoT only": [0.3, 0.3]}, n_resamples=200)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['cot · base · oracle feedback', "CoT only (paper's logged reference)"]
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    infos = describe_runs(runs)
    n_entries = len(infos) + len(paper or {})
    # The legend gets its own column of the figure: wider past 6 entries, taller past ~15.
    fig, (ax,) = _figure(9.0 if n_entries <= 6 else 12.5, max(4.8, 0.21 * n_entries + 1.6))
    band_alpha = 0.12 if len(infos) <= 6 else 0.06  # many overlapping bands would turn to mud
    colours, extra = _colours(infos), []
    ns = {x.n for x in infos}
    for info, colour in zip(infos, colours):
        if not info.n:
            continue
        ci = bootstrap_ci(info.matrix(), n_resamples, level, seed)
        trials = np.arange(1, info.n_trials + 1)
        label = info.label + (f" (n={info.n})" if len(ns) > 1 else "")
        style = _style(info.strategy, extra)
        # Band edges in the run's line style tell apart bands of one agent (same colour).
        ax.fill_between(trials, ci.low, ci.high, facecolor=(*colour[:3], band_alpha),
                        edgecolor=(*colour[:3], 0.45), linestyle=style, linewidth=0.7)
        ax.plot(trials, ci.rate, color=colour, linestyle=style, linewidth=1.8,
                marker=_MARKERS.get(info.feedback_source, "P"), markersize=4.5, label=label)
    from .plots import agent_colour

    for i, (label, rates) in enumerate((paper or {}).items()):
        rates = [float(r) for r in rates]
        agent = paper_agent(label) if paper_agent else None
        colour = agent_colour(agent) if agent else str(0.25 + 0.45 * (i % 4) / 3)
        shown = label if "logged" in label or "reported" in label else f"{label} (paper's logged reference)"
        ax.plot(range(1, len(rates) + 1), rates, linestyle="--" if "reflexion" in label.lower() else ":",
                linewidth=1.2, alpha=0.7, color=colour, marker=_PAPER_MARKERS[i % len(_PAPER_MARKERS)],
                markersize=4, label=shown)
    ax.set_xlabel("trial k")
    n_text = str(ns.pop()) if len(ns) == 1 else "N"
    ax.set_ylabel(f"share of {n_text} {_unit(infos)} correct\n(latest answer after trial k)")
    ax.set_ylim(-0.02, 1.02)  # a margin, so a curve at 0 % or 100 % is not hidden by the frame
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    fig.suptitle(title or f"{_task_title(infos)}: success per trial, {level:.0%} bootstrap CI",
                 fontweight="bold")
    ax.set_title(_setting_line(infos) if infos else "", fontsize="small")
    ax.annotate(f"Bands: percentile bootstrap over {_unit(infos)} ({n_resamples:,} resamples, seed "
                f"{seed}). Colour = agent, line = strategy, marker = feedback source.",
                xy=(0, -0.16), xycoords="axes fraction", fontsize="x-small", color="0.35",
                annotation_clip=False)
    _legend(ax, n_entries)
    return fig


def _cumulative_spend(info: RunInfo) -> tuple[np.ndarray, np.ndarray]:
    """Tokens and USD per sample spent in trials 1..k (all attempts, right or wrong)."""
    tokens, cost = np.zeros(info.n_trials), np.zeros(info.n_trials)
    ids = set(info.ids)
    for r in info.records:
        k = int(r["trial"])
        if 1 <= k <= info.n_trials and sample_id_of(r) in ids:
            tokens[k - 1] += (r.get("input_tokens") or 0) + (r.get("output_tokens") or 0)
            cost[k - 1] += r.get("cost_usd") or 0.0
    return np.cumsum(tokens) / max(1, info.n), np.cumsum(cost) / max(1, info.n)


def plot_cost_vs_success(runs: Iterable[Run], title: str | None = None) -> Any:
    """Success after trial k against the tokens (and USD, when any run recorded a cost) spent per
    sample through trial k: one point per (run, trial), connected per run, trial 1 leftmost.

    >>> recs = [{"sample_id": "a", "trial": 1, "correct": True, "input_tokens": 90, "output_tokens": 10}]
    >>> fig = plot_cost_vs_success([(recs, {"agent": "cot", "strategy": "base"})])
    >>> len(fig.axes), fig.axes[0].get_lines()[0].get_xydata().tolist()
    (1, [[100.0, 1.0]])
    """
    from matplotlib.ticker import PercentFormatter

    infos = [x for x in describe_runs(runs) if x.n]
    spend = [_cumulative_spend(x) for x in infos]
    with_cost = any(c.any() for _, c in spend)
    fig, axes = _figure(10.5 if with_cost else 8.5, 4.6, panels=2 if with_cost else 1)
    extra = []
    for info, colour, (tokens, cost) in zip(infos, _colours(infos), spend):
        rate = info.matrix().mean(axis=0)
        style = dict(color=colour, linestyle=_style(info.strategy, extra), linewidth=1.5,
                     marker=_MARKERS.get(info.feedback_source, "P"), markersize=4.5)
        axes[0].plot(tokens, rate, label=info.label, **style)
        if with_cost:
            axes[1].plot(cost, rate, **style)
    axes[0].set_xlabel("cumulative tokens per sample (input + output), trials 1..k")
    axes[0].set_ylabel(f"share of {_unit(infos)} correct\n(latest answer after trial k)")
    if with_cost:
        axes[1].set_xlabel("cumulative cost per sample (USD), trials 1..k")
    for ax in axes:
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
    fig.suptitle(title or f"{_task_title(infos)}: success vs. spend per trial", fontweight="bold")
    axes[0].set_title(_setting_line(infos) if infos else "", fontsize="small", loc="left")
    axes[0].annotate("One point per trial; trial 1 is each line's leftmost point.", xy=(0, -0.16),
                     xycoords="axes fraction", fontsize="x-small", color="0.35", annotation_clip=False)
    _legend(axes[-1], len(infos), handles=axes[0].get_legend_handles_labels())
    return fig


# ----------------------------------------------------------------------------------------- report
def _markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _report_markdown(infos: Sequence[RunInfo], cis: Any, paired: Any, n_resamples: int,
                     level: float, seed: int) -> str:
    unit = _unit(infos)
    sizes = ", ".join(f"{x.n} ({x.label})" for x in infos) if len({x.n for x in infos}) > 1 \
        else f"{infos[0].n}" if infos else "0"
    parts = [
        f"# {_task_title(infos)}: success per trial",
        "",
        f"- Feedback source: {_count_list(x.feedback_source for x in infos)} (every run's own source is "
        "in its label and in the tables)",
        f"- Model: {_one_or_list(x.model for x in infos)}",
        f"- Environment: {_one_or_list(x.environment for x in infos)}",
        f"- Sample size: n = {sizes} {unit} per run; paired comparisons use the ids both runs share.",
        f"- Intervals: {level:.0%} percentile bootstrap over {unit}, {n_resamples:,} resamples, seed {seed}.",
        "- Success after trial k: share of the run's samples whose latest answer up to trial k is "
        "correct (ground truth; a sample whose feedback said success is not retried and keeps its answer).",
        "",
        "## Runs",
        _markdown_table(["run", "task", "agent", "strategy", "feedback", "model", "environment", "n",
                         "trials"],
                        [[x.label, x.task, x.agent, x.strategy, x.feedback_source, x.model,
                          x.environment, x.n, x.n_trials] for x in infos]),
        "",
        f"## Success per trial, rate [{level:.0%} CI]",
    ]
    trials = sorted(set(cis["trial"])) if len(cis) else []
    rows = []
    for label, group in cis.groupby("run", sort=False):
        by_trial = {t: f"{r:.2f} [{lo:.2f}, {hi:.2f}]" for t, r, lo, hi in
                    zip(group["trial"], group["rate"], group["ci_low"], group["ci_high"])}
        rows.append([label, group["feedback_source"].iloc[0]] + [by_trial.get(t, "") for t in trials])
    parts += [_markdown_table(["run", "feedback"] + [f"trial {t}" for t in trials], rows), ""]
    parts += ["## Paired comparisons (final common trial; A − B)"]
    final = paired[paired["final_trial"]] if len(paired) else paired
    if len(final):
        parts.append(_markdown_table(
            ["A", "B", "n paired", "trial", "A − B", f"{level:.0%} CI", "bootstrap p",
             "McNemar b (A✓B✗)", "c (A✗B✓)", "discordant", "McNemar p"],
            [[r.run_a, r.run_b, r.n_paired, r.trial, f"{r.diff:+.3f}",
              f"[{r.diff_low:+.3f}, {r.diff_high:+.3f}]", f"{r.bootstrap_p:.4f}", r.mcnemar_b,
              r.mcnemar_c, r.discordant, f"{r.mcnemar_p:.4g}"] for r in final.itertuples()]))
        parts.append("\nPer-trial differences are in `paired.csv`. The bootstrap p is twice the "
                     "smaller share of resampled differences on either side of 0 (+1 smoothed).")
    else:
        parts.append("No two runs share task, agent and model and differ in exactly one of strategy "
                     "and feedback source.")
    parts += ["", "## Figures", "", "![success per trial](success_ci.png)", "",
              "![success vs spend](cost_vs_success.png)", "",
              "Trajectories, side by side per trial: [viewer.html](viewer.html). "
              "Tables: `ci_table.csv`, `paired.csv`.", ""]
    return "\n".join(parts)


def write_report(runs: Iterable[Run], out_dir: str | os.PathLike,
                 paper: dict[str, Iterable[float]] | None = None, n_resamples: int = 10_000,
                 seed: int = 0, level: float = 0.95, paper_agent: Any = None) -> list[Path]:
    """Write ``ci_table.csv``, ``paired.csv``, ``success_ci.png/.svg``, ``cost_vs_success.png/.svg``,
    ``viewer.html`` and ``report.md`` into ``out_dir``; return their paths in that order."""
    from agents.engine.viewer import write_viewer

    runs = list(runs)
    if not runs:
        raise ValueError("write_report needs at least one (records, manifest) run")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    infos = describe_runs(runs)
    cis = ci_table(runs, n_resamples, level, seed)
    paired = paired_table(runs, n_resamples, level, seed)
    paths = [out / "ci_table.csv", out / "paired.csv"]
    cis.to_csv(paths[0], index=False)
    paired.to_csv(paths[1], index=False)
    figures = {"success_ci": plot_ci_bands(runs, paper, n_resamples, level, seed, paper_agent=paper_agent),
               "cost_vs_success": plot_cost_vs_success(runs)}
    for name, fig in figures.items():
        for suffix in (".png", ".svg"):
            fig.savefig(out / f"{name}{suffix}", dpi=150, bbox_inches="tight")
            paths.append(out / f"{name}{suffix}")
    paths.append(write_viewer(runs, out / "viewer.html"))
    report = out / "report.md"
    report.write_text(_report_markdown(infos, cis, paired, n_resamples, level, seed), encoding="utf-8")
    paths.append(report)
    return paths
