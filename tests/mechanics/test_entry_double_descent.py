"""double-descent: judged against the exact finite-n mean with standard errors; negative control:
labels without noise judged against the noisy prediction."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import double_descent as entry
from learnmech.theory.laws.double_descent import min_norm_risk_finite

N, PS = 60, (30, 120)


def _judge(sim_noise, draws=200):
    rng = np.random.default_rng(0)
    found = [entry._risks(N, p, 1.0, sim_noise, draws, rng)[0] for p in PS]
    mean = np.array([f.mean() for f in found])
    se = np.array([f.std(ddof=1) / np.sqrt(draws) for f in found])
    return entry.judge_risks(mean, se, min_norm_risk_finite(N, np.array(PS), 1.0, 0.25))


def test_simulation_agrees_with_the_finite_n_mean():
    agreement, _, verdict = _judge(0.25)
    assert verdict == "holds" and agreement < 0.1


def test_noise_free_labels_fail():
    """Negative control: the draws made without label noise, the prediction with σ² = 0.25:
    below the threshold the measured risk is 0 (exact recovery), 100 % off."""
    agreement, _, verdict = _judge(0.0)
    assert verdict == "fails" and agreement > 0.9
