"""privacy-generalization: the check against the tight μ-GDP bound, and its negative control
(DP-GD with the noise switched off, still accounted as ε = 0.5)."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import privacy_generalization as entry
from learnmech.theory.laws.privacy import gdp_mu


def _runs(noise_std, repeats=2, steps=100):
    from learnmech.nets import load_dataset

    config = entry.PrivacyConfig(size="quick")
    found = []
    for r in range(repeats):
        data = load_dataset("digits", n_train=config.n_train, n_test=config.n_test, seed=1000 * r)
        found.append(entry._gap_and_advantage(entry._dp_gd(config, data, steps, noise_std,
                                                           1000 * r), data))
    g, a = np.array(found).T
    se = lambda v: v.std(ddof=1) / np.sqrt(len(v))  # noqa: E731
    return g.mean(), se(g), a.mean(), se(a)


def test_no_noise_run_accounted_as_private_fails_the_tight_bound():
    """Negative control: the same DP-GD with no noise, judged as if it were ε = 0.5 (μ = 0.22):
    its membership advantage (~0.17) is twice the tight bound 2Φ(μ/2) − 1 = 0.086, so the
    check must say `fails`. The old bound e^ε − 1 + δ = 0.65 let it pass."""
    mu = gdp_mu(0.5, 1e-3)
    g, g_se, a, a_se = _runs(0.0)
    ratio, ratio_se, verdict = entry.judge_privacy([mu], [g], [g_se], [a], [a_se])
    assert verdict == "fails"
    assert ratio > 1.5 and ratio - 2 * ratio_se > 1.0
    assert a < float(np.expm1(0.5) + 1e-3)  # the loose bound could not have caught it


def test_noised_run_at_the_same_budget_holds():
    mu = gdp_mu(0.5, 1e-3)
    noise = 2 * 1.0 * np.sqrt(100) / mu  # sensitivity 2C, C = 1, T = 100 steps
    g, g_se, a, a_se = _runs(noise)
    ratio, _, verdict = entry.judge_privacy([mu], [g], [g_se], [a], [a_se])
    assert verdict in ("holds", "inconclusive") and ratio < 1.0


def test_judge_reads_every_level_and_its_standard_error():
    mu = np.array([0.2, 1.0])
    bound = 2 * __import__("scipy").stats.norm.cdf(mu / 2) - 1
    # level 2 over its bound by 20 % with a tiny SE: fails even though level 1 is fine
    assert entry.judge_privacy(mu, [0, 1.2 * bound[1]], [0.001, 0.001], [0, 0],
                               [0.001, 0.001])[2] == "fails"
    # just under the bound but with an SE half the bound: inconclusive
    assert entry.judge_privacy(mu[:1], [0.9 * bound[0]], [0.5 * bound[0]], [0], [0.001])[2] \
        == "inconclusive"
