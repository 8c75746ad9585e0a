"""Reading runs: the one place a run folder (or a run given in memory) becomes a :class:`Run`.

A :class:`Run` is a run's final records (one per sample and trial; ``history()`` gives every row),
its :class:`~agents.engine.schema.Manifest`, what it is (task, agent, strategy, feedback source,
model, environment, samples, trials: from the manifest, else from the records), a label, and a
DataFrame view. Tables, figures, the viewer, reports, ``rescore`` and the notebooks' helpers all
take runs through :meth:`Run.of`, which accepts a run folder's path, a DataFrame from
:func:`~agents.engine.runner.run_trials`, a ``(records, manifest)`` pair or a :class:`Run`.

>>> import tempfile
>>> from agents.engine.records import RunFolder
>>> folder = RunFolder(tempfile.mkdtemp())
>>> for sid, trial, ok in [("a", 1, True), ("b", 1, False), ("b", 2, True)]:
...     folder.append({"sample_id": sid, "trial": trial, "correct": ok})
>>> folder.write_manifest({"schema_version": 1, "task": "hotpotqa", "agent": "cot_context",
...                       "strategy": "reinagent", "feedback_source": "oracle", "dataset_ids": ["a", "b"]})
>>> run = Run.read(folder.path)
>>> run.label, run.n, run.n_trials, run.manifest.schema_version
('cot_context · reinagent · oracle feedback', 2, 2, 1)
>>> run.matrix().astype(int).tolist()          # sample x trial: latest answer correct
[[1, 1], [0, 1]]
>>> len(run.frame()), run.frame().attrs["manifest"]["task"]
(3, 'hotpotqa')

Runs that would read the same get what sets them apart added to their labels:

>>> mk = lambda steps, name: ([{"sample_id": "g", "trial": 1, "correct": False}],
...     {"agent": "react", "strategy": "reinagent", "feedback_source": "oracle",
...      "agent_options": {"max_steps": steps}, "run_dir": f"root/react/reinagent/{name}"})
>>> [x.label for x in describe_runs([mk(49, "a"), mk(8, "b")])]
['react · reinagent · oracle feedback · step limit 49', 'react · reinagent · oracle feedback · step limit 8']
>>> [x.label for x in describe_runs([mk(8, "a"), mk(8, "b")])]
['react · reinagent · oracle feedback · run react/reinagent/a', 'react · reinagent · oracle feedback · run react/reinagent/b']
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..tasks import title_and_unit
from .records import RunFolder
from .schema import Manifest, RunRecord
from .stats import is_tiny, outcome_matrix, sample_id_of

# Agent options worth naming in a label when two runs differ by them, in words.
_OPTION_WORDS = {"max_steps": "step limit", "max_reflections": "reflections kept",
                 "max_prompt_tokens": "prompt limit", "max_tokens": "max tokens", "docstore": "docstore"}


def task_attribute(task: str, name: str, default: Any) -> Any:
    """What the registered task says about itself (``metric``, ``answer_format``...), or
    ``default`` for a task the registry does not know (a run from elsewhere) or that does not say.

    >>> task_attribute("humaneval", "metric", "success"), task_attribute("chess", "metric", "success")
    ('pass@1', 'success')
    """
    from ..tasks import get_task, task_names

    if task not in task_names():
        return default
    try:
        return getattr(get_task(task), name, default)
    except (ImportError, AttributeError):  # a task whose engine is not installed
        return default


def is_run_folder(path: str | os.PathLike) -> bool:
    path = Path(path)
    return (path / "attempts.jsonl").exists() or (path / "manifest.json").exists()


def find_runs(root: str | os.PathLike) -> list[Path]:
    """Run folders (those with a ``manifest.json``) at or under ``root``, sorted: a results root
    (``<agent>/<strategy>/<run-name>/``), one agent's or strategy's folder, or a run folder."""
    return sorted(p.parent for p in Path(root).rglob("manifest.json"))


def read_manifest(run_dir: str | os.PathLike) -> Manifest:
    """A run folder's manifest, typed (an empty one, version 0, if the folder has none)."""
    folder = RunFolder.reader(run_dir)
    return Manifest.from_json(folder.read_manifest(), where=str(folder.manifest_path))


class Run:
    """One run: ``records`` (final), ``manifest``, what it is, ``label``; see the module doc.

    ``ids`` (the manifest's ``dataset_ids``, else the records' ids) and ``n_trials`` fix its
    outcome matrix; a record is a dict as written (current field names when read from a folder).
    """

    def __init__(self, records: Iterable[dict[str, Any]], manifest: Manifest | dict[str, Any] | None = None,
                 *, path: str | os.PathLike | None = None, task: str = "?"):
        self.records = list(records)
        self.manifest = manifest if isinstance(manifest, Manifest) else Manifest.from_json(
            manifest, where=f"the manifest of {path}" if path else "")
        self.path = Path(path) if path is not None else None
        m, records = self.manifest, self.records
        self.ids = [str(s) for s in m.dataset_ids or []] or list(dict.fromkeys(sample_id_of(r) for r in records))
        self.n_trials = int(m.n_trials or max((int(r["trial"]) for r in records), default=1))
        self.task = _field(m.task, records, "task", default=task)
        self.agent = _field(m.agent, records, "agent")
        self.strategy = _field(m.strategy, records, "strategy")
        self.feedback_source = _field(m.feedback_source, records, "feedback_source", "feedback")
        self.model = _field(m.model_id, records, "model_id", "model", default="model not stated")
        self.environment = _environment(m.environment)
        self.run_dir = str(self.path) if self.path is not None else str(m.run_dir or "")
        self.temperature = m.temperature
        self.options = m.options
        self.prompts = _prompt_hash(m)      # a short hash of the prompts (tells prompt variants apart)
        self.label = self.base_label()
        self._matrix: np.ndarray | None = None

    # -- making one
    @classmethod
    def read(cls, run_dir: str | os.PathLike) -> "Run":
        """A run folder: its final records (a torn last line dropped with a warning, as on
        resume) and its manifest; an unreadable one is an error naming the file (and line)."""
        path = Path(run_dir)
        if not is_run_folder(path):
            raise FileNotFoundError(f"not a run folder (no attempts.jsonl or manifest.json): {path}")
        folder = RunFolder.reader(path)
        # A folder whose manifest and records name no task is HotPotQA's (older kits ran only it).
        return cls(folder.load(), read_manifest(path), path=path, task="hotpotqa")

    @classmethod
    def of(cls, run: Any, index: int = 0) -> "Run":
        """A :class:`Run` from any shape the kit hands around (see the module doc)."""
        if isinstance(run, Run):
            return run
        if isinstance(run, (str, os.PathLike)):
            return cls.read(run)
        if hasattr(run, "attrs") and hasattr(run, "to_dict"):        # a DataFrame
            run_dir = run.attrs.get("run_dir")
            manifest = run.attrs.get("manifest") or (read_manifest(run_dir) if run_dir and is_run_folder(run_dir)
                                                     else None)
            return cls(run.to_dict("records") if len(run) else [], manifest, path=run_dir)
        if isinstance(run, (tuple, list)) and len(run) == 2 and isinstance(run[1], (dict, Manifest, type(None))):
            return cls(run[0], run[1])
        raise TypeError(f"run {index} is not a run: pass a run folder, a DataFrame from run_trials, a Run, "
                        "or a (records, manifest) pair, e.g. (folder.load(), folder.read_manifest()) or "
                        "(frame.to_dict('records'), {})")

    def copy(self) -> "Run":
        """Another run object on the same records (its own label)."""
        other = copy.copy(self)
        other.label = other.base_label()
        return other

    # -- its records
    def history(self) -> list[dict[str, Any]]:
        """Every row of ``attempts.jsonl`` (retries after errors too), in file order."""
        if self.path is not None and (self.path / "attempts.jsonl").exists():
            return RunFolder.reader(self.path).load(final=False)
        return list(self.records)

    def typed_history(self) -> list[tuple[int, RunRecord]]:
        """``(line, record)`` for every row, each a :class:`~agents.engine.schema.RunRecord` (any
        version the kit reads); a row that breaks the run format is an error naming file and line."""
        if self.path is not None and (self.path / "attempts.jsonl").exists():
            folder = RunFolder.reader(self.path)
            return [(number, RunRecord.from_json(row, where=f"{folder.attempts_path} line {number}"))
                    for number, row in folder.rows()]
        return [(i + 1, RunRecord.from_json(row, where=f"record {i + 1}")) for i, row in enumerate(self.records)]

    def frame(self) -> Any:
        """The final records as a DataFrame; ``attrs`` hold ``run_dir`` and the ``manifest`` (a dict)."""
        import pandas as pd

        frame = pd.DataFrame(self.records)
        frame.attrs["run_dir"] = self.run_dir
        frame.attrs["manifest"] = self.manifest.to_json()
        return frame

    def matrix(self) -> np.ndarray:
        """The outcome matrix (computed once: a run takes part in several pairs)."""
        if self._matrix is None:
            self._matrix = outcome_matrix(self.records, self.ids, self.n_trials)[1]
        return self._matrix

    # -- what it is
    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def tiny(self) -> bool:
        """Fewer than ``stats.TINY_N`` samples: intervals this wide are flagged."""
        return is_tiny(self.n)

    @property
    def unit(self) -> str:
        return title_and_unit(self.task)[1]

    @property
    def folder(self) -> str:
        """``agent/strategy/run-name``: where the run lives under its results root."""
        path = Path(self.run_dir) if self.run_dir else None
        return "/".join(path.relative_to(path.anchor).parts[-3:]) if path else ""

    @property
    def replay(self) -> bool:
        """The ``none`` arm at temperature 0: a retry is shown nothing of earlier trials, so it sends
        trial 1's prompt again and gets trial 1's reply (from the cache). Its curve is flat by
        construction: a control for memory, not a re-sampling baseline."""
        from ..memory.registry import is_control   # the arms' registry knows which arm is the control

        return is_control(self.strategy) and self.temperature == 0 and self.n_trials > 1

    def settings(self) -> str:
        """The agent options in words: ``'step limit 49, reflections kept 3'``."""
        return ", ".join(f"{_OPTION_WORDS.get(k, k)} {v}" for k, v in sorted(self.options.items())
                         if v is not None)

    def base_label(self) -> str:
        """The manifest's ``label``, else ``agent · strategy · <source> feedback`` (and
        ``replay (temperature 0)`` for the none arm at temperature 0)."""
        if self.manifest.label:
            return str(self.manifest.label)
        label = f"{self.agent} · {self.strategy} · {self.feedback_source} feedback"
        memory = (self.manifest.other or {}).get("memory")
        if isinstance(memory, dict) and memory.get("digest"):   # a run shown a learnt memory (issue 20)
            from ..memory.transfer.use import memory_label

            label += f" · {memory_label(memory)}"
        return label + (" · replay (temperature 0)" if self.replay else "")

    def __repr__(self) -> str:
        return f"Run({self.label!r}, n={self.n}, trials={self.n_trials}, records={len(self.records)})"


RunInfo = Run  # the name the report used for a described run


def describe_runs(runs: Iterable[Any]) -> list[Run]:
    """One :class:`Run` per run (a fresh object each: labels are this group's), labelled
    ``agent · strategy · <source> feedback``; runs that would read the same get what differs
    between them added (model, temperature, samples, prompts, options such as the step limit, else
    the run folder), so every label is unique and says why (see the module doc)."""
    infos = [Run.of(run, i).copy() for i, run in enumerate(runs)]
    groups: dict[str, list[Run]] = {}
    for info in infos:
        groups.setdefault(info.label, []).append(info)
    for group in groups.values():
        if len(group) > 1:
            _distinguish(group)
    labels = [x.label for x in infos]
    for i, info in enumerate(infos):  # the last resort: two records of one folder
        if labels.count(info.label) > 1:
            info.label = f"{info.label} #{i + 1}"
    return infos


def load_runs(paths: Iterable[str | os.PathLike]) -> dict[str, list[Run]]:
    """Every run folder at or under ``paths``, read once each, grouped by task."""
    by_task: dict[str, list[Run]] = {}
    seen: set[Path] = set()
    for path in paths:
        found = find_runs(path)
        if not found:
            raise FileNotFoundError(f"no run folder at or under {path} (a run folder has a manifest.json)")
        for run_dir in found:
            if run_dir.resolve() in seen:
                continue
            seen.add(run_dir.resolve())
            run = Run.read(run_dir)
            by_task.setdefault(run.task, []).append(run)
    return by_task


# ------------------------------------------------------------------------------ what a run is
def _field(value: Any, records: list, *record_keys: str, default: str = "?") -> str:
    """A manifest value, else the records' single value (``"mixed: a, b"`` if they disagree)."""
    if value not in (None, ""):
        return str(value)
    values = []
    for record in records:
        for rk in record_keys:
            found = record.get(rk)
            if rk == "feedback" and isinstance(found, dict):
                found = found.get("source")
            if found not in (None, "") and found == found:   # NaN: a DataFrame's missing cell
                values.append(str(found))
                break
    values = list(dict.fromkeys(values))
    if not values:
        return default
    return values[0] if len(values) == 1 else "mixed: " + ", ".join(values)


def _environment(value: Any) -> str:
    """The manifest's environment as words: its ``label`` (a dict from the runner), or the text.

    >>> _environment({"kind": "offline docstore", "pages": 1000, "label": "offline docstore, 1000 pages"})
    'offline docstore, 1000 pages'
    """
    if isinstance(value, dict):
        return str(value.get("label") or value.get("kind") or "environment not stated")
    return str(value or "environment not stated")


def _short_hash(value: Any) -> str:
    if not value:
        return ""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]


def _prompt_hash(manifest: Manifest) -> str:
    if isinstance(manifest.prompts, dict):
        return _short_hash({k: (v.get("sha256_16") if isinstance(v, dict) else v)
                            for k, v in manifest.prompts.items()})
    return _short_hash((manifest.config or {}).get("prompt_hashes"))


# What can tell two runs with the same agent, strategy and feedback apart, in the order a label
# names it; each is named only where it differs within a group of runs that would read the same.
def _samples_words(x: Run, group: list[Run]) -> str:
    """'12 games' where the sizes differ; else which sample set (a short hash of its ids)."""
    if len({y.n for y in group}) > 1:
        return f"{x.n} {x.unit}"
    return f"{x.unit} {_short_hash(sorted(x.ids))[:6]}"


_FACETS = (
    ("model", lambda x: x.model, lambda x, g: f"model {x.model}"),
    ("temperature", lambda x: x.temperature, lambda x, g: f"temperature {x.temperature:g}"
     if x.temperature is not None else "temperature not stated"),
    ("samples", lambda x: (x.n, tuple(x.ids)), _samples_words),
    ("prompts", lambda x: x.prompts, lambda x, g: f"prompts {x.prompts or 'not stated'}"),
    ("environment", lambda x: x.environment, lambda x, g: x.environment),
    ("trials", lambda x: x.n_trials, lambda x, g: f"{x.n_trials} trials"),
)


def _distinguish(group: list[Run]) -> None:
    """Add to each label of ``group`` (runs whose labels are equal) what differs between them: the
    facets above, every agent option with different values, and, if they still read the same, the
    run folder."""
    extra: dict[int, list[str]] = {id(x): [] for x in group}
    for _, key, words in _FACETS:
        if len({key(x) for x in group}) > 1:
            for x in group:
                extra[id(x)].append(words(x, group))
    for option in sorted({k for x in group for k in x.options}):
        if len({repr(x.options.get(option)) for x in group}) > 1:
            for x in group:
                extra[id(x)].append(f"{_OPTION_WORDS.get(option, option)} {x.options.get(option, 'default')}")
    texts = [" · ".join(extra[id(x)]) for x in group]
    for x, text in zip(group, texts):
        if texts.count(text) > 1 and x.folder:  # the settings say nothing apart: name the folder
            text = " · ".join(filter(None, [text, f"run {x.folder}"]))
        x.label = " · ".join(filter(None, [x.label, text]))
