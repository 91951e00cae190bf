"""``theory.laws.hyperparameters`` against independent computations: hyperparameter laws: μP vs SP
thresholds, the SGD and Adam batch-scaling rules."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.hyperparameters import (
    adam_sqrt_scaling,
    best_lr_scaling,
    sgd_linear_scaling,
)


def test_best_lr_scaling_follows_the_readout_stability_threshold():
    """Brute force: the GD stability threshold 2/λ_max of the readout (λ_max of the readout's
    Hessian of the mean ½ squared loss, computed from actual random ReLU features) scales as
    1/N in SP and stays put in μP, as :func:`best_lr_scaling` predicts."""
    import torch

    from learnmech.mechanics.entries.mup_transfer import _mup_net, _sp_net

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
        predicted = best_lr_scaling(widths, widths[0], thresholds[name][0], name)
        np.testing.assert_allclose(thresholds[name], predicted, rtol=0.1)
    with pytest.raises(ValueError, match="parameterization"):
        best_lr_scaling(widths, 1, 1.0, "ntk")


def test_sgd_linear_scaling_keeps_the_per_epoch_drift_and_noise_of_sgd():
    """Brute force on a quadratic with Gaussian per-example gradient noise: one epoch at
    (κB, κη) moves the mean and the variance of θ like one epoch at (B, η), to first order in η
    (exactly for the mean's drift per epoch in the small-η limit)."""
    rng = np.random.default_rng(3)
    h, sigma, n, eta, B, kappa = 1.0, 2.0, 256, 0.002, 4, 4
    lr_big = sgd_linear_scaling(eta, kappa)
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
    lr, b1, b2, eps = adam_sqrt_scaling(1e-3, 0.99, 0.999, 1e-8, 4)
    assert (lr, b1, b2, eps) == pytest.approx((2e-3, 0.96, 0.996, 5e-9))
    assert adam_sqrt_scaling(1e-3, 0.9, 0.99, 1e-8, 1) == pytest.approx(
        (1e-3, 0.9, 0.99, 1e-8))
    with pytest.raises(ValueError, match="β"):
        adam_sqrt_scaling(1e-3, 0.9, 0.999, 1e-8, 16)


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
    scaled = travelled(*adam_sqrt_scaling(1e-3, 0.99, 0.999, 1e-8, 4), 16)
    unscaled = travelled(1e-3, 0.99, 0.999, 1e-8, 16)
    assert scaled == pytest.approx(base, rel=0.1)
    assert abs(unscaled / base - 1) > 0.3  # without the rule the walk is visibly shorter
