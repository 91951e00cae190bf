"""``theory.laws.privacy`` against independent computations: privacy: δ(ε) against the privacy
loss, the membership bound, ε = 0."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.privacy import (
    dp_generalization_bound,
    gdp_delta,
    gdp_membership_bound,
    gdp_mu,
)


def test_gdp_delta_matches_the_privacy_loss_of_two_gaussians():
    """δ(ε) = E_P[(1 − e^{ε − L})₊] for P = N(μ, 1), Q = N(0, 1), L = log dP/dQ = μX − μ²/2
    (Monte Carlo), and gdp_mu inverts it."""
    rng = np.random.default_rng(4)
    mu, eps = 1.3, 0.8
    x = rng.standard_normal(1_000_000) + mu
    loss = mu * x - mu ** 2 / 2
    mc = np.mean(np.maximum(0.0, 1.0 - np.exp(eps - loss)))
    assert gdp_delta(eps, mu) == pytest.approx(mc, abs=1e-3)
    assert gdp_mu(eps, float(gdp_delta(eps, mu))) == pytest.approx(mu, rel=1e-8)


def test_gdp_membership_bound_is_the_best_threshold_test():
    """max_t [P(N(μ,1) > t) − P(N(0,1) > t)] on a fine grid equals 2Φ(μ/2) − 1."""
    from scipy.stats import norm

    mu = 0.9
    t = np.linspace(-5, 5, 200_001)
    best = np.max(norm.sf(t - mu) - norm.sf(t))
    assert gdp_membership_bound(mu) == pytest.approx(best, abs=1e-9)
    # and it never exceeds the (ε, δ) bound at the ε where μ-GDP is (ε, δ)-DP
    eps = 1.0
    m = gdp_mu(eps, 1e-3)
    assert gdp_membership_bound(m) <= dp_generalization_bound(eps, 1e-3)


def test_dp_bound_at_epsilon_zero_is_delta():
    assert dp_generalization_bound(0.0, 0.01) == pytest.approx(0.01)
    assert dp_generalization_bound(np.log(2), 0.0) == pytest.approx(1.0)
