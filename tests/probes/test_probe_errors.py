"""Probes refuse, before any work and with a message saying what to do: a batch-dependent model
(BatchNorm in train mode or without running statistics, active dropout), an input whose dtype
differs from the parameters', bad labels for the true-class logit, and targets a probe lacks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from learnmech.core.errors import InputError
from learnmech.probes import (
    ProbeError,
    dense_hessian,
    elasticity_by_loop,
    elasticity_matrices,
    gradient_gram,
    hessian_trace,
    hvp_fn,
    layer_hessians,
    output_gradients,
    per_sample_gradients,
    per_sample_jacobians,
    spectral_density,
    top_hessian_eigenvalues,
)

torch.set_num_threads(1)

PROBES = {  # name -> call(model, X, y)
    "per_sample_gradients": lambda m, X, y: per_sample_gradients(m, X, y),
    "gradient_gram": lambda m, X, y: gradient_gram(m, X, y),
    "elasticity_matrices": lambda m, X, y: elasticity_matrices(m, X, y, target="logit"),
    "elasticity_by_loop": lambda m, X, y: elasticity_by_loop(m, X, y, lr=1e-3),
    "output_gradients": lambda m, X, y: output_gradients(m, X, y),
    "per_sample_jacobians": lambda m, X, y: per_sample_jacobians(m, X),
    "hvp_fn": lambda m, X, y: hvp_fn(m, "ce", X, y),
    "top_hessian_eigenvalues": lambda m, X, y: top_hessian_eigenvalues(m, X, y, iters=3),
    "hessian_trace": lambda m, X, y: hessian_trace(m, X, y, samples=2),
    "spectral_density": lambda m, X, y: spectral_density(m, X, y, iters=3, samples=1),
    "dense_hessian": lambda m, X, y: dense_hessian(m, X, y),
    "layer_hessians": lambda m, X, y: layer_hessians(m, X, y, dense=True),
}


def _net(middle: nn.Module | None = None, dtype=torch.float64) -> nn.Module:
    torch.manual_seed(0)
    layers = [nn.Linear(4, 5)] + ([middle] if middle is not None else []) + [nn.Tanh(),
                                                                             nn.Linear(5, 3)]
    return nn.Sequential(*layers).to(dtype)


def _data(n=6, dtype=torch.float64):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 4, generator=g, dtype=dtype), torch.arange(n) % 3


@pytest.mark.parametrize("name", sorted(PROBES))
def test_batchnorm_in_train_mode_is_refused_by_every_probe_and_eval_mode_works(name):
    model = _net(nn.BatchNorm1d(5))
    X, y = _data()
    running = model[1].running_mean.clone()
    with pytest.raises(ProbeError, match=r"BatchNorm1d '1' is in train mode.*model\.eval\(\)"):
        PROBES[name](model, X, y)
    assert torch.equal(model[1].running_mean, running)  # refused before any forward pass
    model.eval()
    PROBES[name](model, X, y)  # the same call runs once the model is in eval mode


def test_batchnorm_without_running_statistics_is_refused_even_in_eval_mode():
    model = _net(nn.BatchNorm1d(5, track_running_stats=False)).eval()
    X, y = _data()
    with pytest.raises(ProbeError, match="track_running_stats=False"):
        per_sample_gradients(model, X, y)


def test_active_dropout_is_refused_and_eval_mode_or_p_zero_works():
    X, y = _data()
    with pytest.raises(ProbeError, match=r"Dropout '1' \(p = 0.5\).*model\.eval\(\)"):
        hvp_fn(_net(nn.Dropout(0.5)), "ce", X, y)
    hvp_fn(_net(nn.Dropout(0.5)).eval(), "ce", X, y)
    hvp_fn(_net(nn.Dropout(0.0)), "ce", X, y)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_a_float64_input_to_a_float32_model_is_refused_by_every_probe(name):
    model = _net(dtype=torch.float32).eval()
    X, y = _data(dtype=torch.float64)
    with pytest.raises(ProbeError) as info:
        PROBES[name](model, X, y)
    message = str(info.value)
    assert message.startswith("X: dtype torch.float64 does not match the model's parameters "
                              "(torch.float32)"), message
    assert "X.to(torch.float32)" in message
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


def test_the_hessian_over_batches_checks_every_batch_dtype():
    model = _net()
    X, y = _data()
    batches = [(X[:3], y[:3]), (X[3:].float(), y[3:])]
    hvp = hvp_fn(model, "ce", batches)
    with pytest.raises(ProbeError, match="dtype torch.float32 does not match"):
        hvp(torch.ones(hvp.dim, dtype=torch.float64))


def test_an_ntk_mlp_in_float32_with_float64_input_is_refused():
    ntk = pytest.importorskip("learnmech.nets.ntk")
    model = ntk.NTKMLP(4, 8, 2, output_dim=1, activation="relu").float()
    X, y = _data(dtype=torch.float64)
    with pytest.raises(ProbeError, match="dtype torch.float64 does not match"):
        elasticity_matrices(model, X, y.double(), loss="mse", target="output")


def test_integer_inputs_are_not_dtype_checked():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(8, 3)).double()
    X = torch.randint(0, 10, (5, 2))
    y = torch.arange(5) % 3
    G = per_sample_gradients(model, X, y)
    assert G.shape == (5, sum(p.numel() for p in model.parameters()))
    assert torch.isfinite(G).all()


def test_a_non_tensor_input_is_refused():
    with pytest.raises(ProbeError, match="takes a torch.Tensor"):
        per_sample_gradients(_net(), np.zeros((3, 4)), torch.zeros(3, dtype=torch.long))


def test_true_class_logit_labels_must_be_integer_classes_of_the_model():
    model = _net()
    X, y = _data()
    with pytest.raises(ProbeError, match=r"must lie in \[0, 3\).*got values in \[1, 3\]"):
        elasticity_matrices(model, X, y + 1, target="logit")
    with pytest.raises(ProbeError, match="integer class labels"):
        elasticity_matrices(model, X, y.double(), target="logit")


def test_targets_a_probe_lacks_are_refused_with_the_alternative():
    model = _net()
    X, y = _data()
    with pytest.raises(ProbeError, match="elasticity_matrices"):
        elasticity_by_loop(model, X, y, lr=1e-3, target="logit")
    with pytest.raises(ProbeError, match="target='logit'"):
        elasticity_matrices(model, X, y, target="output")  # 3 logits: no scalar output
    with pytest.raises(ProbeError, match="target must be one of"):
        elasticity_matrices(model, X, y, target="logits")
    with pytest.raises(ProbeError, match=r"fitted_rtol must be a number in \[0, 1\)"):
        elasticity_matrices(model, X, y, fitted_rtol=1.5)
    with pytest.raises(ProbeError, match="fitted_gtol must be a finite number"):
        elasticity_matrices(model, X, y, fitted_gtol=-1.0)
