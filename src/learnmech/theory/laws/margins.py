"""The implicit bias of gradient descent on separable data: the hard-margin direction.

Source: D. Soudry et al., "The implicit bias of gradient descent on separable data" (JMLR 2018).
numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hard_margin_direction", "implicit_bias_offset", "refined_angle"]


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


def implicit_bias_offset(X, y, alpha, lr: float, *, support_tol: float = 1e-6):
    """Soudry et al.'s w̃ and the rates at which w(t) − ŵ ln t approaches it.

    For GD with step η on the *mean* logistic loss (1/n) Σ log(1 + e^{−z_iᵀw}), z_i = y_i x_i,
    w(t) = ŵ ln t + w̃ + o(1) (Soudry et al. 2018, Theorem 3), where ŵ = Σ α_i z_i is the
    hard-margin vector (margin 1) and w̃ solves (η/n) e^{−z_iᵀw̃} = α_i, i.e.
    z_iᵀw̃ = ln(η/(n α_i)), on the support vectors (the minimum-norm solution when they do not
    span R^d). Linearising the flow around it, δ = w − ŵ ln t − w̃ obeys
    dδ/d ln t = −A δ with A = Σ_{i∈S} α_i z_i z_iᵀ, so δ decays like t^{−λ_min(A)}; A has
    eigenvalue 1 along ŵ (Σ α_i = ‖ŵ‖²).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    alpha : ndarray of shape (n,)
        Dual variables of ŵ (:func:`hard_margin_direction`).
    lr : float
        The step η of GD on the mean loss.

    Returns
    -------
    (w_tilde (d,), eigenvalues of A ascending (d,), support mask (n,))
    """
    Z = np.asarray(X, float) * np.asarray(y, float)[:, None]  # (n, d) rows y_i x_i
    alpha = np.asarray(alpha, float)
    support = alpha > support_tol * alpha.max()
    rhs = np.log(lr / (len(Z) * alpha[support]))
    w_tilde = np.linalg.lstsq(Z[support], rhs, rcond=None)[0]
    A = (Z[support].T * alpha[support]) @ Z[support]  # (d, d)
    return w_tilde, np.linalg.eigvalsh(A), support


def refined_angle(t, w_hat, w_tilde):
    """Angle (radians) between ŵ ln t + w̃ and ŵ at each t (shape of ``t``): the direction GD
    on separable logistic regression has at step t, to o(1/ln t) (Soudry et al. 2018). The
    crude form angle ≈ c/ln t drops w̃'s shift ln t → ln t + ŵᵀw̃/‖ŵ‖²."""
    t = np.asarray(t, float)
    w_hat, w_tilde = np.asarray(w_hat, float), np.asarray(w_tilde, float)
    W = np.log(t)[..., None] * w_hat + w_tilde  # (..., d)
    cos = W @ w_hat / (np.linalg.norm(W, axis=-1) * np.linalg.norm(w_hat))
    return np.arccos(np.clip(cos, -1.0, 1.0))
