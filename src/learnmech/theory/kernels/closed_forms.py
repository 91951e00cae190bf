"""Closed-form layer maps: ReLU, erf, GELU (arc-cosine, Williams, derived below) and linear.

One nonlinear layer maps the covariance of its pre-activations to the two expectations the
recursion of :mod:`learnmech.theory.kernels` needs. With ``q1 = Σ(x,x)``, ``q2 = Σ(x',x')``,
``Σ12 = Σ(x,x')`` and the correlation ``c = Σ12/√(q1 q2)``, clipped to ``[−1, 1]`` (rounding can
push it past; see :func:`~learnmech.theory.kernels.numerics.clip_covariance`):

* ReLU (arc-cosine kernels of degree 1 and 0, Cho & Saul 2009), ``θ = arccos c``:
  ``E[φφ] = √(q1 q2)/(2π) (sin θ + (π − θ) cos θ)``, ``E[φ'φ'] = (π − θ)/(2π)``;
* erf (Williams 1997): ``E[φφ] = (2/π) arcsin a`` and ``E[φ'φ'] = (4/π)/√((1+2q1)(1+2q2)(1 − a²))``
  with ``a = 2Σ12/√((1+2q1)(1+2q2)) = c h1 h2``, written with the per-point quantities
  ``α = 1/(1+2q)`` and ``h = √(2q/(1+2q))`` (:func:`erf_point_factors`) as::

      1 − a² = α1 + α2 − α1 α2 + (h1 h2)² (1 − c)(1 + c),
      E[φ'φ'] = (4/π) √α1 √α2 / √(1 − a²),

  a sum of non-negative terms: no cancellation, and at ``c = 1`` (``x = x'``) exactly
  ``(4/π)/√(1 + 2q1 + 2q2)``, however large the variances (the textbook ``(1+2q1)(1+2q2) − 4Σ12²``
  loses a relative ``ε q`` to cancellation and overflows from ``q ~ 1e154``);
* GELU ``φ(x) = x Φ(x)`` (derivation below), with ``α = 1/(1+q)``, ``h = √(q/(1+q))`` per point,
  ``g = √(q1 q2)``, ``r = c h1 h2`` and ``ω = 1 − r² = α1 + α2 − α1 α2 + (h1 h2)² (1 − c)(1 + c)``::

      E[φ'φ'] = 1/4 + asin(r)/(2π) + r (α1 + α2)/(2π √ω) + r α1 α2/(2π ω^{3/2}),
      E[φφ]   = Σ12/4 + Σ12 asin(r)/(2π) + (g h1 h2 ω + r² √(α1 α2))/(2π √ω);

* linear: ``E[φφ] = Σ12``, ``E[φ'φ'] = 1``.

GELU derivation. ``Φ(u) = P(Z1 <= u)`` with ``Z1`` standard normal and independent, so
``E[Φ(u)Φ(v)] = P(A >= 0, B >= 0)`` for ``A = u − Z1``, ``B = v − Z2``, whose correlation is
``r = Σ12/√((1+q1)(1+q2))``: Sheppard's orthant formula gives ``1/4 + asin(r)/(2π)``. The
terms with the density ``N``: multiplying the joint density of ``(u, v)`` by ``N(v)`` leaves a
Gaussian with ``Var v = q2/(1+q2)``, ``Cov(u, v) = Σ12/(1+q2)``, ``Var u = q1 − Σ12²/(1+q2)``
and mass ``1/√(2π(1+q2))``; Stein's lemma then gives
``E[Φ(u) v N(v)] = Σ12/(2π (1+q2) √D)`` with ``D = (1+q1)(1+q2) − Σ12² = (1+q1)(1+q2) ω``,
and tilting by ``N(u)N(v)`` (mass ``1/(2π √D)``, covariance ``Σ(I + Σ)^{-1}``, off-diagonal
``Σ12/D``) gives ``E[u N(u) v N(v)] = Σ12/(2π D^{3/2})``. Their sum is ``E[φ'φ']`` above.
``E[φφ]`` follows from Price's theorem, ``∂E[φ(u)φ(v)]/∂Σ12 = E[φ'(u)φ'(v)]``, integrated from
``Σ12 = 0`` where ``E[φφ] = E[uΦ(u)] E[vΦ(v)] = q1 q2/(2π √((1+q1)(1+q2)))``; the constants
cancel and ``(q1 q2 D + Σ12²)/(2π (1+q1)(1+q2) √D)`` remains, written above per point
(checked against quadrature to 1e-12 in ``tests/theory/test_kernels_tabulated.py``). ``ω`` is a
sum of non-negative terms (no cancellation at ``c = 1``, no overflow of ``(1+q1)(1+q2)``).

They are written with ``arccos``, ``arcsin`` and ``sqrt``, which numpy evaluates for complex
arguments (``c`` is then not clipped), so the kernel is analytic in ``t = x·x'`` on the unit
disc and can be sampled on a complex circle (Taylor coefficients by a Cauchy integral).

The fused numba pass (:mod:`~learnmech.theory.kernels.fused`) and the torch backend evaluate the
same formulas with the per-point factors of :func:`layer_factors` computed once per layer, so
the inner loop holds no division by a norm.

References: Y. Cho and L. K. Saul, "Kernel methods for deep learning", NIPS 22 (2009);
C. K. I. Williams, "Computing with infinite networks", NIPS 9 (1997); D. Hendrycks and
K. Gimpel, "Gaussian error linear units", arXiv:1606.08415 (2016).
"""

from __future__ import annotations

import numpy as np

from learnmech.theory.kernels.numerics import geometric_mean, safe_div

__all__ = ["CLOSED_FORM", "FACTORS_PER_LAYER", "closed_form_layer", "erf_point_factors",
           "gelu_point_factors", "gelu_moments", "layer_factors"]

#: Activations with a closed-form layer map.
CLOSED_FORM: tuple[str, ...] = ("relu", "erf", "linear", "gelu")

#: Per-point factors per layer (:func:`layer_factors`) of each closed-form activation.
FACTORS_PER_LAYER = {"relu": 2, "erf": 4, "linear": 0, "gelu": 5}

_INV_2PI = 0.5 / np.pi


def closed_form_layer(
    name: str, s11: np.ndarray, s22: np.ndarray, s12: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(E[φ(u)φ(v)], E[φ'(u)φ'(v)])`` for ``name`` in :data:`CLOSED_FORM`.

    ``s11``, ``s22`` real variances, ``s12`` real or complex; broadcast against each other to a
    common shape, which the results have.
    """
    cplx = np.iscomplexobj(s12)
    if name == "linear":
        return s12 * 1.0, np.ones(np.broadcast(s11, s22, s12).shape)
    norm = geometric_mean(s11, s22)
    c = safe_div(s12, norm)
    if not cplx:
        c = np.clip(c, -1.0, 1.0)
    if name == "relu":
        theta = np.arccos(c)
        sin_t = np.sqrt(1.0 - c * c)
        e_phi = norm / (2.0 * np.pi) * (sin_t + (np.pi - theta) * c)
        e_dphi = (np.pi - theta) / (2.0 * np.pi)
        return e_phi, e_dphi
    if name == "erf":
        _, f1, alpha1, h1 = erf_point_factors(s11)
        _, f2, alpha2, h2 = erf_point_factors(s22)
        hh = h1 * h2
        e_phi = (2.0 / np.pi) * np.arcsin(c * hh)
        one_minus_a2 = alpha1 + alpha2 - alpha1 * alpha2 + hh * hh * ((1.0 - c) * (1.0 + c))
        e_dphi = (4.0 / np.pi) * (f1 * f2) / np.sqrt(one_minus_a2)
        return e_phi, e_dphi
    if name == "gelu":
        _, _, alpha1, root1, h1 = gelu_point_factors(s11)
        _, _, alpha2, root2, h2 = gelu_point_factors(s22)
        return gelu_moments(s12 if cplx else norm * c, c, norm, alpha1, alpha2, root1 * root2,
                            h1 * h2)
    raise AssertionError(name)  # pragma: no cover


def gelu_moments(s12, c, norm, alpha1, alpha2, root12, hh):
    """GELU's ``(E[φφ], E[φ'φ'])`` (module docstring) from the covariance ``s12``, the
    correlation ``c``, ``norm = √(q1 q2)`` and the per-point ``α``, ``√α1 √α2`` and ``h1 h2``.
    Elementwise; numpy arrays (real or complex ``s12``, ``c``) or scalars."""
    r = c * hh
    omega = alpha1 + alpha2 - alpha1 * alpha2 + hh * hh * ((1.0 - c) * (1.0 + c))
    root = np.sqrt(omega)
    arc = np.arcsin(r) * _INV_2PI
    e_phi = s12 * (0.25 + arc) + _INV_2PI * (norm * hh * omega + r * r * root12) / root
    e_dphi = 0.25 + arc + _INV_2PI * r * ((alpha1 + alpha2) + alpha1 * alpha2 / omega) / root
    return e_phi, e_dphi


def gelu_point_factors(q: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(q^{-1/2}, √q, α, √α, h)`` of variances ``q >= 0``: ``α = 1/(1+q)``,
    ``h = √(q/(1+q))`` (``q^{-1/2}`` is 0 where ``q = 0``)."""
    q = np.asarray(q, dtype=np.float64)
    one_plus_q = 1.0 + q
    alpha = 1.0 / one_plus_q
    root = np.sqrt(q)
    return (safe_div(np.ones_like(q), root), root, alpha, np.sqrt(alpha),
            np.sqrt(q / one_plus_q))


def erf_point_factors(q: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(q^{-1/2}, √α, α, h)`` of variances ``q >= 0``: ``α = 1/(1+2q)``, ``h = √(2q/(1+2q))``.

    ``q^{-1/2}`` is 0 where ``q = 0``. Written as ``α = ½/(½+q)`` and ``h² = q/(½+q)``, which
    stay exact to rounding for every finite ``q`` (no ``2q`` overflow, no ``1 − α``
    cancellation).
    """
    q = np.asarray(q, dtype=np.float64)
    half_plus_q = 0.5 + q
    alpha = 0.5 / half_plus_q
    return (safe_div(np.ones_like(q), np.sqrt(q)), np.sqrt(alpha), alpha,
            np.sqrt(q / half_plus_q))


def layer_factors(name: str, q_layers: list[np.ndarray], n: int) -> np.ndarray:
    """Per-point factors of every nonlinear layer, shape ``(L − 1, k, n)``, k per activation.

    ``q_layers[l]`` is the diagonal ``Σ^{l+1}(x, x)`` of shape ``(n,)``; ``k`` is
    :data:`FACTORS_PER_LAYER`. ReLU: ``[q^{-1/2}, q^{1/2}]`` (the first 0 where ``q = 0``), so
    ``c = Σ12 f1 f2`` and ``√(q1 q2) = g1 g2``; erf: :func:`erf_point_factors`; GELU:
    :func:`gelu_point_factors`; linear: none.
    """
    q = np.array(q_layers, dtype=np.float64).reshape(len(q_layers), n)
    if name == "relu":
        root = np.sqrt(q)
        return np.stack([safe_div(np.ones_like(root), root), root], axis=1)
    if name == "erf":
        return np.stack(erf_point_factors(q), axis=1)
    if name == "gelu":
        return np.stack(gelu_point_factors(q), axis=1)
    return np.empty((len(q_layers), 0, n))
