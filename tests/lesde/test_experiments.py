"""The LE-SDE experiments' own logic (the registry contract test runs their smoke sizes)."""

import numpy as np
import pytest

from learnmech.core.config import ConfigError, resolve_config
from learnmech.experiments.lesde import imitation, phase_transition
from learnmech.lesde import initial_features, power_law, simulate, u_vectors


def _linear_log(seed, runs=24, T=6000):
    rng = np.random.default_rng(seed)
    X0 = initial_features(3, 50, runs, rng, scale=0.3, separation=[0.9, 0.5, 0.1]) + \
        np.array([0.6, -0.3, 0.2])
    path = simulate(power_law(0.02, 0.4, T, 100), power_law(0.005, 0.4, T, 100), X0, T, rng,
                    drift="L", log=True, record_at=[])
    return path.log_labels, path.log_logits


def _rotating_log(seed, runs=24, T=6000):
    """Logs whose class means rotate: class k drifts towards u_{k+1} (no LE-ODE does this)."""
    rng = np.random.default_rng(seed)
    u = u_vectors(3)
    t = np.arange(T)[:, None, None] / T
    means = (0.3 + 3 * t) * u[None] + 2.5 * t ** 2 * np.roll(u, -1, axis=0)[None] + \
        np.array([0.6, -0.3, 0.2])                                   # (T, K, K)
    labels = rng.integers(0, 3, size=(runs, T))
    logits = means[np.arange(T)[None, :], labels] + rng.normal(0, 0.3, size=(runs, T, 3))
    return labels, logits


def test_imitation_holds_on_a_linear_le_sde_and_its_control_fails():
    labels, logits = _linear_log(31)
    out = imitation.imitate_logs(labels, logits, 3)
    assert out["judged"]["verdict"] == "holds", out["judged"]
    assert out["control_judged"]["verdict"] == "fails", out["control_judged"]


def test_imitation_negative_control_judges_fails():
    """A log that no LE-ODE produces, through the experiment's whole pipeline: fails."""
    labels, logits = _rotating_log(32)
    out = imitation.imitate_logs(labels, logits, 3)
    assert out["fit"].reference_step is not None           # in regime: the classes separate
    assert out["judged"]["verdict"] == "fails", out["judged"]


def test_transition_crossing_is_interpolated():
    crossing = phase_transition._crossing
    assert crossing([0.0, 0.5, 1.0], [0.9, 0.5, 0.1], 1 / 3) == pytest.approx(
        0.5 + (0.5 - 1 / 3) / 0.4 * 0.5)
    assert np.isnan(crossing([0.0, 0.5], [0.9, 0.8], 1 / 3))


@pytest.mark.parametrize("key, value, match", [
    ("p_errs", (0.2, 0.4), "p_errs"),
    ("p_errs", (0.0, 0.6, 0.4), "p_errs"),
    ("data.classes", (1, 1, 2), "classes"),
    ("estimator", "X", "estimator"),
])
def test_phase_transition_config_refuses_bad_grids(key, value, match):
    with pytest.raises(ConfigError, match=match):
        resolve_config(phase_transition.EXPERIMENT.id, phase_transition.Config,
                       overrides={key: value})
