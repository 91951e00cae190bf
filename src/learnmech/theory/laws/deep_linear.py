"""Deep linear networks: modes learnt one at a time, strongest first, after a plateau.

A 2-layer linear network f(x) = W₂W₁x with whitened inputs (Σ_xx = I) and input–output
correlation Σ_yx = Σ_k s_k u_k v_kᵀ; the strength of mode k is a_k = u_kᵀ W₂W₁ v_k. Time is
gradient-flow time (:mod:`learnmech.theory.laws`).

Sources: A. Saxe, J. McClelland, S. Ganguli, "Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks" (ICLR 2014). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["balanced_mode_strength", "deep_linear_half_time", "deep_linear_mode", "plateau_slope"]


def deep_linear_mode(t, s, a0):
    """Strength a(t) of one mode of a 2-layer linear network under gradient flow.

    Saxe et al. (2014), eq. (6): from a balanced start a(0) = a0 along the mode,
    da/dt = 2a(s − a), solved by

        a(t) = s / (1 + (s/a0 − 1) e^{−2 s t}).

    Parameters
    ----------
    t : array_like
        Gradient-flow time (η × steps).
    s : float or array_like
        Singular value of Σ_yx (> 0); broadcasts against ``t``.
    a0 : float or array_like
        Initial strength, 0 < a0 (a0 = s is a fixed point).

    Returns
    -------
    ndarray
        a(t), broadcast shape of the inputs.
    """
    t, s, a0 = np.asarray(t, float), np.asarray(s, float), np.asarray(a0, float)
    return s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t))


def deep_linear_half_time(s, a0):
    """Time at which a mode reaches half its final strength, a(t½) = s/2.

    From :func:`deep_linear_mode`: t½ = ln(s/a0 − 1) / (2 s) (for a0 < s/2).
    """
    s, a0 = np.asarray(s, float), np.asarray(a0, float)
    return np.log(s / a0 - 1.0) / (2.0 * s)


def balanced_mode_strength(W1, W2, u, v):
    """Effective initial strength of mode (u, v) from a small *random* start.

    While the weights are small the modes decouple and the hidden-space vectors α = W₁v and
    β = W₂ᵀu obey dα/dt = sβ, dβ/dt = sα: α + β grows as e^{st}, α − β decays, so the strength
    a = αᵀβ soon equals ¼‖α₀ + β₀‖² e^{2st} — the balanced solution started from

        a0_eff = ¼ ‖W₁(0) v + W₂(0)ᵀ u‖².

    Parameters
    ----------
    W1 : ndarray of shape (h, d_in)
    W2 : ndarray of shape (d_out, h)
    u : ndarray of shape (d_out,)
    v : ndarray of shape (d_in,)
    """
    return 0.25 * float(np.sum((W1 @ v + W2.T @ u) ** 2))


def plateau_slope(s):
    """Slope of the half-time t½ against ln(1/σ²) for an init of scale σ: 1/(2 s).

    With a0 ∝ σ², t½ = [ln(1/σ²) + const] / (2 s) + O(σ²) (:func:`deep_linear_half_time`).
    """
    return 1.0 / (2.0 * np.asarray(s, float))
