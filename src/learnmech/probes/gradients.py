"""Per-sample gradients and their Gram matrix, for any ``nn.Module`` (torch.func).

Conventions (stated once; every probe follows them):

* A **per-sample scalar** s_i is the loss of example i (``target="loss"``), the network's scalar
  output f(x_i) (``target="output"``), or the true-class logit f_{y_i}(x_i) of a multi-class
  network (``target="logit"``). (The full logit Jacobian, not a scalar, is the elasticity target
  ``"jacobian"`` of :mod:`learnmech.probes.logit_jacobian`.)
* **Losses** are per example, not averaged: ``"ce"`` = cross-entropy of the logits (n, C) with
  integer labels; ``"mse"`` = ½‖f(x) − t‖², t the target (one-hot when the labels are integers
  and the output has C > 1 columns; the label itself otherwise).
* The **scalar output** of a network with one output column is that column; with two columns
  (a two-class classifier) it is the logit difference f₁ − f₀. A cross-entropy step on a
  two-logit network moves the parameters exactly along ∇(f₁ − f₀), so He & Su's scalar-output
  analysis applies unchanged.
* The **true-class logit** is the label's column of the logits, so a step along +∇s_i raises the
  score of example i's own class. Unlike the loss gradient it does not vanish once the example
  is fitted, which makes it the multi-class target for trained networks.
* Gradients are with respect to every parameter with ``requires_grad``, flattened in
  ``model.named_parameters()`` order into one vector of length P.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from learnmech.probes.checks import ProbeError, check_choice, check_class_labels, check_model_input

__all__ = [
    "LOSSES",
    "TARGETS",
    "check_arguments",
    "gradient_gram",
    "output_gradients",
    "per_sample_gradients",
    "per_sample_scalar",
    "scalar_output",
]

LOSSES = ("ce", "mse")
TARGETS = ("loss", "output", "logit")
_GRAM_METHODS = ("auto", "structured", "vmap")


def scalar_output(out: Tensor) -> Tensor:
    """The scalar output of a network: out[:, 0] for one column, out[:, 1] − out[:, 0] for
    two. ``out`` of shape (n, C), or (n,) for a network with a squeezed scalar output (returned
    as is); returns shape (n,)."""
    if out.ndim == 1:
        return out
    if out.shape[-1] == 1:
        return out[..., 0]
    if out.shape[-1] == 2:
        return out[..., 1] - out[..., 0]
    raise ProbeError(
        f"target='output' needs a network with 1 or 2 output columns (a scalar score); got "
        f"{out.shape[-1]} columns. Use target='logit' (the true-class logit) or target='loss' "
        "for multi-class networks."
    )


def per_sample_scalar(out: Tensor, y: Tensor, *, loss: str = "ce", target: str = "loss") -> Tensor:
    """The per-sample scalar s_i of outputs ``out`` (n, C) and labels ``y`` (n,) → shape (n,).

    See the module docstring for the losses and the scalar output.
    """
    check_choice("loss", loss, LOSSES)
    check_choice("target", target, TARGETS)
    if target == "output":
        return scalar_output(out)
    if target == "logit":
        return (out * _one_hot(y, out)).sum(dim=-1)
    if loss == "ce":
        return nn.functional.cross_entropy(out, y.long(), reduction="none")
    if y.dtype in (torch.int64, torch.int32) and out.shape[-1] > 1:
        t = _one_hot(y, out)
    else:
        t = y.to(out.dtype).reshape(out.shape)
    return 0.5 * ((out - t) ** 2).reshape(out.shape[0], -1).sum(dim=1)


def per_sample_gradients(
    model: nn.Module, X: Tensor, y: Tensor, *, loss: str = "ce", chunk: int = 256,
    target: str = "loss",
) -> Tensor:
    """Gradient of each example's scalar with respect to all parameters, flattened.

    Parameters
    ----------
    model : nn.Module
        Any module mapping a batch (b, ...) to outputs (b, C); it must treat examples
        independently (no batch statistics).
    X : Tensor of shape (n, ...)
    y : Tensor of shape (n,)
        Integer labels (``"ce"``) or targets (``"mse"``); ignored for ``target="output"``.
    loss : {"ce", "mse"}
    chunk : int
        Examples per vmap call (memory: chunk × P floats).
    target : {"loss", "output", "logit"}
        Differentiate the loss of the example, the scalar output or the true-class logit
        (module docstring).

    Returns
    -------
    Tensor of shape (n, P)
        Row i = ∇_θ s_i, in the parameters' dtype, ``named_parameters()`` order.
    """
    from torch.func import functional_call, grad, vmap

    check_arguments(model, X, y, loss=loss, target=target, probe="per_sample_gradients")
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def one(p, x, t):
        out = functional_call(model, (p, buffers), (x.unsqueeze(0),))  # (1, C)
        return per_sample_scalar(out, t.unsqueeze(0), loss=loss, target=target)[0]

    per = vmap(grad(one), in_dims=(None, 0, 0))
    rows = []
    for start in range(0, X.shape[0], max(1, int(chunk))):
        g = per(params, X[start:start + chunk], y[start:start + chunk])
        rows.append(torch.cat([g[k].reshape(g[k].shape[0], -1) for k in params], dim=1))
    return torch.cat(rows, dim=0)


def gradient_gram(
    model: nn.Module, X: Tensor, y: Tensor, *, loss: str = "ce", target: str = "loss",
    method: str = "auto", chunk: int = 256,
) -> Tensor:
    """Gram matrix K_ij = ∇s_i · ∇s_j of per-sample gradients, shape (n, n).

    Methods (``"auto"`` picks ``"structured"`` when the model allows, else ``"vmap"``):

    * ``"structured"``: every trainable parameter belongs to an ``nn.Linear`` applied once per
      forward pass to a 2-D input. The per-sample gradient of a linear layer is an outer
      product δ_i a_iᵀ (plus δ_i for the bias), so ⟨g_i, g_j⟩ = Σ_layers (δ_i·δ_j)(a_i·a_j + 1).
      One forward and one backward pass give every a and δ; cost n² × (fan_in + fan_out) per
      layer instead of n² × parameters (the factorisation behind Novak et al. 2022's fast
      finite-width NTK). The default wherever it applies: same numbers, far cheaper.
    * ``"vmap"``: G Gᵀ with G from :func:`per_sample_gradients` — any module; cost
      n × P memory and n² × P time.
    """
    check_choice("method", method, _GRAM_METHODS)
    check_arguments(model, X, y, loss=loss, target=target, probe="gradient_gram")
    if method in ("auto", "structured"):
        try:
            return _structured_gram(model, X, y, loss=loss, target=target)
        except _NotStructured as exc:
            if method == "structured":
                raise ProbeError(f"method='structured': {exc}; use method='vmap'") from None
    G = per_sample_gradients(model, X, y, loss=loss, chunk=chunk, target=target)
    return G @ G.T


def output_gradients(model, X, y, *, loss: str = "ce"):
    """g_i = ∂L_i/∂f(x_i), the loss's gradient with respect to the logits; shape (n, k).

    ``"ce"``: softmax(f_i) − onehot(y_i); ``"mse"``: f_i − t_i (losses as in
    this module). ‖g_i‖ is how far example i is from fitted: for ``"ce"`` about 1 − p_{y_i}.
    """
    check_choice("loss", loss, LOSSES)
    check_model_input(model, X, probe="output_gradients")
    with torch.no_grad():
        out = model(X)
    with torch.enable_grad():
        out = out.detach().requires_grad_(True)
        total = per_sample_scalar(out, y, loss=loss).sum()
        return torch.autograd.grad(total, out)[0]


def check_arguments(model, X, y, *, loss: str, target: str, probe: str) -> None:
    """The entry checks of a per-sample probe: loss and target names, the model and input
    (:func:`~learnmech.probes.checks.check_model_input`), and labels for ``target="logit"``."""
    check_choice("loss", loss, LOSSES)
    check_choice("target", target, TARGETS)
    check_model_input(model, X, probe=probe)
    if target == "logit":
        with torch.no_grad():
            classes = model(X[:1]).shape[-1]
        check_class_labels(y, classes, probe=probe)


# --------------------------------------------------------------------------- internals


def _one_hot(y: Tensor, out: Tensor) -> Tensor:
    """One-hot rows of the integer labels ``y`` (n,) over the columns of ``out`` (n, C), in the
    outputs' dtype (a comparison, so it runs under vmap)."""
    classes = torch.arange(out.shape[-1], device=out.device)
    return (y.long()[:, None] == classes).to(out.dtype)


class _NotStructured(Exception):
    """The model does not allow the factorised Gram (the message says why)."""


def _structured_layers(model: nn.Module) -> list[nn.Linear]:
    """The Linear layers owning every trainable parameter (else _NotStructured)."""
    owned: set[int] = set()
    layers = []
    for module in model.modules():
        if isinstance(module, nn.Linear):
            layers.append(module)
            owned.update(id(p) for p in module.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not layers or any(id(p) not in owned for p in trainable):
        raise _NotStructured(f"{type(model).__name__} has trainable parameters outside nn.Linear")
    return layers


def _structured_gram(
    model: nn.Module, X: Tensor, y: Tensor, *, loss: str, target: str
) -> Tensor:
    """Σ_layers (Δ Δᵀ) ⊙ (A Aᵀ + 1[bias]) from one forward/backward pass (see gradient_gram)."""
    layers = _structured_layers(model)
    seen: list[tuple[nn.Linear, Tensor, Tensor]] = []

    def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        seen.append((module, inputs[0].detach(), output))

    handles = [layer.register_forward_hook(hook) for layer in layers]
    try:
        with torch.enable_grad():
            out = model(X)
            s = per_sample_scalar(out, y, loss=loss, target=target)  # (n,)
            _check_once(layers, seen)
            live = [(m, a, z) for m, a, z in seen if z.requires_grad]
            deltas = torch.autograd.grad(s.sum(), [z for _, _, z in live], allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    n = X.shape[0]
    K = torch.zeros(n, n, dtype=out.dtype, device=out.device)
    for (module, a, _), delta in zip(live, deltas, strict=True):
        if delta is None:
            continue
        dd = delta @ delta.T  # (n, n): δ_i·δ_j, delta of shape (n, fan_out)
        w_part = a @ a.T if module.weight.requires_grad else torch.zeros_like(dd)
        b_part = 1.0 if (module.bias is not None and module.bias.requires_grad) else 0.0
        K += dd * (w_part + b_part)
    return K


def _check_once(layers: list[nn.Linear], seen: list[tuple[nn.Linear, Tensor, Tensor]]) -> None:
    """Each Linear must run exactly once, on a (n, fan_in) input, for the factorisation."""
    calls = [id(m) for m, _, _ in seen]
    for layer in layers:
        if calls.count(id(layer)) != 1:
            raise _NotStructured(
                f"a Linear layer ran {calls.count(id(layer))} times in one forward pass (the "
                "factorisation needs exactly one call per layer)")
    if any(a.ndim != 2 for _, a, _ in seen):
        raise _NotStructured("a Linear layer got a non-2-D input (weights shared across "
                             "positions)")
