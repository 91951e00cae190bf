"""Input checks shared by the figure functions: arrays of the right shape, one label a series.

Each raises :class:`FigureInputError` (an :class:`~learnmech.core.errors.InputError`, so also a
``ValueError``) naming the argument, so a caller sees which input is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from learnmech.core.errors import InputError

__all__ = ["FigureInputError", "as_array", "one_of", "same_shape", "series_labels", "series_rows"]


class FigureInputError(InputError):
    """A figure function was given an argument it cannot draw; the message names it."""


def as_array(name: str, value: Any, *, ndim: int | None = None, dtype: Any = float) -> np.ndarray:
    """``value`` as an array of ``dtype`` (and ``ndim`` dimensions, when given)."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise FigureInputError(
            f"{name}: cannot be read as an array of {np.dtype(dtype)}: {exc}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise FigureInputError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    return arr


def same_shape(name: str, arr: np.ndarray, shape: tuple[int, ...], like: str) -> None:
    """Refuse ``arr`` unless its shape is ``shape`` (the shape of ``like``)."""
    if arr.shape != tuple(shape):
        raise FigureInputError(f"{name}: shape {arr.shape} does not match {like} {tuple(shape)}")


def series_labels(name: str, labels: Sequence[str] | None, n: int, default: str) -> list[str]:
    """One label per series: ``labels`` (n of them), or "<default> 1", ... when None."""
    if labels is None:
        return [f"{default} {i + 1}" for i in range(n)]
    labels = [str(s) for s in labels]
    if len(labels) != n:
        raise FigureInputError(f"{name}: {len(labels)} labels for {n} series")
    return labels


def series_rows(name: str, values: Any, n_points: int, points: str, length: str) -> np.ndarray:
    """``values`` as an array of shape (n_series, n_points); a 1-d array is one series."""
    vals = as_array(name, values)
    if vals.ndim == 1:
        vals = vals[None, :]
    if vals.ndim != 2:
        raise FigureInputError(f"{name}: expected shape (n_series, {points}), got {vals.shape}")
    same_shape(name, vals, (vals.shape[0], n_points), f"(n_series, {length}) =")
    return vals


def one_of(name: str, value: Any, choices: tuple[str, str]) -> None:
    """Refuse ``value`` unless it is one of the two ``choices``."""
    if value not in choices:
        raise FigureInputError(f"{name}: expected {choices[0]!r} or {choices[1]!r}, got {value!r}")
