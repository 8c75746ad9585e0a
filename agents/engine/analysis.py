"""The report: CI tables, paired comparisons, the success-per-trial figure with bands, cost vs success.

A run is anything :meth:`agents.engine.runs.Run.of` reads: a run folder, a notebook's DataFrame, a
:class:`~agents.engine.runs.Run`, or a ``(records, manifest)`` pair (a test fixture). Every number is
recomputed from the records, and every table and figure names the feedback source, because a curve
under ``self`` feedback is not the same claim as one under ``oracle`` feedback.

Intervals (:mod:`agents.engine.stats`): Wilson score for each share, Newcombe's hybrid score for a
paired difference, so that 3 of 3 (or 0 of 3) is never reported as certain; runs of fewer than
``TINY_N`` samples are flagged. Only runs of the same samples and the same feedback source are
paired; the others are listed as left out. Every run gets a label saying what sets it apart.

>>> recs = [{"sample_id": s, "trial": 1, "correct": s != "b", "feedback_source": "oracle"}
...         for s in "abc"] + [{"sample_id": "b", "trial": 2, "correct": True}]
>>> run = (recs, {"task": "hotpotqa", "agent": "react", "strategy": "reinagent",
...               "feedback_source": "oracle", "model_id": "m", "dataset_ids": ["a", "b", "c"]})
>>> table = ci_table([run])
>>> table[["run", "trial", "rate", "ci_high", "tiny_n"]].round(3).values.tolist()
[['react · reinagent · oracle feedback', 1, 0.667, 0.939, True], ['react · reinagent · oracle feedback', 2, 1.0, 1.0, True]]
>>> float(table["ci_low"].iloc[1]) < 1   # 3 of 3 is not certainty
True
"""
from __future__ import annotations

import os
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from agents.tasks import title_and_unit
from agents.engine.plots import (PAPER_MARKERS, agent_colour, metric_of, paper_label, run_styles,  # noqa: F401
                                 setting_words, y_label)
from agents.engine.runs import Run, RunInfo, describe_runs, task_attribute  # noqa: F401 - this module's API
from agents.engine.stats import (TINY_N, bootstrap_ci, is_tiny, mcnemar_exact, newcombe_paired_ci,
                                 pair, paired_bootstrap, sample_id_of, wilson_ci)
from agents.engine.viewer import write_viewer


INTERVALS = ("wilson", "bootstrap")


def _check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; choose one of: {', '.join(INTERVALS)} "
                         "(wilson: Wilson score for shares, Newcombe's hybrid score for paired "
                         "differences; bootstrap: percentile bootstrap over samples)")
    return interval


def share_interval(matrix: np.ndarray, interval: str = "wilson", level: float = 0.95,
                   n_resamples: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rate, low, high)`` per trial by the chosen method (see :func:`ci_table`)."""
    if _check_interval(interval) == "wilson":
        ci = wilson_ci(matrix, level)
    else:
        ci = bootstrap_ci(matrix, n_resamples, level, seed)
    return ci.rate, ci.low, ci.high


def interval_words(interval: str, level: float = 0.95, n_resamples: int = 10_000, seed: int = 0,
                   paired: bool = False) -> str:
    """How an interval was made, for captions and the ``interval`` column.

    >>> interval_words("wilson"), interval_words("wilson", paired=True)
    ('95% Wilson score interval', "95% Newcombe hybrid score interval (paired; from Wilson's)")
    """
    if _check_interval(interval) == "bootstrap":
        return (f"{level:.0%} {'paired ' if paired else ''}percentile bootstrap ({n_resamples:,} resamples, "
                f"seed {seed}; unreliable below n = {TINY_N} and at 0 or n correct)")
    if paired:
        return f"{level:.0%} Newcombe hybrid score interval (paired; from Wilson's)"
    return f"{level:.0%} Wilson score interval"


def _unreliable(interval: str, n: int, rate: float) -> bool:
    """Whether an interval should be read with care: tiny n always; a bootstrap also at 0 or 1,
    where every resample is the same and the interval collapses to a point."""
    return is_tiny(n) or (interval == "bootstrap" and rate in (0.0, 1.0))


def ci_table(runs: Iterable[Run], n_resamples: int = 10_000, level: float = 0.95, seed: int = 0,
             interval: str = "wilson") -> Any:
    """One row per (run, trial): the share correct after trial k with its interval over the run's
    samples: by default the Wilson score interval (:func:`agents.engine.stats.wilson_ci`), which
    never collapses at 0 or n; ``interval="bootstrap"`` for the percentile bootstrap
    (``n_resamples``, ``seed``). ``tiny_n`` flags runs of fewer than ``stats.TINY_N`` samples;
    ``unreliable`` also flags a bootstrap at 0 % or 100 %."""
    import pandas as pd

    _check_interval(interval)
    words = interval_words(interval, level, n_resamples, seed)
    rows = []
    for info in describe_runs(runs):
        matrix = info.matrix()
        rate, low, high = share_interval(matrix, interval, level, n_resamples, seed) if info.n else (None,) * 3
        for k in range(info.n_trials):
            r = float(rate[k]) if info.n else np.nan
            rows.append({
                "run": info.label, "task": info.task, "agent": info.agent, "strategy": info.strategy,
                "feedback_source": info.feedback_source, "model": info.model,
                "environment": info.environment, "n": info.n, "tiny_n": info.tiny, "trial": k + 1,
                "correct": int(matrix[:, k].sum()), "rate": r,
                "ci_low": float(low[k]) if info.n else np.nan,
                "ci_high": float(high[k]) if info.n else np.nan,
                "unreliable": _unreliable(interval, info.n, r), "interval": words, "level": level,
                "replay": info.replay, "run_dir": info.run_dir})
    return pd.DataFrame(rows, columns=_CI_COLUMNS)


_CI_COLUMNS = ["run", "task", "agent", "strategy", "feedback_source", "model", "environment", "n", "tiny_n",
               "trial", "correct", "rate", "ci_low", "ci_high", "unreliable", "interval", "level", "replay",
               "run_dir"]
_PAIRED_COLUMNS = ["run_a", "run_b", "task", "agent", "model", "strategy_a", "strategy_b",
                   "feedback_source", "differs", "n_paired", "tiny_n", "trial", "final_trial",
                   "rate_a", "rate_b", "diff", "diff_low", "diff_high", "unreliable", "interval",
                   "mcnemar_b", "mcnemar_c", "discordant", "mcnemar_p", "level"]


def _strategy_rank(strategy: str) -> int:
    """How much of earlier trials a recorded strategy shows: its arm's ``order`` in the registry
    (-1 for one it does not know). In a pair, A is the richer one, so A - B reads as the gain of
    the richer strategy over the poorer one; an arm registered later pairs by its own entry."""
    from ..memory.registry import rank

    return rank(strategy)


def paired_table(runs: Iterable[Run], n_resamples: int = 10_000, level: float = 0.95,
                 seed: int = 0, interval: str = "wilson") -> Any:
    """Paired comparisons of runs of the same task, agent, model and feedback source that differ in
    strategy, on the samples they share and the trials both ran. One row per (pair, trial): the
    difference of shares A - B with its interval (Newcombe's hybrid score by default, see
    :func:`~agents.engine.stats.newcombe_paired_ci`; or the paired bootstrap) and the exact McNemar
    test at that trial; ``final_trial`` marks the row to read first. A is the run whose strategy
    shows more memory (its arm's ``order``), so a positive ``diff`` is a gain.

    Pairs that would compare strategies but cannot be read as such are left out, and the table's
    ``attrs["left_out"]`` lists them with the reason: runs that share no sample id, and runs under
    different feedback sources (a share under ``oracle`` feedback is "solved by trial k", under
    ``tests`` or ``self`` the accuracy a user gets: two claims, not one).

    >>> run = lambda ids, source: ([{"sample_id": i, "trial": 1, "correct": True} for i in ids],
    ...     {"agent": "cot", "strategy": "base", "feedback_source": source, "dataset_ids": ids})
    >>> table = paired_table([run(["a"], "oracle"), (run(["b"], "oracle")[0], dict(run(["b"], "oracle")[1],
    ...                       strategy="reinagent"))])
    >>> len(table), [note["reason"] for note in table.attrs["left_out"]]
    (0, ['they share no sample ids'])
    """
    import pandas as pd

    _check_interval(interval)
    words = interval_words(interval, level, n_resamples, seed, paired=True)
    infos = describe_runs(runs)
    rows, left_out = [], []
    for x, y in combinations(infos, 2):
        if (x.task, x.agent, x.model) != (y.task, y.agent, y.model):
            continue  # another agent or model: not a comparison of strategies
        if x.strategy == y.strategy and x.feedback_source == y.feedback_source:
            continue  # a repeat of one arm (another seed, step limit...): nothing to pair
        a, b = (y, x) if _strategy_rank(y.strategy) > _strategy_rank(x.strategy) else (x, y)
        if a.feedback_source != b.feedback_source:
            left_out.append({"run_a": a.label, "run_b": b.label,
                             "reason": f"different feedback sources ({a.feedback_source} vs {b.feedback_source})"})
            continue
        try:
            ids, ma, mb = pair(a.ids, a.matrix(), b.ids, b.matrix())
        except ValueError:
            left_out.append({"run_a": a.label, "run_b": b.label, "reason": "they share no sample ids"})
            continue
        if interval == "wilson":
            ci = newcombe_paired_ci(ma, mb, level)
            diff, low, high = ci.diff, ci.low, ci.high
        else:
            boot = paired_bootstrap(ma, mb, n_resamples, level, seed)
            diff, low, high = boot.diff, boot.low, boot.high
        for k in range(ma.shape[1]):
            test = mcnemar_exact(ma[:, k], mb[:, k])
            degenerate = interval == "bootstrap" and float(low[k]) == float(high[k])
            rows.append({
                "run_a": a.label, "run_b": b.label, "task": a.task, "agent": a.agent,
                "model": a.model, "strategy_a": a.strategy, "strategy_b": b.strategy,
                "feedback_source": a.feedback_source, "differs": "strategy", "n_paired": len(ids),
                "tiny_n": is_tiny(len(ids)), "trial": k + 1, "final_trial": k == ma.shape[1] - 1,
                "rate_a": float(ma[:, k].mean()), "rate_b": float(mb[:, k].mean()),
                "diff": float(diff[k]), "diff_low": float(low[k]), "diff_high": float(high[k]),
                "unreliable": is_tiny(len(ids)) or degenerate, "interval": words,
                "mcnemar_b": test.b, "mcnemar_c": test.c, "discordant": test.discordant,
                "mcnemar_p": test.pvalue, "level": level})
    table = pd.DataFrame(rows, columns=_PAIRED_COLUMNS)
    table.attrs["left_out"] = left_out
    return table


# ---------------------------------------------------------------------------------------- figures
# Colour says agent, line style says strategy, marker says feedback source (and where two runs
# differ only by it, line and shade too): agents.engine.plots.run_styles, shared with every figure.
# Dashes are kept for the paper's curves so a reference is never mistaken for a run.


def _figure(width: float, height: float, panels: int = 1) -> tuple[Any, list]:
    """A pyplot-free figure: it renders with Agg (headless-safe, no window, no global state), and a
    notebook still shows it inline when it is a cell's value."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, panels, sharey=True, squeeze=False)[0]
    return fig, list(axes)


def _one_or_list(values: Iterable[str]) -> str:
    values = list(dict.fromkeys(values))
    return values[0] if len(values) == 1 else ", ".join(values)


def _count_list(values: Iterable[str]) -> str:
    """'oracle (2 runs), self (1 run)'."""
    values = list(values)
    counts = {v: values.count(v) for v in dict.fromkeys(values)}
    return ", ".join(f"{v} ({c} run{'s' if c > 1 else ''})" for v, c in counts.items())


def _setting_line(infos: Sequence[Run]) -> str:
    """'model: m · offline docstore · n = 100 questions' for the subtitle."""
    ns = sorted({x.n for x in infos})
    unit = _unit(infos)
    n_text = f"n = {ns[0]} {unit}" if len(ns) == 1 else f"n = {min(ns)}–{max(ns)} {unit} (see legend)"
    return (f"model: {_one_or_list(x.model for x in infos)} · "
            f"{_one_or_list(x.environment for x in infos)} · {n_text}")


def _unit(infos: Sequence[Run]) -> str:
    units = {title_and_unit(x.task)[1] for x in infos}
    return units.pop() if len(units) == 1 else "samples"


def _task(infos: Sequence[Run]) -> str:
    return _one_or_list(x.task for x in infos) if infos else ""


def _legend_width(width: float, longest: float, entries: int) -> float:
    """The figure's width: ``width`` for the axes, plus room for the legend's longest entry (in
    characters, at the legend's small font) beside them, per legend column."""
    return max(width, 5.5 + 0.068 * longest * (2 if entries > 30 else 1))


def _legend(ax: Any, entries: int, handles: tuple = ()) -> None:
    """Beside the (rightmost) axes, outside, so it never hides a curve; two columns past 30 entries."""
    if entries:
        ax.legend(*handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  fontsize="small", ncol=2 if entries > 30 else 1, frameon=False)


def plot_ci_bands(runs: Iterable[Run], paper: dict[str, Iterable[float]] | None = None,
                  n_resamples: int = 10_000, level: float = 0.95, seed: int = 0,
                  title: str | None = None, paper_agent: Any = None, interval: str = "wilson",
                  paper_n: Any = None) -> Any:
    """Success per trial, one line per run with its interval as a band (Wilson by default, see
    :func:`ci_table`); ``paper`` maps a label to the paper's logged rates for trials 1, 2, ...
    (dashed, thin; in the colour of the agent that ``paper_agent(label)`` names, grey otherwise;
    with its n, ``paper_n(label)``, when the sizes differ). Returns a matplotlib Figure.

    >>> recs = [{"sample_id": s, "trial": 1, "correct": s == "a"} for s in "ab"]
    >>> fig = plot_ci_bands([(recs, {"agent": "cot", "strategy": "base", "feedback_source": "oracle"})],
    ...                     paper={"CoT only": [0.3, 0.3]}, paper_n=lambda label: 100)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['cot · base · oracle feedback (n = 2 samples, tiny)', "CoT only (paper's logged reference) (n = 100 samples)"]
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    infos = describe_runs(runs)
    unit, task = _unit(infos), _task(infos)
    # The task knows its references: their agents (colour) and sizes, unless the caller says.
    paper_agent = paper_agent or task_attribute(task, "paper_agent", None)
    paper_n = paper_n or task_attribute(task, "paper_n", None)
    paper_sizes = {label: (paper_n(label) if paper_n else None) for label in (paper or {})}
    sizes = {x.n for x in infos} | {n for n in paper_sizes.values() if n}  # a reference's unstated n claims nothing
    sizes_differ = len(sizes) > 1
    n_entries = len(infos) + len(paper or {})
    # The legend gets its own column of the figure: wider past 6 entries, taller past ~15.
    longest = max([len(x.label) + 24 for x in infos] + [len(label) + 24 for label in paper or {}], default=0)
    fig, (ax,) = _figure(_legend_width(9.0 if n_entries <= 6 else 12.5, longest, n_entries),
                         max(4.8, 0.21 * n_entries + 1.6))
    band_alpha = 0.12 if len(infos) <= 6 else 0.06  # many overlapping bands would turn to mud
    for info, style in zip(infos, run_styles(infos)):
        if not info.n:
            continue
        rate, low, high = share_interval(info.matrix(), interval, level, n_resamples, seed)
        trials = np.arange(1, info.n_trials + 1)
        notes = ([f"n = {info.n} {unit}"] if sizes_differ or info.tiny else []) + (["tiny"] if info.tiny else [])
        label = info.label + (f" ({', '.join(notes)})" if notes else "")
        colour = style["color"]
        # Band edges in the run's line style tell apart bands of one agent (same colour).
        ax.fill_between(trials, low, high, facecolor=(*colour[:3], band_alpha),
                        edgecolor=(*colour[:3], 0.45), linestyle=style["linestyle"], linewidth=0.7)
        ax.plot(trials, rate, linewidth=1.8, markersize=4.5, label=label, **style)
    for i, (label, rates) in enumerate((paper or {}).items()):
        rates = [float(r) for r in rates]
        agent = paper_agent(label) if paper_agent else None
        colour = agent_colour(agent) if agent else str(0.25 + 0.45 * (i % 4) / 3)
        ax.plot(range(1, len(rates) + 1), rates, linestyle="--" if "reflexion" in label.lower() else ":",
                linewidth=1.2, alpha=0.7, color=colour, marker=PAPER_MARKERS[i % len(PAPER_MARKERS)],
                markersize=4, label=paper_label(label, paper_sizes[label], unit, sizes_differ))
    ax.set_xlabel("trial k")
    ax.set_ylabel(y_label(task, sizes, unit))
    ax.set_ylim(-0.02, 1.02)  # a margin, so a curve at 0 % or 100 % is not hidden by the frame
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    fig.suptitle(title or f"{setting_words(task)}, {interval_words(interval, level)}", fontweight="bold")
    ax.set_title(_setting_line(infos) if infos else "", fontsize="small")
    ax.annotate(f"Bands: {interval_words(interval, level, n_resamples, seed)} over {unit}; "
                f"'tiny': fewer than {TINY_N} {unit}. Colour = agent, line = strategy, marker = feedback "
                "source.", xy=(0, -0.16), xycoords="axes fraction", fontsize="x-small", color="0.35",
                annotation_clip=False)
    _legend(ax, n_entries)
    return fig


def _cumulative_spend(info: Run) -> tuple[np.ndarray, np.ndarray]:
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
    longest = max((len(x.label) for x in infos), default=0)
    fig, axes = _figure(_legend_width(10.5 if with_cost else 8.5, longest, len(infos)),
                        max(4.6, 0.21 * len(infos) + 1.6), panels=2 if with_cost else 1)
    for info, style, (tokens, cost) in zip(infos, run_styles(infos), spend):
        rate = info.matrix().mean(axis=0)
        style = dict(style, linewidth=1.5, markersize=4.5)
        axes[0].plot(tokens, rate, label=info.label, **style)
        if with_cost:
            axes[1].plot(cost, rate, **style)
    axes[0].set_xlabel("cumulative tokens per sample (input + output), trials 1..k")
    axes[0].set_ylabel(y_label(_task(infos), {x.n for x in infos}, _unit(infos)))
    if with_cost:
        axes[1].set_xlabel("cumulative cost per sample (USD), trials 1..k")
    for ax in axes:
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
    fig.suptitle(title or setting_words(_task(infos), "vs. spend per trial"), fontweight="bold")
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


def _ci_cell(rate: float, low: float, high: float, unreliable: bool) -> str:
    return f"{rate:.2f} [{low:.2f}, {high:.2f}]" + (" ⚠" if unreliable else "")


def _report_markdown(infos: Sequence[Run], cis: Any, paired: Any, n_resamples: int,
                     level: float, seed: int, interval: str = "wilson") -> str:
    unit, task = _unit(infos), _task(infos)
    metric, meaning = metric_of(task)
    sizes = ", ".join(f"{x.n} ({x.label})" for x in infos) if len({x.n for x in infos}) > 1 \
        else f"{infos[0].n}" if infos else "0"
    tiny = [x for x in infos if x.tiny]
    parts = [
        f"# {setting_words(task)}",
        "",
        f"- Feedback source: {_count_list(x.feedback_source for x in infos)} (every run's own source is "
        "in its label and in the tables)",
        f"- Model: {_one_or_list(x.model for x in infos)}",
        f"- Environment: {_one_or_list(x.environment for x in infos)}",
        f"- Sample size: n = {sizes} {unit} per run; paired comparisons use the ids both runs share.",
        f"- Intervals: {interval_words(interval, level, n_resamples, seed)} for each share; "
        f"{interval_words(interval, level, n_resamples, seed, paired=True)} for each paired difference.",
        f"- ⚠ marks an interval to read with care: fewer than {TINY_N} {unit} (tiny n)"
        + (", or a bootstrap at 0 % or 100 %, where it collapses to a point." if interval == "bootstrap" else ".")
        + (f" Tiny here: {', '.join(x.label for x in tiny)}." if tiny else ""),
        f"- {metric} after trial k: share of the run's {unit} whose {meaning} (ground truth; a sample "
        "whose feedback said success is not retried and keeps its answer).",
    ]
    replays = [x for x in infos if x.replay]
    if replays:
        parts.append("- *replay (temperature 0)*: a `none`-strategy retry is shown nothing of earlier trials, so "
                     "at temperature 0 it sends trial 1's prompt again and gets trial 1's reply (served from "
                     "the cache): its curve is flat by construction, a control for memory, not a re-sampling "
                     "baseline. Re-sampling needs a temperature above 0.")
    parts += [
        "",
        "## Runs",
        _markdown_table(["run", "agent", "strategy", "feedback", "model", "temperature", "settings",
                         "environment", "n", "trials", "run folder"],
                        [[x.label, x.agent, x.strategy, x.feedback_source, x.model,
                          "not stated" if x.temperature is None else f"{x.temperature:g}",
                          x.settings() or "defaults", x.environment, x.n, x.n_trials, x.folder or "—"]
                         for x in infos]),
        "",
        f"## {metric} per trial, share [{level:.0%} CI]",
    ]
    trials = sorted(set(cis["trial"])) if len(cis) else []
    rows = []
    for label, group in cis.groupby("run", sort=False):
        by_trial = {t: _ci_cell(r, lo, hi, bad) for t, r, lo, hi, bad in
                    zip(group["trial"], group["rate"], group["ci_low"], group["ci_high"], group["unreliable"])}
        rows.append([label, group["feedback_source"].iloc[0], group["n"].iloc[0]]
                    + [by_trial.get(t, "") for t in trials])
    parts += [_markdown_table(["run", "feedback", "n"] + [f"trial {t}" for t in trials], rows), ""]
    parts += ["## Paired comparisons (final common trial; A − B)"]
    final = paired[paired["final_trial"]] if len(paired) else paired
    if len(final):
        parts.append(_markdown_table(
            ["A", "B", "feedback", "n paired", "trial", "A − B", f"{level:.0%} CI",
             "McNemar b (A✓B✗)", "c (A✗B✓)", "discordant", "McNemar p"],
            [[r.run_a, r.run_b, r.feedback_source, f"{r.n_paired}" + (" ⚠" if r.tiny_n else ""), r.trial,
              f"{r.diff:+.3f}", f"[{r.diff_low:+.3f}, {r.diff_high:+.3f}]" + (" ⚠" if r.unreliable else ""),
              r.mcnemar_b, r.mcnemar_c, r.discordant, f"{r.mcnemar_p:.4g}"] for r in final.itertuples()]))
        parts.append("\nPer-trial differences are in `paired.csv`. The p-value is McNemar's exact test on the "
                     "discordant pairs (p = 1 with none: no evidence either way, not certainty).")
    else:
        parts.append("No two runs share task, agent, model and feedback source and differ in strategy "
                     "on shared samples.")
    left_out = paired.attrs.get("left_out") or []
    if left_out:
        parts += ["", _LEFT_OUT_HEADING, ""]
        parts += [f"- {note['run_a']} vs {note['run_b']}: {note['reason']}" for note in left_out]
    parts += ["", "## Figures", "", f"![{metric} per trial](success_ci.png)", "",
              f"![{metric} vs spend](cost_vs_success.png)", "",
              "Trajectories, side by side per trial: [viewer.html](viewer.html). "
              "Tables: `ci_table.csv`, `paired.csv`.", ""]
    return "\n".join(parts)


_LEFT_OUT_HEADING = ("Left out of the paired comparisons (only runs of the same samples and the same "
                     "feedback source are paired):")


def read_left_out(paths: Iterable[Path]) -> list[str]:
    """The pairs a written report left out, as its ``report.md`` lists them (for the console)."""
    report_md = next((Path(p) for p in paths if Path(p).name == "report.md"), None)
    if report_md is None or not report_md.exists():
        return []
    lines = report_md.read_text(encoding="utf-8").splitlines()
    if _LEFT_OUT_HEADING not in lines:
        return []
    start = lines.index(_LEFT_OUT_HEADING) + 2
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("- ")), len(lines))
    return [line[2:] for line in lines[start:end]]


def write_report(runs: Iterable[Run], out_dir: str | os.PathLike,
                 paper: dict[str, Iterable[float]] | None = None, n_resamples: int = 10_000,
                 seed: int = 0, level: float = 0.95, paper_agent: Any = None, interval: str = "wilson",
                 paper_n: Any = None) -> list[Path]:
    """Write ``ci_table.csv``, ``paired.csv``, ``success_ci.png/.svg``, ``cost_vs_success.png/.svg``,
    ``viewer.html`` and ``report.md`` into ``out_dir``; return their paths in that order."""
    runs = [Run.of(run, i) for i, run in enumerate(runs)]   # each folder read once, for every table and figure
    if not runs:
        raise ValueError("write_report needs at least one run (a run folder, a DataFrame, a Run or a "
                         "(records, manifest) pair)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    infos = describe_runs(runs)
    cis = ci_table(runs, n_resamples, level, seed, interval)
    paired = paired_table(runs, n_resamples, level, seed, interval)
    paths = [out / "ci_table.csv", out / "paired.csv"]
    cis.to_csv(paths[0], index=False)
    paired.to_csv(paths[1], index=False)
    figures = {"success_ci": plot_ci_bands(runs, paper, n_resamples, level, seed, paper_agent=paper_agent,
                                           interval=interval, paper_n=paper_n),
               "cost_vs_success": plot_cost_vs_success(runs)}
    for name, fig in figures.items():
        for suffix in (".png", ".svg"):
            fig.savefig(out / f"{name}{suffix}", dpi=150, bbox_inches="tight")
            paths.append(out / f"{name}{suffix}")
    paths.append(write_viewer(runs, out / "viewer.html"))
    report = out / "report.md"
    report.write_text(_report_markdown(infos, cis, paired, n_resamples, level, seed, interval), encoding="utf-8")
    paths.append(report)
    return paths
