"""Helpers for long-format rows (the ``metrics.csv`` table) and their CSV cells."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["csv_cell", "with_columns"]


def with_columns(rows: list[dict], **columns: Any) -> list[dict]:
    """The rows with group columns (a sweep variable, a seed, ...) put first."""
    return [{**columns, **row} for row in rows]


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: floats in full precision (``repr``), None empty, lists and dicts
    as JSON, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, default=str)
    return value
