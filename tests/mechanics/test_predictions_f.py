"""Helper F's prediction functions against independent computations (brute-force GD, direct
sums, closed forms at special points)."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.theory import laws_f


@pytest.fixture(autouse=True)
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


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
    predicted = laws_f.ntk_mode_residual(np.arange(steps + 1), coef[0], lam, lr)
    np.testing.assert_allclose(np.array(coef), predicted, rtol=1e-8, atol=1e-10)
    rate = laws_f.ntk_mode_rate(lam, lr)
    measured = -np.log(np.abs(np.array(coef)[4] / np.array(coef)[0])) / 4  # above rounding
    np.testing.assert_allclose(measured, rate, rtol=1e-8)


def test_ntk_mode_rate_is_eta_lambda_for_small_steps_and_infinite_at_one():
    assert laws_f.ntk_mode_rate(2.0, 1e-6) == pytest.approx(2e-6, rel=1e-5)
    assert laws_f.ntk_mode_rate(0.5, 1.0) == pytest.approx(np.log(2.0))
    with np.errstate(divide="ignore"):
        assert np.isinf(laws_f.ntk_mode_rate(1.0, 1.0))


def test_fitted_rates_recover_geometric_decay():
    from learnmech.mechanics.entries_f import _fit_rates

    t = np.arange(40)
    coef = np.stack([3.0 * 0.8 ** t, -2.0 * 0.95 ** t], axis=1)
    np.testing.assert_allclose(_fit_rates(t, coef, 3.0), -np.log([0.8, 0.95]), rtol=1e-10)


def test_best_lr_scaling_follows_the_readout_stability_threshold():
    """Brute force: the GD stability threshold 2/λ_max of the readout (λ_max of the readout's
    Hessian of the mean ½ squared loss, computed from actual random ReLU features) scales as
    1/N in SP and stays put in μP, as :func:`best_lr_scaling` predicts."""
    import torch

    from learnmech.mechanics.entries_f import _mup_net, _sp_net

    torch.manual_seed(0)
    x = torch.randn(200, 16)
    widths = np.array([512, 8192])
    thresholds = {}
    for name, make in (("SP", _sp_net), ("muP", _mup_net)):
        found = []
        for w in widths:
            net = make(16, int(w), 1, 0)
            with torch.no_grad():
                if name == "SP":
                    h = torch.relu(x @ net.weights[0].T)  # readout input, multiplier 1
                else:
                    h = torch.relu(net.root * (x @ net.w1.T)) / net.root  # with multiplier
            lam = torch.linalg.eigvalsh(h.double() @ h.double().T / len(x)).max().item()  # n × n
            found.append(2.0 / lam)
        thresholds[name] = np.array(found)
    for name in ("SP", "muP"):
        predicted = laws_f.best_lr_scaling(widths, widths[0], thresholds[name][0], name)
        np.testing.assert_allclose(thresholds[name], predicted, rtol=0.1)
    with pytest.raises(ValueError, match="parameterization"):
        laws_f.best_lr_scaling(widths, 1, 1.0, "ntk")


def test_power_tail_is_the_direct_sum_and_its_slope_is_the_model_exponent():
    beta = 1.6
    k = np.arange(1, 2_000_001, dtype=float)
    direct = np.sum(k[10:] ** -beta) + 2_000_000.5 ** (1 - beta) / (beta - 1)  # + integral rest
    assert laws_f.power_tail(10, beta) == pytest.approx(direct, rel=1e-6)
    N = np.array([1e4, 1e5])
    slope = np.diff(np.log(laws_f.power_tail(N, beta))) / np.diff(np.log(N))
    assert -slope[0] == pytest.approx(laws_f.tail_sum_exponent(beta), rel=1e-3)
    with pytest.raises(ValueError, match="beta"):
        laws_f.tail_sum_exponent(1.0)


def test_ols_tail_loss_matches_a_simulation_with_the_tail_features_explicit():
    """Brute force: P = 300 whitened features, the model regresses on the first N only; the
    unused features are real features here (not noise). Expected loss from the formula with the
    finite tail T = Σ_{N<k≤P} k^-β."""
    rng = np.random.default_rng(1)
    beta, noise, N, D, P, repeats = 1.6, 0.1, 5, 20, 300, 4000
    w = np.arange(1, P + 1) ** (-beta / 2)
    losses = []
    for _ in range(repeats):
        X = rng.standard_normal((D, P))
        y = X @ w + np.sqrt(noise) * rng.standard_normal(D)
        w_hat = np.linalg.lstsq(X[:, :N], y, rcond=None)[0]
        losses.append(0.5 * (noise + np.sum((w_hat - w[:N]) ** 2) + np.sum(w[N:] ** 2)))
    tail_inf = laws_f.power_tail(N, beta)
    tail_p = tail_inf - laws_f.power_tail(P, beta)
    expected = laws_f.ols_tail_loss(N, D, beta, noise) * (noise + tail_p) / (noise + tail_inf)
    sem = np.std(losses) / np.sqrt(repeats)
    assert abs(np.mean(losses) - expected) < 4 * sem
    with pytest.raises(ValueError, match="D > N"):
        laws_f.ols_tail_loss(10, 11, beta, noise)


def test_chinchilla_fit_recovers_the_parameters_of_exact_data():
    true = {"E": 1.7, "A": 400.0, "B": 900.0, "a": 0.34, "b": 0.28}
    N, D = np.meshgrid(np.geomspace(1e6, 1e8, 5), np.geomspace(1e8, 1e10, 5))
    L = laws_f.chinchilla_loss(N.ravel(), D.ravel(), **true)
    fit = laws_f.fit_chinchilla(N.ravel(), D.ravel(), L)
    for key, value in true.items():
        assert fit[key] == pytest.approx(value, rel=1e-3), key


def test_sgd_linear_scaling_keeps_the_per_epoch_drift_and_noise_of_sgd():
    """Brute force on a quadratic with Gaussian per-example gradient noise: one epoch at
    (κB, κη) moves the mean and the variance of θ like one epoch at (B, η), to first order in η
    (exactly for the mean's drift per epoch in the small-η limit)."""
    rng = np.random.default_rng(3)
    h, sigma, n, eta, B, kappa = 1.0, 2.0, 256, 0.002, 4, 4
    lr_big = laws_f.sgd_linear_scaling(eta, kappa)
    assert lr_big == pytest.approx(eta * kappa)
    finals = {}
    for lr, b in ((eta, B), (lr_big, B * kappa)):
        theta = np.full(20_000, 1.0)
        for _ in range(n // b):
            noise = rng.standard_normal((theta.size,)) * sigma / np.sqrt(b)
            theta = theta - lr * (h * theta + noise)
        finals[b] = theta
    small, big = finals[B], finals[B * kappa]
    assert big.mean() == pytest.approx(small.mean(), rel=0.01)
    assert big.var() == pytest.approx(small.var(), rel=0.05)


def test_adam_sqrt_scaling_closed_form_and_refusal():
    lr, b1, b2, eps = laws_f.adam_sqrt_scaling(1e-3, 0.99, 0.999, 1e-8, 4)
    assert (lr, b1, b2, eps) == pytest.approx((2e-3, 0.96, 0.996, 5e-9))
    assert laws_f.adam_sqrt_scaling(1e-3, 0.9, 0.99, 1e-8, 1) == pytest.approx(
        (1e-3, 0.9, 0.99, 1e-8))
    with pytest.raises(ValueError, match="β"):
        laws_f.adam_sqrt_scaling(1e-3, 0.9, 0.999, 1e-8, 16)


def test_adam_sqrt_scaling_matches_adam_moments_on_pure_noise():
    """Brute force: Adam on pure Gaussian gradient noise (the rule's regime, noise ≫ signal).
    With batch κB the per-step noise std falls by √κ; after the same number of examples the
    rescaled run's update sizes, per epoch, match the base run's (ratio of mean |Δθ| per
    example-epoch within 10 %)."""
    rng = np.random.default_rng(4)
    sigma, examples, walkers = 1.0, 4096, 4000

    def travelled(lr, b1, b2, eps, batch):
        m = v = np.zeros(walkers)
        theta = np.zeros(walkers)
        for t in range(1, examples // batch + 1):
            g = rng.standard_normal(walkers) * sigma / np.sqrt(batch)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        return theta.std()

    base = travelled(1e-3, 0.99, 0.999, 1e-8, 4)
    scaled = travelled(*laws_f.adam_sqrt_scaling(1e-3, 0.99, 0.999, 1e-8, 4), 16)
    unscaled = travelled(1e-3, 0.99, 0.999, 1e-8, 16)
    assert scaled == pytest.approx(base, rel=0.1)
    assert abs(unscaled / base - 1) > 0.3  # without the rule the walk is visibly shorter


def test_arora_gram_matches_a_monte_carlo_over_first_layer_weights():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 4))
    W = rng.standard_normal((400_000, 4))
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    act = (W @ Xn.T >= 0).astype(float)  # (m, n)
    mc = (Xn @ Xn.T) * (act.T @ act) / len(W)
    np.testing.assert_allclose(laws_f.arora_gram(X), mc, atol=4e-3)
    np.testing.assert_allclose(np.diag(laws_f.arora_gram(X)), 0.5)  # x·x (π − 0)/2π


def test_ntk_label_bound_special_points():
    y = np.array([1.0, -1, 1, 1, -1])
    assert laws_f.ntk_label_bound(np.eye(5), y) == pytest.approx(np.sqrt(2.0))
    rng = np.random.default_rng(6)
    A = rng.standard_normal((5, 5))
    H = A @ A.T + 0.1 * np.eye(5)
    lam, V = np.linalg.eigh(H)
    direct = np.sqrt(2 * np.sum((V.T @ y) ** 2 / lam) / 5)
    assert laws_f.ntk_label_bound(H, y) == pytest.approx(direct, rel=1e-10)


def test_spectral_complexity_on_identity_and_rank_one_layers():
    d = 7
    assert laws_f.spectral_complexity([np.eye(d)], 3.0, 0.5, 10) == pytest.approx(
        3.0 * d / (0.5 * 10))  # ‖I‖_σ = 1, Σ row norms = d, (d^{2/3})^{3/2} = d
    u, v = np.array([1.0, 2.0, 2.0]), np.array([0.6, 0.8])  # ‖u‖ = 3, ‖v‖ = 1
    A = np.outer(u, v)  # ‖A‖_σ = 3, row norms |u_i| → Σ = 5
    B = 2.0 * np.eye(3)  # ‖B‖_σ = 2, Σ row norms = 6
    expected = 1.0 * (3 * 2) * ((5 / 3) ** (2 / 3) + (6 / 2) ** (2 / 3)) ** 1.5 / (1.0 * 1)
    assert laws_f.spectral_complexity([A, B], 1.0, 1.0, 1) == pytest.approx(expected)
