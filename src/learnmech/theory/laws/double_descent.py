"""Double descent of min-norm least squares on isotropic features, and the ridge that removes it.

Sources: T. Hastie, A. Montanari, S. Rosset, R. Tibshirani, "Surprises in high-dimensional
ridgeless least squares interpolation" (Ann. Stat. 2022); E. Dobriban & S. Wager (2018).
numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["min_norm_risk", "min_norm_risk_finite", "optimal_ridge"]


def min_norm_risk(gamma, r2: float = 1.0, noise: float = 1.0):
    """Asymptotic excess risk of min-norm least squares on isotropic features.

    Hastie et al. (2022), Theorem 1: x ~ N(0, I_p), y = xᵀβ + ε with ‖β‖² = r², Var ε = σ²;
    n, p → ∞ with p/n → γ. Risk E_x[(xᵀ(β̂ − β))²] (noise of the test label excluded):

        γ < 1:  σ² γ / (1 − γ)
        γ > 1:  r² (1 − 1/γ) + σ² / (γ − 1)

    and ``inf`` at γ = 1.

    Parameters
    ----------
    gamma : array_like
        p/n (> 0).
    r2, noise : float
        Signal power r² and noise variance σ².
    """
    g = np.asarray(gamma, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        under = noise * g / (1.0 - g)
        over = r2 * (1.0 - 1.0 / g) + noise / (g - 1.0)
    return np.where(g < 1.0, under, np.where(g > 1.0, over, np.inf))


def min_norm_risk_finite(n, p, r2: float = 1.0, noise: float = 1.0):
    """Exact mean excess risk E‖β̂ − β‖² of min-norm least squares at finite n and p.

    Gaussian design X (n, p) with iid N(0, 1) entries, ‖β‖² = r² (its direction uniform or
    fixed: the design is rotation invariant), label noise σ²:

        p < n − 1:  σ² p / (n − p − 1)                    (E tr (XᵀX)⁻¹, inverse Wishart)
        p > n + 1:  r² (1 − n/p) + σ² n / (p − n − 1)       (‖(I − P)β‖², P a uniform rank-n
                                                            projection; E tr (XXᵀ)⁻¹)

    and ``inf`` for |p − n| ≤ 1 (the mean does not exist). As n, p → ∞ with p/n → γ this is
    :func:`min_norm_risk`; at n = 200, γ = 0.9 it is 5 % above the limit.
    """
    n, p = np.asarray(n, float), np.asarray(p, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        under = noise * p / (n - p - 1.0)
        over = r2 * (1.0 - n / p) + noise * n / (p - n - 1.0)
    return np.where(p < n - 1, under, np.where(p > n + 1, over, np.inf))


def optimal_ridge(gamma, r2: float = 1.0, noise: float = 1.0):
    """The risk-minimising ridge λ* = σ² γ / r² for β̂ = (XᵀX/n + λI)⁻¹ Xᵀy/n (Dobriban & Wager
    2018) on the isotropic model of :func:`min_norm_risk`."""
    return noise * np.asarray(gamma, float) / r2
