"""Spectra of dot-product kernels on the sphere S^{d-1}.

A dot-product kernel on the unit sphere ``S^{d-1} ⊂ R^d`` is a function ``k(t)`` of
``t = x·x'``. Its eigenfunctions are the spherical harmonics; all harmonics of degree ``l``
share one eigenvalue ``λ_l`` whose multiplicity is ``N(d, l)``.

Conventions
-----------
* ``P_l(t) = C_l^{(d/2-1)}(t) / C_l^{(d/2-1)}(1)`` is the *normalised* Gegenbauer
  polynomial (``P_l(1) = 1``); for ``d = 2`` it is the Chebyshev polynomial ``T_l`` (the
  ``alpha → 0`` limit), for ``d = 3`` the Legendre polynomial.
* Eigenvalues are those of the integral operator
  ``(T f)(x) = ∫ k(x·x') f(x') dμ(x')`` with ``μ`` the **uniform probability measure** on
  ``S^{d-1}``. With this normalisation the trace identity ``k(1) = Σ_l N(d, l) λ_l`` holds,
  and ``E_x[P_l(x·u)^2] = 1 / N(d, l)`` for any unit vector ``u``.
* Taylor coefficients ``b_q`` of ``k(t) = Σ_q b_q t^q`` are computed by a Cauchy integral on
  the circle ``|t| = R`` (FFT of ``k`` at complex ``t``), never by fitting polynomials on
  ``[-1, 1]``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping

import numpy as np
from scipy.special import roots_gegenbauer

from learnmech.theory._validate import (
    check_array,
    check_callable,
    check_degree_powers,
    check_float,
    check_int,
    check_seed,
    fail,
)

__all__ = [
    "harmonic_multiplicity",
    "normalised_gegenbauer",
    "sphere_eigenvalues",
    "taylor_coefficients",
    "uniform_sphere",
    "zonal_harmonic",
    "make_harmonic_target",
    "harmonic_target",
]

_INT64_MAX = np.iinfo(np.int64).max


def _multiplicity_exact(d: int, l: int) -> int:
    # N(d,l) = C(d+l-1, l) - C(d+l-3, l-2), with C(n, k) = 0 for k < 0.  This equals
    # (2l+d-2)(l+d-3)!/(l!(d-2)!) for l >= 1 and gives N(d,0) = 1, N(2,l>=1) = 2.
    first = math.comb(d + l - 1, l)
    second = math.comb(d + l - 3, l - 2) if l >= 2 else 0
    return first - second


def harmonic_multiplicity(d: int, l: int | np.ndarray) -> int | float | np.ndarray:
    """Number ``N(d, l)`` of linearly independent degree-``l`` spherical harmonics on S^{d-1}.

    ``N(d, l) = (2l + d - 2) (l + d - 3)! / (l! (d - 2)!)`` for ``l >= 1`` and ``N(d, 0) = 1``;
    for ``d = 2`` this is ``2`` for every ``l >= 1``; for ``d = 3`` it is ``2l + 1``.

    Parameters
    ----------
    d : int
        Ambient dimension, ``d >= 2``.
    l : int or array_like of int
        Degree(s), ``l >= 0``; any shape.

    Returns
    -------
    int, float or np.ndarray
        Computed exactly with Python integers. A scalar ``l`` gives a Python ``int`` when the
        value fits in int64 and otherwise a Python ``float`` (correctly rounded). An array ``l``
        gives an int64 array of the same shape when every value fits in int64, otherwise a
        float64 array (each entry correctly rounded; ``d = 1000, l = 200`` is ~1e234, well
        inside the float64 range).
    """
    d = check_int("d", d, 2)
    if np.ndim(l) == 0:
        lv = l.item() if isinstance(l, np.ndarray | np.generic) else l
        lv = check_int("l", lv, 0)
        n = _multiplicity_exact(d, lv)
        return n if n <= _INT64_MAX else float(n)
    arr = np.asarray(l)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise fail("l", "an array of integers >= 0", got=f"dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise fail("l", "an array of integers >= 0", got=f"minimum {arr.min()}")
    exact = [_multiplicity_exact(d, int(v)) for v in arr.ravel()]
    if all(v <= _INT64_MAX for v in exact):
        return np.array(exact, dtype=np.int64).reshape(arr.shape)
    return np.array([float(v) for v in exact], dtype=np.float64).reshape(arr.shape)


def normalised_gegenbauer(t, *, d: int, lmax: int) -> np.ndarray:
    """Normalised Gegenbauer polynomials ``P_0(t), ..., P_lmax(t)`` on S^{d-1}.

    Uses the stable forward three-term recurrence of the normalised polynomials,
    ``(l + d - 2) P_{l+1} = (2l + d - 2) t P_l - l P_{l-1}``, ``P_0 = 1``, ``P_1 = t``
    (for ``d = 2`` this is the Chebyshev recurrence, i.e. ``P_l = T_l``).

    Parameters
    ----------
    t : array_like, shape (...)
        Points (real or complex).
    d : int
        Ambient dimension, ``d >= 2``.
    lmax : int
        Highest degree, ``lmax >= 0``.

    Returns
    -------
    np.ndarray, shape (lmax + 1, ...)
        ``out[l] = P_l(t)`` with ``P_l(1) = 1``.
    """
    d = check_int("d", d, 2)
    lmax = check_int("lmax", lmax, 0)
    check_array("t", t, ndim=None, allow_complex=True)
    t = np.asarray(t)
    dtype = np.result_type(t.dtype, np.float64)
    out = np.empty((lmax + 1,) + t.shape, dtype=dtype)
    out[0] = 1.0
    if lmax >= 1:
        out[1] = t
    for l in range(1, lmax):
        out[l + 1] = ((2 * l + d - 2) * t * out[l] - l * out[l - 1]) / (l + d - 2)
    return out


def sphere_eigenvalues(
    k: Callable[[np.ndarray], np.ndarray], *, d: int, lmax: int, n_quad: int | None = None
) -> np.ndarray:
    """Eigenvalues ``λ_0, ..., λ_lmax`` of a dot-product kernel on S^{d-1} (Funk–Hecke).

    ``λ_l = (|S^{d-2}| / |S^{d-1}|) ∫_{-1}^{1} k(t) P_l(t) (1 - t^2)^{(d-3)/2} dt``, evaluated by
    Gauss–Gegenbauer quadrature with ``alpha = d/2 - 1`` (``d = 2``: Gauss–Chebyshev, the
    ``alpha = 0`` case). The constant equals one over the integral of the weight, so ``λ_l``
    is the eigenvalue of ``f ↦ ∫ k(x·x') f(x') dμ(x')`` with ``μ`` the uniform *probability*
    measure on the sphere, and ``k(1) = Σ_l N(d, l) λ_l``.

    Parameters
    ----------
    k : callable
        ``k(t)`` for a float64 array ``t`` of shape (n_quad,), returning shape (n_quad,).
    d : int
        Ambient dimension, ``d >= 2``.
    lmax : int
        Highest degree, ``lmax >= 0``.
    n_quad : int, optional
        Number of quadrature nodes, ``> lmax``. Default ``max(2 * lmax + 50, 200)``; the rule
        is exact when ``k`` is a polynomial of degree ``<= 2 n_quad - 1 - lmax``.

    Returns
    -------
    np.ndarray, shape (lmax + 1,)
        ``λ_l`` for ``l = 0..lmax``. Accuracy is absolute, not relative: the error of
        ``N(d, l) λ_l`` is roughly ``eps · sqrt(N(d, l)) · max |k|`` (round-off in a sum with
        cancellation), so at large ``d`` the tiny high-degree ``λ_l`` are noise once
        ``N(d, l) λ_l`` falls below that level. When summing ``N(d, l) λ_l`` (e.g. the trace
        identity) stop at the degree where the terms have become negligible (for ``exp`` at
        ``d = 50``, ``lmax ≈ 13``) rather than at a huge ``lmax``.
    """
    d = check_int("d", d, 2)
    lmax = check_int("lmax", lmax, 0)
    if n_quad is None:
        n_quad = max(2 * lmax + 50, 200)
    n_quad = check_int("n_quad", n_quad, lmax + 1)
    k = check_callable("k", k, "k(t)")
    alpha = d / 2.0 - 1.0
    if d == 2:
        j = np.arange(1, n_quad + 1)
        nodes = np.cos((2 * j - 1) * np.pi / (2 * n_quad))
        weights = np.full(n_quad, np.pi / n_quad)
    else:
        nodes, weights = roots_gegenbauer(n_quad, alpha)
    weights = weights / weights.sum()  # = |S^{d-2}|/|S^{d-1}| times the raw weights
    kv = _sampled("k", k, nodes, "on [-1, 1]")
    if np.iscomplexobj(kv):
        kv = kv.real
    P = normalised_gegenbauer(nodes, d=d, lmax=lmax)
    return P @ (weights * kv)


def taylor_coefficients(
    k: Callable[[np.ndarray], np.ndarray],
    *,
    qmax: int,
    radius: float = 0.5,
    n_points: int | None = None,
) -> np.ndarray:
    """Taylor coefficients ``b_0, ..., b_qmax`` of ``k(t) = Σ_q b_q t^q`` by a Cauchy integral.

    ``k`` is sampled at ``t_j = R exp(2πi j / M)``, ``j = 0..M-1``; then
    ``b_q ≈ FFT(k(t_j))[q] / (M R^q)``. The aliasing error is ``Σ_{m≥1} b_{q+mM} R^{mM}`` and
    the round-off error about ``eps · max_{|t|=R} |k| / R^q``, so ``R`` must be smaller than
    the radius of convergence (e.g. ``R < 1`` for arc-cosine/NNGP kernels with a branch point
    at ``t = ±1``) and not so small that ``R^{-qmax}`` amplifies round-off.

    Parameters
    ----------
    k : callable
        ``k(t)`` for a complex128 array ``t`` of shape (M,), returning shape (M,). Must be
        analytic in the disc ``|t| <= radius`` (written with complex-safe operations).
    qmax : int
        Highest power, ``qmax >= 0``.
    radius : float
        Circle radius ``R``, ``0 < R``.
    n_points : int, optional
        Number of samples ``M >= 2 (qmax + 1)``. Default ``max(256, 4 (qmax + 1))``.

    Returns
    -------
    np.ndarray, shape (qmax + 1,)
        Real coefficients ``b_q`` (imaginary parts are dropped; a warning is issued when they
        are not negligible, which means ``k`` is not real on the real axis).

    Warns
    -----
    UserWarning
        When the Fourier coefficients in the upper half of the spectrum (frequencies
        ``M/4 .. M/2``) are not negligible relative to the largest one — the series has not
        decayed on the circle, so the coefficients are likely aliased: lower ``radius`` or
        raise ``n_points``.
    """
    qmax = check_int("qmax", qmax, 0)
    radius = check_float("radius", radius, minimum=0.0, exclusive=True)
    if n_points is None:
        n_points = max(256, 4 * (qmax + 1))
    n_points = check_int("n_points", n_points, 2 * (qmax + 1))
    k = check_callable("k", k, "k(t) analytic on |t| <= radius")
    phi = 2.0 * np.pi * np.arange(n_points) / n_points
    t = radius * np.exp(1j * phi)
    kv = _sampled("k", k, t, "on the circle |t| = radius (is k written with complex-safe "
                  "operations and analytic there?)")
    a = np.fft.fft(kv.astype(np.complex128)) / n_points  # a_q = b_q R^q (aliased)
    scale = np.max(np.abs(a))
    if scale > 0:
        upper = np.abs(a[n_points // 4 : n_points // 2 + 1])
        if upper.size and upper.max() > 1e-11 * scale:
            warnings.warn(
                "taylor_coefficients: Fourier coefficients on |t| = radius have not decayed "
                f"(relative size {upper.max() / scale:.1e} near frequency M/2); the result is "
                "likely aliased/unconverged — decrease radius or increase n_points",
                stacklevel=2,
            )
    q = np.arange(qmax + 1)
    b = a[: qmax + 1] / radius**q
    if scale > 0 and np.max(np.abs(b.imag) * radius**q) > 1e-10 * scale:
        warnings.warn(
            "taylor_coefficients: coefficients have non-negligible imaginary parts; k does not "
            "appear to be real on the real axis (imaginary parts dropped)",
            stacklevel=2,
        )
    return b.real.copy()


def uniform_sphere(n: int, d: int, *, seed) -> np.ndarray:
    """Draw ``n`` points uniformly on the unit sphere S^{d-1} ⊂ R^d.

    Parameters
    ----------
    n : int
        Number of points, ``n >= 0``.
    d : int
        Ambient dimension, ``d >= 2``.
    seed : int, None or np.random.Generator
        Passed to ``np.random.default_rng``.

    Returns
    -------
    np.ndarray, shape (n, d)
        Rows of unit Euclidean norm (normalised standard Gaussian vectors).
    """
    n = check_int("n", n, 0)
    d = check_int("d", d, 2)
    rng = check_seed("seed", seed)
    g = rng.standard_normal((n, d))
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    while n and np.any(norms == 0):  # probability zero, but keep the guarantee
        bad = norms[:, 0] == 0
        g[bad] = rng.standard_normal((int(bad.sum()), d))
        norms = np.linalg.norm(g, axis=1, keepdims=True)
    return g / norms


def _sampled(name: str, k: Callable, t: np.ndarray, where: str) -> np.ndarray:
    """``k(t)``, refused unless it is finite and of the shape of ``t``."""
    kv = np.asarray(k(t))
    if kv.shape != t.shape:
        raise fail(name, f"a function returning shape {t.shape} for input of that shape",
                   got=f"shape {kv.shape}")
    if not np.all(np.isfinite(kv)):
        raise fail(name, f"finite {where}", got="non-finite values")
    return kv


def _check_points(X) -> np.ndarray:
    """Points as a finite (n, d) float64 array with d >= 2."""
    X = check_array("X", X, ndim=(2,), shape_text="(n, d) with d >= 2")
    if X.shape[1] < 2:
        raise fail("X", "of shape (n, d) with d >= 2", got=f"shape {X.shape}")
    return X


def zonal_harmonic(X, u, l: int) -> np.ndarray:
    """Zonal spherical harmonic of degree ``l`` with pole ``u``: ``Y(x) = P_l(x·u)``.

    ``P_l`` is the normalised Gegenbauer polynomial (``P_l(1) = 1``), so ``Y(u) = 1`` and the
    mean square over the uniform sphere is ``E_x[P_l(x·u)^2] = 1 / N(d, l)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points on S^{d-1}.
    u : array_like, shape (d,)
        Unit vector (norm 1 within 1e-8).
    l : int
        Degree, ``l >= 0``.

    Returns
    -------
    np.ndarray, shape (n,)
    """
    X = _check_points(X)
    d = X.shape[1]
    u = check_array("u", u, ndim=(1,), shape_text=f"({d},)")
    if u.shape != (d,):
        raise fail("u", f"of shape ({d},) like the rows of X", got=f"shape {u.shape}")
    if abs(np.linalg.norm(u) - 1.0) > 1e-8:
        raise fail("u", "a unit vector (norm 1 within 1e-8)", got=f"norm {np.linalg.norm(u)}")
    l = check_int("l", l, 0)
    return normalised_gegenbauer(X @ u, d=d, lmax=l)[l]


def make_harmonic_target(
    d: int, *, degrees: Mapping[int, float], seed, poles: int = 1
) -> Callable[[np.ndarray], np.ndarray]:
    """Build a fixed random target ``f = Σ_l a_l Σ_{j<m} P_l(x·u_lj)``.

    ``m = poles`` zonal harmonics per degree ``l``, with independent uniformly random poles
    ``u_lj``; ``a_l`` makes ``E_x[f_l(x)^2] = power_l`` exactly (uniform probability measure):
    since ``E_x[P_l(x·u) P_l(x·u')] = P_l(u·u')/N(d,l)``, ``a_l² = power_l N(d,l) /
    Σ_jj' P_l(u_lj·u_lj')``. Components of different degree are orthogonal, so
    ``E_x[f^2] = Σ_l power_l``. More poles spread a degree's power over more of its N(d,l)
    modes, which lowers the seed-to-seed spread of a learning curve measured on the target.

    Parameters
    ----------
    d : int
        Ambient dimension, ``d >= 2``.
    degrees : mapping int -> float
        Degree ``l >= 0`` to power ``>= 0``.
    seed : int, None or np.random.Generator
        Randomness for the poles (drawn in increasing order of degree).
    poles : int
        Zonal harmonics per degree (``>= 1``).

    Returns
    -------
    callable
        ``f(X)`` with ``X`` of shape (n, d) returning shape (n,); the same function for every
        call (use it for both training and test points).
    """
    d = check_int("d", d, 2)
    poles = check_int("poles", poles, 1)
    items = check_degree_powers("degrees", degrees, allow_empty=False)
    rng = check_seed("seed", seed)
    pole_sets = [uniform_sphere(poles, d, seed=rng) for _ in items]  # (m, d) per degree
    amps = []
    for (l, p), u in zip(items, pole_sets, strict=True):
        gram = normalised_gegenbauer(u @ u.T, d=d, lmax=l)[l].sum()
        amps.append(math.sqrt(p * float(harmonic_multiplicity(d, l)) / gram))

    def target(X) -> np.ndarray:
        X = _check_points(X)
        if X.shape[1] != d:
            raise fail("X", f"of shape (n, {d}) (the target's dimension)", got=f"shape {X.shape}")
        out = np.zeros(X.shape[0])
        for (l, _), u, amp in zip(items, pole_sets, amps, strict=True):
            P = normalised_gegenbauer(X @ u.T, d=d, lmax=l)[l]  # (n, m)
            out += amp * P.sum(axis=1)
        return out

    return target


def harmonic_target(X, *, degrees: Mapping[int, float], seed) -> np.ndarray:
    """Values at ``X`` of the random harmonic target of :func:`make_harmonic_target`.

    ``f(x) = Σ_l sqrt(power_l N(d,l)) P_l(x·u_l)`` with random unit poles ``u_l``; each degree
    has mean square ``power_l`` over the uniform sphere (since ``E[P_l(x·u)^2] = 1/N(d,l)``).
    With an integer ``seed`` the same function is evaluated on every call, so train and test
    targets are consistent; a ``Generator`` seed is consumed (a new function per call).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points on S^{d-1}.
    degrees : mapping int -> float
        Degree ``l >= 0`` to power ``>= 0``.
    seed : int, None or np.random.Generator

    Returns
    -------
    np.ndarray, shape (n,)
    """
    X = _check_points(X)
    return make_harmonic_target(X.shape[1], degrees=degrees, seed=seed)(X)
