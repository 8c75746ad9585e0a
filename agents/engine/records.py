"""The run folder on disk: ``attempts.jsonl`` (crash-safe), ``manifest.json``, ``summary.csv``, ``log.txt``.

Generating and scoring are separated by the JSONL file (as in openai/human-eval): everything shown
or plotted is recomputed from the records, so a run can be re-scored offline.

The file is a history: an attempt that failed with an error and was run again on resume leaves both
rows. Each row has ``attempt_no`` (1 for the first try of its ``(sample_id, trial)``, then 2, ...);
the *final* row of a ``(sample_id, trial)`` is the one with the highest ``attempt_no``, and every
table, plot and loader uses final rows only (:func:`final_records`). In pandas::

    df = pd.read_json("attempts.jsonl", lines=True)
    final = df.sort_values("attempt_no").drop_duplicates(["sample_id", "trial"], keep="last")

>>> import tempfile
>>> folder = RunFolder(tempfile.mkdtemp())
>>> folder.append({"question_id": "q1", "trial": 1, "correct": True})
>>> with open(folder.attempts_path, "a") as f: _ = f.write('{"question_id": "q2", "tri')  # a kill mid-write
>>> [r["sample_id"] for r in folder.load()]
['q1']
"""
from __future__ import annotations

import csv
import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Iterable

from ..types import normalize_record


class RunFolder:
    """One run's folder. Appends are atomic per line, flushed and fsynced, under a lock."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.attempts_path = self.path / "attempts.jsonl"
        self.manifest_path = self.path / "manifest.json"
        self.summary_path = self.path / "summary.csv"
        self.log_path = self.path / "log.txt"
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Write one attempt as one line. One ``write`` of the whole line, then fsync: a kill
        leaves at worst a torn *last* line, which :meth:`load` drops."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._heal_torn_tail()
            with open(self.attempts_path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())

    def _heal_torn_tail(self) -> None:
        """Cut a torn last line left by an earlier kill, so new lines start on a fresh line."""
        if not self.attempts_path.exists() or self.attempts_path.stat().st_size == 0:
            return
        with open(self.attempts_path, "rb+") as f:
            data = f.read()
            if data.endswith(b"\n"):
                return
            f.truncate(data.rfind(b"\n") + 1)

    def load(self, final: bool = True) -> list[dict[str, Any]]:
        """The final record of each ``(sample_id, trial)`` (``final=False``: every row, the history),
        normalized to the current field names. A torn last line is dropped with a warning; a bad
        line elsewhere is an error naming it (that is corruption, not a crash)."""
        records = [normalize_record(record) for record in self._read()]
        return final_records(records) if final else records

    def _read(self) -> list[dict[str, Any]]:
        if not self.attempts_path.exists():
            return []
        lines = self.attempts_path.read_text(encoding="utf-8").split("\n")
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                is_tail = number == len(lines)  # no newline after it: the write never finished
                if not is_tail:
                    raise ValueError(f"{self.attempts_path} line {number} is not valid JSON")
                warnings.warn(f"dropped a torn last line in {self.attempts_path} (interrupted run)")
        return records

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        _write_atomically(self.manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

    def write_summary(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        tmp = self.summary_path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            if rows:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        os.replace(tmp, self.summary_path)

    def write_log(self, text: str) -> None:
        _write_atomically(self.log_path, text)


def final_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per ``(sample_id, trial)``: the highest ``attempt_no`` (the later row on a tie),
    in the order the final rows were first written.

    >>> rows = [{"sample_id": "a", "trial": 1, "attempt_no": 1, "error": "HTTP 500"},
    ...         {"sample_id": "b", "trial": 1, "attempt_no": 1, "error": None},
    ...         {"sample_id": "a", "trial": 1, "attempt_no": 2, "error": None}]
    >>> [(r["sample_id"], r["attempt_no"]) for r in final_records(rows)]
    [('a', 2), ('b', 1)]
    """
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for record in records:
        key = (record["sample_id"], int(record["trial"]))
        if key not in best or record.get("attempt_no", 1) >= best[key].get("attempt_no", 1):
            best[key] = record
    return list(best.values())


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
