"""``theory.laws.generalization_bounds`` against independent computations: generalisation bounds:
the NTK Gram against Monte Carlo, special points."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.generalization_bounds import (
    arora_gram,
    ntk_label_bound,
    spectral_complexity,
)


def test_arora_gram_matches_a_monte_carlo_over_first_layer_weights():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 4))
    W = rng.standard_normal((400_000, 4))
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    act = (W @ Xn.T >= 0).astype(float)  # (m, n)
    mc = (Xn @ Xn.T) * (act.T @ act) / len(W)
    np.testing.assert_allclose(arora_gram(X), mc, atol=4e-3)
    np.testing.assert_allclose(np.diag(arora_gram(X)), 0.5)  # x·x (π − 0)/2π


def test_ntk_label_bound_special_points():
    y = np.array([1.0, -1, 1, 1, -1])
    assert ntk_label_bound(np.eye(5), y) == pytest.approx(np.sqrt(2.0))
    rng = np.random.default_rng(6)
    A = rng.standard_normal((5, 5))
    H = A @ A.T + 0.1 * np.eye(5)
    lam, V = np.linalg.eigh(H)
    direct = np.sqrt(2 * np.sum((V.T @ y) ** 2 / lam) / 5)
    assert ntk_label_bound(H, y) == pytest.approx(direct, rel=1e-10)


def test_spectral_complexity_on_identity_and_rank_one_layers():
    d = 7
    assert spectral_complexity([np.eye(d)], 3.0, 0.5, 10) == pytest.approx(
        3.0 * d / (0.5 * 10))  # ‖I‖_σ = 1, Σ row norms = d, (d^{2/3})^{3/2} = d
    u, v = np.array([1.0, 2.0, 2.0]), np.array([0.6, 0.8])  # ‖u‖ = 3, ‖v‖ = 1
    A = np.outer(u, v)  # ‖A‖_σ = 3, row norms |u_i| → Σ = 5
    B = 2.0 * np.eye(3)  # ‖B‖_σ = 2, Σ row norms = 6
    expected = 1.0 * (3 * 2) * ((5 / 3) ** (2 / 3) + (6 / 2) ** (2 / 3)) ** 1.5 / (1.0 * 1)
    assert spectral_complexity([A, B], 1.0, 1.0, 1) == pytest.approx(expected)
