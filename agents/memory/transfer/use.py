"""How a learnt memory reaches a test run: the leakage guard, the wrapper every attempt sees it
through, and what the run's manifest records of it.

A test run that is handed a :class:`~agents.memory.transfer.base.LearntMemory` first checks that
none of its samples was learnt from (:func:`check_overlap`; refused with the count and the first
ids unless asked for by name); then each agent's own memory (the arm's: nothing, reflections...)
is wrapped in :class:`WithLearnt`, so an attempt is shown the learnt text first and its own
sample's past after it. The manifest records :func:`manifest_entry` and the run's config hash
includes the digest, so a resume with another memory is refused.

>>> from agents.memory import Reflections
>>> from agents.memory.transfer.base import LearntMemory
>>> from agents.types import Sample
>>> learnt = LearntMemory("notes", {"notes": ["Check the year."]}, ["a"], "hotpotqa", "cot_no_context",
...                       {}, "oracle", {}, {}, {"seed": 0, "fold": None, "folds": None, "name": "train"})
>>> memory = WithLearnt(Reflections(), learnt, {"b": Sample("b", "When?")})
>>> print(memory.render("b"))
Lessons learnt on other samples of this task (use them if they apply):
- Check the year.
<BLANKLINE>
>>> memory.shown("b")["learnt"] == learnt.digest()
True
>>> check_overlap(learnt, ["b", "c"])
>>> check_overlap(learnt, ["a", "b"])
Traceback (most recent call last):
...
agents.memory.transfer.use.LeakageError: 1 of the 2 test samples were learnt from by this memory (notes, trained on 1 samples): a; run the test split (--split test), or pass --allow-overlap (allow_overlap=True) to run them anyway
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .base import LearntMemory


class LeakageError(ValueError):
    """Test samples that the memory was learnt on (the leakage guard)."""


def check_overlap(memory: LearntMemory, sample_ids: Sequence[str], allow_overlap: bool = False,
                  source: str = "") -> None:
    """Refuse a run whose samples overlap the memory's training samples, naming how many and the
    first few, unless ``allow_overlap``."""
    train = set(map(str, memory.train_ids))
    overlap = [str(sid) for sid in sample_ids if str(sid) in train]
    if not overlap or allow_overlap:
        return
    where = f" ({source})" if source else ""
    shown = ", ".join(overlap[:5]) + (", ..." if len(overlap) > 5 else "")
    raise LeakageError(f"{len(overlap)} of the {len(sample_ids)} test samples were learnt from by this memory"
                       f"{where} ({memory.method}, trained on {len(train)} samples): {shown}; run the test "
                       "split (--split test), or pass --allow-overlap (allow_overlap=True) to run them anyway")


def as_learnt(memory: "LearntMemory | str | Path") -> tuple[LearntMemory, str]:
    """A memory and where it came from (its file, or "" for an object given directly)."""
    if isinstance(memory, LearntMemory):
        return memory, ""
    return LearntMemory.load(memory), str(memory)


def manifest_entry(memory: LearntMemory, source: str = "", *, online: bool = False,
                   overlap: Sequence[str] = ()) -> dict[str, Any]:
    """What a test run's manifest records of its memory (``manifest["memory"]``)."""
    from . import get_method

    return {"digest": memory.digest(), "method": memory.method, "label": get_method(memory.method).label,
            "file": source, "train_ids": list(memory.train_ids), "split": dict(memory.split),
            "feedback": memory.feedback, "model": memory.model, "learn_usage": dict(memory.learn_usage),
            "online": online, "overlap": list(overlap)}


class WithLearnt:
    """A :class:`~agents.types.Memory` that shows ``learnt.render(sample)`` before what ``inner``
    shows; observing, state and resume are ``inner``'s (the learnt part is fixed for a run, and its
    digest is in the manifest). ``learnt`` may be replaced between samples (the online mode)."""

    def __init__(self, inner: Any, learnt: LearntMemory, samples_by_id: dict[str, Any]):
        self.inner = inner
        self.learnt = learnt
        self.samples_by_id = samples_by_id
        self._digest = learnt.digest()
        self._text: dict[str, str] = {}   # per sample: rendered once (retrieval may be costly)

    def set_learnt(self, learnt: LearntMemory) -> None:
        self.learnt, self._digest, self._text = learnt, learnt.digest(), {}

    def learnt_text(self, sample_id: str) -> str:
        if sample_id not in self._text:
            sample = self.samples_by_id.get(sample_id)
            if sample is None:
                raise KeyError(f"sample {sample_id!r} is not among the run's samples; WithLearnt needs "
                               "every sample it is asked about in samples_by_id")
            self._text[sample_id] = self.learnt.render(sample)
        return self._text[sample_id]

    def observe(self, sample_id: str, attempt: Any, reflection: str) -> None:
        self.inner.observe(sample_id, attempt, reflection)

    def render(self, sample_id: str) -> str:
        return self.learnt_text(sample_id) + self.inner.render(sample_id)

    def shown(self, sample_id: str) -> dict[str, Any]:
        return {**self.inner.shown(sample_id), "learnt": self._digest}

    def state(self) -> dict[str, Any]:
        return self.inner.state()

    def load(self, state: dict[str, Any]) -> None:
        self.inner.load(state)


def prepare(task: str, agent: str, sample_ids: Sequence[str], memory_file: Any = None,
            allow_overlap: bool = False, online: Any = None) -> tuple[LearntMemory | None, dict[str, Any] | None]:
    """What a run is handed (``run_trials(memory_file=, allow_overlap=, online=)``), checked: the
    memory (None: none), and its manifest entry. ``online``: None (off), True (learn on from
    ``memory_file``), or a method name (start from an empty memory of it, or check the file's).

    >>> prepare("hotpotqa", "cot", ["a"])
    (None, None)
    >>> prepare("hotpotqa", "cot", ["a"], online=True)
    Traceback (most recent call last):
    ...
    ValueError: online=True learns on from a memory file: give memory_file= (--memory FILE), or name a method to start from nothing (--memory-method M)
    >>> memory, entry = prepare("hotpotqa", "cot", ["a"], online="notes")
    >>> memory.content, entry["online"], entry["method"]
    ({}, True, 'notes')
    """
    from .online import empty_memory

    if memory_file is None and not online:
        return None, None
    if memory_file is None:
        if online is True:
            raise ValueError("online=True learns on from a memory file: give memory_file= (--memory FILE), or "
                             "name a method to start from nothing (--memory-method M)")
        memory, source = empty_memory(str(online), task=task, agent=agent), ""
    else:
        memory, source = as_learnt(memory_file)
        if isinstance(online, str) and online != memory.method:
            raise ValueError(f"online method {online!r} is not the memory's ({memory.method!r}, {source or 'given'})")
    if memory.task != task:
        raise ValueError(f"the memory{f' {source}' if source else ''} was learnt on task {memory.task!r}; "
                         f"this run is task {task!r}")
    check_overlap(memory, sample_ids, allow_overlap, source)
    overlap = [str(sid) for sid in sample_ids if str(sid) in set(map(str, memory.train_ids))]
    return memory, manifest_entry(memory, source, online=bool(online), overlap=overlap)


def memory_suffix(entry: dict[str, Any] | None) -> str:
    """What a default run name gets for a memory: ``-notes-1a2b3c4d`` (``-online`` too).

    >>> memory_suffix(None), memory_suffix({"method": "ace", "digest": "abcdef0123", "online": True})
    ('', '-ace-online-abcdef01')
    """
    if not entry:
        return ""
    return f"-{entry['method']}{'-online' if entry.get('online') else ''}-{entry['digest'][:8]}"


def memory_label(entry: dict[str, Any]) -> str:
    """How runs shown this memory are labelled: ``+ExpeL insights memory`` (``(online)`` said).

    >>> memory_label({"method": "notes", "label": "reflection notes", "online": True})
    '+reflection notes memory (online)'
    """
    label = entry.get("label") or entry.get("method") or "learnt"
    return f"+{label} memory" + (" (online)" if entry.get("online") else "")
