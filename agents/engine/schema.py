"""The run format, written down: one attempt record (a line of ``attempts.jsonl``), the manifest
(``manifest.json``), the version they carry, and the one place an attempt's outcome is named.

A run folder holds ``attempts.jsonl`` (one :class:`RunRecord` per line, appended as each attempt
ends; a history: a ``(sample_id, trial)`` retried after an error has one row per try, ``attempt_no``
1, 2, ...) and ``manifest.json`` (one :class:`Manifest`: what the run is, rewritten while it runs).
Both carry ``schema_version``: :data:`SCHEMA_VERSION` today; a file without it was written by a kit
from before versions and reads as version 0 (same fields, some missing, older names mapped).

A worked example: a record as the runner writes it, and back.

>>> from agents.types import Feedback
>>> rec = RunRecord(sample_id="q1", trial=2, task="hotpotqa", agent="react", strategy="reinagent",
...                 input="Who wrote Dune?", answer="Frank Herbert",
...                 feedback=Feedback(True, "", "oracle"), scores={"em": True, "f1": 1.0},
...                 correct=True, target="Frank Herbert", attempt_no=1)
>>> line = rec.to_json()
>>> line["schema_version"], line["success"], line["feedback_source"], line["em"]
(1, True, 'oracle', True)
>>> RunRecord.from_json(line) == rec
True
>>> outcome(line), outcome({**line, "correct": False, "halted": True}), outcome({**line, "error": "HTTP 500"})
('correct', 'halted', 'error')

A record of an older kit (no version, old field names) reads as version 0:

>>> old = RunRecord.from_json({"question_id": "q1", "trial": 1, "correct": False, "scratchpad": "..."})
>>> old.schema_version, old.sample_id, old.trajectory, old.task, old.feedback.source
(0, 'q1', '...', 'hotpotqa', 'oracle')

A bad value is an error that names where it was read:

>>> RunRecord.from_json({"sample_id": "q1", "trial": "two"}, where="run/attempts.jsonl line 7")
Traceback (most recent call last):
...
agents.engine.schema.RunFormatError: run/attempts.jsonl line 7: 'trial' must be an integer, got 'two'
"""
from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterable

from ..types import Feedback, normalize_record

SCHEMA_VERSION = 1
"""The version new records and manifests carry. 0: written before versions (read the same way)."""


class RunFormatError(ValueError):
    """A record or manifest that does not follow the run format (the message names file and line)."""


# -------------------------------------------------------------------------------------- outcome
class Outcome(str, enum.Enum):
    """How one attempt ended, by ground truth: the one vocabulary of tables, logs, the viewer,
    the progress bar and the outcome matrix. (What the *feedback* said is the record's ``success``:
    another question, answered by another source.)

    - ``correct``: the task's primary score is true (EM, the hidden tests pass, the game is won);
    - ``incorrect``: an answer was given and it is not correct;
    - ``halted``: no answer (out of steps or context) and not correct;
    - ``error``: a model or backend failure ended it (never correct; retried on resume);
    - ``untested``: not correct and nothing could check it (HumanEval: no runnable test).
    """

    CORRECT = "correct"
    INCORRECT = "incorrect"
    HALTED = "halted"
    ERROR = "error"
    UNTESTED = "untested"


# The outcomes every table shows, in this order; any other one a record carries (a task or a newer
# kit may add one) gets its own column after these, so a table never hides one.
KNOWN_OUTCOMES = ("correct", "incorrect", "halted", "error")


def _missing(value: Any) -> bool:
    """None, or a float NaN (what pandas reads back for a missing cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _true(value: Any) -> bool:
    return not _missing(value) and bool(value)


def has_error(record: dict[str, Any]) -> bool:
    """Whether a model or backend failure ended the attempt (NaN and "" are no error).

    >>> has_error({"error": None}), has_error({"error": float("nan")}), has_error({"error": "timeout"})
    (False, False, True)
    """
    error = record.get("error")
    return not _missing(error) and error != ""


def outcome(record: dict[str, Any]) -> str:
    """The :class:`Outcome` of one attempt record (a dict as written, or as a DataFrame gave it
    back: NaN is a missing value). The only place an outcome is decided.

    >>> outcome({"error": float("nan"), "correct": True})
    'correct'
    >>> outcome({"correct": False, "feedback": {"success": False, "untested": True}})
    'untested'
    >>> outcome({"correct": False, "feedback_source": "none", "feedback": {"untested": True}})   # simple
    'incorrect'
    """
    if has_error(record):
        return Outcome.ERROR.value
    if _true(record.get("correct")):
        return Outcome.CORRECT.value
    if _true(record.get("halted")):
        return Outcome.HALTED.value
    feedback = record.get("feedback")
    # "untested" is a run that meant to test and could not; under feedback "none" (the arms that run
    # no test by design: simple, immediate-reflexion) nothing was meant to, and the hidden score stands
    source = record.get("feedback_source") or (feedback.get("source") if isinstance(feedback, dict) else None)
    if isinstance(feedback, dict) and feedback.get("untested") is True and source != "none":
        return Outcome.UNTESTED.value
    return Outcome.INCORRECT.value


def is_correct(record: dict[str, Any]) -> bool:
    """Ground-truth correctness of one attempt (an error row is never correct)."""
    return outcome(record) == Outcome.CORRECT.value


def outcome_kinds(kinds: Iterable[str]) -> list[str]:
    """The known outcomes, then any others seen, in first-seen order.

    >>> outcome_kinds(["incorrect", "untested", "correct"])
    ['correct', 'incorrect', 'halted', 'error', 'untested']
    """
    return list(KNOWN_OUTCOMES) + [k for k in dict.fromkeys(kinds) if k not in KNOWN_OUTCOMES]


# ------------------------------------------------------------------------------------ checking
def _at(where: str) -> str:
    return f"{where}: " if where else ""


def _check(value: Any, kinds: tuple, what: str, name: str, where: str) -> Any:
    """``value`` if it is one of ``kinds`` (a bool is no number), else a :class:`RunFormatError`."""
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        return value
    raise RunFormatError(f"{_at(where)}{name!r} must be {what}, got {value!r}"[:300])


_STR, _INT, _NUM, _BOOL = (str,), (int,), (int, float), (bool,)


def check_version(data: dict[str, Any], where: str = "") -> int:
    """The ``schema_version`` a file says (0 when it says none); newer than this kit: an error."""
    version = data.get("schema_version", 0)
    version = _check(version, _INT, "an integer", "schema_version", where)
    if version > SCHEMA_VERSION or version < 0:
        raise RunFormatError(f"{_at(where)}schema_version {version} is not one this kit "
                             f"reads (0 to {SCHEMA_VERSION}): read it with the kit that wrote it, or upgrade")
    return version


# -------------------------------------------------------------------------------------- record
@dataclass
class RunRecord:
    """One attempt, as one line of ``attempts.jsonl`` (``to_json`` gives the line's object).

    What the agent did (:class:`agents.types.Attempt`'s fields), what it was scored (by the task,
    against ground truth, never shown to the agent unless the feedback source is ``oracle``), what
    it cost, and where the row stands in the file's history.
    """

    # -- which attempt
    sample_id: str                      # the sample's id (older kits: ``question_id``)
    trial: int                          # 1, 2, ...: the trial this attempt was
    task: str = "hotpotqa"              # the task's registry name (records before the field: HotPotQA)
    agent: str = ""                     # the agent type: "react", "cot_context", "codegen", ...
    strategy: str = ""                  # what trial k+1 is shown of trials 1..k: "reinagent", "reflexion"...
    # -- what it did
    input: str = ""                     # what the agent was shown of the sample (older: ``question``)
    answer: str = ""                    # its answer: text, code, or the last command sent
    trajectory: str = ""                # the whole attempt as text (older: ``scratchpad``)
    feedback: Feedback | None = None    # the verdict it got (None: an error or a halt before one)
    reflection: str = ""                # the reflection written just before this attempt
    reflections: list[str] = field(default_factory=list)  # the memory this attempt was shown
    last_attempt: str = ""              # the earlier attempt it was shown, if its strategy shows one
    steps: int = 0                      # actions taken (ReAct, ALFWorld) or 1
    invalid_actions: int = 0            # replies that were not a valid action
    halted: bool = False                # ran out of steps or context before an answer
    error: str | None = None            # the model/backend failure that ended it (retried on resume)
    # -- what it cost (every call, cached or not; ``paid``: those not served from the cache)
    llm_calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0              # prompt tokens served from the server's KV prefix cache
    latency_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)   # the actor's own fields (test results...)
    success: bool = False               # what the feedback said (drives retries; not ground truth)
    feedback_source: str | None = None  # oracle, self, judge, tests, tests+docstring, none
    # -- ground truth (the task's scorer; ``rescore`` recomputes these offline)
    scores: dict[str, Any] = field(default_factory=dict)  # every score: {"em": True, "f1": 1.0}; also top level
    correct: bool = False               # scores[task.primary_score]
    target: Any = None                  # the ground truth as the task records it (None where it stays hidden)
    cost_usd: float = 0.0               # at the model's price (0 for local models)
    # -- the file's history
    paid: dict[str, Any] | None = None  # llm_calls, cache_hits, input/output_tokens, cost_usd not from the cache
    attempt_no: int = 1                 # 1 for the first row of its (sample_id, trial), then 2, ...
    schema_version: int = SCHEMA_VERSION  # 0: written before versions
    other: dict[str, Any] = field(default_factory=dict, repr=False)  # fields this kit does not know (kept)

    _TYPES = {"trial": (_INT, "an integer"), "steps": (_INT, "an integer"),
              "invalid_actions": (_INT, "an integer"), "llm_calls": (_INT, "an integer"),
              "cache_hits": (_INT, "an integer"), "input_tokens": (_INT, "an integer"),
              "output_tokens": (_INT, "an integer"), "cached_tokens": (_INT, "an integer"),
              "attempt_no": (_INT, "an integer"), "latency_s": (_NUM, "a number"),
              "cost_usd": (_NUM, "a number"), "halted": (_BOOL, "true or false"),
              "success": (_BOOL, "true or false"), "correct": (_BOOL, "true or false"),
              "task": (_STR, "a string"), "agent": (_STR, "a string"), "strategy": (_STR, "a string"),
              "input": (_STR, "a string"), "answer": (_STR, "a string"), "trajectory": (_STR, "a string"),
              "reflection": (_STR, "a string"), "last_attempt": (_STR, "a string"),
              "reflections": ((list,), "a list of strings"), "extra": ((dict,), "an object"),
              "scores": ((dict,), "an object"), "error": (_STR, "a string or null"),
              "feedback_source": (_STR, "a string or null"), "paid": ((dict,), "an object or null")}

    def __post_init__(self) -> None:
        # ``success`` and ``feedback_source`` say what ``feedback`` says (top level, for pandas).
        if self.feedback is not None:
            self.success, self.feedback_source = bool(self.feedback.success), self.feedback.source

    @classmethod
    def from_attempt(cls, attempt: Any, **runner_fields: Any) -> "RunRecord":
        """The record of an :class:`~agents.types.Attempt` plus what the runner adds (``scores``,
        ``correct``, ``target``, ``cost_usd``, ``paid``, ``attempt_no``)."""
        return cls.from_json({**attempt.to_record(), **runner_fields, "schema_version": SCHEMA_VERSION})

    @classmethod
    def from_json(cls, data: Any, where: str = "") -> "RunRecord":
        """A record from a line's object (any version up to :data:`SCHEMA_VERSION`); ``where``
        (``"<file> line <n>"``) starts every error message."""
        if not isinstance(data, dict):
            raise RunFormatError(f"{_at(where)}an attempt record is a JSON object, got {type(data).__name__}")
        version = check_version(data, where)
        data = normalize_record(data)
        for name in ("sample_id", "trial"):
            if name not in data:
                raise RunFormatError(f"{_at(where)}an attempt record needs {name!r} (it has "
                                     f"{', '.join(sorted(map(str, data))[:12])})")
        if isinstance(data["sample_id"], int) and not isinstance(data["sample_id"], bool):
            data["sample_id"] = str(data["sample_id"])   # ids read back as numbers by pandas
        _check(data["sample_id"], _STR, "a string", "sample_id", where)
        known = {f.name for f in fields(cls)} - {"other", "schema_version"}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                continue
            if name in cls._TYPES and value is not None:
                kinds, what = cls._TYPES[name]
                _check(value, kinds, what, name, where)
            values[name] = value
        for name in ("error", "feedback_source", "paid", "target", "feedback"):
            values.setdefault(name, None)
        feedback = values.get("feedback")
        if feedback is not None:
            feedback = _check(feedback, (dict,), "an object or null", "feedback", where)
            values["feedback"] = Feedback(**{k: feedback[k] for k in ("success", "message", "source",
                                                                      "untested", "stop") if k in feedback})
        values = {k: v for k, v in values.items() if v is not None or k in
                  ("error", "feedback_source", "paid", "target", "feedback")}
        scores = values.get("scores") or {}
        # Scores are copied to the top level (for pandas): not "other" fields, they are rebuilt.
        other = {k: v for k, v in data.items() if k not in known and k not in scores and k != "schema_version"}
        return cls(**values, schema_version=version, other=other)

    def to_json(self) -> dict[str, Any]:
        """The line's object: ``schema_version`` first, then every field, the scores again at top
        level (``em``, ``f1``, ``pass``: columns for pandas) and the fields this kit does not know."""
        out: dict[str, Any] = {"schema_version": self.schema_version}
        for f in fields(self):
            if f.name in ("schema_version", "other", "paid", "attempt_no"):
                continue
            value = getattr(self, f.name)
            out[f.name] = asdict(value) if isinstance(value, Feedback) else value
        out.update({k: v for k, v in self.scores.items() if k not in out})
        out["paid"], out["attempt_no"] = self.paid, self.attempt_no
        out.update({k: v for k, v in self.other.items() if k not in out})
        return out

    @property
    def outcome(self) -> str:
        return outcome({"error": self.error, "correct": self.correct, "halted": self.halted,
                        "feedback": asdict(self.feedback) if self.feedback else None})

    def to_attempt(self) -> Any:
        """The :class:`~agents.types.Attempt` this record was written from (a task's scorer takes one)."""
        from ..types import Attempt

        return Attempt.from_record(self.to_json())


# ------------------------------------------------------------------------------------ manifest
@dataclass
class Manifest:
    """What a run is and how it went: ``manifest.json``. Every field may be missing in a folder of
    an older kit (and in a manifest a caller wrote by hand): it is then ``None``.

    >>> m = Manifest.from_json({"task": "hotpotqa", "agent": "react", "strategy": "reinagent",
    ...                         "dataset_ids": ["q1", "q2"], "note": "kept"})
    >>> m.schema_version, m.n_samples, m.temperature, m.to_json()["note"]
    (0, 2, None, 'kept')
    >>> new = Manifest(task="hotpotqa", dataset_ids=["q1"])
    >>> new.fixed(), Manifest.from_json(new.to_json()) == new
    ({'schema_version': 1, 'task': 'hotpotqa', 'dataset_ids': ['q1']}, True)
    """

    # -- what the run is (written once, at the start of every session)
    run_dir: str | None = None              # where it was written (readers use where it is now)
    config: dict[str, Any] | None = None    # what a resume must match: task, agent, strategy, feedback,
    #                                         model identities, prompt hashes, question_ids, options
    task: str | None = None                 # the task's registry name
    agent: str | None = None                # the agent type
    strategy: str | None = None             # the strategy's (arm's) folder name
    feedback_source: str | None = None      # what decides a retry: oracle, self, judge, tests, ...
    model_spec: str | None = None           # as given: "local", "openai:gpt-4o-mini"
    model_id: str | None = None             # the model's name
    judge_model_id: str | None = None       # the judge's, under judge feedback
    decoding: dict[str, Any] | None = None  # temperature, max_tokens
    prompts: dict[str, Any] | None = None   # name -> {"sha256_16": ..., "text": ...}
    agent_options: dict[str, Any] | None = None  # max_steps, max_reflections, ... (the task's defaults too)
    environment: dict[str, Any] | None = None    # kind, size, engine version; "label" in words
    dataset_ids: list[str] | None = None    # the run's samples, in order: the denominator of every share
    unit: str | None = None                 # what a sample is called: questions, games, problems
    n_trials: int | None = None             # trials per sample (never shrinks on resume)
    concurrency: int | None = None          # attempts in flight
    barrier: bool | None = None             # trial k+1 waits for every sample's trial k
    limits: dict[str, Any] | None = None    # rpm, tpm, max_in_flight, burst_s
    versions: dict[str, str] | None = None  # package versions
    git_commit: str | None = None
    started_at: str | None = None           # ISO time of the first session
    sessions: int | None = None             # how many times the run was started (1 + resumes)
    label: str | None = None                # a caller's label (replaces agent · strategy · feedback)
    # -- how it went (rewritten while it runs: ManifestWriter's live part)
    ended_at: str | None = None             # None while running (or killed)
    stopped: str | None = None              # why it stopped early: interrupted, budget, server unreachable...
    stop_message: str | None = None
    counters: dict[str, Any] | None = None  # llm_calls, cache_hits, tokens, cost_usd (from the records) ...
    errors: dict[str, Any] | None = None    # count, first, hint (None: no attempt ended in an error)
    traffic: dict[str, Any] | None = None   # the limiter's view of this session
    servers: list[Any] | None = None        # each server's share (a pool of servers)
    schema_version: int = SCHEMA_VERSION    # 0: written before versions
    other: dict[str, Any] = field(default_factory=dict, repr=False)  # fields this kit does not know (kept)

    LIVE = ("ended_at", "stopped", "stop_message", "counters", "errors", "traffic", "servers")
    _TYPES = {"config": (dict,), "decoding": (dict,), "prompts": (dict,), "agent_options": (dict,),
              "dataset_ids": (list,), "n_trials": _INT, "concurrency": _INT, "barrier": _BOOL,
              "limits": (dict,), "versions": (dict,), "sessions": _INT, "counters": (dict,),
              "errors": (dict,), "traffic": (dict,), "servers": (list,),
              **{name: _STR for name in ("run_dir", "task", "agent", "strategy", "feedback_source",
                                         "model_spec", "model_id", "judge_model_id", "unit", "git_commit",
                                         "started_at", "label", "ended_at", "stopped", "stop_message")}}
    _WORDS = {dict: "an object", list: "a list", int: "an integer", bool: "true or false", str: "a string"}

    @classmethod
    def from_json(cls, data: Any, where: str = "") -> "Manifest":
        """A manifest from ``manifest.json``'s object (any version up to :data:`SCHEMA_VERSION`)."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise RunFormatError(f"{_at(where)}a manifest is a JSON object, got {type(data).__name__}")
        version = check_version(data, where)
        known = {f.name for f in fields(cls)} - {"other", "schema_version"}
        values = {}
        for name, value in data.items():
            if name in known:
                if value is not None and name in cls._TYPES:
                    kinds = cls._TYPES[name]
                    _check(value, kinds, cls._WORDS[kinds[0]] + " or null", name, where)
                values[name] = value
        # The environment: a dict from the runner; older kits (and hand-written ones) wrote words.
        if values.get("environment") is not None and not isinstance(values["environment"], dict):
            values["environment"] = {"label": str(values["environment"])}
        other = {k: v for k, v in data.items() if k not in known and k != "schema_version"}
        return cls(**values, schema_version=version, other=other)

    def to_json(self) -> dict[str, Any]:
        """The object, ``schema_version`` first (left out at version 0, as the older kit wrote it),
        then every field that is set: ``null`` and absent mean the same (not stated, or not yet:
        ``ended_at`` while the run runs), so a field that is ``None`` is left out."""
        out: dict[str, Any] = {"schema_version": self.schema_version} if self.schema_version else {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in ("schema_version", "other") and value is not None:
                out[f.name] = value
        out.update(self.other)
        return out

    def fixed(self) -> dict[str, Any]:
        """The part written once at the start (``to_json`` without the :attr:`LIVE` fields)."""
        return {k: v for k, v in self.to_json().items() if k not in self.LIVE}

    # -- read conveniences (every reader asks the manifest the same way)
    @property
    def temperature(self) -> float | None:
        value = (self.decoding or {}).get("temperature", self.other.get("temperature"))
        try:
            return None if value is None else float(value)
        except (TypeError, ValueError):
            return None

    @property
    def n_samples(self) -> int | None:
        return len(self.dataset_ids) if self.dataset_ids else None

    @property
    def options(self) -> dict[str, Any]:
        """The agent options (older kits kept them in ``config``)."""
        options = self.agent_options or (self.config or {}).get("agent_options") or {}
        return {str(k): v for k, v in options.items()} if isinstance(options, dict) else {}
