"""Named activations without a closed-form layer map, with their first three derivatives.

``FAMILIES[name](x)`` returns ``(φ, φ', φ'', φ''')`` at the points ``x`` (any shape, float64),
each from one exponential and a few arithmetic operations, finite for every float64 ``x`` (no
``cosh`` overflow, no ``1 − tanh²`` cancellation). The quadrature of
:mod:`~learnmech.theory.kernels.quadrature` integrates ``φ`` and ``φ'`` (a layer map); the
tables of :mod:`~learnmech.theory.kernels.table` also need ``φ''`` and ``φ'''``, because by
Price's theorem ``∂/∂Σ12 E[φ⁽ᵐ⁾(u) φ⁽ᵐ⁾(v)] = E[φ⁽ᵐ⁺¹⁾(u) φ⁽ᵐ⁺¹⁾(v)]`` gives the derivatives of
a layer map in the correlation from the next derivative's.

* tanh: with ``e = exp(−2|x|)``, ``tanh x = sign(x) (1 − e)/(1 + e)`` (``1 − e`` by ``expm1``) and
  ``sech² x = 4e/(1 + e)²``; ``φ'' = −2 tanh·sech²``, ``φ''' = sech² (4 − 6 sech²)``.
* sigmoid ``σ(x) = 1/(1 + e^{−x})``: with ``e = exp(−|x|)``, ``σ' = e/(1 + e)²``,
  ``σ'' = σ'(1 − 2σ)``, ``σ''' = σ'((1 − 2σ)² − 2σ')``.
* softplus ``log(1 + eˣ) = max(x, 0) + log1p(e)``: derivatives ``σ, σ', σ''``.
* GELU ``x Φ(x)``, erf and ReLU have closed forms
  (:mod:`~learnmech.theory.kernels.closed_forms`); their families are here to check those by
  quadrature. GELU: ``φ' = Φ + x N``, ``φ'' = (2 − x²) N``, ``φ''' = x (x² − 4) N`` (``N`` the
  standard normal density); erf: ``φ' = (2/√π) e^{−x²}``, ``φ'' = −2x φ'``,
  ``φ''' = (4x² − 2) φ'``; ReLU: ``(max(x, 0), 1{x > 0}, 0, 0)``, listed in :data:`KINKED`
  (the quadrature must resolve its kink, see
  :func:`~learnmech.theory.kernels.quadrature.pair_moments`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import erf, ndtr

__all__ = ["Family", "FAMILIES", "PAIRS", "KINKED", "TABULATED"]

#: ``x ↦ (φ(x), φ'(x), φ''(x), φ'''(x))``.
Family = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _tanh(x: np.ndarray) -> tuple[np.ndarray, ...]:
    em1 = np.expm1(-2.0 * np.abs(x))  # e − 1, exact for tiny x
    e = np.exp(-2.0 * np.abs(x))
    t = np.copysign(-em1 / (2.0 + em1), x)
    s = 4.0 * e / (1.0 + e) ** 2
    return t, s, -2.0 * t * s, s * (4.0 - 6.0 * s)


def _sigmoid_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(σ, σ', e)`` with ``e = exp(−|x|)``."""
    e = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return sig, e / (1.0 + e) ** 2, e


def _sigmoid(x: np.ndarray) -> tuple[np.ndarray, ...]:
    sig, d1, _ = _sigmoid_parts(x)
    skew = 1.0 - 2.0 * sig
    return sig, d1, d1 * skew, d1 * (skew * skew - 2.0 * d1)


def _softplus(x: np.ndarray) -> tuple[np.ndarray, ...]:
    sig, d1, e = _sigmoid_parts(x)
    return np.maximum(x, 0.0) + np.log1p(e), sig, d1, d1 * (1.0 - 2.0 * sig)


def _gelu(x: np.ndarray) -> tuple[np.ndarray, ...]:
    dens = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
    x2 = x * x
    return x * ndtr(x), ndtr(x) + x * dens, (2.0 - x2) * dens, x * (x2 - 4.0) * dens


def _erf(x: np.ndarray) -> tuple[np.ndarray, ...]:
    d1 = (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)
    return erf(x), d1, -2.0 * x * d1, (4.0 * x * x - 2.0) * d1


def _relu(x: np.ndarray) -> tuple[np.ndarray, ...]:
    zero = np.zeros_like(x)
    return np.maximum(x, 0.0), (x > 0) * 1.0, zero, zero


#: Derivative families by name.
FAMILIES: dict[str, Family] = {
    "tanh": _tanh, "sigmoid": _sigmoid, "softplus": _softplus, "gelu": _gelu, "erf": _erf,
    "relu": _relu,
}

#: Activations whose layer map is tabulated (:mod:`~learnmech.theory.kernels.table`; sigmoid
#: through tanh's table).
TABULATED: tuple[str, ...] = ("tanh", "softplus", "sigmoid")

#: Families with a kink (their quadrature resolves a step of width ``tan θ``).
KINKED = frozenset({"relu"})


def _pair(family: Family) -> tuple[Callable[[np.ndarray], np.ndarray], ...]:
    return (lambda x: family(np.asarray(x, np.float64))[0],
            lambda x: family(np.asarray(x, np.float64))[1])


#: ``name -> (φ, φ')`` of every family.
PAIRS = {name: _pair(family) for name, family in FAMILIES.items()}
