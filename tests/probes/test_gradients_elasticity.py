"""Per-sample gradients, the gradient Gram, and local elasticity against ground truth."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from learnmech.probes import (
    cluster_accuracy,
    elasticity_by_loop,
    elasticity_matrices,
    gradient_gram,
    kmeans_accuracy,
    per_sample_gradients,
    relation_means,
)

torch.set_num_threads(1)


def _mlp(d=5, width=7, out=3, act=nn.Tanh, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, width), act(), nn.Linear(width, width), act(),
                         nn.Linear(width, out)).to(dtype)


class _Shared(nn.Module):
    """A module the structured Gram cannot take: one Linear applied twice, plus a scale."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.scale = nn.Parameter(torch.tensor([1.5], dtype=torch.float64))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(torch.tanh(self.lin(torch.tanh(self.lin(x)))) * self.scale)


def _data(n=9, d=5, classes=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.arange(n) % classes


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_per_sample_gradients_match_a_loop_of_backward_calls(loss):
    model = _mlp()
    X, y = _data()
    G = per_sample_gradients(model, X, y, loss=loss, chunk=4)
    from learnmech.probes.gradients import per_sample_scalar

    for i in range(len(X)):
        model.zero_grad()
        per_sample_scalar(model(X[i:i + 1]), y[i:i + 1], loss=loss)[0].backward()
        ref = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        assert torch.allclose(G[i], ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("target", ["loss", "output"])
def test_structured_gram_equals_the_vmap_gram(target):
    model = _mlp(out=2, act=nn.ReLU)
    X, y = _data(classes=2)
    fast = gradient_gram(model, X, y, target=target, method="structured")
    slow = gradient_gram(model, X, y, target=target, method="vmap")
    assert torch.allclose(fast, slow, rtol=1e-10, atol=1e-12)


def test_auto_falls_back_to_vmap_for_shared_layers_and_structured_refuses():
    torch.manual_seed(0)
    model = _Shared().double()
    X, y = _data(d=4, classes=2)
    auto = gradient_gram(model, X, y, method="auto")
    G = per_sample_gradients(model, X, y)
    assert torch.allclose(auto, G @ G.T, rtol=1e-12)
    with pytest.raises(ValueError, match="structured"):
        gradient_gram(model, X, y, method="structured")


@pytest.mark.parametrize("target", ["output", "loss"])
def test_s_ker_is_the_eta_to_zero_limit_of_the_actual_sgd_step(target):
    """(change of s_j after one SGD step of size η on i) / (−η c_i) → ∇s_i·∇s_j, error O(η).

    target="output": s = f₁ − f₀ of a two-logit network, so S_ker → the empirical NTK of f."""
    model = _mlp(out=2, act=nn.Tanh)
    X, y = _data(n=6, classes=2)
    limit = elasticity_matrices(model, X, y, target=target)["S_ker"]
    errors = []
    for eta in (1e-2, 1e-3, 1e-4):
        finite = elasticity_by_loop(model, X, y, lr=eta, target=target)["S_ker"]
        errors.append(np.max(np.abs(finite - limit)) / np.max(np.abs(limit)))
    assert errors[-1] < 1e-3
    # first-order convergence: each tenfold smaller η cuts the error about tenfold
    assert 5 < errors[0] / errors[1] < 20 and 5 < errors[1] / errors[2] < 20, errors


def test_s_ker_output_equals_an_explicit_empirical_ntk():
    model = _mlp(out=2, act=nn.ReLU)
    X, y = _data(n=7, classes=2)
    J = []
    for i in range(len(X)):
        model.zero_grad()
        out = model(X[i:i + 1])[0]
        (out[1] - out[0]).backward()
        J.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    J = torch.stack(J)
    S = elasticity_matrices(model, X, y, target="output")
    assert np.allclose(S["S_ker"], (J @ J.T).numpy(), rtol=1e-10)
    assert np.allclose(np.diag(S["S_rel"]), 1.0)


def test_loop_leaves_the_model_unchanged_and_s_rel_matches_the_limit():
    model = _mlp()
    X, y = _data()
    before = [p.detach().clone() for p in model.parameters()]
    finite = elasticity_by_loop(model, X, y, lr=1e-6)
    for p, p0 in zip(model.parameters(), before, strict=True):
        assert torch.equal(p, p0)
    limit = elasticity_matrices(model, X, y)
    assert np.allclose(finite["S_rel"], limit["S_rel"], rtol=1e-3, atol=1e-6)


def test_relation_means_and_clustering_on_a_block_similarity():
    labels = np.repeat([0, 1], 20)
    rng = np.random.default_rng(0)
    S = np.where(labels[:, None] == labels[None, :], 1.0, 0.25) + 0.05 * rng.random((40, 40))
    means = relation_means(S, labels)
    assert 0.95 < means["same"] < 1.1 and 0.2 < means["other"] < 0.35
    assert means["ratio"] == pytest.approx(means["same"] / means["other"])
    assert cluster_accuracy(S, labels) == 1.0
    assert cluster_accuracy(S, labels, method="rows") == 1.0
    # a similarity with no class structure clusters near chance
    noise = rng.random((40, 40))
    assert cluster_accuracy(noise + noise.T, labels) < 0.8


def test_kernel_kmeans_separates_blobs_and_equals_kmeans_under_a_linear_kernel():
    """He & Su cluster S_ker by kernel K-means; with K = X Xᵀ it is K-means on X."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 30)
    X = rng.normal(size=(60, 3)) + 6.0 * labels[:, None]
    assert cluster_accuracy(X @ X.T, labels, method="kernel") == 1.0
    near = rng.normal(size=(60, 3)) + 0.8 * labels[:, None]  # overlapping: below perfect
    assert cluster_accuracy(near @ near.T, labels, method="kernel") == pytest.approx(
        kmeans_accuracy(near, labels), abs=0.05)

def test_kmeans_baselines_find_separated_blobs_and_miss_overlapping_ones():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 50)
    far = rng.standard_normal((100, 10)) + 6.0 * labels[:, None]
    assert kmeans_accuracy(far, labels) == 1.0
    assert kmeans_accuracy(far, labels, pca_components=2) == 1.0
    same = rng.standard_normal((100, 10))
    assert kmeans_accuracy(same, labels) < 0.7


def test_s_ker_output_equals_helper_es_empirical_ntk_on_an_ntk_mlp():
    ntk = pytest.importorskip("learnmech.nets.ntk")
    torch.manual_seed(0)
    model = ntk.NTKMLP(5, 16, 3, output_dim=1, activation="relu").double()
    X, y = _data(n=8, classes=2)
    theta = ntk.empirical_ntk(model, X).detach().numpy()
    S = elasticity_matrices(model, X, y.double(), loss="mse", target="output")
    assert np.allclose(S["S_ker"], theta, rtol=1e-10, atol=1e-12)
    # and the finite step: S_ker(η) → Θ̂ with error O(η)
    finite = elasticity_by_loop(model, X, y.double(), loss="mse", lr=1e-5, target="output")
    assert np.max(np.abs(finite["S_ker"] - theta)) < 1e-3 * np.max(np.abs(theta))
