"""Predictions at time t and Bayesian inference: limits, hand-built cases, trained networks."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.core.errors import InputError
from learnmech.theory import fc_kernel
from learnmech.theory.predict import gp_inference, gradient_descent_mse
from learnmech.theory.regression import ridge_coefficients

KW = {"depth": 2, "activation": "relu", "sigma_w2": 2.0, "sigma_b2": 0.1}


@pytest.fixture
def one_torch_thread() -> None:
    """The project's torch thread count (one unless LEARNMECH_TORCH_THREADS), as runs use."""
    pytest.importorskip("torch")
    from learnmech.nets.training import default_threads

    default_threads()


def _problem(n: int = 6, m: int = 4, d: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    X, Xs = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    y = np.sin(X.sum(axis=1))
    kernels = {"ntk_train_train": fc_kernel(X, **KW), "ntk_test_train": fc_kernel(Xs, X, **KW),
               "nngp_train_train": fc_kernel(X, kind="nngp", **KW),
               "nngp_test_train": fc_kernel(Xs, X, kind="nngp", **KW),
               "nngp_test_test": fc_kernel(Xs, kind="nngp", **KW)}
    return X, Xs, y, kernels


def _gd(kernels: dict, y: np.ndarray, t, **kw):
    k = dict(kernels)
    return gradient_descent_mse(k.pop("ntk_train_train"), y, t, **k, **kw)


def test_time_zero_is_the_prior_and_infinity_is_ridgeless_regression() -> None:
    _, _, y, k = _problem()
    start = _gd(k, y, 0.0)
    np.testing.assert_array_equal(start.mean, np.zeros(4))
    np.testing.assert_allclose(start.cov, k["nngp_test_test"], rtol=1e-13)
    Y = np.stack([y, np.cos(y)], axis=1)  # two outputs share the kernel
    end = _gd(k, Y, np.inf)
    alpha = ridge_coefficients(k["ntk_train_train"], Y, 0.0)
    np.testing.assert_allclose(end.mean, k["ntk_test_train"] @ alpha, rtol=1e-9, atol=1e-12)
    late = _gd(k, Y, 1e7)  # slowest mode: λ_min t/n ~ 4e4
    np.testing.assert_allclose(late.mean, end.mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(late.cov, end.cov, rtol=1e-8, atol=1e-12)
    ridged = _gd(k, y, np.inf, ridge=0.3)
    alpha = ridge_coefficients(k["ntk_train_train"], y, 0.3)
    np.testing.assert_allclose(ridged.mean, k["ntk_test_train"] @ alpha, rtol=1e-10)


def test_one_training_point_by_hand() -> None:
    """n = 1: A(t) = (θ*/θ)(1 − e^{−θt}), μ = A y, Σ = k** + A² k − 2 A k*."""
    theta, theta_s, k, k_s, k_ss, y, t = 2.0, 0.7, 1.5, 0.4, 1.1, 0.9, 0.6
    A = theta_s / theta * (1 - np.exp(-theta * t))
    got = gradient_descent_mse([[theta]], [y], t, ntk_test_train=[[theta_s]],
                               nngp_train_train=[[k]], nngp_test_train=[[k_s]],
                               nngp_test_test=[[k_ss]])
    np.testing.assert_allclose(got.mean, [A * y], rtol=1e-14)
    np.testing.assert_allclose(got.cov, [[k_ss + A * A * k - 2 * A * k_s]], rtol=1e-14)
    post = gp_inference([[k]], [y], nngp_test_train=[[k_s]], nngp_test_test=[[k_ss]],
                        noise=0.2)
    np.testing.assert_allclose(post.mean, [k_s * y / (k + 0.2)], rtol=1e-14)
    np.testing.assert_allclose(post.cov, [[k_ss - k_s**2 / (k + 0.2)]], rtol=1e-14)


def test_covariance_is_that_of_the_linearised_networks_over_the_prior() -> None:
    """Draw f_0 ~ GP(0, K) on train and test inputs, run each through the single-network
    prediction (f_train_0, f_test_0): the sample mean and covariance match (μ, Σ) within
    5 standard errors (20,000 draws; SE of a covariance entry √((Σ_ii Σ_jj + Σ_ij²)/draws))."""
    _, _, y, k = _problem()
    t = np.array([0.5, 4.0])
    pred = _gd(k, y, t)
    joint = np.block([[k["nngp_train_train"], k["nngp_test_train"].T],
                      [k["nngp_test_train"], k["nngp_test_test"]]])
    draws = 20_000
    f0 = np.random.default_rng(1).multivariate_normal(np.zeros(10), joint, size=draws)
    own = {"ntk_train_train": k["ntk_train_train"], "ntk_test_train": k["ntk_test_train"]}
    for i, time in enumerate(t):
        # every draw is one "output" column: y repeated, f_0 per column
        ft = _gd(own, np.repeat(y[:, None], draws, axis=1), time, f_train_0=f0[:, :6].T,
                 f_test_0=f0[:, 6:].T).mean.T  # (draws, m)
        mu, cov = pred.mean[i], pred.cov[i]
        sd = np.sqrt(np.diag(cov))
        assert np.all(np.abs(ft.mean(axis=0) - mu) <= 5 * sd / np.sqrt(draws))
        se = np.sqrt((np.outer(sd**2, sd**2) + cov**2) / draws)
        assert np.all(np.abs(np.cov(ft.T) - cov) <= 5 * se)
        assert np.linalg.eigvalsh(cov)[0] > -1e-12


def test_ntk_equal_to_nngp_gives_the_gp_posterior_at_infinite_time() -> None:
    """Training only a last layer: Θ = K, and gradient descent at t = ∞ is the noiseless GP."""
    _, _, y, k = _problem()
    gp_kernels = dict(k, ntk_train_train=k["nngp_train_train"],
                      ntk_test_train=k["nngp_test_train"])
    gd = _gd(gp_kernels, y, np.inf)
    post = gp_inference(k["nngp_train_train"], y, nngp_test_train=k["nngp_test_train"],
                        nngp_test_test=k["nngp_test_test"])
    np.testing.assert_allclose(gd.mean, post.mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(gd.cov, post.cov, rtol=1e-6, atol=1e-9)


def test_gp_noise_scalar_vector_and_limits() -> None:
    _, _, y, k = _problem()
    args = (k["nngp_train_train"], y)
    kw = {"nngp_test_train": k["nngp_test_train"], "nngp_test_test": k["nngp_test_test"]}
    a = gp_inference(*args, noise=0.3, **kw)
    b = gp_inference(*args, noise=np.full(6, 0.3), **kw)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-14)
    np.testing.assert_allclose(a.cov, b.cov, rtol=1e-14)
    alpha = ridge_coefficients(k["nngp_train_train"], y, 0.3)
    np.testing.assert_allclose(a.mean, k["nngp_test_train"] @ alpha, rtol=1e-12)
    vague = gp_inference(*args, noise=1e12, **kw)  # no information: the prior
    np.testing.assert_allclose(vague.cov, k["nngp_test_test"], rtol=1e-9)
    assert np.abs(vague.mean).max() < 1e-10
    uneven = gp_inference(*args, noise=np.r_[1e12, np.zeros(5)], **kw)
    dropped = gp_inference(k["nngp_train_train"][1:, 1:], y[1:], noise=0.0,
                           nngp_test_train=k["nngp_test_train"][:, 1:],
                           nngp_test_test=k["nngp_test_test"])
    np.testing.assert_allclose(uneven.mean, dropped.mean, rtol=1e-8, atol=1e-10)
    assert np.linalg.eigvalsh(a.cov)[0] > 0
    assert gp_inference(*args, nngp_test_train=k["nngp_test_train"]).cov is None


def test_times_array_shapes() -> None:
    _, _, y, k = _problem()
    Y = np.stack([y, -y], axis=1)
    pred = _gd(k, Y, [0.0, 1.0, np.inf])
    assert pred.mean.shape == (3, 4, 2) and pred.cov.shape == (3, 4, 4)
    np.testing.assert_allclose(pred.mean[1], _gd(k, Y, 1.0).mean, rtol=1e-14)
    np.testing.assert_allclose(pred.mean[:, :, 1], -pred.mean[:, :, 0], rtol=1e-14)


def test_refusals() -> None:
    _, _, y, k = _problem()
    cases = [
        (lambda: _gd(k, y, -1.0), "t must be"),
        (lambda: _gd(k, y[:5], 1.0), r"y_train must be of shape \(6,\)"),
        (lambda: _gd(dict(k, nngp_test_test=None), y, 1.0), "all given"),
        (lambda: _gd(k, y, 1.0, f_train_0=y), "both given"),
        (lambda: _gd(k, y, 1.0, ridge=-0.1), "ridge must be"),
        (lambda: gradient_descent_mse(np.ones((2, 3)), y, 1.0, ntk_test_train=np.ones((1, 2))),
         "ntk_train_train must be a square"),
        (lambda: gp_inference(k["nngp_train_train"], y, nngp_test_train=k["nngp_test_train"],
                              noise=np.ones(5)), "noise must be"),
        (lambda: gp_inference(k["nngp_train_train"], y, nngp_test_train=k["nngp_test_train"],
                              noise=-1.0), "noise must be"),
    ]
    for call, message in cases:
        with pytest.raises(InputError, match=message):
            call()


# --------------------------------------------------------------------------------------------
# trained finite networks
# --------------------------------------------------------------------------------------------


def _train(X, Xs, y, *, width: int, seed: int, lr: float, steps: int):
    """One NTKMLP (depth 2) trained by full-batch GD on (1/2n)Σ(f − y)²: f_0 and f_t."""
    torch = pytest.importorskip("torch")
    from learnmech.nets.ntk import NTKMLP

    net = NTKMLP(X.shape[1], width, 2, activation="relu", sigma_w2=2.0, sigma_b2=0.1,
                 seed=seed, dtype=torch.float64)
    Xt, Xst, yt = (torch.as_tensor(a) for a in (X, Xs, y))
    with torch.no_grad():
        f0, f0s = net(Xt).numpy(), net(Xst).numpy()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((net(Xt) - yt) ** 2).mean()).backward()
        opt.step()
    with torch.no_grad():
        return f0, f0s, net(Xst).numpy()


LR, STEPS = 0.1, 80  # t = η·steps = 8: mid-training (slowest mode e^{-λt/n} ≈ 0.8)


def test_trained_wide_networks_follow_the_prediction_at_time_t(one_torch_thread) -> None:
    """Six width-4096 networks, GD with η = 0.1 for 80 steps (t = 8).

    (1) Each network's test outputs match *its own* prediction f_0(x*) + A(t)(y − f_0(X)) with
    the infinite NTK: RMS deviation below a quarter of how much that prediction moves between
    t/2 and t (measured: 0.020 vs 0.16; the deviation is the finite width, ∝ 1/√width, and the
    O(η) step error). (2) The ensemble mean is within 4 standard errors √(Σ_ii/6) of μ(t).
    """
    X, Xs, y, k = _problem()
    t = LR * STEPS
    pred = _gd(k, y, t)
    outs, dev, moved = [], [], []
    for seed in range(6):
        f0, f0s, ft = _train(X, Xs, y, width=4096, seed=seed, lr=LR, steps=STEPS)
        own = {"ntk_train_train": k["ntk_train_train"], "ntk_test_train": k["ntk_test_train"]}
        at = {s: _gd(own, y, s, f_train_0=f0, f_test_0=f0s).mean for s in (t / 2, t)}
        outs.append(ft)
        dev.append(ft - at[t])
        moved.append(at[t] - at[t / 2])
    rms_dev, rms_moved = np.sqrt(np.mean(np.square(dev))), np.sqrt(np.mean(np.square(moved)))
    assert rms_dev < 0.25 * rms_moved, (rms_dev, rms_moved)
    se = np.sqrt(np.diag(pred.cov) / len(outs))
    assert np.all(np.abs(np.mean(outs, axis=0) - pred.mean) <= 4 * se)


@pytest.mark.slow
def test_trained_ensemble_mean_and_variance(one_torch_thread) -> None:
    """Slow: 40 networks of width 4096. Mean within 4 SE of μ(t); each test output's sample
    variance within the 0.1 %–99.9 % χ²₃₉ band of Σ_ii(t) (ratio in [0.43, 1.84])."""
    X, Xs, y, k = _problem()
    t = LR * STEPS
    pred = _gd(k, y, t)
    outs = np.array([_train(X, Xs, y, width=4096, seed=100 + s, lr=LR, steps=STEPS)[2]
                     for s in range(40)])
    var = np.diag(pred.cov)
    assert np.all(np.abs(outs.mean(axis=0) - pred.mean) <= 4 * np.sqrt(var / 40))
    ratio = outs.var(axis=0, ddof=1) / var
    assert np.all((ratio > 0.43) & (ratio < 1.84)), ratio
