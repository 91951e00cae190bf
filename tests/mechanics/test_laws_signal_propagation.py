"""``theory.laws.signal_propagation`` against independent computations: random networks at init:
the maps against quadrature, χ₁, the finite-width variance against Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.signal_propagation import (
    chi1,
    relu_log_norm_variance,
    relu_log_norm_variance_exact,
    signal_propagation,
)


def test_signal_propagation_matches_gauss_hermite_maps():
    sw2, sb2, d = 2.0, 0.1, 7
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(d), rng.standard_normal(d)
    q1, q2, c = signal_propagation(x1, x2, depth=4, activation="tanh", sigma_w2=sw2,
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
    assert chi1(0.7, activation="relu", sigma_w2=2.0) == pytest.approx(1.0)
    assert chi1(3.0, activation="linear", sigma_w2=1.3) == pytest.approx(1.3)
    assert chi1(1e-8, activation="tanh", sigma_w2=0.8) == pytest.approx(0.8, rel=1e-6)
    with pytest.raises(ValueError, match="activation"):
        chi1(1.0, activation="gelu")


def test_relu_log_norm_variance_against_monte_carlo():
    rng = np.random.default_rng(0)
    n = 16
    g = rng.standard_normal((200_000, n))
    R = 2.0 / n * np.sum(np.maximum(g, 0) ** 2, axis=1)
    assert R.var() == pytest.approx(5.0 / n, rel=0.02)  # the first-order law's Var R
    R = R[R > 0]
    assert np.log(R).var() == pytest.approx(relu_log_norm_variance_exact(1, n), rel=0.02)
    big = 4096
    assert big * relu_log_norm_variance_exact(1, big) == pytest.approx(5.0, rel=0.01)
    assert relu_log_norm_variance(10, 50) == pytest.approx(1.0)
