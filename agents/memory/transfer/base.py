"""A memory learnt on training samples, frozen in a JSON file, and the methods that learn one.

Two phases with a file between them: ``python -m agents learn`` runs trials on the training
samples and hands their records to a :class:`TransferMethod`, whose content is saved as a
:class:`LearntMemory`; ``python -m agents run --memory FILE`` shows ``render(sample)`` to every
attempt of the test samples. The file is JSON (never pickle) so a person can read what was learnt
and a run can record its :meth:`LearntMemory.digest`.

A worked example with the ``notes`` baseline (reflections of training samples later solved):

>>> from agents.types import Sample
>>> records = [{"sample_id": "a", "trial": 1, "success": False, "reflection": ""},
...            {"sample_id": "a", "trial": 2, "success": True, "reflection": "Search the film first."},
...            {"sample_id": "b", "trial": 2, "success": False, "reflection": "Guess less."}]
>>> content = get_method("notes").learn(task="hotpotqa", agent="cot_no_context", records=records,
...                                     samples={}, llm=None)
>>> content
{'notes': ['Search the film first.']}
>>> memory = LearntMemory(method="notes", content=content, train_ids=["a", "b"], task="hotpotqa",
...                       agent="cot_no_context", model={"backend": "scripted"}, feedback="oracle",
...                       prompt_hashes={}, learn_usage={}, split={"seed": 0, "fold": None,
...                       "folds": None, "name": "train"})
>>> print(memory.render(Sample("c", "Who directed it?")))
Lessons learnt on other samples of this task (use them if they apply):
- Search the film first.
<BLANKLINE>
>>> LearntMemory.from_json(memory.to_json()) == memory, len(memory.digest())
(True, 64)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ...types import Sample

SCHEMA_VERSION = 1
"""The version new memory files carry."""


class MemoryFileError(ValueError):
    """A memory file that cannot be read or does not hold a learnt memory (the message names it)."""


# ------------------------------------------------------------------------------------ the file
@dataclass
class LearntMemory:
    """A memory learnt on training samples, frozen in a JSON file (never pickle)."""

    method: str                      # "expel", "ace", "notes" (registry key)
    content: dict                    # the method's own JSON-able content (insights, playbook items, ...)
    train_ids: list[str]             # the training samples' ids (the leakage guard reads these)
    task: str
    agent: str
    model: dict                      # the learning model's identity (LLM.identity())
    feedback: str                    # the feedback source that drove learning ("oracle" on train is fine)
    prompt_hashes: dict[str, str]    # the learning run's prompts' hashes
    learn_usage: dict                # calls, input/output tokens, cost_usd spent learning (incl. the training run)
    split: dict                      # {"seed": S, "fold": k or None, "folds": K or None, "name": "train"}
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict, source: str = "") -> "LearntMemory":
        """Read one back; a missing or mistyped field is an error naming ``source`` (the file).

        >>> LearntMemory.from_json({"method": "notes"}, source="m.json")
        Traceback (most recent call last):
        ...
        agents.memory.transfer.base.MemoryFileError: m.json: not a learnt memory: missing content, train_ids, task, agent, model, feedback, prompt_hashes, learn_usage, split
        """
        where = source or "memory"
        if not isinstance(data, dict):
            raise MemoryFileError(f"{where}: a learnt memory is a JSON object, got {type(data).__name__}")
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data and n != "schema_version"]
        if missing:
            raise MemoryFileError(f"{where}: not a learnt memory: missing {', '.join(missing)}")
        kinds = {"method": str, "content": dict, "train_ids": list, "task": str, "agent": str,
                 "model": dict, "feedback": str, "prompt_hashes": dict, "learn_usage": dict,
                 "split": dict, "schema_version": int}
        for name, kind in kinds.items():
            if name in data and not isinstance(data[name], kind):
                raise MemoryFileError(f"{where}: {name!r} must be a {kind.__name__}, "
                                      f"got {type(data[name]).__name__}")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version > SCHEMA_VERSION:
            raise MemoryFileError(f"{where}: written by a newer kit (schema_version {version}; "
                                  f"this kit reads up to {SCHEMA_VERSION}): update the kit")
        return cls(**{n: data[n] for n in names if n in data})

    def save(self, path: str | Path) -> Path:
        """Write the file (written whole to a temporary name, then renamed: never half a memory)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LearntMemory":
        """Read a memory file; every error names the file and what to do.

        >>> LearntMemory.load("/nonexistent/memory.json")
        Traceback (most recent call last):
        ...
        agents.memory.transfer.base.MemoryFileError: /nonexistent/memory.json: no such memory file (write one with `python -m agents learn ... --out FILE`)
        """
        path = Path(path)
        if not path.is_file():
            raise MemoryFileError(f"{path}: no such memory file "
                                  "(write one with `python -m agents learn ... --out FILE`)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise MemoryFileError(f"{path}: not a JSON memory file ({error})") from None
        memory = cls.from_json(data, source=str(path))
        if memory.method not in method_names():
            raise MemoryFileError(f"{path}: unknown method {memory.method!r} "
                                  f"(known: {', '.join(method_names())})")
        return memory

    def digest(self) -> str:
        """sha256 of the canonical JSON (recorded in the test run's manifest)."""
        blob = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def render(self, sample: "Sample") -> str:
        """What a test attempt of ``sample`` is shown."""
        return get_method(self.method).render(self.content, sample)


# ---------------------------------------------------------------------------------- the methods
@runtime_checkable
class TransferMethod(Protocol):
    """How a memory is learnt from training records and shown to a test attempt."""

    name: str                        # registry key
    label: str                       # for legends: "ExpeL insights", "ACE playbook"

    def learn(self, *, task: Any, agent: str, records: list[dict], samples: dict[str, "Sample"],
              llm: Any) -> dict:
        """Content from the training run's records (every attempt of every trial: record dicts as in
        attempts.jsonl, with trajectory, answer, success (the feedback's verdict), reflections...) and the samples by id; may call llm."""

    def render(self, content: dict, sample: "Sample") -> str:
        """The text shown to a test attempt (the template's {memory} part, before any Reflexion memory)."""

    def update(self, content: dict, *, task: Any, agent: str, sample: "Sample", records: list[dict],
               llm: Any) -> dict:
        """Online mode: after a test sample is scored (all its trials done), learn from it; returns new content."""


_METHODS: dict[str, TransferMethod] = {}


def register_method(method: TransferMethod) -> None:
    """Add (or replace) a method under its ``name``."""
    _METHODS[method.name] = method


def get_method(name: str) -> TransferMethod:
    """The method registered as ``name``.

    >>> get_method("notes").label
    'reflection notes'
    >>> get_method("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "no transfer method 'nope' (known: ...notes)"
    """
    if name not in _METHODS:
        _load_builtin()
    if name not in _METHODS:
        raise KeyError(f"no transfer method {name!r} (known: {', '.join(method_names())})")
    return _METHODS[name]


def method_names() -> list[str]:
    _load_builtin()
    return sorted(_METHODS)


def _load_builtin() -> None:
    """Import the package so its methods register (a caller may import base alone)."""
    import importlib

    importlib.import_module(__package__)


# ------------------------------------------------------------------------- the notes baseline
NOTES_HEADER = "Lessons learnt on other samples of this task (use them if they apply):"


@dataclass
class Notes:
    """The simple baseline: the training run's reflections that preceded a success on their
    sample (the notes that helped), deduplicated, most recent first, at most ``cap``.

    Online, a scored test sample adds its own such reflections in front.
    """

    name: str = "notes"
    label: str = "reflection notes"
    cap: int = 8

    def _helpful(self, records: list[dict]) -> list[str]:
        solved = {}
        for rec in records:
            # what the feedback said, never the ground truth: online under none/self feedback the
            # memory must learn only from what the agent was told
            if rec.get("success") and not rec.get("error"):
                sid = rec.get("sample_id")
                solved[sid] = min(solved.get(sid, rec.get("trial", 1)), rec.get("trial", 1))
        notes = []
        # Most recent first: later trials (and later records) carry the notes that were settled last.
        for rec in sorted(records, key=lambda r: r.get("trial", 0), reverse=True):
            sid = rec.get("sample_id")
            note = (rec.get("reflection") or "").strip()
            if note and sid in solved and rec.get("trial", 0) <= solved[sid] and note not in notes:
                notes.append(note)
        return notes

    def learn(self, *, task: Any, agent: str, records: list[dict], samples: dict, llm: Any) -> dict:
        return {"notes": self._helpful(records)[: self.cap]}

    def render(self, content: dict, sample: Any) -> str:
        notes = content.get("notes") or []
        if not notes:
            return ""
        return "\n".join([NOTES_HEADER, *(f"- {note}" for note in notes), ""])

    def update(self, content: dict, *, task: Any, agent: str, sample: Any, records: list[dict],
               llm: Any) -> dict:
        new = [n for n in self._helpful(records) if n not in (content.get("notes") or [])]
        return {**content, "notes": (new + list(content.get("notes") or []))[: self.cap]}
