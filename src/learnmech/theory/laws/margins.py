"""The implicit bias of gradient descent on separable data: the hard-margin direction.

Source: D. Soudry et al., "The implicit bias of gradient descent on separable data" (JMLR 2018).
numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hard_margin_direction"]


def hard_margin_direction(X, y):
    """Unit direction of the hard-margin SVM through the origin: argmax_{‖w‖=1} min_i y_i wᵀx_i.

    Solves the dual max_{α ≥ 0} Σα − ½‖Σ α_i y_i x_i‖² (bound-constrained, L-BFGS-B) and returns
    ŵ/‖ŵ‖ with ŵ = Σ α_i y_i x_i (Soudry et al. 2018: the limit direction of gradient descent on
    the logistic loss).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Labels ±1; the data must be linearly separable through the origin.

    Returns
    -------
    (direction (d,), alpha (n,))
        The unit direction and the dual variables of ŵ itself (not normalised; support
        vectors have α > 0 and margin y_i ŵᵀx_i = 1).
    """
    from scipy.optimize import minimize

    Z = np.asarray(X, float) * np.asarray(y, float)[:, None]  # (n, d) rows y_i x_i
    G = Z @ Z.T

    def objective(alpha):
        grad = G @ alpha
        return 0.5 * alpha @ grad - alpha.sum(), grad - 1.0

    start = np.full(len(Z), 1e-3)
    found = minimize(objective, start, jac=True, method="L-BFGS-B",
                     bounds=[(0.0, None)] * len(Z),
                     options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    alpha = found.x
    w = Z.T @ alpha
    norm = float(np.linalg.norm(w))
    if not np.isfinite(norm) or norm == 0 or (Z @ w).min() <= 0:
        raise ValueError("hard_margin_direction: the data are not separable through the origin")
    return w / norm, alpha
