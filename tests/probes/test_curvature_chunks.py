"""Curvature over data in chunks, and per-layer Hessian blocks, against the one-batch Hessian.

Float64 throughout: a chunked HVP is Σ_b (n_b / N) H_b v, which must equal the HVP of the whole
batch to rounding (1e-10); a parameter group's Hessian is the diagonal block of the full one.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learnmech.probes import (
    ProbeError,
    dense_hessian,
    hessian_trace,
    hvp_fn,
    layer_hessians,
    spectral_density,
    top_hessian_eigenvalues,
)

torch.set_num_threads(1)


def _problem(seed=0, n=20):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    X = torch.randn(n, 4, dtype=torch.float64)
    y = torch.arange(n) % 3
    return model, X, y


def _chunks(X, y, sizes=(7, 7, 6)):
    """Uneven chunks, so that an unweighted mean of chunk HVPs would be wrong."""
    bounds = np.cumsum((0,) + sizes)
    return [(X[a:b], y[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _loader(X, y, batch_size=7):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False)


def _close(a, b, rtol=1e-10):
    a, b = np.asarray(a), np.asarray(b)
    return np.max(np.abs(a - b)) <= rtol * np.max(np.abs(b))


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_chunked_hvp_equals_the_one_batch_hvp(loss):
    model, X, y = _problem()
    whole = hvp_fn(model, loss, X, y)
    v = torch.randn(whole.dim, dtype=torch.float64)
    ref = whole(v)
    for data in (_chunks(X, y), _chunks(X, y, (1, 19)), _loader(X, y)):
        chunked = hvp_fn(model, loss, data)
        assert chunked.dim == whole.dim
        assert _close(chunked(v), ref)
    # the size weighting matters: the plain mean of the (7, 7, 6) chunk HVPs is off
    parts = [hvp_fn(model, loss, Xb, yb)(v) for Xb, yb in _chunks(X, y, (2, 18))]
    assert not _close(sum(parts) / 2, ref, rtol=1e-3)


def test_a_callable_mean_loss_combines_over_chunks_too():
    model, X, y = _problem()

    def mean_ce(out, labels):
        return nn.functional.cross_entropy(out, labels)

    v = torch.randn(hvp_fn(model, "ce", X, y).dim, dtype=torch.float64)
    assert _close(hvp_fn(model, mean_ce, _loader(X, y, 6))(v), hvp_fn(model, "ce", X, y)(v))


def test_chunked_dense_hessian_equals_the_one_batch_hessian():
    model, X, y = _problem()
    H = dense_hessian(model, X, y)
    assert _close(dense_hessian(model, _chunks(X, y)), H)
    assert _close(dense_hessian(model, _loader(X, y, 3)), H)


def test_eigenvalues_trace_and_density_over_a_loader_equal_the_one_batch_values():
    model, X, y = _problem()
    loader = _loader(X, y)
    top = top_hessian_eigenvalues(model, X, y, k=3, iters=40, tol=1e-10)
    assert _close(top_hessian_eigenvalues(model, loader, k=3, iters=40, tol=1e-10), top)
    exact = np.sort(np.linalg.eigvalsh(dense_hessian(model, X, y).numpy()))[::-1][:3]
    assert np.max(np.abs(top - exact) / np.abs(exact)) < 1e-6
    trace = hessian_trace(model, X, y, samples=20, seed=2)
    assert _close(hessian_trace(model, loader, samples=20, seed=2), trace)
    grid, density = spectral_density(model, X, y, iters=15, samples=2)
    grid_c, density_c = spectral_density(model, loader, iters=15, samples=2)
    assert _close(grid_c, grid, rtol=1e-8) and _close(density_c, density, rtol=1e-6)


def test_a_single_batch_gives_the_very_bits_of_the_unchunked_hvp():
    model, X, y = _problem()
    v = torch.randn(hvp_fn(model, "ce", X, y).dim, dtype=torch.float64)
    assert torch.equal(hvp_fn(model, "ce", [(X, y)])(v), hvp_fn(model, "ce", X, y)(v))


def test_data_the_hvp_cannot_reread_is_refused():
    model, X, y = _problem()
    with pytest.raises(ProbeError, match="one-shot iterator"):
        hvp_fn(model, "ce", ((X[i:i + 5], y[i:i + 5]) for i in range(0, 20, 5)))
    with pytest.raises(ProbeError, match="needs the labels of X"):
        hvp_fn(model, "ce", X)
    with pytest.raises(ProbeError, match="empty iterable"):
        hvp_fn(model, "ce", [])
    with pytest.raises(ProbeError, match=r"\(X_b, y_b\) pair"):
        hvp_fn(model, "ce", [X])


# --------------------------------------------------------------------------- per-layer blocks


def _blocks(model):
    """Index ranges of each parameter in the flat vector (named_parameters order)."""
    out, start = {}, 0
    for name, p in model.named_parameters():
        out[name] = np.arange(start, start + p.numel())
        start += p.numel()
    return out


def test_a_parameter_groups_hessian_is_the_diagonal_block_of_the_full_hessian():
    model, X, y = _problem()
    H = dense_hessian(model, X, y).numpy()
    at = _blocks(model)
    for selector, names in (("0", ["0.weight", "0.bias"]), ("2.weight", ["2.weight"]),
                            (["2.bias", "0.bias"], ["0.bias", "2.bias"])):
        index = np.concatenate([at[n] for n in names])
        block = H[np.ix_(index, index)]
        assert _close(dense_hessian(model, X, y, params=selector).numpy(), block)
        hvp = hvp_fn(model, "ce", X, y, params=selector)
        v = torch.randn(hvp.dim, dtype=torch.float64)
        assert hvp.dim == len(index) and _close(hvp(v).numpy(), block @ v.numpy())


def test_layer_hessians_match_the_dense_blocks_and_their_traces_add_up():
    model, X, y = _problem()
    H = dense_hessian(model, X, y).numpy()
    at = _blocks(model)
    dense = layer_hessians(model, X, y, k=2, dense=True)
    lanczos = layer_hessians(model, _chunks(X, y), k=2, iters=60, tol=1e-10, samples=200)
    assert list(dense) == list(lanczos) == ["0", "2"]
    for layer, block in dense.items():
        index = np.concatenate([at[f"{layer}.weight"], at[f"{layer}.bias"]])
        exact = np.sort(np.linalg.eigvalsh(H[np.ix_(index, index)]))[::-1][:2]
        assert block["params"] == len(index) and _close(block["eigenvalues"], exact, 1e-8)
        assert lanczos[layer]["params"] == len(index)
        assert np.max(np.abs(lanczos[layer]["eigenvalues"] - exact) / np.abs(exact)) < 1e-6
        # Hutchinson on the block's HVPs: within 4 standard errors of the exact block trace
        assert abs(lanczos[layer]["trace"] - block["trace"]) < 4 * lanczos[layer]["trace_se"]
    assert sum(b["trace"] for b in dense.values()) == pytest.approx(np.trace(H), rel=1e-10)


def test_an_unknown_parameter_group_is_refused_with_the_names_accepted():
    model, X, y = _problem()
    with pytest.raises(ProbeError, match=r"'3' names no trainable parameter.*\['0', '2'\]"):
        hvp_fn(model, "ce", X, y, params="3")
    with pytest.raises(ProbeError, match="groups: must be"):
        layer_hessians(model, X, y, groups=[])
