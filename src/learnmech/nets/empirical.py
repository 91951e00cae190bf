"""The empirical NTK of any network with vector outputs: full, traced or output-diagonal.

For a model ``f: (n, ...) → (n, k)`` (any output shape ``(n, *O)`` is flattened to
``k = |O|`` outputs; ``(n,)`` is ``k = 1``) at its current parameters ``θ``::

    Θ̂(x, x')[a, b] = Σ_p ∂f_a(x)/∂θ_p ∂f_b(x')/∂θ_p

over every trainable parameter entry ``p``. :func:`empirical_ntk_outputs` returns

* ``form="full"``: ``(n1, n2, k, k)``, the whole output-by-output block;
* ``form="trace"``: ``(n1, n2)``, ``Σ_a Θ̂[a, a]`` (a *sum*, not a mean: divide by ``k`` to
  estimate the per-output infinite-width kernel, which is ``Θ ⊗ I_k`` for a last dense layer);
* ``form="diagonal"``: ``(n1, n2, k)``, ``Θ̂[a, a]`` for every output.

The per-sample Jacobians come from ``torch.func.vmap(jacrev(·))`` over chunks of ``chunk``
inputs (:func:`per_sample_jacobians`); they are contracted parameter tensor by parameter tensor,
so no ``(n, k, P)`` concatenation is formed. Memory: the Jacobians of ``X2`` are kept,
``n2·k·P`` numbers, plus ``chunk·k·P`` for the chunk of ``X1`` being contracted; time
``O((n1 + n2)/chunk)`` vmapped reverse passes plus ``O(n1·n2·k²·P)`` (full) or
``O(n1·n2·k·P)`` (trace, diagonal) multiply-adds.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from learnmech.core.errors import InputError

__all__ = ["FORMS", "empirical_ntk_outputs", "per_sample_jacobians"]

#: What :func:`empirical_ntk_outputs` returns: the full block, its trace, its diagonal.
FORMS = ("full", "trace", "diagonal")

_CONTRACTIONS = {"full": "akp,blp->abkl", "trace": "akp,bkp->ab", "diagonal": "akp,bkp->abk"}


def _check_tensor(name: str, X: object) -> torch.Tensor:
    if not isinstance(X, torch.Tensor) or X.ndim < 1 or X.shape[0] < 1:
        got = f"shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) else type(X).__name__
        raise InputError(f"{name} must be a torch.Tensor of shape (n, ...) with n >= 1, "
                         f"got {got}")
    return X


def _check_chunk(chunk: object) -> int:
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise InputError(f"chunk must be an integer >= 1, got {chunk!r}")
    return chunk


def per_sample_jacobians(
    model: nn.Module, X: torch.Tensor, *, chunk: int = 32
) -> Iterator[list[torch.Tensor]]:
    """Per chunk of ``chunk`` inputs: one ``(c, k, P_i)`` tensor per trainable parameter.

    ``c`` inputs of the chunk, ``k`` outputs per input (the flattened output shape),
    ``P_i`` entries of parameter ``i`` (in ``model.named_parameters()`` order).
    """
    from torch.func import functional_call, jacrev, vmap

    X = _check_tensor("X", X)
    chunk = _check_chunk(chunk)
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    if not names:
        raise InputError("model must have at least one parameter with requires_grad=True, "
                         "got none")
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    buffers = dict(model.named_buffers())

    def f(theta: dict, x: torch.Tensor) -> torch.Tensor:  # one input -> (k,)
        return functional_call(model, (theta, buffers), (x[None],)).reshape(-1)

    per_sample = vmap(jacrev(f), in_dims=(None, 0))
    for i0 in range(0, X.shape[0], chunk):
        grads = per_sample(params, X[i0:i0 + chunk])  # name -> (c, k, *shape)
        yield [grads[n].reshape(grads[n].shape[0], grads[n].shape[1], -1) for n in names]


def empirical_ntk_outputs(
    model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None, *, form: str = "full",
    chunk: int = 32,
) -> torch.Tensor:
    """The empirical NTK of ``model`` between ``X1`` and ``X2`` over its ``k`` outputs.

    Parameters
    ----------
    model : nn.Module
        Any module mapping ``(n, ...)`` to ``(n,)`` or ``(n, *O)``, at its current parameters
        (those with ``requires_grad``).
    X1 : Tensor (n1, ...); X2 : Tensor (n2, ...), optional (default ``X1``)
    form : {"full", "trace", "diagonal"}
        See the module docstring.
    chunk : int
        Inputs per vmapped Jacobian call.

    Returns
    -------
    Tensor (n1, n2, k, k), (n1, n2) or (n1, n2, k) in the parameters' dtype.
    """
    if form not in FORMS:
        raise InputError(f"form must be one of {FORMS}, got {form!r}")
    X1 = _check_tensor("X1", X1)
    same = X2 is None or X2 is X1
    if not same:
        X2 = _check_tensor("X2", X2)
        if X2.shape[1:] != X1.shape[1:]:
            raise InputError(f"X2 must be of shape (n2, {', '.join(map(str, X1.shape[1:]))}) "
                             f"like X1, got shape {tuple(X2.shape)}")
    spec = _CONTRACTIONS[form]
    right = list(per_sample_jacobians(model, X1 if same else X2, chunk=chunk))
    left = right if same else per_sample_jacobians(model, X1, chunk=chunk)
    rows = []
    for block in left:
        cols = [sum(torch.einsum(spec, a, b) for a, b in zip(block, other, strict=True))
                for other in right]
        rows.append(torch.cat(cols, dim=1))
    return torch.cat(rows, dim=0)
