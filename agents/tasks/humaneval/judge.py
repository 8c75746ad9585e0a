"""Runs inside the judge sandbox: trusted test code, calling the program through a wire it cannot reach.

The judge holds the tests; the worker (another process, another sandbox, another uid) holds the
program. Each call the tests make goes over a pipe as data, and what comes back is rebuilt here from
builtin types (``protocol.decode``). So ``assert candidate(x) == y`` runs with this process's own
``assert``, ``==``, ``abs``, ``isinstance``, ``math.isclose`` and helper functions, none of which the
program can touch, and the verdict is written by this process on a descriptor only it holds.

Two modes, named in the spec file (JSON):

- ``check``: a HumanEval problem: ``exec`` the problem's prompt (for helpers such as ``poly``), then its
  ``test``, then ``check(candidate)``; one line ``{"verdict": {"passed": ..., "reason": ...}}``. The
  reason is in the judge's own words (:func:`hidden_reason`): which line of the tests, and what kind of
  failure. Never a message, a value or a class name the program chose once it had seen a hidden input.
- ``asserts``: the agent's own tests, one statement each; a line ``{"outcome": {...}}`` per test as it
  finishes, and ``{"restart_from": i}`` when the program died or hung at test ``i - 1`` (the caller
  starts a fresh pair for the rest).

    python -I -S -B judge.py SPEC TO_WORKER_FD FROM_WORKER_FD   # what the sandbox runs

``SPEC`` is a file descriptor number (the kit passes the spec in a sealed memfd: the hidden tests are
never on disk) or a path.

    >>> split_assert("assert add(1, 2) == 3")
    ('add(1, 2)', '3')
    >>> split_assert("assert is_ok(5)") is None
    True
"""
from __future__ import annotations

import builtins
import json
import os
import sys

if __package__:
    from .protocol import Channel, ChannelClosed, ProtocolError, Unencodable, decode, encode
else:  # run as a script inside the sandbox, beside its copy of protocol.py
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from protocol import Channel, ChannelClosed, ProtocolError, Unencodable, decode, encode

TESTS_FILE = "<hidden tests>"
REPR_CHARS = 300


class WorkerGone(BaseException):
    """The program's process is gone or talks nonsense. A BaseException on purpose: a test's
    ``except Exception`` must not swallow it and carry on as if the call had returned."""


class CallTimeout(BaseException):
    """One call took longer than the per-call limit (``asserts`` mode)."""


class ProgramError(Exception):
    """The program raised an exception that is not a builtin one, or returned something that is
    not plain data."""


def _from_program(error: BaseException, kind: str = "raised", program_class: str | None = None) -> BaseException:
    error.raised_by_program, error.kind = True, kind
    error.program_class = program_class or type(error).__name__
    return error


def program_exception(name: str, message: str) -> BaseException:
    """The exception the program raised, as a builtin exception of the same name when there is one
    (a test may catch ``ValueError``), else a :class:`ProgramError`.

    >>> program_exception("ValueError", "bad")
    ValueError('bad')
    >>> program_exception("SystemExit", "0")
    ProgramError('SystemExit: 0')
    """
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return _from_program(kind(message), program_class=name)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError wants five arguments
            pass
    return _from_program(ProgramError(f"{name}: {message}"), program_class=name)


class Remote:
    """Stands in for one of the program's functions: calls it in the worker, returns plain data."""

    def __init__(self, channel: Channel, name: str, timeout: float | None = None):
        self.channel, self.name, self.timeout = channel, name, timeout
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<function {self.name} (in the sandbox)>"

    def __call__(self, *args, **kwargs):
        try:
            request = {"call": self.name, "args": encode(list(args)),
                       "kwargs": [[key, encode(value)] for key, value in kwargs.items()]}
        except Unencodable as error:
            raise TypeError(f"the tests passed {self.name} an argument the sandbox cannot carry: "
                            f"{error}") from None
        try:
            self.channel.send(request)
            reply = self.channel.recv(self.timeout)
        except ChannelClosed:
            raise WorkerGone("the program's process ended (an exit, a crash or a resource limit)") from None
        except TimeoutError:
            raise CallTimeout(f"{self.name} did not return within {self.timeout:g} s") from None
        except ProtocolError:
            # Not the parser's text: the program shapes the bytes, so a column or a frame size in it
            # is a number it chose after seeing the hidden input (issue 17 item 6).
            raise WorkerGone("the program's process sent a malformed answer") from None
        if "ok" in reply:
            try:
                return decode(reply["ok"])
            except ProtocolError as error:
                raise _from_program(ProgramError(f"{self.name} returned malformed data: {error}"),
                                    "malformed") from None
        if "raised" in reply:
            raise program_exception(str(reply["raised"]), str(reply.get("message", "")))
        if "unencodable" in reply:
            raise _from_program(ProgramError(str(reply["unencodable"])), "unencodable")
        raise WorkerGone("the program's process sent a malformed answer")


def split_assert(test: str):
    """``(call, expected)`` source for a test shaped ``assert <call> == <expected>``, else None."""
    import ast  # imported when needed: every judge pays for its imports, and check mode never needs it

    try:
        tree = ast.parse(test)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    compare = tree.body[0].test
    if not (isinstance(compare, ast.Compare) and len(compare.ops) == 1 and isinstance(compare.ops[0], ast.Eq)):
        return None
    return ast.unparse(compare.left), ast.unparse(compare.comparators[0])


def imports_of(source: str) -> str:
    """The top-level ``import`` statements of ``source``, each guarded (a missing module is skipped).

    >>> print(imports_of("import math\\nfrom typing import List\\ndef f(): import os\\n"))
    try:
        import math
    except Exception:
        pass
    try:
        from typing import List
    except Exception:
        pass
    <BLANKLINE>
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    guarded = [f"try:\n    {ast.unparse(node)}\nexcept Exception:\n    pass\n"
               for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "".join(guarded)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= REPR_CHARS else text[:REPR_CHARS] + "..."


def _describe(error: BaseException) -> str:
    if getattr(error, "raised_by_program", False):
        if isinstance(error, ProgramError):
            return f"the program failed: {error}"
        return f"the program raised {type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}"


def _failing_line(error: BaseException) -> int | None:
    import traceback

    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == TESTS_FILE]
    return lines[-1] if lines else None


def prompt_helpers(prompt: str) -> dict:
    """The namespace the problem's prompt defines (trusted dataset code: imports and helpers such as
    HumanEval/32's ``poly``, which its tests call). A prompt that stops at a bare ``def`` line gets a
    ``pass`` body so that it still runs.

    >>> sorted(k for k in prompt_helpers("import math\\ndef f(x):\\n") if not k.startswith("__"))
    ['f', 'math']
    """
    namespace = {"__name__": "__judge__"}
    for source in (prompt, prompt.rstrip() + "\n    pass\n"):
        try:
            code = compile(source, "<prompt>", "exec")
        except SyntaxError:
            continue
        exec(code, namespace)
        break
    return namespace


def _builtin_name(name: str) -> str | None:
    """``name`` if it names a builtin exception class (a word from the judge's list, not the program's)."""
    kind = getattr(builtins, name, None)
    return name if isinstance(kind, type) and issubclass(kind, BaseException) else None


def hidden_reason(error: BaseException) -> str:
    """Why a hidden test failed, in the judge's words only: the line of the tests, and the kind of
    failure. The program's message, output and class names are left out: it wrote them after it saw
    the hidden inputs, and the reason is stored in the records (``hidden_reason``).

    >>> try:
    ...     raise program_exception("ValueError", "the secret input was 42")
    ... except ValueError as error:
    ...     print(hidden_reason(error))
    the program raised ValueError on a hidden test
    >>> hidden_reason(program_exception("Leak_42", "x"))
    'the program raised an exception of its own class on a hidden test'
    """
    line = _failing_line(error)
    where = f" (line {line} of the tests)" if line else ""
    if isinstance(error, (WorkerGone, CallTimeout)):
        return f"{error}{where}"  # the judge's own text (the entry point's name, the time limit)
    if getattr(error, "raised_by_program", False):
        kind = getattr(error, "kind", None)
        if kind == "unencodable":
            return f"the program returned a value that cannot leave the sandbox (not plain data){where}"
        if kind == "malformed":
            return f"the program returned malformed data{where}"
        name = _builtin_name(getattr(error, "program_class", type(error).__name__))
        what = f"raised {name}" if name else "raised an exception of its own class"
        return f"the program {what} on a hidden test{where}"
    if isinstance(error, AssertionError):
        # The test's text is withheld too: this reason may become feedback, and the tests are hidden.
        return f"a hidden test failed{where}"
    # The tests' own code failed on what the program returned (a KeyError, a TypeError...): the
    # message would quote that value, so only the judge's class name is given.
    return f"a hidden test raised {type(error).__name__}{where}"


def judge_check(channel: Channel, spec: dict) -> dict:
    """The HumanEval verdict: ``check(candidate)`` ran to the end without raising."""
    first = channel.recv()
    if "load_error" in first:
        # Written before the program saw any hidden input: its own code's error, kept as feedback.
        return {"passed": False, "reason": f"the program failed to load: {str(first['load_error'])[:500]}"}
    entry = spec["entry_point"]
    if entry not in first.get("ready", []):
        return {"passed": False, "reason": f"the program defines no function named {entry}"}
    namespace = prompt_helpers(spec["prompt"])
    candidate = Remote(channel, entry)
    namespace[entry] = candidate  # some tests call the entry point by name (HumanEval/33)
    try:
        exec(compile(spec["test"], TESTS_FILE, "exec"), namespace)
        namespace["check"](candidate)
    except BaseException as error:  # noqa: BLE001 - anything is a failure, with the judge's reason
        return {"passed": False, "reason": hidden_reason(error)}
    return {"passed": True, "reason": "passed"}


def judge_asserts(channel: Channel, spec: dict, emit) -> None:
    """Each of the agent's own tests, reported as it finishes (see the module docstring)."""
    tests, start, timeout = spec["tests"], spec.get("first_index", 0), spec.get("call_timeout")
    try:
        first = channel.recv(timeout)
    except TimeoutError:
        first = {"load_error": f"the program did not finish loading within {timeout:g} s"}
    except (ChannelClosed, ProtocolError):
        first = {"load_error": "the program's process ended while loading (an exit, a crash or a limit)"}
    if "load_error" in first:
        for index, test in enumerate(tests, start):
            emit({"outcome": {"index": index, "passed": False, "message": first["load_error"]}})
        return
    base = {"__name__": "__tests__"}
    for name in first.get("ready", []):
        if isinstance(name, str) and name.isidentifier():
            base[name] = Remote(channel, name, timeout)
    # The implementation's imports run here too, as they would above tests written for it
    # (``assert math.isclose(f(2), 1.41)``): what they bind is the real module, not a proxy.
    exec(compile(imports_of(spec.get("implementation", "")), "<imports>", "exec"), base)
    for index, test in enumerate(tests, start):
        passed, message, stop = _run_one(test, dict(base))
        emit({"outcome": {"index": index, "passed": passed, "message": message}})
        if stop:
            emit({"restart_from": index + 1})
            return


def _run_one(test: str, namespace: dict):
    """(passed, message, stop): stop when the worker can no longer be trusted to answer."""
    parts = split_assert(test)
    try:
        if parts is None:
            exec(compile(test, "<test>", "exec"), namespace)
            return True, "", False
        got = eval(compile(parts[0], "<test>", "eval"), namespace)
        expected = eval(compile(parts[1], "<test>", "eval"), namespace)
        if got == expected:
            return True, "", False
        return False, f"{test} # output: {_short(got)}", False
    except (WorkerGone, CallTimeout) as error:
        return False, f"{test} # {error}", True
    except AssertionError as error:
        if getattr(error, "raised_by_program", False):
            return False, f"{test} # {_describe(error)}", False
        return False, f"{test} # failed" + (f": {error}" if str(error) else ""), False
    except BaseException as error:  # noqa: BLE001
        return False, f"{test} # {_describe(error)}", False


def main(spec_path: str, to_worker: int, from_worker: int) -> None:
    """``spec_path``: a path, or the number of a file descriptor that holds the spec (JSON)."""
    verdict = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # the tests' own prints must not mix with the verdict lines
    with open(int(spec_path) if spec_path.isdigit() else spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    channel = Channel(from_worker, to_worker)

    def emit(message: dict) -> None:
        verdict.write(json.dumps(message) + "\n")

    if spec["mode"] == "check":
        try:
            result = judge_check(channel, spec)
        except (ChannelClosed, ProtocolError, TimeoutError) as error:
            result = {"passed": False, "reason": f"the program's process ended while loading ({error})"}
        emit({"verdict": result})
    else:
        judge_asserts(channel, spec, emit)
    verdict.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
