"""Learning curves for your own data (learnmech.theory.from_data)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from learnmech.core.errors import InputError
from learnmech.theory import (
    curve_from_spectrum,
    dot_product_kernel,
    estimate_spectrum,
    fc_kernel,
    harmonic_target,
    learning_curve,
    learning_curve_from_data,
    uniform_sphere,
)


def _planted(M=30, seed=0):
    """A Gram matrix K = M U diag(λ) Uᵀ and a target y = √M U a with known λ and a."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((M, M)))
    lam = np.geomspace(1.0, 1e-4, M)
    a = rng.standard_normal(M)
    K = M * (U * lam) @ U.T
    return (K + K.T) / 2, np.sqrt(M) * U @ a, lam, a


def test_a_planted_spectrum_and_target_power_are_recovered():
    K, y, lam, a = _planted()
    spectrum = estimate_spectrum(K, y)
    order = np.argsort(lam)  # eigh's ascending order
    np.testing.assert_allclose(spectrum.eigenvalues, lam[order], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(spectrum.target_power, a[order] ** 2, rtol=1e-8, atol=1e-12)
    eigenvalues, power = spectrum  # unpacks like a tuple
    assert eigenvalues is spectrum.eigenvalues and power is spectrum.target_power


def test_the_target_power_sums_to_the_mean_square_for_several_columns():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 4))
    Y = np.eye(3)[rng.integers(0, 3, 50)]  # one-hot, (M, C)
    spectrum = estimate_spectrum(fc_kernel(X, depth=2), Y)
    assert spectrum.target_power.sum() == pytest.approx(np.sum(Y**2) / 50, rel=1e-12)
    assert spectrum.eigenvalues.sum() == pytest.approx(np.trace(fc_kernel(X, depth=2)) / 50,
                                                       rel=1e-12)


def test_the_curve_is_the_spectral_formula_on_the_estimate_from_a_gram_or_inputs():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((80, 5))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    kernel = functools.partial(fc_kernel, depth=3, kind="nngp")
    K = kernel(X)
    sizes = [5, 10, 20]
    by_gram = learning_curve_from_data(K, y, sizes, ridge=0.01, noise=0.1)
    lam, power = estimate_spectrum(K, y)
    np.testing.assert_array_equal(by_gram, curve_from_spectrum(lam, power, sizes, ridge=0.01,
                                                               noise=0.1))
    np.testing.assert_array_equal(learning_curve_from_data(X, y, sizes, kernel=kernel,
                                                           ridge=0.01, noise=0.1), by_gram)
    assert np.all(np.diff(by_gram) < 0)  # more data, less error


def test_on_the_sphere_the_estimate_approaches_the_exact_spectrum():
    """M = 1200 uniform points of S³ and a harmonic target of degrees 1 and 2: the curve from
    the estimated spectrum is within 5 % of the curve from the exact sphere spectrum for
    n <= M/30 (the pool's own sampling error of the target power is about 3 %)."""
    d, M, degrees, sizes = 4, 1200, {1: 1.0, 2: 0.5}, np.array([5, 10, 20, 40])
    kernel = functools.partial(dot_product_kernel, d=d, depth=2)
    exact = learning_curve(kernel=kernel, d=d, target_power=degrees, n=sizes, ridge=0.1)
    X = uniform_sphere(M, d, seed=0)
    estimate = learning_curve_from_data(kernel(X @ X.T), harmonic_target(X, degrees=degrees,
                                                                         seed=100),
                                        sizes, ridge=0.1)
    assert np.max(np.abs(estimate / exact - 1)) < 0.05


@pytest.mark.parametrize(("call", "message"), [
    (lambda K, y: estimate_spectrum(K[:, :-1], y), "K must be a square Gram matrix"),
    (lambda K, y: estimate_spectrum(K + np.triu(np.ones_like(K)), y), "K must be symmetric"),
    (lambda K, y: estimate_spectrum(np.where(K > 0.5, np.nan, K), y), "non-finite"),
    (lambda K, y: estimate_spectrum(K, y[:-1]), "y must be of shape"),
    (lambda K, y: estimate_spectrum(K[:1, :1], y[:1]), r"M >= 2"),
    (lambda K, y: learning_curve_from_data(K, y, [10, 31]), r"n must be .*\(0, 30\]"),
    (lambda K, y: learning_curve_from_data(K, y, [0, 5]), "n must be"),
    (lambda K, y: learning_curve_from_data(K, y, [5], ridge=-1.0), "ridge must be"),
    (lambda K, y: learning_curve_from_data(K, y, [5], method="ek+2"), "method must be"),
    (lambda K, y: learning_curve_from_data(K, y, [5], kernel="relu"), "kernel must be"),
])
def test_bad_input_is_refused_with_the_argument_named(call, message):
    K, y, _, _ = _planted()
    with pytest.raises(InputError, match=message):
        call(K, y)
