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
from agents.tasks.humaneval.visible import docstring_tests
from agents.strategies import LAST_ATTEMPT_HEADER

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


# -- the paper's protocol by default (issue 18 items 1-4; issue 21 item 2) ---------------------------------
def test_the_cli_default_is_reflexion_and_trial_two_sees_the_code_its_failures_and_the_reflection(tmp_path):
    """``python -m agents run --task humaneval --problems 3 --trials 2`` on a scripted model (served
    over HTTP by the fake OpenAI-compatible server) that writes a wrong body: the trial-2 code
    prompt holds the trial-1 implementation, its failing test output and the reflection."""
    from agents.cli import main
    from agents.tasks.humaneval.data import load_humaneval
    from agents.testing.fake_server import FakeOpenAIServer

    coder = ScriptedCoder(load_humaneval())
    seen = []
    with FakeOpenAIServer(lambda prompt: seen.append(prompt) or coder.reply_for(prompt),
                          model_name="scripted-coder") as server:
        code = main(["run", "--task", "humaneval", "--problems", "3", "--trials", "2",
                     "--llm", "openai-compatible:scripted-coder", "--base-url", server.base_url,
                     "--out", str(tmp_path), "--no-cache"])
    assert code == 0
    run_dir = next((tmp_path / "codegen" / "reflexion").iterdir())
    records = [json.loads(line) for line in (run_dir / "attempts.jsonl").read_text().splitlines()]
    first = {r["sample_id"]: r for r in records if r["trial"] == 1}
    second = [r for r in records if r["trial"] == 2]
    assert len(first) == 3 and second, "every problem failed trial 1 and was retried"
    for record in second:
        before = first[record["sample_id"]]
        body = before["answer"].strip()
        failing = next(line[len("failed: "):] for line in before["trajectory"].splitlines() if line.startswith("failed: "))
        assert body == "return None" and "# output: None" in failing
        entry_point = coder._problem(before["input"])["entry_point"]
        prompt = next(p for p in seen if LAST_ATTEMPT_HEADER in p and f"Function: {entry_point}\n" in p)
        assert "    return None" in prompt and failing in prompt and record["reflection"] in prompt
        assert record["reflection"].startswith("The implementation returned None")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["strategy"] == "reflexion" and manifest["feedback_source"] == "tests"
    options = manifest["agent_options"]
    assert (options["max_tokens"], options["test_max_tokens"], options["reflect_max_tokens"]) == (1024, 1024, 256)
    assert options["max_tests"] is None and options["on_untested"] == "stop"


def _untestable(problems):
    """A coder that writes no test the agent can run (prose instead of asserts), and wrong code."""
    class Untestable(ScriptedCoder):
        def reply_for(self, prompt):
            return " the tests would go here" if prompt.endswith("# Tests:\nassert") else super().reply_for(prompt)
    return Untestable(problems)


def test_an_attempt_with_no_runnable_test_is_untested_in_records_tables_and_logs(problems, tmp_path):
    from agents.engine.report import outcome

    model = Recording(_untestable(problems[:2]))
    frame = run_trials("codegen", problems[:2], task="humaneval", n_trials=3, llm=model, root=tmp_path,
                       cache=False, progress=False)
    assert len(frame) == 2 and set(frame["trial"]) == {1}            # the original's rule: its loop ends there
    records = frame.to_dict("records")
    assert all(r["feedback"]["untested"] and not r["success"] and r["feedback"]["stop"] for r in records)
    assert all(outcome(r) == "untested" for r in records)             # not "correct", not "incorrect"
    run_dir = tmp_path / "codegen" / "reflexion"
    run_dir = next(run_dir.iterdir())
    summary = (run_dir / "summary.csv").read_text().splitlines()
    assert "untested" in summary[0].split(",") and summary[1].split(",")[summary[0].split(",").index("untested")] == "2"
    log = (run_dir / "log.txt").read_text()
    assert "--- UNTESTED (2) ---" in log and "no runnable test" in log
    from agents.engine.viewer import viewer_data
    shown = viewer_data([(records, frame.attrs["manifest"])])
    assert {"code": "u", "name": "untested"} in [{k: o[k] for k in ("code", "name")} for o in shown["outcomes"]]
    assert [s["outcomes"][0] for s in shown["runs"][0]["samples"]] == ["u", "u"]
    again = run_trials("codegen", problems[:2], task="humaneval", n_trials=2, llm=Recording(_untestable(problems[:2])),
                       root=tmp_path, run_name="retry", cache=False, progress=False, on_untested="retry")
    assert len(again) == 4                                            # --untested retry: every trial runs


def test_simple_makes_one_attempt_judged_by_the_hidden_tests(problems, tmp_path):
    frame, model = _run(problems[:2], tmp_path, "simple", None, n_trials=3)
    assert len(frame) == 2 and not any(p.endswith("# Tests:\nassert") for p in model.prompts)
    assert frame.attrs["manifest"]["feedback_source"] == "none" and frame.attrs["manifest"]["strategy"] == "simple"


def test_immediate_reflexion_runs_every_trial_without_a_test(problems, tmp_path):
    frame, model = _run(problems[:2], tmp_path, "immediate-reflexion", None, n_trials=3)
    assert len(frame) == 6 and not any(p.endswith("# Tests:\nassert") for p in model.prompts)
    assert _pass_at_1(frame) == [0, 2, 2]                             # the reflection fixed it; it ran on


def test_test_acc_reports_per_problem_whether_the_models_tests_accept_the_canonical_solution(problems, tmp_path):
    class HalfWrong(ScriptedCoder):
        def reply_for(self, prompt):
            reply = super().reply_for(prompt)
            wrong = self.problems[0]["prompt"].strip() in prompt
            return reply + "\nassert " + self.problems[0]["entry_point"] + "([], 0.1) == 42" if wrong and \
                prompt.endswith("# Tests:\nassert") else reply
    model = Recording(HalfWrong(problems[:2]))
    frame = run_trials("codegen", problems[:2], task="humaneval", strategy="test-acc", n_trials=3, llm=model,
                       root=tmp_path, cache=False, progress=False)
    by_id = {r["sample_id"]: r for r in frame.to_dict("records")}
    assert len(frame) == 2 and all(p.endswith("# Tests:\nassert") for p in model.prompts)   # no code is written
    assert by_id[problems[0]["task_id"]]["scores"]["tests_accept_canonical"] is False
    assert by_id[problems[1]["task_id"]]["scores"]["tests_accept_canonical"] is True
    assert frame.attrs["manifest"]["strategy"] == "test-acc"


def test_visible_docstring_tests_are_a_different_feedback(problems, tmp_path):
    frame, model = _run(problems[:1], tmp_path, "reflexion", "tests+docstring", n_trials=1)
    assert frame.attrs["manifest"]["feedback_source"] == "tests+docstring"
    assert frame.iloc[0]["extra"]["tests"][0] in docstring_tests(problems[0]["prompt"], problems[0]["entry_point"])


def test_the_task_flags_are_refused_on_other_tasks(capsys):
    from agents.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--task", "hotpotqa", "--max-tests", "3", "--dry-run"])
    assert "--max-tests applies to --task humaneval" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--task", "humaneval", "--visible-tests", "docstring", "--feedback", "oracle", "--dry-run"])
    assert "cannot go with --feedback oracle" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--task", "hotpotqa", "--strategy", "test-acc", "--dry-run"])
    assert "does not apply to task hotpotqa" in capsys.readouterr().err


def test_a_grid_names_humaneval_arms_as_humaneval_means_them():
    from agents.engine.grid import configurations, task_strategies

    assert configurations(["codegen"], ["reflexion", "last_attempt"], [0], task="humaneval") == [
        ("codegen", "reflexion", 0), ("codegen", "immediate-refinement", 0)]
    assert "reflexion" in task_strategies("humaneval") and "test-acc" not in task_strategies("hotpotqa")
