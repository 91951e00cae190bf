"""``theory.laws.curvature`` against independent computations: the Hessian laws: 2/η and the
catapult boundary on quadratics, reparametrised sharpness, the eigengap of a spiked matrix."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.curvature import (
    catapult_boundary,
    edge_of_stability_threshold,
    largest_eigengap,
    rescaled_sharpness,
)


def test_edge_of_stability_threshold_on_a_quadratic():
    lr = 0.3
    threshold = edge_of_stability_threshold(lr)
    for h, stable in ((0.99 * threshold, True), (1.01 * threshold, False)):
        x = 1.0
        for _ in range(2000):
            x -= lr * h * x
        assert bool(abs(x) < 1.0) == stable


def test_catapult_boundary_separates_monotone_from_growing_loss_on_a_quadratic():
    lam0 = 1.7
    eta = catapult_boundary(lam0)
    for ratio, grows in ((0.98, False), (1.02, True)):
        x, losses = 1.0, []
        for _ in range(300):
            x -= ratio * eta * lam0 * x  # GD on ½ λ₀ x²
            losses.append(0.5 * lam0 * x * x)
        assert bool(max(losses) > 0.5 * lam0) == grows


def test_rescaled_sharpness_bounds_the_block_matrix():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 7))
    H = A @ A.T
    h11 = np.linalg.eigvalsh(H[:3, :3])[-1]
    h22 = np.linalg.eigvalsh(H[3:, 3:])[-1]
    for c in (0.01, 0.3, 1.0, 5.0, 100.0):
        S = np.diag([c ** -1] * 3 + [c] * 4)  # the Hessian of the rescaled net: S H S
        top = np.linalg.eigvalsh(S @ H @ S)[-1]
        bound = rescaled_sharpness(c, h11, h22)
        assert top >= bound - 1e-9
        if c in (0.01, 100.0):
            assert top == pytest.approx(bound, rel=1e-3)


def test_largest_eigengap_finds_the_spikes_of_a_spiked_wishart_matrix():
    """C = 10 spikes of strength 5..14 on a Marchenko-Pastur bulk (γ = 0.25, edge 2.25): above
    the BBP threshold 1 + √γ, so the top eigenvalues separate and the gap sits after the 10th."""
    rng = np.random.default_rng(5)
    p, n, C = 200, 800, 10
    U, _ = np.linalg.qr(rng.standard_normal((p, C)))
    cov_root = np.eye(p) + U @ np.diag(np.sqrt(1 + np.arange(5.0, 5.0 + C)) - 1) @ U.T
    Z = rng.standard_normal((n, p)) @ cov_root
    eig = np.linalg.eigvalsh(Z.T @ Z / n)[::-1][:30]
    k, ratio = largest_eigengap(eig)
    assert k == C and ratio > 1.5
    assert largest_eigengap([4.0, 2.0, 1.9, -1.0]) == (1, 2.0)
    with pytest.raises(ValueError):
        largest_eigengap([1.0, -1.0])
