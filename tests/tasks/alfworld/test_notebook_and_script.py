"""The ALFWorld notebook is committed clean with a papermill parameters cell that reads its sizes from
the environment (CI executes it with nbval), and ``run_reinagent.sh`` maps the original script's flags
onto the kit's command line, refusing bad ones with a message (``REINAGENT_ECHO=1`` prints the command)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "alfworld_runs" / "notebooks" / "AlfWorld.ipynb"
SCRIPT = REPO / "alfworld_runs" / "run_reinagent.sh"


def test_notebook_is_clean_and_parameterised():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3" and nb.cells[0].cell_type == "markdown"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), "strip the outputs"
    parameters, intro = code[0].source, nb.cells[0].source
    for variable in ("REINAGENT_QUESTIONS", "REINAGENT_TRIALS", "REINAGENT_LLM", "REINAGENT_RUN_NAME",
                     "REINAGENT_MAX_STEPS", "REINAGENT_RUNS_ROOT"):
        assert variable in parameters and variable in intro, variable
    for name in ("strategy", "n_trials", "n_games", "max_steps", "llm_spec", "run_name", "root"):
        assert f"\n{name} = " in "\n" + parameters, name
    sources = "\n".join(cell.source for cell in code)
    for needed in ('task="alfworld"', "game.reset()", "admissible_commands", "util.summarize",
                   "paper_curves", "util.show_trajectory", "ACT_TEMPLATE"):
        assert needed in sources, needed


def test_notebook_runs_go_under_the_tests_root(monkeypatch, tmp_path):
    parameters = next(c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code").source
    for value, expected in ((str(tmp_path), os.path.join(str(tmp_path), "alfworld")), (None, "alfworld_runs/root")):
        if value:
            monkeypatch.setenv("REINAGENT_RUNS_ROOT", value)
        else:
            monkeypatch.delenv("REINAGENT_RUNS_ROOT", raising=False)
        scope: dict = {}
        exec(parameters, scope)
        assert scope["root"] == expected


def script(*args, env=None):
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          env={**os.environ, "REINAGENT_ECHO": "1", **(env or {})})


@pytest.mark.parametrize("args, expected", [
    ([], "--strategy reinagent --games 12 --trials 3 --llm local"),
    (["--num_trials", "10", "--num_envs", "134", "--run_name", "logs", "--use_memory", "--model", "gpt-4o"],
     "--strategy reinagent --games 134 --trials 10 --llm openai:gpt-4o --run-name logs"),
    (["--use_memory", "false", "--", "--out", "/tmp/x"], "--strategy none --games 12 --trials 3 --llm local --out /tmp/x"),
])
def test_script_maps_the_original_flags(args, expected):
    out = script(*args)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(expected) and "python -m agents run --task alfworld" in out.stdout


def test_script_resumes_a_run_folder(tmp_path):
    folder = tmp_path / "root" / "react" / "reinagent" / "mine"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    (folder / "attempts.jsonl").write_text(json.dumps({"trial": 1}) + "\n" + json.dumps({"trial": 2}) + "\n")
    out = script("--is_resume", "--resume_dir", str(folder), "--start_trial_num", "2", "--num_trials", "5")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(f"--trials 5 --llm local --run-name mine --out {tmp_path / 'root'}")
    too_far = script("--is_resume", "--resume_dir", str(folder), "--start_trial_num", "3")
    assert too_far.returncode == 2 and "needs trials 1..3 recorded" in too_far.stderr
    wrong_arm = script("--is_resume", "--resume_dir", str(folder), "--use_memory", "false")
    assert wrong_arm.returncode == 2 and "give the matching --use_memory" in wrong_arm.stderr


@pytest.mark.parametrize("args, message", [
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--num_trials", "zero"], "--num_trials must be a positive integer"),
    (["--num_envs"], "option --num_envs needs a value"),
    (["--use_memory", "maybe"], "--use_memory takes true or false"),
    (["--start_trial_num", "2"], "--start_trial_num needs --is_resume"),
    (["--is_resume"], "--is_resume needs --resume_dir"),
    (["--is_resume", "--resume_dir", "/nonexistent"], "is not a run folder"),
    (["--model", "claude"], "unknown --model 'claude'"),
])
def test_script_refuses_bad_flags_with_a_message(args, message):
    out = script(*args)
    assert out.returncode == 2 and message in out.stderr and "--help" in out.stderr


def test_script_help_states_the_logged_protocol_and_passes_its_options_on():
    help_text = script("--help").stdout
    assert "at most 50 commands" in help_text and "--max-steps 49" in help_text and "--stop-on-cycles" in help_text
    out = script("--", "--max-steps", "49", "--stop-on-cycles")
    assert out.returncode == 0 and out.stdout.strip().endswith("--max-steps 49 --stop-on-cycles")
