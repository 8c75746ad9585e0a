"""Play one ALFWorld game on the real engine (alfworld 0.4 / TextWorld's PDDL engine), offline.

The engine is ALFWorld's own ``AlfredTWEnv``, configured in code (the wheel ships no
``base_config.yaml``) and pointed at a single ``game.tw-pddl``. Success is the engine's ``won``;
``done`` also fires when the step limit runs out, so it never counts as success.

    >>> from agents.tasks.alfworld.env import AlfWorldGame, list_games, games_root
    >>> with AlfWorldGame(list_games(games_root())[0]) as game:     # doctest: +SKIP
    ...     observation, info = game.reset()
    ...     observation, won, done, info = game.step("go to sidetable 1")

Everything that needs no engine works without alfworld installed, and ``import`` of this module
never loads it: finding games, reading a game's task sentence, normalizing an action.

>>> normalize_action("> put mug 1 in/on shelf 1.")
'move mug 1 to shelf 1'
>>> task_type_of("json_2.1.1/valid_unseen/pick_two_obj_and_place-Pencil-None-Drawer-912/trial_R912/game.tw-pddl")
'pick_two_obj_and_place'
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import os
import re
import threading
import warnings
from pathlib import Path

TASK_TYPES = ("pick_and_place_simple", "look_at_obj_in_light", "pick_clean_then_place_in_recep",
              "pick_heat_then_place_in_recep", "pick_cool_then_place_in_recep",
              "pick_two_obj_and_place")

# The suite built by build_suite.py and committed with the kit: json_2.1.1/<split>/<task>/<trial>/.
SUITE_ROOT = Path(__file__).resolve().parents[3] / "alfworld_runs" / "data" / "suite"
DATA_DIR = "json_2.1.1"
GAME_FILE = "game.tw-pddl"
DEFAULT_SPLIT = "eval_out_of_distribution"
# AlfredTWEnv's split names -> the folders `alfworld-download` makes; the suite uses the split names.
SPLIT_FOLDERS = {"train": "train", "eval_in_distribution": "valid_seen",
                 "eval_out_of_distribution": "valid_unseen"}
INSTALL_HINT = "pip install alfworld==0.4.2"
# The 134 games of the original's runs: valid_unseen (AlfredTWEnv's eval_out_of_distribution) after
# its filters (the six task types, no sliced objects, solvable), by task type.
VALID_UNSEEN_GAMES = {"pick_and_place_simple": 24, "look_at_obj_in_light": 18,
                      "pick_clean_then_place_in_recep": 31, "pick_heat_then_place_in_recep": 23,
                      "pick_cool_then_place_in_recep": 21, "pick_two_obj_and_place": 17}
OFFLINE_LAYOUT = """$ALFWORLD_DATA/json_2.1.1/valid_unseen/<task type>-<object>-<...>-<scene>/<trial>/game.tw-pddl
(made by `alfworld-download` in ~/.cache/alfworld on a machine with a network: copy its
json_2.1.1/valid_unseen/ folder, game.tw-pddl files included, and point ALFWORLD_DATA at the folder
above json_2.1.1; traj_data.json beside each game is not needed to play it; 134 games)"""


def import_alfworld():
    """Import ``alfworld`` without its import-time side effects, or say how to install it.

    ``import alfworld`` creates ``~/.cache/alfworld`` and sets ``ALFWORLD_DATA`` for the whole
    process when the variable is unset; the variable would then point at an empty folder and
    :func:`games_root` would refuse it. So the import runs with the variable pointing at the suite
    (an existing folder: nothing is created) and the environment is put back afterwards.
    """
    before = os.environ.get("ALFWORLD_DATA")
    if not before:  # unset, or set but empty (alfworld would try to create the folder '')
        os.environ["ALFWORLD_DATA"] = str(SUITE_ROOT if SUITE_ROOT.is_dir() else Path.cwd())
    try:
        import alfworld
        import alfworld.agents.environment.alfred_tw_env  # noqa: F401  (textworld, fast_downward)
    except ImportError as exc:
        raise ImportError(f"the ALFWorld engine is not installed ({exc}); run: {INSTALL_HINT}") from exc
    finally:
        if before is None:
            os.environ.pop("ALFWORLD_DATA", None)
        elif not before:
            os.environ["ALFWORLD_DATA"] = before
    # TextWorld's PddlEnv.load leaves its game file open on every reset; nothing to act on.
    warnings.filterwarnings("ignore", category=ResourceWarning, module=r"textworld\.envs\.pddl")
    return alfworld


def engine_version() -> dict:
    """Installed versions of the engine's packages, for run manifests (None where missing).
    Read from the installed metadata, so the engine is not imported (and note that alfworld
    keeps its own in ``alfworld.info.__version__``: ``alfworld.__version__`` does not exist).

    >>> sorted(engine_version())
    ['alfworld', 'fast-downward-textworld', 'textworld']
    """
    versions = {}
    for name in ("alfworld", "textworld", "fast-downward-textworld"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def split_dir(root, split: str = DEFAULT_SPLIT) -> Path:
    """The folder holding ``split``'s task folders under a data root: ``json_2.1.1/<split>``, or
    the folder `alfworld-download` names it (``eval_out_of_distribution`` -> ``valid_unseen``)."""
    data = Path(root) / DATA_DIR
    for name in (split, SPLIT_FOLDERS.get(split, split)):
        if (data / name).is_dir():
            return data / name
    return data / split


def task_type_of(gamefile) -> str:
    """The task type of a game, from its task folder's name (``<task type>-<object>-...``)."""
    folder = Path(gamefile).parent.parent.name
    kind = folder.split("-", 1)[0]
    if kind not in TASK_TYPES:
        raise ValueError(f"{gamefile}: task folder {folder!r} does not start with one of {TASK_TYPES}; "
                         f"games must lie in json_2.1.1/<split>/<task type>-.../<trial>/{GAME_FILE}")
    return kind


def list_games(root=None, split: str = DEFAULT_SPLIT) -> list:
    """Every playable game of ``split`` under ``root`` (default :func:`games_root`), as paths,
    sorted by their path relative to ``root`` so that the order is the same on every machine.

    Like ``AlfredTWEnv``, it keeps only the six task types, skips sliced-object tasks and games
    the generator marked unsolvable, and needs a ``game.tw-pddl`` (a ``traj_data.json`` alone is
    not a game: run ``alfworld-generate`` or ``build_suite.py`` first).
    """
    root = Path(root) if root is not None else games_root()
    folder = split_dir(root, split)
    if not folder.is_dir():
        raise FileNotFoundError(f"no {DATA_DIR}/{split} (or {DATA_DIR}/{SPLIT_FOLDERS.get(split, split)}) "
                                f"under {root}; expected {DATA_DIR}/<split>/<task>/<trial>/{GAME_FILE}")
    games = []
    for path in folder.glob(f"*/*/{GAME_FILE}"):
        task = path.parent.parent.name
        if task.split("-", 1)[0] not in TASK_TYPES or "Sliced" in task or not _solvable(path):
            continue
        games.append(path)
    return [str(p) for p in sorted(games, key=lambda p: p.relative_to(root).as_posix())]


def _solvable(gamefile: Path) -> bool:
    with open(gamefile) as f:
        return bool(json.load(f).get("solvable"))


def games_root() -> Path:
    """Where games come from: ``$ALFWORLD_DATA`` (the folder `alfworld-download` fills, holding
    ``json_2.1.1/``) when set, else the 12-game suite committed with the kit. Set but empty
    (``ALFWORLD_DATA=``) is unset (see :data:`OFFLINE_LAYOUT` for what the folder must hold)."""
    env = os.environ.get("ALFWORLD_DATA", "").strip()
    if not env:
        return SUITE_ROOT
    root = Path(env).expanduser()
    if not next(root.glob(f"{DATA_DIR}/*/*/*/{GAME_FILE}"), None):
        raise FileNotFoundError(
            f"ALFWORLD_DATA={env} holds no games ({DATA_DIR}/<split>/<task>/<trial>/{GAME_FILE}). "
            f"Point ALFWORLD_DATA at the folder `alfworld-download` filled (it contains {DATA_DIR}/; "
            f"offline, the layout is {OFFLINE_LAYOUT}), or unset ALFWORLD_DATA to use the kit's own "
            f"suite, which needs no download: {SUITE_ROOT}")
    return root


_PUT = re.compile(r"^put (?P<obj>.+?) (?:in/on|into|onto|in|on) (?P<recep>.+)$")
_MOVE = re.compile(r"^move (?P<obj>.+?) to (?P<recep>.+)$")


def normalize_action(action: str, admissible=None) -> str:
    """Clean a model's action and translate between ALFWorld's two placing verbs.

    ALFWorld before 0.4 said ``put X in/on Y``; 0.4 says ``move X to Y``. Models prompted with
    either must work, so each form is rewritten to the other when that is what the engine accepts:
    the one in ``admissible`` if given, else the 0.4 form (the installed engine's). A leading
    ``>``, surrounding quotes, a trailing period and extra spaces go; case is lowered
    (engine commands are lower case), except in a ``think:`` line.

    >>> normalize_action("> put mug 1 in/on shelf 1.")
    'move mug 1 to shelf 1'
    >>> normalize_action("put apple 2 on countertop 1")
    'move apple 2 to countertop 1'
    >>> normalize_action("  Go to   Shelf 1. ")
    'go to shelf 1'
    >>> normalize_action("move mug 1 to shelf 1", admissible=["put mug 1 in/on shelf 1", "look"])
    'put mug 1 in/on shelf 1'
    >>> normalize_action("take mug 1 from shelf 1", admissible=["look"])   # not admissible: kept
    'take mug 1 from shelf 1'
    >>> normalize_action("> think: First I need a mug.")
    'think: First I need a mug.'
    """
    text = " ".join(str(action).split())
    text = text.lstrip(">").strip().strip("`\"'").strip()
    if text.lower().startswith("think:"):
        return text
    text = text.rstrip(".").strip().lower()
    put, move = _PUT.match(text), _MOVE.match(text)
    forms = [text]
    if put:
        forms = [f"move {put['obj']} to {put['recep']}", text, f"put {put['obj']} in/on {put['recep']}"]
    elif move:
        forms = [text, f"put {move['obj']} in/on {move['recep']}"]
    if admissible is not None:
        allowed = {a.lower(): a for a in admissible}
        for form in forms:
            if form in allowed:
                return allowed[form]
    return forms[0]


def read_goal(gamefile) -> str:
    """The task sentence a game states after "Your task is to:", read from the file (no engine)."""
    with open(gamefile) as f:
        grammar = json.load(f)["grammar"]
    found = re.search(r"Your task is to: (.*?)\.?\"", grammar)
    if not found:
        raise ValueError(f"{gamefile}: no 'Your task is to:' sentence in its grammar; "
                         f"was it made by alfworld-generate or build_suite.py?")
    return found.group(1)


def engine_config(root, max_steps: int = 50) -> dict:
    """The configuration ``AlfredTWEnv`` reads, built in code for the data under ``root``.

    The keys are those of ALFWorld's ``base_config.yaml`` that the text engine uses; the planner
    expert stays off (``training_method: dagger`` only adds it when training).
    """
    alfworld = import_alfworld()
    return {
        "dataset": {"data_path": str(split_dir(root, "train")),
                    "eval_id_data_path": str(split_dir(root, "eval_in_distribution")),
                    "eval_ood_data_path": str(split_dir(root, "eval_out_of_distribution")),
                    "num_train_games": -1, "num_eval_games": -1},
        "logic": {"domain": alfworld.info.ALFRED_PDDL_PATH, "grammar": alfworld.info.ALFRED_TWL2_PATH},
        "env": {"type": "AlfredTWEnv", "domain_randomization": False, "task_types": [1, 2, 3, 4, 5, 6],
                "expert_type": "handcoded", "goal_desc_human_anns_prob": 0.0},
        "general": {"training_method": "dagger"},
        "dagger": {"training": {"max_nb_steps_per_episode": max_steps}},
        "rl": {"training": {"max_nb_steps_per_episode": max_steps}},
    }


class AlfWorldGame:
    """One ALFWorld game, played one action at a time.

    ``reset()`` returns the room and the task; ``step(action)`` returns
    ``(observation, won, done, info)``. Each ``reset()`` reloads the game from its file (0.3-0.8 s
    for a suite game), so one object serves every trial of a game; the engine is built on the
    first ``reset()``. Games may be played from several threads (one game per thread): their
    engine calls take turns, since TextWorld's parser is shared and not thread-safe.
    """

    def __init__(self, gamefile, max_steps: int = 50):
        path = Path(gamefile)
        if not path.is_file():
            raise FileNotFoundError(f"no ALFWorld game at {gamefile}: pass a {GAME_FILE} path, "
                                    f"e.g. one of list_games(games_root())")
        self.gamefile = os.path.abspath(path)
        self.task_type = task_type_of(path)
        self.goal = read_goal(path)
        self.max_steps = max_steps
        self._env = None
        self._won = self._done = False
        self._admissible: list = []
        self.steps = 0

    @property
    def won(self) -> bool:
        return self._won

    @property
    def done(self) -> bool:
        return self._done

    @property
    def admissible_commands(self) -> list:
        return list(self._admissible)

    def _engine(self):
        # Called with _ENGINE held.
        if self._env is None:
            import_alfworld()
            from alfworld.agents.environment.alfred_tw_env import AlfredTWEnv

            # Point the collector at this game's folder only (a cheap walk, not a whole split),
            # then hand it the game itself: it would skip one without traj_data.json.
            config = engine_config(Path(self.gamefile).parent, self.max_steps)
            config["dataset"]["eval_ood_data_path"] = os.path.dirname(self.gamefile)
            with _quiet():
                tw_env = AlfredTWEnv(config, train_eval="eval_out_of_distribution")
                tw_env.game_files, tw_env.num_games = [self.gamefile], 1
                self._env = tw_env.init_env(batch_size=1)
        return self._env

    def reset(self):
        """Start (or restart) the game: ``(observation, info)``, the observation being the room
        ("You are in the middle of a room. ...") and the task ("Your task is to: ...")."""
        with _ENGINE:
            observations, infos = self._engine().reset()
        # Drop the "-= Welcome to TextWorld, ALFRED! =-" banner (it tells a model nothing) and put
        # the room and the task on consecutive lines, the shape the few-shot examples show.
        parts = [part.strip() for part in observations[0].split("\n\n") if part.strip()]
        if parts and parts[0].startswith("-="):
            parts = parts[1:]
        self._won, self._done, self.steps = False, False, 0
        self._admissible = list(infos["admissible_commands"][0])
        return "\n".join(parts), self._info(infos, action=None)

    def step(self, action: str):
        """Play one action: ``(observation, won, done, info)``. The action is normalized first
        (``info["action"]`` is what the engine got); an inadmissible one gets "Nothing happens."."""
        if self._env is None:
            raise RuntimeError("call reset() before step(): the game is not started")
        if self._done:
            raise RuntimeError(f"the game is over (won={self._won}, {self.steps} steps); "
                               f"call reset() to play it again")
        command = normalize_action(action, self._admissible)
        with _ENGINE:
            observations, _scores, dones, infos = self._env.step([command])
        self.steps += 1
        self._won = bool(infos["won"][0])
        self._done = bool(dones[0]) or self._won
        self._admissible = list(infos["admissible_commands"][0])
        return observations[0].strip(), self._won, self._done, self._info(infos, action=command)

    def _info(self, infos, action):
        return {"won": self._won, "done": self._done, "steps": self.steps, "action": action,
                "admissible_commands": list(self._admissible), "gamefile": infos["extra.gamefile"][0],
                "task_type": self.task_type, "goal": self.goal}

    def close(self) -> None:
        with _ENGINE:
            if self._env is not None:
                self._env.close()
                self._env = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"AlfWorldGame({self.gamefile!r}, task_type={self.task_type!r}, goal={self.goal!r})"


# TextWorld parses every game (on each reset) with one shared tatsu parser, which breaks when two
# threads use it at once (IndexError deep in tatsu). Games may live in different threads, so every
# engine call takes this lock: engine work is serialized, the model calls between steps are not.
_ENGINE = threading.RLock()
_QUIET = threading.Lock()


@contextlib.contextmanager
def _quiet():
    """Swallow the engine's prints and progress bars while it is built (``AlfredTWEnv`` prints,
    its tqdm writes to stderr; reset and step print nothing). Redirecting is process-wide, so one
    thread at a time: two overlapping redirects could leave stdout pointing at a dead buffer."""
    with _QUIET, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield
