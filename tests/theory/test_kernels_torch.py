"""The torch backend and the fused numpy kernel of fc_kernel against the reference recursion."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from learnmech.theory import kernels as km
from learnmech.theory.kernels.recursion import layered_kernel

torch = pytest.importorskip("torch")

CLOSED = ("relu", "erf", "linear")
SETTINGS = ((2.0, 0.0), (1.5, 0.1))


def _inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(41, 6)) * rng.uniform(0.2, 3.0, size=(41, 1))  # any norm
    return X, 0.3 * rng.normal(size=(17, 6))


def _reference(X, Y, *, name, depth, w2, b2, kind):
    """The layer-by-layer numpy recursion (the path quadrature activations take)."""
    same = Y is None
    return layered_kernel(X, X if same else Y, same, name=name, phi=None, dphi=None,
                          depth=depth, w2=w2, b2=b2, kind=kind, block_rows=2048)


def _scaled_error(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("name", CLOSED)
@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_backends_agree(name: str, kind: str) -> None:
    """fused numpy, pure torch and fused torch equal the reference to 1e-12 (float64)."""
    X, Y = _inputs()
    for depth in (1, 2, 6):
        for w2, b2 in SETTINGS:
            for B in (None, Y):
                kw = {"depth": depth, "activation": name, "kind": kind, "sigma_w2": w2,
                      "sigma_b2": b2}
                ref = _reference(X, B, name=name, depth=depth, w2=w2, b2=b2, kind=kind)
                fused = km.fc_kernel(X, B, block_rows=7, **kw)
                assert _scaled_error(fused, ref) < 1e-12
                for cpu_fused in (False, True):
                    from learnmech.theory.kernels.torch_backend import fc_kernel_torch

                    K = fc_kernel_torch(X, B, block_rows=5, cpu_fused=cpu_fused, **kw,
                                        device="cpu")
                    assert isinstance(K, torch.Tensor) and K.dtype == torch.float64
                    assert _scaled_error(K.numpy(), ref) < 1e-12
                    if B is None:
                        assert torch.equal(K, K.T)


def test_torch_through_fc_kernel() -> None:
    X, Y = _inputs()
    Xt = torch.as_tensor(X)
    K = km.fc_kernel(Xt, depth=4, backend="torch")
    assert isinstance(K, torch.Tensor) and K.shape == (41, 41)
    np.testing.assert_allclose(K.numpy(), km.fc_kernel(X, depth=4), rtol=1e-12)
    K2 = km.fc_kernel(X, Y, depth=4, backend="torch", device="cpu", dtype="float32")
    assert K2.dtype == torch.float32
    np.testing.assert_allclose(K2.numpy(), km.fc_kernel(X, Y, depth=4), rtol=2e-5)


def test_same_object_is_symmetric_path() -> None:
    X, _ = _inputs()
    np.testing.assert_array_equal(km.fc_kernel(X, X, depth=3), km.fc_kernel(X, depth=3))


def test_default_blocks_bound_memory() -> None:
    from learnmech.theory.kernels.torch_backend import (
        N_TEMPORARIES,
        WORK_BYTES,
        default_block_rows,
    )

    for n2 in (10, 10_000, 50_000):
        for dev in ("cuda", "cpu"):
            rows = default_block_rows(n2, torch.device(dev), torch.float64)
            assert rows >= 1
            assert rows == 1 or rows * n2 * 8 * N_TEMPORARIES <= WORK_BYTES
    # n = 50,000 float64 on a 24 GiB card: result + blocks
    rows = default_block_rows(50_000, torch.device("cuda"), torch.float64)
    assert 50_000**2 * 8 + rows * 50_000 * 8 * N_TEMPORARIES < 24 * 2**30


def test_fast_arc_functions() -> None:
    from learnmech.theory.kernels.fused import acos_array, asin_array

    x = np.concatenate([np.linspace(-1, 1, 20001), np.random.default_rng(1).uniform(-1, 1, 10**5),
                        [0.5, -0.5, np.nextafter(0.5, 1), 1 - 1e-16, -1 + 1e-16, 0.0]])
    assert np.max(np.abs(acos_array(x) - np.arccos(x))) <= 4.5e-16
    assert np.max(np.abs(asin_array(x) - np.arcsin(x))) <= 4.5e-16


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "jax"}, "backend"),
        ({"backend": "torch", "activation": (np.tanh, np.cosh)}, "callable pair"),
        ({"device": "cuda"}, "backend='torch'"),
        ({"dtype": "float32"}, "float64"),
        ({"backend": "torch", "dtype": "int32"}, "dtype"),
    ],
)
def test_backend_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        km.fc_kernel(np.ones((3, 2)), depth=2, **kwargs)


def test_torch_input_validation() -> None:
    with pytest.raises(ValueError, match="X1"):
        km.fc_kernel(torch.ones(3), depth=2, backend="torch")
    with pytest.raises(ValueError, match="finite"):
        km.fc_kernel(torch.tensor([[float("nan"), 1.0]]), depth=2, backend="torch")
    with pytest.raises(ValueError, match="same number of columns"):
        km.fc_kernel(torch.ones(3, 2), torch.ones(3, 4), depth=2, backend="torch")


def test_theory_does_not_import_torch() -> None:
    code = ("import sys, numpy as np; from learnmech.theory import fc_kernel; "
            "fc_kernel(np.ones((4, 3)), depth=3); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def _compiled(X, Y, device="cpu", **kw):
    from learnmech.theory.kernels.torch_backend import fc_kernel_torch

    return fc_kernel_torch(torch.as_tensor(X), None if Y is None else torch.as_tensor(Y),
                           depth=5, activation="relu", sigma_w2=1.5, sigma_b2=0.1, kind="ntk",
                           cpu_fused=False, compile_kernel=True, block_rows=16, device=device,
                           **kw)


def test_compiled_kernel_matches_the_reference() -> None:
    """torch.compile's fused block kernel (blocks of shrinking width: dynamic shapes)."""
    X, Y = _inputs()
    for B in (None, Y):
        ref = _reference(X, B, name="relu", depth=5, w2=1.5, b2=0.1, kind="ntk")
        assert _scaled_error(_compiled(X, B).numpy(), ref) < 1e-12


def test_compiled_kernel_falls_back_to_eager_with_a_warning(monkeypatch) -> None:
    from learnmech.theory.kernels import torch_backend as kt

    def broken(*args, **kwargs):
        raise RuntimeError("no backend here")

    monkeypatch.setattr(kt, "_COMPILED", {"fn": broken})
    X, _ = _inputs()
    with pytest.warns(RuntimeWarning, match="no backend here"):
        K = _compiled(X, None)
    ref = _reference(X, None, name="relu", depth=5, w2=1.5, b2=0.1, kind="ntk")
    assert _scaled_error(K.numpy(), ref) < 1e-12


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:  # pragma: no cover - no GPU in CI
    X, Y = _inputs()
    for B in (None, Y):
        K = km.fc_kernel(X, B, depth=5, backend="torch", device="cuda")
        assert K.device.type == "cuda"
        assert _scaled_error(K.cpu().numpy(), km.fc_kernel(X, B, depth=5)) < 1e-12
        ref = _reference(X, B, name="relu", depth=5, w2=1.5, b2=0.1, kind="ntk")
        assert _scaled_error(_compiled(X, B, device="cuda").cpu().numpy(), ref) < 1e-12
