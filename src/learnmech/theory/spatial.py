"""Linear maps of pixel-pair covariances: what convolution and pooling do to a kernel.

A kernel of a convolutional network's hidden layer is a covariance over *pairs of inputs and
pairs of positions*. Every function here takes such an array of shape ``(B1, B2, *S, *S)``
(``B1``, ``B2`` batch axes, ``S`` the spatial shape, given once for the first and once for the
second input of each pair, ``D = len(S)`` spatial dimensions) and returns one of the same
layout. They are the linear parts of :mod:`learnmech.theory.layers`; none has parameters.

With ``K[p, p'] = E[h(x)[p, c] h(x')[p', c]]`` (the same for every channel ``c``):

* **filter average** (a convolution of width ``F`` per axis, NTK parameterisation, before
  ``σ_w²``): ``A(K)[p, p'] = (1/|F|) Σ_δ K[p + δ − lo, p' + δ − lo]`` over the filter offsets
  ``δ``, positions outside the input contributing 0 (zero padding); ``'VALID'`` keeps the
  outputs whose window lies inside the input (``lo = 0``, ``S − F + 1`` of them), ``'SAME'``
  keeps ``S`` of them, padding ``lo = (F − 1)//2`` before and ``F − 1 − lo`` after (the
  TensorFlow/JAX convention for even ``F``). Separable over the spatial axes;
* **average pooling** of window ``w`` and stride ``s`` (``'VALID'``): ``P K Pᵀ`` on each axis
  pair with ``P[o, s·o + δ] = 1/w`` for ``δ < w``;
* **global average**: the mean over all position pairs, shape ``(B1, B2)``;
* **flatten** (as seen by the dense layer after it, which divides by its fan-in
  ``|S|·channels``): the mean over the diagonal ``p = p'``, shape ``(B1, B2)``.

numpy only; memory is that of the input array.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PADDINGS", "conv_output_size", "filter_average", "pool_output_size", "average_pool",
           "global_average", "diagonal_mean", "spatial_diagonal"]

#: Padding modes of a convolution.
PADDINGS = ("SAME", "VALID")

_LETTERS = "cdefgh"


def _pair_axes(ndim: int, D: int, axis: int) -> tuple[int, int]:
    """Axes of spatial dimension ``axis`` for the first and second input of an array."""
    base = ndim - 2 * D
    return base + axis, base + D + axis


def conv_output_size(size: int, width: int, padding: str) -> int:
    """Output length of a stride-1 convolution of ``width`` over ``size`` positions."""
    return size if padding == "SAME" else size - width + 1


def filter_average(K: np.ndarray, D: int, widths: tuple[int, ...], padding: str) -> np.ndarray:
    """``A(K)``: the average of ``K[p + δ, p' + δ]`` over the filter offsets (module docstring).

    ``K`` has shape ``(..., *S, *S)`` with ``D`` spatial axes; ``widths`` one filter width per
    axis. Returns ``(..., *S_out, *S_out)``.
    """
    for axis, width in enumerate(widths):
        a, b = _pair_axes(K.ndim, D, axis)
        moved = np.moveaxis(K, (a, b), (-2, -1))
        size = moved.shape[-1]
        out = conv_output_size(size, width, padding)
        if padding == "SAME":
            lo = (width - 1) // 2
            pad = [(0, 0)] * (moved.ndim - 2) + [(lo, width - 1 - lo)] * 2
            moved = np.pad(moved, pad)
        acc = np.zeros(moved.shape[:-2] + (out, out))
        for delta in range(width):
            acc += moved[..., delta:delta + out, delta:delta + out]
        K = np.moveaxis(acc / width, (-2, -1), (a, b))
    return K


def pool_output_size(size: int, window: int, stride: int) -> int:
    """Output length of a ``'VALID'`` pooling of ``window`` and ``stride`` over ``size``."""
    return (size - window) // stride + 1


def _pool_matrix(size: int, window: int, stride: int) -> np.ndarray:
    """``P`` of shape (out, size): ``P[o, s·o + δ] = 1/w`` for ``0 <= δ < w``."""
    out = pool_output_size(size, window, stride)
    P = np.zeros((out, size))
    for o in range(out):
        P[o, stride * o:stride * o + window] = 1.0 / window
    return P


def average_pool(
    K: np.ndarray, D: int, windows: tuple[int, ...], strides: tuple[int, ...]
) -> np.ndarray:
    """``P K Pᵀ`` on every spatial axis pair of ``K`` (..., *S, *S) (module docstring)."""
    for axis, (window, stride) in enumerate(zip(windows, strides, strict=True)):
        a, b = _pair_axes(K.ndim, D, axis)
        moved = np.moveaxis(K, (a, b), (-2, -1))
        P = _pool_matrix(moved.shape[-1], window, stride)
        K = np.moveaxis(P @ moved @ P.T, (-2, -1), (a, b))
    return K


def spatial_diagonal(K: np.ndarray, D: int) -> np.ndarray:
    """``K[..., p, p]``: shape ``(..., *S)`` from ``(..., *S, *S)``."""
    if D == 0:
        return K
    s = _LETTERS[:D]
    return np.einsum(f"...{s}{s}->...{s}", K)


def global_average(K: np.ndarray, D: int) -> np.ndarray:
    """The mean of ``K`` (..., *S, *S) over all position pairs: shape ``(...)``."""
    return K.mean(axis=tuple(range(K.ndim - 2 * D, K.ndim))) if D else K


def diagonal_mean(K: np.ndarray, D: int) -> np.ndarray:
    """The mean of ``K[..., p, p]`` over positions ``p``: shape ``(...)``."""
    diag = spatial_diagonal(K, D)
    return diag.mean(axis=tuple(range(diag.ndim - D, diag.ndim))) if D else diag
