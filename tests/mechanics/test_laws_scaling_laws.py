"""``theory.laws.scaling_laws`` against independent computations: scaling laws: the tail sum, the
least-squares loss, the Chinchilla fit."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.scaling_laws import (
    chinchilla_loss,
    fit_chinchilla,
    ols_tail_loss,
    power_tail,
    tail_sum_exponent,
)


def test_power_tail_is_the_direct_sum_and_its_slope_is_the_model_exponent():
    beta = 1.6
    k = np.arange(1, 2_000_001, dtype=float)
    direct = np.sum(k[10:] ** -beta) + 2_000_000.5 ** (1 - beta) / (beta - 1)  # + integral rest
    assert power_tail(10, beta) == pytest.approx(direct, rel=1e-6)
    N = np.array([1e4, 1e5])
    slope = np.diff(np.log(power_tail(N, beta))) / np.diff(np.log(N))
    assert -slope[0] == pytest.approx(tail_sum_exponent(beta), rel=1e-3)
    with pytest.raises(ValueError, match="beta"):
        tail_sum_exponent(1.0)


def test_ols_tail_loss_matches_a_simulation_with_the_tail_features_explicit():
    """Brute force: P = 300 whitened features, the model regresses on the first N only; the
    unused features are real features here (not noise). Expected loss from the formula with the
    finite tail T = Σ_{N<k≤P} k^-β."""
    rng = np.random.default_rng(1)
    beta, noise, N, D, P, repeats = 1.6, 0.1, 5, 20, 300, 4000
    w = np.arange(1, P + 1) ** (-beta / 2)
    losses = []
    for _ in range(repeats):
        X = rng.standard_normal((D, P))
        y = X @ w + np.sqrt(noise) * rng.standard_normal(D)
        w_hat = np.linalg.lstsq(X[:, :N], y, rcond=None)[0]
        losses.append(0.5 * (noise + np.sum((w_hat - w[:N]) ** 2) + np.sum(w[N:] ** 2)))
    tail_inf = power_tail(N, beta)
    tail_p = tail_inf - power_tail(P, beta)
    expected = ols_tail_loss(N, D, beta, noise) * (noise + tail_p) / (noise + tail_inf)
    sem = np.std(losses) / np.sqrt(repeats)
    assert abs(np.mean(losses) - expected) < 4 * sem
    with pytest.raises(ValueError, match="D > N"):
        ols_tail_loss(10, 11, beta, noise)


def test_chinchilla_fit_recovers_the_parameters_of_exact_data():
    true = {"E": 1.7, "A": 400.0, "B": 900.0, "a": 0.34, "b": 0.28}
    N, D = np.meshgrid(np.geomspace(1e6, 1e8, 5), np.geomspace(1e8, 1e10, 5))
    L = chinchilla_loss(N.ravel(), D.ravel(), **true)
    fit = fit_chinchilla(N.ravel(), D.ravel(), L)
    for key, value in true.items():
        assert fit[key] == pytest.approx(value, rel=1e-3), key
