"""Predictions of infinitely wide networks: gradient descent at time t, and Bayesian inference.

Convention (stated once; the one of :mod:`learnmech.nets.kernel_regime` and
:mod:`learnmech.theory.laws.kernel_regime`)
------------------------------------------------------------------------------------------
Full-batch gradient descent on the mean squared loss ``L = (1/2n) Σ_i ‖f(x_i) − y_i‖²`` with step
``η``, in the limit of small steps, is gradient flow in the **time** ``t = η × steps``. At infinite
width (NTK parameterisation) the network is its linearisation and, with ``Θ = Θ(X, X)`` the
``(n, n)`` NTK of the ``n`` training inputs,

    f_t(X) − y = e^{−tΘ/n} (f_0(X) − y),
    f_t(x*)    = f_0(x*) + A(t) (y − f_0(X)),   A(t) = Θ(x*, X) Θ^{-1} (I − e^{−tΘ/n}).

The initial function ``f_0`` is the NNGP: a centred Gaussian process with kernel ``K``. Hence
the test outputs at time ``t`` are Gaussian with (Lee et al. 2019, eq. 16)

    mean  μ(t) = A(t) y,
    cov   Σ(t) = K** + A K Aᵀ − A K*ᵀ − K* Aᵀ,

``K = K(X, X)``, ``K* = K(x*, X)``, ``K** = K(x*, x*)``. ``t = 0`` is the prior (``μ = 0``,
``Σ = K**``); ``t = ∞`` is kernel regression with the NTK (``μ = Θ* Θ^{-1} y``). Several outputs
``y`` of shape ``(n, k)`` share the kernel (the infinite-width kernel is ``K ⊗ I_k``): the mean
is ``(m, k)``, the covariance ``(m, m)`` for each output. ``ridge`` δ replaces ``Θ`` by
``Θ + δI`` on the training block (``t = ∞``: kernel ridge regression with ridge δ).

:func:`gp_inference` is exact Bayesian inference with a Gaussian-process prior of kernel ``K``
(e.g. the NNGP: the Bayesian posterior of the infinitely wide network) and Gaussian label noise
of variance ``noise`` (a scalar or one per training point):
``μ = K* (K + D)^{-1} y``, ``Σ = K** − K* (K + D)^{-1} K*ᵀ``, ``D = diag(noise)``.

Gradient descent goes through the eigendecomposition of ``Θ`` (every ``t``, ``∞`` included);
the GP through :func:`learnmech.theory.regression.ridge_coefficients` — the tests
check that ``t = ∞`` equals that ridgeless solve. numpy only.

References: J. Lee et al., "Wide neural networks of any depth evolve as linear models under
gradient descent" (NeurIPS 2019); C. E. Rasmussen and C. K. I. Williams, *Gaussian Processes
for Machine Learning* (2006), eq. 2.23-2.24.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from learnmech.theory._validate import check_array, check_float, fail
from learnmech.theory.regression import ridge_coefficients

__all__ = ["Prediction", "gradient_descent_mse", "gp_inference"]


class Prediction(NamedTuple):
    """A Gaussian prediction of the test outputs.

    ``mean``: ``(m,)`` or ``(m, k)`` like ``y`` (``(T, m[, k])`` for ``T`` times);
    ``cov``: ``(m, m)`` (``(T, m, m)``), or None where not requested / not defined.
    """

    mean: np.ndarray
    cov: np.ndarray | None


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _square(name: str, K: object) -> np.ndarray:
    K = check_array(name, K, ndim=(2,), shape_text="(n, n)")
    if K.shape[0] != K.shape[1] or len(K) < 1:
        raise fail(name, "a square array of shape (n, n) with n >= 1", got=f"shape {K.shape}")
    return K


def _block(name: str, K: object, rows: int | None, cols: int) -> np.ndarray:
    shape = f"({'m' if rows is None else rows}, {cols})"
    K = check_array(name, K, ndim=(2,), shape_text=shape)
    if K.shape[1] != cols or (rows is not None and K.shape[0] != rows):
        raise fail(name, f"of shape {shape}", got=f"shape {K.shape}")
    return K


def _targets(name: str, y: object, n: int) -> np.ndarray:
    y = check_array(name, y, ndim=(1, 2), shape_text=f"({n},) or ({n}, k)")
    if len(y) != n:
        raise fail(name, f"of shape ({n},) or ({n}, k), one row per training input",
                   got=f"shape {y.shape}")
    return y


def _times(t: object) -> tuple[np.ndarray, bool]:
    """``t`` as a 1-D float array of times >= 0 (inf allowed) and whether it was a scalar."""
    try:
        arr = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail("t", "a time >= 0 (or inf) or a 1-D array of them", t) from None
    if arr.ndim > 1 or arr.size < 1 or np.isnan(arr).any() or (arr < 0).any():
        raise fail("t", "a time >= 0 (or inf) or a non-empty 1-D array of them", t)
    return np.atleast_1d(arr), arr.ndim == 0


# --------------------------------------------------------------------------------------------
# gradient descent
# --------------------------------------------------------------------------------------------


def _gd_operator(ntk_train_train: np.ndarray, t: float, *, ridge: float = 0.0) -> np.ndarray:
    """``G(t) = Θ^{-1} (I − e^{−tΘ/n})`` (n, n), so that ``A(t) = Θ(x*, X) G(t)``.

    By the eigendecomposition ``Θ = V diag(λ) Vᵀ``: ``g(λ) = −expm1(−λt/n)/λ``, which is
    ``t/n`` at ``λ = 0``; at ``t = ∞``, ``1/λ`` (the pseudo-inverse: eigenvalues below
    ``n·ε·λ_max`` count as 0). Rounding-negative eigenvalues are clipped to 0.
    """
    n = len(ntk_train_train)
    lam, V = np.linalg.eigh(ntk_train_train + ridge * np.eye(n))
    lam = np.clip(lam, 0.0, None)
    tiny = n * np.finfo(np.float64).eps * max(float(lam[-1]), np.finfo(np.float64).tiny)
    positive = lam > tiny
    safe = np.where(positive, lam, 1.0)
    if np.isinf(t):
        g = np.where(positive, 1.0 / safe, 0.0)
    else:
        g = np.where(positive, -np.expm1(-safe * t / n) / safe, t / n)
    return (V * g) @ V.T


def gradient_descent_mse(
    ntk_train_train: np.ndarray, y_train: np.ndarray, t: float | np.ndarray, *,
    ntk_test_train: np.ndarray, nngp_train_train: np.ndarray | None = None,
    nngp_test_train: np.ndarray | None = None, nngp_test_test: np.ndarray | None = None,
    f_train_0: np.ndarray | None = None, f_test_0: np.ndarray | None = None,
    ridge: float = 0.0,
) -> Prediction:
    """Test outputs of the infinitely wide network after gradient flow for time ``t``.

    Parameters
    ----------
    ntk_train_train : (n, n)
        ``Θ(X, X)``.
    y_train : (n,) or (n, k)
        Targets.
    t : float or 1-D array
        Time(s) ``η × steps`` (``>= 0``; ``np.inf`` for the end of training).
    ntk_test_train : (m, n)
        ``Θ(x*, X)``.
    nngp_train_train, nngp_test_train, nngp_test_test : (n, n), (m, n), (m, m), optional
        ``K``, ``K*``, ``K**``: all three give the covariance ``Σ(t)`` over initialisations.
    f_train_0, f_test_0 : like ``y_train`` (n rows) and (m rows), optional
        The outputs of one network at initialisation: then ``mean`` is *that* network's
        prediction ``f_0(x*) + A(t)(y − f_0(X))`` and ``cov`` is None (no randomness left).
    ridge : float
        δ >= 0 added to the diagonal of ``Θ(X, X)``.

    Returns
    -------
    Prediction
        ``mean`` ``(m[, k])`` and ``cov`` ``(m, m)`` for a scalar ``t``; a leading axis of
        length ``T`` for ``T`` times.
    """
    theta = _square("ntk_train_train", ntk_train_train)
    n = len(theta)
    y = _targets("y_train", y_train, n)
    theta_star = _block("ntk_test_train", ntk_test_train, None, n)
    m = len(theta_star)
    times, scalar = _times(t)
    ridge = check_float("ridge", ridge, minimum=0.0)
    nngp = (nngp_train_train, nngp_test_train, nngp_test_test)
    given = [k is not None for k in nngp]
    if any(given) and not all(given):
        raise fail("nngp_train_train, nngp_test_train, nngp_test_test", "all given (for the "
                   "covariance) or all None", got=f"{sum(given)} of 3 given")
    if (f_train_0 is None) != (f_test_0 is None):
        raise fail("f_train_0, f_test_0", "both given or both None", got="one of them")
    residual, offset = y, 0.0
    if f_train_0 is not None:
        residual = y - _targets("f_train_0", f_train_0, n).reshape(y.shape)
        offset = _targets("f_test_0", f_test_0, m).reshape((m,) + y.shape[1:])
    K = K_star = K_ss = None
    if all(given) and f_train_0 is None:
        K = _square("nngp_train_train", nngp_train_train)
        K_star = _block("nngp_test_train", nngp_test_train, m, n)
        K_ss = _block("nngp_test_test", nngp_test_test, m, m)
        if len(K) != n:
            raise fail("nngp_train_train", f"of shape ({n}, {n}) like ntk_train_train",
                       got=f"shape {K.shape}")
    means, covs = [], []
    for time in times:
        A = theta_star @ _gd_operator(theta, time, ridge=ridge)
        means.append(offset + A @ residual)
        if K is not None:
            covs.append(_gd_covariance(A, K, K_star, K_ss))
    mean = means[0] if scalar else np.stack(means)
    cov = None if not covs else (covs[0] if scalar else np.stack(covs))
    return Prediction(mean, cov)


def _gd_covariance(A: np.ndarray, K: np.ndarray, K_star: np.ndarray,
                   K_ss: np.ndarray) -> np.ndarray:
    """``K** + A K Aᵀ − A K*ᵀ − K* Aᵀ``, symmetrised."""
    cross = A @ K_star.T
    cov = K_ss + A @ K @ A.T - cross - cross.T
    return 0.5 * (cov + cov.T)


# --------------------------------------------------------------------------------------------
# Bayesian inference
# --------------------------------------------------------------------------------------------


def gp_inference(
    nngp_train_train: np.ndarray, y_train: np.ndarray, *, nngp_test_train: np.ndarray,
    nngp_test_test: np.ndarray | None = None, noise: float | np.ndarray = 0.0,
) -> Prediction:
    """Gaussian-process posterior of the test outputs (module docstring).

    Parameters
    ----------
    nngp_train_train : (n, n)
        Prior kernel ``K(X, X)`` (the NNGP for the Bayesian infinite network; any PSD kernel).
    y_train : (n,) or (n, k)
    nngp_test_train : (m, n)
    nngp_test_test : (m, m), optional
        ``K(x*, x*)``; given, the posterior covariance is returned.
    noise : float or (n,) array
        Label-noise variances ``>= 0`` (0: noiseless interpolation, the minimum-norm solution
        where ``K`` is singular).

    Returns
    -------
    Prediction
        ``mean`` (m[, k]); ``cov`` (m, m) or None.
    """
    K = _square("nngp_train_train", nngp_train_train)
    n = len(K)
    y = _targets("y_train", y_train, n)
    K_star = _block("nngp_test_train", nngp_test_train, None, n)
    m = len(K_star)
    noise_arr = check_array("noise", noise, ndim=(0, 1), minimum=0.0,
                            shape_text=f"() or ({n},)")
    if noise_arr.ndim == 1 and len(noise_arr) != n:
        raise fail("noise", f"a variance >= 0 or an array of shape ({n},)",
                   got=f"shape {noise_arr.shape}")
    y2 = y.reshape(n, -1)
    rhs = np.concatenate([y2, K_star.T], axis=1)  # one solve for the mean and the covariance
    solved = ridge_coefficients(K + np.diag(np.broadcast_to(noise_arr, (n,))), rhs, 0.0)
    mean = (K_star @ solved[:, :y2.shape[1]]).reshape((m,) + y.shape[1:])
    if nngp_test_test is None:
        return Prediction(mean, None)
    K_ss = _block("nngp_test_test", nngp_test_test, m, m)
    cov = K_ss - K_star @ solved[:, y2.shape[1]:]
    return Prediction(mean, 0.5 * (cov + cov.T))
