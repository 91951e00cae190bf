"""Differential privacy bounds the generalisation gap and membership inference.

Sources: J. Dong, A. Roth, W. Su, "Gaussian differential privacy" (JRSS B 2022); S. Yeom,
I. Giacomelli, M. Fredrikson, S. Jha, "Privacy risk in machine learning" (CSF 2018); C. Dwork et
al., "Preserving statistical validity in adaptive data analysis" (STOC 2015).
T full-batch steps, each adding N(0, s²) noise to a sum of gradients of sensitivity Δ, are
μ-GDP with μ = √T Δ/s, which is (ε, δ(ε))-DP for δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2)
(exact). An (ε, δ)-DP algorithm has membership advantage TPR − FPR ≤ e^ε − 1 + δ and expected
generalisation gap of a [0, 1] loss ≤ e^ε − 1 + δ; μ-GDP alone gives the tight advantage
bound 2Φ(μ/2) − 1. numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dp_generalization_bound", "gdp_delta", "gdp_membership_bound", "gdp_mu"]


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
