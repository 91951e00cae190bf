"""The Hessian against the step size and the classes: 2/η, the catapult boundary, sharpness under
reparametrisation, the outliers above the bulk.

Sharpness is the top eigenvalue of the Hessian of the loss gradient descent uses (the mean ½
squared loss unless a function says otherwise; :mod:`learnmech.theory.laws`).

Sources: J. Cohen et al., "Gradient descent on neural networks typically occurs at the edge of
stability" (ICLR 2021); A. Lewkowycz et al., "The large learning rate phase of deep learning:
the catapult mechanism" (2020); L. Dinh, R. Pascanu, S. Bengio, Y. Bengio, "Sharp minima can
generalize for deep nets" (ICML 2017); V. Papyan, "Traces of class/cross-class structure pervade
deep learning spectra" (JMLR 2020). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "catapult_boundary",
    "catapult_max_lr",
    "edge_of_stability_threshold",
    "largest_eigengap",
    "rescaled_sharpness",
]


def edge_of_stability_threshold(lr):
    """2/η: the largest Hessian eigenvalue at which gradient descent with step η is stable on a
    quadratic (Cohen et al. 2021). The Hessian is that of the loss gradient descent uses."""
    return 2.0 / np.asarray(lr, float)


def catapult_boundary(sharpness0):
    """Largest step size of the lazy phase, 2/λ₀ (Lewkowycz et al. 2020).

    With λ₀ the top Hessian eigenvalue of the mean ½ squared loss at initialisation (≈ top
    eigenvalue of NTK/n for a wide network), gradient descent with η < 2/λ₀ decreases the loss
    monotonically along every kernel mode (lazy phase); for 2/λ₀ < η < η_max the loss first
    grows along the top mode, the network's curvature drops until λ < 2/η, and training
    converges (catapult phase); larger η diverge.
    """
    return 2.0 / np.asarray(sharpness0, float)


def catapult_max_lr(sharpness0):
    """Largest stable step size of the catapult phase in Lewkowycz et al.'s uv model: 4/λ₀.

    In the uv model f = vᵀu x/√m (a wide 2-layer linear network, ½ squared loss, kernel
    λ = (‖u‖² + ‖v‖²)x²/m) one GD step changes the kernel by
    Δλ = (η x²/m)(f − y)(ηλ(f − y) − 4f), i.e. η x² f²/m · (ηλ − 4) for the paper's target
    y = 0: for 2/λ < η < 4/λ the curvature falls until ηλ < 2 (the catapult) and for η > 4/λ it
    grows without bound (divergence).
    The formula is derived for that model; for nonlinear networks the paper measures η_max.
    """
    return 4.0 / np.asarray(sharpness0, float)


def rescaled_sharpness(c, block_11, block_22):
    """Sharpness of a 1-hidden-layer ReLU net after W₁ → cW₁, b₁ → cb₁, W₂ → W₂/c.

    The function is unchanged but the Hessian blocks become H₁₁/c², c² H₂₂ (H₁₂ unchanged), so
    by Cauchy interlacing λ_max ≥ max(c² λ(H₂₂), λ(H₁₁)/c²), with equality as c → ∞ or c → 0:
    sharpness grows like c^{±2} (Dinh et al. 2017).

    Parameters
    ----------
    c : array_like
        Rescaling factors (> 0).
    block_11, block_22 : float
        Top eigenvalues of the first-layer and second-layer Hessian blocks at c = 1.
    """
    c = np.asarray(c, float)
    return np.maximum(c ** 2 * block_22, block_11 / c ** 2)


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
