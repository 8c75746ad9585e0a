"""A persistent response cache: never pay twice for the same call.

Keyed by everything that determines the reply: the backend's :meth:`~agents.llm.LLM.identity`
(backend, model, the model file's digest or the servers, every sampling parameter), the full prompt,
the stop sequences, the token limit and, at temperature > 0, the *draw* (which sample of the
distribution: ``<sample id>/<trial>/<call index>``), so that a retry re-samples while a re-run of the
same run is served from the cache. Stored in SQLite under ``$XDG_CACHE_HOME/reinagent`` (default
``~/.cache/reinagent``). Only the reply text and its token counts are stored: never a key, never a
header. A model that cannot be told apart from another (an unnamed function) is not cached.

A cache that cannot be written (a full disk, a read-only folder) warns once and the run goes on
uncached; a cache that cannot be read (corrupt pages) stops the run with an error that names the
file and the fix, instead of failing every attempt.

>>> import tempfile, os
>>> from agents.llm import CallableLLM
>>> calls = []
>>> model = CachedLLM(CallableLLM(lambda p: calls.append(p) or "Finish[4]", name="adder"),
...                   ResponseCache(os.path.join(tempfile.mkdtemp(), "cache.sqlite")))
>>> [model.complete("2+2?").from_cache for _ in range(2)], len(calls)
([False, True], 1)
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Any

from .base import LLM, Completion, StopRun, Wrapper


class CacheUnreadable(StopRun):
    """The response cache's file is corrupt or unreadable: the message names it and the fix."""


class CacheWarning(UserWarning):
    """The response cache cannot be written: the run goes on without storing replies."""


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/reinagent/responses.sqlite``, or under ``~/.cache``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "reinagent" / "responses.sqlite"


def _corrupt(error: BaseException) -> bool:
    """Whether an SQLite error means the file itself is bad (not a full disk or a locked file)."""
    text = str(error).lower()
    return not isinstance(error, sqlite3.OperationalError) or any(
        word in text for word in ("malformed", "not a database", "disk i/o error", "corrupt"))


class ResponseCache:
    """A thread-safe SQLite table ``key -> (text, input_tokens, output_tokens)``.

    ``writable`` turns False (with one :class:`CacheWarning`) when a write fails for lack of
    space or permission; reads go on. A corrupt file raises :class:`CacheUnreadable`.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else default_cache_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.writable = True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One connection shared under a lock: SQLite serialises writers anyway, and this keeps
            # the cost of a hit to one indexed read (well under a millisecond).
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, text TEXT, "
                             "input_tokens INTEGER, output_tokens INTEGER)")
        except sqlite3.DatabaseError as error:
            if _corrupt(error):
                raise CacheUnreadable(self._unreadable(error)) from None
            self._give_up_writing(error)
            self._db = self._read_only()
        except OSError as error:          # the folder cannot be made: no cache at all
            self._give_up_writing(error)

    def _read_only(self) -> sqlite3.Connection | None:
        """A read-only connection to an existing cache file (a full disk can still serve hits)."""
        if not self.path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                 check_same_thread=False, isolation_level=None)
            db.execute("SELECT 1 FROM responses LIMIT 1")
            return db
        except sqlite3.DatabaseError:
            return None

    def _unreadable(self, error: BaseException) -> str:
        files = " ".join(str(self.path) + suffix for suffix in ("", "-wal", "-shm"))
        return (f"the response cache {self.path} is unreadable ({error}): delete it (rm {files}; "
                "cached replies are then asked again) or run without it (--no-cache, cache=False); "
                "then run the same command to resume")

    def _give_up_writing(self, error: BaseException) -> None:
        if self.writable:
            self.writable = False
            warnings.warn(f"cannot write the response cache {self.path} ({error}): the run goes on "
                          "without storing replies (free space or fix the folder's permissions, or "
                          "pass --no-cache to silence this)", CacheWarning, stacklevel=3)

    @staticmethod
    def key(identity: dict[str, Any], prompt: str, stop: list[str], max_tokens: int,
            draw: str | None = None) -> str:
        """The SHA-256 of everything that determines the reply; ``draw`` only where it matters
        (temperature > 0), so keys of greedy calls are what they always were."""
        parts: list[Any] = [identity, prompt, stop, max_tokens]
        if draw is not None:
            parts.append({"draw": draw})
        blob = json.dumps(parts, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> Completion | None:
        if self._db is None:
            return None
        try:
            with self._lock:
                row = self._db.execute("SELECT text, input_tokens, output_tokens FROM responses "
                                       "WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as error:
            if _corrupt(error):
                raise CacheUnreadable(self._unreadable(error)) from None
            self._give_up_writing(error)
            return None
        return Completion(row[0], row[1], row[2], from_cache=True) if row else None

    def put(self, key: str, reply: Completion) -> None:
        if self._db is None or not self.writable:
            return
        try:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                                 (key, reply.text, reply.input_tokens, reply.output_tokens))
        except sqlite3.DatabaseError as error:
            if _corrupt(error):
                raise CacheUnreadable(self._unreadable(error)) from None
            self._give_up_writing(error)

    def __len__(self) -> int:
        if self._db is None:
            return 0
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                try:
                    self._db.close()
                except sqlite3.Error:
                    pass
                self._db = None


class CachedLLM(Wrapper):
    """Put a :class:`ResponseCache` in front of any backend; counts real calls and hits.

    With ``cache=None`` nothing is stored or served, but the counters still run (``cache=False``);
    a model that is not ``cacheable`` (an unnamed function) is always called.

    ``calls``/``hits`` and the ``paid_*_tokens`` counters are what a run's manifest reports:
    tokens served from the cache are not paid for. :meth:`thread_totals` gives the same counts for
    the calling thread alone (the runner's share of one attempt); ``empty`` counts empty replies.
    """

    def __init__(self, llm: LLM, cache: ResponseCache | None):
        super().__init__(llm)     # what the model declares stays its own (endpoint, label, ...)
        self.cache = cache
        self._lock = threading.Lock()
        self._local = threading.local()
        self.calls = self.hits = self.paid_input_tokens = self.paid_output_tokens = 0
        self.empty = 0

    def _uses_cache(self) -> bool:
        return self.cache is not None and self.llm.cacheable

    def _generate(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None = None) -> Completion:
        key = hit = None
        if self._uses_cache():
            sampled = draw if self.llm.temperature > 0 else None
            key = ResponseCache.key(self.llm.identity(), prompt, stop, max_tokens, sampled)
            hit = self.cache.get(key)
        if hit is not None:
            with self._lock:
                self.hits += 1
                self.empty += not hit.text.strip()
            self._tally(0, 0, 0, 1)
            return hit
        reply = self.llm.complete(prompt, stop=stop, max_tokens=max_tokens, draw=draw)
        if key is not None:
            self.cache.put(key, reply)
        with self._lock:
            self.calls += 1
            self.paid_input_tokens += reply.input_tokens
            self.paid_output_tokens += reply.output_tokens
            self.empty += not reply.text.strip()
        self._tally(1, reply.input_tokens, reply.output_tokens, 0)
        return reply

    def _tally(self, calls: int, input_tokens: int, output_tokens: int, hits: int) -> None:
        mine = self._local.__dict__.setdefault("totals", [0, 0, 0, 0])
        mine[0] += calls
        mine[1] += input_tokens
        mine[2] += output_tokens
        mine[3] += hits

    def thread_totals(self) -> tuple[int, int, int, int]:
        """``(calls, paid input tokens, paid output tokens, hits)`` made from the calling thread."""
        return tuple(self._local.__dict__.get("totals", (0, 0, 0, 0)))

