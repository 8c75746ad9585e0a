"""The online mode (Dynamic Cheatsheet, ACE online): the test stream in a fixed order, each sample
scored (all its trials) before the memory learns from it.

The run goes through its samples one at a time, in the order given: sample i is shown the memory
as it stood after samples 1..i-1 and is scored under it; then the method's ``update`` learns from
sample i's records. So the records do not depend on ``concurrency`` (only one sample is ever in
flight), and a sample is never shown anything learnt from itself. After each update the new
content is appended to ``online_memory.jsonl`` in the run folder (one line per sample learnt from,
with its digest and what the update cost), so a resumed run carries on from the last line without
calling the method again for samples it has already learnt from.

>>> import tempfile
>>> from pathlib import Path
>>> from agents.types import Sample
>>> from agents.memory.transfer.base import LearntMemory
>>> start = empty_memory("notes", task="hotpotqa", agent="cot_no_context")
>>> online = OnlineMemory(start, Path(tempfile.mkdtemp()))
>>> online.current().content
{}
>>> online.after(Sample("a", "Q?"), [{"sample_id": "a", "trial": 2, "success": True, "reflection": "Year first."}],
...              task=None, agent="cot_no_context", llm=None)
>>> online.current().content, online.learnt_ids
({'notes': ['Year first.']}, ['a'])
>>> OnlineMemory(start, online.folder).current().content     # a resume reads the log
{'notes': ['Year first.']}
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from .base import LearntMemory, MemoryFileError, get_method

LOG_NAME = "online_memory.jsonl"


def empty_memory(method: str, *, task: str, agent: str) -> LearntMemory:
    """A memory that has learnt nothing yet (an online run that starts from scratch)."""
    get_method(method)
    return LearntMemory(method=method, content={}, train_ids=[], task=task, agent=agent, model={},
                        feedback="none", prompt_hashes={}, learn_usage={},
                        split={"seed": None, "fold": None, "folds": None, "name": "online"})


class OnlineMemory:
    """The memory of an online run: ``start`` (a learnt memory or an empty one), then an update per
    sample scored, logged in ``folder/online_memory.jsonl``."""

    def __init__(self, start: LearntMemory, folder: str | Path):
        self.start = start
        self.folder = Path(folder)
        self.log = self.folder / LOG_NAME
        self.content = dict(start.content)
        self.learnt_ids: list[str] = []
        self.usage = {"llm_calls": 0, "input_tokens": 0, "output_tokens": 0}
        if self.log.exists():
            self._replay()

    def _replay(self) -> None:
        for number, line in enumerate(self.log.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                self.content, sid = dict(row["content"]), str(row["sample_id"])
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise MemoryFileError(f"{self.log} line {number}: not an online memory step ({error}); "
                                      "restore it or start a new run (--run-name)") from None
            self.learnt_ids.append(sid)
            for key in self.usage:
                self.usage[key] += int((row.get("usage") or {}).get(key) or 0)

    def current(self) -> LearntMemory:
        """The memory as it stands now (what the next sample is shown)."""
        return replace(self.start, content=dict(self.content))

    def after(self, sample: Any, records: list[dict], *, task: Any, agent: str, llm: Any) -> None:
        """Sample ``sample`` is scored (``records``: its attempts): learn from it, log the new content."""
        if str(sample.id) in self.learnt_ids:
            return                                  # learnt from before a resume
        metered = _metered(llm)
        content = get_method(self.start.method).update(dict(self.content), task=task, agent=agent,
                                                       sample=sample, records=records, llm=metered)
        usage = dict(getattr(metered, "usage", {}) or {})
        self.content = dict(content)
        self.learnt_ids.append(str(sample.id))
        for key in self.usage:
            self.usage[key] += int(usage.get(key) or 0)
        row = {"index": len(self.learnt_ids), "sample_id": str(sample.id), "digest": self.current().digest(),
               "content": self.content, "usage": usage}
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()


def _metered(llm: Any) -> Any:
    if llm is None:
        return None
    from .meter import Metered

    return Metered(llm)
