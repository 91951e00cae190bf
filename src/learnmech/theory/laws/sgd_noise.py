"""SGD's gradient noise: the stationary state near a minimum and the critical batch size.

Stationary state (S. Mandt, M. Hoffman, D. Blei, "Stochastic gradient descent as approximate
Bayesian inference", JMLR 2017): near a minimum SGD is an Ornstein–Uhlenbeck process; on
Gaussian linear regression its stationary excess loss has an exact noise balance.

Critical batch (S. McCandlish, J. Kaplan, D. Amodei et al., "An empirical model of large-batch
training", arXiv 1812.06162, 2018). Per-example gradients g_i of a mean loss have mean G and
covariance Σ (the batch-1 covariance); a batch of B i.i.d. examples estimates G with covariance
Σ/B. On a quadratic with Hessian H the best step along the estimate improves the loss by
ΔL_max/(1 + B_noise/B), B_noise = tr(HΣ)/(GᵀHG); with H ∝ I this is the *simple* noise scale
B_simple = tr Σ/‖G‖². Summed over training this gives the step/example trade-off
S = S_min (1 + B_crit/B), E = B·S = E_min (1 + B/B_crit), B_crit = E_min/S_min. numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "critical_batch_steps",
    "fit_critical_batch",
    "gradient_noise_moments",
    "optimal_step_improvement",
    "sgd_stationary_excess",
    "sgd_stationary_excess_leading",
    "simple_noise_scale",
]


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


def gradient_noise_moments(per_example_grads) -> tuple[float, float]:
    """(tr Σ, ‖G‖²) of per-example gradients, shape (n, p): G their mean, Σ their covariance
    (divisor n, the population of a finite training set)."""
    g = np.asarray(per_example_grads, dtype=float)
    mean = g.mean(axis=0)
    return float(((g - mean) ** 2).sum(axis=1).mean()), float(mean @ mean)


def simple_noise_scale(per_example_grads) -> float:
    """B_simple = tr Σ/‖G‖² from per-example gradients, shape (n, p)."""
    trace, g2 = gradient_noise_moments(per_example_grads)
    return trace / g2


def optimal_step_improvement(batch, grad, hessian, sigma) -> tuple[float, float, float]:
    """(ε_opt, ΔL_opt, B_noise) of one SGD step θ → θ − ε ĝ on L(θ) = L₀ − Gᵀδ + ½δᵀHδ.

    ĝ has mean ``grad`` G (p,) and covariance ``sigma``/B (p, p); ``hessian`` H (p, p). The
    expected improvement is εGᵀG − ½ε²(GᵀHG + tr(HΣ)/B), maximal at
    ε_opt = ‖G‖²/(GᵀHG (1 + B_noise/B)), ΔL_opt = ½‖G‖⁴/(GᵀHG (1 + B_noise/B)).
    """
    G = np.asarray(grad, float)
    H = np.asarray(hessian, float)
    curv = float(G @ H @ G)
    b_noise = float(np.trace(H @ np.asarray(sigma, float))) / curv
    factor = 1.0 + b_noise / float(batch)
    gg = float(G @ G)
    return gg / (curv * factor), 0.5 * gg ** 2 / (curv * factor), b_noise


def critical_batch_steps(batch, s_min: float, b_crit: float):
    """Steps to a target loss at batch size B: S = S_min (1 + B_crit/B) (broadcasts)."""
    return s_min * (1.0 + b_crit / np.asarray(batch, dtype=float))


def fit_critical_batch(batch, steps) -> tuple[float, float]:
    """(S_min, B_crit) of S = S_min (1 + B_crit/B) by least squares in relative error.

    S is linear in 1/B: S = S_min + (S_min B_crit)/B; each row is divided by its S so that
    every batch size weighs the same.
    """
    b = np.asarray(batch, float)
    s = np.asarray(steps, float)
    A = np.stack([np.ones_like(b), 1.0 / b], axis=1) / s[:, None]
    coef, *_ = np.linalg.lstsq(A, np.ones_like(s), rcond=None)
    s_min, slope = float(coef[0]), float(coef[1])
    return s_min, slope / s_min
