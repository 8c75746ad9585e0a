"""Several servers of one model as one backend: calls spread, a dead server skipped, then tried again.

``make_llm("openai-compatible:qwen2.5-7b", base_url=["http://gpu1:8000/v1", "http://gpu2:8000/v1"])``
(``--base-url`` given twice, or a comma list) builds a :class:`ServerPool`; so does any registered
backend that takes a ``base_url`` (``langchain:openai:<model>``), and ``ServerPool(members)`` pools
any backends built alike. The kit stays one light process; the model side scales on the servers
(vLLM, llama.cpp, ...) you start.

- **Spreading**: each request goes to the server with the fewest requests in flight (ties in turn).
- **Circuit breaker**: a server that refuses a connection, or fails three requests in a row
  (timeouts, 5xx, unreadable replies), is skipped for a cool-down (``cooldown_s``, doubling while
  it stays dead, at most ``max_cooldown_s``); then one request probes it, and a good reply puts it
  back. A request that failed on one server is retried at once on another. 429s and 4xx are the
  caller's business, not the server's health.
- **One policy**: the pool is a router for :func:`agents.llm.retry.call_with_retries` (``_route``
  picks the member, ``_settle`` hears how its request went, ``_can_fail_over`` skips the backoff);
  each member's own ``classify`` reads its failures. Nothing of a member is copied.
- **One model**: every server must serve the same model name, checked at the run's start
  (``check_reachable``: each member's own check). The pool's :meth:`~ServerPool.identity` (the
  response cache's key and the run's ``model``) names the model, its settings and the set of
  servers (in any order): a reply is cached the same whichever server of the pool gave it, but
  another cluster serving a model of the same name is another model (its own cache entries, and
  a resume on it is refused).
- The shared :class:`~agents.llm.limits.Limiter` (rpm, tpm, the 429 pause, adaptive concurrency)
  covers the pool as a whole; :meth:`~ServerPool.server_stats` goes into the run's manifest.

>>> from agents.llm import make_llm
>>> pool = make_llm("openai-compatible:m", base_url=["http://127.0.0.1:9002/v1", "http://127.0.0.1:9001/v1"])
>>> pool.identity()["base_url"], [s["base_url"] for s in pool.server_stats()]
(['http://127.0.0.1:9001/v1', 'http://127.0.0.1:9002/v1'], ['http://127.0.0.1:9002/v1', 'http://127.0.0.1:9001/v1'])
>>> [pool._route().base_url[-7:] for _ in range(2)]     # nothing in flight yet: in turn
['9002/v1', '9001/v1']
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .base import LLM, Completion, LLMCallError, check_cancelled
from .retry import UNHEALTHY, RefusalStreak, RetryPolicy

TRIP_AFTER = 3                         # failures in a row (other than refused connections) that trip


def split_urls(base_url: Any) -> list[str]:
    """``--base-url`` values: a list, or one string with commas; blanks dropped, order kept.

    >>> split_urls("http://a:1/v1, http://b:2/v1"), split_urls(["http://a:1/v1"])
    (['http://a:1/v1', 'http://b:2/v1'], ['http://a:1/v1'])
    """
    items = [base_url] if isinstance(base_url, str) else list(base_url or [])
    return [url.strip() for item in items for url in str(item).split(",") if url.strip()]


@dataclass
class _Server:
    """One server's state: the breaker and the counts the manifest shows."""

    llm: LLM
    in_flight: int = 0
    requests: int = 0
    ok: int = 0
    failed: int = 0
    trips: int = 0
    streak: int = 0                    # failures in a row
    down_until: float = 0.0            # skipped until then (the cool-down)
    cooldown: float = 0.0              # the current cool-down (doubles while the server stays dead)
    probing: bool = False              # the one request let through after a cool-down


BUILT_ALIKE = ("backend", "label", "endpoint", "temperature", "max_tokens")


class ServerPool(LLM):
    """``ServerPool(members, cooldown_s=1.0, max_cooldown_s=30.0, limiter=None)``: backends of one
    model on several servers (built alike, each with its own ``where``), used as one."""

    def __init__(self, members: Iterable[LLM], cooldown_s: float = 1.0, max_cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic, limiter: Any = None):
        members = list(members)
        if len(members) < 2:
            raise ValueError("a pool needs at least two servers; pass one base_url for one server")
        first = members[0]
        for other in members[1:]:
            for attr in BUILT_ALIKE:
                if getattr(other, attr) != getattr(first, attr):
                    raise ValueError(f"every server of a pool must be built alike: {attr} is "
                                     f"{getattr(first, attr)!r} for one and {getattr(other, attr)!r} for another")
        urls = [m.where for m in members]
        if len(set(urls)) != len(urls):
            raise ValueError(f"a server is listed twice in {urls}: give each --base-url once")
        self.backend, self.endpoint = first.backend, first.endpoint
        self.temperature, self.max_tokens = first.temperature, first.max_tokens
        self.context_window, self.cacheable = first.context_window, first.cacheable
        self.limiter = limiter
        policy = first.retry_policy
        self._refusals = RefusalStreak(policy.max_refusals, policy.refused_for_s)  # the pool's own
        self._servers = [_Server(m) for m in members]
        self.cooldown_s, self.max_cooldown_s = float(cooldown_s), float(max_cooldown_s)
        self._clock = clock
        self._pool_lock = threading.Lock()
        self._changed = threading.Condition(self._pool_lock)   # a probe resolved, a server came back
        self._turn = 0

    @property
    def members(self) -> list[LLM]:
        return [s.llm for s in self._servers]

    @property
    def retry_policy(self) -> RetryPolicy:   # type: ignore[override]
        return self._servers[0].llm.retry_policy

    # -- naming: the model, never a server ----------------------------------------------------------
    @property
    def name(self) -> str:
        return self._servers[0].llm.name

    @property
    def label(self) -> str:
        return f"{self._servers[0].llm.label} (pool of {len(self._servers)})"

    def identity(self) -> dict[str, Any]:
        """Like one server's, with ``base_url`` the sorted list of the servers: the same whichever
        server answers, another for another cluster."""
        return {**self._servers[0].llm.identity(), "base_url": sorted(m.where for m in self.members)}

    def count_tokens(self, text: str) -> int:
        return self._servers[0].llm.count_tokens(text)

    def __repr__(self) -> str:
        model = self._servers[0].llm.label.partition(":")[2]
        return (f"ServerPool(model={None if model in ('', '?') else model!r}, "
                f"base_urls={[m.where for m in self.members]!r}, endpoint={self.endpoint!r})")

    # -- the start-of-run check ---------------------------------------------------------------------
    def check_reachable(self) -> None:
        """Every server must answer and serve the model (the same name on all when none was given)."""
        names = {}
        for number, member in enumerate(self.members, 1):
            where = f"server {number} of {len(self._servers)}"
            try:
                member.check_reachable()
            except LLMCallError as error:
                raise LLMCallError(f"{where}: {error}; start it, or leave it out of --base-url",
                                   backend=self.backend, status=error.status) from None
            names[member.where] = member.name
        if len(set(names.values())) > 1:
            shown = ", ".join(f"{url} serves {name!r}" for url, name in names.items())
            raise LLMCallError(f"the servers of a pool must serve one model: {shown}; name it with "
                               f"--llm {self.backend}:<model>", backend=self.backend, status="unknown-model")

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        raise TypeError("a pool sends nothing itself: complete() routes each request to a member")

    # -- routing and the breaker ----------------------------------------------------------------
    def _route(self) -> LLM:
        """The healthy server with the fewest requests in flight; a cooled-down one gets one probe;
        if every server is down, wait (on a condition, not polling) for the first cool-down to end."""
        with self._changed:
            while True:
                now = self._clock()
                n = len(self._servers)
                order = [self._servers[(self._turn + k) % n] for k in range(n)]
                up = [s for s in order if s.down_until <= now and not s.probing]
                if up:
                    chosen = min(up, key=lambda s: s.in_flight)   # first in turn wins a tie
                    chosen.probing = chosen.streak > 0 and chosen.cooldown > 0  # back from a cool-down
                    self._turn = (self._servers.index(chosen) + 1) % n
                    chosen.in_flight += 1
                    chosen.requests += 1
                    return chosen.llm
                later = [s.down_until - now for s in order if not s.probing and s.down_until > now]
                # until a cool-down ends or a probe resolves; in slices, so a stopping run does not wait
                self._changed.wait(timeout=min([0.5, *later]))
                check_cancelled()

    def _server_of(self, llm: LLM) -> _Server:
        return next(s for s in self._servers if s.llm is llm)

    def _settle(self, target: LLM, status: int | str | None) -> None:
        unhealthy = status in UNHEALTHY or (isinstance(status, int) and status >= 500)
        with self._changed:
            state = self._server_of(target)
            state.in_flight -= 1
            if state.probing:
                self._changed.notify_all()   # whoever waits on a dead pool looks again
            state.probing = False
            if status == "ok":
                state.ok += 1
                state.streak, state.cooldown = 0, 0.0
                return
            if not unhealthy:
                return
            state.failed += 1
            state.streak += 1
            if status == "connection" or state.streak >= TRIP_AFTER or state.cooldown:
                now = self._clock()
                if state.down_until <= now:   # requests already in flight fail too: trip once
                    state.cooldown = min(self.max_cooldown_s, state.cooldown * 2 or self.cooldown_s)
                    state.down_until = now + state.cooldown
                    state.trips += 1

    def _can_fail_over(self, target: LLM) -> bool:
        with self._pool_lock:
            now = self._clock()
            return any(s.llm is not target and s.down_until <= now for s in self._servers)

    def server_stats(self) -> list[dict[str, Any]]:
        """Per server: requests sent, good replies, failures, times the breaker opened, down now."""
        with self._pool_lock:
            now = self._clock()
            return [{"base_url": s.llm.where, "requests": s.requests, "ok": s.ok,
                     "failed": s.failed, "trips": s.trips, "down": s.down_until > now}
                    for s in self._servers]
