"""Who sees what of a game: the player acts through a :class:`PlayerView`, the oracle reads the verdict.

ALFWorld's feedback is the engine's own ``won``: the game is the oracle. The actor never holds that
signal: it plays through a view that shows what a player sees (the room, the replies, and that the
game is over, since an ended game accepts no more commands) and nothing else. The verdict is read
by :class:`GameOracle` once the attempt ends, and becomes the attempt's :class:`~agents.types.Feedback`.

>>> class Stub:                     # stands in for an AlfWorldGame (no engine needed here)
...     task_type, goal, won, done = "pick_and_place_simple", "put some mug on shelf", False, False
...     def reset(self): return "You are in the middle of a room.", {}
...     def step(self, action):
...         self.won = self.done = action == "move mug 1 to shelf 1"
...         return "You move the mug 1 to the shelf 1.", self.won, self.done, {"won": self.won}
>>> game = Stub()
>>> view, oracle = PlayerView(game), GameOracle(game)
>>> view.step("move mug 1 to shelf 1")
('You move the mug 1 to the shelf 1.', True)
>>> hasattr(view, "won"), oracle("move mug 1 to shelf 1", "...").success
(False, True)
"""
from __future__ import annotations

from typing import Any

from ...types import Feedback

WON_MESSAGE = "the game counted the task as done"
NOT_WON_MESSAGE = "the game never counted the task as done"


class PlayerView:
    """What the actor may use of a game: ``reset() -> observation`` and ``step(action) ->
    (observation, over)``, plus the task's type and sentence (both stated in the observation).
    ``over`` means the game takes no more commands; whether it was won is not said."""

    def __init__(self, game: Any):
        self._game = game
        self.task_type = game.task_type
        self.goal = game.goal

    def reset(self) -> str:
        observation, _info = self._game.reset()
        return observation

    def step(self, action: str) -> tuple[str, bool]:
        observation, _won, done, _info = self._game.step(action)
        return observation, bool(done)


class GameOracle:
    """Oracle feedback for one game: ``(answer, trajectory) -> Feedback`` from the engine's ``won``.

    The runner builds the feedback before the agent (``task.feedback``), and the game belongs to the
    run's environment, so the oracle may be made unbound and :meth:`bind`-ed to the agent's game
    when the agent is built (``task.build_agent``).
    """

    def __init__(self, game: Any = None, sample_id: str = ""):
        self.game = game
        self.sample_id = sample_id

    def bind(self, game: Any) -> "GameOracle":
        self.game = game
        return self

    def __call__(self, answer: str, trajectory: str) -> Feedback:
        if self.game is None:
            raise RuntimeError(f"the oracle of game {self.sample_id!r} is not bound to a game: build the "
                               "agent with task.build_agent(...), which binds it, or GameOracle(game)")
        won = bool(self.game.won)
        return Feedback(success=won, message=WON_MESSAGE if won else NOT_WON_MESSAGE, source="oracle")
