"""ALFWorld's samples and a run's environment: which games, and one engine per game.

A sample is one game file. Its id is ``<task folder>/<trial>`` (stable across machines), its input
is the task sentence (read from the file, no engine needed), and it has no target: the game itself
decides success. :class:`Rooms` is what a run's attempts act in: one
:class:`~agents.tasks.alfworld.env.AlfWorldGame` per game, built on first use and reset by every
trial after it (building is the costly part).

>>> from agents.tasks.alfworld.env import SUITE_ROOT
>>> games = load_games(n=3)
>>> [g.data["task_type"] for g in games]
['look_at_obj_in_light', 'pick_and_place_simple', 'pick_heat_then_place_in_recep']
>>> games[0].id, games[0].input
('look_at_obj_in_light-Statue-None-FloorLamp-904/trial_R904', 'examine the statue with the floorlamp')
>>> Rooms(games).describe()["label"].startswith("ALFWorld suite, 3 of 12 games")
True
"""
from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

from ...types import Sample
from .env import GAME_FILE, SUITE_ROOT, games_root, list_games, read_goal, task_type_of

ENGINE_STEP_LIMIT = 1000  # the engine's own step limit, a backstop: the actor's max_steps decides


def game_id(gamefile: str | Path) -> str:
    """``<task folder>/<trial>`` of a game file: the same on every machine.

    >>> game_id("/data/json_2.1.1/valid_unseen/pick_two_obj_and_place-Pencil-None-Drawer-912/trial_R912/game.tw-pddl")
    'pick_two_obj_and_place-Pencil-None-Drawer-912/trial_R912'
    """
    path = Path(gamefile)
    return f"{path.parent.parent.name}/{path.parent.name}"


def game_sample(gamefile: str | Path, sample_id: str | None = None) -> Sample:
    """The sample of one game file (no engine is started)."""
    path = Path(gamefile).expanduser()
    if path.is_dir():
        path = path / GAME_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no ALFWorld game at {gamefile}: give a {GAME_FILE} file, "
                                f"e.g. one of agents.tasks.alfworld.list_games()")
    return Sample(id=sample_id or game_id(path), input=read_goal(path), target=None,
                  data={"gamefile": str(path.resolve()), "task_type": task_type_of(path)})


def pick(games: list[str], n: int | None, seed: int = 0) -> list[str]:
    """``n`` of ``games``, reproducibly by ``seed`` and spread over the task types (one of each type
    before a second of any), kept in the list's order.

    >>> files = [f"/d/{kind}-X-None-Y-{i}/t/game.tw-pddl" for i, kind in enumerate(
    ...     ["look_at_obj_in_light"] * 3 + ["pick_and_place_simple"] * 3)]
    >>> [task_type_of(f)[:4] for f in pick(files, 2)]
    ['look', 'pick']
    """
    if n is None or n >= len(games):
        return list(games)
    if n < 1:
        raise ValueError(f"the number of games must be at least 1, got {n}")
    rng = random.Random(seed)
    by_type: dict[str, list[str]] = {}
    for game in games:
        by_type.setdefault(task_type_of(game), []).append(game)
    for group in by_type.values():
        rng.shuffle(group)
    kinds = sorted(by_type)
    rng.shuffle(kinds)
    chosen: list[str] = []
    while len(chosen) < n:  # round-robin over the types, in a seeded order
        for kind in kinds:
            if by_type[kind] and len(chosen) < n:
                chosen.append(by_type[kind].pop())
    keep = set(chosen)
    return [game for game in games if game in keep]


def load_games(n: int | None = None, seed: int = 0, root: str | Path | None = None) -> list[Sample]:
    """The games under ``root`` (default :func:`~agents.tasks.alfworld.env.games_root`: the
    shipped suite, or ``$ALFWORLD_DATA``) as samples, ``n`` of them chosen by :func:`pick`."""
    return [game_sample(path) for path in pick(list_games(root if root is not None else games_root()), n, seed)]


class Rooms:
    """The games of one run, by sample id: ``rooms.game(sample)`` builds its engine on first use."""

    def __init__(self, samples: list[Sample]):
        self.samples = {s.id: s for s in samples}
        self._games: dict[str, Any] = {}
        self._lock = threading.Lock()

    def game(self, sample: Sample) -> Any:
        from .env import AlfWorldGame

        with self._lock:
            if sample.id not in self._games:
                gamefile = sample.data.get("gamefile")
                if not gamefile:
                    raise ValueError(f"sample {sample.id!r} has no gamefile: make ALFWorld samples with "
                                     "agents.tasks.alfworld.load_games() or game_sample(path)")
                self.samples.setdefault(sample.id, sample)
                self._games[sample.id] = AlfWorldGame(gamefile, max_steps=ENGINE_STEP_LIMIT)
            return self._games[sample.id]

    def describe(self) -> dict[str, Any]:
        """For the manifest and the plot legend: where the games come from, how many, which engine."""
        from .env import engine_version

        files = [Path(s.data.get("gamefile", "")) for s in self.samples.values()]
        suite = bool(files) and all(SUITE_ROOT in f.parents for f in files)
        kind = "ALFWorld suite" if suite else "ALFWORLD_DATA"
        available = len(list_games(SUITE_ROOT)) if suite else None
        versions = engine_version()
        size = f"{len(files)} of {available} games" if available and available != len(files) else f"{len(files)} games"
        engine = f" (alfworld {versions['alfworld']})" if versions.get("alfworld") else ""
        return {"kind": kind, "games": len(files), "versions": versions, "label": f"{kind}, {size}{engine}"}

    def close(self) -> None:
        with self._lock:
            for game in self._games.values():
                game.close()
            self._games.clear()

    def __len__(self) -> int:
        return len(self.samples)
