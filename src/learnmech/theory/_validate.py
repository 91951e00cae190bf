"""Argument checks shared by the theory modules (one message shape: name, range, value)."""

from __future__ import annotations

from numbers import Integral


def check_int(name: str, value: object, minimum: int) -> int:
    """``value`` as an int ≥ ``minimum``; booleans and non-integers are refused."""
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
