"""Random networks at initialisation: the length and correlation maps, order and chaos, and the
finite-width spread of the squared length.

Conventions: the network convention of :mod:`learnmech.theory` (NTK parameterisation,
z¹ = σ_w W x/√d + σ_b b, z^{l+1} = σ_w W φ(z^l)/√N + σ_b b, depth = dense layers); squared
lengths are q^l = ‖z^l‖²/N (the NNGP diagonal Σ^l(x, x)) and correlations
c^l = Σ^l(x, x')/√(Σ^l(x, x) Σ^l(x', x')).

Sources: B. Poole et al., "Exponential expressivity in deep neural networks through transient
chaos" (NeurIPS 2016); S. Schoenholz et al., "Deep information propagation" (ICLR 2017);
B. Hanin & D. Rolnick, "How to start training" (NeurIPS 2018). numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chi1", "relu_log_norm_variance", "relu_log_norm_variance_exact", "signal_propagation"]


def signal_propagation(x1, x2, *, depth: int, activation: str = "tanh", sigma_w2: float = 1.0,
                       sigma_b2: float = 0.0):
    """Squared lengths and correlation of two inputs' pre-activations, layer by layer.

    The infinite-width maps q^{l+1} = σ_w² E[φ(√q^l z)²] + σ_b², and the matching correlation
    map (Poole et al. 2016), read off the NNGP kernel of :func:`learnmech.theory.fc_kernel`.

    Parameters
    ----------
    x1, x2 : ndarray of shape (d,)
        The two inputs.
    depth : int
        Layers L; values for z¹ … z^L are returned.
    activation, sigma_w2, sigma_b2
        As in :func:`learnmech.theory.fc_kernel`.

    Returns
    -------
    q1, q2, c : ndarray of shape (depth,)
        q^l(x1), q^l(x2) and c^l for l = 1..L.
    """
    from learnmech.theory.kernels import fc_kernel

    X = np.stack([np.asarray(x1, float), np.asarray(x2, float)])  # (2, d)
    q1, q2, c = (np.empty(depth) for _ in range(3))
    for layer in range(1, depth + 1):
        K = fc_kernel(X, depth=layer, activation=activation, sigma_w2=sigma_w2,
                      sigma_b2=sigma_b2, kind="nngp")  # (2, 2)
        q1[layer - 1], q2[layer - 1] = K[0, 0], K[1, 1]
        c[layer - 1] = K[0, 1] / np.sqrt(K[0, 0] * K[1, 1])
    return q1, q2, c


def chi1(q, *, activation: str = "tanh", sigma_w2: float = 1.0, points: int = 101):
    """χ₁ = σ_w² E[φ'(√q z)²], z ~ N(0, 1): the slope of the correlation map at c = 1.

    χ₁ < 1: ordered (correlations → 1); χ₁ > 1: chaotic (Poole et al. 2016; Schoenholz et al.
    2017). ReLU (σ_w²/2) and linear (σ_w²) in closed form; smooth activations by
    Gauss–Hermite quadrature with ``points`` nodes.
    """
    if activation == "relu":  # E[1{z > 0}] = ½ (quadrature is poor on a step)
        return 0.5 * sigma_w2
    if activation == "linear":
        return float(sigma_w2)
    dphi = {
        "tanh": lambda x: 1.0 / np.cosh(x) ** 2,
        "relu": lambda x: (x > 0).astype(float),
        "erf": lambda x: 2.0 / np.sqrt(np.pi) * np.exp(-x * x),
        "linear": lambda x: np.ones_like(x),
    }
    if activation not in dphi:
        raise ValueError(f"chi1: activation must be one of {', '.join(dphi)}; got "
                         f"{activation!r}")
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)  # weight e^{−z²/2}
    weights = weights / np.sqrt(2.0 * np.pi)
    return sigma_w2 * float(weights @ dphi[activation](np.sqrt(q) * nodes) ** 2)


def relu_log_norm_variance(depth, width):
    """Var log ‖x^L‖² ≈ 5 L / n for a ReLU network at He init (Hanin & Rolnick 2018).

    Each layer multiplies the squared length by R = (2/n) Σ_j g_j² 1{g_j > 0}, g ~ N(0, 1),
    independently of the past (rotational invariance); Var R = (4/n)(3/2 − 1/4) = 5/n, so to
    first order in 1/n, Var log ‖x^L‖² = 5 L / n.
    """
    return 5.0 * np.asarray(depth, float) / np.asarray(width, float)


def relu_log_norm_variance_exact(depth, width: int):
    """The same variance without the first-order approximation: L · Var log R exactly.

    n R / 2 is χ² with K ~ Binomial(n, ½) degrees of freedom, and Var log χ²_k = ψ'(k/2),
    E log χ²_k = ψ(k/2) + log 2, so by the law of total variance
    Var log R = E_K[ψ'(K/2)] + Var_K[ψ(K/2)] (K = 0, probability 2^{−n}, left out).
    """
    from scipy.special import polygamma
    from scipy.stats import binom

    n = int(width)
    k = np.arange(1, n + 1)
    p = binom.pmf(k, n, 0.5)
    p = p / p.sum()
    digamma = polygamma(0, k / 2.0)
    var = p @ polygamma(1, k / 2.0) + p @ digamma ** 2 - (p @ digamma) ** 2
    return np.asarray(depth, float) * float(var)
