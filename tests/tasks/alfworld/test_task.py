"""The ALFWorld task without the engine: the contract, samples, prompts and few-shots, the oracle, the
actor's limits (step limit, repeats, thoughts, a prompt that outgrows the context) on a stub game,
the reference curves, the dry run, and that importing the task loads no engine."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agents.llm import CallableLLM
from agents.tasks import get_task
from agents.tasks.alfworld import TASK, actor, fewshots, paper, prompts
from agents.tasks.alfworld.actor import AlfWorldAgent, stop_line
from agents.tasks.alfworld.env import SUITE_ROOT, TASK_TYPES, list_games, read_goal
from agents.tasks.alfworld.oracle import GameOracle
from agents.types import Feedback

REPO = Path(__file__).resolve().parents[3]


class StubGame:
    """A game without the engine: ``move mug 1 to shelf 1`` wins; everything else is a room reply."""

    task_type, goal = "pick_and_place_simple", "put some mug on shelf"

    def __init__(self):
        self.won = self.done = False
        self.sent: list[str] = []

    def reset(self):
        self.won = self.done = False
        return "You are in the middle of a room.\nYour task is to: put some mug on shelf.", {}

    def step(self, action):
        self.sent.append(action)
        self.won = self.done = action == "move mug 1 to shelf 1"
        reply = "You move the mug 1 to the shelf 1." if self.won else f"You arrive at {action[6:] or 'nowhere'}."
        return reply, self.won, self.done, {}


def scripted(*replies):
    queue = iter(replies)
    return CallableLLM(lambda prompt: next(queue), name="stub")


def test_the_task_contract():
    assert get_task("alfworld") is TASK
    assert (TASK.name, TASK.title, TASK.unit, TASK.agents) == ("alfworld", "ALFWorld", "games", ("react",))
    assert TASK.feedback_sources == ("oracle",) and TASK.primary_score == "won"
    assert TASK.runs_root == REPO / "alfworld_runs" / "root"
    assert TASK.default_options("react") == {"max_reflections": 3, "max_steps": 50, "repeat_limit": 2,
                                             "loop_period": 1, "action_tokens": 100, "reflect_max_tokens": 256}
    assert "12 games from the shipped suite" in TASK.data_status()
    with pytest.raises(ValueError, match="offers feedback oracle"):
        TASK.check_feedback("self")


def test_importing_the_task_loads_no_engine():
    code = ("import sys, agents.tasks.alfworld as a; a.TASK.load(); a.list_games; a.AlfWorldGame; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alfworld', 'textworld')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_samples():
    games = TASK.load()
    assert len(games) == 12 and len({g.id for g in games}) == 12
    assert all(g.target is None and g.input == read_goal(g.data["gamefile"]) for g in games)
    three = TASK.load(n=3)
    assert len({g.data["task_type"] for g in three}) == 3          # spread over the task types
    assert [g.id for g in TASK.load(n=3)] == [g.id for g in three]  # reproducible
    assert [g.id for g in TASK.load(n=3, seed=1)] != [g.id for g in three]
    by_path = TASK.to_samples([list_games()[0], {"gamefile": list_games()[1], "id": "mine"}])
    assert by_path[0].id == games[0].id and by_path[1].id == "mine"
    with pytest.raises(ValueError, match="needs a 'gamefile'"):
        TASK.sample_from({"question": "?"})
    with pytest.raises(FileNotFoundError, match="no ALFWorld game"):
        TASK.sample_from("/nowhere/game.tw-pddl")


def test_prompts_and_few_shots():
    shown = TASK.prompts("react")
    assert set(shown) == set(prompts.PROMPT_OPTIONS)
    for kind in TASK_TYPES:
        games = prompts.examples_for(shown["examples"], kind).split("\n\n")
        assert len(games) == 2 and all(g.startswith("You are in the middle of a room.") for g in games)
    with pytest.raises(ValueError, match="no '### pick_two_obj_and_place' section"):
        prompts.examples_for("### look_at_obj_in_light\nA", "pick_two_obj_and_place")
    suite_goals = {read_goal(path) for path in list_games(SUITE_ROOT)}
    shot_goals = {line.split(": ", 1)[1].rstrip(".") for shots in fewshots.FEWSHOTS.values() for shot in shots
                  for line in shot.splitlines() if line.startswith("Your task is to:")}
    assert not shot_goals & suite_goals  # the few-shots are not the suite's games
    # The reflection few-shots end as the actor ends an attempt.
    assert {t.splitlines()[-1] for t, _ in fewshots.REFLECTIONS} == {stop_line("repeated")}
    assert shown["reflect_examples"].count("Reflection: ") == 2


def test_the_oracle_is_the_game():
    game = StubGame()
    with pytest.raises(RuntimeError, match="not bound"):
        GameOracle(sample_id="g")("x", "y")
    oracle = TASK.feedback("oracle", TASK.load(n=1)[0], llm=None)
    assert oracle.bind(game)("", "") == Feedback(False, "the game never counted the task as done", "oracle")
    game.won = True
    assert oracle("", "").success
    attempt = type("A", (), {"feedback": Feedback(True, source="oracle")})()
    assert TASK.score(None, attempt) == {"won": True}


def test_an_attempt_thinks_acts_and_wins():
    game = StubGame()
    agent = AlfWorldAgent(game=game, llm=scripted(" think: The mug goes on the shelf.", "> go to desk 1",
                                                  " move mug 1 to shelf 1\nmore text"))
    attempt = agent.run()
    assert game.sent == ["go to desk 1", "move mug 1 to shelf 1"]  # the thought never reached the engine
    assert attempt.success and attempt.steps == 3 and attempt.answer == "move mug 1 to shelf 1"
    assert attempt.trajectory.splitlines()[2:4] == ["> think: The mug goes on the shelf.", "OK."]
    assert attempt.extra == {"task_type": "pick_and_place_simple", "stop": "game_over", "thoughts": 1,
                             "engine_steps": 2, "steps_cut_from_prompt": 0, "short_replies": 0}


def test_repeats_and_the_step_limit_stop_an_attempt():
    repeat = AlfWorldAgent(game=StubGame(), llm=scripted(" go to desk 1", " GO TO DESK 1."))
    attempt = repeat.run()
    assert attempt.trajectory.endswith(stop_line("repeated")) and not attempt.success and not attempt.halted
    # The original's rule, the default: a cycle A-B-A-B is not stopped (it may still win later).
    original = AlfWorldAgent(game=StubGame(), llm=scripted(*[" go to shelf 1", " go to shelf 2"] * 3), max_steps=5)
    attempt = original.run()
    assert attempt.halted and attempt.steps == 5 and attempt.trajectory.endswith(stop_line("step_limit", 5))
    circle = AlfWorldAgent(game=StubGame(), llm=scripted(*[" go to shelf 1", " go to shelf 2"] * 3),
                           loop_period=actor.CYCLE_LOOP_PERIOD)
    assert circle.run().trajectory.endswith("(stopped: the same 2 commands twice in a row)")
    empty = AlfWorldAgent(game=StubGame(), llm=scripted("\n", ""))
    attempt = empty.run()
    assert attempt.invalid_actions == 2 and attempt.trajectory.splitlines()[2:4] == [">", "Nothing happens."]


def test_a_long_attempt_leaves_its_oldest_steps_out_of_the_prompt():
    prompts_seen = []
    commands = iter(f" go to shelf {k}" for k in range(1, 100))

    def model(prompt):
        prompts_seen.append(prompt)
        return next(commands)

    llm = CallableLLM(model, name="counting")
    agent = AlfWorldAgent(game=StubGame(), llm=llm, max_steps=40, examples="", reflect_examples="")
    budget = llm.count_tokens(agent.template.format(examples="", memory="", scratchpad="x" * 400))
    agent.max_prompt_tokens = budget
    attempt = agent.run()
    assert attempt.steps == 40 and attempt.error is None
    assert attempt.trajectory.count("\n> go to shelf") == 40          # the record keeps every step
    cut = attempt.extra["steps_cut_from_prompt"]
    assert cut > 0 and f"the last prompt left out the oldest {cut} steps" in attempt.trajectory.splitlines()[-2]
    assert all(llm.count_tokens(p) <= budget for p in prompts_seen)
    assert "earlier steps are not shown here" in prompts_seen[-1] and "> go to shelf 1\n" not in prompts_seen[-1]
    tiny = AlfWorldAgent(game=StubGame(), llm=llm, max_prompt_tokens=10)
    attempt = tiny.run()  # not even the bare prompt fits: halted, not crashed
    assert attempt.halted and attempt.steps == 0 and attempt.trajectory.endswith(stop_line("context"))


def test_reference_curves_from_the_original_logs():
    reflexion = paper.PAPER_CURVES["ReAct + Reflexion"]["solved"]
    base = paper.PAPER_CURVES["ReAct, no memory"]["solved"]
    assert len(reflexion) == 15 and reflexion[0] == base[0] == 84 and reflexion[10] == 130 and reflexion[-1] == 134
    assert base[-1] == 101 and reflexion == sorted(reflexion) and base == sorted(base)
    curves = TASK.paper_curves("react")
    assert len(curves) == 2 and all("text-davinci-002 acting, text-davinci-003 reflecting, 100-token actions, "
                                    "50 steps, oracle feedback, logged, 134 games" in label for label in curves)
    assert all(TASK.paper_agent(label) == "react" for label in curves)
    # Issue 18 item 9: the "no memory" log's memory grew through trials 1-4; all its 7 values are drawn.
    assert base == [84, 94, 97, 98, 100, 101, 101]
    assert "memory grew through trials 1-4, then froze" in paper.NO_MEMORY_LABEL
    assert [round(134 * r) for r in curves[paper.NO_MEMORY_LABEL]] == base


def test_dry_run_bounds_calls(tmp_path):
    from agents.engine.runner import run_trials

    row = run_trials("react", TASK.load(n=2), task="alfworld", n_trials=3, llm=CallableLLM(str, name="m"),
                     dry_run=True, root=tmp_path).iloc[0]
    assert row.max_llm_calls == 2 * (3 * actor.DEFAULT_MAX_STEPS + 2) and not (tmp_path / "react").exists()
