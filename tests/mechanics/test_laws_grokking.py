"""``theory.laws.grokking`` against independent computations: grokking: the weight-decay clock
against AdamW, Fourier concentration."""

from __future__ import annotations

import numpy as np
import torch
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.nets.training import AdamW
from learnmech.theory.laws.grokking import (
    fourier_concentration,
    fourier_power,
    grokking_delay,
    weight_decay_time,
)

torch.set_num_threads(1)


def test_weight_decay_time_matches_adamw_with_zero_gradient():
    """AdamW on a zero gradient only decays: ‖θ‖ falls by e after τ ≈ 1/(ηλ) steps."""
    for eta, wd in ((1e-2, 0.3), (3e-3, 1.0), (1e-3, 3.0)):
        theta = torch.nn.Parameter(torch.ones(5))
        opt = AdamW([theta], lr=eta, weight_decay=wd, betas=(0.9, 0.98))
        start, steps = float(theta.detach().norm()), 0
        while float(theta.detach().norm()) > start / np.e:
            theta.grad = torch.zeros_like(theta)
            opt.step()
            steps += 1
        tau = weight_decay_time(eta, wd)
        assert abs(steps - tau) <= 1.0
        assert abs(tau * eta * wd - 1) < 0.02
    assert np.allclose(grokking_delay(np.array([1e-2, 1e-2]), np.array([0.1, 1.0]),
                                                5.0), [5000.0, 500.0])


def test_fourier_concentration_of_periodic_and_noise_embeddings():
    p, d = 31, 40
    a = np.arange(p)[:, None]
    rng = np.random.default_rng(0)
    freqs = rng.choice(np.arange(1, p // 2 + 1), size=3, replace=False)
    mix = rng.standard_normal((6, d))
    waves = np.concatenate([np.cos(2 * np.pi * freqs * a / p),
                            np.sin(2 * np.pi * freqs * a / p)], axis=1)  # (p, 6)
    periodic = waves @ mix + 2.0  # a constant offset does not count
    assert abs(fourier_concentration(periodic, 3) - 1.0) < 1e-10
    assert fourier_concentration(periodic, 2) < 0.95
    power = fourier_power(periodic)
    assert set(np.flatnonzero(power > 1e-8 * power.max()) + 1) == set(freqs)
    # Parseval: the merged power plus the constant equals p Σ E²
    assert np.isclose(power.sum() + (periodic.sum(0) ** 2).sum(), p * (periodic ** 2).sum())
    noise = np.mean([fourier_concentration(rng.standard_normal((p, d)), 3)
                     for _ in range(50)])
    assert 3 / 15 < noise < 1.6 * 3 / 15
