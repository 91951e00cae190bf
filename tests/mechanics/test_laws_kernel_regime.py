"""``theory.laws.kernel_regime`` against independent computations: the kernel regime: mode rates
and residuals against GD, lazy movement, half-times."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.kernel_regime import (
    lazy_relative_change,
    mode_half_time,
    ntk_mode_rate,
    ntk_mode_residual,
)


def test_ntk_mode_residual_matches_gd_on_a_linear_model():
    """A linear model f = Φθ has the constant NTK K = ΦΦᵀ: GD on the mean ½ squared loss moves
    the residual's projection on each eigenvector of K/n exactly as c0 (1 − ηλ)^t."""
    rng = np.random.default_rng(0)
    n, p, steps = 12, 30, 25
    Phi, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    lam, V = np.linalg.eigh(Phi @ Phi.T / n)
    lr = 1.2 / lam.max()
    theta, coef = np.zeros(p), []
    for _ in range(steps + 1):
        r = Phi @ theta - y
        coef.append(V.T @ r)
        theta -= lr * Phi.T @ r / n
    predicted = ntk_mode_residual(np.arange(steps + 1), coef[0], lam, lr)
    np.testing.assert_allclose(np.array(coef), predicted, rtol=1e-8, atol=1e-10)
    rate = ntk_mode_rate(lam, lr)
    measured = -np.log(np.abs(np.array(coef)[4] / np.array(coef)[0])) / 4  # above rounding
    np.testing.assert_allclose(measured, rate, rtol=1e-8)


def test_ntk_mode_rate_is_eta_lambda_for_small_steps_and_infinite_at_one():
    assert ntk_mode_rate(2.0, 1e-6) == pytest.approx(2e-6, rel=1e-5)
    assert ntk_mode_rate(0.5, 1.0) == pytest.approx(np.log(2.0))
    with np.errstate(divide="ignore"):
        assert np.isinf(ntk_mode_rate(1.0, 1.0))


def test_fitted_rates_recover_geometric_decay():
    from learnmech.mechanics.entries.ntk_eigenmode_decay import _fit_rates

    t = np.arange(40)
    coef = np.stack([3.0 * 0.8 ** t, -2.0 * 0.95 ** t], axis=1)
    np.testing.assert_allclose(_fit_rates(t, coef, 3.0), -np.log([0.8, 0.95]), rtol=1e-10)


def test_lazy_relative_change_matches_a_brute_force_linear_net():
    """One GD step of f(x) = aᵀWx/√(N d) (NTK parameterisation, O(1) weights): the relative
    weight change at width 16N is a quarter of that at N, as N^{−1/2} says."""
    rng = np.random.default_rng(0)
    d, n = 5, 10
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)

    def change(N, reps=200):
        out = []
        for _ in range(reps):
            W, a = rng.standard_normal((N, d)), rng.standard_normal(N)
            resid = (X @ W.T @ a) / np.sqrt(N * d) - y  # (n,)
            gW = np.outer(a, resid @ X) / np.sqrt(N * d) / n  # ∂L/∂W of the mean ½ loss
            ga = W @ (X.T @ resid) / np.sqrt(N * d) / n
            step = np.sqrt(np.sum(gW ** 2) + np.sum(ga ** 2))
            out.append(step / np.sqrt(np.sum(W ** 2) + np.sum(a ** 2)))
        return np.mean(out)

    small, large = change(64), change(1024)
    assert large == pytest.approx(lazy_relative_change(1024, 64, small), rel=0.1)


def test_mode_half_time_against_iterating_the_residual():
    lr, lam = 0.6, 0.01
    r, steps = 1.0, 0
    while r > 0.5:
        r *= 1 - lr * lam
        steps += 1
    t = mode_half_time(lam, lr)
    assert steps - 1 < t <= steps
    assert mode_half_time(1e-6, 1.0) == pytest.approx(np.log(2) / 1e-6, rel=1e-5)
