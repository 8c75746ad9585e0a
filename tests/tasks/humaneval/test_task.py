"""The HumanEval task end to end, on the real sandbox, with a scripted coder whose curve is known:
it writes ``return None`` until a reflection is in its memory, then the canonical solution.

- ``reinagent`` + ``tests`` feedback: 0 -> all (its own tests, the docstring's examples, catch the
  wrong function; the reflection fixes it); ``none``: stays at 0 (nothing is carried over);
- ``oracle`` feedback does the same, and tells the agent nothing but "incorrect";
- no prompt of any run holds a line of the hidden tests, and no record or report does either;
- every record names its feedback source; the hidden tests run once per attempt.

Skips only when bubblewrap is missing (CI installs it).
"""
import json
import threading
from collections import OrderedDict

import pytest

from agents.engine.runner import run_trials
from agents.llm import LLM, Completion
from agents.tasks import get_task
from tests.tasks.humaneval import needs_sandbox
from agents.tasks.humaneval.scripted import ScriptedCoder

pytestmark = needs_sandbox

# Real problems whose docstring examples a `return None` body fails and whose canonical body passes.
IDS = ("HumanEval/0", "HumanEval/2", "HumanEval/13", "HumanEval/23", "HumanEval/53")


@pytest.fixture(scope="module")
def problems():
    from agents.tasks.humaneval.data import load_humaneval
    return [p for p in load_humaneval() if p["task_id"] in IDS]


class Recording(LLM):
    """Every prompt a run sends, kept (thread-safe) for inspection."""

    backend = "scripted"

    def __init__(self, model):
        self.model, self.name, self.prompts = model, model.name, []
        self._lock = threading.Lock()

    def _generate(self, prompt, stop, max_tokens):
        with self._lock:
            self.prompts.append(prompt)
        return Completion(self.model.reply_for(prompt), 10, 10)


def _run(problems, tmp_path, strategy, feedback, n_trials=3, **options):
    model = Recording(ScriptedCoder(problems))
    frame = run_trials("codegen", problems, task="humaneval", strategy=strategy, feedback=feedback,
                       n_trials=n_trials, llm=model, root=tmp_path, cache=False, progress=False, **options)
    return frame, model


def _pass_at_1(frame):
    """Problems whose latest attempt passes the hidden tests, after each trial."""
    latest, curve = {}, []
    for trial in sorted(frame["trial"].unique()):
        for row in frame[frame["trial"] == trial].to_dict("records"):
            latest[row["sample_id"]] = row["correct"]
        curve.append(sum(latest.values()))
    return curve


def _hidden_lines(problem):
    return [line.strip() for line in problem["test"].splitlines()
            if line.strip().startswith(("assert", "def check"))]


@pytest.mark.parametrize("feedback", ["tests", "oracle"])
def test_reinagent_fixes_every_problem_after_one_reflection(problems, tmp_path, feedback):
    frame, _ = _run(problems, tmp_path, "reinagent", feedback)
    assert _pass_at_1(frame) == [0, len(problems)]
    assert frame["error"].isna().all() and set(frame["feedback_source"]) == {feedback}
    second = frame[frame["trial"] == 2]
    assert all(len(r) == 1 and r[0].startswith("The implementation returned None") for r in second["reflections"])
    first = frame[frame["trial"] == 1].to_dict("records")
    if feedback == "tests":  # the message names the failing tests and their output
        assert all("# output: None" in r["feedback"]["message"] for r in first)
    else:  # the hidden tests say nothing but "incorrect"
        assert all(r["feedback"]["message"] == "" for r in first)
        assert all("Feedback: Answer is INCORRECT" in r["trajectory"] for r in first)


@pytest.mark.parametrize("feedback", ["tests", "oracle"])
def test_without_memory_nothing_improves(problems, tmp_path, feedback):
    frame, _ = _run(problems, tmp_path, "none", feedback)
    assert _pass_at_1(frame) == [0, 0, 0]
    assert len(frame) == 3 * len(problems) and frame["reflections"].map(len).eq(0).all()


@pytest.mark.parametrize("strategy, feedback", [("reinagent", "tests"), ("last_attempt_and_reinagent", "oracle"),
                                                ("last_attempt", "tests")])
def test_no_prompt_and_no_record_holds_a_hidden_test(problems, tmp_path, strategy, feedback):
    frame, model = _run(problems, tmp_path, strategy, feedback)
    assert model.prompts
    everything = "\n".join(model.prompts)
    for problem in problems:
        for line in _hidden_lines(problem):
            assert line not in everything, f"{problem['task_id']}: a hidden test reached a prompt: {line}"
    assert "candidate(" not in everything and "def check(" not in everything
    run_dir = tmp_path / "codegen" / frame.attrs["manifest"]["strategy"]
    written = "\n".join(path.read_text() for path in run_dir.rglob("*") if path.suffix in (".jsonl", ".json", ".txt", ".csv"))
    assert "def check(" not in written and "candidate(" not in written
    records = [json.loads(line) for path in run_dir.rglob("attempts.jsonl") for line in path.read_text().splitlines()]
    assert records and all(r["feedback_source"] == feedback and r["target"] is None for r in records)
    assert all(r["scores"]["pass"] is r["correct"] for r in records)


def test_last_attempt_shows_the_code_and_its_results_but_does_not_fix(problems, tmp_path):
    frame, model = _run(problems[:1], tmp_path, "last_attempt", "tests", n_trials=2)
    retry = [p for p in model.prompts if "Your last attempt was:" in p]
    assert retry and "Function: has_close_elements\nImplementation:" in retry[0]
    assert "failed: assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False # output: None" in retry[0]
    assert _pass_at_1(frame) == [0, 0]


def test_resuming_keeps_the_tests_of_trial_one(problems, tmp_path):
    _, first = _run(problems[:2], tmp_path, "reinagent", "tests", n_trials=1, run_name="resume")
    frame, again = _run(problems[:2], tmp_path, "reinagent", "tests", n_trials=2, run_name="resume")
    written = [p for p in first.prompts + again.prompts if p.endswith("# Tests:\nassert")]
    assert len(written) == 2  # one tests prompt per problem, in the first session only
    assert _pass_at_1(frame) == [0, 2]


def test_the_hidden_tests_run_once_per_attempt(problems, tmp_path, monkeypatch):
    from agents.tasks.humaneval import scoring

    calls = []
    real = scoring.score
    monkeypatch.setattr(get_task("humaneval"), "_verdicts", OrderedDict())  # forget earlier tests' verdicts
    monkeypatch.setattr(scoring, "score", lambda *a, **k: calls.append(1) or real(*a, **k))
    frame, _ = _run(problems[:2], tmp_path, "reinagent", "oracle", n_trials=2)
    assert len(calls) == len(frame) == 4  # oracle feedback and the pass score share one verdict


def test_the_task_contract(problems):
    task = get_task("humaneval")
    assert task.default_feedback == "tests" and task.runs_root.parts[-2:] == ("programming_runs", "root")
    with pytest.raises(ValueError, match="offers feedback tests, oracle"):
        task.check_feedback("judge")
    with pytest.raises(ValueError, match="missing field 'test'"):
        task.sample_from({"task_id": "x", "prompt": "", "entry_point": "f", "canonical_solution": ""})
    sample = task.sample_from(problems[0])
    assert task.target_of(sample) is None and task.score(sample, type("A", (), {"answer": ""})())["pass"] is False
    estimate = task.estimate("codegen", [sample], ScriptedCoder(problems), 3, task.prompts("codegen"),
                             {"max_tokens": 100}, True)
    assert estimate["calls"] == 2 + 2 * 2 and estimate["input_tokens"] > 0
