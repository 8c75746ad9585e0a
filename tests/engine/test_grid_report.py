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
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "rep"), "--resamples", "500"]) == 0
    for name in ("ci_table.csv", "paired.csv", "success_ci.png", "cost_vs_success.svg", "viewer.html", "report.md"):
        assert (tmp_path / "rep" / name).stat().st_size > 0, name
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "oracle" in report and "500" in report


def test_seeds_and_temperature_name_the_runs(scripted, tmp_path):
    assert main(["grid", "--agents", "cot_no_context", "--strategies", "reinagent", "--trials", "1",
                 "--questions", "2", "--temperature", "0.7", "--seeds", "2", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in (tmp_path / "cot_no_context" / "reinagent").iterdir())
    assert names == ["grid-local-2q-t0.7-s0", "grid-local-2q-t0.7-s1"]
    assert [b.get("seed") for b in scripted] == [0, 1] and all(b["temperature"] == 0.7 for b in scripted)


def test_grid_refuses_unknown_names(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["grid", "--agents", "reflexion", "--out", str(tmp_path)])
    assert "unknown agent 'reflexion'" in capsys.readouterr().err
