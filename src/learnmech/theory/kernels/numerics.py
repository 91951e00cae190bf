"""Float64 arithmetic on covariances that stays inside the representable range.

The layer maps of :mod:`learnmech.theory.kernels` divide by norms and multiply variances.
Written plainly, ``√(q1 q2)`` overflows once the variances pass ~1e154 (input norms ~1e77) and
underflows below ~1e-154, although every quantity the kernel needs is representable. These
helpers evaluate such products with an exact power-of-two rescaling: ``x ↦ x·2^{-k}`` loses no
bit, so inside the range where the plain formula works they return *the same bits* as it, and
outside it they return the correctly scaled value instead of inf, 0 or NaN. Each formula is
written once here and used by every numpy layer map.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TINY", "safe_div", "geometric_mean", "schur_complement", "clip_covariance",
           "cauchy_schwarz_clip", "flush_subnormal"]

#: The smallest normal float64. Kernel values below it in magnitude (subnormal numbers, a few
#: significant bits at most) are returned as 0: only the order of magnitude of the true value,
#: not its digits, survives there, and the noise would break positive semi-definiteness.
TINY = float(np.finfo(np.float64).tiny)


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with ``0`` where ``den == 0`` (a zero-variance input has zero kernel)."""
    den_ok = np.where(den == 0, 1.0, den)
    return np.where(den == 0, 0.0, num / den_ok)


def _mid_exponent(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer ``k`` with ``a·2^{-k}`` and ``b·2^{-k}`` straddling 1 (``a b·2^{-2k} ≈ 1``)."""
    return (np.frexp(a)[1] + np.frexp(b)[1]) // 2


def geometric_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``√(a b)`` for ``a, b >= 0`` (broadcast), free of overflow and underflow.

    Equal bit for bit to ``np.sqrt(a * b)`` wherever ``a * b`` is a normal float64.
    """
    k = _mid_exponent(a, b)
    return np.ldexp(np.sqrt(np.ldexp(a, -k) * np.ldexp(b, -k)), k)


def schur_complement(s11: np.ndarray, s22: np.ndarray, s12: np.ndarray) -> np.ndarray:
    """``(s11 s22 − s12²)/s11`` (0 where ``s11 = 0``): the variance of ``v`` given ``u``.

    Real covariance entries, broadcast. Equal bit for bit to the plain formula wherever
    ``s11 s22`` is a normal float64; correct (not inf or NaN) beyond.
    """
    k = _mid_exponent(s11, s22)
    s11_k = np.ldexp(s11, -k)
    scaled = s11_k * np.ldexp(s22, -k) - np.ldexp(s12, -k) ** 2  # (s11 s22 − s12²) 2^{-2k}
    return np.ldexp(safe_div(scaled, s11_k), k)


def clip_covariance(s11: np.ndarray, s22: np.ndarray, s12: np.ndarray) -> np.ndarray:
    """``s12`` clipped to ``[−√(s11 s22), √(s11 s22)]`` (correlation in ``[−1, 1]``).

    Rounding can push a covariance past the Cauchy–Schwarz bound (a point and its copy, or any
    pair once a chaotic layer map amplifies the last bits); past it the layer maps leave their
    domain (``arcsin`` of more than 1, a negative conditional variance). Real entries only.
    """
    bound = geometric_mean(s11, s22)
    return np.clip(s12, -bound, bound)


def cauchy_schwarz_clip(K: np.ndarray, diag1: np.ndarray, diag2: np.ndarray) -> np.ndarray:
    """``K`` (n1, n2) with ``|K_ij| <= √(diag1_i diag2_j)``, in place, and returned.

    ``diag1`` (n1,) and ``diag2`` (n2,) are the kernel's values ``K(x, x)`` of the two point
    sets (each >= 0). A kernel obeys the bound exactly; the clip removes what rounding adds
    (a few ulps in the normal range, more among subnormal numbers).
    """
    bound = np.sqrt(diag1)[:, None] * np.sqrt(diag2)[None, :]
    return np.clip(K, -bound, bound, out=K)


def flush_subnormal(K: np.ndarray) -> np.ndarray:
    """``K`` with entries of magnitude below :data:`TINY` set to 0, in place, and returned."""
    K[np.abs(K) < TINY] = 0.0
    return K
