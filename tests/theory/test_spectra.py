"""Tests for learnmech.theory.spectra."""

import math
import warnings

import numpy as np
import pytest

from learnmech.theory.spectra import (
    harmonic_multiplicity,
    harmonic_target,
    make_harmonic_target,
    normalised_gegenbauer,
    sphere_eigenvalues,
    taylor_coefficients,
    uniform_sphere,
    zonal_harmonic,
)

# ---------------------------------------------------------------- multiplicities


def test_multiplicity_small_cases():
    for l in range(10):
        assert harmonic_multiplicity(3, l) == 2 * l + 1
        assert harmonic_multiplicity(2, l) == (1 if l == 0 else 2)
    assert harmonic_multiplicity(4, 2) == 9  # (l+1)^2 on S^3
    assert harmonic_multiplicity(5, 0) == 1
    assert harmonic_multiplicity(5, 1) == 5
    np.testing.assert_array_equal(harmonic_multiplicity(3, np.arange(5)), [1, 3, 5, 7, 9])


@pytest.mark.parametrize("d", [2, 3, 4, 7, 20])
def test_multiplicity_sums_to_polynomial_dimension(d):
    for L in range(12):
        total = sum(harmonic_multiplicity(d, l) for l in range(L + 1))
        expected = math.comb(d + L - 1, L) + (math.comb(d + L - 2, L - 1) if L >= 1 else 0)
        assert total == expected


def test_multiplicity_large_no_overflow():
    n = harmonic_multiplicity(1000, 200)
    exact = math.comb(1199, 200) - math.comb(1197, 198)
    assert isinstance(n, float)
    assert n == pytest.approx(float(exact), rel=1e-15)
    arr = harmonic_multiplicity(1000, np.arange(201))
    assert arr.dtype == np.float64 and np.all(np.isfinite(arr))
    small = harmonic_multiplicity(1000, np.arange(3))
    assert small.dtype == np.int64
    np.testing.assert_array_equal(small, [1, 1000, 1000 * 1001 // 2 - 1])


@pytest.mark.parametrize(("d", "l"), [(1, 0), (3, -1), (3, 1.5), (2.0, 1)])
def test_multiplicity_rejects_bad_input(d, l):
    with pytest.raises(ValueError):
        harmonic_multiplicity(d, l)


# ---------------------------------------------------------------- eigenvalues


@pytest.mark.parametrize(("d", "lmax"), [(3, 40), (10, 25), (50, 13)])
def test_trace_identity_exp(d, lmax):
    # At d = 50, N(d, l) grows so fast that round-off in λ_l (~eps sqrt(N)) dominates beyond
    # l ~ 15, while N(d, l) λ_l ~ 1/l! is already below 1e-10 at l = 13.
    lam = sphere_eigenvalues(np.exp, d=d, lmax=lmax)
    N = harmonic_multiplicity(d, np.arange(lmax + 1)).astype(float)
    assert np.sum(N * lam) == pytest.approx(math.e, abs=1e-8)


@pytest.mark.parametrize("d", [2, 3, 10, 50])
def test_polynomial_kernel(d):
    lam = sphere_eigenvalues(lambda t: (1 + t) ** 3, d=d, lmax=10)
    N = harmonic_multiplicity(d, np.arange(11)).astype(float)
    assert np.sum(N * lam) == pytest.approx(8.0, abs=1e-10)
    np.testing.assert_allclose(lam[4:], 0.0, atol=1e-12)
    assert np.all(lam[:4] > 0)


@pytest.mark.parametrize("d", [2, 3, 5, 30])
def test_linear_kernel(d):
    lam = sphere_eigenvalues(lambda t: t, d=d, lmax=10)
    expected = np.zeros(11)
    expected[1] = 1.0 / d
    np.testing.assert_allclose(lam, expected, atol=1e-13)


@pytest.mark.parametrize("d", [2, 3, 6, 25])
@pytest.mark.parametrize("j", [0, 2, 5])
def test_gegenbauer_kernel(d, j):
    lam = sphere_eigenvalues(lambda t: normalised_gegenbauer(t, d=d, lmax=j)[j], d=d, lmax=12)
    expected = np.zeros(13)
    expected[j] = 1.0 / harmonic_multiplicity(d, j)
    np.testing.assert_allclose(lam, expected, atol=1e-13)


@pytest.mark.parametrize("d", [3, 10])
def test_exp_eigenvalues_positive_decreasing(d):
    lam = sphere_eigenvalues(np.exp, d=d, lmax=12)
    assert np.all(lam > 0)
    assert np.all(np.diff(lam) < 0)


def test_normalised_gegenbauer_matches_known():
    t = np.linspace(-1, 1, 11)
    P3 = normalised_gegenbauer(t, d=3, lmax=3)
    np.testing.assert_allclose(P3[2], (3 * t**2 - 1) / 2, atol=1e-15)
    np.testing.assert_allclose(P3[3], (5 * t**3 - 3 * t) / 2, atol=1e-15)
    P2 = normalised_gegenbauer(t, d=2, lmax=6)
    np.testing.assert_allclose(P2[6], np.cos(6 * np.arccos(t)), atol=1e-13)
    P = normalised_gegenbauer(np.ones(1), d=400, lmax=200)
    np.testing.assert_allclose(P[:, 0], 1.0, rtol=1e-12)


def test_eigenvalues_validation():
    with pytest.raises(ValueError, match="d"):
        sphere_eigenvalues(np.exp, d=1, lmax=3)
    with pytest.raises(ValueError, match="lmax"):
        sphere_eigenvalues(np.exp, d=3, lmax=-1)
    with pytest.raises(ValueError, match="n_quad"):
        sphere_eigenvalues(np.exp, d=3, lmax=10, n_quad=5)


# ---------------------------------------------------------------- Taylor coefficients


def test_taylor_exp():
    b = taylor_coefficients(np.exp, qmax=15)
    expected = np.array([1.0 / math.factorial(q) for q in range(16)])
    np.testing.assert_allclose(b, expected, atol=1e-12, rtol=0)


def test_taylor_geometric():
    b = taylor_coefficients(lambda t: 1.0 / (1.0 - t / 2.0), qmax=15)
    np.testing.assert_allclose(b, 2.0 ** -np.arange(16), atol=1e-12, rtol=0)


def test_taylor_warns_when_unconverged():
    # Pole at t = 1 and a circle of radius 0.999: the Fourier coefficients barely decay.
    with pytest.warns(UserWarning, match="aliased"):
        taylor_coefficients(lambda t: 1.0 / (1.0 - t), qmax=10, radius=0.999, n_points=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        taylor_coefficients(np.exp, qmax=10)


def test_taylor_validation():
    with pytest.raises(ValueError, match="radius"):
        taylor_coefficients(np.exp, qmax=3, radius=0.0)
    with pytest.raises(ValueError, match="n_points"):
        taylor_coefficients(np.exp, qmax=10, n_points=8)


# ---------------------------------------------------------------- sampling and targets


def test_uniform_sphere_moments():
    n, d = 20000, 5
    X = uniform_sphere(n, d, seed=0)
    assert X.shape == (n, d)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-12)
    # each coordinate has variance 1/d -> standard error of the mean sqrt(1/(d n))
    assert np.all(np.abs(X.mean(axis=0)) < 5 * math.sqrt(1.0 / (d * n)))
    np.testing.assert_allclose(X.T @ X / n, np.eye(d) / d, atol=0.01)
    rng = np.random.default_rng(1)
    assert uniform_sphere(3, 4, seed=rng).shape == (3, 4)
    np.testing.assert_array_equal(uniform_sphere(4, 3, seed=7), uniform_sphere(4, 3, seed=7))


def _within_se(samples, target, k=5.0):
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    return abs(samples.mean() - target) < k * se


@pytest.mark.parametrize("d", [2, 3, 8])
def test_harmonic_target_power_and_orthogonality(d):
    n = 20000
    X = uniform_sphere(n, d, seed=3)
    degrees = {0: 0.5, 1: 1.0, 2: 2.0, 4: 0.3}
    for l, p in degrees.items():
        f = harmonic_target(X, degrees={l: p}, seed=11)
        if l == 0:
            np.testing.assert_allclose(f**2, p)
        else:
            assert _within_se(f**2, p)
    f1 = harmonic_target(X, degrees={1: 1.0}, seed=5)
    f2 = harmonic_target(X, degrees={2: 2.0}, seed=6)
    assert _within_se(f1 * f2, 0.0)
    f = make_harmonic_target(d, degrees=degrees, seed=9)
    assert _within_se(f(X) ** 2, sum(degrees.values()))
    np.testing.assert_array_equal(f(X[:10]), harmonic_target(X[:10], degrees=degrees, seed=9))


def test_zonal_harmonic_mean_square():
    d, l, n = 4, 3, 20000
    X = uniform_sphere(n, d, seed=2)
    u = np.zeros(d)
    u[0] = 1.0
    Y = zonal_harmonic(X, u, l)
    assert zonal_harmonic(u[None, :], u, l)[0] == pytest.approx(1.0)
    assert _within_se(Y**2, 1.0 / harmonic_multiplicity(d, l))
    with pytest.raises(ValueError, match="unit"):
        zonal_harmonic(X, 2 * u, l)


def test_harmonic_target_validation():
    X = uniform_sphere(5, 3, seed=0)
    with pytest.raises(ValueError, match="power"):
        harmonic_target(X, degrees={1: -1.0}, seed=0)
    with pytest.raises(ValueError, match="degree"):
        harmonic_target(X, degrees={-1: 1.0}, seed=0)


@pytest.mark.parametrize("l", [1, 2, 3])
def test_nystrom_eigenfunction(l):
    d, n = 5, 20000
    lam = sphere_eigenvalues(np.exp, d=d, lmax=l)[l]
    Xp = uniform_sphere(n, d, seed=100 + l)
    u = uniform_sphere(1, d, seed=7)[0]
    Y = zonal_harmonic(Xp, u, l)
    X = uniform_sphere(6, d, seed=8)
    X[0] = u  # include the pole, where Y_l is largest
    K = np.exp(X @ Xp.T)  # (6, n)
    samples = K * Y[None, :]
    est = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / math.sqrt(n)
    exact = lam * zonal_harmonic(X, u, l)
    assert np.all(np.abs(est - exact) < 5 * se)
