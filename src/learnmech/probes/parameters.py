"""The flat parameter vector of a model, or of one named group of its parameters.

Probes differentiate with respect to the trainable parameters (``requires_grad``) flattened in
``model.named_parameters()`` order into one vector θ of length P (the convention of
:mod:`learnmech.probes.gradients`). A **parameter group** restricts θ to some of them: a selector
is a module name (``"0"``, ``"encoder.layer1"``: every trainable parameter under that module) or
a parameter name (``"0.weight"``); the group keeps ``named_parameters()`` order whatever the
order of the selectors. Every other parameter is held fixed at its current value, so the Hessian
of the group is the diagonal block H_GG of the full Hessian.
"""

from __future__ import annotations

import numpy as np

from learnmech.probes.checks import ProbeError

__all__ = ["flat_parameters", "layer_groups", "parameter_group", "unflatten"]


def parameter_group(model, params=None) -> list[str]:
    """Names of the trainable parameters a selection picks, in ``named_parameters()`` order.

    Parameters
    ----------
    model : nn.Module
    params : str, sequence of str, or None
        None: every trainable parameter. A str or each str of a sequence: a module name (all
        trainable parameters under it) or a parameter name.

    Returns
    -------
    list of str
        Never empty (an empty selection is refused).
    """
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    if not trainable:
        raise ProbeError("model: has no trainable parameters (requires_grad); nothing to probe")
    if params is None:
        return trainable
    selectors = [params] if isinstance(params, str) else list(params)
    if not selectors or not all(isinstance(s, str) for s in selectors):
        raise ProbeError(f"params: must be a module or parameter name, or a non-empty sequence "
                         f"of them; got {params!r}")
    chosen = set()
    for selector in selectors:
        hits = [name for name in trainable if _under(name, selector)]
        if not hits:
            raise ProbeError(
                f"params: {selector!r} names no trainable parameter of the model; accepted: "
                f"module names {_preview(layer_groups(model))} or parameter names "
                f"{_preview(trainable)}")
        chosen.update(hits)
    return [name for name in trainable if name in chosen]


def layer_groups(model) -> dict[str, list[str]]:
    """The default per-layer groups: each module that owns trainable parameters directly.

    Returns
    -------
    dict
        Module name -> its own trainable parameter names (``named_parameters()`` order); a
        parameter owned by the root module is a group of its own, keyed by its name.
    """
    groups: dict[str, list[str]] = {}
    for prefix, module in model.named_modules():
        for local, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            full = f"{prefix}.{local}" if prefix else local
            groups.setdefault(prefix or full, []).append(full)
    return groups


def flat_parameters(model, names):
    """θ of the named parameters: (flat detached vector (P,), shapes, the other parameters).

    The third item maps every parameter not in ``names`` to its detached value, so
    ``functional_call(model, (unflatten(θ, names, shapes), others, buffers), ...)`` evaluates
    the model with only the group free.
    """
    import torch

    named = dict(model.named_parameters())
    shapes = [named[name].shape for name in names]
    theta = torch.cat([named[name].detach().reshape(-1) for name in names])
    keep = set(names)
    others = {k: v.detach() for k, v in named.items() if k not in keep}
    return theta, shapes, others


def unflatten(flat, names, shapes) -> dict:
    """The parameter dict of a flat vector (views, differentiable)."""
    out, start = {}, 0
    for name, shape in zip(names, shapes, strict=True):
        size = int(np.prod(shape)) if len(shape) else 1
        out[name] = flat[start:start + size].reshape(shape)
        start += size
    return out


# --------------------------------------------------------------------------- internals


def _under(name: str, selector: str) -> bool:
    """Whether parameter ``name`` is ``selector`` or lies under the module ``selector``."""
    return name == selector or name.startswith(selector + ".")


def _preview(names, limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(map(repr, names[:limit]))
    return f"[{shown}{', …' if len(names) > limit else ''}]"
