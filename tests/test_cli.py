"""The command line: help, argparse errors, one-line run errors, a scripted end to end, one real run."""
import subprocess
import sys
from pathlib import Path

import pytest

import agents.llm
from agents.cli import main
from agents.scripted import ScriptedHotpotModel

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def scripted(monkeypatch, sample):
    """``make_llm`` replaced by a scripted model over the sample; the specs it was asked for."""
    asked = []

    def fake_make_llm(spec, **options):
        asked.append((spec, options))
        return ScriptedHotpotModel.from_records(sample)

    monkeypatch.setattr(agents.llm, "make_llm", fake_make_llm)
    return asked


def test_help_documents_the_subcommands_and_their_options():
    done = subprocess.run([sys.executable, "-m", "agents", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for text in ("run", "plot", "--agent", "react,cot_context,cot_no_context",
                 "none,last_attempt,reinagent,last_attempt_and_reinagent", "--questions", "--trials",
                 "--llm", "--base-url", "--docstore", "--concurrency", "--run-name", "--out",
                 "--dry-run", "--budget-usd", "RUN_DIR", "--paper", "examples:",
                 "python -m agents run --agent cot_context --strategy reinagent --questions 10 --trials 3"):
        assert text in done.stdout, text


@pytest.mark.parametrize("argv, message", [
    ([], "required: COMMAND"),
    (["run"], "required: --agent"),
    (["run", "--agent", "reflexion"], "argument --agent: invalid choice: 'reflexion'"),
    (["run", "--agent", "react", "--strategy", "simple"], "argument --strategy: invalid choice"),
    (["run", "--agent", "react", "--questions", "0"], "argument --questions: must be at least 1"),
    (["run", "--agent", "react", "--trials", "-1"], "argument --trials: must be at least 1"),
    (["run", "--agent", "react", "--trials", "two"], "argument --trials: expected a positive integer"),
    (["run", "--agent", "react", "--concurrency", "0"], "argument --concurrency: must be at least 1"),
    (["run", "--agent", "react", "--budget-usd", "-3"], "argument --budget-usd: must be >= 0"),
    (["run", "--agent", "react", "--docstore", "web"], "argument --docstore: invalid choice"),
    (["run", "--agent", "react", "--data", "/no/such/file.jsonl"], "--data: no such file"),
    (["run", "--agent", "react", "--base-url", "http://localhost:8000/v1"], "--base-url needs --llm"),
    (["plot"], "required: RUN_DIR"),
])
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m agents" in err and message in err


def test_run_prints_the_table_and_writes_the_plot(scripted, tmp_path, capsys):
    assert main(["run", "--agent", "react", "--strategy", "reinagent", "--questions", "6",
                 "--trials", "3", "--out", str(tmp_path), "--run-name", "cli"]) == 0
    out = capsys.readouterr().out
    run_dir = tmp_path / "react" / "reinagent" / "cli"
    assert "react/reinagent: 6 questions x 3 trials, model scripted" in out
    assert "success_rate" in out and f"run folder: {run_dir}" in out
    assert f"plot: {run_dir / 'success_rate.png'}" in out
    for name in ("success_rate.png", "success_rate.svg", "attempts.jsonl", "manifest.json",
                 "summary.csv", "log.txt"):
        assert (run_dir / name).stat().st_size > 0, name
    assert scripted == [("local", {})]  # the default model spec


def test_strategy_names_map_to_the_enum(scripted, tmp_path, capsys):
    assert main(["run", "--agent", "cot_no_context", "--strategy", "last_attempt", "--questions",
                 "3", "--trials", "2", "--out", str(tmp_path), "--run-name", "x"]) == 0
    assert (tmp_path / "cot_no_context" / "last_trial" / "x" / "success_rate.png").exists()


def test_base_url_goes_to_the_backend(scripted, tmp_path, capsys):
    assert main(["run", "--agent", "cot_context", "--questions", "2", "--trials", "1",
                 "--llm", "openai-compatible:qwen", "--base-url", "http://localhost:8000/v1",
                 "--reflect-llm", "local", "--out", str(tmp_path)]) == 0
    assert scripted == [("openai-compatible:qwen", {"base_url": "http://localhost:8000/v1"}),
                        ("local", {})]


def test_a_refused_resume_is_one_line_and_exit_1(scripted, tmp_path, capsys):
    argv = ["run", "--agent", "cot_context", "--questions", "3", "--trials", "1",
            "--out", str(tmp_path), "--run-name", "same"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv[:4], "4", *argv[5:]]) == 1  # 4 questions into the 3-question folder
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: refusing to resume") and "question_ids changed" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_missing_data_from_the_environment_is_one_line(scripted, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTPOTQA_PATH", str(tmp_path / "missing.jsonl"))
    assert main(["run", "--agent", "react", "--questions", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: HotPotQA file not found") and "Traceback" not in err


def test_too_many_questions_is_one_line(scripted, tmp_path, capsys):
    assert main(["run", "--agent", "react", "--questions", "101", "--out", str(tmp_path)]) == 1
    assert "only 100 are available" in capsys.readouterr().err


def test_dry_run_writes_nothing(scripted, tmp_path, capsys):
    assert main(["run", "--agent", "react", "--questions", "5", "--trials", "2", "--dry-run",
                 "--out", str(tmp_path)]) == 0
    assert "max_llm_calls" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_plot_compares_every_run_under_a_root(scripted, tmp_path, capsys):
    for strategy in ("none", "reinagent"):
        assert main(["run", "--agent", "cot_context", "--strategy", strategy, "--questions", "6",
                     "--trials", "3", "--out", str(tmp_path / "root"), "--run-name", "r"]) == 0
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "root"), "--paper", "--out", str(tmp_path / "cmp.png")]) == 0
    out = capsys.readouterr().out
    assert "cot_context/base" in out and "cot_context/reinagent" in out
    assert (tmp_path / "cmp.png").exists() and (tmp_path / "cmp.svg").exists()


def test_plot_of_a_folder_without_runs_is_an_argparse_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["plot", str(tmp_path)])
    assert exit_.value.code == 2 and "no run folder" in capsys.readouterr().err


def test_real_run_on_the_embedded_model(sample_path, tmp_path):
    """The README's main command, small, for real: a subprocess on Gemma 3 270M."""
    pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python")
    done = subprocess.run(
        [sys.executable, "-m", "agents", "run", "--agent", "cot_context", "--strategy", "reinagent",
         "--questions", "2", "--trials", "2", "--out", str(tmp_path), "--data", str(sample_path)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dirs = list(tmp_path.glob("cot_context/reinagent/*"))
    assert len(run_dirs) == 1 and (run_dirs[0] / "success_rate.png").exists()
    assert f"plot: {run_dirs[0] / 'success_rate.png'}" in done.stdout
    assert "trial 1" in done.stderr  # the progress bar
