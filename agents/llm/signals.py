"""What a model call and the run tell each other: how a call fails, when the run stops, what a call waits for.

- the errors a call ends with: :class:`LLMCallError` (this call failed for good) and
  :class:`StopRun` with its kinds (:class:`Cancelled`, :class:`ServerUnreachable`): no further
  attempt can avoid them, so the run stops;
- the run's stop request: :func:`request_shutdown` wakes every wait (:func:`interruptible_sleep`,
  :func:`check_cancelled`) and shuts the sockets registered with :func:`on_shutdown`;
- what a call waits for (:func:`report_status`, shown on the run's progress line) and which calls
  are running (:func:`in_flight`, :func:`calls_in_flight`).

The lowest floor of :mod:`agents.llm`: it imports nothing of the kit, so the contract
(:mod:`.base`), the retry policy (:mod:`.retry`) and the limiter (:mod:`.limits`) all build on it.
:mod:`.base` hands every name on, where the rest of the kit imports them from.

>>> with in_flight("m"):
...     [label for label, _ in calls_in_flight()]
['m']
>>> calls_in_flight()
[]
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Callable, Iterator


class LLMCallError(RuntimeError):
    """A model call that failed for good: a non-retryable error, or retries exhausted.

    The message names the backend, the status and a short reason, never a credential; ``status``
    is the HTTP status (an int) or a word such as ``"timeout"``, ``"connection"``, ``"malformed"``.
    ``retry_after`` (seconds): what the server asked to wait, for a backend that raises this
    error itself on a 429 (the retry policy waits that long).

    >>> str(LLMCallError("openai-compatible:m failed: HTTP 400 (bad request)", status=400))
    'openai-compatible:m failed: HTTP 400 (bad request)'
    """

    def __init__(self, message: str, *, backend: str | None = None, status: int | str | None = None,
                 attempts: int = 1, retry_after: float | None = None):
        super().__init__(message)
        self.backend = backend
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after


class StopRun(BaseException):
    """A failure that no further attempt can avoid: a dead server, an unreadable cache, a run that
    was asked to stop. A ``BaseException`` on purpose (like ``KeyboardInterrupt``): an actor's or a
    tool's ``except Exception`` must not turn it into one failed attempt and carry on.
    :meth:`agents.reflexion.Agent.run` lets it through; the runner then starts nothing new,
    records what finished, writes the manifest with why it stopped, and prints the command that
    resumes."""


class Cancelled(StopRun):
    """The run was asked to stop (Ctrl-C, SIGTERM, a fatal error elsewhere) while this call waited."""


class ServerUnreachable(StopRun):
    """Consecutive requests found no server listening: retrying sample by sample would only wait.

    >>> str(ServerUnreachable("http://127.0.0.1:9/v1 refused 6 connections in a row", backend="openai-compatible"))
    'http://127.0.0.1:9/v1 refused 6 connections in a row'
    """

    def __init__(self, message: str, *, backend: str | None = None, status: str = "connection"):
        super().__init__(message)
        self.backend, self.status = backend, status


# -- the run's shared state: stopping, what calls wait for, which calls are slow ------------------
# Set when the run is stopping: backoff sleeps, limiter waits and HTTP reads check it (sockets in
# use are shut by the aborters), so calls in flight end within a few seconds instead of draining
# every queued attempt. One per process: the runner clears it when a run starts and ends.
_SHUTDOWN = threading.Event()
_ABORTERS: list[Callable[[], None]] = []
_STATUS: list[Callable[[str], None]] = []
_IN_FLIGHT: dict[int, tuple[str, float]] = {}
_IN_FLIGHT_LOCK = threading.Lock()


def request_shutdown() -> None:
    """Ask every call in flight to give up at its next wait (it raises :class:`Cancelled` there);
    connections waiting for a reply are shut at once."""
    _SHUTDOWN.set()
    for abort in list(_ABORTERS):
        abort()


def shutdown_requested() -> bool:
    return _SHUTDOWN.is_set()


def clear_shutdown() -> None:
    _SHUTDOWN.clear()


def on_shutdown(abort: Callable[[], None]) -> None:
    """Register ``abort`` (e.g. shut the sockets waiting for replies) to run at :func:`request_shutdown`."""
    if abort not in _ABORTERS:
        _ABORTERS.append(abort)


def interruptible_sleep(seconds: float) -> None:
    """``time.sleep`` that ends early, raising :class:`Cancelled`, once a shutdown is requested.

    >>> interruptible_sleep(0.0)
    """
    if _SHUTDOWN.wait(max(0.0, seconds)):
        raise Cancelled("the run is stopping")


def wait_for(event: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``event``, in slices so that a stopping run ends the wait
    (:class:`Cancelled`); True when the event came.

    >>> done = threading.Event(); done.set(); wait_for(done, 5.0)
    True
    """
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if event.wait(min(0.25, max(0.0, left))):
            return True
        check_cancelled()
        if left <= 0:
            return False


def check_cancelled() -> None:
    """Raise :class:`Cancelled` if the run is stopping (call before starting something long)."""
    if _SHUTDOWN.is_set():
        raise Cancelled("the run is stopping")


def report_status(message: str) -> None:
    """Tell the run what a call waits for (a 429 pause, a retry): the runner shows it on its
    progress line; outside a run it goes nowhere."""
    for sink in list(_STATUS):
        sink(message)


def set_status_sink(sink: Callable[[str], None] | None) -> None:
    """The one receiver of :func:`report_status` (None: none)."""
    _STATUS[:] = [sink] if sink is not None else []


@contextlib.contextmanager
def in_flight(label: str) -> Iterator[None]:
    """Count the block as one call of ``label`` running (what :func:`calls_in_flight` lists)."""
    token = object()
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT[id(token)] = (label, time.monotonic())
    try:
        yield
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.pop(id(token), None)


def calls_in_flight() -> list[tuple[str, float]]:
    """``(model label, seconds so far)`` of every backend call now running, longest first."""
    now = time.monotonic()
    with _IN_FLIGHT_LOCK:
        rows = [(label, now - started) for label, started in _IN_FLIGHT.values()]
    return sorted(rows, key=lambda row: -row[1])
