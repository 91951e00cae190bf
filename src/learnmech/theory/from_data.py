"""Learning curves for your own data: a spectrum estimated from a Gram matrix, then predicted.

On data whose kernel eigenfunctions are unknown, the spectrum is estimated from a pool of M
points (Bordelon, Canatar & Pehlevan 2020): the eigenvalues of K/M estimate the eigenvalues
λ_i of the kernel's integral operator against the data distribution, and the target's power
in mode i is

    v_i² = Σ_c (u_iᵀ y_c)² / M,

with u_i the unit eigenvectors of K and y_c the columns of the targets (one column for a
scalar target, C for a one-hot one), so that Σ_i v_i² = ‖y‖²/M, the target's mean square.
:func:`learnmech.theory.curves.curve_from_spectrum` then predicts the test MSE of kernel ridge
regression trained on n points drawn from the same distribution (multiplicity 1 per mode). The
pool stands in for the population, so the prediction is meant for n well below M.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from learnmech.theory._validate import check_array, check_callable, fail

__all__ = ["EstimatedSpectrum", "estimate_spectrum", "learning_curve_from_data"]

#: Relative asymmetry max|K − Kᵀ| / max|K| above which a Gram matrix is refused.
SYMMETRY_TOLERANCE = 1e-10


class EstimatedSpectrum(NamedTuple):
    """An empirical spectrum: unpacks as ``eigenvalues, target_power``.

    Attributes
    ----------
    eigenvalues : ndarray of shape (M,)
        Eigenvalues of K/M, ascending (as :func:`numpy.linalg.eigh` returns them), rounding
        negatives clipped to 0.
    target_power : ndarray of shape (M,)
        v_i², the targets' power in each eigenvector (same order); sums to ‖y‖²/M.
    """

    eigenvalues: np.ndarray
    target_power: np.ndarray


def estimate_spectrum(K, y) -> EstimatedSpectrum:
    """The kernel's spectrum and the target's power per mode, from a Gram matrix on a pool.

    Parameters
    ----------
    K : array_like of shape (M, M)
        The symmetric Gram matrix k(x_a, x_b) of M pool points (finite).
    y : array_like of shape (M,) or (M, C)
        The targets on the pool: a scalar target, or C columns (e.g. one-hot labels).

    Returns
    -------
    EstimatedSpectrum
        ``(eigenvalues (M,), target_power (M,))``; see the module docstring.

    Raises
    ------
    InputError
        K not a finite square symmetric array with M >= 2, or y not finite of shape (M,) or
        (M, C).
    """
    K, Y = _check_pool(K, y)
    M = len(K)
    eigval, eigvec = np.linalg.eigh(K / M)
    power = ((eigvec.T @ Y) ** 2).sum(axis=1) / M
    return EstimatedSpectrum(np.clip(eigval, 0.0, None), power)


def learning_curve_from_data(
    data, y, n, *, kernel: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ridge: float = 0.0, noise: float = 0.0, method: str = "eigenlearning",
) -> np.ndarray:
    """Predicted test MSE of kernel regression on n points of your data, for each n.

    Parameters
    ----------
    data : array_like of shape (M, M), or (M, d) with ``kernel``
        The pool's Gram matrix; or, when ``kernel`` is given, the pool's inputs X.
    y : array_like of shape (M,) or (M, C)
        The targets on the pool (the MSE is summed over the C columns).
    n : array_like of shape (n_points,)
        Training-set sizes, each in (0, M].
    kernel : callable (X1 (n1, d), X2 (n2, d)) -> (n1, n2), optional
        Builds the Gram matrix from ``data`` (e.g. ``functools.partial(fc_kernel, depth=3)``).
    ridge : float
        δ >= 0 added to the Gram matrix of the training set.
    noise : float
        Label-noise variance ε² >= 0 (``eigenlearning`` only).
    method : {"eigenlearning", "ek", "ek+1/n"}
        The prediction (see :mod:`learnmech.theory.curves`).

    Returns
    -------
    ndarray of shape (n_points,)
        The predicted test MSE against the clean target at each n.

    Raises
    ------
    InputError
        For any argument outside the ranges above.
    """
    from learnmech.theory.curves import curve_from_spectrum

    if kernel is not None:
        kernel = check_callable("kernel", kernel, "kernel(X1, X2) -> Gram matrix (n1, n2)")
        X = check_array("data", data, ndim=(2,), shape_text="(M, d) with a kernel")
        data = kernel(X, X)
    spectrum = estimate_spectrum(data, y)
    sizes = check_array("n", n, ndim=(0, 1), minimum=0.0, exclusive=True,
                        shape_text="(n_points,)")
    pool = len(spectrum.eigenvalues)
    if sizes.size and sizes.max() > pool:
        raise fail("n", f"training-set sizes in (0, M] = (0, {pool}] (the pool's size)",
                   got=f"a size {sizes.max():g}")
    return curve_from_spectrum(spectrum.eigenvalues, spectrum.target_power, sizes,
                               ridge=ridge, noise=noise, method=method)


def _check_pool(K, y) -> tuple[np.ndarray, np.ndarray]:
    """K as a finite symmetric (M, M) array with M >= 2 and y as a finite (M, C) array."""
    K = check_array("K", K, ndim=(2,), shape_text="(M, M)")
    if K.shape[0] != K.shape[1] or len(K) < 2:
        raise fail("K", "a square Gram matrix of shape (M, M) with M >= 2",
                   got=f"shape {K.shape}")
    scale = float(np.abs(K).max())
    asymmetry = float(np.abs(K - K.T).max())
    if asymmetry > SYMMETRY_TOLERANCE * scale:
        raise fail("K", f"symmetric (max|K − Kᵀ| <= {SYMMETRY_TOLERANCE:g} max|K|)",
                   got=f"max|K − Kᵀ| = {asymmetry:.3g} with max|K| = {scale:.3g}")
    Y = check_array("y", y, ndim=(1, 2), shape_text=f"({len(K)},) or ({len(K)}, C)")
    if len(Y) != len(K):
        raise fail("y", f"of shape ({len(K)},) or ({len(K)}, C), one row per pool point",
                   got=f"shape {Y.shape}")
    return K, Y.reshape(len(K), -1)
