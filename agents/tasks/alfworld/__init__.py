"""ALFWorld (Shridhar et al., 2021), the kit's decision-making task: an agent acts in a text household
(alfworld 0.4's TextWorld engine, offline, from game files) and succeeds when the engine says ``won``.

One agent, ``react`` (:mod:`.actor`: ``> command`` lines, ``think:`` answered ``OK.``, 50 commands at
most as in the logged runs, stopped at the same command twice in a row); one feedback source, ``oracle``: the game's own
``won`` (:mod:`.oracle`; the actor never sees it). The games: the 12-game suite shipped in
``alfworld_runs/data/suite`` (:mod:`.suite_spec`, :mod:`.build_suite`), or ``$ALFWORLD_DATA``.
Prompts and few-shots: :mod:`.prompts`, :mod:`.fewshots`; the original's logged curves: :mod:`.paper`.

Play a game by hand (the engine loads on first ``reset()``; importing this package never loads it):

    >>> from agents.tasks.alfworld import AlfWorldGame, list_games
    >>> with AlfWorldGame(list_games()[0]) as game:                    # doctest: +SKIP
    ...     observation, info = game.reset()
    ...     observation, won, done, info = game.step("go to desk 1")

>>> TASK.name, TASK.unit, TASK.agents, TASK.feedback_sources, TASK.primary_score
('alfworld', 'games', ('react',), ('oracle',), 'won')
>>> TASK.default_options("react")["max_steps"], TASK.default_options("react")["loop_period"]
(50, 1)
"""
from __future__ import annotations

import importlib
import os
from typing import Any

from ...cli_types import positive_int
from ...types import Sample, TaskOption
from ..base import BaseTask

# Names importable from this package, each loaded from its module on first use.
_LAZY = {
    "AlfWorldGame": "env", "list_games": "env", "games_root": "env", "normalize_action": "env",
    "engine_version": "env", "SUITE_ROOT": "env", "AlfWorldAgent": "actor", "GameOracle": "oracle",
    "PlayerView": "oracle", "load_games": "games", "game_sample": "games", "Rooms": "games",
    "ScriptedAlfWorldModel": "scripted", "prompts": None, "fewshots": None, "paper": None,
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'agents.tasks.alfworld' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY[name] or name}")
    return module if _LAZY[name] is None else getattr(module, name)


class AlfWorldTask(BaseTask):
    name = "alfworld"
    title = "ALFWorld"
    unit = "games"
    agents = ("react",)
    feedback_sources = ("oracle",)
    primary_score = "won"
    runs_dir = "alfworld_runs"
    metric_note = "latest attempt after trial k won its game"
    answer_format = "action"  # an attempt's answer is its last command; the engine's won decides
    options = (
        TaskOption("--max-steps", "max_steps", {
            "type": positive_int, "metavar": "N",
            "help": "commands per game (default 50, the logged runs' limit; 49 at the original's HEAD)"}),
        TaskOption("--stop-on-cycles", "stop_on_cycles", {
            "action": "store_true",
            "help": "also stop an attempt that repeats a cycle of 2-4 commands (A-B-A-B); default: "
                    "only the same command twice in a row, the original's rule"}),
    )

    def options_from_cli(self, given: dict[str, Any], agent: str) -> dict[str, Any]:
        """``--stop-on-cycles`` is the actor's loop period.

        >>> TASK.options_from_cli({"stop_on_cycles": True, "max_steps": 9}, "react")
        {'max_steps': 9, 'loop_period': 4}
        """
        from .actor import CYCLE_LOOP_PERIOD

        options = {k: v for k, v in given.items() if k != "stop_on_cycles"}
        if given.get("stop_on_cycles"):
            options["loop_period"] = CYCLE_LOOP_PERIOD
        return options

    def data_status(self) -> str:
        from .env import INSTALL_HINT, SUITE_ROOT, engine_version, games_root, list_games

        try:
            root = games_root()
            found = len(list_games(root))
        except FileNotFoundError as error:
            return f"missing: {error}"
        version = engine_version().get("alfworld")
        engine = f"alfworld {version}" if version else f"engine not installed: {INSTALL_HINT}"
        if root != SUITE_ROOT:
            return f"{found} games from ALFWORLD_DATA={root} ({engine})"
        empty = " (ALFWORLD_DATA is set but empty: treated as unset)" if "ALFWORLD_DATA" in os.environ else ""
        return (f"{found} games from the shipped suite{empty} ({engine}); the 134 real games: set "
                f"ALFWORLD_DATA to the folder holding json_2.1.1/valid_unseen/ (README: ALFWorld offline)")

    def load(self, n: int | None = None, seed: int = 0, path: str | None = None) -> list[Sample]:
        from .games import load_games

        return self.to_samples(load_games(n=n, seed=seed, root=path))

    def sample_from(self, record: Any) -> Sample:
        """A sample from a game file path, or a dict with ``gamefile`` (and optionally ``id``)."""
        from .games import game_sample

        if isinstance(record, dict):
            if "gamefile" not in record:
                raise ValueError(f"an ALFWorld record needs a 'gamefile' (a game.tw-pddl path); got "
                                 f"fields {sorted(record)}")
            return game_sample(record["gamefile"], record.get("id"))
        return game_sample(record)

    def default_options(self, agent: str) -> dict[str, Any]:
        from .actor import (ACTION_TOKENS, DEFAULT_LOOP_PERIOD, DEFAULT_MAX_STEPS, DEFAULT_REPEAT_LIMIT,
                            REFLECTION_TOKENS)

        # The logged runs' settings, each recorded in the manifest: the last 3 reflections shown,
        # 50 commands (49 at the original's HEAD), the same command twice in a row stops, 100-token
        # commands, 256-token reflections. The CLI's flags and run_trials' keywords override them.
        return {"max_reflections": 3, "max_steps": DEFAULT_MAX_STEPS, "repeat_limit": DEFAULT_REPEAT_LIMIT,
                "loop_period": DEFAULT_LOOP_PERIOD, "action_tokens": ACTION_TOKENS,
                "reflect_max_tokens": REFLECTION_TOKENS}

    def prompts(self, agent: str) -> dict[str, str]:
        from .prompts import default_prompts

        return default_prompts(self.check_agent(agent))

    def environment(self, agent: str, samples: list[Sample] | None = None, **options: Any) -> Any:
        """The run's games (:class:`~agents.tasks.alfworld.games.Rooms`), each engine built on first use."""
        from .games import Rooms

        return Rooms(list(samples or []))

    def describe_environment(self, environment: Any) -> dict[str, Any]:
        return environment.describe() if hasattr(environment, "describe") else {}

    def build_agent(self, agent: str, sample: Sample, *, llm: Any, reflect_llm: Any, strategy: Any,
                    feedback: Any, environment: Any, **options: Any) -> Any:
        from .actor import AlfWorldAgent

        self.check_agent(agent)
        if not hasattr(environment, "game"):
            raise TypeError(f"ALFWorld agents act in the run's games: pass environment=None (the default) "
                            f"or an agents.tasks.alfworld.Rooms, not {type(environment).__name__}")
        game = environment.game(sample)
        if hasattr(feedback, "bind"):
            feedback.bind(game)  # the oracle reads the very game the agent plays
        return AlfWorldAgent(sample.input, game=game, llm=llm, reflect_llm=reflect_llm, strategy=strategy,
                             sample_id=sample.id, feedback=feedback, task=self.name, **options)

    def feedback(self, source: str, sample: Sample, *, llm: Any, judge_llm: Any = None) -> Any:
        from .oracle import GameOracle

        self.check_feedback(source)
        return GameOracle(sample_id=sample.id)

    def score(self, sample: Sample, attempt: Any) -> dict[str, Any]:
        # The oracle's verdict *is* the engine's won; no other feedback exists for this task.
        feedback = attempt.feedback
        return {"won": bool(feedback is not None and feedback.source == "oracle" and feedback.success)}

    def target_of(self, sample: Sample) -> Any:
        return None  # no answer key: the game decides



    def estimate(self, agent: str, samples: list[Sample], model: Any, n_trials: int,
                 prompts: dict[str, str], options: dict[str, Any], reflects: bool) -> dict[str, int]:
        from .actor import ACTION_TOKENS, DEFAULT_MAX_STEPS
        from .prompts import examples_for

        # One game's prompt shows its own type's examples, not all six types'.
        types = {s.data.get("task_type", "pick_and_place_simple") for s in samples}
        longest = max((examples_for(prompts.get("examples", ""), kind) for kind in types), key=len, default="")
        options = {"max_steps": DEFAULT_MAX_STEPS, "max_tokens": ACTION_TOKENS, **options}
        return super().estimate(agent, samples, model, n_trials, {**prompts, "examples": longest}, options, reflects)


TASK = AlfWorldTask()
