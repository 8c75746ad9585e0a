"""The grid and report commands end to end, on a scripted model (the real model: see the README)."""
import json

import pytest

import agents.llm
from agents.cli import main
from agents.testing.scripted import ScriptedHotpotModel


@pytest.fixture
def scripted(monkeypatch, sample):
    built = []

    def fake_make_llm(spec, **options):
        built.append(options)
        return ScriptedHotpotModel.from_records(sample, name=f"scripted-t{options.get('temperature', 0)}")

    monkeypatch.setattr(agents.llm, "make_llm", fake_make_llm)
    return built


def test_grid_runs_every_configuration_once_and_report_renders_it(scripted, tmp_path, capsys):
    argv = ["grid", "--task", "hotpotqa", "--agents", "react,cot_context,cot_no_context", "--strategies", "all",
            "--trials", "2", "--questions", "4", "--llm", "local", "--out", str(tmp_path)]
    assert main(argv) == 0
    grids = list((tmp_path / "grids").glob("*.json"))
    manifest = json.loads(grids[0].read_text())
    assert len(manifest["runs"]) == 12 and {r["strategy"] for r in manifest["runs"]} == {
        "base", "last_trial", "reinagent", "last_trial_and_reinagent"}
    calls_before = [json.loads((tmp_path / r["run_dir"] / "manifest.json").read_text())["counters"]["llm_calls"]
                    for r in manifest["runs"]]
    assert main(argv) == 0  # again: every run folder resumes with nothing left to do
    after = json.loads(grids[0].read_text())["runs"]
    calls_after = [json.loads((tmp_path / r["run_dir"] / "manifest.json").read_text())["counters"]["llm_calls"]
                   for r in after]
    assert calls_after == calls_before
    capsys.readouterr()
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "rep")]) == 0
    for name in ("ci_table.csv", "paired.csv", "success_ci.png", "cost_vs_success.svg", "viewer.html", "report.md"):
        assert (tmp_path / "rep" / name).stat().st_size > 0, name
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "oracle" in report and "Wilson score interval" in report and "Newcombe" in report
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "boot"), "--interval", "bootstrap",
                 "--resamples", "500"]) == 0
    assert "500 resamples" in (tmp_path / "boot" / "report.md").read_text()


def test_seeds_and_temperature_name_the_runs(scripted, tmp_path):
    assert main(["grid", "--agents", "cot_no_context", "--strategies", "reinagent", "--trials", "1",
                 "--questions", "2", "--temperature", "0.7", "--seeds", "2", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in (tmp_path / "cot_no_context" / "reinagent").iterdir())
    assert names == ["grid-local-2q-temp0.7-s0", "grid-local-2q-temp0.7-s1"]  # temperature spelled out (item 5)
    assert [b.get("seed") for b in scripted] == [0, 1] and all(b["temperature"] == 0.7 for b in scripted)


def test_grid_refuses_unknown_names(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["grid", "--agents", "reflexion", "--out", str(tmp_path)])
    assert "unknown agent 'reflexion'" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value", [("--problems", "-1"), ("--questions", "0"), ("--trials", "0"),
                                         ("--concurrency", "0"), ("--problems", "many")])
def test_grid_validates_sizes_like_run(flag, value, tmp_path, capsys):
    """Issue 21 item 10: `grid --problems -1` printed Python's "Sample larger than population or is
    negative"; now it is the same argparse error as `run`'s, before anything loads."""
    errors = []
    for command in ("grid", "run"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--task", "humaneval", flag, value, "--out", str(tmp_path)])
        assert exit_info.value.code == 2
        errors.append(capsys.readouterr().err.strip().splitlines()[-1].split(": error: ")[1])
    assert errors[0] == errors[1] and ("must be at least 1" in errors[0] or "expected a positive integer" in errors[0])


def test_grid_refuses_a_seed_count_below_one(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["grid", "--seeds", "0", "--out", str(tmp_path)])
    assert "argument --seeds: must be at least 1, got 0" in capsys.readouterr().err


def test_grid_names_the_replay_of_the_none_arm(scripted, tmp_path, capsys):
    """Issue 21 item 5: at temperature 0 the none arm is a replay; the grid's summary says so."""
    assert main(["grid", "--agents", "cot_no_context", "--strategies", "none,reinagent", "--trials", "2",
                 "--questions", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    base_line = next(line for line in out.splitlines() if " base " in line)
    reinagent_line = next(line for line in out.splitlines() if " reinagent " in line)
    assert base_line.endswith("(replay)") and "(replay)" not in reinagent_line
    assert "grid-local-2q-temp0" in out and "a control for memory" in out


def test_report_skips_pairs_that_share_no_samples(tmp_path, capsys):
    """Issue 21 item 7: `report` aborted with "cannot be paired" on two runs of other problems."""
    from agents.engine.records import RunFolder

    for name, ids, strategy in (("a", ["HumanEval/1", "HumanEval/2"], "base"),
                                ("b", ["HumanEval/7", "HumanEval/9"], "reinagent")):
        folder = RunFolder(tmp_path / "codegen" / strategy / name)
        for sid in ids:
            folder.append({"sample_id": sid, "trial": 1, "correct": False, "agent": "codegen", "strategy": strategy,
                           "feedback_source": "tests"})
        folder.write_manifest({"task": "humaneval", "agent": "codegen", "strategy": strategy, "dataset_ids": ids,
                               "feedback_source": "tests", "model_id": "m", "n_trials": 1})
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "rep")]) == 0
    out = capsys.readouterr().out
    assert "1 pair(s) left out" in out and "they share no sample ids" in out
    assert "they share no sample ids" in (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
