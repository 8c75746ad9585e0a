"""Keeping a run under a provider's limits: token buckets, a shared pause, adaptive concurrency.

One :class:`Limiter` is shared by every model call of a run (acting, reflecting, judging; every
server of a pool). Each HTTP request goes through it twice:

- :meth:`Limiter.acquire` before sending: a slot among the calls in flight (:class:`AIMD`), then
  the end of any shared pause, then one request from the requests-per-minute bucket and the
  estimated tokens (prompt + ``max_tokens``) from the tokens-per-minute bucket;
- :meth:`Limiter.release` after: a 429 (or a 503 with ``Retry-After``) pauses *every* caller for
  as long as the server asked, not just the one that was told; a 429 or a timeout halves the
  calls allowed in flight, a healthy reply grows them back by about one per round trip; the
  tokens reserved but not used (the reply's ``usage``) go back to the bucket.

Buckets hand out *reservations*: a caller takes its request now and sleeps until the bucket has
refilled to cover it, so a thousand waiting workers leave at evenly spaced times rather than in
bursts, and nobody polls. A bucket holds at most ``burst_s`` seconds' worth (default 0.1 s, at
least one request): a provider enforcing "3,000 a minute" usually means "50 a second", and a
client pacing itself evenly leaves the provider's own burst allowance free to absorb jitter.

>>> clock = FakeClock()
>>> limiter = Limiter(rpm=120, clock=clock, sleep=clock.sleep)      # 2 requests a second
>>> for _ in range(3):
...     limiter.release(limiter.acquire(), "ok")
>>> clock.now, limiter.stats()["waits"], limiter.stats()["waited_s"]   # paced 0.5 s apart
(1.0, 2, 1.0)
>>> ticket = limiter.acquire()
>>> limiter.release(ticket, "rate_limited", retry_after=3.0)        # a 429: everybody waits 3 s
>>> _ = limiter.acquire(); clock.now
4.5
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .base import LimitedLLM, as_llm  # noqa: F401 - LimitedLLM: what with_limiter gives, named here too
from .signals import check_cancelled, interruptible_sleep, report_status

OVERLOAD = frozenset({"rate_limited", "timeout", "overloaded"})  # outcomes that halve the window
MAX_PAUSE_S = 120.0   # a server asking for an hour's pause (Retry-After: 3600) is not obeyed blindly


class FakeClock:
    """A clock for tests and doctests: ``sleep`` advances it instead of waiting.

    >>> clock = FakeClock(); clock.sleep(1.5); clock()
    1.5
    """

    def __init__(self, start: float = 0.0):
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(0.0, seconds)


class TokenBucket:
    """``rate`` units a second, holding at most ``capacity``; :meth:`reserve` may go into debt.

    >>> bucket = TokenBucket(rate=10, capacity=2, now=0.0)
    >>> [bucket.reserve(1, now=0.0) for _ in range(4)]   # 2 in the bucket, then 0.1 s apart
    [0.0, 0.0, 0.1, 0.2]
    >>> bucket.reserve(1, now=1.0)                        # refilled (to the capacity) meanwhile
    0.0
    """

    def __init__(self, rate: float, capacity: float, now: float):
        if rate <= 0:
            raise ValueError(f"a bucket's rate must be > 0, got {rate!r}")
        self.rate = float(rate)
        self.capacity = max(float(capacity), 1e-9)
        self.level = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now

    def reserve(self, amount: float, now: float) -> float:
        """Take ``amount`` now; return the seconds to wait until the bucket covers it."""
        self._refill(now)
        self.level -= amount
        debt = max(0.0, -self.level) / self.rate
        return round(max(0.0, self.stamp - now) + debt, 9)

    def refund(self, amount: float) -> None:
        """Give back what a call reserved but did not use (negative: take what it used beyond)."""
        self.level = min(self.capacity, self.level + amount)

    def restart(self, at: float) -> None:
        """Refill from ``at`` (the end of a pause) holding one unit: no burst right after a pause
        (the server's ``Retry-After`` promised room for one), and reservations taken before it
        are void (their holders take new ones)."""
        self.level, self.stamp = min(self.capacity, 1.0), at


class AIMD:
    """How many calls may be in flight: additive increase, multiplicative decrease.

    Starts at ``maximum`` (the run's concurrency); an overload signal (429, timeout) multiplies
    the window by ``decrease`` (not below ``minimum``), at most once per round trip: calls that
    were already in flight when the window shrank do not shrink it again. Each healthy reply adds
    ``increase / window``, i.e. about ``increase`` per round trip of a full window.

    >>> aimd = AIMD(maximum=8)
    >>> tickets = [aimd.acquire() for _ in range(8)]
    >>> for t in tickets: aimd.release(t, overloaded=True)   # one burst of 429s: one halving
    >>> aimd.limit, aimd.decreases
    (4.0, 1)
    >>> for _ in range(4): aimd.release(aimd.acquire(), overloaded=False)
    >>> round(aimd.limit, 2)                                   # about +1 after a window of 4
    4.92
    """

    def __init__(self, maximum: int | None = None, minimum: int = 1, decrease: float = 0.5,
                 increase: float = 1.0):
        if maximum is not None and maximum < 1:
            raise ValueError(f"maximum must be >= 1, got {maximum!r}")
        if not 0 < decrease < 1:
            raise ValueError(f"decrease must be in (0, 1), got {decrease!r}")
        self.maximum = maximum
        self.minimum = max(1, int(minimum))
        self.decrease, self.increase = float(decrease), float(increase)
        self.limit = float(maximum) if maximum else math.inf
        self.in_flight = self.max_in_flight = 0
        self.decreases = 0
        self.low = self.high = self.limit
        self._epoch = 0
        self._cond = threading.Condition()

    def set_maximum(self, maximum: int) -> None:
        """The ceiling (the run's concurrency); the window starts there, or is cut down to it."""
        with self._cond:
            self.maximum = max(1, int(maximum))
            self.limit = min(self.limit, float(self.maximum))
            self.low, self.high = min(self.low, self.limit), min(self.high, self.limit)
            self._cond.notify_all()

    def _full(self) -> bool:
        return not math.isinf(self.limit) and self.in_flight >= max(self.minimum, int(self.limit))

    def acquire(self) -> int:
        """Wait for room in the window; returns the epoch to hand back to :meth:`release`."""
        with self._cond:
            while self._full():
                self._cond.wait(timeout=0.5)   # in slices: a run that is stopping does not wait here
                check_cancelled()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self._epoch

    def release(self, epoch: int, overloaded: bool) -> None:
        with self._cond:
            self.in_flight -= 1
            if overloaded:
                if epoch == self._epoch:  # sent after the last cut: this is news
                    self.limit = max(float(self.minimum), self.limit * self.decrease)
                    self._epoch += 1
                    self.decreases += 1
                    self.low = min(self.low, self.limit)
            elif self.limit < (self.maximum or math.inf):
                self.limit = min(float(self.maximum or math.inf), self.limit + self.increase / self.limit)
                self.high = max(self.high, self.limit)
            self._cond.notify_all()


@dataclass
class Ticket:
    """What :meth:`Limiter.acquire` hands out and :meth:`Limiter.release` takes back."""

    epoch: int
    tokens: int
    waited_s: float


class Limiter:
    """``Limiter(rpm=None, tpm=None, max_in_flight=None, burst_s=0.1)``: the run's shared limits.

    ``rpm`` / ``tpm``: requests / tokens per minute (None: no limit); ``max_in_flight``: the
    ceiling of the adaptive window (the runner sets it to the run's concurrency).
    :meth:`stats` is what the run's manifest reports.
    """

    def __init__(self, rpm: float | None = None, tpm: float | None = None,
                 max_in_flight: int | None = None, burst_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = interruptible_sleep):
        for name, value in (("rpm", rpm), ("tpm", tpm)):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0 (or None for no limit), got {value!r}")
        self.rpm, self.tpm, self.burst_s = rpm, tpm, float(burst_s)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        now = clock()
        self._requests = self._bucket(rpm, now, floor=1.0)
        self._tokens = self._bucket(tpm, now, floor=1.0)
        self.window = AIMD(max_in_flight)
        self._paused_until = now
        self._generation = 0
        self.counts = {"requests": 0, "ok": 0, "rate_limited": 0, "timeouts": 0, "errors": 0,
                       "waits": 0, "waited_s": 0.0, "pauses": 0, "paused_s": 0.0}

    def _bucket(self, per_minute: float | None, now: float, floor: float) -> TokenBucket | None:
        if per_minute is None:
            return None
        rate = per_minute / 60.0
        return TokenBucket(rate, max(floor, rate * self.burst_s), now)

    def describe(self) -> dict[str, Any]:
        """The limits asked for (the manifest's ``limits``)."""
        return {"rpm": self.rpm, "tpm": self.tpm, "max_in_flight": self.window.maximum,
                "burst_s": self.burst_s}

    # -- one request ------------------------------------------------------------------------------
    def acquire(self, tokens: int = 0) -> Ticket:
        """Block until this request may be sent: room in flight, no pause, the buckets covering it."""
        epoch = self.window.acquire()
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                generation = self._generation
                if self._paused_until > now:
                    delay, reserved = self._paused_until - now, False
                else:
                    delay, reserved = 0.0, True
                    if self._requests is not None:
                        delay = self._requests.reserve(1, now)
                    if self._tokens is not None:
                        delay = max(delay, self._tokens.reserve(tokens, now))
            if delay > 0:
                if delay >= 5:   # say what the run waits for (a pause, a bucket), not a silent stall
                    why = "the rate limit's pause" if not reserved else "the rate limit (--rpm/--tpm)"
                    report_status(f"waiting {delay:.0f} s for {why}")
                self._sleep(delay)
                waited += delay
            if reserved:
                with self._lock:
                    if generation == self._generation:  # no pause began while we slept
                        break
        with self._lock:
            self.counts["requests"] += 1
            if waited > 0:
                self.counts["waits"] += 1
                self.counts["waited_s"] += waited
        return Ticket(epoch, tokens, waited)

    def release(self, ticket: Ticket, outcome: str, retry_after: float | None = None,
                used_tokens: int | None = None) -> None:
        """``outcome``: ``ok``, ``rate_limited`` (429), ``timeout``, ``overloaded`` (503) or ``error``.

        ``retry_after`` (seconds) on a 429/503 starts a pause shared by every caller;
        ``used_tokens`` (the reply's usage) settles the tokens reserved.
        """
        self.window.release(ticket.epoch, overloaded=outcome in OVERLOAD)
        with self._lock:
            key = {"ok": "ok", "rate_limited": "rate_limited", "timeout": "timeouts"}.get(outcome, "errors")
            self.counts[key] += 1
            if self._tokens is not None:
                # Unused tokens go back; a refused request used none (the provider did not count it).
                if outcome != "ok":
                    self._tokens.refund(ticket.tokens)
                elif used_tokens is not None:
                    self._tokens.refund(ticket.tokens - used_tokens)
        if retry_after is not None and outcome in ("rate_limited", "overloaded"):
            self.pause(retry_after)

    def pause(self, seconds: float) -> None:
        """Nobody sends for ``seconds``, at most :data:`MAX_PAUSE_S` (a longer pause already
        running is kept)."""
        with self._lock:
            now = self._clock()
            until = now + min(MAX_PAUSE_S, max(0.0, seconds))
            if until <= self._paused_until:
                return
            self.counts["pauses"] += 1
            self.counts["paused_s"] += until - max(now, self._paused_until)
            self._paused_until = until
            self._generation += 1
            for bucket in (self._requests, self._tokens):
                if bucket is not None:
                    bucket.restart(until)

    def stats(self) -> dict[str, Any]:
        """What was observed: requests, 429s, timeouts, waits and pauses (seconds), the window."""
        with self._lock:
            out = {k: round(v, 3) if isinstance(v, float) else v for k, v in self.counts.items()}
        window = self.window
        out["concurrency"] = {"max": window.maximum, "low": _num(window.low), "high": _num(window.high),
                              "now": _num(window.limit), "decreases": window.decreases,
                              "max_in_flight": window.max_in_flight}
        return out


def _num(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 2)


def with_limiter(model: Any, limiter: Limiter) -> Any:
    """``model`` (anything :func:`~agents.llm.base.as_llm` takes) sending every request through
    ``limiter``: :meth:`~agents.llm.base.LLM.with_limiter`, which every backend declares. Each
    request (retries included) waits for the limiter, which hears 429s and timeouts.

    >>> from agents.llm import CallableLLM
    >>> clock = FakeClock()
    >>> model = with_limiter(CallableLLM(lambda p: "Finish[4]"), Limiter(rpm=60, clock=clock, sleep=clock.sleep))
    >>> [model.complete("2+2?").text for _ in range(3)], clock.now
    (['Finish[4]', 'Finish[4]', 'Finish[4]'], 2.0)
    """
    return as_llm(model).with_limiter(limiter)
