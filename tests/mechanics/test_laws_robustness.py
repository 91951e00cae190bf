"""``theory.laws.robustness`` against independent computations: robust accuracy: attacked samples,
the large-d limit, the sample size."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.robustness import (
    gaussian_robust_accuracy,
    linear_robust_accuracy,
    robust_sample_size,
)


def test_linear_robust_accuracy_matches_attacked_samples():
    """The exact worst ℓ∞ attack on sign(wᵀx) is x − yε sign(w): simulate it."""
    rng = np.random.default_rng(2)
    d, sigma, eps = 50, 2.0, 0.3
    theta = rng.choice((-1.0, 1.0), d)
    w = theta + rng.standard_normal(d)
    y = rng.choice((-1.0, 1.0), 60_000)
    x = y[:, None] * theta + sigma * rng.standard_normal((len(y), d))
    attacked = x - eps * y[:, None] * np.sign(w)
    measured = np.mean(np.sign(attacked @ w) == y)
    assert linear_robust_accuracy(w, theta, sigma, eps) == pytest.approx(measured,
                                                                                abs=0.008)


def test_gaussian_robust_accuracy_is_the_large_d_limit_of_the_averaged_classifier():
    rng = np.random.default_rng(3)
    d, n, sigma, eps = 20_000, 4, 3.0, 0.4
    theta = rng.choice((-1.0, 1.0), d)
    accs = [linear_robust_accuracy(theta + sigma / np.sqrt(n) * rng.standard_normal(d),
                                          theta, sigma, eps) for _ in range(5)]
    assert gaussian_robust_accuracy(d, n, sigma, eps) == pytest.approx(np.mean(accs),
                                                                              abs=0.01)
    # E|1 + τZ| at τ → 0 is 1, so with infinite data the accuracy is Φ(√d(1 − ε)/σ)
    from scipy.stats import norm

    assert gaussian_robust_accuracy(100, 1e12, 2.0, 0.5) == pytest.approx(
        norm.cdf(10 * 0.5 / 2.0), rel=1e-9)


def test_robust_sample_size_inverts_the_accuracy_and_grows_like_sqrt_d():
    n = robust_sample_size(4096, 0.5 * 4096 ** 0.25, 0.7, 0.75)
    assert gaussian_robust_accuracy(4096, n, 0.5 * 4096 ** 0.25, 0.7) == pytest.approx(
        0.75, abs=1e-8)
    assert robust_sample_size(100, 20.0, 0.9, 0.99) == float("inf")
    # asymptotically n = σ²/τ*² with ε m(τ*) = 1: with σ ∝ d^{1/4}, n ∝ √d
    ds = np.array([2.0 ** 30, 2.0 ** 34])
    ns = [robust_sample_size(d, 0.5 * d ** 0.25, 0.7, 0.75) for d in ds]
    assert np.log(ns[1] / ns[0]) / np.log(ds[1] / ds[0]) == pytest.approx(0.5, abs=0.03)
