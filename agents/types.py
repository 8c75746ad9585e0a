"""The kit's contracts, in one place: a sample, feedback, an attempt, and what a task provides.

Verbal reinforcement is one loop over any task: an agent attempts a *sample*, *feedback* says
whether it succeeded (and from where that verdict came), a failed attempt is reflected on, and the
next trial sees the strategy's memory. Ground truth is kept apart from feedback: *scores* are for
reporting and reach the agent only when the feedback source is ``oracle``.

>>> fb = Feedback(success=False, message="Answer is INCORRECT", source="oracle")
>>> a = Attempt(sample_id="q1", trial=1, task="hotpotqa", agent="cot_no_context",
...             strategy="reinagent", input="Who wrote Dune?", answer="Asimov", feedback=fb)
>>> a.success, a.to_record()["feedback_source"]
(False, 'oracle')
>>> Attempt.from_record(a.to_record()) == a
True

A record written by an older version of the kit (``question_id``, ``question``, ``scratchpad``,
``correct``) reads back as the same attempt under the new names:

>>> old = {"question_id": "q1", "trial": 2, "agent": "react", "strategy": "reinagent",
...        "question": "Who?", "scratchpad": "Thought 1: ...", "correct": True}
>>> b = Attempt.from_record(old)
>>> b.sample_id, b.input, b.trajectory, b.success, b.feedback.source
('q1', 'Who?', 'Thought 1: ...', True, 'oracle')
"""
from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:  # only for annotations: importing the contracts loads nothing else
    from .llm.base import LLM


class FeedbackSource(str, enum.Enum):
    """Where a verdict came from. Every table and plot names it.

    - ``oracle``: ground truth (the gold answer, the environment's reward, the hidden tests);
    - ``self``: the acting model judges its own answer, without ground truth;
    - ``judge``: a separate model judges, without ground truth;
    - ``tests``: tests the agent wrote itself;
    - ``tests+docstring``: those and the examples the prompt's docstring shows (a different feedback);
    - ``none``: no verdict (every attempt counts as failed, so every trial runs).
    """

    ORACLE = "oracle"
    SELF = "self"
    JUDGE = "judge"
    TESTS = "tests"
    TESTS_DOCSTRING = "tests+docstring"
    NONE = "none"

    @classmethod
    def parse(cls, value: "str | FeedbackSource") -> "FeedbackSource":
        """The source named in any case.

        >>> FeedbackSource.parse("Oracle").value
        'oracle'
        """
        try:
            return cls(str(getattr(value, "value", value)).strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown feedback source {value!r}; choose one of: {choices}") from None


@dataclass(frozen=True, repr=False)
class Feedback:
    """A verdict on one attempt: ``success`` drives the retries, ``message`` may be read by the
    reflection (which test failed, the judge's reason; empty for a bare verdict).

    ``untested``: nothing could check the attempt (HumanEval: no runnable test); never a success.
    ``stop``: end this sample's trials whatever ``success`` says (a one-shot arm; an untested
    attempt under the original's rule, which ended its loop there).

    >>> verdict({"feedback": {"success": False, "untested": True}}), verdict({"success": True})
    ('untested', 'success')
    """

    success: bool
    message: str = ""
    source: str = FeedbackSource.ORACLE.value
    untested: bool = False
    stop: bool = False

    def __repr__(self) -> str:  # the two flags only when set: most verdicts have neither
        flags = "".join(f", {name}=True" for name in ("untested", "stop") if getattr(self, name))
        return f"Feedback(success={self.success!r}, message={self.message!r}, source={self.source!r}{flags})"


@dataclass(frozen=True)
class Sample:
    """One item of a task: what the agent is shown (``input``), the ground truth it is *not* shown
    (``target``), and the task's own fields (``data``: paragraphs, a game file, an entry point...).

    >>> Sample("q1", "Who wrote Dune?", "Frank Herbert").id
    'q1'
    """

    id: str
    input: str
    target: Any = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


# Record fields renamed since the first version of the kit: old name -> new name.
LEGACY_FIELDS = {"question_id": "sample_id", "question": "input", "scratchpad": "trajectory"}


@dataclass
class Attempt:
    """What one agent did on one sample in one trial. Written as one JSON line the moment it ends.

    ``reflections`` is the memory this attempt was *shown*; ``reflection`` is the one written just
    before it (the diagnosis of the previous trial), so the whole memory can be rebuilt on resume
    even when a strategy shows only part of it.
    """

    sample_id: str
    trial: int
    task: str
    agent: str
    strategy: str
    input: str
    answer: str = ""
    trajectory: str = ""
    feedback: Feedback | None = None
    reflection: str = ""
    reflections: list[str] = field(default_factory=list)
    last_attempt: str = ""
    steps: int = 0
    invalid_actions: int = 0
    halted: bool = False           # ran out of steps or context before an answer
    error: str | None = None       # a model/backend failure that ended the attempt
    llm_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0         # prompt tokens served from the KV prefix cache
    latency_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # an actor's own fields (e.g. test results)

    @property
    def success(self) -> bool:
        """What the feedback said (False without feedback: an error or a halt)."""
        return bool(self.feedback and self.feedback.success)

    @property
    def correct(self) -> bool:
        """The older name of :attr:`success` (the verdict the agent was given). Ground truth is
        scored by the task and recorded beside the attempt (the record's ``correct``)."""
        return self.success

    @property
    def feedback_source(self) -> str | None:
        return self.feedback.source if self.feedback else None

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready dict: every field, plus ``success`` and ``feedback_source`` at top level."""
        record = asdict(self)
        record["success"] = self.success
        record["feedback_source"] = self.feedback_source
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "Attempt":
        """Rebuild an attempt from a record, old field names included (see the module doctest)."""
        record = normalize_record(record)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in record.items() if k in known}
        feedback = data.get("feedback")
        if isinstance(feedback, dict):
            data["feedback"] = Feedback(**{k: feedback[k] for k in ("success", "message", "source", "untested",
                                                                    "stop") if k in feedback})
        data.setdefault("task", "hotpotqa")  # records from before the task field were HotPotQA's
        return cls(**data)


def _missing(value: Any) -> bool:
    """None, or a float NaN (what pandas reads back for a missing value)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def normalize_record(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the current kit writes it, whatever version wrote it and whatever read it back.

    Old names get their new names; a missing value that a reader turned into NaN (pandas does, for
    a column that is null in some rows) means what it meant when written: ``error`` None, ``False``
    for flags. Records without ``feedback`` were written under oracle feedback (their ``correct``
    was the evaluator's verdict).

    >>> r = normalize_record({"question_id": "q", "trial": 1, "correct": False, "error": float("nan")})
    >>> r["sample_id"], r["error"], r["success"], r["feedback_source"]
    ('q', None, False, 'oracle')
    """
    out = dict(record)
    for old, new in LEGACY_FIELDS.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    for name in ("error", "feedback"):
        if _missing(out.get(name)):
            out[name] = None
    for flag in ("halted", "correct", "success"):
        if flag in out and _missing(out[flag]):
            out[flag] = False
    if out.get("feedback") is None and "correct" in out and "success" not in out:
        out["feedback"] = {"success": bool(out["correct"]), "message": "", "source": "oracle"}
    feedback = out.get("feedback")
    if isinstance(feedback, dict):
        out.setdefault("success", bool(feedback.get("success")))
        if _missing(out.get("feedback_source")):
            out["feedback_source"] = feedback.get("source")
    out.setdefault("attempt_no", 1)
    return out


def verdict(record: dict[str, Any]) -> str:
    """What the feedback said of an attempt record: ``success``, ``failure`` or ``untested``
    (nothing could check it). Tables, logs and the viewer read it here."""
    feedback = record.get("feedback") if isinstance(record.get("feedback"), dict) else {}
    if feedback.get("untested") is True:
        return "untested"
    success = record.get("success", feedback.get("success"))
    return "success" if not _missing(success) and bool(success) else "failure"


def ends_trials(record: dict[str, Any]) -> bool:
    """Is this attempt its sample's last? (Its feedback said success, or said to stop.)"""
    feedback = record.get("feedback") if isinstance(record.get("feedback"), dict) else {}
    success = record.get("success")
    return (not _missing(success) and bool(success)) or feedback.get("stop") is True


FeedbackFn = Callable[[str, str], Feedback]
"""``(answer, trajectory) -> Feedback``: built by the task for one sample, so the agent never holds
the ground truth (an oracle's closure does)."""


@runtime_checkable
class Memory(Protocol):
    """What an attempt is shown of earlier ones: the seam between trials (and between samples).

    The agent tells the memory of each attempt of its sample once the reflection on it is settled
    (``observe``: when the next trial of that sample starts, or at once after a success) and asks
    it what the next attempt sees (``render``, the template's ``{memory}``; ``shown``, the same as
    record fields). Keyed by sample id, one memory may serve many samples: a per-sample memory
    (the paper's, :mod:`agents.memory.paper`) keeps them apart; a cross-sample one (insights, a
    playbook) need not, and no actor knows the difference. Chosen by an arm of
    :mod:`agents.memory.registry`.

    >>> from agents.memory import Reflections
    >>> isinstance(Reflections(), Memory)
    True
    """

    def observe(self, sample_id: str, attempt: Attempt, reflection: str) -> None:
        """``attempt`` of ``sample_id`` is over; ``reflection`` is what was written on it ("" if none)."""

    def render(self, sample_id: str) -> str:
        """The text the next attempt of ``sample_id`` is shown ("" for nothing)."""

    def shown(self, sample_id: str) -> dict[str, Any]:
        """What :meth:`render` shows, as the record's fields: ``reflections`` (list) and
        ``last_attempt`` (the previous trajectory shown, or "")."""

    def state(self) -> dict[str, Any]:
        """Everything needed to carry on, as JSON-able data (a resume may also replay ``observe``)."""

    def load(self, state: dict[str, Any]) -> None:
        """Carry on from a :meth:`state`."""


@dataclass(frozen=True)
class TaskOption:
    """One command-line option a task adds to ``python -m agents run`` (the engine knows none).

    ``flag`` and ``argparse`` (``type``, ``choices``, ``metavar``, ``help``, ``action``) build it;
    ``option`` is the keyword it becomes (an agent option, or an environment option when the task
    lists it in ``environment_options``); ``agents`` limits it to some agent types. Two tasks may
    offer the same flag (``--max-steps``): it appears once, and is refused where it does not apply.

    >>> TaskOption("--max-steps", "max_steps", {"type": int, "metavar": "N"}, agents=("react",)).applies("cot")
    False
    """

    flag: str
    option: str
    argparse: dict[str, Any] = field(default_factory=dict)
    agents: tuple[str, ...] = ()       # empty: every agent of the task

    def applies(self, agent: str) -> bool:
        return not self.agents or agent in self.agents


@runtime_checkable
class Task(Protocol):
    """What one benchmark provides; the engine, records, reports and CLI know nothing else of it.

    A task is one package under ``agents/tasks/<name>/`` and one line in the registry
    (:mod:`agents.tasks`). :class:`agents.tasks.base.BaseTask` gives the defaults of everything
    below but the names, ``load``, ``prompts``, ``build_agent``, ``feedback`` and ``score``.
    ``tests/test_task_contract.py`` checks every registered task (and a toy fourth one) against it.
    """

    # -- names --------------------------------------------------------------------------------
    name: str                          # the registry key: "hotpotqa"
    title: str                         # for humans: "HotPotQA"
    unit: str                          # what a sample is called: "questions", "games", "problems"
    agents: tuple[str, ...]            # the agent types it supports
    feedback_sources: tuple[str, ...]  # the first is the default (the paper's)
    default_feedback: str              # feedback_sources[0]
    primary_score: str                 # the score that ``correct`` reports: "em", "won", "pass"
    runs_root: Path                    # the default results root: hotpot_runs/root
    metric: str                        # how reports name the per-trial share ("success", "pass@1")
    metric_note: str                   # what it means, for axis labels
    answer_format: str                 # what ``answer`` holds: "text", "code" or "action"
    options: tuple[TaskOption, ...]    # its own ``run`` options (``--docstore``, ``--max-tests``)
    environment_options: tuple[str, ...]  # keywords that go to environment(), not to the agents

    # -- samples ------------------------------------------------------------------------------
    def data_status(self) -> str:
        """One line for ``python -m agents tasks``: where the data is, or what to set."""

    def load(self, n: int | None = None, seed: int = 0, path: str | None = None) -> list[Sample]:
        """The samples (``n`` of them, chosen reproducibly by ``seed``), in a fixed order."""

    def to_samples(self, items: Any) -> list[Sample]:
        """Samples from samples, or from the task's own records (a DataFrame too)."""

    def target_of(self, sample: Sample) -> Any:
        """The ground truth as recorded beside each attempt (None to leave it out)."""

    # -- agents -------------------------------------------------------------------------------
    def check_agent(self, agent: str) -> str:
        """``agent`` if the task has it, else a ValueError that lists those it has."""

    def check_feedback(self, source: str | None) -> str:
        """The canonical name of ``source`` (None: the default), or a ValueError naming those offered."""

    def prompts(self, agent: str) -> dict[str, str]:
        """The default prompts of ``agent`` by option name (``template``, ``examples``, ...)."""

    def default_options(self, agent: str) -> dict[str, Any]:
        """Agent options the task sets by default (a caller's win)."""

    def options_from_cli(self, given: dict[str, Any], agent: str) -> dict[str, Any]:
        """Keyword options from the values of its :attr:`options` the user gave (by ``option``)."""

    def split_options(self, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(agent options, environment options)``, by :attr:`environment_options`."""

    def environment(self, agent: str, samples: list[Sample] | None = None, **options: Any) -> Any:
        """What attempts act in, shared by the run (the docstore); None if each attempt makes its own."""

    def describe_environment(self, environment: Any) -> dict[str, Any]:
        """The environment for the manifest and the plot legend (kind, size, engine version)."""

    def build_agent(self, agent: str, sample: Sample, *, llm: "LLM", reflect_llm: "LLM | None",
                    strategy: Any, feedback: FeedbackFn, environment: Any, **options: Any) -> Any:
        """One agent (an :class:`agents.reflexion.Agent`) for one sample; ``strategy`` is an arm of
        :mod:`agents.memory.registry` or its name (a ``ReinAgentStrategy`` member too)."""

    def feedback(self, source: str, sample: Sample, *, llm: "LLM", judge_llm: "LLM | None") -> FeedbackFn:
        """The feedback function of ``source`` for ``sample``."""

    def score(self, sample: Sample, attempt: Attempt) -> dict[str, Any]:
        """Ground-truth scores of an attempt, for reporting (must include ``primary_score``)."""

    def estimate(self, agent: str, samples: list[Sample], model: "LLM", n_trials: int,
                 prompts: dict[str, str], options: dict[str, Any], reflects: bool) -> dict[str, int]:
        """An upper bound on ``calls``, ``input_tokens`` and ``output_tokens`` (``--dry-run``)."""

    # -- the original's numbers ---------------------------------------------------------------
    def paper_curves(self, agent: str | None = None) -> dict[str, list[float]]:
        """The original's logged success per trial, by label (empty where there are none)."""

    def paper_n(self, label: str) -> int | None:
        """How many samples a reference curve was measured on (None: unknown)."""

    def paper_agent(self, label: str) -> str | None:
        """Which agent type a reference curve belongs to (its colour in a plot)."""
