"""Laws for the critical batch size and robust sample complexity.

Critical batch (S. McCandlish, J. Kaplan, D. Amodei et al., "An empirical model of large-batch
training", arXiv 1812.06162, 2018). Per-example gradients g_i of a mean loss have mean G and
covariance Σ (the batch-1 covariance); a batch of B i.i.d. examples estimates G with covariance
Σ/B. On a quadratic with Hessian H the best step along the estimate improves the loss by
ΔL_max/(1 + B_noise/B), B_noise = tr(HΣ)/(GᵀHG); with H ∝ I this is the *simple* noise scale
B_simple = tr Σ/‖G‖². Summed over training this gives the step/example trade-off
S = S_min (1 + B_crit/B), E = B·S = E_min (1 + B/B_crit), B_crit = E_min/S_min.

Robust sample complexity (L. Schmidt, S. Santurkar, D. Tsipras, K. Talwar, A. Madry,
"Adversarially robust generalization requires more data", NeurIPS 2018). Gaussian model:
y = ±1 equiprobable, x ~ N(y θ*, σ² I_d), θ* ∈ {±1}^d (‖θ*‖₂ = √d). The averaged classifier
ŵ = (1/n) Σ y_i x_i = θ* + (σ/√n) z, z ~ N(0, I). A linear rule sign(wᵀx) under ℓ∞ attacks of
radius ε is correct iff y wᵀx − ε‖w‖₁ > 0, so its robust accuracy is
Φ((wᵀθ* − ε‖w‖₁)/(σ‖w‖₂)) exactly (ε = 0: standard accuracy).

Privacy (J. Dong, A. Roth, W. Su, "Gaussian differential privacy", JRSS B 2022; S. Yeom,
I. Giacomelli, M. Fredrikson, S. Jha, "Privacy risk in machine learning", CSF 2018;
C. Dwork et al., "Preserving statistical validity in adaptive data analysis", STOC 2015).
T full-batch steps, each adding N(0, s²) noise to a sum of gradients of sensitivity Δ, are
μ-GDP with μ = √T Δ/s, which is (ε, δ(ε))-DP for δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2)
(exact). An (ε, δ)-DP algorithm has membership advantage TPR − FPR ≤ e^ε − 1 + δ and expected
generalisation gap of a [0, 1] loss ≤ e^ε − 1 + δ; μ-GDP alone gives the tight advantage
bound 2Φ(μ/2) − 1. numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "critical_batch_steps",
    "dp_generalization_bound",
    "gdp_delta",
    "gdp_membership_bound",
    "gdp_mu",
    "gradient_noise_moments",
    "largest_eigengap",
    "fit_critical_batch",
    "gaussian_robust_accuracy",
    "linear_robust_accuracy",
    "optimal_step_improvement",
    "robust_sample_size",
    "simple_noise_scale",
]


# --------------------------------------------------------------------------- critical batch


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


# --------------------------------------------------------------------------- robust samples


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


# --------------------------------------------------------------------------- privacy


def gdp_delta(eps, mu):
    """δ(ε) of μ-GDP: Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2) (broadcasts)."""
    from scipy.stats import norm

    eps, mu = np.asarray(eps, float), np.asarray(mu, float)
    return norm.cdf(-eps / mu + mu / 2) - np.exp(eps) * norm.cdf(-eps / mu - mu / 2)


def gdp_mu(eps: float, delta: float) -> float:
    """The μ at which μ-GDP is exactly (ε, δ)-DP (δ(ε) increases with μ)."""
    from scipy.optimize import brentq

    return float(brentq(lambda m: float(gdp_delta(eps, m)) - delta, 1e-6, 100.0, xtol=1e-12))


def gdp_membership_bound(mu):
    """Largest membership advantage TPR − FPR against a μ-GDP algorithm: 2Φ(μ/2) − 1."""
    from scipy.stats import norm

    return 2.0 * norm.cdf(np.asarray(mu, float) / 2) - 1.0


def dp_generalization_bound(eps, delta):
    """e^ε − 1 + δ: the (ε, δ)-DP bound on membership advantage and on the expected
    generalisation gap of a loss in [0, 1] (broadcasts)."""
    return np.expm1(np.asarray(eps, float)) + np.asarray(delta, float)


# --------------------------------------------------------------------------- Hessian outliers


def largest_eigengap(eigenvalues) -> tuple[int, float]:
    """(k, λ_k/λ_{k+1}) for the largest ratio of consecutive positive eigenvalues, sorted
    descending (k counts from 1): the number of outliers above a bulk. The prediction for a
    C-class classifier is k = C (Papyan 2019/2020: one outlier per class mean)."""
    lam = np.sort(np.asarray(eigenvalues, float))[::-1]
    lam = lam[lam > 0]
    if len(lam) < 2:
        raise ValueError("largest_eigengap needs at least two positive eigenvalues")
    ratio = lam[:-1] / lam[1:]
    k = int(np.argmax(ratio))
    return k + 1, float(ratio[k])
