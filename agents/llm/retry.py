"""One retry policy for every backend: a backend makes one request and says what its failure means.

A backend implements two things (see :class:`~agents.llm.base.LLM`): ``_generate`` sends one
request, no retries, and ``classify(error)`` turns what it raised into a :class:`Decision` (try
again or not, after how long, was the connection refused). :func:`call_with_retries` applies the
rest to any backend, the same way:

- retries with full-jitter exponential backoff (:meth:`RetryPolicy.backoff`); a server's
  ``Retry-After`` is obeyed up to :data:`MAX_RETRY_AFTER_S` (a longer ask is capped, and said on
  the run's progress line); 429s have their own budget (the server pacing us is not a failure);
- the shared :class:`~agents.llm.limits.Limiter`: every request waits for it, hears how it went
  (a 429 pauses every caller, 429s and timeouts shrink the calls in flight);
- connection refusals in a row (:class:`RefusalStreak`) raise
  :class:`~agents.llm.signals.ServerUnreachable`: the run stops instead of retrying sample by sample;
- a total deadline per request (``RetryPolicy(deadline_s=...)``) for a backend that has none of its own;
- fail-over: a backend that routes (a :class:`~agents.llm.pool.ServerPool`) picks the target of each
  request, hears how it went, and a failed request goes to another server at once, without backoff;
- a stopping run ends every wait with :class:`~agents.llm.signals.Cancelled`.

Imports nothing of the kit but :mod:`.signals` (the contract in :mod:`.base` builds on this).

>>> Decision.from_status(429, "slow down", after=2.0)
Decision(retry=True, status=429, reason='slow down', after=2.0, refused=False)
>>> Decision.from_status(400, "bad request").retry, Decision.from_status(503, "busy").outcome
(False, 'overloaded')
>>> policy = RetryPolicy(backoff_base=1.0, backoff_cap=4.0)
>>> 0.5 <= policy.backoff(1, None) <= 1.0, policy.backoff(1, 7.5), policy.backoff(1, 3600.0)
(True, 7.5, 120.0)
"""
from __future__ import annotations

import email.utils
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .signals import (Cancelled, LLMCallError, ServerUnreachable, check_cancelled, interruptible_sleep,
                      report_status, shutdown_requested, wait_for)

RETRYABLE_STATUS = frozenset({408, 409, 429})  # and every 5xx
MAX_RETRY_AFTER_S = 120.0                      # a server asking for longer is not waited on blindly
UNHEALTHY = frozenset({"connection", "timeout", "malformed"})   # and every 5xx: the server's health


@dataclass(frozen=True)
class Decision:
    """What a failed request means, as a backend's ``classify`` says.

    ``retry``: worth another try; ``status``: the HTTP status or a word (``timeout``,
    ``connection``, ``malformed``, ...); ``reason``: short, for the error message; ``after``: the
    seconds the server asked to wait (``Retry-After``), None for our own backoff; ``refused``: no
    server listening (counts towards :class:`~agents.llm.signals.ServerUnreachable`).
    """

    retry: bool
    status: int | str
    reason: str = ""
    after: float | None = None
    refused: bool = False

    @classmethod
    def from_status(cls, status: int, reason: str = "", after: float | None = None) -> "Decision":
        """An HTTP status: 408, 409, 429 and 5xx are retried (``after`` kept only for those)."""
        retry = status in RETRYABLE_STATUS or status >= 500
        return cls(retry, status, reason, after if retry else None)

    @property
    def outcome(self) -> str:
        """What the failure tells the shared limiter: paced (429), slow (timeout), overloaded (503)."""
        return {429: "rate_limited", "timeout": "timeout", 503: "overloaded"}.get(self.status, "error")

    @property
    def unhealthy(self) -> bool:
        """A failure of the server itself (a pool's breaker counts it), not of the request."""
        return self.status in UNHEALTHY or (isinstance(self.status, int) and self.status >= 500)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``max_retries`` after the first try (429s apart: ``max_rate_limited``),
    backoff between ``backoff_base`` and ``backoff_cap`` seconds, a server's ``Retry-After`` obeyed
    up to ``max_retry_after``; ``max_refusals`` refused connections in a row over at least
    ``refused_for_s`` seconds mean the server is down; ``deadline_s``: a total time per request
    (None: the backend keeps its own); ``sleep``: how backoff waits (a stopping run wakes it)."""

    max_retries: int = 6
    max_rate_limited: int = 30
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = MAX_RETRY_AFTER_S
    max_refusals: int = 6
    refused_for_s: float = 5.0
    deadline_s: float | None = None
    sleep: Callable[[float], None] = interruptible_sleep

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if self.deadline_s is not None and not self.deadline_s > 0:
            raise ValueError(f"deadline_s must be a positive number of seconds, got {self.deadline_s!r}")

    def backoff(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number ``retry`` (1-based): the server's ask (capped), else
        full-jitter exponential backoff between half and all of ``min(cap, base * 2 ** (retry - 1))``."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (retry - 1))
        return ceiling * random.uniform(0.5, 1.0)


class RefusalStreak:
    """Connection refusals in a row (any success ends the streak), shared by a model's copies.

    >>> streak = RefusalStreak(limit=2, span_s=0.0)
    >>> streak.refused()[0], streak.refused()[0]
    (False, True)
    """

    def __init__(self, limit: int, span_s: float):
        self.limit, self.span_s = max(1, int(limit)), float(span_s)
        self.count, self.since = 0, 0.0
        self._lock = threading.Lock()

    def refused(self) -> tuple[bool, int, float]:
        """Count one; ``(dead, count, seconds since the streak began)``."""
        with self._lock:
            now = time.monotonic()
            if self.count == 0:
                self.since = now
            self.count += 1
            span = now - self.since
            return self.count >= self.limit and span >= self.span_s, self.count, span

    def reset(self) -> None:
        if self.count:
            with self._lock:
                self.count = 0


# -- classifying what a backend raised ----------------------------------------------------------------
def retry_after_of(headers: Any) -> float | None:
    """Seconds a 429/503 asks us to wait: ``retry-after-ms`` (OpenAI), else ``Retry-After``
    (seconds or an HTTP date); None when absent or unreadable.

    >>> retry_after_of({"retry-after": "0"}), retry_after_of({"retry-after-ms": "250"}), retry_after_of({})
    (0.0, 0.25, None)
    """
    if not headers:
        return None
    try:
        return max(0.0, float(headers.get("retry-after-ms")) / 1000)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def short(text: Any, limit: int = 160) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _headers_of(error: BaseException) -> Any:
    response = getattr(error, "response", None)
    return getattr(response, "headers", None)


def classify_status(error: BaseException) -> Decision | None:
    """The contract's default ``classify``: an :class:`~agents.llm.signals.LLMCallError` by its
    status, and any error carrying an HTTP ``status_code`` (the ``openai``, ``anthropic``, ``httpx``
    clients' errors) by that status; None for anything else (re-raised as it is: a bug, or a
    failure the backend did not call a model failure).

    >>> classify_status(LLMCallError("slow down", status=429, retry_after=1.5))
    Decision(retry=True, status=429, reason='slow down', after=1.5, refused=False)
    >>> classify_status(LLMCallError("went away", status="connection")).retry
    True
    >>> classify_status(ConnectionError("reset")) is None
    True
    """
    if isinstance(error, LLMCallError):
        status = error.status
        if isinstance(status, int) and not isinstance(status, bool):
            return Decision.from_status(status, short(error), error.retry_after)
        retry = status in UNHEALTHY
        refused = retry and isinstance(error.__cause__, ConnectionRefusedError)
        return Decision(retry, status if status is not None else "error", short(error),
                        error.retry_after if retry else None, refused)
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return Decision.from_status(status, short(getattr(error, "message", None) or error),
                                    retry_after_of(_headers_of(error)))
    return None


_TIMEOUT_NAMES = ("APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout", "Timeout")
_CONNECTION_NAMES = ("APIConnectionError", "ConnectError", "RemoteProtocolError", "NetworkError")


def classify_transport(error: BaseException) -> Decision | None:
    """:func:`classify_status`, and also the transport failures of an API client, known by their
    class names (no client is imported): timeouts and lost connections are retried, a refused
    connection counts towards the dead-server stop. What a LangChain model raises is classified so.

    >>> classify_transport(TimeoutError("read timed out")).status
    'timeout'
    >>> classify_transport(ConnectionRefusedError(111, "Connection refused")).refused
    True
    >>> classify_transport(ValueError("a bug")) is None
    True
    """
    decided = classify_status(error)
    if decided is not None:
        return decided
    names = {cls.__name__ for cls in type(error).__mro__}
    text = f"{error} {error.__cause__ or ''} {getattr(error.__cause__, '__cause__', '') or ''}".lower()
    if isinstance(error, TimeoutError) or names & set(_TIMEOUT_NAMES):
        return Decision(True, "timeout", short(error, 120) or "timed out")
    if isinstance(error, ConnectionError) or names & set(_CONNECTION_NAMES):
        refused = isinstance(error, ConnectionRefusedError) or "refused" in text
        return Decision(True, "connection", "connection refused" if refused else short(error, 120), refused=refused)
    return None


# -- the one loop ---------------------------------------------------------------------------------------
class DeadlineExceeded(TimeoutError):
    """A request that ran past the policy's ``deadline_s`` (its thread is left to finish alone)."""


def _within(deadline_s: float | None, send: Callable[[Any], Any], target: Any) -> Any:
    """``send(target)``, given up after ``deadline_s`` seconds: the call runs in a daemon thread
    (a blocking library call cannot be interrupted otherwise) and a stopping run ends the wait."""
    if deadline_s is None:
        return send(target)
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["reply"] = send(target)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = error
        finally:
            done.set()

    threading.Thread(target=work, name="reinagent-call", daemon=True).start()
    if not wait_for(done, deadline_s):
        raise DeadlineExceeded(f"no complete reply within {deadline_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["reply"]


def call_with_retries(owner: Any, send: Callable[[Any], Any], *, cost: int = 0, limiter: Any = None) -> Any:
    """``send(target)`` until it succeeds or ``owner``'s policy gives up.

    ``owner`` is the backend (:class:`~agents.llm.base.LLM`): its ``retry_policy`` and ``refusals``
    apply, its ``_route()`` picks the target of each request (itself, or a pool's member), and
    ``_settle(target, status)`` hears how the request went (``"ok"``, the failure's status, or None
    for an error that is no model failure). The target's ``classify`` decides, and its ``give_up``
    makes the error the caller sees. Every request goes through ``limiter`` (if any), reserving
    ``cost`` tokens. A 429 (with or without a limiter) is waited out as the server asks; with a
    limiter that wait is the shared pause, so the caller does not sleep on its own too.
    """
    policy = owner.retry_policy
    tries = paced = 0
    while True:
        check_cancelled()
        target = owner._route()
        try:
            ticket = limiter.acquire(cost) if limiter is not None else None
        except BaseException:
            owner._settle(target, None)
            raise
        try:
            reply = _within(policy.deadline_s, send, target)
        except Exception as error:  # noqa: BLE001 - classified below; what is no model failure re-raises
            if shutdown_requested():
                _release(limiter, ticket, "error")
                owner._settle(target, None)
                raise Cancelled("the run is stopping") from None
            try:
                decision = (Decision(True, "timeout", str(error)) if isinstance(error, DeadlineExceeded)
                            else target.classify(error))
            except BaseException:
                decision = None
            if decision is None:
                _release(limiter, ticket, "error")
                owner._settle(target, None)
                raise
            asked = decision.after
            wait = min(asked, policy.max_retry_after) if asked is not None else None
            outcome = decision.outcome
            if outcome == "rate_limited" and wait is None and ticket is not None:
                wait = policy.backoff(paced + 1, None)  # a bare 429 still pauses everyone
            _release(limiter, ticket, outcome, wait)
            owner._settle(target, decision.status)
            if decision.refused:
                _count_refusal(owner, target)
            if decision.status == 429:
                paced += 1
            else:
                tries += 1
            if not decision.retry or tries > policy.max_retries or paced > policy.max_rate_limited:
                raise target.give_up(error, decision, tries + paced) from None
            if asked is not None and asked >= 5:
                capped = f", capped at {policy.max_retry_after:g} s" if asked > policy.max_retry_after else ""
                report_status(f"waiting {wait:.0f} s: {target.where} answered {decision.status} "
                              f"with Retry-After {asked:.0f} s{capped}")
            shared = ticket is not None and wait is not None and outcome in ("rate_limited", "overloaded")
            if not shared and not owner._can_fail_over(target):
                policy.sleep(policy.backoff(max(tries, paced), wait))
            continue
        except BaseException:   # Cancelled, KeyboardInterrupt: the slot goes back first
            _release(limiter, ticket, "error")
            owner._settle(target, None)
            raise
        owner.refusals.reset()
        _release(limiter, ticket, "ok", used=reply.input_tokens + reply.output_tokens)
        owner._settle(target, "ok")
        return reply


def _release(limiter: Any, ticket: Any, outcome: str, retry_after: float | None = None,
             used: int | None = None) -> None:
    if ticket is not None:
        limiter.release(ticket, outcome, retry_after=retry_after, used_tokens=used)


def _count_refusal(owner: Any, target: Any) -> None:
    """One more refused connection in a row; too many, over long enough: the server is down."""
    dead, count, span = owner.refusals.refused()
    if dead:
        where = target.where if target is owner else f"every server of {owner.label}"
        raise ServerUnreachable(
            f"{where} refused {count} connections in a row over {span:.0f} s: the server is down; "
            "start it (or fix --base-url), then run the same command to resume",
            backend=owner.backend)
