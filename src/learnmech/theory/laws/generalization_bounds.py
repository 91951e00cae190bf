"""Generalisation bounds one can compute: the NTK data-dependent bound and the spectrally
normalised margin bound.

Sources: S. Arora, S. Du, W. Hu, Z. Li, R. Wang, "Fine-grained analysis of optimization and
generalization for overparameterized two-layer neural networks" (ICML 2019); P. Bartlett,
D. Foster, M. Telgarsky, "Spectrally-normalized margin bounds for neural networks"
(NeurIPS 2017). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["arora_gram", "ntk_label_bound", "spectral_complexity"]


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
