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
                   "95% Wilson score interval", "95% Newcombe hybrid score interval",
                   "| react · reinagent · oracle feedback |", "![success per trial]"):
        assert needle in report, needle
    with open(tmp_path / "report" / "ci_table.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["feedback_source"] for r in rows} == {"oracle", "self"}
    assert {r["interval"] for r in rows} == {"95% Wilson score interval"} and {r["tiny_n"] for r in rows} == {"False"}
    boot = write_report(runs, tmp_path / "boot", n_resamples=2000, seed=3, interval="bootstrap")
    assert "2,000 resamples, seed 3" in boot[-1].read_text(encoding="utf-8")


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
    # base vs reinagent (both oracle) only: a pair under two feedback sources compares two claims
    # ("solved by trial k" against the accuracy a user gets), so it is left out with a note.
    pairs = list(dict.fromkeys(zip(table["run_a"], table["run_b"], table["differs"])))
    assert pairs == [("react · reinagent · oracle feedback", "react · base · oracle feedback", "strategy")]
    assert len(table) == N_TRIALS
    assert {frozenset((n["run_a"], n["run_b"])) for n in table.attrs["left_out"]} == {
        frozenset(("react · reinagent · oracle feedback", "react · reinagent · self feedback")),
        frozenset(("react · reinagent · self feedback", "react · base · oracle feedback"))}
    assert all(n["reason"].startswith("different feedback sources") for n in table.attrs["left_out"])
    first = table[(table["strategy_a"] == "reinagent") & (table["strategy_b"] == "base")]
    assert first["feedback_source"].tolist() == ["oracle"] * N_TRIALS
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
    # No shared sample: the pair is skipped with a note, the rest of the table still comes (item 7).
    table = paired_table([elsewhere, runs[1], runs[0]], n_resamples=200)
    assert [n["reason"] for n in table.attrs["left_out"]] == ["they share no sample ids"]
    assert set(zip(table["strategy_a"], table["strategy_b"])) == {("reinagent", "base")} and len(table) == N_TRIALS


def test_other_agents_and_models_are_not_paired(runs):
    records, manifest = runs[0]
    other = (records, dict(manifest, model_id="another-model", strategy="reinagent"))
    assert len(paired_table([runs[0], other], n_resamples=100)) == 0


def test_paper_curves_are_labelled_and_drawn_dashed_or_dotted(runs):
    fig = plot_ci_bands(runs, paper=PAPER, n_resamples=500)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # 30-question runs beside the original's 100-question curves: every entry says its n (item 4).
    assert labels[:3] == [f"{info.label} (n = 30 questions)" for info in describe_runs(runs)]
    assert labels[3:] == ["ReAct + Reflexion (paper's logged reference) (n = 100 questions)",
                          "ReAct only (paper's logged reference) (n = 100 questions)"]
    paper_lines = [line for line in ax.get_lines() if "paper" in line.get_label()]
    assert [line.get_linestyle() for line in paper_lines] == ["--", ":"]  # with memory, without
    assert all(len(set(to_rgb(line.get_color()))) == 1 for line in paper_lines)  # no agent named: grey
    coloured = plot_ci_bands(runs, paper=PAPER, n_resamples=200, paper_agent=lambda label: "react").axes[0]
    run_colour = to_rgb(coloured.get_lines()[0].get_color())
    paper_colours = [to_rgb(line.get_color()) for line in coloured.get_lines() if "paper" in line.get_label()]
    assert paper_colours and all(c == pytest.approx(run_colour) for c in paper_colours)
    assert "n = 30 questions" in ax.get_title() and MODEL in ax.get_title()
    assert ax.get_ylabel().startswith("success: share of questions (each curve's n in the legend)")
    same_size = plot_ci_bands(runs, n_resamples=200).axes[0]  # no reference: one n, on the axis
    assert same_size.get_ylabel().startswith("success: share of 30 questions")
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
    assert ax.get_ylabel().startswith("success: share of 30 games")  # n said, in the label


def test_cost_vs_success_one_point_per_run_and_trial(runs):
    fig = plot_cost_vs_success(runs)
    assert len(fig.axes) == 1  # no cost recorded: tokens only
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 and all(len(line.get_xdata()) == N_TRIALS for line in lines)
    assert all(np.all(np.diff(line.get_xdata()) >= 0) for line in lines)  # cumulative
    priced = [([dict(r, cost_usd=0.002) for r in recs], manifest) for recs, manifest in runs]
    assert len(plot_cost_vs_success(priced).axes) == 2  # tokens and USD


# -- issue 21: what a new user hit -------------------------------------------------------------------
def _failing_run(strategy, n=3, trials=2, task="humaneval", agent="codegen", source="tests", **manifest):
    ids = [f"HumanEval/{i}" for i in range(n)]
    records = [{"sample_id": sid, "trial": t, "correct": False, "feedback_source": source}
               for sid in ids for t in range(1, trials + 1)]
    return records, {"task": task, "agent": agent, "strategy": strategy, "feedback_source": source,
                     "model_id": MODEL, "n_trials": trials, "dataset_ids": ids, **manifest}


def test_all_failing_runs_get_intervals_that_are_not_points(tmp_path):
    """Item 1: 0/3 is not '0.00 [0.00, 0.00]', and 0/3 against 0/3 is not '+0.000 [+0.000, +0.000]'."""
    runs = [_failing_run("base"), _failing_run("reinagent")]
    cis = ci_table(runs)
    assert (cis["ci_low"] == 0).all() and (cis["ci_high"] > 0.5).all() and cis["tiny_n"].all()
    paired = paired_table(runs)
    assert (paired["diff_low"] < -0.5).all() and (paired["diff_high"] > 0.5).all() and paired["unreliable"].all()
    report = write_report(runs, tmp_path / "r", n_resamples=200)[-1].read_text(encoding="utf-8")
    assert "[0.00, 0.00]" not in report and "[+0.000, +0.000]" not in report
    assert "0.00 [0.00, 0.56] ⚠" in report and "tiny n" in report and "Wilson score" in report
    boot = ci_table(runs, n_resamples=200, interval="bootstrap")  # the old method, still there: flagged
    assert (boot["ci_high"] == 0).all() and boot["unreliable"].all()
    with pytest.raises(ValueError, match="wilson"):
        ci_table(runs, interval="bca")


def test_humaneval_figures_say_pass_at_1_and_tell_tests_from_oracle():
    """Item 3: titled and labelled pass@1 (of the latest code after trial k); tests vs oracle runs of
    one arm differ in colour, line and marker."""
    runs = [_failing_run("reinagent", n=20, source="tests"), _failing_run("reinagent", n=20, source="oracle")]
    fig = plot_ci_bands(runs)
    ax = fig.axes[0]
    assert fig._suptitle.get_text().startswith("HumanEval: pass@1 per trial")
    assert ax.get_ylabel().startswith("pass@1: share of") and "latest code after trial k" in ax.get_ylabel()
    tests_line, oracle_line = ax.get_lines()[:2]
    assert to_rgb(tests_line.get_color()) != to_rgb(oracle_line.get_color())
    assert tests_line._unscaled_dash_pattern != oracle_line._unscaled_dash_pattern  # the dashes themselves
    assert tests_line.get_marker() != oracle_line.get_marker()
    assert plot_cost_vs_success(runs)._suptitle.get_text().startswith("HumanEval: pass@1 vs. spend")


def test_a_reference_of_another_size_is_a_share_with_its_n():
    """Item 4: a 12-game ALFWorld run beside the original's 134-game curves."""
    from agents.tasks import get_task

    task = get_task("alfworld")
    run = _failing_run("reinagent", n=12, task="alfworld", agent="react", source="oracle")
    ax = plot_ci_bands([run], paper=task.paper_curves("react")).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "(n = 12 games" in labels[0] and all("(n = 134 games)" in label for label in labels[1:])
    assert "each curve's n in the legend" in ax.get_ylabel() and "12 games" not in ax.get_ylabel()


def test_the_none_arm_at_temperature_zero_is_called_a_replay(tmp_path):
    """Item 5: in the table, the legend and the report's notes; not at temperature > 0 or unstated."""
    replay = _failing_run("base", n=12, decoding={"temperature": 0.0})
    sampled = _failing_run("base", n=12, decoding={"temperature": 0.7}, model_id="other")
    unstated = _failing_run("base", n=12, model_id="third")
    cis = ci_table([replay, sampled, unstated])
    assert cis.groupby("run", sort=False)["replay"].first().tolist() == [True, False, False]
    assert "replay (temperature 0)" in cis["run"].iloc[0]
    legend = [t.get_text() for t in plot_ci_bands([replay, sampled]).axes[0].get_legend().get_texts()]
    assert "replay (temperature 0)" in legend[0] and "replay" not in legend[1]
    report = write_report([replay], tmp_path / "r")[-1].read_text(encoding="utf-8")
    assert "a control for memory, not a re-sampling baseline" in report


def test_pairs_without_shared_samples_or_with_another_feedback_are_listed_not_fatal(tmp_path):
    """Item 7: one bad pair no longer aborts the report; the left-out pairs are named."""
    base = _failing_run("base", n=5)
    other_ids = ([dict(r, sample_id=r["sample_id"] + "x") for r in base[0]],
                 dict(base[1], strategy="reinagent", dataset_ids=[s + "x" for s in base[1]["dataset_ids"]]))
    oracle = _failing_run("reinagent", n=5, source="oracle")
    same = _failing_run("reinagent", n=5)
    paths = write_report([base, other_ids, oracle, same], tmp_path / "r")
    text = paths[-1].read_text(encoding="utf-8")
    assert "they share no sample ids" in text and "different feedback sources (oracle vs tests)" in text
    from agents.engine.analysis import read_left_out

    # base vs other_ids: no shared id; oracle vs base, other_ids and same: another feedback source
    notes = read_left_out(paths)
    assert len(notes) == 4 and sum("share no sample ids" in n for n in notes) == 1
    paired = paired_table([base, other_ids, oracle, same])
    assert set(zip(paired["strategy_a"], paired["strategy_b"], paired["feedback_source"])) == {
        ("reinagent", "base", "tests")}  # the one readable pair: base vs same
    assert set(paired["n_paired"]) == {5}


def test_every_run_has_a_readable_unique_label_naming_what_differs(tmp_path):
    """Item 12: repeats differ by step limit, then by run folder; never '#2'. The report lists the
    folder and the settings."""
    def alf(steps, name):
        records, manifest = _failing_run("reinagent", n=12, task="alfworld", agent="react", source="oracle")
        return records, dict(manifest, agent_options={"max_steps": steps, "max_reflections": 3},
                             run_dir=f"/r/react/reinagent/{name}")
    runs = [alf(49, "a"), alf(8, "b"), alf(8, "c")]
    labels = [x.label for x in describe_runs(runs)]
    assert len(set(labels)) == 3 and not any("#" in label for label in labels)
    assert labels[0] == "react · reinagent · oracle feedback · step limit 49"
    assert labels[1] == "react · reinagent · oracle feedback · step limit 8 · run react/reinagent/b"
    report = write_report(runs, tmp_path / "r")[-1].read_text(encoding="utf-8")
    assert "| run folder |" in report and "| react/reinagent/c |" in report
    assert "reflections kept 3, step limit 49" in report
