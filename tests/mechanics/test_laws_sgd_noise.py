"""``theory.laws.sgd_noise`` against independent computations: SGD noise: the stationary excess
loss against simulation, the noise scale and the critical batch."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.sgd_noise import (
    critical_batch_steps,
    fit_critical_batch,
    gradient_noise_moments,
    optimal_step_improvement,
    sgd_stationary_excess,
    sgd_stationary_excess_leading,
    simple_noise_scale,
)


def test_sgd_stationary_excess_against_simulation_and_its_leading_order():
    from learnmech.mechanics.entries.sgd_stationary_noise import _online_sgd

    h = np.array([0.5, 1.0, 2.0])
    lr, batch, noise = 0.1, 2, 1.0
    full = sgd_stationary_excess(h, lr, batch, noise)
    measured, se = _online_sgd(h, lr, batch, noise, chains=400, burn=200, steps=2000,
                               rng=np.random.default_rng(0))
    assert abs(measured - full) < 4 * se + 0.01 * full
    # one dimension in closed form: s (2ηh − η²h² − 2η²h²/B) = η²σ²h/B
    h1 = np.array([1.3])
    s = lr ** 2 * noise * h1[0] / batch / (2 * lr * h1[0] - lr ** 2 * h1[0] ** 2
                                          - 2 * lr ** 2 * h1[0] ** 2 / batch)
    assert sgd_stationary_excess(h1, lr, batch, noise) == pytest.approx(0.5 * h1[0] * s)
    small = sgd_stationary_excess(h, 1e-5, batch, noise)
    assert small == pytest.approx(sgd_stationary_excess_leading(h, 1e-5, batch, noise),
                                  rel=1e-4)
    assert sgd_stationary_excess(h, 1.5, 1, noise) == np.inf  # unstable


def test_simple_noise_scale_is_the_batch_gradient_variance_over_the_squared_mean():
    """E‖ĝ_B − G‖² = tr Σ / B for B examples drawn with replacement (simulated), so
    B_simple = the batch size at which the noise power equals ‖G‖²."""
    rng = np.random.default_rng(0)
    g = rng.standard_normal((400, 6)) * 3 + np.array([1.0, -2, 0.5, 0, 0, 1])
    b_simple = simple_noise_scale(g)
    G = g.mean(0)
    B = 5
    draws = g[rng.integers(0, len(g), size=(40_000, B))].mean(axis=1)  # (draws, p)
    noise = ((draws - G) ** 2).sum(1).mean()
    assert noise * B / (G @ G) == pytest.approx(b_simple, rel=0.02)
    # two examples (1, 0) and (3, 0): G = (2, 0), Σ = diag(1, 0)
    assert gradient_noise_moments([[1.0, 0.0], [3.0, 0.0]]) == pytest.approx((1.0, 4.0))


def test_optimal_step_matches_brute_force_expected_improvement():
    """Monte Carlo of the quadratic's improvement over a grid of steps: the best ε and its gain
    agree with the closed form, and B_noise = tr Σ/‖G‖² when H ∝ I."""
    rng = np.random.default_rng(1)
    p, B = 4, 3
    A = rng.standard_normal((p, p))
    H = A @ A.T + np.eye(p)
    S = rng.standard_normal((p, p))
    sigma = S @ S.T
    G = rng.standard_normal(p)
    eps_opt, gain_opt, b_noise = optimal_step_improvement(B, G, H, sigma)
    ghat = G + rng.multivariate_normal(np.zeros(p), sigma / B, size=200_000)  # (draws, p)
    steps = np.linspace(0.2, 1.8, 81) * eps_opt
    # L(θ − εĝ) − L(θ) = −εGᵀĝ + ½ε² ĝᵀHĝ, averaged over draws
    lin = (ghat @ G).mean()
    quad = np.einsum("ij,jk,ik->i", ghat, H, ghat).mean()
    gains = steps * lin - 0.5 * steps ** 2 * quad
    assert steps[np.argmax(gains)] == pytest.approx(eps_opt, rel=0.03)
    assert gains.max() == pytest.approx(gain_opt, rel=0.02)
    assert b_noise == pytest.approx(np.trace(H @ sigma) / (G @ H @ G), rel=1e-12)
    _, _, b_iso = optimal_step_improvement(B, G, 2.5 * np.eye(p), sigma)
    assert b_iso == pytest.approx(np.trace(sigma) / (G @ G), rel=1e-12)


def test_fit_critical_batch_recovers_a_tradeoff_and_its_examples_form():
    b = np.array([4, 8, 16, 32, 64, 128.0])
    s = critical_batch_steps(b, 50.0, 24.0)
    s_min, b_crit = fit_critical_batch(b, s)
    assert (s_min, b_crit) == pytest.approx((50.0, 24.0), rel=1e-10)
    # E = B·S = E_min (1 + B/B_crit), E_min = S_min B_crit: the same curve
    np.testing.assert_allclose(b * s, 50 * 24 * (1 + b / 24), rtol=1e-12)
    assert critical_batch_steps(24.0, 50.0, 24.0) == pytest.approx(100.0)
