"""Finite-width networks in the convention of :mod:`learnmech.theory`, and their kernels.

:class:`NTKMLP` is the network whose infinite-width NNGP and NTK are
:func:`learnmech.theory.fc_kernel` — same parameterisation, same depth count, same first-layer
scaling (see the :mod:`learnmech.theory` docstring):

* NTK parameterisation (default): ``z¹ = (σ_w/√d) W¹ x + σ_b b¹``,
  ``z^{l+1} = (σ_w/√N) W^{l+1} φ(z^l) + σ_b b^{l+1}`` with every ``W``, ``b`` ~ N(0, 1);
* standard parameterisation: ``z^{l+1} = W^{l+1} φ(z^l) + b^{l+1}`` with
  ``W ~ N(0, σ_w²/N_l)``, ``b ~ N(0, σ_b²)`` (same function at initialisation, same NNGP;
  gradients differ);
* depth ``L`` = ``L`` dense layers (``L − 1`` nonlinearities); the output is ``f = z^L``.

:func:`empirical_ntk` contracts per-sample parameter Jacobians (``torch.func``):
``Θ̂(x, x') = Σ_p ∂f(x)/∂θ_p ∂f(x')/∂θ_p``. :func:`empirical_nngp` is the one-network estimate
``σ_w² φ(z^{L−1}(x))·φ(z^{L−1}(x'))/N + σ_b²`` of ``Σ^L`` (for ``L = 1``: ``σ_w² x·x'/d + σ_b²``).
Both tend to the theory kernels as the width grows, with fluctuations ∝ 1/√width
(``tests/nets/test_ntk.py``). For several outputs see
:func:`learnmech.nets.empirical.empirical_ntk_outputs` (full, traced or output-diagonal).

Inputs are checked before any work: a tensor of shape ``(n, input_dim)`` in the parameters'
dtype, else :class:`~learnmech.core.errors.InputError` (no silent casts, no torch error deep
inside a matmul).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from learnmech.core.errors import InputError
from learnmech.nets.empirical import per_sample_jacobians

__all__ = ["NTKMLP", "ACTIVATIONS", "empirical_ntk", "empirical_nngp", "jacobian"]


def _gelu(x: torch.Tensor) -> torch.Tensor:
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


#: Activations, named as in :data:`learnmech.theory.ACTIVATIONS`.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "erf": torch.erf,
    "linear": _identity,
    "tanh": torch.tanh,
    "gelu": _gelu,
    "softplus": nn.functional.softplus,
    "sigmoid": torch.sigmoid,
}
_PARAMETERIZATIONS = ("ntk", "standard")


class NTKMLP(nn.Module):
    """Fully connected network ``input_dim → width × (depth − 1) → output_dim``.

    Parameters
    ----------
    input_dim : int
        Input dimension ``d >= 1``.
    width : int
        Hidden width ``N >= 1`` (unused when ``depth == 1``).
    depth : int
        Number of dense layers ``L >= 1``.
    output_dim : int
        Output units; with 1 (default) :meth:`forward` returns shape ``(n,)``.
    activation : str
        One of :data:`ACTIVATIONS`.
    sigma_w2, sigma_b2 : float
        Weight (``> 0``) and bias (``>= 0``) variances.
    parameterization : {"ntk", "standard"}
        Where ``σ_w/√N`` sits: in the forward pass (NTK) or in the initial weights (standard).
    seed : int, optional
        Draw the initial parameters from ``torch.Generator().manual_seed(seed)``; ``None`` uses
        the global torch RNG.
    dtype : torch.dtype, optional
        Parameter dtype (default: torch's default dtype).

    Attributes
    ----------
    weights : ParameterList of (fan_out, fan_in) tensors; biases : ParameterList of (fan_out,)
    """

    def __init__(
        self, input_dim: int, width: int, depth: int, output_dim: int = 1, *,
        activation: str = "relu", sigma_w2: float = 1.0, sigma_b2: float = 1.0,
        parameterization: str = "ntk", seed: int | None = None, dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value, low in (("input_dim", input_dim, 1), ("width", width, 1),
                                 ("depth", depth, 1), ("output_dim", output_dim, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"{name} must be an integer >= {low}, got {value!r}")
        if activation not in ACTIVATIONS:
            raise InputError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        if not (math.isfinite(sigma_w2) and sigma_w2 > 0):
            raise InputError(f"sigma_w2 must be a finite number > 0, got {sigma_w2!r}")
        if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
            raise InputError(f"sigma_b2 must be a finite number >= 0, got {sigma_b2!r}")
        if parameterization not in _PARAMETERIZATIONS:
            raise InputError(
                f"parameterization must be one of {_PARAMETERIZATIONS}, got {parameterization!r}"
            )
        self.input_dim, self.width, self.depth, self.output_dim = (
            input_dim, width, depth, output_dim)
        self.activation = activation
        self.sigma_w2, self.sigma_b2 = float(sigma_w2), float(sigma_b2)
        self.parameterization = parameterization
        self.phi = ACTIVATIONS[activation]
        self.fan_in = [input_dim] + [width] * (depth - 1)
        fan_out = [width] * (depth - 1) + [output_dim]
        generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        init_w, init_b = self._init_scales()
        dt = dtype or torch.get_default_dtype()
        self.weights = nn.ParameterList(
            nn.Parameter(torch.randn(o, i, generator=generator, dtype=dt) * init_w(i))
            for i, o in zip(self.fan_in, fan_out, strict=True))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.randn(o, generator=generator, dtype=dt) * init_b)
            for o in fan_out)

    def _init_scales(self) -> tuple[Callable[[int], float], float]:
        """(fan_in ↦ weight std, bias std) at initialisation."""
        if self.parameterization == "ntk":
            return (lambda _fan_in: 1.0), 1.0
        return (lambda fan_in: math.sqrt(self.sigma_w2 / fan_in)), math.sqrt(self.sigma_b2)

    def _dense(self, layer: int, h: torch.Tensor) -> torch.Tensor:
        """z = (σ_w/√fan_in) h Wᵀ + σ_b b (NTK) or h Wᵀ + b (standard); h (n, fan_in)."""
        W, b = self.weights[layer], self.biases[layer]
        if self.parameterization == "standard":
            return h @ W.T + b
        return (math.sqrt(self.sigma_w2 / self.fan_in[layer]) * h) @ W.T \
            + math.sqrt(self.sigma_b2) * b

    def check_input(self, x: object) -> torch.Tensor:
        """``x`` if it is a tensor of shape (n, input_dim) in the parameters' dtype.

        Raises :class:`~learnmech.core.errors.InputError` otherwise, naming the dtype or shape
        expected (e.g. a float64 batch for a float32 model).
        """
        dtype = self.weights[0].dtype
        if not isinstance(x, torch.Tensor):
            raise InputError(f"x must be a torch.Tensor of shape (n, {self.input_dim}) and "
                             f"dtype {dtype}, got {type(x).__name__}")
        if x.dtype != dtype:
            raise InputError(
                f"x must have the model's parameter dtype {dtype}, got dtype {x.dtype}; "
                f"convert the input (x.to({dtype})) or build the model with dtype={x.dtype}")
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise InputError(f"x must be of shape (n, {self.input_dim}), got shape "
                             f"{tuple(x.shape)}")
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Input of the last dense layer, (n, N): φ(z^{L−1}); for depth 1 the input x (n, d)."""
        h = self.check_input(x)
        for layer in range(self.depth - 1):
            h = self.phi(self._dense(layer, h))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """f(x): (n, d) → (n,) if output_dim == 1 else (n, output_dim)."""
        out = self._dense(self.depth - 1, self.features(x))
        return out[:, 0] if self.output_dim == 1 else out

    def extra_repr(self) -> str:
        return (f"input_dim={self.input_dim}, width={self.width}, depth={self.depth}, "
                f"output_dim={self.output_dim}, activation={self.activation!r}, "
                f"sigma_w2={self.sigma_w2}, sigma_b2={self.sigma_b2}, "
                f"parameterization={self.parameterization!r}")


def jacobian(model: nn.Module, X: torch.Tensor, *, chunk: int = 64) -> torch.Tensor:
    """Per-sample gradients of a scalar-output model, (n, P), P = number of trainable entries.

    :func:`learnmech.nets.empirical.per_sample_jacobians` (``torch.func.vmap(jacrev(f))`` over
    chunks of ``chunk`` samples; memory O(chunk · P) per step, O(n · P) for the result).
    ``model(X)`` must have shape (n,) or (n, 1).
    """
    rows = []
    for blocks in per_sample_jacobians(model, X, chunk=chunk):
        if blocks[0].shape[1] != 1:
            raise InputError(
                f"empirical_ntk needs a scalar output per sample, got {blocks[0].shape[1]} "
                "outputs for one input; use output_dim=1 or "
                "learnmech.nets.empirical.empirical_ntk_outputs")
        rows.append(torch.cat([b[:, 0] for b in blocks], dim=1))
    return torch.cat(rows, dim=0)


_METHODS = ("auto", "jacobian", "structured")


def empirical_ntk(
    model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None, *, chunk: int = 64,
    method: str = "auto",
) -> torch.Tensor:
    """Θ̂(x, x') = J(x)·J(x') of a scalar-output model at its current parameters, (n1, n2).

    Parameters
    ----------
    model : nn.Module with output (n,) or (n, 1), e.g. :class:`NTKMLP`
    X1 : Tensor (n1, d); X2 : Tensor (n2, d), optional (default X1)
    chunk : int
        Samples per vmapped Jacobian call (``method="jacobian"``, see :func:`jacobian`).
    method : {"auto", "jacobian", "structured"}
        ``"jacobian"``: per-sample Jacobians by ``torch.func`` and their product — any model,
        memory O((n1 + n2) P), time O((n1 + n2) · backward) plus O(n1 n2 P).
        ``"structured"``: :class:`NTKMLP` only (all weights and biases trainable): backprop the
        deltas δ_l = ∂f/∂z_l once and sum per layer ``(δ_l·δ_l') (c_w h_{l−1}·h_{l−1}' + c_b)``,
        memory O(n N), time O(n N² + n² N) — no P-sized arrays, the default for NTKMLP.
        The two agree to rounding (``tests/nets/test_ntk.py``).

    Returns
    -------
    Tensor (n1, n2) in the parameters' dtype; symmetric when ``X2`` is omitted.
    """
    if method not in _METHODS:
        raise InputError(f"method must be one of {_METHODS}, got {method!r}")
    structured_ok = isinstance(model, NTKMLP) and model.output_dim == 1
    if method == "structured" and not structured_ok:
        raise InputError("method='structured' needs an NTKMLP with output_dim=1; "
                         "use method='jacobian' for other models")
    if method == "structured" or (method == "auto" and structured_ok):
        return _structured_ntk(model, X1, X2)
    J1 = jacobian(model, X1, chunk=chunk)
    if X2 is None:
        return J1 @ J1.T
    return J1 @ jacobian(model, X2, chunk=chunk).T


def _layer_terms(model: NTKMLP, X: torch.Tensor) -> tuple[list, list]:
    """Inputs h_{l−1} (n, fan_in) and deltas δ_l = ∂f/∂z_l (n, fan_out) of every layer."""
    inputs, pre = [], []
    with torch.enable_grad():
        h = model.check_input(X).detach()
        for layer in range(model.depth):
            inputs.append(h.detach())
            z = model._dense(layer, h)  # (n, fan_out)
            pre.append(z)
            h = model.phi(z) if layer < model.depth - 1 else z
        # f(x_i) depends only on row i, so the gradient of Σ_i f(x_i) gives every δ_l(x_i)
        deltas = torch.autograd.grad(h[:, 0].sum(), pre)
    return inputs, [delta.detach() for delta in deltas]


def _structured_ntk(
    model: NTKMLP, X1: torch.Tensor, X2: torch.Tensor | None
) -> torch.Tensor:
    """Σ_l (δ_l δ_l'ᵀ) ∘ (c_w h h'ᵀ + c_b): ∂f/∂W_l = √c_w δ_l h_{l−1}ᵀ, ∂f/∂b_l = √c_b δ_l."""
    h1, d1 = _layer_terms(model, X1)
    h2, d2 = (h1, d1) if X2 is None else _layer_terms(model, X2)
    theta = None
    for layer in range(model.depth):
        if model.parameterization == "ntk":
            c_w, c_b = model.sigma_w2 / model.fan_in[layer], model.sigma_b2
        else:
            c_w, c_b = 1.0, 1.0
        term = (d1[layer] @ d2[layer].T) * (c_w * (h1[layer] @ h2[layer].T) + c_b)
        theta = term if theta is None else theta + term
    return theta


def empirical_nngp(
    model: NTKMLP, X1: torch.Tensor, X2: torch.Tensor | None = None
) -> torch.Tensor:
    """σ_w² h(x)·h(x')/N + σ_b² with h the input of the last layer (:meth:`NTKMLP.features`).

    The covariance of one output unit given the hidden layers (exactly ``Σ¹`` for depth 1); as
    the width grows a single draw converges to the NNGP ``Σ^L``. Returns a (n1, n2) tensor.
    """
    with torch.no_grad():
        h1 = model.features(X1)
        h2 = h1 if X2 is None else model.features(X2)
        return model.sigma_w2 * (h1 @ h2.T) / h1.shape[1] + model.sigma_b2
