"""ALFWorld's ReAct agent: the room and the task, then one command per model call, until the game ends.

The attempt is a game transcript in the engine's own format, the shape of the few-shots: the room
and the task as the game states them, then ``> command`` lines, each followed by the game's reply.
A ``think: ...`` command is a note to itself: the actor answers it ``OK.`` (sent to the engine, it
would waste a step). The attempt ends when the game is over (the engine ends a game once it is
won), after ``max_steps`` commands (50, the limit of the original's logged runs; its later code
has 49), or when the model repeats itself: the same command twice in a row (the original's early
stop, the default). ``loop_period=4`` (``--stop-on-cycles``) also stops at the same block of up to 4
commands twice in a row (``go to shelf 1``, ``go to shelf 2``, ``go to shelf 1``, ``go to shelf 2``:
small models circle like this until the step limit; an A-B-A-B episode that would win later is
then cut as a failure). Its last line says why it ended.

A reply with fewer than 5 characters of command is counted in the attempt (``short_replies``). The
original asked again at a rising temperature (0.2, 0.4, ... up to 6 tries); the kit does not: its
model contract has one temperature per model (a per-call one would change every backend and the
cache key), and at temperature 0 asking again returns the same reply. Such a reply is sent as it
is (an empty one is answered "Nothing happens.").

The reflection reads the failed trial and the game's last 3 earlier reflections (the original's
"plans from past attempts"), and may run to 256 tokens, kept whole (the original's budget). The verdict is the game's own
(:mod:`agents.tasks.alfworld.oracle`): the actor plays through a view that never says whether the
game was won.

>>> from agents.llm import CallableLLM
>>> from agents.tasks.alfworld.oracle import GameOracle
>>> class Room:                       # a one-move game standing in for an AlfWorldGame
...     task_type, goal, won, done = "pick_and_place_simple", "put some mug on shelf", False, False
...     def reset(self):
...         self.won = self.done = False
...         return "You are in the middle of a room.\\nYour task is to: put some mug on shelf.", {}
...     def step(self, action):
...         self.won = self.done = action == "move mug 1 to shelf 1"
...         return ("You move the mug 1 to the shelf 1." if self.won else "Nothing happens."), self.won, self.done, {}
>>> replies = iter([" think: The mug goes on the shelf.", " move mug 1 to shelf 1"])
>>> agent = AlfWorldAgent(game=Room(), llm=CallableLLM(lambda p: next(replies)))
>>> attempt = agent.run()
>>> print(attempt.trajectory)
You are in the middle of a room.
Your task is to: put some mug on shelf.
> think: The mug goes on the shelf.
OK.
> move mug 1 to shelf 1
You move the mug 1 to the shelf 1.
(the game is over)
>>> attempt.success, attempt.feedback.message, attempt.steps
(True, 'the game counted the task as done', 2)

Prompts grow by a step each call. When one would no longer fit the model's context window (or
``max_prompt_tokens``), the oldest steps are left out of the *prompt*, down to three quarters of the
budget so the next steps reuse the same prefix, and a line says how many were left out; the
recorded trajectory keeps every step and notes, before its last line, how many the last prompt left out.
"""
from __future__ import annotations

import os
from typing import Any

from ...reflexion import Agent
from .env import normalize_action
from .games import ENGINE_STEP_LIMIT
from .oracle import GameOracle, PlayerView
from .prompts import default_prompts, examples_for, format_past

DEFAULT_MAX_STEPS = 50          # the logged runs' limit: 50 commands, thoughts included
HEAD_MAX_STEPS = 49             # the original's later code (HEAD): --max-steps 49
DEFAULT_REPEAT_LIMIT = 2        # the original stopped at the same command twice in a row
DEFAULT_LOOP_PERIOD = 1         # only that; CYCLE_LOOP_PERIOD also stops repeated cycles (--stop-on-cycles)
CYCLE_LOOP_PERIOD = 4
ACTION_TOKENS = 100             # the logging commit's budget for one command or one thought
REFLECTION_TOKENS = 256         # the original's reflection budget (text-davinci-003)
PAST_REFLECTIONS = 3            # earlier reflections the reflection query shows, as the original's
SHORT_REPLY = 5                 # the original asked again below 5 characters
ACTION_STOP = ["\n"]
NOTHING = "Nothing happens."    # the engine's reply to what it cannot do; also to an empty command
THINK_REPLY = "OK."
CUT_NOTE = "(... {n} earlier steps are not shown here: the prompt must fit the model's context window)"
CUT_RECORD = "(the last prompt left out the oldest {n} steps: it had to fit the model's context window)"


def read_command(reply: str) -> str:
    """The command in a reply: its first line, without a leading ``>``, whitespace collapsed.

    >>> read_command("  > go to   shelf 1\\n> take ...")
    'go to shelf 1'
    >>> read_command("\\n")
    ''
    """
    line = (reply or "").strip().split("\n", 1)[0]
    return " ".join(line.split()).lstrip(">").strip()[:200]


def is_thought(command: str) -> bool:
    return command.lower().startswith("think:")


def repeated_block(commands: list[str], repeats: int = DEFAULT_REPEAT_LIMIT,
                   longest: int = DEFAULT_LOOP_PERIOD) -> int:
    """The length of the block of commands that ends ``commands`` and is repeated ``repeats`` times
    in a row (the shortest such block, up to ``longest`` commands); 0 if none.

    >>> repeated_block(["look", "go to desk 1", "go to desk 1"])
    1
    >>> repeated_block(["go to shelf 1", "go to shelf 2", "go to shelf 1", "go to shelf 2"])  # the default: no
    0
    >>> repeated_block(["go to shelf 1", "go to shelf 2", "go to shelf 1", "go to shelf 2"], longest=CYCLE_LOOP_PERIOD)
    2
    >>> repeated_block(["go to shelf 1", "go to shelf 2", "go to shelf 1"]), repeated_block(["look"])
    (0, 0)
    """
    for period in range(1, longest + 1):
        if len(commands) < repeats * period:
            break
        block = commands[-period:]
        if all(commands[-(k + 1) * period:len(commands) - k * period] == block for k in range(1, repeats)):
            return period
    return 0


def stop_line(reason: str, max_steps: int = DEFAULT_MAX_STEPS, repeat_limit: int = DEFAULT_REPEAT_LIMIT,
              period: int = 1) -> str:
    """The trajectory's last line: why the attempt ended.

    >>> stop_line("repeated"), stop_line("repeated", period=3)
    ('(stopped: the same command twice in a row)', '(stopped: the same 3 commands twice in a row)')
    >>> stop_line("step_limit", 49)
    '(stopped: 49 commands without finishing the task)'
    """
    times = "twice" if repeat_limit == 2 else f"{repeat_limit} times"
    what = "command" if period == 1 else f"{period} commands"
    return {"game_over": "(the game is over)",
            "repeated": f"(stopped: the same {what} {times} in a row)",
            "step_limit": f"(stopped: {max_steps} commands without finishing the task)",
            "context": "(stopped: the prompt no longer fits the model's context window)"}[reason]


class AlfWorldAgent(Agent):
    """``AlfWorldAgent([task], *, game, llm, max_steps=50, repeat_limit=2, loop_period=1, ...)``.

    - ``game``: an :class:`~agents.tasks.alfworld.env.AlfWorldGame` (or a ``game.tw-pddl`` path);
      each trial resets it;
    - ``feedback``: default :class:`~agents.tasks.alfworld.oracle.GameOracle` of ``game``;
    - ``examples``: the few-shots, one ``### <task type>`` section per type (the game's is shown),
      or one set for every game; the other prompts as in :mod:`agents.tasks.alfworld.prompts`;
    - ``repeat_limit`` / ``loop_period``: stop when a block of up to ``loop_period`` commands
      comes ``repeat_limit`` times in a row (the original: 2 and 1, the defaults; ``loop_period=4``
      also stops cycles);
    - ``action_tokens`` (100) and ``reflect_max_tokens`` (256): the reply budgets;
    - ``max_prompt_tokens``: the acting prompt's budget (default and cap: the model's context
      window less the reply); past it the oldest steps leave the prompt, not the trajectory.
    """

    kind = "react"
    input_label = "Task: "

    def __init__(self, task_input: str | None = None, *, game: Any, max_steps: int = DEFAULT_MAX_STEPS,
                 repeat_limit: int = DEFAULT_REPEAT_LIMIT, loop_period: int = DEFAULT_LOOP_PERIOD,
                 max_prompt_tokens: int | None = None,
                 action_tokens: int = ACTION_TOKENS, **options: Any):
        options.setdefault("reflect_max_tokens", REFLECTION_TOKENS)
        options.setdefault("max_reflections", PAST_REFLECTIONS)  # the original showed the last 3
        options.setdefault("reflect_trace_tokens", None)  # the original reflected on the whole trial
        if isinstance(game, (str, os.PathLike)):
            from .env import AlfWorldGame

            game = AlfWorldGame(game, max_steps=ENGINE_STEP_LIMIT)
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        if repeat_limit < 2:
            raise ValueError(f"repeat_limit must be >= 2 (2: stop at the same command twice in a row), "
                             f"got {repeat_limit}")
        if loop_period < 1:
            raise ValueError(f"loop_period must be >= 1 (1: only the same command repeated), got {loop_period}")
        if options.get("feedback") is None and options.get("evaluator") is None:
            options["feedback"] = GameOracle(game)
        for name, text in default_prompts().items():
            if options.get(name) is None:
                options[name] = text
        options["examples"] = examples_for(options["examples"], game.task_type)
        options.setdefault("task", "alfworld")
        super().__init__(task_input or game.goal, **options)
        self.view = PlayerView(game)
        self.task_type = game.task_type
        self.max_steps = max_steps
        self.repeat_limit = repeat_limit
        self.loop_period = loop_period
        self.action_tokens = action_tokens
        window = self.llm.context_window - action_tokens
        self.max_prompt_tokens = min(max_prompt_tokens or window, window)

    # -- prompts --------------------------------------------------------------------------------
    def _render(self, cut: int) -> str:
        shown = [self._room] + ([CUT_NOTE.format(n=cut)] if cut else []) + self._steps[cut:]
        return self.template.format(examples=self.examples, memory=self._memory_text,
                                    scratchpad="\n".join(shown) + "\n>")

    def _prompt(self) -> str | None:
        """This step's prompt, its oldest steps left out if it would not fit; None if even the
        prompt without any step does not fit."""
        prompt = self._render(self._cut)
        if self.llm.count_tokens(prompt) <= self.max_prompt_tokens:
            return prompt
        target = self.max_prompt_tokens * 3 // 4
        bare = self.llm.count_tokens(self._render(len(self._steps)))
        sizes = [self.llm.count_tokens(step + "\n") for step in self._steps]
        cut = self._cut
        while cut < len(self._steps) and bare + sum(sizes[cut:]) > target:
            cut += 1
        while True:  # token counts of parts only estimate the whole: check, cut one more if need be
            prompt = self._render(cut)
            if self.llm.count_tokens(prompt) <= self.max_prompt_tokens:
                self._cut = cut
                return prompt
            if cut >= len(self._steps):
                return None
            cut += 1

    whole_reflections = True  # a plan of several sentences, kept whole

    def _reflect_prompt(self, trajectory: str) -> str:
        return self.reflect_template.format(examples=self.reflect_examples, scratchpad=trajectory,
                                            task=self.input, past=format_past(self.reflections[-PAST_REFLECTIONS:]))

    def _act(self, prompt: str):
        # Commands are short: a small reply budget for them (reflections keep max_tokens).
        saved, self.max_tokens = self.max_tokens, self.action_tokens
        try:
            return self._call(prompt, stop=ACTION_STOP)
        finally:
            self.max_tokens = saved

    # -- one attempt -----------------------------------------------------------------------------
    def _attempt(self) -> None:
        self._memory_text = self.memory  # fixed for the attempt: computed once
        self._room = self.view.reset()
        self._steps: list[str] = []
        self._cut = 0
        self.scratchpad = self._room
        commands: list[str] = []  # as compared for repeats: normalized, so "put" and "move" agree
        period, thoughts, engine_steps, reason, short = 0, 0, 0, "step_limit", 0
        while True:
            if self.steps >= self.max_steps:
                self.halted = True
                break
            prompt = self._prompt()
            if prompt is None:
                self.halted, reason = True, "context"
                break
            self.steps += 1
            command = read_command(self._act(prompt).text)
            short += len(command) < SHORT_REPLY
            over = False
            if not command:
                reply = NOTHING
                self.invalid_actions += 1
            elif is_thought(command):
                reply = THINK_REPLY
                thoughts += 1
            else:
                reply, over = self.view.step(command)
                engine_steps += 1
                self.invalid_actions += int(reply == NOTHING)
                self.answer = command
            step = (f"> {command}" if command else ">") + f"\n{reply}"
            self._steps.append(step)
            self.scratchpad += "\n" + step
            if over:
                reason = "game_over"
                break
            commands.append(command if is_thought(command) else normalize_action(command))
            period = repeated_block(commands, self.repeat_limit, self.loop_period)
            if period:
                reason = "repeated"
                break
        if self._cut:
            self.scratchpad += "\n" + CUT_RECORD.format(n=self._cut)
        self.scratchpad += "\n" + stop_line(reason, self.max_steps, self.repeat_limit, period)
        self.extra = {"task_type": self.task_type, "stop": reason, "thoughts": thoughts,
                      "engine_steps": engine_steps, "steps_cut_from_prompt": self._cut, "short_replies": short}
        self._finish(self.answer)  # the verdict: the game's, read by the oracle
