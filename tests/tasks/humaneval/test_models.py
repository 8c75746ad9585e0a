"""Real models write real junk: the embedded Gemma 3 270M runs one problem for two trials, and a
model that answers every prompt with garbage runs a few problems; neither may crash or record an
error, and every attempt keeps its code, its tests and its feedback source."""
import random

import pytest

from agents.engine.runner import run_trials
from agents.llm import CallableLLM
from tests.tasks.humaneval import needs_sandbox

pytestmark = needs_sandbox

JUNK = ["", "\n\n", "```python\n", "```", "def f(:\n", "    return", "    while True: pass\n", "import os\n",
        "    raise SystemExit\n", "assert", " f(1) == ", "(((((", "é日本語\x00", "Reflection:", "(end of examples)",
        "    return [x for x in range(10**9)]\n", "\tprint('hi')\n", "if __name__ == '__main__':\n"]


def _check(frame, feedback):
    assert len(frame) and frame["error"].isna().all(), frame["error"].tolist()
    assert set(frame["feedback_source"]) == {feedback}
    for row in frame.to_dict("records"):
        assert row["trajectory"].startswith("Implementation:") and "\nFeedback: " in row["trajectory"]
        assert isinstance(row["correct"], bool) and isinstance(row["extra"]["tests"], list)


def test_garbage_replies_never_crash_a_run(tmp_path):
    from agents.tasks.humaneval.data import load_humaneval

    rng = random.Random(7)
    model = CallableLLM(lambda prompt: "".join(rng.choice(JUNK) for _ in range(rng.randint(0, 12))), name="junk")
    problems = load_humaneval(n=3, seed=3)
    frame = run_trials("codegen", problems, task="humaneval", strategy="last_attempt_and_reinagent", n_trials=2,
                       llm=model, root=tmp_path, cache=False, progress=False)
    _check(frame, "tests")


def test_the_embedded_model_runs_one_problem_for_two_trials(tmp_path):
    pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python (requirements.txt)")
    from agents.tasks.humaneval.data import load_humaneval

    problem = [p for p in load_humaneval() if p["task_id"] == "HumanEval/23"]  # strlen: a short prompt
    frame = run_trials("codegen", problem, task="humaneval", n_trials=2, llm="local",   # the default arm
                       root=tmp_path, progress=False, max_tokens=64, test_max_tokens=32, reflect_max_tokens=32)
    _check(frame, "tests")
    assert frame.attrs["manifest"]["strategy"] == "reflexion"
    assert frame["llm_calls"].sum() >= 2 and frame["output_tokens"].sum() > 0
    if len(frame) == 2:  # its own tests failed at trial 1, so it reflected (a 270M model may write nothing)
        assert frame.iloc[1]["trial"] == 2
    else:                 # it passed its own tests, or wrote none it could run (untested: its trials end)
        first = frame.iloc[0]
        assert first["success"] or first["feedback"]["untested"]
