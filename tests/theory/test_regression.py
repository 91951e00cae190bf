"""Kernel ridge regression, the spectral solver on an empirical spectrum, and KARE."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.theory import (
    curve_from_spectrum,
    dot_product_kernel,
    kare,
    kernel_regression_error,
    learning_curve,
    make_harmonic_target,
    ridge_coefficients,
    uniform_sphere,
)
from learnmech.theory.spectra import harmonic_multiplicity, sphere_eigenvalues


def test_ridge_coefficients_solve_the_regularised_system():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 30))
    K, y = A @ A.T, rng.normal(size=30)
    alpha = ridge_coefficients(K, y, 0.5)
    np.testing.assert_allclose((K + 0.5 * np.eye(30)) @ alpha, y, atol=1e-10)
    singular = np.ones((4, 4))  # rank one: the minimum-norm least-squares answer
    np.testing.assert_allclose(ridge_coefficients(singular, np.ones(4), 0.0), np.full(4, 0.25))


def test_linear_kernel_learns_a_linear_target_exactly_once_n_reaches_d():
    d = 6
    X, X_test = uniform_sphere(40, d, seed=1), uniform_sphere(50, d, seed=2)
    w = np.arange(1.0, d + 1)
    error = kernel_regression_error(lambda a, b: a @ b.T, X, X @ w, X_test, X_test @ w)
    assert error < 1e-20
    short = kernel_regression_error(lambda a, b: a @ b.T, X[:3], X[:3] @ w, X_test, X_test @ w)
    assert short > 0.1  # three points cannot pin down six directions


@pytest.mark.parametrize("poles", [1, 8])
def test_harmonic_target_power_is_exact_with_several_poles(poles):
    d, degrees = 7, {1: 0.3, 2: 0.7}
    f = make_harmonic_target(d, degrees=degrees, seed=3, poles=poles)
    values = f(uniform_sphere(200_000, d, seed=4)) ** 2
    assert values.mean() == pytest.approx(1.0, abs=4 * values.std() / np.sqrt(values.size))


def test_curve_from_spectrum_is_the_solver_behind_learning_curve():
    d, lmax = 8, 10

    def k(t):
        return dot_product_kernel(t, d=d, depth=3)

    lam = sphere_eigenvalues(k, d=d, lmax=lmax)
    mult = np.asarray(harmonic_multiplicity(d, np.arange(lmax + 1)), dtype=float)
    tail = float(k(np.array(1.0))) - float(np.sum(mult * lam))
    power = np.zeros(lmax + 1)
    power[1], power[2] = 0.6, 0.4
    n = np.array([10.0, 100.0, 1000.0])
    direct = curve_from_spectrum(lam, power, n, multiplicity=mult, ridge=tail)
    np.testing.assert_allclose(direct, learning_curve(kernel=k, d=d, n=n, lmax=lmax,
                                                      target_power={1: 0.6, 2: 0.4}), rtol=1e-8)
    # the same spectrum spelled out mode by mode (multiplicity one) gives the same curve
    modes = np.repeat(lam, mult.astype(int))
    per_mode = np.repeat(power / mult, mult.astype(int))
    np.testing.assert_allclose(curve_from_spectrum(modes, per_mode, n, ridge=tail), direct,
                               rtol=1e-8)


def test_kare_sums_the_squared_errors_of_several_outputs():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(20, 20))
    K, Y = A @ A.T, rng.normal(size=(20, 3))
    both = kare(K, Y, 0.2)
    assert both == pytest.approx(sum(kare(K, Y[:, c], 0.2) for c in range(3)), rel=1e-12)
