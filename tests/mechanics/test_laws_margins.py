"""``theory.laws.margins`` against independent computations: the hard-margin direction against a
brute-force scan."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.margins import hard_margin_direction


def test_hard_margin_direction_against_a_brute_force_angle_scan():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 2))
    w_true = np.array([np.cos(0.7), np.sin(0.7)])
    keep = np.abs(X @ w_true) > 0.2
    X = X[keep]
    y = np.sign(X @ w_true)
    direction, alpha = hard_margin_direction(X, y)
    angles = np.linspace(0, 2 * np.pi, 200_001)
    W = np.stack([np.cos(angles), np.sin(angles)], 1)
    best = W[np.argmax(np.min((X * y[:, None]) @ W.T, axis=0))]
    assert np.arccos(np.clip(best @ direction, -1, 1)) < 1e-4
    assert np.all(alpha >= 0)
    with pytest.raises(ValueError, match="separable"):
        hard_margin_direction(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([1.0, -1.0]))


def _dataset(seed):
    from learnmech.mechanics.entries.max_margin_bias import MaxMarginConfig, _separable

    return _separable(MaxMarginConfig(), np.random.default_rng(seed))


def test_w_tilde_is_where_gd_goes_after_removing_the_log_growth():
    """Soudry et al.: w(t) − ŵ ln t → w̃ with z_iᵀw̃ = ln(η/(n α_i)) on the support vectors;
    on a data set with λ_min(A) = 1 the gap is 1e-3 of ‖w̃‖ after 10⁵ steps, and twice the step
    size moves w̃ by ln 2 along ŵ."""
    from learnmech.mechanics.logistic_gd import logistic_gd_weights
    from learnmech.theory.laws.margins import implicit_bias_offset, refined_angle

    X, y, _ = _dataset(1)
    _, alpha = hard_margin_direction(X, y)
    w_hat = (X * y[:, None]).T @ alpha
    w_tilde, eig, support = implicit_bias_offset(X, y, alpha, 1.0)
    assert eig[0] == pytest.approx(1.0, abs=1e-3) and support.sum() == X.shape[1]
    assert np.isclose(eig, 1.0, atol=1e-6).any()  # the ŵ direction: Σ α_i = ‖ŵ‖²
    t = 10 ** 5
    w = logistic_gd_weights(X, y, lr=1.0, records=[t])[0]
    assert np.linalg.norm(w - np.log(t) * w_hat - w_tilde) < 2e-3 * np.linalg.norm(w_tilde)
    w2 = implicit_bias_offset(X, y, alpha, 2.0)[0]
    assert np.allclose((X * y[:, None])[support] @ (w2 - w_tilde), np.log(2.0))
    assert np.allclose(w2 - w_tilde, np.log(2.0) * w_hat)  # z_iᵀŵ = 1 on the support
    assert refined_angle([1e300], w_hat, w_tilde)[0] < 1e-2  # → the SVM direction
