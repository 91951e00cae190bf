"""Neural collapse on a constructed simplex ETF, and the rank / margin measures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from learnmech.probes import (
    effective_rank,
    margins,
    neural_collapse,
    participation_ratio,
    stable_rank,
    weight_norms,
)


def _etf(C=4, p=6, scale=3.0, seed=0):
    """C centred means forming a simplex ETF in R^p (random rotation)."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((p, C)))  # (p, C) orthonormal columns
    M = scale * np.sqrt(C / (C - 1)) * (np.eye(C) - 1.0 / C) @ U.T  # (C, p)
    return M


def test_collapse_metrics_vanish_on_a_simplex_etf():
    C = 4
    M = _etf(C)
    offset = np.full(M.shape[1], 0.7)
    labels = np.repeat(np.arange(C), 5)
    features = M[labels] + offset  # every example at its class mean: Σ_W = 0
    out = neural_collapse(features, labels, W=2.0 * M, b=-2.0 * M @ offset)
    for key in ("nc1", "nc2", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc3", "nc4"):
        assert abs(out[key]) < 1e-10, (key, out[key])


def test_collapse_metrics_see_spread_and_distortion():
    C = 4
    M = _etf(C)
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(C), 50)
    features = M[labels] + 0.5 * rng.standard_normal((200, M.shape[1]))
    distorted = M * np.array([1.0, 1.0, 1.0, 2.0])[:, None]
    out = neural_collapse(features, labels, W=distorted)
    assert out["nc1"] > 0.01 and out["nc3"] > 0.01
    skew = neural_collapse(distorted[labels], labels, W=distorted)
    assert skew["nc1"] < 1e-10 and skew["nc2"] > 0.05 and skew["nc2_equinorm"] > 0.05


def test_ranks_and_participation_ratio_on_known_spectra():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    V, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    s = np.array([3.0, 3.0, 3.0, 0.0, 0.0])
    M = U[:, :5] @ np.diag(s) @ V.T
    assert stable_rank(M) == pytest.approx(3.0)
    assert effective_rank(M) == pytest.approx(3.0)
    assert effective_rank(np.outer([1.0, 2.0], [3.0, 1.0])) == pytest.approx(1.0)
    s2 = np.array([2.0, 1.0, 0.0, 0.0, 0.0])
    assert stable_rank(U[:, :5] @ np.diag(s2) @ V.T) == pytest.approx(5.0 / 4.0)
    # features spread equally along 3 orthogonal directions -> participation ratio 3
    F = np.concatenate([np.eye(3), -np.eye(3)]) @ U[:3]
    assert participation_ratio(F) == pytest.approx(3.0)


def test_margins_and_weight_norms():
    logits = np.array([[2.0, 1.0, -1.0], [0.0, 3.0, 1.0]])
    assert np.allclose(margins(logits, np.array([0, 0])), [1.0, -3.0])
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    norms = weight_norms(model)
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    assert norms["total"] == pytest.approx(float(flat.norm()), rel=1e-6)
    assert norms["0.weight.spectral"] == pytest.approx(
        float(torch.linalg.matrix_norm(model[0].weight.detach(), 2)), rel=1e-6)
