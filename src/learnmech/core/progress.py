"""Progress bars for anything that takes more than a couple of seconds.

One helper, :func:`bar`, so every experiment reports progress the same way: a tqdm bar on
stderr (stdout stays clean for results), switched off with ``LEARNMECH_PROGRESS=0`` (the test
suite does this).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any


def enabled() -> bool:
    """Whether progress bars are shown (env ``LEARNMECH_PROGRESS`` is not ``0``/``false``)."""
    return os.environ.get("LEARNMECH_PROGRESS", "1").strip().lower() not in ("0", "false", "no")


def bar(
    iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str = "",
    unit: str = "it",
):
    """A tqdm progress bar on stderr over ``iterable`` (or a manual one with ``total``).

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; leave out and call ``.update(n)`` for a manual bar.
    total : int, optional
        Number of items (taken from ``len(iterable)`` when it has one).
    desc : str
        Label shown before the bar.
    unit : str
        Name of one item (``"it"``, ``"step"``, ``"run"``).

    Returns
    -------
    tqdm.tqdm
        Iterable and usable as a context manager; silent when progress is disabled.
    """
    from tqdm import tqdm

    return tqdm(
        iterable, total=total, desc=desc, unit=unit, file=sys.stderr,
        disable=not enabled(), dynamic_ncols=True, leave=False,
    )
