"""The command line: help, argparse errors, one-line run errors, a scripted end to end, one real run."""
import subprocess
import sys
from pathlib import Path

import pytest

import agents.llm
from agents.cli import main
from agents.testing.scripted import ScriptedHotpotModel

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
    for text in ("run", "plot", "tasks", "--task", "--feedback", "--agent",
                 "react (Search/Lookup", "cot_context", "cot_no_context",
                 "--strategy NAME", "hotpotqa, alfworld: none,", "last_attempt_and_reinagent;",
                 "humaneval: reflexion (the", "immediate-refinement", "test-acc", "--questions", "--trials",
                 "--llm", "--base-url", "--docstore", "--concurrency", "--run-name", "--out",
                 "--dry-run", "--budget-usd", "RUN_DIR", "--paper", "examples:",
                 "python -m agents run --agent cot_context --strategy reinagent --questions 10 --trials 3"):
        assert text in done.stdout, text


@pytest.mark.parametrize("argv, message", [
    ([], "required: COMMAND"),
    (["run", "--agent", "reflexion"], "argument --agent: invalid choice: 'reflexion'"),
    (["run", "--task", "chess"], "argument --task: invalid choice: 'chess'"),
    (["run", "--feedback", "tests"], "argument --feedback: task hotpotqa offers feedback oracle, self, judge"),
    (["run", "--feedback", "judge"], "--feedback judge needs --judge-llm"),
    (["run", "--agent", "react", "--strategy", "simple"], "'simple' does not apply to task hotpotqa; choose one of"),
    (["run", "--agent", "react", "--questions", "0"], "argument --questions/--games/--problems/--samples: must be at least 1"),
    (["run", "--agent", "react", "--trials", "-1"], "argument --trials: must be at least 1"),
    (["run", "--agent", "react", "--trials", "two"], "argument --trials: expected a positive integer"),
    (["run", "--agent", "react", "--concurrency", "0"], "argument --concurrency: must be at least 1"),
    (["run", "--agent", "react", "--budget-usd", "-3"], "argument --budget-usd: must be > 0"),
    (["run", "--agent", "react", "--budget-usd", "0"], "argument --budget-usd: must be > 0"),
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
    assert "hotpotqa react/reinagent: 6 questions x 3 trials, model scripted, oracle feedback" in out
    assert "success_rate" in out and f"run folder: {run_dir}" in out
    assert f"plot: {run_dir / 'success_rate.png'}" in out
    for name in ("success_rate.png", "success_rate.svg", "attempts.jsonl", "manifest.json",
                 "summary.csv", "log.txt"):
        assert (run_dir / name).stat().st_size > 0, name
    assert scripted == [("local", {})]  # the default model spec


@pytest.mark.parametrize("spelling, folder", [("last_attempt", "last_trial"), ("last_trial", "last_trial"),
                                              ("base", "base"), ("none", "base"), ("REFLEXION", "reinagent")])
def test_every_strategy_spelling_a_user_can_see_is_accepted(scripted, tmp_path, capsys, spelling, folder):
    assert main(["run", "--agent", "cot_no_context", "--strategy", spelling, "--questions",
                 "3", "--trials", "2", "--out", str(tmp_path), "--run-name", "x"]) == 0
    assert (tmp_path / "cot_no_context" / folder / "x" / "success_rate.png").exists()


def test_tasks_lists_hotpotqa_with_its_agents(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert "hotpotqa" in out and "react, cot_context, cot_no_context" in out and "oracle, self, judge" in out


def test_self_feedback_run_records_its_source_and_the_gold_scores(scripted, tmp_path, capsys):
    import json
    assert main(["run", "--task", "hotpotqa", "--agent", "cot_context", "--strategy", "reinagent",
                 "--feedback", "self", "--questions", "4", "--trials", "2", "--out", str(tmp_path),
                 "--run-name", "honest"]) == 0
    out = capsys.readouterr().out
    assert "self feedback" in out
    lines = (tmp_path / "cot_context/reinagent/honest/attempts.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(r["feedback_source"] == "self" and "em" in r and "f1" in r for r in records)
    # The scripted checker says yes to everything: no question is retried, whatever its EM.
    assert {r["trial"] for r in records} == {1}


def test_two_seeds_get_two_run_folders_and_a_resume_says_what_it_found(scripted, tmp_path, capsys):
    for seed in ("0", "1"):
        assert main(["run", "--agent", "cot_context", "--questions", "3", "--trials", "1",
                     "--seed", seed, "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("cot_context/reinagent/*"))) == 2
    capsys.readouterr()
    assert main(["run", "--agent", "cot_context", "--questions", "3", "--trials", "1", "--seed", "1",
                 "--out", str(tmp_path)]) == 0
    assert "resuming" in capsys.readouterr().err


def test_a_shorter_rerun_never_shrinks_the_manifest(scripted, tmp_path, capsys):
    import json
    argv = ["run", "--agent", "cot_context", "--questions", "3", "--out", str(tmp_path), "--run-name", "m"]
    assert main([*argv, "--trials", "3"]) == 0
    assert main([*argv, "--trials", "1"]) == 0
    manifest = json.loads((tmp_path / "cot_context/reinagent/m/manifest.json").read_text())
    assert manifest["n_trials"] == 3


def test_budget_on_a_free_model_runs_and_says_so(scripted, tmp_path, capsys):
    assert main(["run", "--agent", "cot_context", "--questions", "2", "--trials", "1", "--budget-usd", "1",
                 "--out", str(tmp_path), "--run-name", "b"]) == 0
    captured = capsys.readouterr()
    assert "budget-usd ignored" in captured.err and (tmp_path / "cot_context/reinagent/b/success_rate.png").exists()


def test_a_run_whose_attempts_failed_exits_1_with_a_summary(monkeypatch, sample, tmp_path, capsys):
    class Broken(ScriptedHotpotModel):
        def _generate(self, prompt, stop, max_tokens):
            raise RuntimeError("HTTP 400 (context length exceeded)")

    monkeypatch.setattr(agents.llm, "make_llm", lambda spec, **o: Broken.from_records(sample))
    assert main(["run", "--agent", "react", "--questions", "3", "--trials", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "3 attempt(s) ended in an error" in err and "context length" in err and "run the same command again" in err


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
    assert err.startswith("error: refusing to resume") and "the samples changed" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_missing_data_from_the_environment_is_one_line(scripted, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTPOTQA_PATH", str(tmp_path / "missing.jsonl"))
    assert main(["run", "--agent", "react", "--questions", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: HotPotQA file not found") and "Traceback" not in err


def test_too_many_questions_runs_all_and_says_so(scripted, tmp_path, capsys):
    """Like --problems 200 and --games 134 (issue 21 item 6): all of them, and a note."""
    assert main(["run", "--agent", "react", "--questions", "101", "--dry-run", "--out", str(tmp_path)]) == 0
    assert "note: asked for 101 questions, but HotPotQA has 100 here: running all 100" in capsys.readouterr().out


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
    assert "cot_context · base" in out and "cot_context · reinagent" in out
    assert (tmp_path / "cmp.png").exists() and (tmp_path / "cmp.svg").exists()
    assert main(["plot", str(tmp_path / "root")]) == 0  # no --out: under the results root, not the cwd
    assert (tmp_path / "root" / "comparison.png").exists()


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
    assert "attempts" in done.stderr  # the progress bar
