"""Kernel ridge regression (the GP posterior mean): the one solve behind every measurement.

The predictor is f̂(x) = k(x, X) (K + δ I)⁻¹ y with K = k(X, X) of shape (n, n); δ = 0 is
kernel interpolation (the noiseless GP posterior mean, and the infinite-width limit of a
network trained by gradient descent on MSE from a centred initialisation). Test errors are mean
squared errors against the clean target, the quantity every prediction of
:mod:`learnmech.theory.curves` states.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

KernelFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def ridge_coefficients(K: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """α = (K + δ I)⁻¹ y for K of shape (n, n) and y of shape (n,) or (n, c).

    Cholesky when K + δI is positive definite; a least-squares solve (the minimum-norm
    interpolant) when it is numerically singular.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve, lstsq

    if ridge < 0:
        raise ValueError(f"ridge must be >= 0; got {ridge}")
    A = K + ridge * np.eye(len(K)) if ridge else K
    try:
        return cho_solve(cho_factor(A, lower=True, check_finite=False), y, check_finite=False)
    except LinAlgError:
        return lstsq(A, y, check_finite=False)[0]


def kernel_regression_error(
    kernel: KernelFn,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    f_test: np.ndarray,
    *,
    ridge: float = 0.0,
) -> float:
    """Test MSE of kernel ridge regression trained on (X, y), against the clean f_test.

    Parameters
    ----------
    kernel : (X1 (n1, d), X2 (n2, d)) -> (n1, n2) Gram matrix
    X, y : training inputs (n, d) and (possibly noisy) targets (n,) or (n, c)
    X_test, f_test : test inputs (m, d) and clean target values (m,) or (m, c)
    ridge : δ >= 0
    """
    alpha = ridge_coefficients(kernel(X, X), y, ridge)
    residual = kernel(X_test, X) @ alpha - f_test
    return float(np.mean(np.sum(np.reshape(residual, (len(X_test), -1)) ** 2, axis=1)))
