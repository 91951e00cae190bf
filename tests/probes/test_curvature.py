"""Lanczos, Hutchinson and SLQ against the dense Hessian of a small network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from learnmech.probes import (
    dense_hessian,
    hessian_trace,
    hvp_fn,
    lanczos,
    slq_density,
    spectral_density,
    top_hessian_eigenvalues,
)

torch.set_num_threads(1)


def _problem(loss="ce", seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    X = torch.randn(20, 4, dtype=torch.float64)
    y = torch.arange(20) % 3
    return model, X, y


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_hvp_is_the_dense_hessian_times_v(loss):
    model, X, y = _problem()
    H = dense_hessian(model, X, y, loss=loss)
    hvp = hvp_fn(model, loss, X, y)
    dim = hvp.dim
    v = torch.randn(dim, dtype=torch.float64)
    assert H.shape == (dim, dim) and torch.allclose(H, H.T, atol=1e-12)
    assert torch.allclose(hvp(v), H @ v, rtol=1e-10, atol=1e-12)


def test_lanczos_top_eigenvalues_match_the_dense_hessian_to_1e_6():
    model, X, y = _problem()
    H = dense_hessian(model, X, y, loss="ce").numpy()
    exact = np.sort(np.linalg.eigvalsh(H))[::-1][:3]
    found = top_hessian_eigenvalues(model, X, y, loss="ce", k=3, iters=H.shape[0], tol=1e-10)
    assert found.shape == (3,)
    assert np.max(np.abs(found - exact) / np.abs(exact)) < 1e-6


def test_lanczos_with_reorthogonalisation_has_no_ghost_eigenvalues():
    # a diagonal operator with a well-separated top: after many steps the second Ritz value
    # must be the true second eigenvalue, not a ghost copy of the first
    lam = np.concatenate([[10.0, 9.0], np.linspace(0, 1, 198)])
    res = lanczos(lambda v: lam * v, len(lam), k=2, iters=120, tol=0.0)
    assert np.allclose(res.eigenvalues, [10.0, 9.0], rtol=1e-10)
    assert res.matvecs == 120 and not res.converged


def test_lanczos_stops_on_the_residual_tolerance():
    lam = np.concatenate([[5.0], np.linspace(-1, 1, 499)])
    res = lanczos(lambda v: lam * v, len(lam), k=1, iters=100, tol=1e-8)
    assert res.converged and res.matvecs < 100
    assert abs(res.eigenvalues[0] - 5.0) <= 1e-8 * 5.0


def test_hutchinson_trace_is_unbiased_within_its_error():
    model, X, y = _problem()
    H = dense_hessian(model, X, y, loss="ce").numpy()
    est = hessian_trace(model, X, y, loss="ce", samples=100, seed=3)
    from learnmech.probes import hutchinson

    mean, err = hutchinson(lambda v: H @ v, H.shape[0], samples=100, seed=3)
    assert est == pytest.approx(mean, rel=1e-8)  # same vectors, HVP = dense product
    assert abs(est - np.trace(H)) < 4 * err


def test_slq_density_matches_the_smoothed_exact_spectrum():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((60, 60)))
    lam = np.concatenate([rng.uniform(0, 1, 50), rng.uniform(4, 5, 10)])
    A = (Q * lam) @ Q.T
    grid, density = slq_density(lambda v: A @ v, 60, iters=60, samples=30, seed=1, width=0.2)
    exact = np.exp(-0.5 * ((grid[:, None] - lam) / 0.2) ** 2).sum(axis=1) / (
        60 * 0.2 * np.sqrt(2 * np.pi))
    step = grid[1] - grid[0]
    assert abs(density.sum() * step - 1.0) < 1e-3
    assert np.abs(density - exact).sum() * step < 0.15  # L1 distance of two densities (max 2)
    mean = (grid * density).sum() * step
    assert abs(mean - lam.mean()) < 0.15


def test_spectral_density_on_a_model_runs_and_integrates_to_one():
    model, X, y = _problem()
    grid, density = spectral_density(model, X, y, loss="ce", iters=20, samples=2)
    assert grid.shape == density.shape and np.all(density >= 0)
    assert abs(density.sum() * (grid[1] - grid[0]) - 1.0) < 1e-3
