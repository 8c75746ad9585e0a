"""The arms: every strategy, described once, with its memory, names, label, order and plot style.

An arm is what a run compares: how trial k+1 is informed by trials 1..k. Its entry says how it is
spelled (``--strategy NAME``, other spellings, names that mean it in one task only), the folder
name its runs are filed under (also the manifest's and each record's ``strategy``), where it
applies, its label, its order ("how much of earlier trials it shows": in a paired comparison the
richer arm is A), its plot style, and a factory for its :class:`~agents.types.Memory`. The loop
flags (``reflects``; for the code loop ``runs_tests``, ``writes_code``, ``one_shot``) say what the
actor does besides showing the memory. The engine's tables, pairs, plots and grids read it here.

>>> resolve("reinagent").folder, resolve("last_attempt").folder, resolve("base").name
('reinagent', 'last_trial', 'none')

A name means what the original meant on that task: ``reflexion`` on HumanEval is the programming
loop (the previous implementation, its failing tests and the newest reflection), on HotPotQA the
reflections alone:

>>> resolve("reflexion", task="humaneval").description[:40], resolve("reflexion").name
('the previous implementation, its failing', 'reinagent')
>>> [arm.name for arm in arms("humaneval")]
['none', 'reinagent', 'simple', 'reflexion', 'immediate-refinement', 'immediate-reflexion', 'test-acc']
>>> default_arm("humaneval").name, default_arm("hotpotqa").name
('reflexion', 'reinagent')

A new arm is one :func:`register` call; its memory may span samples (the runner and the actors
need not know):

>>> from agents.memory.paper import Reflections
>>> mine = register(Arm("capped", "capped", "the newest two reflections", reflects=True, order=2,
...                     memory=lambda context: Reflections(max_notes=2)))
>>> resolve("CAPPED", task="alfworld") is mine, rank("capped")
(True, 2)
>>> unregister("capped")
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .paper import LastAttempt, LastAttemptAndReflections, NoMemory, Reflections
from .text import LAST_ATTEMPT_TOKENS

if TYPE_CHECKING:
    from ..types import Attempt, Memory


@dataclass(frozen=True)
class MemoryContext:
    """What an actor tells an arm's memory factory: how its sample is named in a shown last attempt
    (``heading(attempt)``), its model's tokenizer, the last attempt's token budget, and how many
    reflections to show (``max_reflections``: the arm's own unless the run says otherwise; None: all)."""

    heading: "Callable[[Attempt], str] | None" = None
    count_tokens: Callable[[str], int] | None = None
    last_attempt_tokens: int = LAST_ATTEMPT_TOKENS
    max_reflections: int | None = None


@dataclass(frozen=True, eq=False)  # eq=False: an arm is one object (and hashable by identity)
class Arm:
    """One strategy, described once.

    - ``name``: the command line's spelling; ``folder``: the name its runs are filed under (result
      folders, the manifest's and records' ``strategy``; never change one); ``aliases``: other
      spellings in every task it applies to; ``task_aliases``: names that mean it in one task only;
    - ``description``: what the next attempt is shown, in words; ``label``: its name in tables and
      legends (default: ``folder``); ``order``: how much of earlier trials it shows (paired
      comparisons put the higher one as A); ``linestyle`` / ``colour`` / ``marker``: its plot style
      (None: a spare line style, the agent's colour, the feedback source's marker);
    - ``tasks``: where it applies (None: every task), ``excluded_from``, ``default_in``;
    - ``memory``: ``MemoryContext -> Memory``; None builds the paper's memory that
      ``shows_last_attempt`` / ``reflects`` / ``max_reflections`` describe;
    - ``reflects``: a failed attempt gets a reflection; ``control``: the arm that shows nothing (a
      retry re-rolls; at temperature 0 it replays trial 1);
    - the code loop (HumanEval) only: ``runs_tests`` (the attempt runs the tests the model wrote),
      ``writes_code`` (False: tests only, checked on the canonical solution), ``one_shot`` (one
      trial per sample), ``feedback`` (the source the arm implies when none is asked for).
    """

    name: str
    folder: str
    description: str
    label: str = ""
    aliases: tuple[str, ...] = ()
    task_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tasks: tuple[str, ...] | None = None
    excluded_from: tuple[str, ...] = ()
    default_in: tuple[str, ...] = ()
    order: int = 0
    linestyle: Any = None
    colour: str | None = None
    marker: str | None = None
    memory: "Callable[[MemoryContext], Memory] | None" = None
    shows_last_attempt: bool = False
    reflects: bool = False
    max_reflections: int | None = None
    control: bool = False
    runs_tests: bool = True
    writes_code: bool = True
    one_shot: bool = False
    feedback: str | None = None

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", self.folder)

    def applies_to(self, task: str) -> bool:
        return (self.tasks is None or task in self.tasks) and task not in self.excluded_from

    def new_memory(self, context: MemoryContext | None = None) -> "Memory":
        """This arm's memory for an actor (or for a whole run, when the memory spans samples)."""
        context = context or MemoryContext(max_reflections=self.max_reflections)
        if self.memory is not None:
            return self.memory(context)
        kind = {(False, False): NoMemory, (True, False): LastAttempt, (False, True): Reflections,
                (True, True): LastAttemptAndReflections}[(self.shows_last_attempt, self.reflects)]
        return kind(heading=context.heading, count_tokens=context.count_tokens,
                    last_attempt_tokens=context.last_attempt_tokens, max_notes=context.max_reflections)

    # The names the code of a ReinAgentStrategy member used, so an arm can stand in for one.
    @property
    def value(self) -> str:
        return self.folder

    @property
    def arm(self) -> "Arm":
        return self

    @property
    def spellings(self) -> tuple[str, ...]:
        return self.aliases

    @property
    def tasks_spellings(self) -> dict[str, tuple[str, ...]]:
        return self.task_aliases


def _key(name: str) -> str:
    """Spellings compare without case, and ``-`` and ``_`` are one character."""
    return name.strip().lower().replace("-", "_")


_PROGRAMMING = ("humaneval",)
_CODE_LOOP = ("reflexion", "last_attempt_and_reinagent", "last_trial_and_reinagent", "last_attempt_and_reflexion")

# In the order the CLI lists them (HotPotQA's four first). Orders and line styles are those the
# figures and paired tables have always used; the programming arms take spare line styles.
_ARMS: list[Arm] = [
    Arm("none", "base", "nothing: every trial starts afresh (a re-roll)", aliases=("base",),
        order=0, linestyle=(0, (1, 1.5)), control=True),
    Arm("last_attempt", "last_trial", "the previous attempt, trimmed to ~1,600 tokens and framed as failed",
        aliases=("last_trial",), excluded_from=_PROGRAMMING, order=1, linestyle="-.", shows_last_attempt=True),
    Arm("reinagent", "reinagent", "every reflection written so far (Reflexion as on HotPotQA and ALFWorld)",
        aliases=("reflexion",), default_in=("hotpotqa", "alfworld"), order=2, linestyle="-",
        reflects=True),
    Arm("last_attempt_and_reinagent", "last_trial_and_reinagent", "the previous attempt and the newest reflection",
        aliases=("last_trial_and_reinagent", "last_attempt_and_reflexion"), excluded_from=_PROGRAMMING,
        order=3, linestyle=(0, (6, 1.5, 1, 1.5, 1, 1.5)), shows_last_attempt=True, reflects=True,
        max_reflections=1),
    Arm("simple", "simple", "one attempt, no retry and no test (the original's baseline)", tasks=_PROGRAMMING,
        order=-1, runs_tests=False, one_shot=True, feedback="none"),
    Arm("reflexion", "reflexion", "the previous implementation, its failing tests with their output, and the "
        "newest reflection (the original's loop)", aliases=("code_reflexion",), tasks=_PROGRAMMING,
        default_in=_PROGRAMMING, task_aliases={"humaneval": _CODE_LOOP}, order=3, shows_last_attempt=True,
        reflects=True, max_reflections=1),
    Arm("immediate-refinement", "immediate-refinement", "the previous implementation and its failing tests, "
        "no reflection", tasks=_PROGRAMMING, task_aliases={"humaneval": ("last_attempt", "last_trial")},
        order=1, shows_last_attempt=True),
    Arm("immediate-reflexion", "immediate-reflexion", "the previous implementation and the newest reflection, "
        "written without any test (every trial runs)", tasks=_PROGRAMMING, order=3, shows_last_attempt=True,
        reflects=True, max_reflections=1, runs_tests=False, feedback="none"),
    Arm("test-acc", "test-acc", "no code: the model's tests are run on the canonical solution, once (how "
        "often they accept it)", tasks=_PROGRAMMING, order=-1, writes_code=False, one_shot=True,
        feedback="tests"),
]


def arms(task: str | None = None) -> list[Arm]:
    """The arms a task offers, in the registry's order (every one without a task)."""
    return [arm for arm in _ARMS if task is None or arm.applies_to(task)]


def resolve(text: "str | Arm", task: str | None = None) -> Arm:
    """The arm a name means (any spelling, any case; on ``task``, what it means there). An arm
    that does not apply to ``task`` is refused, naming those that do.

    >>> resolve("last_attempt", task="humaneval").name     # the same idea in the code loop
    'immediate-refinement'
    >>> resolve("test-acc", task="hotpotqa")
    Traceback (most recent call last):
    ...
    ValueError: strategy 'test-acc' does not apply to task hotpotqa; choose one of: none, last_attempt, reinagent, last_attempt_and_reinagent
    """
    given = text if isinstance(text, Arm) else None
    key = _key(given.name if given else str(text))
    if task is not None:  # a name that means another arm in this task
        for arm in _ARMS:
            if key in {_key(s) for s in arm.task_aliases.get(task, ())}:
                return arm
    found = given or next((arm for arm in _ARMS if key in {_key(s) for s in (arm.name, arm.folder, *arm.aliases)}),
                          None)
    if found is None:
        names = ", ".join(arm.name for arm in arms(task))
        raise ValueError(f"unknown strategy {text!r}; choose one of: {names}")
    if task is not None and not found.applies_to(task):
        names = ", ".join(arm.name for arm in arms(task))
        shown = found.name if given else str(text).strip()
        raise ValueError(f"strategy {shown!r} does not apply to task {task}; choose one of: {names}")
    return found


def default_arm(task: str | None) -> Arm:
    """The original's method on ``task``: its Reflexion arm."""
    return next((arm for arm in _ARMS if task in arm.default_in), resolve("reinagent"))


def by_folder(folder: str) -> Arm | None:
    """The arm whose runs are filed under ``folder`` (None for one this registry does not know)."""
    return next((arm for arm in _ARMS if arm.folder == folder), None)


def known(strategy: str) -> Arm | None:
    """The arm a recorded ``strategy`` names: its folder name, else any spelling; None if unknown."""
    found = by_folder(strategy)
    if found is None:
        try:
            found = resolve(strategy)
        except ValueError:
            return None
    return found


def rank(strategy: str) -> int:
    """How much of earlier trials a recorded strategy shows (its arm's ``order``; -1 if unknown).

    >>> [rank(s) for s in ("base", "last_trial", "reinagent", "last_trial_and_reinagent", "test-acc", "?")]
    [0, 1, 2, 3, -1, -1]
    """
    arm = known(strategy)
    return arm.order if arm else -1


def label(strategy: str) -> str:
    """What tables and legends call a recorded strategy (its arm's label, else the name as recorded)."""
    arm = known(strategy)
    return arm.label if arm else strategy


def plot_style(strategy: str) -> dict[str, Any]:
    """The matplotlib keywords a recorded strategy's arm sets (``linestyle``, ``color``, ``marker``);
    what it leaves out, the figure decides (a spare line, the agent's colour, the source's marker).

    >>> plot_style("reinagent"), plot_style("reflexion"), plot_style("?")
    ({'linestyle': '-'}, {}, {})
    """
    arm = known(strategy)
    if arm is None:
        return {}
    return {key: value for key, value in (("linestyle", arm.linestyle), ("color", arm.colour), ("marker", arm.marker))
            if value is not None}


def is_control(strategy: str) -> bool:
    """Does the recorded strategy show nothing of earlier trials (the ``none`` arm)?"""
    arm = known(strategy)
    return bool(arm and arm.control)


def register(arm: Arm) -> Arm:
    """Add an arm (it is listed after the others). Its name, folder and spellings must be new:
    a clash would make an old run folder or command mean something else."""
    if not isinstance(arm, Arm):
        raise TypeError(f"register() takes an agents.memory.registry.Arm, not {type(arm).__name__}")
    for spelling in (arm.name, arm.folder, *arm.aliases):
        owner = next((old for old in _ARMS if _key(spelling) in {_key(s) for s in (old.name, old.folder, *old.aliases)}),
                     None)
        if owner is not None:
            raise ValueError(f"strategy name {spelling!r} is taken by arm {owner.name!r}; "
                             "give the new arm another name, folder and aliases")
    _ARMS.append(arm)
    return arm


def unregister(name: str) -> None:
    """Remove an arm that :func:`register` added (the built-in arms stay)."""
    arm = resolve(name)
    if _ARMS.index(arm) < _BUILT_IN:
        raise ValueError(f"strategy {name!r} is built in: runs on disk are filed under it")
    _ARMS.remove(arm)


_BUILT_IN = len(_ARMS)
