"""The step-size experiment's fallback Lanczos sharpness against a dense Hessian."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from learnmech.experiments.network.step_size_and_batch import _lanczos_top
from learnmech.nets import mlp


def test_fallback_top_eigenvalue_matches_the_dense_hessian():
    torch.manual_seed(0)
    model = mlp(3, [4], 2, seed=0)
    X, y = torch.randn(20, 3), torch.randint(0, 2, (20,))
    names = [k for k, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]

    def loss(flat):
        params, i = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = int(np.prod(shape))
            params[name] = flat[i:i + size].reshape(shape)
            i += size
        return F.cross_entropy(functional_call(model, params, (X,)), y)

    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    dense = torch.autograd.functional.hessian(loss, flat).double().numpy()
    top = np.linalg.eigvalsh(dense)[-1]
    assert abs(_lanczos_top(model, X, y, iters=30, seed=0) - top) <= 1e-5 * abs(top)
