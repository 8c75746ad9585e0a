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
import datetime as dt
import fcntl
import json
import os
import socket
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Iterable

from ..llm.base import Cancelled
from ..types import normalize_record
from .schema import SCHEMA_VERSION, check_version


class RunFolderLocked(RuntimeError):
    """Another process holds this run folder: two writers would duplicate every attempt."""


def check_run_name(name: str) -> str:
    """A run name is one folder name: no path separators, no ``..``, not absolute, so a run can
    never write outside its results root.

    >>> check_run_name("demo-10q")
    'demo-10q'
    >>> check_run_name("../../x")
    Traceback (most recent call last):
    ...
    ValueError: run name '../../x' must be a plain folder name (no '/', '\\', '..' or absolute path): the run folder stays under its results root
    """
    text = str(name)
    if (not text.strip() or text in (".", "..") or "/" in text or "\\" in text or "\0" in text
            or os.path.isabs(text) or ".." in Path(text).parts):
        raise ValueError(f"run name {text!r} must be a plain folder name (no '/', '\\', '..' or "
                         "absolute path): the run folder stays under its results root")
    return text


class RunFolder:
    """One run's folder. Appends are atomic per line, flushed and fsynced, under a lock.

    ``append`` returns once its line is on disk. Concurrent appends share fsyncs (a group commit:
    one fsync covers every line written before it), so a thousand workers do not queue behind
    one fsync each; the file stays open for the folder's life (:meth:`close`).

    A line is one unbuffered ``write``; if it fails (a full disk), the file is cut back to its last
    whole line and every later append fails too, so nothing half-written stays behind. After
    :meth:`seal` (a stopping run that gave up waiting for some attempts) nothing more is appended.
    """

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        self.attempts_path = self.path / "attempts.jsonl"
        self.manifest_path = self.path / "manifest.json"
        self.summary_path = self.path / "summary.csv"
        self.log_path = self.path / "log.txt"
        self._lock = threading.Lock()          # one writer at a time
        self._sync_lock = threading.Lock()     # one fsync at a time
        self._fd: int | None = None
        self._size = 0                         # bytes of whole lines in the file
        self._broken: str | None = None        # why appends stopped (a failed write)
        self._sealed = False
        self._written = self._synced = 0       # lines written / lines known to be on disk
        self._lock_file = None

    @classmethod
    def reader(cls, path: str | os.PathLike) -> "RunFolder":
        """The folder opened to read (a report, a plot): nothing is created or locked."""
        return cls(path, create=False)

    @property
    def lock_path(self) -> Path:
        return self.path / ".lock"

    def lock(self) -> None:
        """Take the folder for this process (an exclusive ``flock``, released at :meth:`close` or
        when the process dies, however it dies). A second process on the same run gets
        :class:`RunFolderLocked` naming the holder, instead of writing a second copy of every
        attempt beside the first.

        >>> import tempfile
        >>> a, b = RunFolder(tempfile.mkdtemp()), None
        >>> a.lock()
        >>> b = RunFolder(a.path)
        >>> b.lock()
        Traceback (most recent call last):
        ...
        agents.engine.records.RunFolderLocked: ...
        >>> a.close(); b.lock(); b.close()
        """
        if self._lock_file is not None:
            return
        handle = open(self.lock_path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunFolderLocked(f"{self.path} is in use by {holder}; wait for it to finish (or stop "
                                  "it), then run the same command to resume") from None
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}\n")
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        handle, self._lock_file = self._lock_file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def append(self, record: dict[str, Any]) -> None:
        """Write one attempt as one line. One ``write`` of the whole line, then fsync: a kill
        leaves at worst a torn *last* line, which the next run repairs."""
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            if self._sealed:
                raise Cancelled("the run stopped: its folder takes no more attempts")
            if self._broken is not None:
                raise OSError(self._broken)
            if self._fd is None:
                self._heal_torn_tail()
                self._fd = os.open(self.attempts_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._size = os.fstat(self._fd).st_size
            try:
                done = os.write(self._fd, line)
                while done < len(line):        # a short write: the rest, or the error that caused it
                    done += os.write(self._fd, line[done:])
            except OSError as error:
                self._broken = (f"cannot write {self.attempts_path}: {error.strerror or error}; "
                                "free space (or fix the folder), then run the same command to resume")
                try:
                    os.ftruncate(self._fd, self._size)   # never leave half a line behind
                except OSError:
                    pass
                raise OSError(error.errno, self._broken) from None
            self._size += len(line)
            self._written += 1
            mine = self._written
            fd = self._fd
        with self._sync_lock:
            if self._synced < mine:            # nobody's fsync covered this line yet
                with self._lock:
                    covered = self._written
                os.fsync(fd)
                self._synced = covered

    def seal(self) -> None:
        """Take no more appends (an attempt finishing after this is not recorded: it runs again
        on resume). Waits for an append in progress, so no line is cut."""
        with self._lock:
            self._sealed = True

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        self.unlock()

    def __del__(self):
        fd = self.__dict__.get("_fd")
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        handle = self.__dict__.get("_lock_file")
        if handle is not None:
            handle.close()

    def repair_tail(self) -> None:
        """Before a resume appends: complete a last line that lacks only its newline, cut a torn
        one (with a warning: the user is told an unfinished attempt was dropped)."""
        with self._lock:
            self._heal_torn_tail()

    def _heal_torn_tail(self) -> None:
        """Cut a torn last line left by an earlier kill, so new lines start on a fresh line.
        Reads the file's end only (backwards), never the whole file."""
        if not self.attempts_path.exists() or self.attempts_path.stat().st_size == 0:
            return
        with open(self.attempts_path, "rb+") as f:
            end = f.seek(0, os.SEEK_END)
            f.seek(end - 1)
            if f.read(1) == b"\n":
                return
            position, cut = end, 0
            while position > 0:
                start = max(0, position - 65536)
                f.seek(start)
                at = f.read(position - start).rfind(b"\n")
                if at != -1:
                    cut = start + at + 1
                    break
                position = start
            f.seek(cut)
            if _parse_line(f.read(end - cut)) is not None:
                # The record was written whole and only its newline is missing: it is a record
                # (load() counted it), so complete the line instead of cutting it.
                f.seek(end)
                f.write(b"\n")
            else:
                f.truncate(cut)
                warnings.warn(f"dropped a torn last line in {self.attempts_path} ({end - cut} bytes "
                              "of an attempt that an interrupted run did not finish writing; it runs again)")
            f.flush()
            os.fsync(f.fileno())

    def load(self, final: bool = True) -> list[dict[str, Any]]:
        """The final record of each ``(sample_id, trial)`` (``final=False``: every row, the history),
        normalized to the current field names. A torn last line is dropped with a warning; a bad
        line elsewhere is an error naming it (that is corruption, not a crash)."""
        records = self._read()
        return final_records(records) if final else records

    def _read(self) -> list[dict[str, Any]]:
        """Line by line (the file is never held whole); the text repeated across a sample's
        records (its input, target, the reflections shown again at every later trial) is kept
        once, so a resumed run of many records holds each string one time."""
        return [record for _, record in self.rows()]

    def rows(self) -> Iterable[tuple[int, dict[str, Any]]]:
        """``(line number, record)`` for every row, in file order (see :meth:`load`)."""
        if not self.attempts_path.exists():
            return
        torn, seen = None, {}
        # Bytes, decoded line by line: a kill (or a full disk) can cut the tail inside a
        # multi-byte character, which is a torn last line like any other, not a fatal decode error.
        with open(self.attempts_path, "rb") as f:
            for number, raw in enumerate(f, 1):
                if torn is not None:  # a bad line followed by more: corruption, not a kill
                    raise ValueError(f"{self.attempts_path} line {torn} is not valid JSON")
                if not raw.strip():
                    continue
                record = _parse_line(raw)
                if record is None:
                    if raw.endswith(b"\n"):
                        raise ValueError(f"{self.attempts_path} line {number} is not a JSON "
                                         "record (not UTF-8 JSON text)") from None
                    torn = number     # no newline after it: the write never finished
                    continue
                if not isinstance(record, dict) or "trial" not in record or not (
                        "sample_id" in record or "question_id" in record):
                    raise ValueError(f"{self.attempts_path} line {number} is not an attempt record "
                                     f"(expected an object with sample_id and trial, got {raw[:60]!r})")
                if isinstance(record["trial"], bool) or not isinstance(record["trial"], int):
                    raise ValueError(f"{self.attempts_path} line {number}: trial must be an integer, "
                                     f"got {record['trial']!r}")
                if record.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
                    check_version(record, f"{self.attempts_path} line {number}")
                yield number, _share_text(normalize_record(record), seen)
        if torn is not None:
            warnings.warn(f"dropped a torn last line in {self.attempts_path} (interrupted run)")

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, None if there is none; one that is unreadable is an error naming it."""
        if not self.manifest_path.exists():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{self.manifest_path} is not readable JSON ({error}); restore it, or "
                             "start a new run with another --run-name") from None
        if manifest is not None and not isinstance(manifest, dict):
            raise ValueError(f"{self.manifest_path} is not a manifest (a JSON object); restore it, "
                             "or start a new run with another --run-name")
        if manifest is not None:
            check_version(manifest, str(self.manifest_path))  # a newer kit's folder: say so
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        _write_atomically(self.manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

    def write_records(self, name: str, records: Iterable[dict[str, Any]]) -> Path:
        """Write ``records`` as JSONL to ``name`` beside the run's files, atomically (``rescore``'s
        output). ``attempts.jsonl`` is the run's history and is never rewritten."""
        path = self.path / check_run_name(name)
        if path.name == self.attempts_path.name:
            raise ValueError(f"refusing to overwrite {self.attempts_path}: it is the run's record")
        tmp = _temp_beside(path)
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                for record in records:
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path

    def write_summary(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        tmp = _temp_beside(self.summary_path)
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            if rows:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        os.replace(tmp, self.summary_path)

    def write_log(self, text: str | Iterable[str]) -> None:
        """The log; given parts (e.g. one per trial), they are written one by one, joined by a
        newline, so a large run's log is never one string in memory."""
        if isinstance(text, str):
            return _write_atomically(self.log_path, text)
        tmp = _temp_beside(self.log_path)
        with open(tmp, "w", encoding="utf-8") as f:
            for number, part in enumerate(text):
                f.write(("\n" if number else "") + part)
        os.replace(tmp, self.log_path)


class ManifestWriter:
    """``manifest.json`` rewritten often during a run (its counters stay current on disk): the
    fixed part (config, prompts, sample ids: large for a large run) is serialized once, the live
    part (counters, traffic) at each :meth:`write`. The file reads as one JSON object either way.

    >>> import tempfile
    >>> folder = RunFolder(tempfile.mkdtemp())
    >>> writer = ManifestWriter(folder, {"task": "hotpotqa", "ids": ["q1", "q2"]})
    >>> writer.write({"counters": {"llm_calls": 3}})
    >>> folder.read_manifest() == {"task": "hotpotqa", "ids": ["q1", "q2"], "counters": {"llm_calls": 3}}
    True
    """

    def __init__(self, folder: RunFolder, fixed: dict[str, Any]):
        self.folder, self.fixed = folder, fixed
        text = json.dumps(fixed, indent=2, ensure_ascii=False)
        self._head = text[:-2] if fixed else "{"     # without the closing "\n}"

    def write(self, live: dict[str, Any]) -> None:
        clash = set(live) & set(self.fixed)
        if clash:
            raise ValueError(f"live manifest keys {sorted(clash)} are already in the fixed part")
        parts = [f"  {json.dumps(key)}: " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
                 for key, value in live.items()]
        glue = ",\n" if self.fixed and parts else "\n" if parts else ""
        _write_atomically(self.folder.manifest_path, self._head + glue + ",\n".join(parts) + "\n}\n")


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


def _share_text(record: dict[str, Any], seen: dict[str, str]) -> dict[str, Any]:
    """Replace repeated strings of ``record`` by the copy already in ``seen``.

    >>> seen = {}
    >>> a = _share_text({"input": "Who?" * 3, "reflections": ["r" * 5]}, seen)
    >>> b = _share_text({"input": "Who?" * 3, "reflections": ["r" * 5, "s"]}, seen)
    >>> a["input"] is b["input"], a["reflections"][0] is b["reflections"][0]
    (True, True)
    """
    for name in ("input", "target", "sample_id", "task", "agent", "strategy", "feedback_source"):
        value = record.get(name)
        if isinstance(value, str):
            record[name] = seen.setdefault(value, value)
    shown = record.get("reflections")
    if isinstance(shown, list):
        record["reflections"] = [seen.setdefault(r, r) if isinstance(r, str) else r for r in shown]
    reflection = record.get("reflection")
    if isinstance(reflection, str) and reflection:
        record["reflection"] = seen.setdefault(reflection, reflection)
    return record


def _parse_line(raw: bytes) -> Any:
    """One JSONL line as JSON, or None if it is not UTF-8 JSON (a torn or corrupt line)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _temp_beside(path: Path) -> Path:
    """A fresh temporary file next to ``path`` (same filesystem, so ``os.replace`` is atomic);
    a unique name, so two writers never truncate each other's half-written file."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def _write_atomically(path: Path, text: str) -> None:
    tmp = _temp_beside(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
