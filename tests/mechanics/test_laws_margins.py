"""``theory.laws.margins`` against independent computations: the hard-margin direction against a
brute-force scan."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.margins import hard_margin_direction


def test_hard_margin_direction_against_a_brute_force_angle_scan():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 2))
    w_true = np.array([np.cos(0.7), np.sin(0.7)])
    keep = np.abs(X @ w_true) > 0.2
    X = X[keep]
    y = np.sign(X @ w_true)
    direction, alpha = hard_margin_direction(X, y)
    angles = np.linspace(0, 2 * np.pi, 200_001)
    W = np.stack([np.cos(angles), np.sin(angles)], 1)
    best = W[np.argmax(np.min((X * y[:, None]) @ W.T, axis=0))]
    assert np.arccos(np.clip(best @ direction, -1, 1)) < 1e-4
    assert np.all(alpha >= 0)
    with pytest.raises(ValueError, match="separable"):
        hard_margin_direction(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([1.0, -1.0]))
