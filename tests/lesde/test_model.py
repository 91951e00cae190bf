"""The LE-SDE model: the phase transition in A − B, checked on the simulated SDE.

Every assertion below is a prediction of the derivation in learnmech.lesde.ode (and
docs/lesde.md) that a wrong drift, a wrong impact matrix or a wrong sign would break.
"""

import numpy as np
import pytest

from learnmech.lesde import (
    cross_entropy,
    discriminative_coordinates,
    initial_features,
    power_law,
    simulate,
    symmetric_loss,
    symmetric_solution,
    u_vectors,
)

K, N = 3, 20


def _start(trials=8, seed=0, n=N, **kw):
    return initial_features(K, n, trials, np.random.default_rng(seed), **kw)


def test_locally_elastic_sde_separates():
    """α > β constant: every training example ends correctly classified and the loss → 0."""
    X0 = _start()
    path = simulate(0.02, 0.005, X0, 20_000, np.random.default_rng(1))
    assert path.loss[0].mean() > 1.0                      # starts at chance, log 3 ≈ 1.10
    assert np.all(path.accuracy[-1] == 1.0)
    assert np.all(path.loss[-1] < 0.02)
    # and the loss follows the symmetric closed form (A − B = 300 → a ≈ 5.67, loss ≈ 0.0069)
    predicted = symmetric_loss(symmetric_solution(0.0, 0.015 * 20_000, K), K)
    assert path.loss[-1].mean() == pytest.approx(predicted, rel=0.02)


def test_equal_impacts_move_every_feature_alike():
    """α = β: every feature moves by the same vector, so no class comes closer to separation."""
    X0 = _start()
    path = simulate(0.01, 0.01, X0, 5_000, np.random.default_rng(2))
    moved = path.final - X0                                 # (trials, K, n, K)
    spread = moved - moved[:, :1, :1, :]
    assert np.abs(spread).max() < 1e-9
    assert np.abs(moved).max() > 0.05                       # it did move
    assert np.all(path.loss[-1] > 0.9 * np.log(K))


def test_alpha_below_beta_anti_separates():
    """α < β: the examples are pushed away from their own class; accuracy → 0, loss grows."""
    path = simulate(0.005, 0.02, _start(), 20_000, np.random.default_rng(3))
    assert np.all(path.accuracy[-1] == 0.0)
    assert np.all(path.loss[-1] > path.loss[0])


def test_phase_transition_is_in_the_integrated_difference():
    """α − β = c (t+1)^{−r}: the discriminative coordinate keeps growing iff r <= 1.

    Four exponents run as four trials of one call. Between T and 4T, a(t) grows by
    ≈ log(A − B) increments for r = 0.5 and 0.8 (not integrable) and by less than 0.01 for
    r = 2 (integrable: A − B has converged).
    """
    rs = np.array([0.5, 0.8, 1.2, 2.0])
    T = 40_000
    t = np.arange(T)[:, None]
    difference = 0.05 * (t + 1.0) ** (-rs)                   # (T, 4)
    X0 = _start(trials=len(rs), scale=0.0)
    path = simulate(0.005 + difference, 0.005, X0, T, np.random.default_rng(4),
                    record_at=[T // 4, T])
    a = discriminative_coordinates(path.class_means).mean(-1)   # (2, 4)
    growth = a[1] - a[0]
    assert growth[0] > 0.5 and growth[1] > 0.1
    assert growth[3] < 0.01
    assert np.all(np.diff(growth) < 0)                       # ordered by r
    # each trial follows the exact symmetric solution with its own A − B
    predicted = symmetric_solution(0.0, difference.sum(0), K)
    np.testing.assert_allclose(a[1], predicted, atol=0.05)


def test_mean_field_matches_the_closed_form():
    """noise="none" from a symmetric start is the ODE da/dt = (α − β) g(a)/K, solved exactly."""
    T = 20_000
    alpha, beta = power_law(0.05, 0.3, T), power_law(0.01, 0.3, T)
    X0 = _start(trials=1, n=3, scale=0.0, separation=0.3)
    path = simulate(alpha, beta, X0, T, np.random.default_rng(5), noise="none")
    a = discriminative_coordinates(path.class_means[:, 0]).mean(-1)
    cumulative = np.concatenate([[0.0], np.cumsum(alpha - beta)])[path.steps]
    np.testing.assert_allclose(a, symmetric_solution(0.3, cumulative, K), atol=2e-3)


def test_label_corruption_at_two_thirds_removes_the_class_signal():
    """Negative control: the same α > β, but p = (K−1)/K of labels corrupted — no separation.

    With p = 2/3 the training label carries no class information, the class-mean target has
    strength 1 − pK/(K−1) = 0, and the features must not separate by class even though the
    impacts are locally elastic. The clean run with the same seed separates.
    """
    X0 = _start(trials=8, n=60)
    clean = simulate(0.02, 0.005, X0, 20_000, np.random.default_rng(6))
    noisy = simulate(0.02, 0.005, X0, 20_000, np.random.default_rng(6), label_noise=2 / 3)
    a_clean = discriminative_coordinates(clean.class_means[-1]).mean(-1)
    a_noisy = discriminative_coordinates(noisy.class_means[-1]).mean(-1)
    assert np.all(clean.class_accuracy[-1] == 1.0) and np.all(a_clean > 5)
    assert noisy.class_accuracy[-1].mean() < 0.5
    assert np.abs(a_noisy).max() < 0.3


def test_label_corruption_above_two_thirds_reverses_the_classes():
    """p = 0.8 > 2/3: the target strength 1 − pK/(K−1) = −0.2 < 0, so the classes anti-separate."""
    path = simulate(0.02, 0.005, _start(n=60), 20_000, np.random.default_rng(7),
                    label_noise=0.8)
    a = discriminative_coordinates(path.class_means[-1]).mean(-1)
    assert np.all(a < -0.3)
    assert np.all(path.class_accuracy[-1] == 0.0)


def test_same_seed_same_numbers_and_other_seed_not():
    X0 = _start(trials=2)
    one = simulate(0.02, 0.005, X0, 500, np.random.default_rng(8), log=True)
    two = simulate(0.02, 0.005, X0, 500, np.random.default_rng(8), log=True)
    three = simulate(0.02, 0.005, X0, 500, np.random.default_rng(9), log=True)
    np.testing.assert_array_equal(one.final, two.final)
    np.testing.assert_array_equal(one.log_logits, two.log_logits)
    assert not np.array_equal(one.final, three.final)


def test_cross_entropy_and_u_vectors():
    X = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    expected = [np.log(1 + 2 * np.exp(-2.0)), np.log(3.0)]
    np.testing.assert_allclose(cross_entropy(X, np.array([0, 1])), expected)
    u = u_vectors(4)
    np.testing.assert_allclose(u.sum(1), 0, atol=1e-15)
    np.testing.assert_allclose((u * u).sum(1), 3 / 4)
    # the symmetric loss is the cross-entropy at a·u_k
    np.testing.assert_allclose(symmetric_loss(2.0, 3), cross_entropy(2.0 * u_vectors(3)[0],
                                                                      np.array(0)))


@pytest.mark.parametrize("bad, match", [
    (dict(drift="mse"), "drift must be one of"),
    (dict(noise="brownian"), "noise must be one of"),
    (dict(alpha=np.ones(7)), "one value per step"),
    (dict(alpha=float("nan")), "finite"),
    (dict(label_noise=1.0), r"label_noise must be in \[0, 1\)"),
    (dict(log=True, noise="none"), "log=True needs noise='sgd'"),
])
def test_bad_arguments_are_refused_with_the_name(bad, match):
    args = dict(alpha=0.01, beta=0.0, X0=_start(trials=1), steps=10,
                rng=np.random.default_rng(0))
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        simulate(**args)


def test_the_package_loads_numpy_only():
    """learnmech.lesde imports no torch at load (the network module imports it inside)."""
    import subprocess
    import sys

    code = "import sys, learnmech.lesde; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
