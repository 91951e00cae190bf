"""Argument checks shared by the theory modules.

One message shape for every refusal: ``"<name> must be <accepted range>, got <value>"``, raised
as :class:`learnmech.core.errors.InputError` (a ``ValueError``). Each ``check_*`` returns the
value converted to the type the caller computes with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from numbers import Integral

import numpy as np

from learnmech.core.errors import InputError

__all__ = [
    "fail", "check_int", "check_float", "check_choice", "check_callable", "check_array",
    "check_degree_powers", "check_seed",
]

_SHOW_CHARS = 80


def _show(value: object) -> str:
    """A short description of ``value`` for a message (arrays by shape, long reprs cut)."""
    if isinstance(value, np.ndarray) and value.size > 8:
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 3] + "..."


def fail(name: str, accepted: str, value: object = None, *, got: str | None = None) -> InputError:
    """The refusal of argument ``name``: ``"name must be accepted, got value"``.

    ``got``, where given, replaces the shown value (e.g. ``"shape (3,)"``).
    """
    return InputError(f"{name} must be {accepted}, got {_show(value) if got is None else got}")


def check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; booleans and non-integers are refused."""
    accepted = (f"an integer >= {minimum}" if maximum is None
                else f"an integer in [{minimum}, {maximum}]")
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise fail(name, accepted, value)
    if int(value) < minimum or (maximum is not None and int(value) > maximum):
        raise fail(name, accepted, value)
    return int(value)


def check_float(
    name: str, value: object, *, minimum: float | None = None, exclusive: bool = False,
    maximum: float | None = None,
) -> float:
    """``value`` as a finite float, ``>= minimum`` (``> minimum`` if ``exclusive``) and
    ``<= maximum`` where given; booleans, strings, NaN and ±inf are refused."""
    accepted = "a finite number"
    if minimum is not None:
        accepted += f" {'>' if exclusive else '>='} {minimum:g}"
    if maximum is not None:
        accepted += f"{' and' if minimum is not None else ''} <= {maximum:g}"
    if isinstance(value, bool | str | bytes) or np.ndim(value) != 0:
        raise fail(name, accepted, value)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise fail(name, accepted, value) from None
    low_ok = minimum is None or (x > minimum if exclusive else x >= minimum)
    if not (math.isfinite(x) and low_ok and (maximum is None or x <= maximum)):
        raise fail(name, accepted, value)
    return x


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise fail(name, f"one of {', '.join(map(repr, choices))}", value)
    return value


def check_callable(name: str, value: object, signature: str) -> Callable:
    """``value`` if it is callable; ``signature`` describes the call, e.g. ``"k(t)"``."""
    if not callable(value):
        raise fail(name, f"a callable {signature}", value)
    return value


def check_array(
    name: str, value: object, *, ndim: tuple[int, ...] | None, minimum: float | None = None,
    exclusive: bool = False, allow_complex: bool = False, shape_text: str | None = None,
) -> np.ndarray:
    """``value`` as a finite float64 array (complex128 if ``allow_complex`` and complex).

    ``ndim`` lists the accepted numbers of dimensions (None: any); ``minimum`` (real arrays)
    bounds every entry from below (strictly if ``exclusive``); ``shape_text`` names the
    expected shape in the message (e.g. ``"(n, d)"``).
    """
    what = "a finite " + ("real or complex" if allow_complex else "real") + " array"
    if shape_text:
        what += f" of shape {shape_text}"
    if minimum is not None:
        what += f" with entries {'>' if exclusive else '>='} {minimum:g}"
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise fail(name, what, value) from None
    kinds = "iufc" if allow_complex else "iuf"
    if arr.dtype.kind not in kinds or (ndim is not None and arr.ndim not in ndim):
        raise fail(name, what, got=f"shape {arr.shape} and dtype {arr.dtype}")
    arr = arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise fail(name, what, got="non-finite entries (NaN or inf)")
    if minimum is not None and arr.size:
        low = arr.min()
        if low < minimum or (exclusive and low == minimum):
            raise fail(name, what, got=f"an entry {low:g}")
    return arr


def check_degree_powers(name: str, value: object, *, allow_empty: bool) -> list[tuple[int, float]]:
    """A mapping degree -> power as sorted ``(l, power)`` pairs: integer ``l >= 0``, finite
    ``power >= 0``."""
    if not isinstance(value, Mapping) or (not value and not allow_empty):
        empty = "" if allow_empty else "non-empty "
        raise fail(name, f"a {empty}mapping {{degree: power}}", value)
    items = []
    for degree, power in value.items():
        l = check_int(f"{name} key (a degree)", degree, 0)
        items.append((l, check_float(f"{name}[{l}] (a power)", power, minimum=0.0)))
    return sorted(items)


def check_seed(name: str, value: object) -> np.random.Generator:
    """A numpy Generator from ``value`` (None, an integer >= 0, a SeedSequence or Generator)."""
    try:
        return np.random.default_rng(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise fail(name, "None, an integer >= 0 or a numpy Generator", value) from None
