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

from learnmech.theory._validate import check_array, check_callable, check_float, fail

KernelFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def ridge_coefficients(K: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """α = (K + δ I)⁻¹ y for K of shape (n, n) and y of shape (n,) or (n, c).

    Cholesky when K + δI is positive definite; a least-squares solve (the minimum-norm
    interpolant) when it is numerically singular. ``ridge`` δ is finite and >= 0.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve, lstsq

    K, y = _check_system(K, y)
    ridge = check_float("ridge", ridge, minimum=0.0)
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
    kernel = check_callable("kernel", kernel, "kernel(X1, X2) -> Gram matrix (n1, n2)")
    X = _check_inputs("X", X)
    X_test = _check_inputs("X_test", X_test, X.shape[1])
    y = _check_targets("y", y, len(X))
    f_test = _check_targets("f_test", f_test, len(X_test))
    ridge = check_float("ridge", ridge, minimum=0.0)
    alpha = ridge_coefficients(_gram(kernel, X, X), y, ridge)
    residual = _gram(kernel, X_test, X) @ alpha - f_test
    return float(np.mean(np.sum(np.reshape(residual, (len(X_test), -1)) ** 2, axis=1)))


def _check_system(K, y) -> tuple[np.ndarray, np.ndarray]:
    """K as a finite (n, n) array and y as a finite (n,) or (n, c) array."""
    K = check_array("K", K, ndim=(2,), shape_text="(n, n)")
    if K.shape[0] != K.shape[1]:
        raise fail("K", "a square array of shape (n, n)", got=f"shape {K.shape}")
    return K, _check_targets("y", y, len(K))


def _check_inputs(name: str, X, d: int | None = None) -> np.ndarray:
    """Inputs as a finite (n, d) array with n >= 1 (and ``d`` columns where given)."""
    X = check_array(name, X, ndim=(2,), shape_text="(n, d) with n >= 1")
    if len(X) < 1 or (d is not None and X.shape[1] != d):
        columns = "" if d is None else f" and {d} columns like X"
        raise fail(name, f"of shape (n, d) with n >= 1{columns}", got=f"shape {X.shape}")
    return X


def _check_targets(name: str, y, n: int) -> np.ndarray:
    """Targets as a finite array of shape (n,) or (n, c)."""
    y = check_array(name, y, ndim=(1, 2), shape_text=f"({n},) or ({n}, c)")
    if len(y) != n:
        raise fail(name, f"of shape ({n},) or ({n}, c), one row per input", got=f"shape {y.shape}")
    return y


def _gram(kernel: KernelFn, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
    """``kernel(X1, X2)``, refused unless it is a finite array of shape (n1, n2)."""
    K = np.asarray(kernel(X1, X2))
    if K.shape != (len(X1), len(X2)) or not np.all(np.isfinite(K)):
        raise fail("kernel", f"a function returning a finite Gram matrix of shape "
                   f"({len(X1)}, {len(X2)}) here", got=f"shape {K.shape} (finite: "
                   f"{bool(np.all(np.isfinite(K)))})")
    return K
