"""Helper G's prediction functions (``theory.laws_g``) against independent computations:
brute-force simulation, closed forms at special points."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.theory import laws_g


@pytest.fixture(autouse=True)
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


# --------------------------------------------------------------------------- critical batch


def test_simple_noise_scale_is_the_batch_gradient_variance_over_the_squared_mean():
    """E‖ĝ_B − G‖² = tr Σ / B for B examples drawn with replacement (simulated), so
    B_simple = the batch size at which the noise power equals ‖G‖²."""
    rng = np.random.default_rng(0)
    g = rng.standard_normal((400, 6)) * 3 + np.array([1.0, -2, 0.5, 0, 0, 1])
    b_simple = laws_g.simple_noise_scale(g)
    G = g.mean(0)
    B = 5
    draws = g[rng.integers(0, len(g), size=(40_000, B))].mean(axis=1)  # (draws, p)
    noise = ((draws - G) ** 2).sum(1).mean()
    assert noise * B / (G @ G) == pytest.approx(b_simple, rel=0.02)
    # two examples (1, 0) and (3, 0): G = (2, 0), Σ = diag(1, 0)
    assert laws_g.gradient_noise_moments([[1.0, 0.0], [3.0, 0.0]]) == pytest.approx((1.0, 4.0))


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
    eps_opt, gain_opt, b_noise = laws_g.optimal_step_improvement(B, G, H, sigma)
    ghat = G + rng.multivariate_normal(np.zeros(p), sigma / B, size=200_000)  # (draws, p)
    steps = np.linspace(0.2, 1.8, 81) * eps_opt
    # L(θ − εĝ) − L(θ) = −εGᵀĝ + ½ε² ĝᵀHĝ, averaged over draws
    lin = (ghat @ G).mean()
    quad = np.einsum("ij,jk,ik->i", ghat, H, ghat).mean()
    gains = steps * lin - 0.5 * steps ** 2 * quad
    assert steps[np.argmax(gains)] == pytest.approx(eps_opt, rel=0.03)
    assert gains.max() == pytest.approx(gain_opt, rel=0.02)
    assert b_noise == pytest.approx(np.trace(H @ sigma) / (G @ H @ G), rel=1e-12)
    _, _, b_iso = laws_g.optimal_step_improvement(B, G, 2.5 * np.eye(p), sigma)
    assert b_iso == pytest.approx(np.trace(sigma) / (G @ G), rel=1e-12)


def test_fit_critical_batch_recovers_a_tradeoff_and_its_examples_form():
    b = np.array([4, 8, 16, 32, 64, 128.0])
    s = laws_g.critical_batch_steps(b, 50.0, 24.0)
    s_min, b_crit = laws_g.fit_critical_batch(b, s)
    assert (s_min, b_crit) == pytest.approx((50.0, 24.0), rel=1e-10)
    # E = B·S = E_min (1 + B/B_crit), E_min = S_min B_crit: the same curve
    np.testing.assert_allclose(b * s, 50 * 24 * (1 + b / 24), rtol=1e-12)
    assert laws_g.critical_batch_steps(24.0, 50.0, 24.0) == pytest.approx(100.0)


# --------------------------------------------------------------------------- robust samples


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
    assert laws_g.linear_robust_accuracy(w, theta, sigma, eps) == pytest.approx(measured,
                                                                                abs=0.008)


def test_gaussian_robust_accuracy_is_the_large_d_limit_of_the_averaged_classifier():
    rng = np.random.default_rng(3)
    d, n, sigma, eps = 20_000, 4, 3.0, 0.4
    theta = rng.choice((-1.0, 1.0), d)
    accs = [laws_g.linear_robust_accuracy(theta + sigma / np.sqrt(n) * rng.standard_normal(d),
                                          theta, sigma, eps) for _ in range(5)]
    assert laws_g.gaussian_robust_accuracy(d, n, sigma, eps) == pytest.approx(np.mean(accs),
                                                                              abs=0.01)
    # E|1 + τZ| at τ → 0 is 1, so with infinite data the accuracy is Φ(√d(1 − ε)/σ)
    from scipy.stats import norm

    assert laws_g.gaussian_robust_accuracy(100, 1e12, 2.0, 0.5) == pytest.approx(
        norm.cdf(10 * 0.5 / 2.0), rel=1e-9)


def test_robust_sample_size_inverts_the_accuracy_and_grows_like_sqrt_d():
    n = laws_g.robust_sample_size(4096, 0.5 * 4096 ** 0.25, 0.7, 0.75)
    assert laws_g.gaussian_robust_accuracy(4096, n, 0.5 * 4096 ** 0.25, 0.7) == pytest.approx(
        0.75, abs=1e-8)
    assert laws_g.robust_sample_size(100, 20.0, 0.9, 0.99) == float("inf")
    # asymptotically n = σ²/τ*² with ε m(τ*) = 1: with σ ∝ d^{1/4}, n ∝ √d
    ds = np.array([2.0 ** 30, 2.0 ** 34])
    ns = [laws_g.robust_sample_size(d, 0.5 * d ** 0.25, 0.7, 0.75) for d in ds]
    assert np.log(ns[1] / ns[0]) / np.log(ds[1] / ds[0]) == pytest.approx(0.5, abs=0.03)


# --------------------------------------------------------------------------- privacy


def test_gdp_delta_matches_the_privacy_loss_of_two_gaussians():
    """δ(ε) = E_P[(1 − e^{ε − L})₊] for P = N(μ, 1), Q = N(0, 1), L = log dP/dQ = μX − μ²/2
    (Monte Carlo), and gdp_mu inverts it."""
    rng = np.random.default_rng(4)
    mu, eps = 1.3, 0.8
    x = rng.standard_normal(1_000_000) + mu
    loss = mu * x - mu ** 2 / 2
    mc = np.mean(np.maximum(0.0, 1.0 - np.exp(eps - loss)))
    assert laws_g.gdp_delta(eps, mu) == pytest.approx(mc, abs=1e-3)
    assert laws_g.gdp_mu(eps, float(laws_g.gdp_delta(eps, mu))) == pytest.approx(mu, rel=1e-8)


def test_gdp_membership_bound_is_the_best_threshold_test():
    """max_t [P(N(μ,1) > t) − P(N(0,1) > t)] on a fine grid equals 2Φ(μ/2) − 1."""
    from scipy.stats import norm

    mu = 0.9
    t = np.linspace(-5, 5, 200_001)
    best = np.max(norm.sf(t - mu) - norm.sf(t))
    assert laws_g.gdp_membership_bound(mu) == pytest.approx(best, abs=1e-9)
    # and it never exceeds the (ε, δ) bound at the ε where μ-GDP is (ε, δ)-DP
    eps = 1.0
    m = laws_g.gdp_mu(eps, 1e-3)
    assert laws_g.gdp_membership_bound(m) <= laws_g.dp_generalization_bound(eps, 1e-3)


def test_dp_bound_at_epsilon_zero_is_delta():
    assert laws_g.dp_generalization_bound(0.0, 0.01) == pytest.approx(0.01)
    assert laws_g.dp_generalization_bound(np.log(2), 0.0) == pytest.approx(1.0)


# --------------------------------------------------------------------------- Hessian outliers


def test_largest_eigengap_finds_the_spikes_of_a_spiked_wishart_matrix():
    """C = 10 spikes of strength 5..14 on a Marchenko-Pastur bulk (γ = 0.25, edge 2.25): above
    the BBP threshold 1 + √γ, so the top eigenvalues separate and the gap sits after the 10th."""
    rng = np.random.default_rng(5)
    p, n, C = 200, 800, 10
    U, _ = np.linalg.qr(rng.standard_normal((p, C)))
    cov_root = np.eye(p) + U @ np.diag(np.sqrt(1 + np.arange(5.0, 5.0 + C)) - 1) @ U.T
    Z = rng.standard_normal((n, p)) @ cov_root
    eig = np.linalg.eigvalsh(Z.T @ Z / n)[::-1][:30]
    k, ratio = laws_g.largest_eigengap(eig)
    assert k == C and ratio > 1.5
    assert laws_g.largest_eigengap([4.0, 2.0, 1.9, -1.0]) == (1, 2.0)
    with pytest.raises(ValueError):
        laws_g.largest_eigengap([1.0, -1.0])
