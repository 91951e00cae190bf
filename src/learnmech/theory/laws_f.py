"""Prediction formulas of catalogue entries (helper F): kernel-regime mode decay, scaling laws.

Conventions as in :mod:`learnmech.theory.dynamics`: gradient descent θ ← θ − η∇L on the mean
½ squared loss L = (1/2n) Σ (f(x_i) − y_i)²; in the kernel regime the training residual
r = f − y then evolves as r ← (I − η K/n) r, with K the n×n NTK Gram matrix.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "adam_sqrt_scaling",
    "arora_gram",
    "best_lr_scaling",
    "chinchilla_loss",
    "fit_chinchilla",
    "ntk_mode_rate",
    "ntk_label_bound",
    "ntk_mode_residual",
    "ols_tail_loss",
    "power_tail",
    "sgd_linear_scaling",
    "spectral_complexity",
    "tail_sum_exponent",
]


def ntk_mode_rate(eigenvalues, lr):
    """Per-step decay rate of each NTK eigenmode of the residual under kernel-regime GD.

    Parameters
    ----------
    eigenvalues : array_like
        Eigenvalues λ_i of K/n (K the NTK Gram matrix on the n training points; the 1/n of the
        mean loss is included).
    lr : float
        Step size η.

    Returns
    -------
    ndarray
        −ln|1 − η λ_i| per step; ≈ η λ_i when η λ_i ≪ 1 (the gradient-flow rate).
    """
    lam = np.asarray(eigenvalues, dtype=float)
    return -np.log(np.abs(1.0 - lr * lam))


def ntk_mode_residual(steps, c0, eigenvalues, lr):
    """Projection of the residual on each eigenvector after ``steps`` GD steps: c0 (1 − ηλ)^t.

    ``steps`` has shape (T,), ``c0`` and ``eigenvalues`` shape (m,); returns shape (T, m).
    """
    t = np.asarray(steps, dtype=float)[:, None]
    lam = np.asarray(eigenvalues, dtype=float)[None, :]
    return np.asarray(c0, dtype=float)[None, :] * (1.0 - lr * lam) ** t


def chinchilla_loss(N, D, E, A, B, a, b):
    """Chinchilla form L(N, D) = E + A/N^a + B/D^b (Hoffmann et al. 2022, eq. 2)."""
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    return E + A * N ** (-a) + B * D ** (-b)


def fit_chinchilla(N, D, L, *, start=None):
    """Least-squares fit of :func:`chinchilla_loss` in log-loss (Hoffmann et al. use Huber on
    log-loss; plain squares here), all five parameters positive.

    Parameters
    ----------
    N, D, L : array_like, shape (m,)
        Model sizes, data sizes and measured losses (m ≥ 5 distinct points).
    start : sequence of 5 floats, optional
        Initial (E, A, B, a, b); default: the best of 9 starts (a, b ∈ {¼, ½, 1}, E = min L/2,
        A and B so each term starts at half the loss range at the smallest size).

    Returns
    -------
    dict with keys E, A, B, a, b.
    """
    from scipy.optimize import least_squares

    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    if start is None:  # a small grid of starts (Hoffmann et al. fit from a grid too)
        E0, span = 0.5 * L.min(), L.max() - 0.5 * L.min()
        starts = [(E0, 0.5 * span * N.min() ** a0, 0.5 * span * D.min() ** b0, a0, b0)
                  for a0 in (0.25, 0.5, 1.0) for b0 in (0.25, 0.5, 1.0)]
    else:
        starts = [start]

    def residual(p):
        E, A, B, a, b = np.exp(p)
        return np.log(chinchilla_loss(N, D, E, A, B, a, b)) - np.log(L)

    best = None
    for p0 in starts:
        fit = least_squares(residual, np.log(np.asarray(p0, dtype=float)), method="lm",
                            max_nfev=20000)
        if best is None or fit.cost < best.cost:
            best = fit
    E, A, B, a, b = np.exp(best.x)
    return {"E": float(E), "A": float(A), "B": float(B), "a": float(a), "b": float(b)}


def tail_sum_exponent(beta):
    """Model-size exponent a = β − 1 of a linear model that keeps the top N of infinitely many
    features when feature k carries target power k^{−β}: the approximation error
    :func:`power_tail` Σ_{k>N} k^{−β} falls as N^{−(β−1)} (β > 1). The feature variances drop out
    of least squares, so only the target's power spectrum matters."""
    if beta <= 1:
        raise ValueError(f"beta must exceed 1 for a finite tail, got {beta!r}")
    return float(beta - 1.0)


def best_lr_scaling(widths, base_width, base_lr, parameterization):
    """Predicted best SGD step size at each width, from the best one at ``base_width``.

    μP (Yang & Hu 2021): every layer's feature update is O(1) at any width, so the best η is
    width-independent. Standard parameterisation (W ~ N(0, σ²/fan_in), one global η): the
    readout's update moves the output by η‖h‖² with ‖h‖² ∝ N, so stability and the best η
    scale as 1/N.

    Parameters
    ----------
    widths : array_like
    base_width, base_lr : float
    parameterization : {"muP", "SP"}

    Returns
    -------
    ndarray, shape of ``widths``
    """
    widths = np.asarray(widths, dtype=float)
    if parameterization == "muP":
        return np.full(widths.shape, float(base_lr))
    if parameterization == "SP":
        return base_lr * base_width / widths
    raise ValueError(f"parameterization must be 'muP' or 'SP', got {parameterization!r}")


def power_tail(N, beta):
    """Σ_{k>N} k^{−β} (Hurwitz ζ(β, N + 1)): the target power beyond the first N features when
    feature k carries power k^{−β}; ≈ N^{1−β}/(β − 1) for large N. ``beta`` > 1."""
    from scipy.special import zeta

    if beta <= 1:
        raise ValueError(f"beta must exceed 1 for a finite tail, got {beta!r}")
    return zeta(beta, np.asarray(N, dtype=float) + 1.0)


def ols_tail_loss(N, D, beta, noise):
    """Expected test loss (½ squared, population) of least squares on the first N of infinitely
    many independent Gaussian features, from D > N + 1 samples.

    Feature k carries target power k^{−β} (λ_k w_k² = k^{−β}); label noise variance ``noise``.
    The unused features act as extra Gaussian noise of variance T(N) = :func:`power_tail`, and
    for Gaussian designs E[(ŵ − w)ᵀΣ(ŵ − w)] = (σ² + T) N/(D − N − 1) (inverse-Wishart mean), so

        L(N, D) = ½ (σ² + T(N)) (D − 1)/(D − N − 1).
    """
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    if np.any(D <= N + 1):
        raise ValueError("ols_tail_loss needs D > N + 1 samples")
    return 0.5 * (noise + power_tail(N, beta)) * (D - 1) / (D - N - 1)


def sgd_linear_scaling(lr, kappa):
    """SGD step for a batch κ times larger: η κ (Goyal et al. 2017; the SDE dθ = −∇L dt +
    √(η/B) Σ^{1/2} dW per epoch-time is unchanged when η/B is)."""
    return lr * kappa


def adam_sqrt_scaling(lr, beta1, beta2, eps, kappa):
    """Adam hyperparameters for a batch κ times larger (Malladi et al. 2022, square-root rule).

    η → √κ η, 1 − β₁ → κ(1 − β₁), 1 − β₂ → κ(1 − β₂), ε → ε/√κ; returns (η, β₁, β₂, ε).
    Needs κ(1 − β) < 1.
    """
    b1, b2 = 1 - kappa * (1 - beta1), 1 - kappa * (1 - beta2)
    if b1 <= 0 or b2 <= 0:
        raise ValueError(f"adam_sqrt_scaling: κ = {kappa} makes a β ≤ 0 (β₁ = {beta1}, "
                         f"β₂ = {beta2})")
    root = float(np.sqrt(kappa))
    return lr * root, b1, b2, eps / root


def arora_gram(X):
    """H^∞ of a 2-layer ReLU net with trained first layer (Arora et al. 2019, eq. (3)/Du et al.).

    H_ij = E_{w~N(0,I)}[x_iᵀx_j 1{wᵀx_i ≥ 0, wᵀx_j ≥ 0}] = x_iᵀx_j (π − arccos(x_iᵀx_j))/(2π)
    for unit-norm rows of ``X`` (shape (n, d); rows are normalised here).
    """
    X = np.asarray(X, dtype=float)
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    G = np.clip(X @ X.T, -1.0, 1.0)
    return G * (np.pi - np.arccos(G)) / (2 * np.pi)


def ntk_label_bound(H, y):
    """Arora et al. (2019) data-dependent complexity √(2 yᵀ H⁻¹ y / n) (Thm 5.1's leading term).

    ``H`` (n, n) positive definite, ``y`` (n,) labels (±1 for the theorem).
    """
    y = np.asarray(y, dtype=float)
    return float(np.sqrt(2.0 * y @ np.linalg.solve(H, y) / len(y)))


def spectral_complexity(weights, X_fro, margin, n):
    """Main term of the spectrally normalised margin bound (Bartlett, Foster & Telgarsky 2017,
    Thm 1.1, reference matrices 0, ReLU 1-Lipschitz, no log factors):

        ‖X‖_F · Π_i ‖A_i‖_σ · (Σ_i (‖A_iᵀ‖_{2,1}/‖A_i‖_σ)^{2/3})^{3/2} / (γ n).

    ``weights`` are the layer matrices A_i, shape (out, in); ‖·‖_{2,1} sums the Euclidean norms
    of a matrix's columns, so ‖A_iᵀ‖_{2,1} sums those of A_i's rows (one per output unit).
    ``X_fro`` = ‖X‖_F of the (n, d) training inputs, ``margin`` γ > 0.
    """
    spec = [np.linalg.norm(A, 2) for A in weights]
    l21 = [np.linalg.norm(A, axis=1).sum() for A in weights]
    ratio = sum((a / s) ** (2 / 3) for a, s in zip(l21, spec, strict=True)) ** 1.5
    return float(X_fro * np.prod(spec) * ratio / (margin * n))
