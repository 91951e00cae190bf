"""Class-mean equations of the LE-SDE: the linear LE-ODE and the exact symmetric CE solution.

Conventions (features, time, impacts) are those of :mod:`learnmech.lesde.sde`.

**The LE-ODE** (the paper's imitation model). Class means X̄_k ∈ R^K, one Euler step per SGD
step:

    "L":  X̄_k(t+1) = X̄_k(t) + (1/K)[α P_k X̄_k + β Σ_{k'≠k} P_{k'} X̄_{k'}]
    "I":  X̄_k(t+1) = X̄_k(t) + (1/K)[α X̄_k + β Σ_{k'≠k} X̄_{k'}]

These are the class means of the LE-SDE with drift "L" / "I". Their modes, with
s_k = ⟨X̄_k, u_k⟩/‖u_k‖² (the discriminative coordinate of class k) and s̄ its class average:

    L:  s̄ grows as exp((A − B)/K)               (the discriminative direction d)
        s_k − s̄ grows as exp((A + B/(K−1))/K)   (the second direction f)
    I:  the common part C = mean_k X̄_k grows as exp((A + (K−1)B)/K)
        the deviations X̄_k − C grow as exp((A − B)/K)

(continuous-time growth; the Euler product differs by O(rate²) per step). The estimators of
:mod:`learnmech.lesde.estimate` invert these.

**The phase transition** (drift "ce"). With every example of class k at a·u_k (a symmetric
state), −∂ℓ/∂X = e_k − softmax(a u_k) = g(a) u_k, g(a) = K(1 − p(a))/(K − 1),
p(a) = e^a/(e^a + K − 1), so the mean-field dynamics reduce to da/dt = (α − β) g(a)/K, i.e.

    G(a(t)) = G(a(0)) + (A(t) − B(t))/K,     G(a) = (e^a − 1 + (K − 1) a)/K,

with G increasing from −∞ to ∞. Hence a → ∞ (loss log(1 + (K−1)e^{−a}) → 0, separation)
iff A − B → ∞; a stays bounded iff A − B does; a → −∞ (every example misclassified) iff
A − B → −∞. :func:`symmetric_solution` evaluates it exactly.
"""

from __future__ import annotations

import numpy as np

from learnmech.lesde.sde import u_vectors

__all__ = [
    "ODE_MODELS",
    "discriminative_coordinates",
    "le_ode",
    "le_ode_step",
    "symmetric_loss",
    "symmetric_solution",
]

ODE_MODELS = ("L", "I")


def discriminative_coordinates(Xbar: np.ndarray) -> np.ndarray:
    """s_k = ⟨X̄_k, u_k⟩/‖u_k‖² for class means ``Xbar`` (..., K, K); returns (..., K)."""
    K = Xbar.shape[-1]
    return np.einsum("...kj,kj->...k", Xbar, u_vectors(K)) * (K / (K - 1))


def le_ode_step(Xbar: np.ndarray, alpha, beta, model: str = "L") -> np.ndarray:
    """The increment X̄(t+1) − X̄(t) of the LE-ODE (module docstring).

    ``Xbar`` (..., K, K) (class, logit); ``alpha``, ``beta`` scalars or arrays broadcastable to
    Xbar's leading shape.
    """
    K = Xbar.shape[-1]
    a = np.asarray(alpha, dtype=float)[..., None, None]
    b = np.asarray(beta, dtype=float)[..., None, None]
    if model == "L":
        u = u_vectors(K)
        Y = discriminative_coordinates(Xbar)[..., None] * u       # P_k X̄_k, (..., K, K)
    elif model == "I":
        Y = Xbar
    else:
        raise ValueError(f"model must be one of {ODE_MODELS}; got {model!r}")
    # α Y_k + β Σ_{k'≠k} Y_k' = (α − β) Y_k + β Σ_k' Y_k'
    return ((a - b) * Y + b * Y.sum(axis=-2, keepdims=True)) / K


def le_ode(alpha, beta, X0: np.ndarray, model: str = "L") -> np.ndarray:
    """Integrate the LE-ODE by its Euler steps (one per SGD step).

    Parameters
    ----------
    alpha, beta : array, shape (T,) or (T, ...)
        Impacts per step; leading axis time, trailing axes broadcast against X0's leading
        axes (several trajectories at once).
    X0 : np.ndarray, shape (..., K, K)
        Class means at the start (class, logit).
    model : {"L", "I"}

    Returns
    -------
    np.ndarray, shape (T + 1, ..., K, K)
        X̄(0), ..., X̄(T).
    """
    a, b = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    if a.shape != b.shape or a.ndim < 1:
        raise ValueError(f"alpha and beta must be arrays of the same shape (T, ...); got "
                         f"{a.shape} and {b.shape}")
    X = np.array(X0, dtype=float, copy=True)
    out = np.empty((a.shape[0] + 1, *np.broadcast_shapes(X.shape, a.shape[1:] + (1, 1))))
    out[0] = X
    for t in range(a.shape[0]):
        X = X + le_ode_step(X, a[t], b[t], model)
        out[t + 1] = X
    return out


def symmetric_solution(a0, integrated_difference, num_classes: int) -> np.ndarray:
    """Exact a(t) of the symmetric CE dynamics: G(a) = G(a0) + (A − B)/K (module docstring).

    Parameters
    ----------
    a0 : float or array
        Initial discriminative coordinate (every class mean at a0·u_k).
    integrated_difference : float or array
        A(t) − B(t), broadcast against ``a0``.
    num_classes : int
        K >= 2.

    Returns
    -------
    np.ndarray
        a(t), solved by Newton's method on the increasing, convex e^a + (K − 1) a.
    """
    K = int(num_classes)
    if K < 2:
        raise ValueError(f"num_classes must be >= 2; got {K}")
    a0 = np.asarray(a0, dtype=float)
    # e^a + (K − 1) a = c, c = e^{a0} + (K − 1) a0 + (A − B)
    c = np.exp(a0) + (K - 1) * a0 + np.asarray(integrated_difference, dtype=float)
    a = np.where(c > K, np.log(np.maximum(c, 1e-300)), c / K)   # start near the solution
    for _ in range(100):
        f = np.exp(np.minimum(a, 700)) + (K - 1) * a - c
        step = f / (np.exp(np.minimum(a, 700)) + (K - 1))
        a = a - step
        if np.all(np.abs(step) <= 1e-13 * (1 + np.abs(a))):
            break
    return a


def symmetric_loss(a, num_classes: int) -> np.ndarray:
    """Cross-entropy of an example at a·u_k: log(1 + (K − 1) e^{−a}), in nats."""
    a = np.asarray(a, dtype=float)
    return np.logaddexp(0.0, np.log(int(num_classes) - 1) - a)
