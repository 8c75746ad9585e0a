"""What a new user hit (issue 21) where it shows outside the report: the CLI saying what it clamped
or kept, and the README's commands and sample output staying true to the code."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import agents.llm
from agents.cli import main
from agents.engine.report import SUMMARY_COLUMNS
from agents.testing.scripted import ScriptedHotpotModel

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.fixture
def scripted(monkeypatch, sample):
    monkeypatch.setattr(agents.llm, "make_llm", lambda spec, **options: ScriptedHotpotModel.from_records(sample))


def test_run_says_when_it_runs_fewer_samples_than_asked(scripted, monkeypatch, tmp_path, capsys):
    """Item 6: `--problems 200` (HumanEval has 164) and `--num_envs 134` (12 shipped games) became
    164 and 12 without a word. Any task that has fewer samples than asked gets the same note."""
    from agents.tasks import get_task

    task = get_task("hotpotqa")
    real_load = type(task).load
    monkeypatch.setattr(type(task), "load", lambda self, n=None, seed=0, path=None: real_load(self, n=3, seed=seed, path=path))
    assert main(["run", "--agent", "cot_context", "--questions", "200", "--trials", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "note: asked for 200 questions, but HotPotQA has 3 here: running all 3" in out
    assert "3 questions x 1 trials" in out


def test_a_smaller_trials_count_says_what_was_kept(scripted, tmp_path, capsys):
    """Item 6: re-running a 3-trial run with --trials 2 printed "x 2 trials" above a 3-trial table."""
    argv = ["run", "--agent", "cot_context", "--questions", "4", "--out", str(tmp_path), "--run-name", "r"]
    assert main(argv + ["--trials", "3"]) == 0
    capsys.readouterr()
    assert main(argv + ["--trials", "2"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("hotpotqa cot_context/"))
    assert "4 questions x 3 trials" in header
    assert "note: --trials 2 kept this run's 3 trials" in out
    table_trials = [line.split()[0] for line in out.splitlines() if re.match(r"^\d+\s+\d+", line)]
    assert table_trials == ["1", "2", "3"]


def test_the_readme_serve_example_is_small():
    """Item 13: the walk-through after `agents serve` launched 100 questions x 5 trials (3,400 calls)
    against a local server. Every `run` in that section that talks to the served model states a
    small size."""
    section = README.split("## Serving a model")[1].split("\n## ")[0]
    local = [line for line in section.splitlines() if "python -m agents run" in line and "127.0.0.1" in line]
    assert local, "the serve section shows how to run against the served model"
    for line in local:
        samples = re.search(r"--(?:questions|games|problems|samples) (\d+)", line)
        trials = re.search(r"--trials (\d+)", line)
        assert samples and trials and int(samples.group(1)) * int(trials.group(1)) <= 30, line


def test_the_readme_sample_output_matches_what_run_prints(scripted, tmp_path, capsys):
    """Item 14: the README's "What the main command printed" must be what the CLI prints now: the
    header line's shape and the table's columns."""
    block = README.split("## What the main command printed")[1].split("```")[1]
    lines = [line for line in block.strip("\n").splitlines() if line.strip()]
    assert main(["run", "--agent", "cot_context", "--questions", "3", "--trials", "2", "--out", str(tmp_path)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    shape = lambda line: re.sub(r"\d+", "N", re.sub(r"model \S+", "model M", line))
    assert shape(lines[0]).split(",")[0] == shape(printed[0]).split(",")[0]
    assert lines[1].split() == printed[1].split() == [c for c in SUMMARY_COLUMNS if c != "trial"]
    assert [line.split(":")[0] for line in lines if line.startswith(("plot:", "run folder:"))] == ["plot", "run folder"]


def test_without_the_hotpotqa_sample_only_the_tests_that_read_it_fail(tmp_path):
    """The root conftest used to stop the whole session (the token bucket's tests included) when
    HOTPOTQA_PATH was missing; now the tests that read it fail with the message, and no others."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE",
                           "tests/test_limits.py", "tests/test_docstore.py"],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HOTPOTQA_PATH": str(tmp_path / "missing.jsonl")})
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    assert failed, done.stdout[-3000:]
    # each failure is a test that reads the sample, stopped at setup with the message
    assert done.stdout.count("the test needs the HotPotQA sample: set HOTPOTQA_PATH") >= len(failed)
    assert int(re.search(r"(\d+) passed", done.stdout).group(1)) >= 20   # the token bucket's tests ran


# The full test command as CI last ran it: 1,081 s on 2 cores (issue 21, closing pass). Update this
# with the next measurement; the README must stay within a few minutes of it.
MEASURED_TEST_COMMAND_S = 1081


def test_the_readme_says_how_long_the_test_command_takes():
    """Item 14: the README said "~10 minutes" for the test command while CI measured ~18. The
    paragraph above the test command states a duration close to the measured one, and no other
    line of the README claims the tests take ten minutes."""
    intro = README.split("<!-- test-command -->")[0].strip().rsplit("\n\n", 1)[-1]
    stated = re.search(r"(?:about|~)\s*(\d+)\s*min(?:utes)?", intro)
    assert stated, f"the paragraph before the test command states no duration:\n{intro}"
    assert abs(int(stated.group(1)) * 60 - MEASURED_TEST_COMMAND_S) <= 3 * 60, stated.group(0)
    assert "on 2 cores" in intro                      # a duration means nothing without the machine
    stale = [line for line in README.splitlines() if re.search(r"(?:~|about )10 min", line)]
    assert not stale, stale
