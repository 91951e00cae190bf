"""Gradient descent on the mean logistic loss from w = 0, compiled (numba, on first use).

The ``max-margin-bias`` entry follows w(t) over 10⁶ steps on a few dozen points: a numba loop
takes well under a second, where the network lens's loop would spend minutes in per-step
overhead. numba loads with this module: import it inside the function that needs it.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["logistic_gd_angles", "logistic_gd_weights"]


@numba.njit(cache=False)
def _logistic_gd_weights(Z, lr, records):  # pragma: no cover - compiled
    """GD on L(w) = (1/n) Σ_i log(1 + exp(−z_iᵀw)) from w = 0 (rows z_i = y_i x_i, (n, d)).

    Returns w at each step in ``records`` (sorted, int64), shape (len(records), d).
    """
    n, d = Z.shape
    w = np.zeros(d)
    grad = np.zeros(d)
    out = np.empty((len(records), d))
    r = 0
    step = 0
    last = records[-1]
    while step <= last:
        while r < len(records) and records[r] == step:
            out[r] = w
            r += 1
        if step == last:
            break
        grad[:] = 0.0
        for i in range(n):
            m = 0.0
            for j in range(d):
                m += Z[i, j] * w[j]
            # d/dm log(1 + e^{−m}) = −1/(1 + e^{m})
            if m > 0:
                e = np.exp(-m)
                coef = e / (1.0 + e)
            else:
                coef = 1.0 / (1.0 + np.exp(m))
            for j in range(d):
                grad[j] -= coef * Z[i, j]
        for j in range(d):
            w[j] -= lr * grad[j] / n
        step += 1
    return out


def logistic_gd_weights(X, y, *, lr: float, records):
    """GD on the mean logistic loss from w = 0; w(t) at ``records``, shape (len(records), d).

    ``X`` (n, d), labels ``y`` (n,) of ±1, ``records`` sorted step counts.
    """
    Z = np.ascontiguousarray(X * y[:, None], dtype=np.float64)
    return _logistic_gd_weights(Z, float(lr), np.asarray(records, np.int64))


def logistic_gd_angles(X, y, direction, *, lr: float, records):
    """GD on the mean logistic loss from w = 0; angle (radians) to ``direction`` (a unit vector
    of shape (d,)) at ``records``, shape (len(records),)."""
    W = logistic_gd_weights(X, y, lr=lr, records=records)
    norms = np.linalg.norm(W, axis=1)
    cos = np.where(norms > 0, W @ np.asarray(direction, float) / np.where(norms > 0, norms, 1),
                   0.0)
    return np.arccos(np.clip(cos, -1.0, 1.0))
