"""The kernel-regime trainers on linear models, where the limits are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learnmech.nets.kernel_regime import (  # noqa: E402
    heavy_ball_for_kernel,
    train_gradient_flow,
    train_langevin,
)


def _linear(d, seed):
    torch.manual_seed(seed)
    model = torch.nn.Linear(d, 1, bias=False).double()
    torch.nn.init.normal_(model.weight)
    return model


def test_centred_gradient_descent_reaches_the_minimum_change_interpolant():
    rng = np.random.default_rng(0)
    n, d = 8, 20
    X, y, X_test = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=(30, d))
    settings = heavy_ball_for_kernel(X @ X.T, tol=1e-8)
    found = train_gradient_flow(_linear(d, 1), X, y, X_test, settings=settings)
    delta_w = X.T @ np.linalg.solve(X @ X.T, y)  # the change of w closest to the start
    np.testing.assert_allclose(found["prediction"], X_test @ delta_w, atol=1e-6)
    assert found["train_loss"] < 1e-12


def test_heavy_ball_settings_follow_the_spectrum():
    K = np.diag([4.0, 1.0, 0.01]) * 3  # K / n has curvatures 4, 1, 0.01
    hb = heavy_ball_for_kernel(K, tol=1e-3, safety=0.5)
    rate = np.sqrt(0.5 / 4 * 0.01)
    assert hb.lr == pytest.approx(0.5 / 4)
    assert hb.momentum == pytest.approx((1 - rate) ** 2)
    assert hb.steps == int(np.ceil(1.5 * np.log(1e3) / rate))


def test_langevin_time_average_is_the_posterior_mean():
    rng = np.random.default_rng(1)
    n, d, temperature = 6, 3, 0.05
    # XᵀX = n I: the posterior precision XᵀX/T + I = 121 I is the same in every direction, so
    # the chain mixes in a few steps and 5,000 steps give ~600 independent samples
    X = np.sqrt(n) * np.linalg.qr(rng.normal(size=(n, d)))[0]
    y, X_test = rng.normal(size=n), rng.normal(size=(4, d))
    generator = torch.Generator().manual_seed(2)
    found = train_langevin(_linear(d, 3), X, y, X_test, temperature=temperature, lr=2e-3,
                           steps=5_000, burn_in=200, generator=generator)
    # Bayesian linear regression, prior N(0, I), noise variance T: mean Xᵀ(XXᵀ + T I)⁻¹ y;
    # for a Gaussian posterior the discretised chain's stationary mean is exact (only its
    # covariance is biased): the tolerance is ~6 Monte-Carlo standard errors
    posterior_mean = X_test @ X.T @ np.linalg.solve(X @ X.T + temperature * np.eye(n), y)
    np.testing.assert_allclose(found["prediction"], posterior_mean, atol=0.04)
    with pytest.raises(ValueError, match="burn_in"):
        train_langevin(_linear(d, 3), X, y, X_test, temperature=1.0, lr=1e-3, steps=10,
                       burn_in=10, generator=generator)
