"""A persistent response cache: never pay twice for the same call.

Keyed by the backend's :meth:`~agents.llm.LLM.identity` (backend, model, decoding settings), the full
prompt, the stop sequences and the token limit; stored in SQLite under
``$XDG_CACHE_HOME/reinagent`` (default ``~/.cache/reinagent``). Only the reply text and its token
counts are stored: never a key, never a header.

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
from pathlib import Path
from typing import Any

from .base import LLM, Completion


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/reinagent/responses.sqlite``, or under ``~/.cache``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "reinagent" / "responses.sqlite"


class ResponseCache:
    """A thread-safe SQLite table ``key -> (text, input_tokens, output_tokens)``."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # One connection shared under a lock: SQLite serialises writers anyway, and this keeps
        # the cost of a hit to one indexed read (well under a millisecond).
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, text TEXT, "
                         "input_tokens INTEGER, output_tokens INTEGER)")

    @staticmethod
    def key(identity: dict[str, Any], prompt: str, stop: list[str], max_tokens: int) -> str:
        blob = json.dumps([identity, prompt, stop, max_tokens], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute("SELECT text, input_tokens, output_tokens FROM responses "
                                   "WHERE key = ?", (key,)).fetchone()
        return Completion(row[0], row[1], row[2], from_cache=True) if row else None

    def put(self, key: str, reply: Completion) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                             (key, reply.text, reply.input_tokens, reply.output_tokens))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedLLM(LLM):
    """Put a :class:`ResponseCache` in front of any backend; counts real calls and hits.

    With ``cache=None`` nothing is stored or served, but the counters still run (``cache=False``).

    ``calls``/``hits`` and the ``paid_*_tokens`` counters are what a run's manifest reports:
    tokens served from the cache are not paid for.
    """

    def __init__(self, llm: LLM, cache: ResponseCache | None):
        self.llm, self.cache = llm, cache
        self.name, self.backend = llm.name, llm.backend
        self.context_window, self.max_tokens = llm.context_window, llm.max_tokens
        self.temperature = llm.temperature
        self._lock = threading.Lock()
        self.calls = self.hits = self.paid_input_tokens = self.paid_output_tokens = 0

    def __getattr__(self, name: str) -> Any:  # everything else (max_concurrency, ...) as the model
        return getattr(self.__dict__["llm"], name)

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        key = hit = None
        if self.cache is not None:
            key = ResponseCache.key(self.llm.identity(), prompt, stop, max_tokens)
            hit = self.cache.get(key)
        if hit is not None:
            with self._lock:
                self.hits += 1
            return hit
        reply = self.llm.complete(prompt, stop=stop, max_tokens=max_tokens)
        if self.cache is not None:
            self.cache.put(key, reply)
        with self._lock:
            self.calls += 1
            self.paid_input_tokens += reply.input_tokens
            self.paid_output_tokens += reply.output_tokens
        return reply

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def identity(self) -> dict[str, Any]:
        return self.llm.identity()
