"""Infinite-width layers: hand-built cases, fc_kernel, and Monte-Carlo finite networks.

Monte-Carlo checks average the empirical kernels of ``SEEDS`` finite networks
(:func:`learnmech.nets.layered.finite_network`, float64) and judge the mean in standard-error
units: ``z = (mean − theory)/(sd/√SEEDS)`` for each distinct kernel entry, accepted for
``max |z| <= Z_MAX`` (the Student-t₁₅ tail beyond 5 is 1.6e-4 per entry; the finite-width bias
of the NTK, O(1/width), is well below one standard error at these widths). Each check also
rejects the theory scaled by ``1 ± POWER`` — its negative control: the test sees an error of
that size. NNGP draws are the output covariance given the hidden layers, NTK draws the
empirical NTK traced over the outputs (divided by their number).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learnmech.core.errors import InputError  # noqa: E402
from learnmech.nets.empirical import empirical_ntk_outputs  # noqa: E402
from learnmech.nets.layered import empirical_nngp_layered, finite_network  # noqa: E402
from learnmech.nets.ntk import NTKMLP, empirical_ntk  # noqa: E402
from learnmech.theory import fc_kernel, spatial  # noqa: E402
from learnmech.theory.layers import (  # noqa: E402
    Activation,
    AvgPool,
    Conv,
    Dense,
    Erf,
    Flatten,
    GlobalAvgPool,
    Relu,
    Residual,
    input_kernel,
    serial,
)
from learnmech.theory.standard import standard_mlp, standard_ntk  # noqa: E402

F64 = torch.float64


@pytest.fixture(autouse=True)
def _one_torch_thread() -> None:
    """The project's torch thread count (one unless LEARNMECH_TORCH_THREADS), as runs use."""
    from learnmech.nets.training import default_threads

    default_threads()
SEEDS = 16
Z_MAX = 5.0
POWER = 0.10


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------------
# exact and hand-built cases
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "erf", "tanh"])
def test_dense_stack_is_fc_kernel(activation: str) -> None:
    X, Y = _rng().normal(size=(5, 4)) * 1.7, _rng(1).normal(size=(3, 4))
    kw = {"sigma_w2": 1.5, "sigma_b2": 0.2}
    for depth in (1, 2, 4):
        items = []
        for _ in range(depth - 1):
            items += [Dense(**kw), Activation(activation)]
        net = serial(*items, Dense(**kw))
        for B in (None, Y):
            k = net(X, B)
            for kind in ("nngp", "ntk"):
                ref = fc_kernel(X, B, depth=depth, activation=activation, kind=kind, **kw)
                np.testing.assert_allclose(getattr(k, kind), ref, rtol=1e-12, atol=1e-14)


def _filter_average_by_loops(K: np.ndarray, F: int, padding: str) -> np.ndarray:
    """(n1, n2, S, S) → the average over offsets, written with explicit zero padding."""
    S = K.shape[-1]
    lo = (F - 1) // 2 if padding == "SAME" else 0
    out = S if padding == "SAME" else S - F + 1
    res = np.zeros(K.shape[:2] + (out, out))
    for p in range(out):
        for q in range(out):
            for delta in range(F):
                i, j = p + delta - lo, q + delta - lo
                if 0 <= i < S and 0 <= j < S:
                    res[:, :, p, q] += K[:, :, i, j] / F
    return res


@pytest.mark.parametrize(("F", "padding"), [(3, "SAME"), (4, "SAME"), (3, "VALID"), (1, "SAME")])
def test_linear_conv_is_the_filter_average(F: int, padding: str) -> None:
    """One Conv on the input: K = σ_w² A(x[p]·x'[p']/C) + σ_b², A written with loops here."""
    X = _rng().normal(size=(3, 7, 2))
    k = serial(Conv(F, padding, sigma_w2=1.3, sigma_b2=0.4))(X, X[:2])
    K0 = np.einsum("ipc,jqc->ijpq", X, X[:2]) / 2
    expected = 1.3 * _filter_average_by_loops(K0, F, padding) + 0.4
    np.testing.assert_allclose(k.nngp, expected, rtol=1e-13)
    np.testing.assert_allclose(k.ntk, expected, rtol=1e-13)  # one layer: Θ¹ = Σ¹


def test_two_dimensional_conv_is_separable_loops() -> None:
    X = _rng(2).normal(size=(2, 4, 5, 3))
    k = serial(Conv((3, 2), "SAME", sigma_b2=0.0))(X)
    K0 = np.einsum("iabc,jdec->ijabde", X, X) / 3
    lo = ((3 - 1) // 2, (2 - 1) // 2)
    expected = np.zeros_like(K0)
    for a, b, d, e in np.ndindex(4, 5, 4, 5):
        for da, db in np.ndindex(3, 2):
            i1, j1, i2, j2 = a + da - lo[0], b + db - lo[1], d + da - lo[0], e + db - lo[1]
            if 0 <= i1 < 4 and 0 <= i2 < 4 and 0 <= j1 < 5 and 0 <= j2 < 5:
                expected[:, :, a, b, d, e] += K0[:, :, i1, j1, i2, j2] / 6
    np.testing.assert_allclose(k.nngp, expected, rtol=1e-13, atol=1e-15)


def test_flatten_pool_and_global_pool_on_inputs_are_fc_kernels_of_reshaped_inputs() -> None:
    """Flatten then dense = fc on x.reshape(n, −1); AvgPool = fc on the pooled input; global
    pooling = fc on the mean over positions (hand-built: the input kernel is x·x'/C)."""
    Z = _rng(3).normal(size=(4, 6, 2))
    kw = {"depth": 2, "activation": "relu", "sigma_w2": 2.0, "sigma_b2": 0.1}
    tail = (Dense(sigma_w2=2.0, sigma_b2=0.1), Relu(), Dense(sigma_w2=2.0, sigma_b2=0.1))
    flat = serial(Flatten(), *tail)(Z).ntk
    np.testing.assert_allclose(flat, fc_kernel(Z.reshape(4, -1), **kw), rtol=1e-12)
    pooled = Z.reshape(4, 3, 2, 2).mean(axis=2)  # windows of 2 positions, stride 2
    np.testing.assert_allclose(serial(AvgPool(2), Flatten(), *tail)(Z).ntk,
                               fc_kernel(pooled.reshape(4, -1), **kw), rtol=1e-12)
    np.testing.assert_allclose(serial(GlobalAvgPool(), *tail)(Z).nngp,
                               fc_kernel(Z.mean(axis=1), kind="nngp", **kw), rtol=1e-12)
    overlapping = serial(AvgPool(3, strides=1))(Z).nngp  # 4 windows of 3 positions
    windows = np.stack([Z[:, s:s + 3].mean(axis=1) for s in range(4)], axis=1)
    np.testing.assert_allclose(overlapping, input_kernel(windows).nngp, rtol=1e-12)


def test_residual_adds_the_block() -> None:
    Z = _rng(4).normal(size=(3, 5, 2))
    stem, block = serial(Conv(3), Relu()), serial(Erf(), Conv(3, sigma_w2=0.5))
    k_in = stem(Z)
    k_block = serial(stem, block)(Z)
    k = serial(stem, Residual(*block.layers))(Z)
    for kind in ("nngp", "ntk", "cov1"):
        np.testing.assert_allclose(getattr(k, kind),
                                   getattr(k_in, kind) + getattr(k_block, kind), rtol=1e-13)


def test_kernels_are_symmetric_psd_and_cross_consistent() -> None:
    Z = _rng(5).normal(size=(5, 6, 2))
    net = serial(Conv(3), Relu(), AvgPool(2), Conv(2, "VALID"), Erf(),
                 Residual(Relu(), Conv(1)), GlobalAvgPool(), Dense())
    k = net(Z)
    cross = net(Z[:3], Z[3:])
    for kind in ("nngp", "ntk"):
        K = getattr(k, kind)
        np.testing.assert_allclose(K, K.T, rtol=1e-12)
        assert np.linalg.eigvalsh(K)[0] > -1e-12 * np.abs(K).max()
        np.testing.assert_allclose(getattr(cross, kind), K[:3, 3:], rtol=1e-12)


def test_refusals_name_the_argument() -> None:
    X, Z = np.ones((2, 3)), np.ones((2, 5, 2))
    cases = [
        (lambda: serial(Conv(3))(X), "input must be an input with positions"),
        (lambda: serial(Conv((3, 3)))(Z), r"filter_shape must be an integer or a tuple of 1"),
        (lambda: serial(Conv(6, "VALID"))(Z), "filter_shape must be at most"),
        (lambda: Conv(3, "FULL"), "padding must be one of"),
        (lambda: Residual(Dense(), Relu()), r"Residual\(\*layers\) must be a block ending"),
        (lambda: serial(GlobalAvgPool())(X), "input must be an input with positions"),
        (lambda: serial(Dense())(Z, np.ones((2, 4, 2))), "X2 must be of shape"),
        (lambda: serial(Dense(), Relu(), Dense(parameterization="standard"))(X),
         "width must be given"),
        (lambda: Dense(sigma_w2=0.0), "sigma_w2 must be"),
        (lambda: Activation("swish"), "activation must be one of"),
        (lambda: serial(Dense(), "relu"), r"layers\[1\] must be a Layer"),
        (lambda: serial(AvgPool(6))(Z), "window must be at most"),
    ]
    for call, message in cases:
        with pytest.raises(InputError, match=message):
            call()


def test_standard_ntk_hand_built_and_affine_in_width() -> None:
    """Depth 2, linear: Θ_SP = (x·x' + 1)·σ_w² + N·(σ_w² x·x'/d + σ_b²) + 1 (module docstring
    of theory.standard), and Θ_SP(N) = Θ_0 + N Θ_1 with Θ_1 = width=None."""
    X = _rng(6).normal(size=(4, 3))
    w2, b2, N = 1.7, 0.3, 50
    got = standard_ntk(X, depth=2, width=N, activation="linear", sigma_w2=w2, sigma_b2=b2)
    dot = X @ X.T
    expected = (dot + 1) * w2 + N * (w2 * dot / 3 + b2) + 1
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    slope = standard_ntk(X, depth=3, width=None, sigma_w2=w2, sigma_b2=b2)
    at = {n: standard_ntk(X, depth=3, width=n, sigma_w2=w2, sigma_b2=b2) for n in (10, 1000)}
    np.testing.assert_allclose((at[1000] - at[10]) / 990, slope, rtol=1e-9)
    assert np.all(np.diag(slope) > 0)


# --------------------------------------------------------------------------------------------
# Monte-Carlo finite networks
# --------------------------------------------------------------------------------------------


def _unique_entries(K: np.ndarray, lead: int) -> np.ndarray:
    """The upper triangle of a symmetric kernel (n, n, *S, *S), seen as an (n|S|)² matrix;
    ``lead`` leading axes (the seeds) are kept."""
    D = (K.ndim - lead - 2) // 2
    first = [lead, *range(lead + 2, lead + 2 + D)]
    second = [lead + 1, *range(lead + 2 + D, K.ndim)]
    M = np.transpose(K, [*range(lead), *first, *second])
    m = int(np.prod(M.shape[lead:lead + 1 + D]))
    rows, cols = np.triu_indices(m)
    return M.reshape(M.shape[:lead] + (m, m))[..., rows, cols]


def _z_scores(draws: np.ndarray, theory: np.ndarray) -> np.ndarray:
    """(mean − theory)/SE over the seeds, for each distinct kernel entry."""
    draws, theory = _unique_entries(draws, 1), _unique_entries(theory, 0)
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    return (draws.mean(axis=0) - theory) / se


def _judge(draws: np.ndarray, theory: np.ndarray, what: str, power: float = POWER) -> None:
    """Accept within Z_MAX standard errors; reject the theory scaled by 1 ± ``power``."""
    z = _z_scores(draws, theory)
    assert np.abs(z).max() <= Z_MAX, (what, z.round(2))
    for factor in (1 - power, 1 + power):
        assert np.abs(_z_scores(draws, factor * theory)).max() > Z_MAX, (what, factor)


def _per_output_ntk(model, X: torch.Tensor, spatial_shape: tuple[int, ...], k: int) -> np.ndarray:
    """The empirical NTK per output channel: trace/k, per position pair for spatial outputs."""
    if not spatial_shape:
        return empirical_ntk_outputs(model, X, form="trace").numpy() / k
    full = empirical_ntk_outputs(model, X, form="full").numpy()
    n, D = len(X), len(spatial_shape)
    full = full.reshape((n, n) + spatial_shape + (k,) + spatial_shape + (k,))
    return np.trace(full, axis1=2 + D, axis2=3 + 2 * D) / k


def _monte_carlo(net, X: np.ndarray, *, width: int, outputs: int = 4, seed0: int = 0):
    k = net(X)
    spatial_shape = k.nngp.shape[2:2 + (k.nngp.ndim - 2) // 2]
    Xt = torch.as_tensor(X)
    nngp, ntk = [], []
    for seed in range(seed0, seed0 + SEEDS):
        model = finite_network(net, X.shape[1:], width=width, outputs=outputs, seed=seed,
                               dtype=F64)
        nngp.append(empirical_nngp_layered(model, Xt))
        ntk.append(_per_output_ntk(model, Xt, spatial_shape, outputs))
    return k, np.array(nngp), np.array(ntk)


MC_NETS = {
    # dense layers, ReLU and erf, inputs without positions
    "dense_relu_erf": (lambda: serial(Dense(sigma_w2=2.0, sigma_b2=0.1), Relu(),
                                      Dense(sigma_w2=1.5, sigma_b2=0.1), Erf(),
                                      Dense(sigma_b2=0.1)), (3, 5), 256),
    # 1-D 'SAME' convolutions down to a spatial output (per position pair)
    "conv1d_same": (lambda: serial(Conv(3, "SAME", sigma_w2=2.0, sigma_b2=0.1), Relu(),
                                   Conv(3, "SAME", sigma_b2=0.1)), (3, 6, 2), 384),
    # 2-D 'VALID' convolution, flatten, dense
    "conv2d_valid_flatten": (lambda: serial(Conv((3, 2), "VALID", sigma_w2=1.5), Erf(),
                                            Flatten(), Dense()), (3, 5, 4, 2), 256),
    # average pooling
    "avgpool": (lambda: serial(Conv(3, sigma_w2=2.0), Relu(), AvgPool(2), Flatten(), Dense()),
                (3, 6, 2), 256),
    # global average pooling
    "global_avgpool": (lambda: serial(Conv(3, sigma_w2=2.0), Relu(), GlobalAvgPool(), Dense()),
                       (3, 6, 2), 256),
    # residual block (on dense layers: the Jacobian of a wide 3-tap convolution is slow)
    "residual": (lambda: serial(Dense(sigma_w2=2.0), Residual(Relu(), Dense(sigma_w2=1.5)),
                                Relu(), Dense()), (3, 5), 512),
    # ... and around a 1×1 convolution, on positions
    "residual_conv": (lambda: serial(Conv(3, sigma_w2=2.0), Residual(Relu(), Conv(1)), Relu(),
                                     GlobalAvgPool(), Dense()), (3, 5, 2), 512),
}


@pytest.mark.parametrize("name", list(MC_NETS))
def test_monte_carlo_finite_networks(name: str) -> None:
    make, shape, width = MC_NETS[name]
    X = _rng(7).normal(size=shape)
    k, nngp, ntk = _monte_carlo(make(), X, width=width)
    _judge(nngp, k.nngp, f"{name} nngp")
    _judge(ntk, k.ntk, f"{name} ntk")


def test_monte_carlo_standard_parameterisation() -> None:
    """SP networks at width N: mean empirical NTK ≈ Θ_SP(N), ~N/2 times the NTK-parameterised
    kernel here (so the wrong convention fails by far).

    The SP NTK fluctuates by ~2.7/√N relative per network (measured), so the 10 % resolution
    takes N = 1024 and 32 NTKMLPs (structured NTK, cheap); the layered builder's SP network
    (Jacobian NTK, costlier) is checked at N = 256 with 16 seeds, resolving a factor 1.5.
    """
    X = _rng(8).normal(size=(4, 3))
    kw = {"activation": "relu", "sigma_w2": 2.0, "sigma_b2": 0.1}
    Xt = torch.as_tensor(X)
    N = 1024
    mlp = np.array([empirical_ntk(NTKMLP(3, N, 3, parameterization="standard", seed=s, dtype=F64,
                                         **kw), Xt).numpy() for s in range(2 * SEEDS)])
    theory = standard_ntk(X, depth=3, width=N, **kw)
    _judge(mlp, theory, "NTKMLP standard")
    assert np.all(theory / fc_kernel(X, depth=3, **kw) > N / 4)
    N = 256
    _, _, layered = _monte_carlo(standard_mlp(3, N, **kw), X, width=N, outputs=4, seed0=50)
    _judge(layered, standard_ntk(X, depth=3, width=N, **kw), "layered standard", power=0.5)


@pytest.mark.parametrize(("net", "shape"), [
    (serial(Conv(4, "SAME", sigma_w2=1.3, sigma_b2=0.2)), (2, 6, 3)),
    (serial(Conv((3, 2), "SAME")), (2, 4, 3, 2)),
    (serial(Conv(3, "VALID", sigma_w2=0.7)), (2, 6, 2)),
])
def test_finite_builder_shares_the_padding_convention(net, shape) -> None:
    """One convolution has an exact empirical NTK at any width (Θ̂ = Σ¹ = Θ¹): the finite
    builder's padding (even filters included) is the theory's, entry by entry."""
    X = _rng(11).normal(size=shape)
    k = net(X)
    model = finite_network(net, shape[1:], width=5, outputs=1, seed=0, dtype=F64)
    spatial_shape = k.ntk.shape[2:2 + (k.ntk.ndim - 2) // 2]
    got = _per_output_ntk(model, torch.as_tensor(X), spatial_shape, 1)
    np.testing.assert_allclose(got, k.ntk, rtol=1e-12, atol=1e-14)
    assert model(torch.as_tensor(X)).shape == (shape[0],) + spatial_shape + (1,)


def test_finite_builder_refusals() -> None:
    net = serial(Conv(3), Relu(), GlobalAvgPool())
    with pytest.raises(InputError, match="width must be an integer"):
        finite_network(net, (5, 2), width=0)
    with pytest.raises(InputError, match="input must be an input with positions"):
        finite_network(net, (5,), width=4)
    model = finite_network(net, (5, 2), width=4, dtype=torch.float32)
    with pytest.raises(InputError, match=r"dtype torch\.float32, got dtype torch\.float64"):
        model(torch.zeros(2, 5, 2, dtype=F64))
    with pytest.raises(InputError, match="must end in a Dense or Conv"):
        empirical_nngp_layered(model, torch.zeros(2, 5, 2))
    with pytest.raises(InputError, match="net must be a non-empty"):
        finite_network(Conv(3), (5, 2), width=4)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MC_NETS))
def test_monte_carlo_error_shrinks_like_inverse_sqrt_width(name: str) -> None:
    """Slow: the RMS relative error of one network's NTK falls ~√4 = 2 from width w to 4w."""
    make, shape, width = MC_NETS[name]
    X = _rng(9).normal(size=shape)
    net = make()
    rms = []
    for w in (width // 2, 2 * width):
        k, _, ntk = _monte_carlo(net, X, width=w, seed0=100 + w)
        rms.append(float(np.sqrt(np.mean(((ntk - k.ntk) / np.abs(k.ntk).max()) ** 2))))
    assert 1.0 < rms[0] / rms[1] < 4.0, rms


def test_spatial_helpers_match_shapes() -> None:
    """Output sizes of the spatial maps (the finite builder relies on them)."""
    assert spatial.conv_output_size(7, 3, "SAME") == 7
    assert spatial.conv_output_size(7, 3, "VALID") == 5
    assert spatial.pool_output_size(7, 2, 2) == 3
    K = _rng(10).normal(size=(2, 1, 4, 5, 4, 5))
    assert spatial.average_pool(K, 2, (2, 2), (2, 1)).shape == (2, 1, 2, 4, 2, 4)
    assert spatial.diagonal_mean(K, 2).shape == (2, 1)
