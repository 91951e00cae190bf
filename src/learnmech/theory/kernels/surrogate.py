"""Chebyshev surrogates of a tabulated layer map on one block of a kernel matrix.

Interpolating the tables of :mod:`~learnmech.theory.kernels.table` entry by entry costs about
400 multiply-adds with scattered loads (some 40 ns); a depth-5 NTK of 1000 points needs 2
million such evaluations. But within one block of rows and one layer the arguments of the map
fill a small box: the variances of the block's rows, those of its columns, and the angles
``θ = arccos ρ`` its entries take (after the first nonlinear layer the variances of all points
agree to a few per cent, and the correlations bunch together). On such a box the normalised
map ``G_m(q1, q2, θ) = E[φ⁽ᵐ⁾φ⁽ᵐ⁾]/√(N_m(q1) N_m(q2))`` is a low-degree polynomial in

    t1 = affine(s(q1)),  t2 = affine(s(q2)),  x = affine(θ),     s(q) = log(√q + 0.3),

each mapped to ``[−1, 1]``. :func:`fit` samples the table on a 9 × 9 × 25 Chebyshev–Lobatto
grid of the box, takes Chebyshev coefficients (DCT-I), and keeps the cheapest truncation
``(m1, m2, p)`` — cost ``(m2 + 1)(p + 1)`` per entry and output — whose discarded coefficients
sum to at most :data:`TOL` in absolute value for both outputs, which bounds the truncation
error by :data:`TOL` (``|T_k| <= 1``). A truncation must drop the last sampled coefficient of
every sampled axis, so the function is resolved by the grid; if none qualifies (a wide box
near ``θ = 0`` at large variance) there is no surrogate and the caller interpolates the table
entry by entry. The kept coefficients are converted to monomials (Horner per entry; degrees
<= 24, where the conversion loses at most ~1e-13 here). Per entry and output the evaluation
is then ``(m2 + 1)(p + 1)`` fused multiply-adds that vectorise across a row, after one
contraction over ``t1`` per row.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy.fft import dct

from learnmech.theory.kernels.table import table_diagonal, table_moments

__all__ = ["TOL", "M_FIT", "P_FIT", "Surrogate", "fit", "variance_coordinate", "theta_range"]

#: Bound on the truncation error of a surrogate of the normalised map ``G_m``.
TOL = 1e-8
#: Sampled Chebyshev degrees: in each variance and in the angle.
M_FIT, P_FIT = 8, 24
_R0 = 0.3


class Surrogate(NamedTuple):
    """``G_m(t1, t2, x) = Σ coef[m][a, b, c] t1^a t2^b x^c`` on ``[−1, 1]³`` (monomials)."""

    #: Coefficients of ``G_0`` and ``G_1``, shape ``(2, m1 + 1, m2 + 1, p + 1)``.
    coef: np.ndarray
    #: ``t = (s(q) − centre)/half`` for the rows and for the columns: ``(centre, half)`` each.
    rows: tuple[float, float]
    cols: tuple[float, float]
    #: ``x = (θ − centre)/half``.
    theta: tuple[float, float]


def variance_coordinate(q: np.ndarray) -> np.ndarray:
    """``s(q) = log(√q + 0.3)``, the coordinate the surrogate is polynomial in."""
    return np.log(np.sqrt(q) + _R0)


def _axis(lo: float, hi: float, degree: int) -> tuple[np.ndarray, tuple[float, float]]:
    """Lobatto nodes on ``[lo, hi]`` (one node if the interval is a point) and its map."""
    centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    if not half > 1e-14 * max(1.0, abs(centre)):
        return np.array([centre]), (centre, 1.0)
    return centre + half * np.cos(np.pi * np.arange(degree + 1) / degree), (centre, half)


def _chebyshev(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients of samples on Lobatto grids, along every axis of length > 1."""
    coef = values
    for axis in range(values.ndim):
        n = values.shape[axis] - 1
        if n == 0:
            continue
        coef = dct(coef, type=1, axis=axis) / n
        edge = [slice(None)] * values.ndim
        for k in (0, n):
            edge[axis] = k
            coef[tuple(edge)] /= 2.0
    return coef


def _tail_sums(coef: np.ndarray) -> np.ndarray:
    """``tail[a, b, c]`` = sum of ``|coef|`` outside ``[:a+1, :b+1, :c+1]``."""
    kept = np.abs(coef).cumsum(0).cumsum(1).cumsum(2)
    return kept[-1, -1, -1] - kept


def _truncation(coef0: np.ndarray, coef1: np.ndarray, tol: float) -> tuple[int, int, int] | None:
    """Cheapest ``(m1, m2, p)`` whose discarded coefficients sum to <= ``tol`` for both."""
    shape = coef0.shape
    ok = (_tail_sums(coef0) <= tol) & (_tail_sums(coef1) <= tol)
    limits = [n - 2 if n > 1 else 0 for n in shape]  # drop the last sampled coefficient
    ok[limits[0] + 1:] = False
    ok[:, limits[1] + 1:] = False
    ok[:, :, limits[2] + 1:] = False
    if not ok.any():
        return None
    a, b, c = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    cost = np.where(ok, (b + 1) * (c + 1) + 0.01 * (a + 1), np.inf)
    return tuple(int(i) for i in np.unravel_index(np.argmin(cost), shape))


@lru_cache(maxsize=64)
def _chebyshev_to_power(n: int) -> np.ndarray:
    """``M`` (n, n) with ``T_k(x) = Σ_i M[i, k] x^i`` (``T_{k+1} = 2x T_k − T_{k−1}``)."""
    basis = np.zeros((n, n))
    basis[0, 0] = 1.0
    if n > 1:
        basis[1, 1] = 1.0
    for k in range(1, n - 1):
        basis[1:, k + 1] = 2.0 * basis[:-1, k]
        basis[:, k + 1] -= basis[:, k - 1]
    return basis


def _to_monomials(coef: np.ndarray) -> np.ndarray:
    """Chebyshev tensor coefficients to monomial ones, axis by axis."""
    out = coef
    for axis in range(coef.ndim):
        basis = _chebyshev_to_power(coef.shape[axis])
        out = np.moveaxis(np.tensordot(basis, out, axes=([1], [axis])), 0, axis)
    return out


def fit(name: str, q_rows: tuple[float, float], q_cols: tuple[float, float],
        theta: tuple[float, float], *, tol: float = TOL) -> Surrogate | None:
    """The surrogate of activation ``name``'s normalised layer map on the box
    ``q1 ∈ q_rows``, ``q2 ∈ q_cols``, ``θ ∈ theta`` (variances within the table), or None if
    no truncation of the sampled degrees meets ``tol``."""
    s_rows, rows = _axis(*variance_coordinate(np.array(q_rows)), M_FIT)
    s_cols, cols = _axis(*variance_coordinate(np.array(q_cols)), M_FIT)
    angles, theta_map = _axis(*theta, P_FIT)
    q1 = (np.exp(s_rows) - _R0) ** 2
    q2 = (np.exp(s_cols) - _R0) ** 2
    grid = np.meshgrid(q1, q2, np.cos(angles), indexing="ij")
    e0, e1 = table_moments(name, *(np.ascontiguousarray(g.ravel()) for g in grid))
    n_rows, n_cols = table_diagonal(name, q1), table_diagonal(name, q2)
    with np.errstate(divide="ignore", invalid="ignore"):  # tanh at q = 0: no fit, see below
        g0 = e0.reshape(grid[0].shape) / np.sqrt(n_rows[0])[:, None, None] / np.sqrt(
            n_cols[0])[None, :, None]
        g1 = e1.reshape(grid[0].shape) / np.sqrt(n_rows[1])[:, None, None] / np.sqrt(
            n_cols[1])[None, :, None]
    coef0, coef1 = _chebyshev(g0), _chebyshev(g1)
    cut = _truncation(coef0, coef1, tol)
    if cut is None or not (np.isfinite(coef0).all() and np.isfinite(coef1).all()):
        return None  # unresolved, or a zero variance in the box (tanh's N_0(0) = 0)
    keep = tuple(slice(0, k + 1) for k in cut)
    coef = np.stack([_to_monomials(coef0[keep]), _to_monomials(coef1[keep])])
    return Surrogate(np.ascontiguousarray(coef), rows, cols, theta_map)


def theta_range(rho_lo: float, rho_hi: float) -> tuple[float, float]:
    """``[arccos rho_hi, arccos rho_lo]`` (correlations clipped to ``[−1, 1]``)."""
    return (math.acos(min(max(rho_hi, -1.0), 1.0)), math.acos(min(max(rho_lo, -1.0), 1.0)))
