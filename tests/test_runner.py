"""The run engine: records, resume after SIGKILL, torn lines, cache, concurrency, refusal, budget."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from agents.engine.runner import ResumeRefused, run_trials
from agents.testing.compare import comparable
from agents.testing.scripted import ScriptedHotpotModel


def run(sample, tmp_path, name, agent="react", n=20, trials=3, **kw):
    model = kw.pop("llm", None) or ScriptedHotpotModel.from_records(sample.head(n))
    return run_trials(agent, sample.head(n), strategy=kw.pop("strategy", "reinagent"), n_trials=trials,
                      llm=model, root=tmp_path / "root", run_name=name, progress=False, **kw)


def test_records_and_run_folder(sample, tmp_path):
    frame = run(sample, tmp_path, "r1")
    run_dir = frame.attrs["run_dir"]
    assert run_dir.endswith(os.path.join("react", "reinagent", "r1"))
    assert set(os.listdir(run_dir)) >= {"manifest.json", "attempts.jsonl", "summary.csv", "log.txt"}
    assert (frame.groupby("sample_id").correct.sum() <= 1).all()       # solved questions stay solved
    assert set(frame[frame.trial == 1].sample_id) == set(sample.head(20).id)
    later = frame[frame.trial == 2].sample_id
    assert not set(later) & set(frame[(frame.trial == 1) & frame.correct].sample_id)
    manifest = json.load(open(os.path.join(run_dir, "manifest.json")))
    counters = manifest["counters"]
    assert counters["llm_calls"] + counters["cache_hits"] == frame.llm_calls.sum()
    assert counters["cache_hits"] == frame.cache_hits.sum()  # identical reflection prompts, paid once
    assert manifest["prompts"]["template"]["sha256_16"] and manifest["dataset_ids"] == list(sample.head(20).id)
    for field in ("target", "em", "f1", "trajectory", "feedback_source", "scores", "reflections", "invalid_actions", "input_tokens", "cost_usd"):
        assert field in frame.columns
    summary = open(os.path.join(run_dir, "summary.csv")).read().splitlines()
    assert summary[0].startswith("trial,attempted,feedback_success,correct,incorrect,halted")
    assert "Trial 1:" in open(os.path.join(run_dir, "log.txt")).read()


def test_same_records_at_concurrency_1_and_8(sample, tmp_path):
    one = run(sample, tmp_path, "c1", concurrency=1, cache=False)
    eight = run(sample, tmp_path, "c8", concurrency=8, cache=False)
    assert comparable(one) == comparable(eight)


def test_second_run_is_served_from_the_cache(sample, tmp_path):
    cache = tmp_path / "cache.sqlite"
    first = run(sample, tmp_path, "first", cache_path=cache)
    second = run(sample, tmp_path, "second", cache_path=cache)
    counters = json.load(open(os.path.join(second.attrs["run_dir"], "manifest.json")))["counters"]
    assert counters["llm_calls"] == 0 and counters["cache_hits"] == first.llm_calls.sum()
    assert comparable(first) == comparable(second)
    uncached = run(sample, tmp_path, "third", cache=False)
    assert json.load(open(os.path.join(uncached.attrs["run_dir"], "manifest.json")))["counters"]["cache_hits"] == 0


def test_changed_prompt_refuses_to_resume(sample, tmp_path):
    run(sample, tmp_path, "same", trials=1)
    from agents.tasks.hotpotqa.prompts import REACT_TEMPLATE
    with pytest.raises(ResumeRefused, match="prompt 'template' changed.*run_name"):
        run(sample, tmp_path, "same", trials=1, template=REACT_TEMPLATE.replace("Thought", "Idea"))
    with pytest.raises(ResumeRefused, match="model changed"):
        run(sample, tmp_path, "same", trials=1, llm=ScriptedHotpotModel.from_records(sample, name="other"))


def test_resume_continues_and_extends_trials(sample, tmp_path):
    short = run(sample, tmp_path, "grow", trials=1)
    longer = run(sample, tmp_path, "grow", trials=3)
    full = run(sample, tmp_path, "ref", trials=3)
    assert comparable(longer) == comparable(full)
    counters = json.load(open(os.path.join(longer.attrs["run_dir"], "manifest.json")))["counters"]
    assert counters["llm_calls"] + counters["cache_hits"] == full.llm_calls.sum()  # trial 1 not run twice
    assert len(short) < len(longer)


def test_torn_last_line_is_tolerated(sample, tmp_path):
    frame = run(sample, tmp_path, "torn", trials=1)
    path = os.path.join(frame.attrs["run_dir"], "attempts.jsonl")
    with open(path, "a") as f:
        f.write('{"question_id": "5a7613c15542994ccc9186bf", "trial": 2, "scr')
    with pytest.warns(UserWarning, match="torn"):
        resumed = run(sample, tmp_path, "torn", trials=2)
    lines = open(path).read().splitlines()
    assert all(json.loads(line) for line in lines)   # healed: every line parses again
    assert comparable(resumed) == comparable(run(sample, tmp_path, "clean", trials=2))


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from agents.tasks.hotpotqa.data import load_hotpotqa
    from agents.engine.runner import run_trials
    from agents.testing.scripted import ScriptedHotpotModel

    class Slow(ScriptedHotpotModel):
        def _generate(self, prompt, stop, max_tokens):
            time.sleep(0.01)
            return super()._generate(prompt, stop, max_tokens)

    qs = load_hotpotqa(sys.argv[1]).head(30)
    run_trials("react", qs, strategy="last_attempt_and_reinagent", n_trials=3, llm=Slow.from_records(qs),
               root=sys.argv[2], run_name="killed", concurrency=4, cache_path=sys.argv[3], progress=False)
""")


def test_sigkill_mid_run_then_resume_gives_the_same_records(sample, sample_path, tmp_path):
    script = tmp_path / "victim.py"
    script.write_text(KILL_SCRIPT)
    root = tmp_path / "root"
    attempts = root / "react" / "last_trial_and_reinagent" / "killed" / "attempts.jsonl"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    victim = subprocess.Popen([sys.executable, str(script), str(sample_path), str(root),
                               str(tmp_path / "c.sqlite")], env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if attempts.exists() and len(attempts.read_text().splitlines()) >= 25:
            break
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    recorded = len(attempts.read_text().splitlines())
    assert recorded >= 25, "the victim should have recorded attempts before the kill"
    qs = sample.head(30)
    resumed = run_trials("react", qs, strategy="last_attempt_and_reinagent", n_trials=3,
                         llm=ScriptedHotpotModel.from_records(qs), root=root, run_name="killed",
                         concurrency=4, cache_path=tmp_path / "c.sqlite", progress=False)
    reference = run_trials("react", qs, strategy="last_attempt_and_reinagent", n_trials=3,
                           llm=ScriptedHotpotModel.from_records(qs), root=root, run_name="reference",
                           cache=False, progress=False)
    assert comparable(resumed) == comparable(reference)
    assert len(resumed) > recorded or recorded == len(reference)


def test_budget_stops_cleanly_with_everything_recorded(sample, tmp_path):
    model = ScriptedHotpotModel.from_records(sample.head(20), name="gpt-4o")  # priced like gpt-4o
    frame = run(sample, tmp_path, "budget", llm=model, budget_usd=0.01, cache=False)
    manifest = json.load(open(os.path.join(frame.attrs["run_dir"], "manifest.json")))
    assert frame.attrs["stopped"] == "budget" and manifest["counters"]["stopped"] == "budget"
    assert 0 < len(frame) < 20 and manifest["counters"]["cost_usd"] >= 0.01
    lines = open(os.path.join(frame.attrs["run_dir"], "attempts.jsonl")).read().splitlines()
    assert len(lines) == len(frame)


def test_the_budget_is_the_runs_not_each_sessions(sample, tmp_path):
    """Issue 16 item 8: four resumes at one budget spent 8x it; a resume counts what was spent."""
    model = ScriptedHotpotModel.from_records(sample.head(20), name="gpt-4o")
    first = run(sample, tmp_path, "budget-resume", llm=model, budget_usd=0.01, cache=False)
    spent = first.attrs["manifest"]["counters"]["cost_usd"]
    for _ in range(3):
        again = run(sample, tmp_path, "budget-resume", llm=model, budget_usd=0.01, cache=False)
        assert again.attrs["stopped"] == "budget"
    manifest = again.attrs["manifest"]
    assert manifest["counters"]["cost_usd"] == spent   # nothing more was paid past the budget
    assert len(again) == len(first)


def test_dry_run_calls_nothing_and_writes_nothing(sample, tmp_path):
    calls = []

    class Counting(ScriptedHotpotModel):
        def _generate(self, prompt, stop, max_tokens):
            calls.append(prompt)
            return super()._generate(prompt, stop, max_tokens)

    estimate = run(sample, tmp_path, "dry", llm=Counting.from_records(sample, name="gpt-4o-mini"), dry_run=True)
    row = estimate.iloc[0]
    assert not calls and not (tmp_path / "root").exists()
    assert row.max_llm_calls == 20 * (3 * 6 + 2) and row.max_cost_usd > 0


def test_failed_attempts_are_recorded_and_retried_on_resume(sample, tmp_path):
    class Flaky(ScriptedHotpotModel):
        broken = True

        def _generate(self, prompt, stop, max_tokens):
            if self.broken and "Question: " + sample.question.iloc[0] in prompt:
                raise ConnectionError("upstream reset")
            return super()._generate(prompt, stop, max_tokens)

    model = Flaky.from_records(sample.head(5))
    first = run(sample, tmp_path, "flaky", n=5, llm=model, cache=False)
    failed = first[first.error.notna()]
    assert list(failed.sample_id) == [sample.id.iloc[0]] and "upstream reset" in failed.error.iloc[0]
    assert len(first[first.sample_id == sample.id.iloc[0]]) == 1   # not run again in the same session
    model.broken = False
    resumed = run(sample, tmp_path, "flaky", n=5, llm=model, cache=False)
    assert resumed.error.isna().all()
    assert comparable(resumed) == comparable(run(sample, tmp_path, "ok", n=5, llm=model, cache=False))


@pytest.mark.parametrize("bad, message", [
    (dict(agent="reflexion"), "unknown agent"),
    (dict(strategy="sometimes"), "unknown strategy"),
    (dict(n_trials=0), "n_trials"),
    (dict(llm="gpt-4"), "unknown model spec"),
    (dict(concurrency=0), "concurrency"),
])
def test_bad_arguments_fail_before_any_call(sample, tmp_path, bad, message):
    options = dict(agent="cot_context", strategy="reinagent", n_trials=2,
                   llm=ScriptedHotpotModel.from_records(sample), concurrency=1, **{})
    options.update(bad)
    agent = options.pop("agent")
    with pytest.raises(ValueError, match=message):
        run_trials(agent, sample.head(3), root=tmp_path, progress=False, **options)
    assert not any(tmp_path.iterdir())


# -- the run engine's fixes: final rows, values read back, the barrier, faithful HotPotQA ----------

def test_a_retried_error_is_one_final_row_in_every_reader(sample, tmp_path):
    """A failed call retried on resume leaves two rows; loaders, tables and plots count one."""
    import util
    from agents.engine.plots import load_run, success_curve

    class FlakyOnce(ScriptedHotpotModel):
        broken = True

        def _generate(self, prompt, stop, max_tokens):
            if self.broken and "Question: " + sample.question.iloc[1] in prompt and "(try 1)" in prompt:
                raise ConnectionError("reset during trial 2")
            return super()._generate(prompt, stop, max_tokens)

    model = FlakyOnce.from_records(sample.head(3), solve_at={q: 3 for q in sample.question.head(3)})
    run(sample, tmp_path, "twice", n=3, llm=model, cache=False)
    model.broken = False
    frame = run(sample, tmp_path, "twice", n=3, llm=model, cache=False)
    run_dir = frame.attrs["run_dir"]
    rows = [json.loads(line) for line in open(os.path.join(run_dir, "attempts.jsonl"))]
    assert len(rows) == len(frame) + 1                      # the history keeps the error row
    assert sorted(r["attempt_no"] for r in rows if r["sample_id"] == sample.id.iloc[1] and r["trial"] == 2) == [1, 2]
    loaded = load_run(run_dir)
    assert len(loaded) == len(frame) and loaded.groupby(["sample_id", "trial"]).size().max() == 1
    table = util.summarize(run_dir)
    assert list(table["attempted"]) == [3, 3, 3] and table["errors"].sum() == 0
    assert success_curve(loaded)[1] == [0.0, 0.0, 1.0]


def test_values_read_back_mean_what_they_meant(sample, tmp_path):
    """One error among many: pandas reads the other rows' missing error as NaN, not as an error."""
    import util
    from agents.engine.plots import load_run, success_curve

    class FailsOne(ScriptedHotpotModel):
        def _generate(self, prompt, stop, max_tokens):
            if "Question: " + sample.question.iloc[0] in prompt:
                raise ConnectionError("down")
            return super()._generate(prompt, stop, max_tokens)

    frame = run(sample, tmp_path, "one-error", agent="cot_context", n=10, llm=FailsOne.from_records(sample.head(10)),
                cache=False)
    expected = util.summarize(frame)
    assert expected.loc[1, "errors"] == 1
    loaded = load_run(frame.attrs["run_dir"])
    assert loaded["error"].isna().sum() >= 1 or loaded["error"].isnull().any()
    assert util.summarize(loaded).loc[1, "errors"] == 1
    assert success_curve(loaded)[1] == list(expected["success_rate"]) and expected["success_rate"].iloc[-1] > 0


def test_no_barrier_gives_the_same_records_as_the_barrier(sample, tmp_path):
    free = run(sample, tmp_path, "free", concurrency=4, cache=False)
    barrier = run(sample, tmp_path, "barrier", concurrency=4, cache=False, barrier=True)
    assert comparable(free) == comparable(barrier)


def test_last_attempt_and_reinagent_shows_one_reflection_in_a_whole_run(sample, tmp_path):
    model = ScriptedHotpotModel.from_records(sample.head(6), max_trial=9)
    frame = run(sample, tmp_path, "laar", agent="cot_no_context", n=6, trials=4, llm=model,
                strategy="last_attempt_and_reinagent", cache=False)
    assert frame.trial.max() == 4 and frame.reflections.map(len).max() == 1


def test_runs_of_2_and_100_questions_search_the_same_pages(sample, tmp_path):
    small = run(sample, tmp_path, "two", n=2, trials=1, cache=False)
    large = run(sample, tmp_path, "all", n=100, trials=1, cache=False)
    environments = [json.load(open(os.path.join(f.attrs["run_dir"], "manifest.json")))["environment"]
                    for f in (small, large)]
    assert environments[0] == environments[1] and environments[0]["pages"] >= 900
    assert environments[0]["kind"] == "offline docstore"


def test_honest_feedback_stops_on_its_own_verdict_and_scores_by_em(sample, tmp_path):
    frame = run(sample, tmp_path, "self", agent="cot_context", n=8, trials=3, feedback="self", cache=False)
    assert set(frame.feedback_source) == {"self"} and set(frame.trial) == {1}  # the checker said yes
    assert frame.success.all() and not frame.correct.all()                     # ...and was not always right
    assert {"em", "f1"} <= set(frame.columns)


def test_run_trials_reads_as_the_method_in_under_60_lines():
    """Issue 19 item 4: the run's parts (spec, resume state, meter, scheduler, session) are named
    modules of agents/engine/trials; run_trials itself only joins them."""
    import ast
    import inspect

    from agents.engine import runner

    (node,) = [n for n in ast.parse(inspect.getsource(runner)).body
               if isinstance(n, ast.FunctionDef) and n.name == "run_trials"]
    assert node.end_lineno - node.lineno + 1 < 60
    for part in ("RunSpec", "ResumeState", "Meter", "Session"):
        assert part in ast.unparse(node), part
