"""Every prediction function of the catalogue against an independent computation: a closed form
at a special point, a brute-force simulation, or a published number."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.theory import dynamics, laws


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """One BLAS thread: small matrices, a shared machine (many threads thrash)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

# --------------------------------------------------------------------------- solvable dynamics


def test_deep_linear_mode_solves_its_ode():
    from scipy.integrate import solve_ivp

    s, a0 = 1.7, 1e-3
    t = np.linspace(0, 6, 50)
    ode = solve_ivp(lambda _, a: 2 * a * (s - a), (0, 6), [a0], t_eval=t, rtol=1e-10,
                    atol=1e-12)
    np.testing.assert_allclose(dynamics.deep_linear_mode(t, s, a0), ode.y[0], rtol=1e-6)
    half = dynamics.deep_linear_half_time(s, a0)
    assert dynamics.deep_linear_mode(half, s, a0) == pytest.approx(s / 2, rel=1e-12)


def test_balanced_strength_is_exact_for_an_aligned_start_and_matches_small_random_gd():
    from learnmech.mechanics.solvable import _deep_linear_gd, _task

    rng = np.random.default_rng(0)
    s = np.array([2.0, 1.0])
    U, V, syx = _task(rng, s, 5, 5)
    q = np.zeros(8)
    q[3] = 1.0
    a0 = 0.01
    W1, W2 = np.sqrt(a0) * np.outer(q, V[:, 0]), np.sqrt(a0) * np.outer(U[:, 0], q)
    assert dynamics.balanced_mode_strength(W1, W2, U[:, 0], V[:, 0]) == pytest.approx(a0)
    # small random start: in the linear phase a_k(t) ≈ a0_eff e^{2 s_k t}
    W1, W2 = 1e-6 * rng.standard_normal((8, 5)), 1e-6 * rng.standard_normal((5, 8))
    lr, steps = 1e-3, 3000
    strengths, _, _ = _deep_linear_gd(W1, W2, syx, lr=lr, steps=steps, U=U, V=V)
    t = lr * steps
    for k in range(2):
        a_eff = dynamics.balanced_mode_strength(W1, W2, U[:, k], V[:, k])
        growth = (1 + lr * s[k]) ** (2 * steps)  # the discrete e^{2 s t}
        assert strengths[-1, k] / growth == pytest.approx(a_eff, rel=0.05), (k, t)


def test_plateau_slope_is_the_derivative_of_the_half_time():
    s = np.array([0.5, 3.0])
    x1, x2 = 20.0, 21.0  # ln(1/a0)
    slope = (dynamics.deep_linear_half_time(s, np.exp(-x2))
             - dynamics.deep_linear_half_time(s, np.exp(-x1))) / (x2 - x1)
    np.testing.assert_allclose(slope, dynamics.plateau_slope(s), rtol=1e-6)


def test_conserved_decay_matches_gradient_flow_with_weight_decay():
    from learnmech.mechanics.solvable import _deep_linear_gd, _task

    rng = np.random.default_rng(1)
    U, V, syx = _task(rng, np.array([1.0, 0.5]), 4, 4)
    W1, W2 = rng.standard_normal((6, 4)), 0.3 * rng.standard_normal((4, 6))
    lam, lr, steps = 0.1, 1e-4, 20_000
    _, V1, V2 = _deep_linear_gd(W1, W2, syx, lr=lr, steps=steps, U=U, V=V, wd=lam)
    D0, DT = W2.T @ W2 - W1 @ W1.T, V2.T @ V2 - V1 @ V1.T
    np.testing.assert_allclose(DT, dynamics.conserved_decay(lr * steps, lam) * D0, atol=2e-3)


def test_edge_of_stability_threshold_on_a_quadratic():
    lr = 0.3
    threshold = dynamics.edge_of_stability_threshold(lr)
    for h, stable in ((0.99 * threshold, True), (1.01 * threshold, False)):
        x = 1.0
        for _ in range(2000):
            x -= lr * h * x
        assert bool(abs(x) < 1.0) == stable


def test_sgd_stationary_excess_against_simulation_and_its_leading_order():
    from learnmech.mechanics.optimisation import _online_sgd

    h = np.array([0.5, 1.0, 2.0])
    lr, batch, noise = 0.1, 2, 1.0
    full = dynamics.sgd_stationary_excess(h, lr, batch, noise)
    measured, se = _online_sgd(h, lr, batch, noise, chains=400, burn=200, steps=2000,
                               rng=np.random.default_rng(0))
    assert abs(measured - full) < 4 * se + 0.01 * full
    # one dimension in closed form: s (2ηh − η²h² − 2η²h²/B) = η²σ²h/B
    h1 = np.array([1.3])
    s = lr ** 2 * noise * h1[0] / batch / (2 * lr * h1[0] - lr ** 2 * h1[0] ** 2
                                          - 2 * lr ** 2 * h1[0] ** 2 / batch)
    assert dynamics.sgd_stationary_excess(h1, lr, batch, noise) == pytest.approx(0.5 * h1[0] * s)
    small = dynamics.sgd_stationary_excess(h, 1e-5, batch, noise)
    assert small == pytest.approx(dynamics.sgd_stationary_excess_leading(h, 1e-5, batch, noise),
                                  rel=1e-4)
    assert dynamics.sgd_stationary_excess(h, 1.5, 1, noise) == np.inf  # unstable


# --------------------------------------------------------------------------- laws


def test_min_norm_risk_published_values_and_simulation():
    # Hastie et al. (2022): γ = 2, r² = σ² = 1 gives 1/2 + 1 = 3/2; γ = ½ gives σ²γ/(1−γ) = 1
    assert laws.min_norm_risk(2.0, 1.0, 1.0) == pytest.approx(1.5)
    assert laws.min_norm_risk(0.5, 1.0, 1.0) == pytest.approx(1.0)
    assert np.isinf(laws.min_norm_risk(1.0))
    from learnmech.mechanics.limits import _risks

    mn, _ = _risks(200, 400, 1.0, 0.5, 30, np.random.default_rng(0))
    assert mn.mean() == pytest.approx(laws.min_norm_risk(2.0, 1.0, 0.5), rel=0.08)


def test_optimal_ridge_minimises_the_simulated_risk():
    from learnmech.mechanics.limits import _risks

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

    star = laws.optimal_ridge(p / n, r2, noise)
    assert risk(star) <= min(risk(star / 3), risk(star * 3))
    assert _risks(n, p, r2, noise, 2, rng)[1].shape == (2,)


def test_signal_propagation_matches_gauss_hermite_maps():
    sw2, sb2, d = 2.0, 0.1, 7
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(d), rng.standard_normal(d)
    q1, q2, c = laws.signal_propagation(x1, x2, depth=4, activation="tanh", sigma_w2=sw2,
                                        sigma_b2=sb2)
    z, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / w.sum()
    qa, qb = sw2 * x1 @ x1 / d + sb2, sw2 * x2 @ x2 / d + sb2
    cov = sw2 * x1 @ x2 / d + sb2
    for layer in range(4):
        # (the kernel's own quadrature is accurate to about 1e-6)
        assert q1[layer] == pytest.approx(qa, rel=1e-5) and q2[layer] == pytest.approx(qb,
                                                                                      rel=1e-5)
        assert c[layer] == pytest.approx(cov / np.sqrt(qa * qb), abs=1e-5)
        # next layer: 2-d Gauss–Hermite over (u1, u2) with the current covariance
        rho = cov / np.sqrt(qa * qb)
        u1 = np.sqrt(qa) * z[:, None]
        u2 = np.sqrt(qb) * (rho * z[:, None] + np.sqrt(1 - rho ** 2) * z[None, :])
        ww = w[:, None] * w[None, :]
        qa, qb = (sw2 * np.sum(w * np.tanh(np.sqrt(q) * z) ** 2) + sb2 for q in (qa, qb))
        cov = sw2 * np.sum(ww * np.tanh(u1) * np.tanh(u2)) + sb2


def test_chi1_closed_forms():
    assert laws.chi1(0.7, activation="relu", sigma_w2=2.0) == pytest.approx(1.0)
    assert laws.chi1(3.0, activation="linear", sigma_w2=1.3) == pytest.approx(1.3)
    assert laws.chi1(1e-8, activation="tanh", sigma_w2=0.8) == pytest.approx(0.8, rel=1e-6)
    with pytest.raises(ValueError, match="activation"):
        laws.chi1(1.0, activation="gelu")


def test_relu_log_norm_variance_against_monte_carlo():
    rng = np.random.default_rng(0)
    n = 16
    g = rng.standard_normal((200_000, n))
    R = 2.0 / n * np.sum(np.maximum(g, 0) ** 2, axis=1)
    assert R.var() == pytest.approx(5.0 / n, rel=0.02)  # the first-order law's Var R
    R = R[R > 0]
    assert np.log(R).var() == pytest.approx(laws.relu_log_norm_variance_exact(1, n), rel=0.02)
    big = 4096
    assert big * laws.relu_log_norm_variance_exact(1, big) == pytest.approx(5.0, rel=0.01)
    assert laws.relu_log_norm_variance(10, 50) == pytest.approx(1.0)


def test_hard_margin_direction_against_a_brute_force_angle_scan():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 2))
    w_true = np.array([np.cos(0.7), np.sin(0.7)])
    keep = np.abs(X @ w_true) > 0.2
    X = X[keep]
    y = np.sign(X @ w_true)
    direction, alpha = laws.hard_margin_direction(X, y)
    angles = np.linspace(0, 2 * np.pi, 200_001)
    W = np.stack([np.cos(angles), np.sin(angles)], 1)
    best = W[np.argmax(np.min((X * y[:, None]) @ W.T, axis=0))]
    assert np.arccos(np.clip(best @ direction, -1, 1)) < 1e-4
    assert np.all(alpha >= 0)
    with pytest.raises(ValueError, match="separable"):
        laws.hard_margin_direction(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([1.0, -1.0]))


def test_simplex_etf_gram_is_what_the_collapse_probe_calls_zero():
    from learnmech.probes.collapse import neural_collapse

    C = 5
    G = laws.simplex_etf_gram(C)
    off = G[~np.eye(C, dtype=bool)]
    np.testing.assert_allclose(np.diag(G), 1.0)
    np.testing.assert_allclose(off, -1.0 / (C - 1))
    vals, vecs = np.linalg.eigh(G)
    means = vecs[:, 1:] * np.sqrt(vals[1:])  # (C, C−1) rows with Gram G
    labels = np.repeat(np.arange(C), 3)
    out = neural_collapse(means[labels], labels, means)
    assert out["nc1"] < 1e-20 and out["nc2"] < 1e-10 and out["nc3"] < 1e-10 and out["nc4"] == 0


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
    assert large == pytest.approx(dynamics.lazy_relative_change(1024, 64, small), rel=0.1)


def test_mode_half_time_against_iterating_the_residual():
    lr, lam = 0.6, 0.01
    r, steps = 1.0, 0
    while r > 0.5:
        r *= 1 - lr * lam
        steps += 1
    t = dynamics.mode_half_time(lam, lr)
    assert steps - 1 < t <= steps
    assert dynamics.mode_half_time(1e-6, 1.0) == pytest.approx(np.log(2) / 1e-6, rel=1e-5)


def test_catapult_boundary_separates_monotone_from_growing_loss_on_a_quadratic():
    lam0 = 1.7
    eta = dynamics.catapult_boundary(lam0)
    for ratio, grows in ((0.98, False), (1.02, True)):
        x, losses = 1.0, []
        for _ in range(300):
            x -= ratio * eta * lam0 * x  # GD on ½ λ₀ x²
            losses.append(0.5 * lam0 * x * x)
        assert bool(max(losses) > 0.5 * lam0) == grows
