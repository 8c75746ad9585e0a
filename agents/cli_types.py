"""Argument types shared by the commands (``run``, ``grid``, ``serve``): a bad value is an argparse
error that names the flag and says what was expected.

>>> positive_int("3"), bounded_int(0, 65535, "a port number")("8080")
(3, 8080)
>>> positive_float("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be > 0, got 0.0
"""
from __future__ import annotations

import argparse
from typing import Callable


def bounded_int(low: int, high: int | None = None, expected: str = "a positive integer",
                hint: str = "") -> Callable[[str], int]:
    """An argparse type: an integer in ``[low, high]`` (no upper bound if ``high`` is None)."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"at least {low}" if high is None else f"{low}-{high}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}{hint}")
        return value

    return convert


positive_int = bounded_int(1)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value
