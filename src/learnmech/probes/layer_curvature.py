"""Per-layer curvature: the diagonal Hessian block of each parameter group.

For a parameter group G (a layer's weight and bias, or any selection of module and parameter
names, :mod:`learnmech.probes.parameters`) the block H_GG is the Hessian of the mean loss with
every other parameter held fixed. Its top eigenvalues come from Lanczos on HVPs restricted to G
(:func:`learnmech.probes.curvature.hvp_fn` with ``params``), its trace from Hutchinson on the
same HVPs; ``dense=True`` forms the (P_G, P_G) block with ``torch.func.hessian`` instead (exact;
tiny networks). The blocks' traces add up to tr H; their top eigenvalues bound λ_max(H) from
below (Cauchy interlacing) but need not add up to it.
"""

from __future__ import annotations

import numpy as np

from learnmech.probes.checks import ProbeError
from learnmech.probes.curvature import dense_hessian, hutchinson, hvp_fn, lanczos
from learnmech.probes.parameters import layer_groups

__all__ = ["layer_hessians"]


def layer_hessians(
    model, X, y=None, *, loss: str = "ce", groups=None, k: int = 1, iters: int = 30,
    tol: float = 1e-3, samples: int = 100, seed: int = 0, dense: bool = False,
) -> dict[str, dict]:
    """Top eigenvalues and trace of the Hessian block of each parameter group.

    Parameters
    ----------
    model : nn.Module
    X, y
        One batch, or an iterable of (X, y) batches with ``y`` None (as in
        :func:`~learnmech.probes.curvature.hvp_fn`).
    loss : {"ce", "mse"} or callable
    groups : dict or sequence, optional
        Name -> selector (a module or parameter name, or a list of them); a sequence of
        selectors is keyed by themselves. Default: every module owning trainable parameters
        (:func:`~learnmech.probes.parameters.layer_groups`).
    k, iters, tol, seed
        Lanczos settings (:func:`~learnmech.probes.curvature.lanczos`); k is capped at P_G.
    samples : int
        Hutchinson vectors for the trace (HVP path).
    dense : bool
        Form each block densely and take exact eigenvalues and trace (small networks only).

    Returns
    -------
    dict
        Group name -> ``{"params": P_G, "eigenvalues": ndarray (k,) descending, "trace": float,
        "trace_se": float}`` (``trace_se`` is Hutchinson's standard error; 0 when dense).
    """
    selection = _selection(model, groups)
    out = {}
    for name, selector in selection.items():
        if dense:
            out[name] = _dense_block(model, X, y, loss, selector, k)
            continue
        hvp = hvp_fn(model, loss, X, y, params=selector)

        def matvec(v, hvp=hvp):
            return hvp(v).detach().double().cpu().numpy()

        top = lanczos(matvec, hvp.dim, k=min(k, hvp.dim), iters=iters, tol=tol, seed=seed)
        trace, se = hutchinson(matvec, hvp.dim, samples=samples, seed=seed)
        out[name] = {"params": hvp.dim, "eigenvalues": top.eigenvalues, "trace": trace,
                     "trace_se": se}
    return out


def _selection(model, groups) -> dict:
    """Group name -> selector, from the argument or the model's layers."""
    if groups is None:
        return layer_groups(model)
    if isinstance(groups, dict):
        if not groups:
            raise ProbeError("groups: must name at least one parameter group; got {}")
        return dict(groups)
    if isinstance(groups, str):
        return {groups: groups}
    items = list(groups)
    if not items or not all(isinstance(g, str) for g in items):
        raise ProbeError(f"groups: must be a dict (name -> module or parameter names) or a "
                         f"non-empty sequence of module or parameter names; got {groups!r}")
    return {g: g for g in items}


def _dense_block(model, X, y, loss, selector, k: int) -> dict:
    block = dense_hessian(model, X, y, loss=loss, params=selector)
    H = block.detach().double().cpu().numpy()
    values = np.linalg.eigvalsh(0.5 * (H + H.T))[::-1][:k]
    return {"params": H.shape[0], "eigenvalues": values, "trace": float(np.trace(H)),
            "trace_se": 0.0}
