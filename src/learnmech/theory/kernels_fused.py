"""Fused numba kernels for the closed-form layer recursions (ReLU, erf, linear), in place.

The numpy backend of :func:`learnmech.theory.kernels.fc_kernel` writes the Gram matrix
``x·x'`` straight into the output array (one BLAS call per row block) and then runs the *whole*
depth recursion of :mod:`learnmech.theory.kernels` on each entry while it sits in cache: one
read and one write of the ``(n1, n2)`` array in total, however deep the network. The formulas
are those of the :mod:`~learnmech.theory.kernels` docstring, rewritten with per-point factors
computed once per layer,

* ReLU: ``c = Σ · q1^{-1/2} q2^{-1/2}`` (clipped to [−1, 1]), ``θ = arccos c``,
  ``E[φφ] = √q1 √q2 (sin θ + (π − θ) c)/(2π)``, ``E[φ'φ'] = (π − θ)/(2π)``;
* erf: ``a = 2Σ (1+2q1)^{-1/2} (1+2q2)^{-1/2}``, ``E[φφ] = (2/π) arcsin a``,
  ``E[φ'φ'] = (4/π) (1+2q1)^{-1/2} (1+2q2)^{-1/2} / √(1 − a²)``;
* linear: ``E[φφ] = Σ``, ``E[φ'φ'] = 1``,

so the inner loop has no per-entry division by a norm. ``arccos``/``arcsin`` are evaluated by
the branch-free rational approximation of fdlibm's ``e_asin.c`` (Remez-fitted coefficients;
``asin x = x + x·R(x²)`` on ``|x| ≤ ½`` and ``asin x = π/2 − 2 asin √((1−|x|)/2)`` beyond), which
LLVM vectorises; it is within 1 ulp of libm's ``acos`` in absolute error (checked in the tests).

Only float64; single-threaded (the BLAS product that fills the Gram matrix may use threads).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["ACT_CODES", "fused_rows", "mirror_lower"]

#: Activation name -> integer code used inside the compiled kernels.
ACT_CODES = {"linear": 0, "relu": 1, "erf": 2}

# fastmath without reassociation: FMA contraction and no NaN/inf/signed-zero bookkeeping.
_FM = {"contract", "nnan", "ninf", "nsz"}
_JIT = {"cache": True, "fastmath": _FM, "error_model": "numpy"}

# R(z) = z P(z)/Q(z), asin(s) = s + s R(s²) on [0, 1/2] (fdlibm e_asin.c coefficients)
_P0 = 1.66666666666666657415e-01
_P1 = -3.25565818622400915405e-01
_P2 = 2.01212532134862925881e-01
_P3 = -4.00555345006794114027e-02
_P4 = 7.91534994289814532176e-04
_P5 = 3.47933107596021167570e-05
_Q1 = -2.40339491173441421878e00
_Q2 = 2.02094576023350569471e00
_Q3 = -6.88283971605453293030e-01
_Q4 = 7.70381505559019352791e-02
_HALF_PI = 0.5 * math.pi
_INV_2PI = 0.5 / math.pi
_TILE = 512  # columns per tile: the tile's Σ, Θ and column factors stay in L1/L2


@njit(inline="always", **_JIT)
def _asin_reduced(a: float) -> tuple[float, bool]:
    """(asin s, small) for a = |x| ∈ [0, 1]: s = a if a ≤ ½ else √((1 − a)/2)."""
    small = a <= 0.5
    z = a * a if small else 0.5 - 0.5 * a
    root = math.sqrt(z)
    s = a if small else root
    # asin(s) = s + s z P(z)/Q(z)
    p = z * (_P0 + z * (_P1 + z * (_P2 + z * (_P3 + z * (_P4 + z * _P5)))))
    q = 1.0 + z * (_Q1 + z * (_Q2 + z * (_Q3 + z * _Q4)))
    return s + s * (p / q), small


@njit(inline="always", **_JIT)
def acos_fast(x: float) -> float:
    """arccos x for x ∈ [−1, 1], branch-free (vectorisable)."""
    r, small = _asin_reduced(abs(x))
    # |x| ≤ ½: π/2 − asin x;  x > ½: 2 asin √((1−x)/2);  x < −½: π − 2 asin √((1+x)/2)
    big = 2.0 * r if x >= 0.0 else math.pi - 2.0 * r
    return _HALF_PI - math.copysign(r, x) if small else big


@njit(inline="always", **_JIT)
def asin_fast(x: float) -> float:
    """arcsin x for x ∈ [−1, 1], branch-free (vectorisable)."""
    r, small = _asin_reduced(abs(x))
    return math.copysign(r if small else _HALF_PI - 2.0 * r, x)


@njit(**_JIT)
def acos_array(x: np.ndarray) -> np.ndarray:
    """:func:`acos_fast` over a 1-D array (for tests)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = acos_fast(x[i])
    return out


@njit(**_JIT)
def asin_array(x: np.ndarray) -> np.ndarray:
    """:func:`asin_fast` over a 1-D array (for tests)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = asin_fast(x[i])
    return out


@njit(inline="always", **_JIT)
def _relu_layer(sig, the, m, fa, ga, fb, gb, w2, b2):
    """One ReLU layer on a tile: Σ ← σ_w² E[φφ] + σ_b², Θ ← Σ_new + σ_w² E[φ'φ'] Θ."""
    for j in range(m):
        s = sig[j]
        norm = ga * gb[j]  # √q1 √q2
        c = min(max(s * fa * fb[j], -1.0), 1.0)
        pi_minus_theta = math.pi - acos_fast(c)
        sin_t = math.sqrt((1.0 - c) * (1.0 + c))
        s_new = w2 * _INV_2PI * (norm * (sin_t + pi_minus_theta * c)) + b2
        the[j] = s_new + w2 * _INV_2PI * pi_minus_theta * the[j]
        sig[j] = s_new


@njit(inline="always", **_JIT)
def _erf_layer(sig, the, m, fa, fb, w2, b2):
    """One erf layer on a tile (Williams 1997); fa, fb = (1 + 2q)^{-1/2}."""
    for j in range(m):
        f = fa * fb[j]
        arg = min(max(2.0 * sig[j] * f, -1.0), 1.0)
        s_new = w2 * (2.0 / math.pi) * asin_fast(arg) + b2
        e_dphi = (4.0 / math.pi) * f / math.sqrt((1.0 - arg) * (1.0 + arg))
        the[j] = s_new + w2 * e_dphi * the[j]
        sig[j] = s_new


@njit(inline="always", **_JIT)
def _linear_layer(sig, the, m, w2, b2):
    for j in range(m):
        s_new = w2 * sig[j] + b2
        the[j] = s_new + w2 * the[j]
        sig[j] = s_new


@njit(**_JIT)
def fused_rows(out, r0, r1, c0, d, w2, b2, act, ntk, row_f, row_g, col_f, col_g, diag):
    """Run the depth recursion in place on ``out[r0:r1, c0:]``.

    Parameters
    ----------
    out : float64 array (n1, n2), C-contiguous
        On entry ``out[r, c] = x_r · x'_c`` for the block; on exit the kernel.
    r0, r1, c0 : int
        Rows ``[r0, r1)`` and columns ``[c0, n2)`` are processed.
    d : float
        Input dimension (first layer: ``Σ¹ = σ_w² x·x'/d + σ_b²``).
    w2, b2 : float
        ``σ_w²`` and ``σ_b²``.
    act : int
        :data:`ACT_CODES` value.
    ntk : bool
        Write ``Θ^L`` (True) or ``Σ^L`` (False).
    row_f, row_g : float64 (L − 1, n1); col_f, col_g : float64 (L − 1, n2)
        Per-point factors of layer ``l`` (ReLU: ``q^{-1/2}``, ``q^{1/2}``; erf:
        ``(1+2q)^{-1/2}`` and unused; linear: unused).
    diag : float64 (n1,) or empty
        If non-empty, ``out[r, r]`` is set to ``diag[r]`` (the kernel at ``x = x'``, computed
        exactly by the caller) for every processed row ``r`` with ``r >= c0``.
    """
    n2 = out.shape[1]
    n_layers = row_f.shape[0]
    for r in range(r0, r1):
        sig = np.empty(_TILE)
        the = np.empty(_TILE)
        for j0 in range(c0, n2, _TILE):
            m = min(_TILE, n2 - j0)
            row = out[r, j0:j0 + m]
            for j in range(m):
                s = w2 * row[j] / d + b2  # Σ¹ = Θ¹
                sig[j] = s
                the[j] = s
            for layer in range(n_layers):
                if act == 1:
                    _relu_layer(sig, the, m, row_f[layer, r], row_g[layer, r],
                                col_f[layer, j0:j0 + m], col_g[layer, j0:j0 + m], w2, b2)
                elif act == 2:
                    _erf_layer(sig, the, m, row_f[layer, r], col_f[layer, j0:j0 + m], w2, b2)
                else:
                    _linear_layer(sig, the, m, w2, b2)
            src = the if ntk else sig
            for j in range(m):
                row[j] = src[j]
        if diag.shape[0] > 0 and c0 <= r < n2:
            out[r, r] = diag[r]


@njit(**_JIT)
def mirror_lower(out, r0, r1):
    """Copy the upper triangle into the lower one for rows ``[r0, r1)``: out[i, j] = out[j, i].

    For ``j < i``; tiled so that both the read (down a column) and the write stay in cache.
    """
    tile = 64
    for bi in range((r1 - r0 + tile - 1) // tile):
        i0 = r0 + bi * tile
        i1 = min(i0 + tile, r1)
        for j0 in range(0, i1, tile):
            j1 = min(j0 + tile, i1)
            for i in range(i0, i1):
                for j in range(j0, min(j1, i)):
                    out[i, j] = out[j, i]
