"""Solvable training dynamics: closed forms the mechanics catalogue holds measurements against.

Conventions (each function restates the ones it needs):

* **Time** t is gradient-flow time: after k steps of gradient descent with step size η,
  t = η k. Formulas for gradient *descent* (not flow) say so.
* **Losses** are means over examples with the ½: L = (1/n) Σ_i ½‖f(x_i) − y_i‖² (squared loss),
  L = (1/n) Σ_i log(1 + e^{−y_i wᵀx_i}) (logistic loss) — the network lens's convention
  (:mod:`learnmech.nets.training`).
* **Deep linear networks** f(x) = W₂W₁x with whitened inputs (Σ_xx = I) and input–output
  correlation Σ_yx = Σ_k s_k u_k v_kᵀ; the strength of mode k is a_k = u_kᵀ W₂W₁ v_k.

Sources: A. Saxe, J. McClelland, S. Ganguli, "Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks" (ICLR 2014); S. Du, W. Hu, J. Lee, "Algorithmic
regularization in learning deep homogeneous models" (NeurIPS 2018); J. Cohen et al., "Gradient
descent on neural networks typically occurs at the edge of stability" (ICLR 2021); S. Mandt,
M. Hoffman, D. Blei, "Stochastic gradient descent as approximate Bayesian inference" (JMLR 2017).
Pure numpy; no torch.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "balanced_mode_strength",
    "catapult_boundary",
    "conserved_decay",
    "deep_linear_half_time",
    "deep_linear_mode",
    "edge_of_stability_threshold",
    "lazy_relative_change",
    "mode_half_time",
    "plateau_slope",
    "rescaled_sharpness",
    "sgd_stationary_excess",
    "sgd_stationary_excess_leading",
]


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


def conserved_decay(t, weight_decay):
    """Factor by which a symmetry's conserved quantity shrinks under L2 weight decay.

    Gradient flow on L + (λ/2)‖θ‖² (torch's coupled ``weight_decay=λ``) turns the conservation
    law d/dt (‖θ_in‖² − ‖θ_out‖²) = 0 of a rescaling symmetry into d/dt Q = −2λ Q, so
    Q(t) = Q(0) e^{−2λt}.
    """
    return np.exp(-2.0 * np.asarray(weight_decay, float) * np.asarray(t, float))


def edge_of_stability_threshold(lr):
    """2/η: the largest Hessian eigenvalue at which gradient descent with step η is stable on a
    quadratic (Cohen et al. 2021). The Hessian is that of the loss gradient descent uses."""
    return 2.0 / np.asarray(lr, float)


def sgd_stationary_excess(h, lr, batch, noise):
    """Stationary mean excess loss of SGD on Gaussian linear regression (full noise balance).

    Model: x ~ N(0, H) with H = diag(h), y = xᵀw* + ε, ε ~ N(0, noise); loss per example
    ½(xᵀw − y)²; each step draws a fresh batch of ``batch`` examples and sets
    w ← w − η (1/B) Σ_b x_b(x_bᵀw − y_b). With δ = w − w* and S = E[δδᵀ] (diagonal, s_i), the
    Gaussian fourth moment E[x xᵀ A x xᵀ] = 2HAH + tr(AH) H gives the exact stationary balance

        s_i = (1 − η h_i)² s_i + (η²/B) [h_i² s_i + h_i Σ_j h_j s_j + noise · h_i],

    a linear system solved here. The excess loss is E[L(w)] − L(w*) = ½ Σ_i h_i s_i.

    Parameters
    ----------
    h : array_like of shape (d,)
        Eigenvalues of the input covariance (> 0).
    lr : float
        Step size η.
    batch : int
        Batch size B.
    noise : float
        Label-noise variance σ².

    Returns
    -------
    float
        ½ tr(H S); ``inf`` when no stationary state exists (η too large).
    """
    h = np.asarray(h, float)
    eta, B = float(lr), float(batch)
    # coefficient of s_i on the left after moving terms: 1 − (1 − ηh)² − η²h²/B
    diag = 1.0 - (1.0 - eta * h) ** 2 - eta ** 2 * h ** 2 / B
    A = np.diag(diag) - (eta ** 2 / B) * np.outer(h, h)  # (d, d)
    rhs = (eta ** 2 / B) * noise * h
    try:
        s = np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:
        return float("inf")
    if np.any(s < 0) or np.any(diag <= 0):
        return float("inf")
    return 0.5 * float(h @ s)


def sgd_stationary_excess_leading(h, lr, batch, noise):
    """Leading order in η of :func:`sgd_stationary_excess`: η σ² tr H / (4 B).

    From s_i ≈ η σ² / (2 B) (the Ornstein–Uhlenbeck stationary variance): depends on η/B only.
    """
    return float(lr) * float(noise) * float(np.sum(h)) / (4.0 * float(batch))


def rescaled_sharpness(c, block_11, block_22):
    """Sharpness of a 1-hidden-layer ReLU net after W₁ → cW₁, b₁ → cb₁, W₂ → W₂/c.

    The function is unchanged but the Hessian blocks become H₁₁/c², c² H₂₂ (H₁₂ unchanged), so
    by Cauchy interlacing λ_max ≥ max(c² λ(H₂₂), λ(H₁₁)/c²), with equality as c → ∞ or c → 0:
    sharpness grows like c^{±2} (Dinh et al. 2017).

    Parameters
    ----------
    c : array_like
        Rescaling factors (> 0).
    block_11, block_22 : float
        Top eigenvalues of the first-layer and second-layer Hessian blocks at c = 1.
    """
    c = np.asarray(c, float)
    return np.maximum(c ** 2 * block_22, block_11 / c ** 2)


def lazy_relative_change(width, reference_width: float, reference_change: float):
    """Relative movement of weights and empirical NTK during training, NTK parameterisation.

    For a fixed training time, each weight of a width-N network moves by O(1/√N) while the
    weights themselves are O(1), so ‖ΔW‖/‖W‖ and ‖ΔΘ‖/‖Θ‖ fall as N^{−1/2} (Jacot et al. 2018;
    Lee et al. 2019): change(N) = change(N_ref) (N/N_ref)^{−1/2}.
    """
    return reference_change * (np.asarray(width, float) / reference_width) ** -0.5


def mode_half_time(eigenvalue, lr):
    """Gradient-descent steps for a kernel eigenmode of the residual to halve.

    In the kernel (lazy) regime the residual r on the training set obeys r ← (I − η K/n) r for
    the mean ½ squared loss, so the component along an eigenvector of K/n with eigenvalue λ
    shrinks by (1 − ηλ) per step: t½ = ln 2 / (−ln(1 − ηλ)) ≈ ln 2 / (ηλ) steps (0 < ηλ < 1).
    """
    x = np.asarray(lr, float) * np.asarray(eigenvalue, float)
    return np.log(2.0) / -np.log1p(-x)


def catapult_boundary(sharpness0):
    """Largest step size of the lazy phase, 2/λ₀ (Lewkowycz et al. 2020).

    With λ₀ the top Hessian eigenvalue of the mean ½ squared loss at initialisation (≈ top
    eigenvalue of NTK/n for a wide network), gradient descent with η < 2/λ₀ decreases the loss
    monotonically along every kernel mode (lazy phase); for 2/λ₀ < η < η_max the loss first
    grows along the top mode, the network's curvature drops until λ < 2/η, and training
    converges (catapult phase); larger η diverge.
    """
    return 2.0 / np.asarray(sharpness0, float)
