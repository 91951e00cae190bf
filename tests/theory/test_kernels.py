"""Tests of learnmech.theory.kernels: closed forms, quadrature, Monte-Carlo wide networks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from learnmech.theory.kernels import ACTIVATIONS, dot_product_kernel, fc_kernel
from learnmech.theory.kernels.quadrature import QUADRATURE, quadrature_layer

RELU = (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float))
ERF = (erf, lambda x: 2.0 / np.sqrt(np.pi) * np.exp(-x * x))
LINEAR = (lambda x: x * 1.0, lambda x: np.ones_like(x))
PAIRS = {"relu": RELU, "erf": ERF, "linear": LINEAR}


def _sphere(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("name", ["relu", "erf", "linear"])
@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_quadrature_matches_closed_form(name: str, kind: str) -> None:
    X = _sphere(12, 6, 0)
    Y = np.random.default_rng(1).normal(size=(9, 6))  # not unit norm
    for depth in range(1, 6):
        for A, B in ((X, None), (X, Y)):
            kw = {"depth": depth, "kind": kind, "sigma_w2": 1.7, "sigma_b2": 0.3}
            closed = fc_kernel(A, B, activation=name, **kw)
            quad = fc_kernel(A, B, activation=PAIRS[name], **kw)
            np.testing.assert_allclose(quad, closed, rtol=1e-8, atol=0)


@pytest.mark.parametrize("name", ["tanh", "gelu", "softplus", "sigmoid"])
def test_quadrature_converged(name: str) -> None:
    phi, dphi = QUADRATURE[name]
    s11 = np.array([0.3, 2.0, 1.0, 1.5])
    s22 = np.array([1.0, 0.7, 1.0, 1.5])
    s12 = np.array([0.2, -1.1, 0.999, 1.5])
    a = quadrature_layer(phi, dphi, s11, s22, s12)
    b = quadrature_layer(phi, dphi, s11, s22, s12, n_nodes=96)  # default: 32 nodes a piece
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_all_activations_sym_psd(name: str) -> None:
    X = _sphere(20, 4, 2)
    for kind in ("nngp", "ntk"):
        K = fc_kernel(X, depth=3, activation=name, kind=kind)
        assert K.shape == (20, 20) and K.dtype == np.float64
        np.testing.assert_array_equal(K, K.T)
        ev = np.linalg.eigvalsh(K)
        assert ev.min() >= -1e-10 * ev.max()


@pytest.mark.parametrize("name", ["relu", "erf", "linear", "tanh"])
@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_fc_equals_dot_product_on_sphere(name: str, kind: str) -> None:
    d = 7
    X, Y = _sphere(10, d, 3), _sphere(8, d, 4)
    kw = {"depth": 4, "activation": name, "kind": kind, "sigma_w2": 2.0, "sigma_b2": 0.1}
    np.testing.assert_allclose(
        fc_kernel(X, Y, **kw), dot_product_kernel(X @ Y.T, d=d, **kw), rtol=1e-10, atol=1e-12
    )


def test_depth_one_is_linear_layer() -> None:
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    expected = 1.3 * X @ Y.T / 3 + 0.4
    for kind in ("nngp", "ntk"):
        np.testing.assert_allclose(
            fc_kernel(X, Y, depth=1, kind=kind, sigma_w2=1.3, sigma_b2=0.4), expected, rtol=1e-14
        )


def test_block_rows_identical() -> None:
    X = np.random.default_rng(6).normal(size=(23, 5))
    Y = np.random.default_rng(7).normal(size=(11, 5))
    for B in (None, Y):
        big = fc_kernel(X, B, depth=4, block_rows=4096)
        small = fc_kernel(X, B, depth=4, block_rows=7)
        np.testing.assert_allclose(small, big, rtol=1e-13, atol=0)


def test_known_values() -> None:
    # depth-4 ReLU NTK, σ_w² = σ_b² = 1, d = 50, t = 1: Σ = 1.02, 1.51, 1.755, 1.8775
    assert dot_product_kernel(1.0, d=50, depth=4) == pytest.approx(3.26, rel=1e-14)
    # ReLU NNGP depth 2 at t = 0 (c = 1/1.02): explicit arc-cosine formula
    q = 1.02
    c = 1.0 / q
    th = np.arccos(c)
    expected = q / (2 * np.pi) * (np.sin(th) + (np.pi - th) * c) + 1.0
    assert dot_product_kernel(0.0, d=50, depth=2, kind="nngp") == pytest.approx(expected)


@pytest.mark.parametrize("name", ["relu", "erf", "linear"])
@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_complex_t(name: str, kind: str) -> None:
    kw = {"d": 10, "depth": 4, "activation": name, "kind": kind}
    t = np.linspace(-0.99, 0.99, 41)
    real = dot_product_kernel(t, **kw)
    cplx = dot_product_kernel(t + 0j, **kw)
    assert real.dtype == np.float64 and cplx.dtype == np.complex128
    np.testing.assert_allclose(cplx.real, real, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cplx.imag, 0.0, atol=1e-14)
    z = 0.9 * np.exp(2j * np.pi * np.arange(256) / 256)
    kz = dot_product_kernel(z, **kw)
    np.testing.assert_allclose(dot_product_kernel(np.conj(z), **kw), np.conj(kz), rtol=1e-12)
    # analytic: the Cauchy integral recovers k at an interior point
    t0 = 0.3
    cauchy = np.mean(kz * z / (z - t0))
    assert cauchy.real == pytest.approx(float(dot_product_kernel(t0, **kw)), rel=1e-10)
    assert abs(cauchy.imag) < 1e-10


def test_complex_t_rejected_for_quadrature() -> None:
    with pytest.raises(ValueError, match="complex t"):
        dot_product_kernel(np.array([0.1 + 0.1j]), d=3, depth=2, activation="tanh")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"depth": 0}, "depth"),
        ({"depth": 2.5}, "depth"),
        ({"depth": True}, "depth"),
        ({"depth": 2, "sigma_w2": 0.0}, "sigma_w2"),
        ({"depth": 2, "sigma_b2": -1.0}, "sigma_b2"),
        ({"depth": 2, "activation": "swish"}, "activation"),
        ({"depth": 2, "kind": "gp"}, "kind"),
        ({"depth": 2, "parameterization": "mup"}, "parameterization"),
        ({"depth": 2, "block_rows": 0}, "block_rows"),
    ],
)
def test_validation(kwargs: dict, match: str) -> None:
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=match):
        fc_kernel(X, **kwargs)


def test_validation_shapes() -> None:
    with pytest.raises(ValueError, match="X1"):
        fc_kernel(np.ones(3), depth=2)
    with pytest.raises(ValueError, match="same number of columns"):
        fc_kernel(np.ones((3, 2)), np.ones((3, 4)), depth=2)
    with pytest.raises(ValueError, match="finite"):
        fc_kernel(np.array([[np.nan, 1.0]]), depth=2)
    with pytest.raises(ValueError, match="d must"):
        dot_product_kernel(0.5, d=0, depth=2)


def test_standard_parameterization() -> None:
    X = _sphere(5, 3, 8)
    np.testing.assert_array_equal(
        fc_kernel(X, depth=3, kind="nngp", parameterization="standard"),
        fc_kernel(X, depth=3, kind="nngp"),
    )
    with pytest.raises(NotImplementedError, match="standard"):
        fc_kernel(X, depth=3, kind="ntk", parameterization="standard")


# ------------------------------------------------------------------------------------------
# Monte-Carlo checks against finite random networks (NTK parameterisation)
# ------------------------------------------------------------------------------------------

SW2, SB2 = 1.5, 0.2


def _act(name: str):
    return PAIRS[name]


@pytest.mark.parametrize("name", ["relu", "erf"])
def test_nngp_monte_carlo(name: str) -> None:
    """Depth 3, width 4000, 200 independent networks, fixed seed: within 3 standard errors.

    Layer 1 uses an explicit weight matrix. The hidden-to-hidden layer is sampled row by row
    from its exact conditional law given the previous layer (each unit of
    ``σ_w W φ(z¹)/√N + σ_b b`` is Gaussian with covariance ``σ_w² φᵀφ/N + σ_b²``), which is the
    same distribution as an explicit N×N weight matrix at a fraction of the cost. The output
    layer's second moment is taken exactly given the last hidden layer.
    """
    rng = np.random.default_rng(1234)
    phi, _ = _act(name)
    d, width, n_nets = 6, 4000, 200
    X = _sphere(4, d, 9)
    P = X.shape[0]
    est = np.empty((n_nets, P, P))
    for k in range(n_nets):
        W1 = rng.standard_normal((width, d))
        z1 = np.sqrt(SW2) * W1 @ X.T / np.sqrt(d) + np.sqrt(SB2) * rng.standard_normal((width, 1))
        h1 = phi(z1)
        C = SW2 * h1.T @ h1 / width + SB2
        z2 = rng.standard_normal((width, P)) @ np.linalg.cholesky(C + 1e-12 * np.eye(P)).T
        h2 = phi(z2)
        est[k] = SW2 * h2.T @ h2 / width + SB2
    mean = est.mean(axis=0)
    se = est.std(axis=0, ddof=1) / np.sqrt(n_nets)
    exact = fc_kernel(X, depth=3, activation=name, kind="nngp", sigma_w2=SW2, sigma_b2=SB2)
    assert np.all(np.abs(mean - exact) <= 3 * se + 1e-12), (mean, exact, se)


def _empirical_ntk(X: np.ndarray, width: int, name: str, rng: np.random.Generator) -> np.ndarray:
    """Θ = Σ_params ∂f/∂θ(x) ∂f/∂θ(x') of a depth-3, one-output MLP by explicit backprop."""
    phi, dphi = _act(name)
    d = X.shape[1]
    sw, sb = np.sqrt(SW2), np.sqrt(SB2)
    W1 = rng.standard_normal((width, d))
    b1 = rng.standard_normal((width, 1))
    W2 = rng.standard_normal((width, width))
    b2 = rng.standard_normal((width, 1))
    w3 = rng.standard_normal((width, 1))
    z1 = sw * W1 @ X.T / np.sqrt(d) + sb * b1  # (N, P)
    h1 = phi(z1)
    z2 = sw * W2 @ h1 / np.sqrt(width) + sb * b2
    h2 = phi(z2)
    # f = sw w3·h2/√N + sb b3; deltas δ_l = ∂f/∂z_l, shape (N, P)
    delta2 = sw * w3 / np.sqrt(width) * dphi(z2)
    delta1 = sw * W2.T @ delta2 / np.sqrt(width) * dphi(z1)
    theta = SB2 + SW2 * h2.T @ h2 / width  # output layer (bias and weights)
    theta = theta + (delta2.T @ delta2) * (SW2 * h1.T @ h1 / width + SB2)  # layer 2
    theta = theta + (delta1.T @ delta1) * (SW2 * X @ X.T / d + SB2)  # layer 1
    return theta


@pytest.mark.parametrize("name", ["relu", "erf"])
def test_ntk_monte_carlo_converges_with_width(name: str) -> None:
    rng = np.random.default_rng(4321)
    X = _sphere(4, 5, 10)
    exact = fc_kernel(X, depth=3, activation=name, kind="ntk", sigma_w2=SW2, sigma_b2=SB2)
    errs = {}
    for width in (500, 4000):
        emp = np.mean([_empirical_ntk(X, width, name, rng) for _ in range(3)], axis=0)
        errs[width] = np.max(np.abs(emp - exact) / np.abs(exact))
    assert errs[4000] < errs[500]
    assert errs[4000] < 0.03, errs
