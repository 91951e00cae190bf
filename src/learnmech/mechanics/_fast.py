"""Numba kernels for measurements that need millions of tiny steps (compiled on first use)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=False)
def logistic_gd_cosines(Z, direction, lr, records):  # pragma: no cover - compiled
    """GD on L(w) = (1/n) Σ_i log(1 + exp(−z_iᵀw)) from w = 0 (rows z_i = y_i x_i, (n, d)).

    Returns cos(w(t), direction) at each step in ``records`` (sorted, int64); ``direction`` is
    a unit vector of shape (d,).
    """
    n, d = Z.shape
    w = np.zeros(d)
    grad = np.zeros(d)
    out = np.empty(len(records))
    r = 0
    step = 0
    last = records[-1]
    while step <= last:
        while r < len(records) and records[r] == step:
            norm = np.sqrt(np.sum(w * w))
            out[r] = np.sum(w * direction) / norm if norm > 0 else 0.0
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
