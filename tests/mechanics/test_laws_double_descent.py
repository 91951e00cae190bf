"""``theory.laws.double_descent`` against independent computations: double descent: published
values and simulated risks."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.double_descent import min_norm_risk, optimal_ridge


def test_min_norm_risk_published_values_and_simulation():
    # Hastie et al. (2022): γ = 2, r² = σ² = 1 gives 1/2 + 1 = 3/2; γ = ½ gives σ²γ/(1−γ) = 1
    assert min_norm_risk(2.0, 1.0, 1.0) == pytest.approx(1.5)
    assert min_norm_risk(0.5, 1.0, 1.0) == pytest.approx(1.0)
    assert np.isinf(min_norm_risk(1.0))
    from learnmech.mechanics.entries.double_descent import _risks

    mn, _ = _risks(200, 400, 1.0, 0.5, 30, np.random.default_rng(0))
    assert mn.mean() == pytest.approx(min_norm_risk(2.0, 1.0, 0.5), rel=0.08)


def test_optimal_ridge_minimises_the_simulated_risk():
    from learnmech.mechanics.entries.double_descent import _risks

    rng = np.random.default_rng(3)
    n, p, r2, noise = 100, 150, 1.0, 0.5
    X = rng.standard_normal((40, n, p))
    beta = rng.standard_normal((40, p))
    beta *= np.sqrt(r2) / np.linalg.norm(beta, axis=1, keepdims=True)
    y = np.einsum("snp,sp->sn", X, beta) + np.sqrt(noise) * rng.standard_normal((40, n))

    def risk(lam):
        K = X @ X.transpose(0, 2, 1) + n * lam * np.eye(n)
        b = np.einsum("snp,sn->sp", X, np.linalg.solve(K, y[..., None])[..., 0])
        return np.mean(np.sum((b - beta) ** 2, axis=1))

    star = optimal_ridge(p / n, r2, noise)
    assert risk(star) <= min(risk(star / 3), risk(star * 3))
    assert _risks(n, p, r2, noise, 2, rng)[1].shape == (2,)


def test_finite_n_risk_against_simulation_and_its_limit():
    """The exact finite-n mean (inverse-Wishart traces) against 400 simulated draws at n = 40,
    each side of the threshold, and its n → ∞ limit."""
    from learnmech.mechanics.entries.double_descent import _risks
    from learnmech.theory.laws.double_descent import min_norm_risk_finite

    rng = np.random.default_rng(5)
    for p in (20, 80):
        mn, _ = _risks(40, p, 1.0, 0.5, 400, rng)
        exact = min_norm_risk_finite(40, p, 1.0, 0.5)
        assert abs(mn.mean() - exact) < 3 * mn.std(ddof=1) / np.sqrt(400)
        assert exact > min_norm_risk(p / 40, 1.0, 0.5)  # finite n is above the limit
    big = min_norm_risk_finite(10 ** 7, [5 * 10 ** 6, 2 * 10 ** 7], 1.0, 0.5)
    assert big == pytest.approx(min_norm_risk([0.5, 2.0], 1.0, 0.5), rel=1e-5)
    assert np.isinf(min_norm_risk_finite(40, 40))
