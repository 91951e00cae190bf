"""The full logit Jacobian target of local elasticity (multi-class networks).

For a network with k logits f(x) ∈ R^k, J_i = ∂f(x_i)/∂θ is a (k, P) matrix and the empirical
NTK has a (k, k) block Θ_ij = J_i J_jᵀ per pair of examples. One SGD step of size η on the loss
of example i, w⁺ = w − η J_iᵀ g_i with g_i = ∂L_i/∂f(x_i) ∈ R^k, moves the logits of example j
by Δf_j = −η Θ_ji g_i + O(η²). Two η → 0 matrices follow:

* the **trace kernel** K_ij = tr Θ_ij = Σ_c ∇f_c(x_i)·∇f_c(x_j): the NTK summed over the logits
  (no loss, no labels; what ``target="output"`` is for a one-output network);
* the **logit movement** M_ij = ‖Θ_ji ĝ_i‖, ĝ_i = g_i / ‖g_i‖: how far the logit vector of j
  moves, per unit of ‖g_i‖, under an SGD step on example i. The relative similarity
  S_rel(i, j) = M_ij / M_ii = ‖Δf_j‖ / ‖Δf_i‖ is He & Su's ratio with the scalar output change
  replaced by the norm of the logit change. It needs only the *direction* of g_i, so it stays
  finite when example i is fitted (g_i → 0); only g_i = 0 exactly leaves M_ii = 0.

Cost: per-sample Jacobians hold n × k × P numbers (``chunk`` examples at a time are formed by
``vmap(jacrev)``), k times the memory of per-sample gradients.
"""

from __future__ import annotations

import numpy as np

from learnmech.probes.checks import check_model_input
from learnmech.probes.gradients import check_arguments, output_gradients

__all__ = ["jacobian_elasticity", "per_sample_jacobians"]


def per_sample_jacobians(model, X, *, chunk: int = 64):
    """J_i = ∂f(x_i)/∂θ of every example, flattened in ``named_parameters()`` order.

    Parameters
    ----------
    model : nn.Module
        Maps (n, ...) to logits (n, k), examples treated independently.
    X : Tensor of shape (n, ...)
    chunk : int
        Examples per vmap call (memory: chunk × k × P numbers).

    Returns
    -------
    Tensor of shape (n, k, P)
        In the parameters' dtype.
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    check_model_input(model, X, probe="per_sample_jacobians")
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def logits(p, x):
        return functional_call(model, (p, buffers), (x.unsqueeze(0),))[0]  # (k,)

    per = vmap(jacrev(logits), in_dims=(None, 0))
    rows = []
    for start in range(0, X.shape[0], max(1, int(chunk))):
        jac = per(params, X[start:start + chunk])  # name -> (b, k, *shape)
        rows.append(torch.cat([jac[k].reshape(*jac[k].shape[:2], -1) for k in params], dim=2))
    return torch.cat(rows, dim=0)


def jacobian_elasticity(model, X, y, *, loss: str = "ce", chunk: int = 64):
    """The trace kernel and the logit movement of every pair (module docstring).

    Parameters
    ----------
    model : nn.Module
    X : Tensor of shape (n, ...)
    y : Tensor of shape (n,)
        Labels (``"ce"``) or targets (``"mse"``) of the SGD step's loss.
    loss : {"ce", "mse"}
    chunk : int
        Examples per Jacobian chunk (:func:`per_sample_jacobians`).

    Returns
    -------
    (trace, movement) : ndarrays of shape (n, n), float64
        trace[i, j] = tr Θ_ij; movement[i, j] = ‖Θ_ji ĝ_i‖ (row = the example stepped on,
        column = the example evaluated; a row is 0 where g_i = 0).
    """
    import torch

    check_arguments(model, X, y, loss=loss, target="loss", probe="jacobian_elasticity")
    J = per_sample_jacobians(model, X, chunk=chunk)  # (n, k, P)
    g = output_gradients(model, X, y, loss=loss).to(J.dtype)  # (n, k)
    norms = torch.linalg.vector_norm(g, dim=1, keepdim=True)
    unit = torch.where(norms > 0, g / torch.where(norms > 0, norms, 1), 0)  # ĝ_i, 0 if g_i = 0
    step = torch.einsum("ikp,ik->ip", J, unit)  # J_iᵀ ĝ_i: the step's direction, (n, P)
    moved = torch.einsum("jkp,ip->ijk", J, step)  # Θ_ji ĝ_i, (n_i, n_j, k)
    movement = torch.linalg.vector_norm(moved, dim=2)
    trace = torch.einsum("ikp,jkp->ij", J, J)
    return _numpy(trace), _numpy(movement)


def _numpy(t) -> np.ndarray:
    return t.detach().double().cpu().numpy()
