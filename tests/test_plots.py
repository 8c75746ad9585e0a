"""Plots and the notebooks' helpers: curves recomputed from run folders, paper overlay, PNG + SVG."""
import csv

import pytest
from matplotlib.colors import to_rgb

import util
from agents.engine.plots import (find_runs, load_run, plot_success_rate, run_label, save_figure,
                                 success_curve)
from agents.tasks.hotpotqa.paper import paper_agent, paper_curves

PAPER = paper_curves()
from agents.engine.runner import run_trials
from agents.testing.scripted import ScriptedHotpotModel


@pytest.fixture
def runs(sample, tmp_path):
    """Two finished scripted runs under one root: cot_context with reinagent and with none."""
    questions = sample.head(8)
    root = tmp_path / "root"
    for strategy in ("reinagent", "none"):
        run_trials("cot_context", questions, strategy=strategy, n_trials=4, root=root,
                   llm=ScriptedHotpotModel.from_records(questions), run_name="scripted",
                   cache=False, progress=False)
    return root


def test_curves_match_the_run_summary(runs):
    folders = find_runs(runs)
    assert [f.relative_to(runs).as_posix() for f in folders] == [
        "cot_context/base/scripted", "cot_context/reinagent/scripted"]
    for folder in folders:
        with open(folder / "summary.csv") as handle:
            expected = [float(row["success_rate"]) for row in csv.DictReader(handle)]
        trials, rates = success_curve(load_run(folder))
        assert rates == expected and trials == list(range(1, len(expected) + 1))
    reinagent = success_curve(load_run(folders[1]))[1]
    assert reinagent == sorted(reinagent) and reinagent[-1] > reinagent[0]  # cumulative, it rises


def test_one_line_per_run_labelled_agent_and_strategy(runs):
    fig = plot_success_rate(find_runs(runs), title="t")
    ax = fig.axes[0]
    # The none arm ("base") at temperature 0 repeats trial 1: its label says so (issue 21 item 5).
    assert [line.get_label() for line in ax.get_lines()] == ["cot_context · base · oracle feedback · replay (temperature 0)",
                                                             "cot_context · reinagent · oracle feedback"]
    assert ax.get_title() == "t" and ax.get_ylim() == (-0.02, 1.02)


def test_paper_curves_are_dashed_in_their_agent_s_colour(runs):
    paper = paper_curves("cot_context")
    fig = plot_success_rate(find_runs(runs)[1], paper=paper, paper_agent=paper_agent)
    run_line, paper_line = fig.axes[0].get_lines()
    assert run_line.get_linestyle() == "-" and paper_line.get_linestyle() == "--"
    assert to_rgb(run_line.get_color()) == pytest.approx(to_rgb(paper_line.get_color()))
    assert list(paper_line.get_xdata()) == list(range(1, 9))
    assert "oracle feedback" in paper_line.get_label() and "logged" in paper_line.get_label()


def test_paper_curves_are_the_original_logged_counts():
    curves = {label.rsplit(" (GPT", 1)[0]: [round(r * 100) for r in rates] for label, rates in PAPER.items()}
    assert curves["original ReAct + Reflexion"] == [32, 42, 48, 50, 51, 53, 53]
    assert curves["original ReAct"] == [34] * 7
    assert curves["original CoT (gold context) + Reflexion"] == [61, 69, 69, 70, 72, 74, 75, 75]
    assert curves["original CoT (no context) + Reflexion"] == [32, 37, 40, 40, 40]
    assert curves["original CoT (no context)"] == [32, 33, 33, 33, 33]


def test_only_paper_curves_when_there_are_no_runs():
    fig = plot_success_rate([], paper=PAPER)
    assert len(fig.axes[0].get_lines()) == len(PAPER)


def test_runs_of_different_tasks_are_never_merged(runs, tmp_path):
    folder = find_runs(runs)[0]
    other = load_run(folder)
    other.attrs["manifest"] = {**other.attrs["manifest"], "task": "alfworld"}
    with pytest.raises(ValueError, match="different tasks"):
        plot_success_rate([folder, other])


def test_twenty_runs_stay_readable(runs):
    frames = []
    for i in range(20):
        frame = load_run(find_runs(runs)[i % 2])
        frame.attrs["run_dir"] = f"/x/run{i}"
        frame.attrs["manifest"] = {**frame.attrs["manifest"],
                                   "agent": ["react", "cot_context", "cot_no_context"][i % 3]}
        frames.append(frame)
    fig = plot_success_rate(frames, paper=PAPER, paper_agent=paper_agent)
    lines = fig.axes[0].get_lines()
    colours = {line.get_label().split(" · ")[0]: line.get_color() for line in lines[:20]}
    assert len(set(colours.values())) == 3  # one colour per agent
    legend = fig.axes[0].get_legend()
    # 8-question runs beside the original's 100-question curves: a share, and each curve's n.
    assert legend is not None and "each curve's n in the legend" in fig.axes[0].get_ylabel()
    texts = [t.get_text() for t in legend.get_texts()]
    assert all("(n = 8 questions)" in t for t in texts[:20]) and all("(n = 100 questions)" in t for t in texts[20:])


def test_same_agent_and_strategy_twice_are_told_apart(runs, sample):
    questions = sample.head(8)
    other = run_trials("cot_context", questions, strategy="reinagent", n_trials=2, root=runs,
                       llm=ScriptedHotpotModel.from_records(questions, name="other"),
                       run_name="other-model", cache=False, progress=False)
    fig = plot_success_rate([runs / "cot_context/reinagent/scripted", other])  # a folder and a frame
    # What differs is named: the model and the number of trials (issue 21 item 12).
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        "cot_context · reinagent · oracle feedback · model scripted · 4 trials",
        "cot_context · reinagent · oracle feedback · model other · 2 trials"]


def test_save_writes_png_and_svg(runs, tmp_path):
    folder = find_runs(runs)[0]
    png, svg = save_figure(plot_success_rate(folder), folder)
    assert png == folder / "success_rate.png" and png.read_bytes().startswith(b"\x89PNG")
    assert svg == folder / "success_rate.svg" and "<svg" in svg.read_text()


def test_load_run_tolerates_a_torn_last_line(runs):
    folder = find_runs(runs)[1]
    complete = len(load_run(folder))
    with open(folder / "attempts.jsonl", "a") as handle:
        handle.write('{"question_id": "x", "tri')
    with pytest.warns(UserWarning, match="torn"):
        frame = load_run(folder)
    assert len(frame) == complete and run_label(frame) == "cot_context · reinagent · oracle feedback"


def test_load_run_names_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        load_run(tmp_path)


# -- util: what the notebooks call --------------------------------------------------------------

def test_util_summarize_is_the_per_trial_table(runs):
    folder = runs / "cot_context/reinagent/scripted"
    table = util.summarize(folder)
    assert list(table.index) == [1, 2, 3, 4]
    assert list(table.columns[:8]) == ["attempted", "feedback_success", "correct", "incorrect", "halted",
                                       "errors", "solved", "success_rate"]
    assert table.loc[1, "attempted"] == 8


def test_show_trajectory_prints_a_fixed_question_with_its_reflection(runs, capsys):
    frame = load_run(runs / "cot_context/reinagent/scripted")
    kind, attempts = util.pick_trajectory(frame)
    assert kind == "fixed" and not attempts[0]["correct"] and attempts[-1]["correct"]
    util.show_trajectory(frame)
    out = capsys.readouterr().out
    assert "reflection shown: I answered without checking" in out and "oracle feedback" in out
    assert f"=== trial {attempts[-1]['trial']}: correct" in out


def test_show_trajectory_without_a_fix_says_so(runs, capsys):
    frame = load_run(runs / "cot_context/base/scripted")  # no memory: nothing is ever fixed
    frame = frame[frame["sample_id"].isin(frame.loc[~frame["correct"], "sample_id"])]
    util.show_trajectory(frame)
    assert "Nothing was failed and then fixed" in capsys.readouterr().out
    util.show_trajectory(frame.iloc[0:0])
    assert "No failed attempt" in capsys.readouterr().out


def test_compare_has_one_row_per_run(runs):
    table = util.compare(find_runs(runs))
    assert list(table["run"]) == ["cot_context · base · oracle feedback · replay (temperature 0)",
                                  "cot_context · reinagent · oracle feedback"]
    assert list(table["samples"]) == [8, 8] and "trial 4" in table.columns
    assert list(table["feedback"]) == ["oracle", "oracle"]
    # The long run folder comes last, after every score (issue 21 item 14).
    columns = list(table.columns)
    assert columns[-1] == "run_dir" and columns.index("trial 4") < columns.index("model")


def test_show_trajectory_shows_code_as_code_and_a_game_by_its_verdict(capsys):
    """Issue 21 item 14: the header showed a code answer as an escaped string ('def f():\\n    ...')
    and an ALFWorld answer (its last command) as if it were an answer."""
    import pandas as pd

    code = "def add(a, b):\n    return a + b\n"
    humaneval = pd.DataFrame([{"task": "humaneval", "sample_id": "HumanEval/0", "trial": t, "correct": t == 2,
                               "answer": code if t == 2 else "    return a - b\n", "input": "def add(a, b):",
                               "feedback": {"success": t == 2, "source": "tests"}, "reflections": [],
                               "trajectory": ""} for t in (1, 2)])
    util.show_trajectory(humaneval)
    out = capsys.readouterr().out
    assert "\\n" not in out and "'def add" not in out
    assert "--- code ---\ndef add(a, b):\n    return a + b\n--- end of code ---" in out
    assert "=== trial 2: correct (code below; tests feedback: success) ===" in out
    alfworld = pd.DataFrame([{"task": "alfworld", "sample_id": "g1", "trial": t, "correct": t == 2, "steps": 7 * t,
                              "answer": "go to desk 1" if t == 1 else "put pen 1 in/on desk 1", "input": "put a pen on the desk",
                              "feedback": {"success": t == 2, "source": "oracle"}, "reflections": [],
                              "trajectory": ""} for t in (1, 2)])
    util.show_trajectory(alfworld)
    out = capsys.readouterr().out
    assert "=== trial 1: incorrect (not won after 7 steps; last command 'go to desk 1'; oracle feedback: failure)" in out
    assert "=== trial 2: correct (won after 14 steps;" in out and "answer 'go to desk 1'" not in out


def test_tables_and_logs_show_any_outcome_the_records_carry(monkeypatch):
    """Issue 21 item 2 (with issue 18): an outcome beyond correct/incorrect/halted/error (say, an
    attempt with no runnable test) gets its own column in the per-trial table and its own section
    in the log, whatever report.outcome() comes to return."""
    import pandas as pd

    from agents.engine import report

    real = report.outcome
    monkeypatch.setattr(report, "outcome", lambda r: "untested" if r.get("note") == "no tests" else real(r))
    frame = pd.DataFrame([{"sample_id": "a", "trial": 1, "correct": False, "note": "no tests"},
                          {"sample_id": "b", "trial": 1, "correct": True, "note": ""},
                          {"sample_id": "a", "trial": 2, "correct": False, "note": ""}])
    table = util.summarize(frame)
    columns = list(table.columns)
    assert columns.index("untested") == columns.index("errors") + 1
    assert table["untested"].tolist() == [1, 0] and table["incorrect"].tolist() == [0, 1]
    assert "--- UNTESTED (1) ---" in util.log(frame) and "1 untested" in util.log(frame)


def test_the_humaneval_notebook_figure_says_pass_at_1_and_tells_tests_from_oracle():
    """Issue 21 item 3: the HumanEval notebook's figure (util.plot of the tests and the oracle run)
    never said pass@1, and its two curves shared colour, line and marker."""
    import pandas as pd

    frames = []
    for source in ("tests", "oracle"):
        frame = pd.DataFrame([{"task": "humaneval", "sample_id": f"HumanEval/{i}", "trial": 1, "correct": i == 0,
                               "feedback_source": source} for i in range(20)])
        frame.attrs["manifest"] = {"task": "humaneval", "agent": "codegen", "strategy": "reflexion", "n_trials": 1,
                                   "feedback_source": source, "model_id": "m",
                                   "dataset_ids": [f"HumanEval/{i}" for i in range(20)]}
        frames.append(frame)
    ax = util.plot(frames).axes[0]
    assert ax.get_title().startswith("HumanEval: pass@1 per trial")
    assert ax.get_ylabel().startswith("pass@1: share of 20 problems") and "latest code after trial k" in ax.get_ylabel()
    tests, oracle = ax.get_lines()
    assert to_rgb(tests.get_color()) != to_rgb(oracle.get_color())
    dashes = lambda line: line._unscaled_dash_pattern  # get_linestyle() says "--" for every dash pattern
    assert dashes(tests) != dashes(oracle) and tests.get_marker() != oracle.get_marker()
