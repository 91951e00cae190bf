"""Fused numba pass for the closed-form layer recursions (ReLU, erf, GELU, linear), in place.

The numpy backend of :func:`learnmech.theory.kernels.fc_kernel` writes the Gram matrix
``x·x'`` straight into the output array (one BLAS call per row block, :func:`fused_kernel`) and
then runs the *whole* depth recursion of :mod:`learnmech.theory.kernels.recursion` on each
entry while it sits in cache: one read and one write of the ``(n1, n2)`` array in total,
however deep the network. The formulas are those of
:mod:`~learnmech.theory.kernels.closed_forms`, rewritten with the per-point factors of
:func:`~learnmech.theory.kernels.closed_forms.layer_factors` computed once per layer,

* ReLU: ``c = Σ · q1^{-1/2} q2^{-1/2}`` (clipped to [−1, 1]), ``θ = arccos c``,
  ``E[φφ] = √q1 √q2 (sin θ + (π − θ) c)/(2π)``, ``E[φ'φ'] = (π − θ)/(2π)``;
* erf: the same ``c``, ``a = c h1 h2``, ``E[φφ] = (2/π) arcsin a``,
  ``1 − a² = α1 + α2 − α1 α2 + (h1 h2)² (1 − c)(1 + c)``,
  ``E[φ'φ'] = (4/π) √α1 √α2 / √(1 − a²)`` (``α = 1/(1+2q)``, ``h = √(2q/(1+2q))``);
* GELU: the same ``c``, ``r = c h1 h2``, ``ω = α1 + α2 − α1 α2 + (h1 h2)² (1 − c)(1 + c)``
  (``α = 1/(1+q)``, ``h = √(q/(1+q))``), ``E[φφ]`` and ``E[φ'φ']`` as in
  :func:`~learnmech.theory.kernels.closed_forms.gelu_moments`;
* linear: ``E[φφ] = Σ``, ``E[φ'φ'] = 1``,

so the inner loop has no per-entry division by a norm. Each result is finally clipped to
``±√K(x, x) √K(x', x')`` and flushed to 0 if subnormal, as in the numpy recursion.

``arccos``/``arcsin`` are evaluated by the branch-free rational approximation of fdlibm's
``e_asin.c`` (Remez-fitted coefficients; ``asin x = x + x·R(x²)`` on ``|x| ≤ ½`` and
``asin x = π/2 − 2 asin √((1−|x|)/2)`` beyond), which LLVM vectorises; it is within 1 ulp of
libm's ``acos`` in absolute error (checked in the tests).

Only float64; single-threaded (the BLAS product that fills the Gram matrix may use threads).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from learnmech.theory.kernels.closed_forms import layer_factors
from learnmech.theory.kernels.numerics import TINY, flush_subnormal
from learnmech.theory.kernels.recursion import point_diagonals

__all__ = ["ACT_CODES", "FUSED_BLOCK_ROWS", "fused_kernel", "fused_rows", "mirror_lower",
           "acos_array", "asin_array"]

#: Default rows of the first input per block (the kernel is written in place).
FUSED_BLOCK_ROWS = 256

#: Activation name -> integer code used inside the compiled kernels.
ACT_CODES = {"linear": 0, "relu": 1, "erf": 2, "gelu": 3}

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
_TINY = TINY


def fused_kernel(
    A: np.ndarray, B: np.ndarray | None, *, name: str, depth: int, w2: float, b2: float,
    kind: str, block_rows: int = FUSED_BLOCK_ROWS,
) -> np.ndarray:
    """Closed-form kernel (n1, n2) of ``A`` (n1, d) and ``B`` (n2, d): Gram product into the
    result, fused recursion in place.

    ``B is None`` means ``B = A``: only blocks on or above the diagonal are computed, the exact
    diagonal ``K(x, x)`` is written from the 1-D recursion and the lower triangle mirrored.
    Refuses (:class:`~learnmech.core.errors.InputError`) a kernel that overflows float64.
    """
    same = B is None
    B = A if same else B
    n1, n2, d = A.shape[0], B.shape[0], A.shape[1]
    kw = {"name": name, "phi": None, "dphi": None, "depth": depth, "w2": w2, "b2": b2,
          "kind": kind}
    rows = point_diagonals("X1", A, **kw)
    cols = rows if same else point_diagonals("X2", B, **kw)
    n_nonlinear = depth - 1
    row_f = layer_factors(name, rows.q_layers[:n_nonlinear], n1)
    col_f = row_f if same else layer_factors(name, cols.q_layers[:n_nonlinear], n2)
    row_diag = flush_subnormal(np.array(rows.kernel, np.float64))
    col_diag = row_diag if same else flush_subnormal(np.array(cols.kernel, np.float64))
    row_root, col_root = np.sqrt(row_diag), np.sqrt(col_diag)
    diag = row_diag if same else np.empty(0)  # K(x, x) from the 1-D recursion: c = 1 exactly
    out = np.empty((n1, n2), dtype=np.float64)
    code, ntk = ACT_CODES[name], kind == "ntk"
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        c0 = i0 if same else 0
        np.matmul(A[i0:i1], B[c0:].T, out=out[i0:i1, c0:])  # (rows, n2 − c0): x·x'
        fused_rows(out, i0, i1, c0, float(d), w2, b2, code, ntk, row_f, col_f, row_root,
                   col_root, diag)
    if same:
        mirror_lower(out, 0, n1)
    return out


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
def _relu_layer(sig, the, m, ia, ga, ib, gb, w2, b2):
    """One ReLU layer on a tile: Σ ← σ_w² E[φφ] + σ_b², Θ ← Σ_new + σ_w² E[φ'φ'] Θ.

    ``ia``, ``ga`` = ``q^{-1/2}``, ``q^{1/2}`` of the row point; ``ib``, ``gb`` of the columns.
    """
    for j in range(m):
        s = sig[j]
        norm = ga * gb[j]  # √q1 √q2
        c = min(max(s * ia * ib[j], -1.0), 1.0)
        pi_minus_theta = math.pi - acos_fast(c)
        sin_t = math.sqrt((1.0 - c) * (1.0 + c))
        s_new = w2 * _INV_2PI * (norm * (sin_t + pi_minus_theta * c)) + b2
        the[j] = s_new + w2 * _INV_2PI * pi_minus_theta * the[j]
        sig[j] = s_new


@njit(inline="always", **_JIT)
def _erf_layer(sig, the, m, ia, fa, aa, ha, ib, fb, ab, hb, w2, b2):
    """One erf layer on a tile (Williams 1997), in the cancellation-free form of
    :mod:`~learnmech.theory.kernels.closed_forms`; ``(i, f, a, h)`` = ``(q^{-1/2}, √α, α, h)``
    of the row point (``*a``) and of the columns (``*b``)."""
    for j in range(m):
        c = min(max(sig[j] * ia * ib[j], -1.0), 1.0)
        hh = ha * hb[j]
        s_new = w2 * (2.0 / math.pi) * asin_fast(c * hh) + b2
        one_minus_a2 = aa + ab[j] - aa * ab[j] + hh * hh * ((1.0 - c) * (1.0 + c))
        e_dphi = (4.0 / math.pi) * (fa * fb[j]) / math.sqrt(one_minus_a2)
        the[j] = s_new + w2 * e_dphi * the[j]
        sig[j] = s_new


@njit(inline="always", **_JIT)
def _gelu_layer(sig, the, m, ia, ga, aa, ra, ha, ib, gb, ab, rb, hb, w2, b2):
    """One GELU layer on a tile (:func:`~learnmech.theory.kernels.closed_forms.gelu_moments`);
    ``(i, g, a, r, h)`` = ``(q^{-1/2}, √q, α, √α, h)`` of the row point and of the columns."""
    for j in range(m):
        c = min(max(sig[j] * ia * ib[j], -1.0), 1.0)
        norm = ga * gb[j]
        hh = ha * hb[j]
        r = c * hh
        a2 = ab[j]
        omega = aa + a2 - aa * a2 + hh * hh * ((1.0 - c) * (1.0 + c))
        root = math.sqrt(omega)
        arc = asin_fast(r) * _INV_2PI
        e_phi = norm * c * (0.25 + arc) + _INV_2PI * (norm * hh * omega
                                                       + r * r * (ra * rb[j])) / root
        e_dphi = 0.25 + arc + _INV_2PI * r * ((aa + a2) + aa * a2 / omega) / root
        s_new = w2 * e_phi + b2
        the[j] = s_new + w2 * e_dphi * the[j]
        sig[j] = s_new


@njit(inline="always", **_JIT)
def _linear_layer(sig, the, m, w2, b2):
    for j in range(m):
        s_new = w2 * sig[j] + b2
        the[j] = s_new + w2 * the[j]
        sig[j] = s_new


@njit(**_JIT)
def fused_rows(out, r0, r1, c0, d, w2, b2, act, ntk, row_f, col_f, row_root, col_root, diag):
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
    row_f : float64 (L − 1, k, n1); col_f : float64 (L − 1, k, n2)
        Per-point factors of every nonlinear layer
        (:func:`~learnmech.theory.kernels.closed_forms.layer_factors`).
    row_root : float64 (n1,); col_root : float64 (n2,)
        ``√K(x, x)`` of the row and column points: every result is clipped to
        ``±√K(x, x) √K(x', x')`` (Cauchy–Schwarz, which rounding may otherwise break), then
        set to 0 if subnormal (:data:`~learnmech.theory.kernels.numerics.TINY`).
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
            j1 = j0 + m
            for layer in range(n_layers):
                # column factors indexed to 1-D C-contiguous slices (vectorised loads)
                if act == 1:
                    _relu_layer(sig, the, m, row_f[layer, 0, r], row_f[layer, 1, r],
                                col_f[layer, 0, j0:j1], col_f[layer, 1, j0:j1], w2, b2)
                elif act == 2:
                    _erf_layer(sig, the, m, row_f[layer, 0, r], row_f[layer, 1, r],
                               row_f[layer, 2, r], row_f[layer, 3, r], col_f[layer, 0, j0:j1],
                               col_f[layer, 1, j0:j1], col_f[layer, 2, j0:j1],
                               col_f[layer, 3, j0:j1], w2, b2)
                elif act == 3:
                    _gelu_layer(sig, the, m, row_f[layer, 0, r], row_f[layer, 1, r],
                                row_f[layer, 2, r], row_f[layer, 3, r], row_f[layer, 4, r],
                                col_f[layer, 0, j0:j1], col_f[layer, 1, j0:j1],
                                col_f[layer, 2, j0:j1], col_f[layer, 3, j0:j1],
                                col_f[layer, 4, j0:j1], w2, b2)
                else:
                    _linear_layer(sig, the, m, w2, b2)
            src = the if ntk else sig
            roots = col_root[j0:j0 + m]
            for j in range(m):
                bound = row_root[r] * roots[j]
                value = min(max(src[j], -bound), bound)
                row[j] = value if abs(value) >= _TINY else 0.0
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
