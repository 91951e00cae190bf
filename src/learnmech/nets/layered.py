"""Finite networks built from the layer specs of :mod:`learnmech.theory.layers`.

``finite_network(net, input_shape, width=N)`` is the finite counterpart of the infinite-width
kernel ``net(X1, X2)``: the same layers, with every Dense/Conv layer ``N`` channels wide (or its
own ``width``), in the same parameterisation (NTK: standard-normal weights and
``σ_w/√fan_in`` in the forward pass; standard: ``W ~ N(0, σ_w²/fan_in)``), channels-last
inputs ``(n, *S, C)``. Its empirical kernels converge to ``net``'s as ``N → ∞``:

* NTK: :func:`learnmech.nets.empirical.empirical_ntk_outputs` (``form="trace"``, divided by the
  number of outputs);
* NNGP: :func:`empirical_nngp_layered`, the covariance of one output unit *given* the
  network's hidden layers — the last layer's kernel map applied to the empirical kernel of its
  input ``h·h'/C``. It has no output-sampling noise, only the 1/√N fluctuation of the hidden
  layers.

Widths: the last Dense/Conv of the top-level chain has ``outputs`` channels; the last one
inside a :class:`~learnmech.theory.layers.Residual` has as many as the block's input (so the
sum is defined); every other one ``width`` unless its spec gives one.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from learnmech.core.errors import InputError
from learnmech.nets.ntk import ACTIVATIONS
from learnmech.theory import layers as L
from learnmech.theory import spatial

__all__ = ["LayeredNet", "finite_network", "empirical_nngp_layered"]


def _draw(shape: tuple[int, ...], std: float, generator, dtype) -> nn.Parameter:
    return nn.Parameter(torch.randn(shape, generator=generator, dtype=dtype) * std)


class _Affine(nn.Module):
    """A Dense (``filters == ()``) or Conv layer, channels-last, in either parameterisation."""

    def __init__(self, spec, filters: tuple[int, ...], c_in: int, c_out: int, generator,
                 dtype) -> None:
        super().__init__()
        self.filters, self.padding = filters, getattr(spec, "padding", "VALID")
        fan_in = c_in * math.prod(filters)
        ntk = spec.parameterization == "ntk"
        self.w_scale = math.sqrt(spec.sigma_w2 / fan_in) if ntk else 1.0
        self.b_scale = math.sqrt(spec.sigma_b2) if ntk else 1.0
        w_std = 1.0 if ntk else math.sqrt(spec.sigma_w2 / fan_in)
        b_std = 1.0 if ntk else math.sqrt(spec.sigma_b2)
        self.weight = _draw((c_out, c_in) + filters, w_std, generator, dtype)
        self.bias = _draw((c_out,), b_std, generator, dtype)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        W = self.w_scale * self.weight
        if not self.filters:
            return h @ W.T + self.b_scale * self.bias
        D = len(self.filters)
        x = torch.movedim(h, -1, 1)  # channels first
        if self.padding == "SAME":
            pad = []
            for f in reversed(self.filters):
                lo = (f - 1) // 2
                pad += [lo, f - 1 - lo]
            x = nn.functional.pad(x, pad)
        conv = getattr(nn.functional, f"conv{D}d")
        return torch.movedim(conv(x, W), 1, -1) + self.b_scale * self.bias


class _Elementwise(nn.Module):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.phi = ACTIVATIONS[name]

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.phi(h)


class _Pool(nn.Module):
    def __init__(self, windows: tuple[int, ...], strides: tuple[int, ...]) -> None:
        super().__init__()
        self.windows, self.strides = windows, strides

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        pool = getattr(nn.functional, f"avg_pool{len(self.windows)}d")
        x = pool(torch.movedim(h, -1, 1), self.windows, self.strides)
        return torch.movedim(x, 1, -1)


class _Reduce(nn.Module):
    """Global average (``flatten=False``) or flatten of the positions."""

    def __init__(self, D: int, *, flatten: bool) -> None:
        super().__init__()
        self.D, self.flatten = D, flatten

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.flatten:
            return h.reshape(h.shape[0], -1)
        return h.mean(dim=tuple(range(1, 1 + self.D))) if self.D else h


class _Residual(nn.Module):
    def __init__(self, block: nn.Sequential) -> None:
        super().__init__()
        self.block = block

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.block(h)


class _Builder:
    """Turns specs into modules, tracking the spatial shape and the channels."""

    def __init__(self, width: int, generator, dtype) -> None:
        self.width, self.generator, self.dtype = width, generator, dtype

    def chain(self, items, S, C, last_width):
        """Modules of ``items`` from shape (S, C); ``last_width`` for the last affine one."""
        last = max((i for i, item in enumerate(items) if L.ends_affine(item)), default=-1)
        mods = []
        for i, item in enumerate(items):
            mod, S, C = self.one(item, S, C, last_width if i == last else None)
            mods.append(mod)
        return mods, S, C

    def one(self, item, S, C, forced):
        if isinstance(item, L.Serial):
            mods, S, C = self.chain(item.layers, S, C, forced)
            return nn.Sequential(*mods), S, C
        if isinstance(item, L.Dense | L.Conv):
            return self.affine(item, S, C, forced)
        if isinstance(item, L.Activation):
            return _Elementwise(item.name), S, C
        if isinstance(item, L.AvgPool):
            windows = _axes(item.window, S)
            strides = windows if item.strides is None else _axes(item.strides, S)
            out = tuple(spatial.pool_output_size(s, w, t) for s, w, t in zip(S, windows, strides,
                                                                              strict=True))
            return _Pool(windows, strides), out, C
        if isinstance(item, L.GlobalAvgPool):
            return _Reduce(len(S), flatten=False), (), C
        if isinstance(item, L.Flatten):
            return _Reduce(len(S), flatten=True), (), C * math.prod(S)
        if isinstance(item, L.Residual):
            mods, S_out, _ = self.chain(item.block.layers, S, C, C)
            return _Residual(nn.Sequential(*mods)), S_out, C
        raise InputError(f"net must be built from theory.layers specs, got {item!r}")

    def affine(self, item, S, C, forced):
        c_out = forced if forced is not None else (item.width or self.width)
        if forced is not None and item.width is not None and item.width != forced:
            raise InputError(f"width must be {forced} for this layer (the network's outputs or "
                             f"a residual block's input channels), got {item.width}")
        if isinstance(item, L.Dense):
            return _Affine(item, (), C, c_out, self.generator, self.dtype), S, c_out
        filters = _axes(item.filter_shape, S)
        out = tuple(spatial.conv_output_size(s, f, item.padding)
                    for s, f in zip(S, filters, strict=True))
        return _Affine(item, filters, C, c_out, self.generator, self.dtype), out, c_out


def _axes(value, S) -> tuple[int, ...]:
    return (value,) * len(S) if isinstance(value, int) else tuple(value)


class LayeredNet(nn.Module):
    """The finite network of a :mod:`learnmech.theory.layers` spec (see :func:`finite_network`).

    Attributes
    ----------
    spec : the network spec; input_shape : (d,) or (*S, C); layers : nn.ModuleList of the
    top-level layers; readout : the spec of the last top-level layer.
    """

    def __init__(self, spec, input_shape, layers: list[nn.Module]) -> None:
        super().__init__()
        self.spec, self.input_shape = spec, tuple(input_shape)
        self.layers = nn.ModuleList(layers)
        self.readout = spec.layers[-1]

    def check_input(self, x: object) -> torch.Tensor:
        """``x`` if it is a tensor (n, *input_shape) in the parameters' dtype (else InputError)."""
        dtype = next(self.parameters()).dtype
        shape = ", ".join(map(str, self.input_shape))
        if not isinstance(x, torch.Tensor) or x.dtype != dtype or x.ndim < 1 \
                or tuple(x.shape[1:]) != self.input_shape:
            got = (f"dtype {x.dtype} and shape {tuple(x.shape)}" if isinstance(x, torch.Tensor)
                   else type(x).__name__)
            raise InputError(f"x must be a torch.Tensor of shape (n, {shape}) and the model's "
                             f"dtype {dtype}, got {got}")
        return x

    def penultimate(self, x: torch.Tensor) -> torch.Tensor:
        """The input of the last top-level layer, channels-last."""
        h = self.check_input(x)
        for mod in self.layers[:-1]:
            h = mod(h)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, *input_shape) → (n, *S_out, outputs)."""
        return self.layers[-1](self.penultimate(x))


def finite_network(
    net, input_shape: tuple[int, ...], *, width: int, outputs: int = 1, seed: int | None = None,
    dtype: torch.dtype | None = None,
) -> LayeredNet:
    """A finite network with the layers of ``net`` (a :func:`learnmech.theory.layers.serial`).

    Parameters
    ----------
    net : Serial
        The spec; its kernel ``net(X1, X2)`` is this network's infinite-width limit.
    input_shape : tuple of int
        ``(d,)`` or ``(*S, C)``, one input's shape.
    width : int
        Channels of every Dense/Conv layer without its own ``width`` (module docstring).
    outputs : int
        Channels of the last Dense/Conv layer of the chain.
    seed : int, optional
        Parameters from ``torch.Generator().manual_seed(seed)``; None: the global RNG.
    dtype : torch.dtype, optional
        Parameter dtype (default torch's default).
    """
    if not isinstance(net, L.Serial) or not net.layers:
        raise InputError(f"net must be a non-empty theory.layers.serial(...), got {net!r}")
    for name, value in (("width", width), ("outputs", outputs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    shape = tuple(input_shape)
    if not 1 <= len(shape) <= 4 or any(not isinstance(s, int) or s < 1 for s in shape):
        raise InputError(f"input_shape must be (d,) or (*S, C) with 1 to 3 spatial axes of "
                         f"positive integers, got {input_shape!r}")
    L.infinite_kernel(net, np.zeros((1,) + shape))  # the spec's own shape checks, on one input
    generator = None if seed is None else torch.Generator().manual_seed(int(seed))
    builder = _Builder(width, generator, dtype or torch.get_default_dtype())
    mods, _, _ = builder.chain(net.layers, shape[:-1], shape[-1], outputs)
    return LayeredNet(net, shape, mods)


def empirical_nngp_layered(
    model: LayeredNet, X1: torch.Tensor, X2: torch.Tensor | None = None
) -> np.ndarray:
    """The output covariance of ``model`` given its hidden layers (module docstring).

    The last layer of the chain must be Dense or Conv. Returns a float64 array ``(n1, n2)``, or
    ``(n1, n2, *S, *S)`` for outputs with positions — the layout of the infinite ``.nngp``.
    """
    if not isinstance(model.readout, L.Dense | L.Conv):
        raise InputError("model must end in a Dense or Conv layer for its empirical NNGP, got "
                         f"{type(model.readout).__name__}")
    with torch.no_grad():
        h1 = model.penultimate(X1).double().cpu().numpy()
        h2 = None if X2 is None else model.penultimate(X2).double().cpu().numpy()
    return model.readout.apply(L.input_kernel(h1, h2)).nngp
