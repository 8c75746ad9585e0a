"""The wire between the judge and the worker: plain data only, framed, bounded.

Both sandboxed processes import this file (it is copied in beside them), so it needs the standard
library alone. The worker *encodes* whatever the program under test returned; the judge *decodes* the
bytes back into values of builtin types that the judge itself builds. That is the whole defence
against a returned object that lies (an ``__eq__`` that always answers True, an ``int`` subclass with a
friendly ``__abs__``): no object of the program's ever reaches the judge, only its data.

    >>> wire = encode({"a": (1, 2.5), "b": [None, True, "x"], "c": {3}})
    >>> decode(wire) == {"a": (1, 2.5), "b": [None, True, "x"], "c": {3}}
    True
    >>> type(decode(encode(True))), type(decode(encode(1))), decode(encode(-0.0))
    (<class 'bool'>, <class 'int'>, -0.0)
    >>> class Liar:
    ...     def __eq__(self, other): return True
    >>> encode(Liar())
    Traceback (most recent call last):
    ...
    agents.tasks.humaneval.protocol.Unencodable: a value of type Liar cannot leave the sandbox: return plain data (numbers, str, list, tuple, dict, set, None)
"""
from __future__ import annotations

import json
import os
import select
import struct
import sys
import time

MAX_FRAME = 32 << 20       # one message; a bigger one is an attack or a bug, either way a failure
MAX_DEPTH = 200            # nesting of a value; deeper is refused rather than risk a RecursionError
_HEADER = struct.Struct(">I")
_SAFE_INT = 1 << 53        # JSON readers elsewhere lose precision past this; bigger ints travel as hex
# Exact builtin types a value may be flattened to, in the order a subclass is tried against them
# (bool is never subclassed, so int comes first safely), each with the builtin's own copy, which ignores
# the subclass's methods: a `class Answer(str, Enum)` member crosses as 'YES', not str()'s 'Answer.YES'.
_FLATTEN = {int: int.__int__, float: float.__float__, complex: complex.__complex__, str: str.__str__,
            bytes: bytes.__bytes__, list: list.copy, tuple: lambda t: tuple.__getitem__(t, slice(None)),
            dict: dict.copy, set: set.copy, frozenset: frozenset.copy}


class Unencodable(TypeError):
    """The program returned something that is not plain data."""


class ProtocolError(ValueError):
    """The other side sent bytes that are not a well-formed message."""


def encode(value, _depth: int = 0):
    """A value as JSON-ready data, every non-JSON-native type tagged: ``["t", [...]]`` is a tuple.

    Subclasses of builtins are flattened to their builtin (so their methods stay behind); a
    ``Fraction`` or ``Decimal`` crosses as its exact text.

    >>> encode((1, 2**60, 0.5, b"hi"))
    ['t', [1, ['i', '0x1000000000000000'], ['f', '0x1.0000000000000p-1'], ['b', '6869']]]
    """
    if _depth > MAX_DEPTH:
        raise Unencodable(f"a value nested deeper than {MAX_DEPTH} levels cannot leave the sandbox")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if -_SAFE_INT < value < _SAFE_INT else ["i", hex(value)]
    if kind is float:
        return ["f", value.hex()]
    if kind is complex:
        return ["c", value.real.hex(), value.imag.hex()]
    if kind is bytes:
        return ["b", value.hex()]
    if kind in (list, tuple, set, frozenset):
        tag = {list: "l", tuple: "t", set: "s", frozenset: "z"}[kind]
        return [tag, [encode(item, _depth + 1) for item in value]]
    if kind is dict:
        return ["d", [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]]
    for base, copy in _FLATTEN.items():
        if isinstance(value, base):
            flat = copy(value)
            if type(flat) is base:
                return encode(flat, _depth)
    exact = _exact_text(value)
    if exact is not None:
        return exact
    raise Unencodable(f"a value of type {kind.__name__} cannot leave the sandbox: return plain data "
                      "(numbers, str, list, tuple, dict, set, None)")


def _exact_text(value):
    """A ``fractions.Fraction`` or ``decimal.Decimal`` as its exact text (tags ``q``, ``m``), which the
    judge parses with its own module; None for anything else. (Looked up in ``sys.modules``: the
    worker never imports them itself, and a fake module gains nothing, since only text crosses.)"""
    for tag, module, name in (("q", "fractions", "Fraction"), ("m", "decimal", "Decimal")):
        if type(value) is getattr(sys.modules.get(module), name, None):
            return [tag, str(value)]
    return None


def decode(data, _depth: int = 0):
    """The value :func:`encode` described, built from builtin types only; anything else is refused.

    >>> decode(["l", [1, ["f", "0x1.8p+1"]]])
    [1, 3.0]
    >>> decode(1.5)
    Traceback (most recent call last):
    ...
    agents.tasks.humaneval.protocol.ProtocolError: not a value: float
    """
    if _depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, int, str):
        return data
    if kind is not list or not data or type(data[0]) is not str:
        raise ProtocolError(f"not a value: {kind.__name__}")
    tag, rest = data[0], data[1:]
    try:
        if tag == "i":
            return int(_one_str(rest), 16)
        if tag == "f":
            return float.fromhex(_one_str(rest))
        if tag == "c":
            real, imag = rest
            return complex(float.fromhex(real), float.fromhex(imag))
        if tag == "b":
            return bytes.fromhex(_one_str(rest))
        if tag in ("q", "m"):
            from decimal import Decimal, InvalidOperation
            from fractions import Fraction
            try:
                return (Fraction if tag == "q" else Decimal)(_one_str(rest))
            except (InvalidOperation, ZeroDivisionError) as error:
                raise ProtocolError(f"malformed {tag!r} value: {error!r}") from None
        if tag in ("l", "t", "s", "z"):
            (items,) = rest
            if type(items) is not list:
                raise ProtocolError("items must be a list")
            values = [decode(item, _depth + 1) for item in items]
            return {"l": list, "t": tuple, "s": set, "z": frozenset}[tag](values)
        if tag == "d":
            (pairs,) = rest
            if type(pairs) is not list or any(type(p) is not list or len(p) != 2 for p in pairs):
                raise ProtocolError("a dict must be a list of [key, value] pairs")
            return {decode(k, _depth + 1): decode(v, _depth + 1) for k, v in pairs}
    except ProtocolError:
        raise
    except (TypeError, ValueError, OverflowError) as error:  # unhashable key, bad hex, wrong arity
        raise ProtocolError(f"malformed {tag!r} value: {error}") from None
    raise ProtocolError(f"unknown tag {tag!r}")


def _one_str(rest):
    if len(rest) != 1 or type(rest[0]) is not str or len(rest[0]) > 1_000_000:
        raise ProtocolError("expected one string")
    return rest[0]


class ChannelClosed(EOFError):
    """The other end went away (it exited, crashed, or closed the pipe)."""


class Channel:
    """Length-prefixed JSON messages over a pair of pipe file descriptors.

    >>> r1, w1 = os.pipe(); r2, w2 = os.pipe()
    >>> a, b = Channel(r1, w2), Channel(r2, w1)
    >>> a.send({"call": "f", "args": encode([1, 2])}); b.recv(timeout=1)
    {'call': 'f', 'args': ['l', [1, 2]]}
    >>> for fd in (r1, w1, r2, w2): os.close(fd)
    """

    def __init__(self, read_fd: int, write_fd: int, max_frame: int = MAX_FRAME):
        self.read_fd, self.write_fd, self.max_frame = read_fd, write_fd, max_frame

    def send(self, message: dict) -> None:
        body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("ascii")
        if len(body) > self.max_frame:
            raise Unencodable(f"a message of {len(body)} bytes is over the {self.max_frame}-byte limit")
        view = memoryview(_HEADER.pack(len(body)) + body)
        try:
            while view:
                view = view[os.write(self.write_fd, view):]
        except (BrokenPipeError, OSError) as error:
            raise ChannelClosed(f"cannot send: {error}") from None

    def recv(self, timeout: float | None = None) -> dict:
        """The next message; :class:`ChannelClosed` at end of file, ``TimeoutError`` past ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        (size,) = _HEADER.unpack(self._read_exactly(_HEADER.size, deadline))
        if size > self.max_frame:
            raise ProtocolError(f"a message of {size} bytes is over the {self.max_frame}-byte limit")
        try:
            message = json.loads(self._read_exactly(size, deadline))
        except (ValueError, RecursionError) as error:
            raise ProtocolError(f"not JSON: {error}") from None
        if type(message) is not dict:
            raise ProtocolError("a message must be a JSON object")
        return message

    def _read_exactly(self, size: int, deadline: float | None) -> bytes:
        chunks, missing = [], size
        while missing:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                    raise TimeoutError("no answer in time")
            try:
                chunk = os.read(self.read_fd, min(missing, 1 << 20))
            except OSError as error:
                raise ChannelClosed(f"cannot read: {error}") from None
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)
