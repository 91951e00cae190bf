"""max-margin-bias: the refined prediction angle(ŵ ln t + w̃, ŵ), its regime (λ_min of
Σ α_i z_i z_iᵀ) and its negative control (GD run at a tenth of the step size the prediction
assumes: the clock is off by 10×, which the w̃ term must notice)."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import max_margin_bias as entry
from learnmech.mechanics.logistic_gd import logistic_gd_weights
from learnmech.theory.laws.margins import (
    hard_margin_direction,
    implicit_bias_offset,
    refined_angle,
)

RECORDS = np.unique(np.round(np.geomspace(10, 10 ** 5, 40)).astype(np.int64))


def _measure(seed, *, run_lr=None):
    config = entry.MaxMarginConfig()
    X, y, _ = entry._separable(config, np.random.default_rng(seed))
    u, alpha = hard_margin_direction(X, y)
    w_hat = (X * y[:, None]).T @ alpha
    w_tilde, eig, _ = implicit_bias_offset(X, y, alpha, config.lr)
    W = logistic_gd_weights(X, y, lr=run_lr or config.lr, records=RECORDS)
    angle = np.arccos(np.clip(W @ u / np.linalg.norm(W, axis=1), -1, 1))
    return entry.judge_direction(RECORDS, angle, refined_angle(RECORDS, w_hat, w_tilde),
                                 float(eig[0]), config.min_rate)


def test_refined_prediction_holds_in_regime_and_seed0_is_out_of_regime():
    dev, verdict = _measure(1)
    assert verdict == "holds" and abs(dev) < 0.02
    assert _measure(0)[1] == "out of regime"  # λ_min = 0.17: converges like t^-0.17


def test_a_run_at_the_wrong_step_size_fails():
    """Negative control: GD at η = 0.1 judged with the prediction for η = 1 (a clock off by
    10×): w̃ moves by ln 10 along ŵ, the angle by ~50 % at 10⁵ steps — the check must fail.
    (The crude "angle × ln t constant" could not tell: it has no η in it.)"""
    dev, verdict = _measure(1, run_lr=0.1)
    assert verdict == "fails" and dev > 0.2
