"""Learning-curve predictions: limits, the κ solver, and eigenlearning against measured
kernel ridge regression on sphere data with harmonic targets."""

import numpy as np
import pytest

from learnmech.theory import dot_product_kernel, fc_kernel, make_harmonic_target, uniform_sphere
from learnmech.theory.curves import METHODS, kare, learning_curve, solve_kappa
from learnmech.theory.spectra import harmonic_multiplicity, sphere_eigenvalues

D, DEPTH, RIDGE = 10, 3, 1e-2
POWER = {1: 0.5, 2: 0.5}


def ntk(t):
    return dot_product_kernel(t, d=D, depth=DEPTH)


def test_no_data_predicts_the_target_power():
    for method in ("eigenlearning", "ek", "ek+1/n"):
        err = learning_curve(kernel=ntk, d=D, target_power=POWER, n=[1e-9], ridge=RIDGE,
                             method=method)
        assert err[0] == pytest.approx(1.0, rel=1e-6), method


def test_curves_fall_with_n_and_the_correction_adds_error():
    n = np.geomspace(10, 1e5, 30)
    for method in METHODS:
        err = learning_curve(kernel=ntk, d=D, target_power=POWER, n=n, ridge=RIDGE,
                             method=method)
        assert np.all(np.isfinite(err)) and np.all(np.diff(err) <= 1e-12), method
    ek = learning_curve(kernel=ntk, d=D, target_power=POWER, n=n, ridge=RIDGE, method="ek")
    ek1 = learning_curve(kernel=ntk, d=D, target_power=POWER, n=n, ridge=RIDGE, method="ek+1/n")
    assert np.all(ek1 >= ek)  # the 1/n term adds a positive amount to every mode's error


def test_kappa_solves_its_equation_and_vanishes_past_the_modes():
    lam = sphere_eigenvalues(ntk, d=D, lmax=6)
    mult = harmonic_multiplicity(D, np.arange(7)).astype(float)
    n = np.geomspace(1, 5000, 50)
    kappa = solve_kappa(lam, mult, n, 1e-3)
    residual = (mult * lam / (lam + kappa[:, None])).sum(axis=1) + 1e-3 / kappa - n
    assert np.max(np.abs(residual) / n) < 1e-10
    # without ridge, n beyond the number of modes interpolates: κ = 0
    assert solve_kappa(lam, mult, np.array([mult.sum() + 10]), 0.0)[0] == 0.0


def measured_krr(n, seeds=20, n_test=1000):
    """Mean and standard error over seeds of the test MSE of kernel ridge regression."""
    errors = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        target = make_harmonic_target(D, degrees=POWER, seed=rng)
        X, X_test = uniform_sphere(n, D, seed=rng), uniform_sphere(n_test, D, seed=rng)
        alpha = np.linalg.solve(fc_kernel(X, depth=DEPTH) + RIDGE * np.eye(n), target(X))
        errors.append(np.mean((fc_kernel(X_test, X, depth=DEPTH) @ alpha - target(X_test)) ** 2))
    return np.mean(errors), np.std(errors) / np.sqrt(seeds)


@pytest.mark.parametrize("n", [50, 200, 400])
def test_eigenlearning_matches_kernel_ridge_regression(n):
    predicted = learning_curve(kernel=ntk, d=D, target_power=POWER, n=[n], ridge=RIDGE)[0]
    mean, stderr = measured_krr(n)
    assert abs(predicted - mean) <= 3 * stderr, (predicted, mean, stderr)


def test_kare_equals_its_formula():
    rng = np.random.default_rng(0)
    X = uniform_sphere(30, D, seed=rng)
    K, y = fc_kernel(X, depth=DEPTH), rng.normal(size=30)
    inverse = np.linalg.inv(K / 30 + 0.1 * np.eye(30))
    expected = (y @ inverse @ inverse @ y / 30) / (np.trace(inverse) / 30) ** 2
    assert kare(K, y, 0.1) == pytest.approx(expected, rel=1e-10)


def test_refusals_name_the_argument():
    with pytest.raises(ValueError, match="method"):
        learning_curve(kernel=ntk, d=D, target_power=POWER, n=[10], method="nope")
    with pytest.raises(ValueError, match="n must"):
        learning_curve(kernel=ntk, d=D, target_power=POWER, n=[0])
    with pytest.raises(ValueError, match="ridge"):
        learning_curve(kernel=lambda t: np.asarray(t) ** 2, d=D, target_power={2: 1.0},
                       n=[10], method="ek", lmax=4)


def test_kernel_error_sized_negative_eigenvalues_are_noise_larger_ones_are_refused():
    from learnmech.core.errors import InputError
    from learnmech.theory import resolved_eigenvalues

    # A tabulated kernel (tanh, depth 2, a trial of theory.hyperparameters' search) whose
    # degrees >= 13 are table noise: some come out negative (-7e-18 at degree 19, k(1) = 4.3).
    def tanh_ntk(t):
        return dot_product_kernel(t, d=20, depth=2, activation="tanh",
                                  sigma_w2=3.326866221204298, sigma_b2=1.3584174475835376)

    mse = learning_curve(kernel=tanh_ntk, d=20, target_power={1: 0.5, 2: 0.3, 3: 0.2},
                         n=[200], lmax=20)
    assert np.all(np.isfinite(mse)) and 0 < mse[0] < 1
    # the rule itself: within δ·√N·k(1) (δ = 1e-7) a negative entry is 0, beyond it stays
    lam = resolved_eigenvalues(np.array([1.0, -1e-8, -1e-6]), np.array([1, 4, 4]), 1.0)
    assert lam.tolist() == [1.0, 0.0, -1e-6]
    with pytest.raises(InputError, match="positive semi-definite"):  # the negative control
        learning_curve(kernel=lambda t: np.exp(np.asarray(t, float)) - 0.2 * np.asarray(t) ** 3,
                       d=20, target_power={1: 1.0}, n=[10], lmax=8)  # λ_3 = -1.7e-5
