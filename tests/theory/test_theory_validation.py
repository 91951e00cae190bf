"""Every public theory function (kernels, spectra, curves, regression) refuses a bad argument
with an InputError whose message starts with the argument's name and states the accepted
range: ``"<name> must be <range>, got <value>"``."""

from __future__ import annotations

import re

import numpy as np
import pytest

from learnmech.core.errors import InputError
from learnmech.theory import (
    curve_from_spectrum,
    dot_product_kernel,
    fc_kernel,
    harmonic_multiplicity,
    harmonic_target,
    kare,
    kernel_regression_error,
    learning_curve,
    make_harmonic_target,
    normalised_gegenbauer,
    resolved_eigenvalues,
    ridge_coefficients,
    solve_kappa,
    sphere_eigenvalues,
    taylor_coefficients,
    uniform_sphere,
    zonal_harmonic,
)

NAN, INF = float("nan"), float("inf")
X3 = np.eye(3)
U = np.array([1.0, 0.0, 0.0])


def ntk(t):
    return dot_product_kernel(t, d=5, depth=3)


def linear_kernel(A, B):
    return A @ B.T


def _learning_curve(**kw):
    args = {"kernel": ntk, "d": 5, "target_power": {1: 1.0}, "n": [10], "lmax": 4}
    return learning_curve(**{**args, **kw})


def _curve_from_spectrum(**kw):
    args = {"eigenvalues": [1.0, 0.5], "target_power": [0.5, 0.5], "n": [10]}
    return curve_from_spectrum(**{**args, **kw})


def _solve_kappa(**kw):
    return solve_kappa(**{"lam": [1.0, 0.5], "mult": [1, 3], "n": [5.0], "delta": 0.1, **kw})


def _resolved(**kw):
    return resolved_eigenvalues(**{"lam": [1.0, 0.5], "mult": [1, 3], "k1": 2.5, **kw})


def _kare(**kw):
    return kare(**{"K": np.eye(3), "y": np.ones(3), "ridge": 0.1, **kw})


def _sphere_eigenvalues(**kw):
    return sphere_eigenvalues(**{"k": ntk, "d": 5, "lmax": 3, **kw})


def _taylor(**kw):
    return taylor_coefficients(**{"k": ntk, "qmax": 3, **kw})


def _make_target(**kw):
    return make_harmonic_target(**{"d": 3, "degrees": {1: 1.0}, "seed": 0, **kw})


def _ridge(**kw):
    return ridge_coefficients(**{"K": np.eye(3), "y": np.ones(3), "ridge": 0.0, **kw})


def _krr_error(**kw):
    args = {"kernel": linear_kernel, "X": X3, "y": np.ones(3), "X_test": X3,
            "f_test": np.ones(3), "ridge": 0.1}
    return kernel_regression_error(**{**args, **kw})


def _fc(**kw):
    return fc_kernel(**{"X1": X3, "depth": 2, **kw})


def _dot(**kw):
    return dot_product_kernel(**{"t": 0.3, "d": 3, "depth": 2, **kw})


CASES = [
    # learning_curve: the silent accepts of issue 12 item 11 first
    (_learning_curve, {"target_power": {-1: 1.0}}, "target_power"),
    (_learning_curve, {"target_power": {1.5: 1.0}}, "target_power"),
    (_learning_curve, {"target_power": {1: -1.0}}, "target_power"),
    (_learning_curve, {"noise": NAN}, "noise"),
    (_learning_curve, {"ridge": INF}, "ridge"),
    (_learning_curve, {"noise": -1.0}, "noise"),
    (_learning_curve, {"ridge": -1.0}, "ridge"),
    (_learning_curve, {"target_power": [1.0]}, "target_power"),
    (_learning_curve, {"n": [0]}, "n"),
    (_learning_curve, {"n": [NAN]}, "n"),
    (_learning_curve, {"n": "many"}, "n"),
    (_learning_curve, {"method": "nope"}, "method"),
    (_learning_curve, {"d": 1}, "d"),
    (_learning_curve, {"d": 2.5}, "d"),
    (_learning_curve, {"lmax": -1}, "lmax"),
    (_learning_curve, {"lmax": 0}, "lmax"),
    (_learning_curve, {"r": -1}, "r"),
    (_learning_curve, {"r": 1.5}, "r"),
    (_learning_curve, {"kernel": "relu"}, "kernel"),
    (_learning_curve, {"kernel": lambda t: -np.asarray(t, float)}, "kernel"),
    (_learning_curve, {"kernel": lambda t: np.asarray(t) ** 2, "target_power": {2: 1.0},
                       "method": "ek"}, "ridge"),
    # curve_from_spectrum
    (_curve_from_spectrum, {"eigenvalues": [-1.0, 0.5]}, "eigenvalues"),
    (_curve_from_spectrum, {"eigenvalues": [NAN, 0.5]}, "eigenvalues"),
    (_curve_from_spectrum, {"eigenvalues": [[1.0, 0.5]]}, "eigenvalues"),
    (_curve_from_spectrum, {"target_power": [-1.0, 0.5]}, "target_power"),
    (_curve_from_spectrum, {"target_power": [1.0]}, "target_power"),
    (_curve_from_spectrum, {"multiplicity": [1.0, -2.0]}, "multiplicity"),
    (_curve_from_spectrum, {"n": [-5]}, "n"),
    (_curve_from_spectrum, {"ridge": INF}, "ridge"),
    (_curve_from_spectrum, {"noise": NAN}, "noise"),
    (_curve_from_spectrum, {"method": "renormalized"}, "method"),
    # solve_kappa, resolved_eigenvalues, kare
    (_solve_kappa, {"lam": [-1.0, 0.5]}, "lam"),
    (_solve_kappa, {"mult": [1]}, "mult"),
    (_solve_kappa, {"n": [0.0]}, "n"),
    (_solve_kappa, {"delta": -1.0}, "delta"),
    (_resolved, {"k1": NAN}, "k1"),
    (_resolved, {"mult": [1, 2, 3]}, "mult"),
    (_kare, {"K": np.eye(2)}, "K"),
    (_kare, {"K": np.full((3, 3), NAN)}, "K"),
    (_kare, {"y": np.ones(0), "K": np.eye(0)}, "y"),
    (_kare, {"ridge": 0.0}, "ridge"),
    # spectra
    (_sphere_eigenvalues, {"k": None}, "k"),
    (_sphere_eigenvalues, {"k": lambda t: np.full(3, 1.0)}, "k"),
    (_sphere_eigenvalues, {"k": lambda t: np.full_like(t, NAN)}, "k"),
    (_sphere_eigenvalues, {"d": 1}, "d"),
    (_sphere_eigenvalues, {"lmax": -1}, "lmax"),
    (_sphere_eigenvalues, {"n_quad": 2}, "n_quad"),
    (harmonic_multiplicity, {"d": 1, "l": 0}, "d"),
    (harmonic_multiplicity, {"d": 3, "l": -1}, "l"),
    (harmonic_multiplicity, {"d": 3, "l": 1.5}, "l"),
    (harmonic_multiplicity, {"d": 3, "l": [0, -1]}, "l"),
    (harmonic_multiplicity, {"d": 3, "l": [0.5]}, "l"),
    (normalised_gegenbauer, {"t": [NAN], "d": 3, "lmax": 2}, "t"),
    (normalised_gegenbauer, {"t": [0.1], "d": 1, "lmax": 2}, "d"),
    (normalised_gegenbauer, {"t": [0.1], "d": 3, "lmax": -1}, "lmax"),
    (_taylor, {"radius": 0.0}, "radius"),
    (_taylor, {"radius": NAN}, "radius"),
    (_taylor, {"qmax": -1}, "qmax"),
    (_taylor, {"n_points": 3}, "n_points"),
    (_taylor, {"k": 3.0}, "k"),
    (uniform_sphere, {"n": -1, "d": 3, "seed": 0}, "n"),
    (uniform_sphere, {"n": 4, "d": 1, "seed": 0}, "d"),
    (uniform_sphere, {"n": 4, "d": 3, "seed": -1}, "seed"),
    (uniform_sphere, {"n": 4, "d": 3, "seed": "abc"}, "seed"),
    (zonal_harmonic, {"X": np.ones(3), "u": U, "l": 1}, "X"),
    (zonal_harmonic, {"X": X3, "u": U[:2], "l": 1}, "u"),
    (zonal_harmonic, {"X": X3, "u": 2 * U, "l": 1}, "u"),
    (zonal_harmonic, {"X": X3, "u": U, "l": -1}, "l"),
    (_make_target, {"d": 1}, "d"),
    (_make_target, {"degrees": {}}, "degrees"),
    (_make_target, {"degrees": {1.5: 1.0}}, "degrees"),
    (_make_target, {"degrees": {1: -1.0}}, "degrees"),
    (_make_target, {"degrees": {1: "a lot"}}, "degrees"),
    (_make_target, {"poles": 0}, "poles"),
    (_make_target, {"seed": "x"}, "seed"),
    (harmonic_target, {"X": np.full((2, 3), NAN), "degrees": {1: 1.0}, "seed": 0}, "X"),
    # regression
    (_ridge, {"K": np.ones((3, 2))}, "K"),
    (_ridge, {"K": np.full((3, 3), INF)}, "K"),
    (_ridge, {"y": np.ones(2)}, "y"),
    (_ridge, {"ridge": -1.0}, "ridge"),
    (_ridge, {"ridge": NAN}, "ridge"),
    (_krr_error, {"kernel": 1.0}, "kernel"),
    (_krr_error, {"kernel": lambda A, B: np.ones((2, 2))}, "kernel"),
    (_krr_error, {"X": np.ones(3)}, "X"),
    (_krr_error, {"X_test": np.ones((3, 2))}, "X_test"),
    (_krr_error, {"y": np.ones(2)}, "y"),
    (_krr_error, {"f_test": np.ones(4)}, "f_test"),
    (_krr_error, {"ridge": -1.0}, "ridge"),
    # kernels
    (_fc, {"depth": 0}, "depth"),
    (_fc, {"depth": 2.5}, "depth"),
    (_fc, {"sigma_w2": 0.0}, "sigma_w2"),
    (_fc, {"sigma_w2": NAN}, "sigma_w2"),
    (_fc, {"sigma_w2": "big"}, "sigma_w2"),
    (_fc, {"sigma_b2": -1.0}, "sigma_b2"),
    (_fc, {"activation": "swish"}, "activation"),
    (_fc, {"kind": "gp"}, "kind"),
    (_fc, {"parameterization": "mup"}, "parameterization"),
    (_fc, {"block_rows": 0}, "block_rows"),
    (_fc, {"backend": "jax"}, "backend"),
    (_fc, {"X1": np.full((2, 2), NAN)}, "X1"),
    (_fc, {"X1": np.ones(3)}, "X1"),
    (_fc, {"X2": np.ones((2, 4))}, "X2"),
    (_fc, {"device": "cuda"}, "device"),
    (_fc, {"dtype": "float32"}, "dtype"),
    (_fc, {"X1": 1e160 * X3}, "X1"),
    (_fc, {"depth": 1000, "activation": "linear", "sigma_w2": 4.0}, "depth"),
    (_dot, {"t": NAN}, "t"),
    (_dot, {"t": "a"}, "t"),
    (_dot, {"t": 0.1 + 0.1j, "activation": "tanh"}, "t"),
    (_dot, {"d": 0}, "d"),
    (_dot, {"depth": 0}, "depth"),
    (_dot, {"kind": "both"}, "kind"),
]


def _id(case) -> str:
    fn, kwargs, name = case
    return f"{getattr(fn, '__name__', fn).lstrip('_')}-{name}-{'-'.join(map(str, kwargs))}"


@pytest.mark.parametrize(("fn", "kwargs", "name"), CASES, ids=[_id(c) for c in CASES])
def test_bad_argument_is_refused_by_name(fn, kwargs, name) -> None:
    with pytest.raises(InputError) as caught:
        result = fn(**kwargs)
        if callable(result):  # make_harmonic_target checks at build time, not at the call
            pytest.fail(f"{fn} accepted {kwargs}")
    message = str(caught.value)
    assert re.match(rf"{re.escape(name)}\b", message), message
    assert " must be " in message and ", got " in message, message


def test_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="noise"):
        _learning_curve(noise=NAN)
