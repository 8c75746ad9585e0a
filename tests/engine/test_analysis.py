"""The report: every file written, every table and figure names its feedback source, paper curves
are labelled as the paper's, pairs are compared on the right runs, the legend stays off the curves."""
import csv
import random

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from agents.engine.analysis import (ci_table, describe_runs, paired_table, plot_ci_bands,
                                    plot_cost_vs_success, write_report)
from agents.engine.stats import mcnemar_exact, outcome_matrix
from tests.engine.test_stats import ENVIRONMENT, IDS, MODEL, N_TRIALS, make_runs

PAPER = {"ReAct + Reflexion": [0.32, 0.42, 0.48, 0.50], "ReAct only": [0.32, 0.32, 0.33, 0.33]}


@pytest.fixture(scope="module")
def runs():
    return make_runs()


def test_write_report_writes_every_file(runs, tmp_path):
    paths = write_report(runs, tmp_path / "report", paper=PAPER, n_resamples=2000, seed=3)
    names = [p.name for p in paths]
    assert names == ["ci_table.csv", "paired.csv", "success_ci.png", "success_ci.svg",
                     "cost_vs_success.png", "cost_vs_success.svg", "viewer.html", "report.md"]
    assert all(p.exists() and p.stat().st_size > 200 for p in paths)
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    for needle in ("Feedback source", "oracle", "self", MODEL, ENVIRONMENT, "n = 30 questions",
                   "2,000 resamples, seed 3", "| react · reinagent · oracle feedback |", "![success per trial]"):
        assert needle in report, needle
    with open(tmp_path / "report" / "ci_table.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["feedback_source"] for r in rows} == {"oracle", "self"}
    assert {r["n_resamples"] for r in rows} == {"2000"} and {r["seed"] for r in rows} == {"3"}


def test_ci_table_rows_and_labels(runs):
    table = ci_table(runs, n_resamples=1000)
    assert len(table) == 3 * N_TRIALS
    assert list(dict.fromkeys(table["run"])) == ["react · base · oracle feedback",
                                                  "react · reinagent · oracle feedback",
                                                  "react · reinagent · self feedback"]
    assert set(table["model"]) == {MODEL} and set(table["environment"]) == {ENVIRONMENT}
    assert set(table["n"]) == {30}
    assert (table["ci_low"] <= table["rate"]).all() and (table["rate"] <= table["ci_high"]).all()
    final = table[(table["strategy"] == "reinagent") & (table["feedback_source"] == "oracle")].iloc[-1]
    assert final["rate"] == outcome_matrix(runs[1][0], IDS, N_TRIALS)[1][:, -1].mean()


def test_paired_table_compares_strategies_on_shared_samples(runs):
    table = paired_table(runs, n_resamples=1000)
    # base vs reinagent (both oracle), and reinagent oracle vs self; base/oracle vs reinagent/self
    # differs in two ways at once, so it is not a comparison of either.
    pairs = list(dict.fromkeys(zip(table["run_a"], table["run_b"], table["differs"])))
    assert pairs == [("react · reinagent · oracle feedback", "react · base · oracle feedback", "strategy"),
                     ("react · reinagent · oracle feedback", "react · reinagent · self feedback",
                      "feedback source")]
    assert len(table) == 2 * N_TRIALS
    first = table[(table["strategy_a"] == "reinagent") & (table["strategy_b"] == "base")
                  & (table["feedback_source_a"] == "oracle")]
    assert first["feedback_source_b"].tolist() == ["oracle"] * N_TRIALS
    final = first[first["final_trial"]].iloc[0]
    ids_a, ma = outcome_matrix(runs[1][0], IDS, N_TRIALS)
    ids_b, mb = outcome_matrix(runs[0][0], IDS, N_TRIALS)
    expected = mcnemar_exact(ma[:, -1], mb[:, -1])
    assert (final["mcnemar_b"], final["mcnemar_c"], final["discordant"]) == (
        expected.b, expected.c, expected.discordant)
    assert final["mcnemar_p"] == pytest.approx(expected.pvalue)
    assert final["diff"] == pytest.approx(ma[:, -1].mean() - mb[:, -1].mean()) and final["diff"] > 0


def test_pairs_are_restricted_to_the_intersection(runs):
    records, manifest = runs[0]
    half = (records, dict(manifest, dataset_ids=IDS[:12]))
    with pytest.warns(UserWarning, match="not in sample_ids"):  # the 18 records left out
        table = paired_table([half, runs[1]], n_resamples=200)
    assert set(table["n_paired"]) == {12}
    elsewhere = ([dict(r, sample_id="x" + r["sample_id"]) for r in records],
                 dict(manifest, dataset_ids=["x" + s for s in IDS]))
    with pytest.raises(ValueError, match="share no sample ids"):
        paired_table([elsewhere, runs[1]], n_resamples=200)


def test_other_agents_and_models_are_not_paired(runs):
    records, manifest = runs[0]
    other = (records, dict(manifest, model_id="another-model", strategy="reinagent"))
    assert len(paired_table([runs[0], other], n_resamples=100)) == 0


def test_paper_curves_are_labelled_and_drawn_dashed_or_dotted(runs):
    fig = plot_ci_bands(runs, paper=PAPER, n_resamples=500)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == [info.label for info in describe_runs(runs)]
    assert labels[3:] == ["ReAct + Reflexion (paper's logged reference)", "ReAct only (paper's logged reference)"]
    paper_lines = [line for line in ax.get_lines() if "paper" in line.get_label()]
    assert [line.get_linestyle() for line in paper_lines] == ["--", ":"]  # with memory, without
    assert all(len(set(to_rgb(line.get_color()))) == 1 for line in paper_lines)  # no agent named: grey
    coloured = plot_ci_bands(runs, paper=PAPER, n_resamples=200, paper_agent=lambda label: "react").axes[0]
    run_colour = to_rgb(coloured.get_lines()[0].get_color())
    paper_colours = [to_rgb(line.get_color()) for line in coloured.get_lines() if "paper" in line.get_label()]
    assert paper_colours and all(c == pytest.approx(run_colour) for c in paper_colours)
    assert "n = 30 questions" in ax.get_title() and MODEL in ax.get_title()
    assert ax.get_ylabel().startswith("share of 30 questions correct")
    assert "HotPotQA" in fig._suptitle.get_text()


def test_run_styles_colour_per_agent_and_line_per_strategy(runs):
    ax = plot_ci_bands(runs, n_resamples=200).axes[0]
    base, reflect, reflect_self = ax.get_lines()
    assert base.get_color() == reflect.get_color()          # same agent
    assert base.get_linestyle() != reflect.get_linestyle()  # different strategy
    assert reflect.get_marker() != reflect_self.get_marker()  # different feedback source


def _many_runs(n_runs=20):
    """20 runs: 5 agents x 4 strategies, random outcomes over 30 samples."""
    rng = random.Random(1)
    out = []
    for agent in ("react", "cot", "cot_context", "reflexion_lite", "plan"):
        for strategy in ("base", "last_trial", "reinagent", "last_trial_and_reinagent"):
            records = [{"sample_id": sid, "trial": t, "correct": rng.random() < 0.2 + 0.1 * t,
                        "feedback_source": "oracle"} for sid in IDS for t in range(1, 5)]
            out.append((records, {"task": "alfworld", "agent": agent, "strategy": strategy,
                                  "feedback_source": "oracle", "model_id": MODEL, "n_trials": 4,
                                  "dataset_ids": IDS}))
    return out[:n_runs]


def test_legend_sits_outside_the_axes_with_twenty_runs():
    fig = plot_ci_bands(_many_runs(), paper=PAPER, n_resamples=200)
    ax = fig.axes[0]
    fig.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1  # beside the plot, never over a curve
    assert len(set(t.get_text() for t in ax.get_legend().get_texts())) == 22
    assert ax.get_ylabel().startswith("share of 30 games correct")


def test_cost_vs_success_one_point_per_run_and_trial(runs):
    fig = plot_cost_vs_success(runs)
    assert len(fig.axes) == 1  # no cost recorded: tokens only
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 and all(len(line.get_xdata()) == N_TRIALS for line in lines)
    assert all(np.all(np.diff(line.get_xdata()) >= 0) for line in lines)  # cumulative
    priced = [([dict(r, cost_usd=0.002) for r in recs], manifest) for recs, manifest in runs]
    assert len(plot_cost_vs_success(priced).axes) == 2  # tokens and USD
