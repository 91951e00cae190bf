"""Infinite-width kernels composed like layers: dense, convolution, pooling, flatten, residual.

A network is a :func:`serial` chain of layers; :func:`infinite_kernel` (or calling the network)
returns the NNGP and NTK of its infinitely wide limit (channels → ∞ for convolutions) for two
batches of inputs. Each layer maps a :class:`Kernel` — the covariances of its input over pairs
of inputs *and pairs of positions* — to that of its output, so layers compose freely.

Conventions (those of :mod:`learnmech.theory`, extended to positions)
--------------------------------------------------------------------
* **Inputs** are ``(n, d)`` (no positions) or channels-last ``(n, *S, C)`` with ``D = len(S)``
  in {1, 2, 3} spatial axes. The input kernel is the per-channel covariance
  ``K⁰(x, x')[p, p'] = x[p]·x'[p']/C`` (``x·x'/d`` without positions) and ``Θ⁰ = 0``.
* **Dense** (NTK parameterisation): ``z = (σ_w/√C) W h + σ_b b`` on the channel axis at every
  position, ``W``, ``b`` standard normal: ``K ← σ_w² K + σ_b²``, ``Θ ← σ_w² Θ + K_new``
  (the first dense layer gives ``Σ¹ = σ_w² x·x'/d + σ_b² = Θ¹``: a chain of dense layers and
  activations is :func:`learnmech.theory.fc_kernel`, checked in the tests).
* **Conv** (NTK parameterisation, stride 1): ``z[p] = (σ_w/√(C|F|)) Σ_δ W_δ h[p + δ] + σ_b b``:
  ``K ← σ_w² A(K) + σ_b²``, ``Θ ← σ_w² A(Θ) + K_new`` with ``A`` the filter average of
  :func:`learnmech.theory.spatial.filter_average` (``'SAME'`` zero padding or ``'VALID'``).
* **Standard parameterisation** (``parameterization="standard"``, ``Var W = σ_w²/fan_in``,
  ``Var b = σ_b²``, ``z = W h + b``): same ``K``; the gradient term is
  ``fan_in · A(K_in) + 1`` instead of ``K_new``, with ``fan_in = C·|F|`` the actual input width
  (so it needs the widths of the layers before; see :mod:`learnmech.theory.standard`).
* **Activation** φ: ``K ← E[φ(u)φ(v)]``, ``Θ ← E[φ'(u)φ'(v)] Θ`` per position pair, from the
  layer maps of :mod:`learnmech.theory.kernels` (closed forms for relu, erf, linear;
  quadrature for the others). The following affine layer carries the ``σ_w²``.
* **AvgPool** (``'VALID'``, stride = window by default), **GlobalAvgPool** and **Flatten**
  (mean of the position diagonal, what the next dense layer's ``1/fan_in`` makes of it) act on
  ``K`` and ``Θ`` alike (:mod:`learnmech.theory.spatial`).
* **Residual** ``x + block(x)``: the block must end in a Dense or Conv layer, whose fresh
  zero-mean weights make its output uncorrelated with ``x`` (and the cross terms of the
  NTK vanish at infinite width), so ``K ← K + K_block`` and ``Θ ← Θ + Θ_block``.

The kernel of the output of a network ending in a Dense/Conv layer is that of *each* output
unit; different units are independent (``K ⊗ I``). Memory: ``n1·n2·|S|²`` floats per array.

References: Novak et al., "Bayesian deep convolutional networks with many channels are Gaussian
processes" (ICLR 2019); Arora et al., "On exact computation with an infinitely wide neural net"
(NeurIPS 2019); Novak et al., "Neural Tangents" (ICLR 2020) for the layer-combinator idea.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from learnmech.theory import spatial
from learnmech.theory._validate import check_array, check_choice, check_int, fail
from learnmech.theory.kernels.recursion import check_sigmas, layer, resolve_activation

__all__ = ["Kernel", "Layer", "Dense", "Conv", "Activation", "Relu", "Erf", "AvgPool",
           "GlobalAvgPool", "Flatten", "Residual", "Serial", "serial", "input_kernel",
           "infinite_kernel", "ends_affine", "PARAMETERIZATIONS"]

#: Where σ_w/√fan_in sits: in the forward pass ("ntk") or in the initial weights ("standard").
PARAMETERIZATIONS = ("ntk", "standard")
_MAX_SPATIAL = 3


@dataclass(frozen=True)
class Kernel:
    """The infinite-width covariances of one layer's outputs for inputs ``X1`` and ``X2``.

    Attributes
    ----------
    nngp, ntk : ndarray (n1, n2, *S, *S)
        ``K(x_i, x'_j)[p, p']`` and ``Θ(x_i, x'_j)[p, p']`` of one channel (``(n1, n2)`` once
        the positions are pooled or flattened away).
    cov1, cov2 : ndarray (n1, 1, *S, *S), (n2, 1, *S, *S)
        ``K(x, x)`` of each input with itself over position pairs: the variances every
        nonlinearity needs (``cov2 is cov1`` when ``X2`` is ``X1``).
    spatial : tuple of int
        ``S``, the positions (empty without).
    channels : int or None
        Width of this representation (input channels, then the last affine layer's ``width``;
        None where not given). Only the standard parameterisation uses it.
    """

    nngp: np.ndarray
    ntk: np.ndarray
    cov1: np.ndarray
    cov2: np.ndarray
    spatial: tuple[int, ...]
    channels: int | None

    def linear_map(
        self, fn: Callable[[np.ndarray], np.ndarray], spatial_out: tuple[int, ...],
        channels: int | None,
    ) -> Kernel:
        """``fn`` applied to every covariance (a parameter-free linear layer)."""
        cov2 = fn(self.cov2) if self.cov2 is not self.cov1 else None
        cov1 = fn(self.cov1)
        return Kernel(fn(self.nngp), fn(self.ntk), cov1, cov1 if cov2 is None else cov2,
                      spatial_out, channels)


class Layer:
    """Base of every layer: :meth:`apply` maps the input :class:`Kernel` to the output's."""

    def apply(self, k: Kernel) -> Kernel:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, X1: np.ndarray, X2: np.ndarray | None = None) -> Kernel:
        """:func:`infinite_kernel` of this layer (or network) for ``X1``, ``X2``."""
        return infinite_kernel(self, X1, X2)


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _check_width(width: object) -> int | None:
    return None if width is None else check_int("width", width, 1)


def _check_shape(name: str, value: object) -> int | tuple[int, ...]:
    """A positive int or a non-empty tuple of positive ints (one per spatial axis)."""
    if isinstance(value, tuple) and 1 <= len(value) <= _MAX_SPATIAL:
        return tuple(check_int(f"{name}[{i}]", v, 1) for i, v in enumerate(value))
    if isinstance(value, tuple):
        raise fail(name, f"an integer >= 1 or a tuple of 1 to {_MAX_SPATIAL} of them", value)
    return check_int(name, value, 1)


def _per_axis(name: str, value: int | tuple[int, ...], k: Kernel) -> tuple[int, ...]:
    """``value`` as one entry per spatial axis of ``k``, refused where they do not match."""
    D = len(k.spatial)
    if D == 0:
        raise fail("input", f"an input with positions, shape (n, *S, C), for a layer with "
                   f"{name}", got="a kernel without positions (shape (n, d) input, or after "
                   "Flatten/GlobalAvgPool)")
    if isinstance(value, int):
        return (value,) * D
    if len(value) != D:
        raise fail(name, f"an integer or a tuple of {D} (the input's spatial axes {k.spatial})",
                   value)
    return value


def _check_affine(width, sigma_w2, sigma_b2, parameterization) -> None:
    """Refuse a bad width, variance or parameterisation of a Dense/Conv spec."""
    check_sigmas(sigma_w2, sigma_b2)
    _check_width(width)
    check_choice("parameterization", parameterization, PARAMETERIZATIONS)


# --------------------------------------------------------------------------------------------
# affine layers
# --------------------------------------------------------------------------------------------


def _affine(
    k: Kernel, average: Callable[[np.ndarray], np.ndarray], *, receptive: int, w2: float,
    b2: float, parameterization: str, width: int | None, spatial_out: tuple[int, ...],
) -> Kernel:
    """The one affine-layer rule: ``K ← σ_w² A(K) + σ_b²``, ``Θ ← σ_w² A(Θ) + grad``.

    ``average`` is ``A`` (the identity for a dense layer); ``grad`` = the new ``K`` in the NTK
    parameterisation, ``fan_in · A(K_in) + 1`` in the standard one (``fan_in = C·receptive``).
    """
    nngp_in = average(k.nngp)
    nngp = w2 * nngp_in + b2
    if parameterization == "ntk":
        grad = nngp
    else:
        if k.channels is None:
            raise fail("width", "given for every Dense/Conv layer before a standard-"
                       "parameterised one (its NTK grows with the fan-in)", None)
        grad = (k.channels * receptive) * nngp_in + 1.0
    ntk = w2 * average(k.ntk) + grad
    cov1 = w2 * average(k.cov1) + b2
    cov2 = cov1 if k.cov2 is k.cov1 else w2 * average(k.cov2) + b2
    return Kernel(nngp, ntk, cov1, cov2, spatial_out, width)


@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer on the channel axis (at every position).

    Parameters
    ----------
    width : int, optional
        Output channels; ignored by the NTK-parameterised kernel, needed by a standard-
        parameterised layer after this one and by finite networks built from the spec.
    sigma_w2, sigma_b2 : float
        Weight (``> 0``) and bias (``>= 0``) variances.
    parameterization : {"ntk", "standard"}
    """

    width: int | None = None
    sigma_w2: float = 1.0
    sigma_b2: float = 1.0
    parameterization: str = "ntk"

    def __post_init__(self) -> None:
        _check_affine(self.width, self.sigma_w2, self.sigma_b2, self.parameterization)

    def apply(self, k: Kernel) -> Kernel:
        return _affine(k, _identity, receptive=1, w2=self.sigma_w2, b2=self.sigma_b2,
                       parameterization=self.parameterization, width=self.width,
                       spatial_out=k.spatial)


def _identity(K: np.ndarray) -> np.ndarray:
    return K


@dataclass(frozen=True)
class Conv(Layer):
    """Convolution of stride 1 over the spatial axes (1-D, 2-D or 3-D).

    Parameters
    ----------
    filter_shape : int or tuple of int
        Filter widths ``F`` per spatial axis (an int: the same on every axis).
    padding : {"SAME", "VALID"}
        ``'SAME'``: zero padding, output shape ``S``; ``'VALID'``: no padding, ``S − F + 1``.
    width, sigma_w2, sigma_b2, parameterization
        As in :class:`Dense`; the fan-in is ``C·|F|``.
    """

    filter_shape: int | tuple[int, ...] = 3
    padding: str = "SAME"
    width: int | None = None
    sigma_w2: float = 1.0
    sigma_b2: float = 1.0
    parameterization: str = "ntk"

    def __post_init__(self) -> None:
        _check_shape("filter_shape", self.filter_shape)
        check_choice("padding", self.padding, spatial.PADDINGS)
        _check_affine(self.width, self.sigma_w2, self.sigma_b2, self.parameterization)

    def apply(self, k: Kernel) -> Kernel:
        widths = _per_axis("filter_shape", self.filter_shape, k)
        out = tuple(spatial.conv_output_size(s, f, self.padding)
                    for s, f in zip(k.spatial, widths, strict=True))
        if min(out) < 1:
            raise fail("filter_shape", f"at most the input's spatial shape {k.spatial} with "
                       "padding='VALID'", self.filter_shape)
        D = len(k.spatial)

        def average(K: np.ndarray) -> np.ndarray:
            return spatial.filter_average(K, D, widths, self.padding)

        return _affine(k, average, receptive=math.prod(widths), w2=self.sigma_w2,
                       b2=self.sigma_b2, parameterization=self.parameterization,
                       width=self.width, spatial_out=out)


# --------------------------------------------------------------------------------------------
# nonlinearities
# --------------------------------------------------------------------------------------------


def _variances(cov: np.ndarray, D: int) -> np.ndarray:
    """``K(x, x)[p, p]`` of shape (n, 1, *S) from a self-covariance (n, 1, *S, *S)."""
    return spatial.spatial_diagonal(cov, D)


def _as_first(v: np.ndarray, D: int) -> np.ndarray:
    """(n, 1, *S) variances indexed by the first input and its positions."""
    return v.reshape(v.shape + (1,) * D)


def _as_second(v: np.ndarray, D: int, *, cross: bool) -> np.ndarray:
    """(n, 1, *S) variances indexed by the second input (axis 1 if ``cross``) and positions."""
    v = v.reshape(v.shape[:2] + (1,) * D + v.shape[2:])
    return np.swapaxes(v, 0, 1) if cross else v


@dataclass(frozen=True)
class Activation(Layer):
    """Elementwise nonlinearity φ, one of :data:`learnmech.theory.ACTIVATIONS`."""

    name: str = "relu"

    def __post_init__(self) -> None:
        resolve_activation(self.name)

    def apply(self, k: Kernel) -> Kernel:
        name, phi, dphi = resolve_activation(self.name)
        D = len(k.spatial)
        v1 = _variances(k.cov1, D)
        v2 = v1 if k.cov2 is k.cov1 else _variances(k.cov2, D)

        def step(cov: np.ndarray, first: np.ndarray, second: np.ndarray, *, cross: bool):
            return layer(name, phi, dphi, _as_first(first, D),
                         _as_second(second, D, cross=cross), cov)

        e_phi, e_dphi = step(k.nngp, v1, v2, cross=True)
        cov1 = step(k.cov1, v1, v1, cross=False)[0]
        cov2 = cov1 if k.cov2 is k.cov1 else step(k.cov2, v2, v2, cross=False)[0]
        return Kernel(e_phi, e_dphi * k.ntk, cov1, cov2, k.spatial, k.channels)


def Relu() -> Activation:  # noqa: N802 - stax-style constructor name
    """ReLU, ``max(0, x)`` (arc-cosine closed form)."""
    return Activation("relu")


def Erf() -> Activation:  # noqa: N802 - stax-style constructor name
    """``erf(x)`` (Williams' closed form)."""
    return Activation("erf")


# --------------------------------------------------------------------------------------------
# parameter-free linear layers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AvgPool(Layer):
    """Average pooling (``'VALID'``) of ``window`` positions with ``strides`` (default window)."""

    window: int | tuple[int, ...] = 2
    strides: int | tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        _check_shape("window", self.window)
        if self.strides is not None:
            _check_shape("strides", self.strides)

    def apply(self, k: Kernel) -> Kernel:
        windows = _per_axis("window", self.window, k)
        strides = windows if self.strides is None else _per_axis("strides", self.strides, k)
        if any(w > s for w, s in zip(windows, k.spatial, strict=True)):
            raise fail("window", f"at most the input's spatial shape {k.spatial}", self.window)
        out = tuple(spatial.pool_output_size(s, w, t)
                    for s, w, t in zip(k.spatial, windows, strides, strict=True))
        D = len(k.spatial)
        return k.linear_map(lambda K: spatial.average_pool(K, D, windows, strides), out,
                            k.channels)


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """The mean over all positions: ``(n, *S, C) → (n, C)``."""

    def apply(self, k: Kernel) -> Kernel:
        _per_axis("positions to average", 1, k)
        D = len(k.spatial)
        return k.linear_map(lambda K: spatial.global_average(K, D), (), k.channels)


@dataclass(frozen=True)
class Flatten(Layer):
    """``(n, *S, C) → (n, |S|·C)``; the identity on an input without positions."""

    def apply(self, k: Kernel) -> Kernel:
        D = len(k.spatial)
        channels = None if k.channels is None else k.channels * math.prod(k.spatial)
        return k.linear_map(lambda K: spatial.diagonal_mean(K, D), (), channels)


# --------------------------------------------------------------------------------------------
# combinators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Serial(Layer):
    """Layers applied one after the other (build with :func:`serial`)."""

    layers: tuple[Layer, ...] = ()

    def __post_init__(self) -> None:
        for i, item in enumerate(self.layers):
            if not isinstance(item, Layer):
                raise fail(f"layers[{i}]", "a Layer (Dense, Conv, Activation, AvgPool, "
                           "GlobalAvgPool, Flatten, Residual or Serial)", item)

    def apply(self, k: Kernel) -> Kernel:
        for item in self.layers:
            k = item.apply(k)
        return k


def serial(*layers: Layer) -> Serial:
    """The network ``layers[-1] ∘ … ∘ layers[0]``."""
    return Serial(tuple(layers))


def ends_affine(item: Layer) -> bool:
    """Whether ``item``'s output is that of a Dense or Conv layer (fresh weights)."""
    if isinstance(item, Serial):
        return bool(item.layers) and ends_affine(item.layers[-1])
    return isinstance(item, Dense | Conv)


@dataclass(frozen=True)
class Residual(Layer):
    """``x + block(x)`` with ``block = serial(*layers)``, which must end in Dense or Conv."""

    block: Serial = dataclasses.field(default_factory=Serial)

    def __init__(self, *layers: Layer) -> None:
        object.__setattr__(self, "block", serial(*layers))
        if not ends_affine(self.block):
            raise fail("Residual(*layers)", "a block ending in a Dense or Conv layer (its "
                       "fresh weights make the branch independent of the skip path)",
                       got=f"{len(layers)} layer(s) ending in "
                           f"{type(layers[-1]).__name__ if layers else 'nothing'}")

    def apply(self, k: Kernel) -> Kernel:
        b = self.block.apply(k)
        if b.spatial != k.spatial:
            raise fail("Residual(*layers)", f"a block keeping the spatial shape {k.spatial} "
                       "(use padding='SAME')", got=f"output shape {b.spatial}")
        cov2 = None if k.cov2 is k.cov1 else k.cov2 + b.cov2
        cov1 = k.cov1 + b.cov1
        return Kernel(k.nngp + b.nngp, k.ntk + b.ntk, cov1, cov1 if cov2 is None else cov2,
                      k.spatial, b.channels if b.channels is not None else k.channels)


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------


def _check_inputs(name: str, X: object, trailing: tuple[int, ...] | None = None) -> np.ndarray:
    shape = "(n, d) or (n, *S, C) with 1 to 3 spatial axes"
    arr = check_array(name, X, ndim=tuple(range(2, 3 + _MAX_SPATIAL)), shape_text=shape)
    if arr.shape[0] < 1 or min(arr.shape[1:]) < 1:
        raise fail(name, f"of shape {shape} with no empty axis", got=f"shape {arr.shape}")
    if trailing is not None and arr.shape[1:] != trailing:
        raise fail(name, f"of shape (n2, {', '.join(map(str, trailing))}) like X1",
                   got=f"shape {arr.shape}")
    return arr


def input_kernel(X1: np.ndarray, X2: np.ndarray | None = None) -> Kernel:
    """The :class:`Kernel` of the inputs: ``x[p]·x'[p']/C``, ``Θ = 0`` (module docstring).

    ``X1`` (n1, d) or (n1, *S, C); ``X2`` of the same trailing shape (default ``X1``).
    """
    A = _check_inputs("X1", X1)
    same = X2 is None or X2 is X1
    B = A if same else _check_inputs("X2", X2, A.shape[1:])
    S, C = A.shape[1:-1], A.shape[-1]
    a, b = A.reshape(len(A), -1, C), B.reshape(len(B), -1, C)
    full = S + S

    def self_cov(Z: np.ndarray) -> np.ndarray:
        return (np.einsum("ipc,iqc->ipq", Z, Z) / C).reshape((len(Z), 1) + full)

    nngp = (np.einsum("ipc,jqc->ijpq", a, b) / C).reshape((len(A), len(B)) + full)
    cov1 = self_cov(a)
    return Kernel(nngp, np.zeros_like(nngp), cov1, cov1 if same else self_cov(b), S, C)


def infinite_kernel(net: Layer, X1: np.ndarray, X2: np.ndarray | None = None) -> Kernel:
    """NNGP and NTK of the infinitely wide ``net`` for inputs ``X1`` and ``X2``.

    Parameters
    ----------
    net : Layer
        A layer or a :func:`serial` network.
    X1 : array_like (n1, d) or (n1, *S, C)
    X2 : array_like of the same trailing shape, optional (default ``X1``)

    Returns
    -------
    Kernel
        ``.nngp`` and ``.ntk`` of shape ``(n1, n2)`` for a network whose output has no
        positions, ``(n1, n2, *S, *S)`` otherwise.
    """
    if not isinstance(net, Layer):
        raise fail("net", "a Layer (e.g. serial(Dense(), Relu(), Dense()))", net)
    return net.apply(input_kernel(X1, X2))
