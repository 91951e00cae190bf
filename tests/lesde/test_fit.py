"""fit_logs end to end on simulated logs, and the jackknife."""

import numpy as np

from learnmech.lesde import initial_features, power_law, simulate
from learnmech.lesde.fit import default_window, fit_logs, jackknife


def _log(drift, alpha, beta, seed, runs=24, T=6000, **kw):
    rng = np.random.default_rng(seed)
    X0 = initial_features(3, 50, runs, rng, scale=0.3, separation=[0.9, 0.5, 0.1]) + \
        np.array([0.6, -0.3, 0.2])
    path = simulate(alpha, beta, X0, T, rng, drift=drift, log=True, record_at=[], **kw)
    return path.log_labels, path.log_logits


def test_fit_of_a_linear_le_sde_recovers_and_imitates():
    T = 6000
    alpha, beta = power_law(0.02, 0.4, T, 100), power_law(0.005, 0.4, T, 100)
    labels, logits = _log("L", alpha, beta, 21)
    fit = fit_logs(labels, logits, 3)
    assert fit.reference_step is not None and fit.reference_step < T // 5
    inner = slice(len(fit.steps) // 10, -len(fit.steps) // 10)
    truth = alpha[fit.steps][inner]
    assert np.median(np.abs(fit.alpha[inner] - truth) / truth) <= 0.05
    assert abs(fit.tail_alpha - 0.4) <= 0.1
    assert fit.judged["verdict"] == "holds", fit.judged
    assert fit.discriminative_error < 0.1


def test_fit_of_noise_is_out_of_regime():
    """Logits that carry no class signal: the modes never rise above the noise."""
    rng = np.random.default_rng(22)
    labels = rng.integers(0, 3, size=(8, 3000))
    logits = rng.normal(0, 1, size=(8, 3000, 3))
    fit = fit_logs(labels, logits, 3)
    assert fit.reference_step is None
    assert fit.judged["verdict"] == "out of regime"
    assert np.isnan(fit.tail_alpha)


def test_jackknife_of_the_mean_is_the_standard_error():
    rng = np.random.default_rng(23)
    labels = np.zeros((10, 5), dtype=int)
    logits = rng.normal(size=(10, 5, 3))

    def first_mean(lab, lg):
        return float(lg[:, 0, 0].mean())

    value, se = jackknife(labels, logits, first_mean)
    x = logits[:, 0, 0]
    assert value == np.mean(x)
    np.testing.assert_allclose(se, x.std(ddof=1) / np.sqrt(len(x)))
    assert np.isnan(jackknife(labels[:2], logits[:2], first_mean)[1])


def test_default_window():
    assert default_window(6000) == 300 and default_window(100) == 20
