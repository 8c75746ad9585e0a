"""Runs inside the worker sandbox: loads the program under test and answers calls to its functions.

Everything in this process is untrusted from the first line of the program on: the program can
rewrite this loop, patch builtins, or write anything it likes to any file descriptor. That is fine
by design: all this process can ever hand the judge is *data* (see ``protocol.py``), and it never
sees the tests, only the arguments the judge chooses to send. Lying here buys a wrong answer at best.

The conversation, one JSON message per frame on stdin/stdout (the program's own prints go to stderr)::

    worker -> judge   {"ready": ["add", "helper"]}          or {"load_error": "SyntaxError: ..."}
    judge  -> worker  {"call": "add", "args": [...], "kwargs": [[k, v], ...]}
    worker -> judge   {"ok": <value>} | {"raised": "ValueError", "message": "..."}
                      | {"unencodable": "a Liar cannot leave the sandbox ..."}

    python -I -S -B worker.py /sandbox/in/program.py        # what the sandbox runs

    >>> namespace = load_program("def add(a, b):\\n    return a + b\\n")
    >>> answer(namespace, {"call": "add", "args": ["l", [2, 3]], "kwargs": []})
    {'ok': 5}
    >>> answer(namespace, {"call": "add", "args": ["l", [2, "x"]], "kwargs": []})["raised"]
    'TypeError'
"""
from __future__ import annotations

import os
import sys

if __package__:
    from .protocol import Channel, ChannelClosed, Unencodable, decode, encode
else:  # run as a script inside the sandbox, beside its copy of protocol.py
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from protocol import Channel, ChannelClosed, Unencodable, decode, encode

MESSAGE_CHARS = 2000  # an exception message longer than this is cut: it is feedback, not data


MODULE_NAME = "solution"


def load_program(source: str) -> dict:
    """Run the program's source as a fresh module named ``solution`` (not ``__main__``: a ``__main__``
    block of the program's own test code should not run) and return its namespace. The module is in
    ``sys.modules`` as any imported module is, so what looks itself up there works (``dataclasses``
    with a quoted annotation, ``typing.get_type_hints``, ``pickle``).

    >>> namespace = load_program("from dataclasses import dataclass\\n@dataclass\\nclass P:\\n    x: 'int'\\n")
    >>> namespace["P"](3), sys.modules["solution"].P is namespace["P"]
    (P(x=3), True)
    """
    module = type(sys)(MODULE_NAME)  # a new module object (`types.ModuleType`, without importing types)
    module.__file__ = "solution.py"
    sys.modules[MODULE_NAME] = module
    exec(compile(source, "solution.py", "exec"), module.__dict__)
    return module.__dict__


def exposed_names(namespace: dict) -> list[str]:
    """The program's top-level callables: the names the judge may call. Imported ones count too
    (``gcd = math.gcd`` is a fine solution); modules and plain values do not.

    >>> exposed_names(load_program("import math\\nX = 1\\ngcd = math.gcd\\ndef f(): pass\\nclass C: pass\\n"))
    ['gcd', 'f', 'C']
    """
    return [name for name, value in namespace.items() if not name.startswith("__") and callable(value)]


def answer(namespace: dict, request: dict) -> dict:
    """Make one call the judge asked for; report its value, or what it raised."""
    try:
        function = namespace[request["call"]]
        args = decode(request["args"])
        kwargs = {key: decode(value) for key, value in request.get("kwargs", [])}
        result = function(*args, **kwargs)
    except BaseException as error:  # noqa: BLE001 - SystemExit from the program is an answer too
        return {"raised": type(error).__name__, "message": _message(error)}
    try:
        return {"ok": encode(result)}
    except (Unencodable, RecursionError, ValueError) as error:
        return {"unencodable": _message(error)}


def load_error(error: BaseException) -> str:
    """What went wrong while loading, pointing into the program only (not into this file).

    >>> try:
    ...     load_program("x = 1\\ny = 1 / 0\\n")
    ... except ZeroDivisionError as error:
    ...     print(load_error(error))
    line 2: ZeroDivisionError: division by zero
    """
    import traceback  # only on this path: each import is paid by every one of thousands of jails

    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == "solution.py"]
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return ((f"line {lines[-1]}: " if lines else "") + text)[-MESSAGE_CHARS:]


def _message(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # noqa: BLE001 - a __str__ that raises is the program's problem
        text = "<unprintable>"
    return text[:MESSAGE_CHARS]


def main(program_path: str) -> None:
    # The channel keeps private copies of stdin/stdout; the program gets /dev/null and stderr, so its
    # prints cannot corrupt (or, innocently, be mistaken for) the conversation.
    channel = Channel(os.dup(0), os.dup(1))
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    with open(program_path, encoding="utf-8") as handle:
        source = handle.read()
    try:
        namespace = load_program(source)
    except BaseException as error:  # noqa: BLE001 - a program that exits while loading failed to load
        channel.send({"load_error": load_error(error)})
        return
    channel.send({"ready": exposed_names(namespace)})
    while True:
        try:
            request = channel.recv()
        except ChannelClosed:
            return
        channel.send(answer(namespace, request))


if __name__ == "__main__":
    main(sys.argv[1])
