"""Whole ALFWorld runs on the real engine with scripted models: the winning plans win every game in
trial 1 (whichever placing verb the model uses), a model that plays the winning plan only once its
prompt shows a reflection goes from 0 to 12 under ``reinagent`` and stays at 0 under ``none`` (the
memory reaches the prompt, and only under a strategy that shows it), and a run killed with SIGKILL
resumes to the same records, then replays from the response cache with no model call.

Skipped without alfworld (``pip install alfworld==0.4.2``).
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# find_spec, not importorskip: importing alfworld sets ALFWORLD_DATA for the whole process.
if importlib.util.find_spec("alfworld") is None:
    pytest.skip("the ALFWorld engine is not installed: pip install alfworld==0.4.2", allow_module_level=True)

from agents.engine.runner import run_trials  # noqa: E402
from agents.tasks.alfworld import TASK, ScriptedAlfWorldModel  # noqa: E402
from agents.testing.compare import comparable  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def games():
    return TASK.load()


@pytest.fixture(scope="module")
def rooms(games):
    """One engine per game for the whole module: building them is the slow part of a run."""
    environment = TASK.environment("react", games)
    yield environment
    environment.close()


@pytest.fixture(scope="module")
def learned(games, rooms, tmp_path_factory):
    """The reference run: 12 games x 3 trials under reinagent, the learner model, no cache."""
    return run(games, rooms, tmp_path_factory.mktemp("learned"), "learn", learner(games), cache=False)


def learner(games):
    """Wins once its prompt shows 1 reflection (first six games) or 2 (the other six)."""
    return ScriptedAlfWorldModel.for_suite(solve_after={g.input: 1 + (i >= 6) for i, g in enumerate(games)})


def run(games, rooms, tmp_path, name, model, strategy="reinagent", trials=3, **options):
    return run_trials("react", games, task="alfworld", strategy=strategy, n_trials=trials, llm=model,
                      environment=rooms, root=tmp_path / "root", run_name=name, progress=False, **options)


def solved_by_trial(frame) -> list[int]:
    return [int(v) for v in frame.groupby("trial").correct.sum().cumsum()]


def test_winning_plans_win_every_game_in_trial_1_with_either_verb(games, rooms, tmp_path):
    frame = run(games, rooms, tmp_path, "win", ScriptedAlfWorldModel.for_suite(verbs="put"), trials=1)
    assert solved_by_trial(frame) == [12]
    assert all("put " in t and "in/on" in t for t in frame.trajectory if "move" in t or "put " in t)
    assert set(frame.feedback_source) == {"oracle"} and all(s["won"] for s in frame.scores)
    assert {e["stop"] for e in frame.extra} == {"game_over"}
    manifest = json.loads((Path(frame.attrs["run_dir"]) / "manifest.json").read_text())
    assert manifest["environment"]["versions"]["alfworld"] == "0.4.2"
    assert manifest["environment"]["label"] == "ALFWorld suite, 12 games (alfworld 0.4.2)"
    assert manifest["agent_options"]["max_reflections"] == 3


def test_reflections_reach_the_prompt_under_reinagent_only(games, rooms, learned, tmp_path):
    assert solved_by_trial(learned) == [0, 6, 12]
    second = learned[learned.trial == 2]
    assert all(len(r) == 1 for r in second.reflections) and set(second.feedback_source) == {"oracle"}
    assert all(t.endswith("(the game is over)") for t in learned[learned.correct].trajectory)
    control = run(games, rooms, tmp_path, "control", learner(games), strategy="none", trials=2)
    assert solved_by_trial(control) == [0, 0]
    assert all(not r for r in control.reflections)


def test_max_reflections_caps_the_memory(games, rooms, tmp_path):
    # Winning needs 2 reflections on screen: with only the newest one shown, it never wins.
    capped = run(games[6:7], rooms, tmp_path, "capped", learner(games), max_reflections=1)
    assert solved_by_trial(capped) == [0, 0, 0]


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from agents.engine.runner import run_trials
    from agents.tasks.alfworld import TASK, ScriptedAlfWorldModel

    games = TASK.load()
    model = ScriptedAlfWorldModel.for_suite(solve_after={g.input: 1 + (i >= 6) for i, g in enumerate(games)})
    run_trials("react", games, task="alfworld", strategy="reinagent", n_trials=3, llm=model,
               root=sys.argv[1], run_name=sys.argv[2], progress=False)
""")


def test_sigkill_then_resume_gives_the_same_records_and_the_cache_replays_them(games, rooms, learned, tmp_path):
    script = tmp_path / "victim.py"
    script.write_text(KILL_SCRIPT)
    root = tmp_path / "root"
    attempts = root / "react" / "reinagent" / "killed" / "attempts.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the response cache: this test's XDG_CACHE_HOME
    victim = subprocess.Popen([sys.executable, str(script), str(root), "killed"], env=env)
    deadline = time.time() + 60
    while time.time() < deadline and victim.poll() is None:
        if attempts.exists() and len(attempts.read_text().splitlines()) >= 8:
            break
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    recorded = len(attempts.read_text().splitlines())
    assert 8 <= recorded < 30, "the kill should land mid-run"

    resumed = run(games, rooms, tmp_path, "killed", learner(games))
    assert resumed.attrs["resumed"] == recorded
    assert comparable(resumed) == comparable(learned)  # as if never killed

    replay = run(games, rooms, tmp_path, "replay", learner(games))
    counters = json.loads((Path(replay.attrs["run_dir"]) / "manifest.json").read_text())["counters"]
    assert counters["llm_calls"] == 0 and counters["cache_hits"] == learned.llm_calls.sum()
    assert comparable(replay) == comparable(learned)
