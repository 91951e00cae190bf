"""Adversarially robust generalisation needs more data: the Gaussian model.

Source: L. Schmidt, S. Santurkar, D. Tsipras, K. Talwar, A. Madry, "Adversarially robust
generalization requires more data" (NeurIPS 2018). Gaussian model: y = ±1 equiprobable,
x ~ N(y θ*, σ² I_d), θ* ∈ {±1}^d (‖θ*‖₂ = √d). The averaged classifier
ŵ = (1/n) Σ y_i x_i = θ* + (σ/√n) z, z ~ N(0, I). A linear rule sign(wᵀx) under ℓ∞ attacks of
radius ε is correct iff y wᵀx − ε‖w‖₁ > 0, so its robust accuracy is
Φ((wᵀθ* − ε‖w‖₁)/(σ‖w‖₂)) exactly (ε = 0: standard accuracy). numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian_robust_accuracy", "linear_robust_accuracy", "robust_sample_size"]


def linear_robust_accuracy(w, theta, sigma: float, eps: float) -> float:
    """Exact ℓ∞-robust accuracy Φ((wᵀθ* − ε‖w‖₁)/(σ‖w‖₂)) of sign(wᵀx) in the Gaussian
    model x ~ N(yθ*, σ²I); w (d,), θ* (d,)."""
    from scipy.stats import norm

    w = np.asarray(w, float)
    margin = float(w @ np.asarray(theta, float)) - eps * float(np.abs(w).sum())
    return float(norm.cdf(margin / (sigma * float(np.linalg.norm(w)))))


def gaussian_robust_accuracy(d, n, sigma, eps):
    """Large-d robust accuracy of the averaged classifier from n samples (broadcasts).

    With τ = σ/√n, ŵ_j = θ*_j + τ z_j concentrates: ŵᵀθ* ≈ d, ‖ŵ‖₂² ≈ d(1 + τ²),
    ‖ŵ‖₁ ≈ d·m(τ), m(τ) = E|1 + τZ| = τ√(2/π) e^{−1/(2τ²)} + 1 − 2Φ(−1/τ); so
    accuracy = Φ(√d (1 − ε m(τ)) / (σ √(1 + τ²))). ε = 0 gives the standard accuracy.
    """
    from scipy.stats import norm

    d, n, sigma, eps = (np.asarray(v, float) for v in (d, n, sigma, eps))
    tau = sigma / np.sqrt(n)
    m = tau * np.sqrt(2 / np.pi) * np.exp(-0.5 / tau ** 2) + 1.0 - 2.0 * norm.cdf(-1.0 / tau)
    return norm.cdf(np.sqrt(d) * (1.0 - eps * m) / (sigma * np.sqrt(1.0 + tau ** 2)))


def robust_sample_size(d: float, sigma: float, eps: float, target: float) -> float:
    """Smallest (real) n at which :func:`gaussian_robust_accuracy` reaches ``target``
    (inf when even n → ∞, accuracy Φ(√d(1 − ε)/σ), stays below it)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    if norm.cdf(np.sqrt(d) * (1 - eps) / sigma) <= target:
        return float("inf")

    def gap(log_n):
        return float(gaussian_robust_accuracy(d, np.exp(log_n), sigma, eps)) - target

    lo, hi = np.log(1e-6), np.log(1e12)
    if gap(lo) >= 0:
        return float(np.exp(lo))
    return float(np.exp(brentq(gap, lo, hi, xtol=1e-10)))
