"""The scheduler: attempts on worker threads, never more in flight than the run's concurrency, and
how a run stops (Ctrl-C, SIGTERM, a dead server, a full disk, the budget) without losing a record.

>>> stop = Stop(); stop.budget(); stop.reason
'budget'
"""
from __future__ import annotations

import collections
import contextlib
import queue
import signal
import sys
import threading
import time
from typing import Any, Callable

from ...llm.base import Cancelled, ServerUnreachable, StopRun, calls_in_flight, request_shutdown, shutdown_requested
from ...types import Sample


class BudgetExceeded(RuntimeError):
    """Raised inside a worker to stop a run whose spend reached ``budget_usd``."""


EMPTY_WARN_AFTER = 5     # replies before "they are all empty" is worth a warning
GRACE_S = 2.0            # after Ctrl-C/SIGTERM, attempts in flight may finish for this long...
UNWIND_S = 3.0           # ...then their calls are cancelled, and after this they are left behind
SLOW_AFTER_S = 30.0      # a model call running longer than this is reported...
SLOW_CHECK_S = 2.0       # ...looked for this often (a 45 s call is seen, whenever it started)


class EmptyReplies(UserWarning):
    """Every reply of the model so far is empty: a wrong endpoint, model or stop sequence."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run after it recorded everything finished and wrote its
    manifest (``stopped: interrupted``) and summary. ``frame`` holds the final records so far,
    ``signum`` the signal, ``run_dir`` the folder; the same call resumes."""

    def __init__(self, message: str, *, frame: Any, signum: int, run_dir: str):
        super().__init__(message)
        self.frame, self.signum, self.run_dir = frame, signum, run_dir


class Stop:
    """Why the run stops, and when the attempts still in flight are cancelled, then left behind.

    >>> stop = Stop(); stop.interrupt(2, now=10.0)
    >>> stop.reason, stop.cancel_at, stop.abandon_at
    ('interrupted', 12.0, 15.0)
    >>> stop.interrupt(2, now=11.0); stop.cancel_at      # Ctrl-C again: cancel now
    11.0
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.message = ""
        self.signum: int | None = None
        self.cancel_at = self.abandon_at = float("inf")
        self.presses = 0
        self.announced = 0

    def interrupt(self, signum: int, now: float | None = None) -> None:
        """A signal (called from the handler: only sets fields)."""
        now = time.monotonic() if now is None else now
        self.presses += 1
        if self.signum is None:
            self.signum = signum
        if self.reason in (None, "budget"):
            self.reason = "interrupted"
            self.message = f"{signal.Signals(signum).name} received"
            self.cancel_at, self.abandon_at = now + GRACE_S, now + GRACE_S + UNWIND_S
        else:
            self.cancel_at = min(self.cancel_at, now)
            self.abandon_at = min(self.abandon_at, now + UNWIND_S)

    def fatal(self, reason: str, message: str) -> None:
        """Something no attempt can get past (a dead server, a full disk): cancel at once."""
        if self.reason in (None, "budget"):
            self.reason, self.message = reason, message
        now = time.monotonic()
        self.cancel_at = min(self.cancel_at, now)
        self.abandon_at = min(self.abandon_at, now + UNWIND_S)

    def budget(self) -> None:
        if self.reason is None:
            self.reason, self.message = "budget", "the budget is spent"


@contextlib.contextmanager
def signals(stop: Stop):
    """SIGINT and SIGTERM stop the run gracefully while it runs (main thread only); a second
    Ctrl-C cancels the calls in flight at once; neither prints a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame):  # noqa: ARG001 - the signal module's signature
        stop.interrupt(signum)

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[number] = signal.signal(number, handler)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


class StatusLine:
    """Status lines during a run (what calls wait for, what is slow), each kind at most every
    ``every_s`` seconds, so a thousand waiting calls print one line."""

    def __init__(self, enabled: bool, every_s: float = 10.0):
        self.enabled, self.every_s = enabled, every_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.next_slow_check = time.monotonic() + SLOW_CHECK_S

    def say(self, message: str, kind: str | None = None) -> None:
        kind = kind or message.split(":", 1)[0]
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -1e9) < self.every_s:
                return
            self._last[kind] = now
        say(self.enabled, message)

    def check_slow(self) -> None:
        now = time.monotonic()
        if now < self.next_slow_check:
            return
        self.next_slow_check = now + SLOW_CHECK_S
        slow = [(label, seconds) for label, seconds in calls_in_flight() if seconds > SLOW_AFTER_S]
        if slow:
            label, longest = slow[0]
            self.say(f"slow: {len(slow)} model call(s) running for over {SLOW_AFTER_S:.0f} s (longest "
                     f"{longest:.0f} s, {label}); a request to a server gives up after "
                     "its --timeout and is retried", kind="slow")


def schedule(samples: list[Sample], n_trials: int, barrier: bool, workers: int,
              next_trial: Callable[[str], int | None], attempt_one: Callable[[str], dict[str, Any]],
              finished: Callable[[dict[str, Any]], None], stop: Stop,
              status_line: StatusLine) -> tuple[int, BaseException | None]:
    """Run attempts on ``workers`` daemon threads, never more in flight than that (nothing is queued
    ahead, so stopping starts nothing new). Returns the attempts left running when it gave up
    waiting for them (a stop that outlasted :data:`GRACE_S` + :data:`UNWIND_S`), and the first
    unexpected error (re-raised by the caller once everything is written)."""
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    results: queue.SimpleQueue = queue.SimpleQueue()
    threads: list[threading.Thread] = []
    in_flight = 0
    failure: BaseException | None = None

    def work() -> None:
        while True:
            sid = jobs.get()
            if sid is None:
                return
            try:
                results.put((sid, attempt_one(sid), None))
            except BaseException as error:  # noqa: BLE001 - handed to the scheduler, which decides
                results.put((sid, None, error))

    def submit(sid: str) -> None:
        nonlocal in_flight
        if len(threads) < workers and in_flight >= len(threads):
            thread = threading.Thread(target=work, name=f"reinagent-worker-{len(threads)}", daemon=True)
            thread.start()
            threads.append(thread)
        jobs.put(sid)
        in_flight += 1

    rounds = range(1, n_trials + 1) if barrier else [None]
    try:
        for trial in rounds:
            ready = collections.deque(s.id for s in samples if next_trial(s.id) is not None
                                      and (trial is None or next_trial(s.id) == trial))
            while True:
                while ready and in_flight < workers and not stop.reason:
                    sid = ready.popleft()
                    if next_trial(sid) is not None:
                        submit(sid)
                if not in_flight:
                    break
                now = time.monotonic()
                if stop.presses > stop.announced:
                    stop.announced = stop.presses
                    if stop.presses == 1:
                        status_line.say(f"stopping ({stop.message}): {in_flight} attempt(s) in flight get "
                                        f"{max(0.0, stop.cancel_at - now):.0f} s to finish; Ctrl-C again "
                                        "cancels them now", kind="stop")
                    elif stop.presses == 2:
                        status_line.say(f"cancelling the {in_flight} attempt(s) in flight (they run again "
                                        "on resume)", kind="cancel")
                if now >= stop.cancel_at and not shutdown_requested():
                    request_shutdown()
                if now >= stop.abandon_at:
                    return in_flight, failure
                status_line.check_slow()
                try:
                    sid, record, error = results.get(timeout=0.2)
                except queue.Empty:
                    continue
                in_flight -= 1
                if error is None:
                    try:
                        finished(record)
                    except Exception as bug:  # noqa: BLE001 - stop as for any other failure
                        failure = failure or bug
                        stop.fatal("error", f"{type(bug).__name__}: {bug}")
                    if trial is None and next_trial(sid) is not None:   # no barrier: go on at once
                        ready.append(sid)
                elif isinstance(error, BudgetExceeded):
                    stop.budget()
                elif isinstance(error, Cancelled):
                    pass           # the run is stopping: this attempt runs again on resume
                elif isinstance(error, StopRun):
                    stop.fatal(stop_reason(error), str(error))
                else:
                    if failure is None:
                        failure = error
                    stop.fatal("error", f"{type(error).__name__}: {error}")
            if stop.reason:
                break
    finally:
        for _ in threads:
            jobs.put(None)        # idle workers end; one still in an attempt ends after it
    return 0, failure


def stop_reason(error: BaseException) -> str:
    from ...llm.cache import CacheUnreadable

    if isinstance(error, ServerUnreachable):
        return "server unreachable"
    if isinstance(error, CacheUnreadable):
        return "cache unreadable"
    return "stopped"


def say(enabled: bool, message: str) -> None:
    """A status line: on stderr in a terminal (where progress bars go, so stdout stays the
    results); on stdout in a notebook, where stderr is drawn as an error box."""
    if enabled:
        from tqdm.auto import tqdm
        tqdm.write(message, file=status_stream())


def status_stream():
    """``sys.stdout`` under a Jupyter kernel (its streams are ``ipykernel`` objects), else ``sys.stderr``.

    >>> status_stream() is sys.stderr          # a terminal, or pytest
    True
    """
    return sys.stdout if type(sys.stdout).__module__.startswith("ipykernel") else sys.stderr
