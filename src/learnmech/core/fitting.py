"""Small fits shared by experiments (numpy imported inside)."""

from __future__ import annotations

__all__ = ["log_slope"]


def log_slope(xs, ys) -> float | None:
    """Least-squares slope of log y against log x over the pairs with a positive finite y.

    None when fewer than two pairs qualify (a time that was never reached is None).
    """
    import numpy as np

    pairs = [(x, y) for x, y in zip(xs, ys, strict=True)
             if y is not None and np.isfinite(y) and y > 0]
    if len(pairs) < 2:
        return None
    return float(np.polyfit(np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs]), 1)[0])
