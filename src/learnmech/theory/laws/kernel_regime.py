"""The kernel (lazy) regime: residual modes decay at the NTK's rates; weights and kernel move
∝ width^{−1/2}.

Gradient descent θ ← θ − η∇L on the mean ½ squared loss L = (1/2n) Σ (f(x_i) − y_i)²; in the
kernel regime the training residual r = f − y evolves as r ← (I − η K/n) r, with K the n×n NTK
Gram matrix (:mod:`learnmech.theory.laws`).

Sources: A. Jacot, F. Gabriel, C. Hongler, "Neural tangent kernel" (NeurIPS 2018); J. Lee et al.,
"Wide neural networks of any depth evolve as linear models under gradient descent"
(NeurIPS 2019); S. Arora et al., "Fine-grained analysis of optimization and generalization for
overparameterized two-layer neural networks" (ICML 2019). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lazy_relative_change", "mode_half_time", "ntk_mode_rate", "ntk_mode_residual"]


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


def mode_half_time(eigenvalue, lr):
    """Gradient-descent steps for a kernel eigenmode of the residual to halve.

    In the kernel (lazy) regime the residual r on the training set obeys r ← (I − η K/n) r for
    the mean ½ squared loss, so the component along an eigenvector of K/n with eigenvalue λ
    shrinks by (1 − ηλ) per step: t½ = ln 2 / (−ln(1 − ηλ)) ≈ ln 2 / (ηλ) steps (0 < ηλ < 1).
    """
    x = np.asarray(lr, float) * np.asarray(eigenvalue, float)
    return np.log(2.0) / -np.log1p(-x)


def lazy_relative_change(width, reference_width: float, reference_change: float):
    """Relative movement of weights and empirical NTK during training, NTK parameterisation.

    For a fixed training time, each weight of a width-N network moves by O(1/√N) while the
    weights themselves are O(1), so ‖ΔW‖/‖W‖ and ‖ΔΘ‖/‖Θ‖ fall as N^{−1/2} (Jacot et al. 2018;
    Lee et al. 2019): change(N) = change(N_ref) (N/N_ref)^{−1/2}.
    """
    return reference_change * (np.asarray(width, float) / reference_width) ** -0.5
