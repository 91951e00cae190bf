"""How the best hyperparameters move with width and batch size: μP vs standard
parameterisation, and the SGD and Adam batch-scaling rules.

Sources: G. Yang & E. Hu, "Tensor Programs IV" (ICML 2021); P. Goyal et al., "Accurate, large
minibatch SGD" (2017); S. Malladi, K. Lyu, A. Panigrahi, S. Arora, "On the SDEs and scaling rules
for adaptive gradient algorithms" (NeurIPS 2022). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adam_sqrt_scaling", "best_lr_scaling", "sgd_linear_scaling"]


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
