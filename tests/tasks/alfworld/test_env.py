"""The ALFWorld layer on the real engine: every suite game is won by its winning plan and not by
its wrong plan, actions are normalized, games are found in a stable order, ``ALFWORLD_DATA``
errors say what to do, and the committed suite is exactly what ``build_suite`` makes today.

Tests that play games need alfworld 0.4.2 (``pip install alfworld==0.4.2``) and skip without it;
the rest run anywhere.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agents.tasks.alfworld import env as alf
from agents.tasks.alfworld.fewshots import FEWSHOTS
from agents.tasks.alfworld.suite_spec import SUITE

REPO = Path(__file__).resolve().parents[3]


def _have_engine() -> bool:
    try:
        return importlib.util.find_spec("alfworld") is not None
    except (ImportError, ValueError):
        return False


HAVE_ENGINE = _have_engine()
needs_engine = pytest.mark.skipif(not HAVE_ENGINE, reason="alfworld is not installed: pip install alfworld==0.4.2")


@pytest.fixture(scope="module")
def games():
    """One engine per suite game, shared by its tests (loading one costs ~0.3-1 s)."""
    opened: dict = {}

    def get(spec):
        if spec.scene not in opened:
            opened[spec.scene] = alf.AlfWorldGame(alf.SUITE_ROOT / spec.relpath)
        return opened[spec.scene]

    yield get
    for game in opened.values():
        game.close()


def play(game, plan):
    observation, info = game.reset()
    replies = []
    for action in plan:
        reply, won, done, info = game.step(action)
        replies.append(reply)
    return observation, replies


# --- every suite game, on the engine ---------------------------------------------------------

@needs_engine
@pytest.mark.parametrize("kind", ["win", "wrong"])
@pytest.mark.parametrize("spec", SUITE, ids=lambda spec: str(spec.scene))
def test_plans(games, spec, kind):
    game = games(spec)
    observation, replies = play(game, getattr(spec, kind))
    assert observation.startswith("You are in the middle of a room. Looking quickly around you, you see ")
    assert observation.splitlines()[1] == f"Your task is to: {game.goal}."
    # Every step of both plans is a real move (a plan that only "wins" by luck proves nothing).
    assert not [r for r in replies if r == "Nothing happens."], replies
    assert game.won is (kind == "win"), (spec.folder, kind, replies[-1])
    assert game.done is (kind == "win")      # the wrong plan ends well inside the step limit


@needs_engine
def test_reset_and_info(games):
    spec = SUITE[0]
    game = games(spec)
    observation, info = game.reset()
    assert info["gamefile"] == str(alf.SUITE_ROOT / spec.relpath)
    assert info["task_type"] == game.task_type == spec.task_type
    assert "go to sidetable 1" in game.admissible_commands == info["admissible_commands"]
    assert (game.won, game.done, game.steps) == (False, False, 0)


@needs_engine
def test_old_verbs_and_noise_still_win(games):
    game = games(SUITE[0])                     # put a keychain on the dresser
    play(game, ["> go to sidetable 1.", "  Take keychain 1 from sidetable 1 ", "go to dresser 1",
                "put keychain 1 in/on dresser 1"])
    assert game.won


@needs_engine
def test_done_at_the_step_limit_is_not_success():
    with alf.AlfWorldGame(alf.SUITE_ROOT / SUITE[0].relpath, max_steps=3) as game:
        with pytest.raises(RuntimeError, match="reset"):
            game.step("look")
        game.reset()
        results = [game.step("look")[1:3] for _ in range(3)]
        assert results == [(False, False), (False, False), (False, True)]
        assert game.done and not game.won
        with pytest.raises(RuntimeError, match="call reset"):
            game.step("look")
        game.reset()                              # the same object plays it again
        assert not game.done


@needs_engine
def test_games_in_threads_play_as_they_do_alone():
    from concurrent.futures import ThreadPoolExecutor

    def won(spec):
        with alf.AlfWorldGame(alf.SUITE_ROOT / spec.relpath) as game:
            play(game, spec.win)
            return game.won

    with ThreadPoolExecutor(4) as pool:          # TextWorld's parser is not thread-safe alone
        assert list(pool.map(won, SUITE[:4])) == [True] * 4


def test_a_missing_game_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="list_games"):
        alf.AlfWorldGame(tmp_path / "game.tw-pddl")


def test_goal_and_task_type_need_no_engine():
    for spec in SUITE:
        game = alf.AlfWorldGame(alf.SUITE_ROOT / spec.relpath)
        assert game.task_type == spec.task_type
        assert spec.obj.lower() in game.goal
        game.close()                              # never started: nothing to close


# --- the suite on disk ----------------------------------------------------------------------

@needs_engine
def test_committed_suite_equals_a_fresh_build(tmp_path):
    from agents.tasks.alfworld.build_suite import build_suite, compare
    build_suite(tmp_path)
    assert compare(tmp_path, alf.SUITE_ROOT) == []
    # and the build wrote nothing else: two files per game, as the released dataset has
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 2 * len(SUITE)


def test_suite_is_two_games_per_task_type_in_distinct_rooms():
    assert sorted(spec.task_type for spec in SUITE) == sorted(alf.TASK_TYPES * 2)
    layouts = [tuple(sorted(spec.layout)) for spec in SUITE]
    assert len(set(layouts)) == len(SUITE)
    assert {spec.room for spec in SUITE} >= {"kitchen", "bathroom", "bedroom", "living room"}
    for spec in SUITE:
        assert spec.win != spec.wrong and spec.wrong_why


def test_readme_lists_every_game():
    readme = (REPO / "alfworld_runs" / "data" / "README.md").read_text()
    for spec in SUITE:
        assert spec.folder in readme
        assert alf.read_goal(alf.SUITE_ROOT / spec.relpath) in readme


# --- finding games --------------------------------------------------------------------------

def test_list_games_is_the_suite_in_path_order():
    found = alf.list_games(alf.SUITE_ROOT)
    assert len(found) == 12
    rel = [Path(p).relative_to(alf.SUITE_ROOT).as_posix() for p in found]
    assert rel == sorted(rel) == sorted(spec.relpath for spec in SUITE)


def _fake_game(root: Path, split: str, task: str, trial: str, solvable=True, game=True):
    folder = root / "json_2.1.1" / split / task / trial
    folder.mkdir(parents=True)
    (folder / "traj_data.json").write_text("{}")
    if game:
        (folder / "game.tw-pddl").write_text(json.dumps({"solvable": solvable}))


def test_list_games_order_filters_and_split_names(tmp_path):
    # created out of order, with what AlfredTWEnv would skip mixed in
    _fake_game(tmp_path, "valid_unseen", "pick_two_obj_and_place-Pen-None-Desk-3", "trial_b")
    _fake_game(tmp_path, "valid_unseen", "pick_and_place_simple-Pen-None-Desk-3", "trial_z")
    _fake_game(tmp_path, "valid_unseen", "pick_two_obj_and_place-Pen-None-Desk-3", "trial_a")
    _fake_game(tmp_path, "valid_unseen", "pick_heat_then_place_in_recep-AppleSliced-None-Fridge-3", "t")
    _fake_game(tmp_path, "valid_unseen", "pick_and_place_with_movable_recep-Pen-Mug-Desk-3", "t")
    _fake_game(tmp_path, "valid_unseen", "pick_and_place_simple-Cup-None-Desk-3", "t", solvable=False)
    _fake_game(tmp_path, "valid_unseen", "pick_and_place_simple-Mug-None-Desk-3", "t", game=False)
    found = alf.list_games(tmp_path)     # eval_out_of_distribution is valid_unseen in the download
    assert [Path(p).relative_to(tmp_path / "json_2.1.1/valid_unseen").parent.as_posix() for p in found] == [
        "pick_and_place_simple-Pen-None-Desk-3/trial_z",
        "pick_two_obj_and_place-Pen-None-Desk-3/trial_a",
        "pick_two_obj_and_place-Pen-None-Desk-3/trial_b"]
    with pytest.raises(FileNotFoundError, match="json_2.1.1/train"):
        alf.list_games(tmp_path, split="train")


def test_games_root_default_and_alfworld_data(tmp_path, monkeypatch):
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    assert alf.games_root() == alf.SUITE_ROOT
    _fake_game(tmp_path / "data", "valid_unseen", "pick_and_place_simple-Pen-None-Desk-3", "t")
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "data"))
    assert alf.games_root() == tmp_path / "data"
    assert len(alf.list_games()) == 1


@pytest.mark.parametrize("case", ["missing", "empty", "json_only"])
def test_alfworld_data_without_games_is_a_clear_error(tmp_path, monkeypatch, case):
    root = tmp_path / "alfworld"
    if case != "missing":
        root.mkdir()
    if case == "json_only":                # traj_data.json without game files: not generated yet
        _fake_game(root, "valid_unseen", "pick_and_place_simple-Pen-None-Desk-3", "t", game=False)
    monkeypatch.setenv("ALFWORLD_DATA", str(root))
    with pytest.raises(FileNotFoundError) as err:
        alf.games_root()
    message = str(err.value)
    assert "ALFWORLD_DATA" in message and str(alf.SUITE_ROOT) in message and "unset" in message


def test_task_type_comes_from_the_folder():
    with pytest.raises(ValueError, match="does not start with one of"):
        alf.task_type_of("json_2.1.1/valid_unseen/somewhere-else/trial_1/game.tw-pddl")


# --- the engine stays out of the way --------------------------------------------------------

def test_import_does_not_load_the_engine():
    code = ("import sys, agents.tasks.alfworld, agents.tasks.alfworld.env, agents.tasks.alfworld.fewshots, "
            "agents.tasks.alfworld.suite_spec, agents.tasks.alfworld.build_suite; "
            "print(sorted(m for m in ('alfworld', 'textworld') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@needs_engine
def test_importing_alfworld_leaves_the_environment_alone(monkeypatch):
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    alfworld = alf.import_alfworld()
    assert "ALFWORLD_DATA" not in os.environ      # alfworld sets it (to ~/.cache/alfworld) on import
    # alfworld keeps its version in alfworld.info (`alfworld.__version__` does not exist)
    assert alf.engine_version()["alfworld"] == alfworld.info.__version__ == "0.4.2"


def test_missing_engine_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "alfworld", None)     # makes `import alfworld` fail
    with pytest.raises(ImportError, match=re.escape("pip install alfworld==0.4.2")):
        alf.import_alfworld()


# --- actions and few-shots ------------------------------------------------------------------

@pytest.mark.parametrize("raw, admissible, expected", [
    ("put mug 1 in/on shelf 1", None, "move mug 1 to shelf 1"),
    ("put mug 1 in shelf 1", None, "move mug 1 to shelf 1"),
    ("put mug 1 on shelf 1", ["move mug 1 to shelf 1"], "move mug 1 to shelf 1"),
    ("move mug 1 to shelf 1", ["put mug 1 in/on shelf 1"], "put mug 1 in/on shelf 1"),
    ("move mug 1 to shelf 1", None, "move mug 1 to shelf 1"),
    (">  go to  countertop 2 .", None, "go to countertop 2"),
    ("`Open Fridge 1`", None, "open fridge 1"),
    ("take pen 1 from desk 1\n", None, "take pen 1 from desk 1"),
    ("> think: Put it On the shelf.", None, "think: Put it On the shelf."),
])
def test_normalize_action(raw, admissible, expected):
    assert alf.normalize_action(raw, admissible) == expected


def test_fewshots_are_engine_transcripts_outside_the_suite():
    suite_goals = {alf.read_goal(alf.SUITE_ROOT / spec.relpath) for spec in SUITE}
    verbs = ("go to ", "take ", "move ", "open ", "close ", "clean ", "heat ", "cool ", "use ", "examine ")
    for task_type, shots in FEWSHOTS.items():
        for shot in shots:
            lines = shot.splitlines()
            assert lines[0].startswith("You are in the middle of a room. Looking quickly around you, you see ")
            goal = lines[1].removeprefix("Your task is to: ").rstrip(".")
            assert goal != lines[1] and goal not in suite_goals
            assert len(lines) % 2 == 0
            for action, reply in zip(lines[2::2], lines[3::2]):
                assert action.startswith("> "), action
                command = action[2:]
                if command.startswith("think:"):
                    assert reply == "OK."
                else:
                    assert command.startswith(verbs) and alf.normalize_action(command) == command
                    assert reply and not reply.startswith(("> ", "Nothing happens"))
