"""Infinite-width NNGP and NTK kernels of deep fully connected networks.

Conventions (binding for the whole theory package)
--------------------------------------------------
* **NTK parameterisation**: ``z^{l+1} = (σ_w/√N_l) W φ(z^l) + σ_b b`` with standard-normal
  ``W`` and ``b``; the first layer divides ``x·x'`` by the input dimension ``d``.
* **Depth** ``L`` = ``L`` dense layers = ``L − 1`` nonlinearities.
* Recursion (Neal 1996; Lee et al. 2018; Jacot et al. 2018)::

      Σ¹(x, x') = σ_w² x·x'/d + σ_b²,                 Θ¹ = Σ¹,
      Σ^{l+1}   = σ_w² E[φ(u) φ(v)] + σ_b²,
      Σ̇^{l+1}   = σ_w² E[φ'(u) φ'(v)],
      Θ^{l+1}   = Σ^{l+1} + Σ̇^{l+1} Θ^l,

  with ``(u, v) ~ N(0, [[Σ(x,x), Σ(x,x')], [Σ(x,x'), Σ(x',x')]])``. The NNGP kernel of a
  depth-``L`` network is ``Σ^L`` and its NTK is ``Θ^L``.

**Standard parameterisation** (``z^{l+1} = W φ(z^l) + b`` with ``Var W = σ_w²/N_l``,
``Var b = σ_b²``) has the same NNGP, which :func:`fc_kernel` returns for ``kind="nngp"``. Its
NTK depends on how the per-layer learning rates are scaled with width (with unscaled rates it
grows like the width), so no single convention is implied; ``kind="ntk"`` with
``parameterization="standard"`` raises :class:`NotImplementedError` rather than guess.

Numerics
--------
Every backend returns, in float64, a finite matrix with ``|K(x, x')| <= √K(x, x) √K(x', x')``
that is positive semi-definite to rounding, for any depth and any input norms whose first-layer
variance fits float64 (checked to depth 1000 and norms 1e-150 … 1e150 for every activation in
``tests/theory/test_kernels_numerics.py``) — except that activations whose layer map is
integrated numerically (tanh, softplus, sigmoid, callable pairs) refuse pre-activation
variances ``Σ^l(x, x)`` above :data:`~learnmech.theory.kernels.quadrature.Q_MAX` = 1e12, where
the quadrature is not checked (an :class:`~learnmech.core.errors.InputError` naming the input,
or ``sigma_w2`` for :func:`dot_product_kernel`). The means: correlations clipped to ``[−1, 1]``
before every layer, products of variances rescaled by exact powers of two
(:mod:`~learnmech.theory.kernels.numerics`; bit-identical to the plain formulas wherever those
do not overflow), erf's ``E[φ'φ']`` in a cancellation-free form, a final Cauchy–Schwarz clip
and subnormal values flushed to 0. A kernel that itself exceeds float64 (e.g. a linear network
at σ_w² = 2 and depth 1000 with ‖x‖ ~ 1e75) is refused with an
:class:`~learnmech.core.errors.InputError` naming ``depth`` (or the input, for the first layer)
and the largest value that fits, before any O(n²) work. Where the recursion is chaotic
(``χ₁ = σ_w² E[φ'(u)²] > 1`` at the fixed point, e.g. erf at σ_w² = 2, σ_b² = 0) it amplifies
the last bits of the correlation of nearly equal inputs, so over hundreds of layers a copy of
``x`` decorrelates from ``x`` (``K(x, copy) → c* K(x, x)``): the result is still a PSD kernel,
that of inputs within rounding of those given.

Layout
------
This module is the dispatcher: it checks arguments and picks a backend. The concepts live in

* :mod:`~learnmech.theory.kernels.recursion` — argument checks, the layer-map dispatch and the
  depth recursion (the layer-by-layer numpy path);
* :mod:`~learnmech.theory.kernels.closed_forms` — ReLU, erf, GELU and linear layer maps;
* :mod:`~learnmech.theory.kernels.activations` — tanh, softplus, sigmoid (and the closed
  forms' activations, for checks) with three derivatives;
* :mod:`~learnmech.theory.kernels.quadrature` — the variance-aware nested Gauss rule for any
  activation (≤ 2e-13 relative up to variance 1e6, checked to :data:`~.quadrature.Q_MAX`);
* :mod:`~learnmech.theory.kernels.table` — tanh's and softplus' layer maps tabulated once
  (sigmoid's through tanh's), cached on disk, interpolated within 1e-7;
* :mod:`~learnmech.theory.kernels.surrogate` and :mod:`~learnmech.theory.kernels.tabulated`
  — per-block Chebyshev surrogates of the tables and the numpy backend that runs them;
* :mod:`~learnmech.theory.kernels.fused` — the numba pass for closed forms (numpy backend);
* :mod:`~learnmech.theory.kernels.torch_backend` — the torch backend (imported on demand).

Backends import the recursion and the closed forms, never this module.

References
----------
R. M. Neal, *Bayesian Learning for Neural Networks*, Springer (1996).
J. Lee et al., "Deep neural networks as Gaussian processes", ICLR (2018).
A. Jacot, F. Gabriel, C. Hongler, "Neural tangent kernel", NeurIPS (2018).
"""

from __future__ import annotations

import numpy as np

from learnmech.theory._validate import check_array, check_choice, check_int, fail
from learnmech.theory.kernels.activations import TABULATED
from learnmech.theory.kernels.closed_forms import CLOSED_FORM
from learnmech.theory.kernels.numerics import flush_subnormal
from learnmech.theory.kernels.quadrature import ArrayFn
from learnmech.theory.kernels.recursion import (
    ACTIVATIONS,
    check_kind,
    check_matrix,
    check_sigmas,
    check_variances,
    diagonal_recursion,
    layered_kernel,
    recurse,
    resolve_activation,
)

# ``fc_kernel_torch`` (the torch backend's entry point) is also reachable here, loaded on first
# use by the module ``__getattr__`` below; it stays out of ``__all__`` so ``import *`` never
# imports torch.
__all__ = ["ACTIVATIONS", "fc_kernel", "dot_product_kernel"]

_BACKENDS = ("numpy", "torch")
_QUAD_BLOCK_ROWS = 2048
_PARAMETERIZATIONS = ("ntk", "standard")


def fc_kernel(
    X1: np.ndarray,
    X2: np.ndarray | None = None,
    *,
    depth: int,
    activation: str | tuple[ArrayFn, ArrayFn] = "relu",
    sigma_w2: float = 1.0,
    sigma_b2: float = 1.0,
    kind: str = "ntk",
    parameterization: str = "ntk",
    block_rows: int | None = None,
    backend: str = "numpy",
    device: object = None,
    dtype: object = None,
):
    """Infinite-width NNGP or NTK Gram matrix of a depth-``depth`` fully connected network.

    Parameters
    ----------
    X1 : array_like, shape (n1, d)
        Inputs (any norm). The first layer uses ``σ_w² x·x'/d + σ_b²``.
    X2 : array_like, shape (n2, d), optional
        Second set of inputs; ``None`` means ``X1`` (the result is then exactly symmetric).
    depth : int
        Number of dense layers ``L >= 1`` (``L − 1`` nonlinearities).
    activation : str or (callable, callable)
        One of :data:`ACTIVATIONS` or a pair ``(phi, dphi)`` of elementwise functions.
        ``"relu"``, ``"erf"``, ``"gelu"`` and ``"linear"`` use closed forms; ``"tanh"``,
        ``"softplus"`` and ``"sigmoid"`` tabulated layer maps (within 1e-7 of the exact map
        per layer, ~1e-8 on a depth-5 NTK; quadrature for variances beyond the tables);
        a pair the quadrature (slow: ~0.5 ms an entry and layer).
    sigma_w2 : float
        Weight variance ``σ_w² > 0``.
    sigma_b2 : float
        Bias variance ``σ_b² >= 0``.
    kind : {"ntk", "nngp"}
        Return the NTK ``Θ^L`` or the NNGP kernel ``Σ^L``.
    parameterization : {"ntk", "standard"}
        ``"standard"`` gives the same NNGP; its NTK is not implemented (see module docstring).
    block_rows : int, optional
        Rows of ``X1`` processed at once. ``None`` picks a default: 256 for the numpy backend
        with a closed-form activation (the kernel is written in place, no working memory beyond
        the result), as many as fit a 256 MiB working array for tabulated activations (each
        block gets its own surrogates), 2048 for a callable pair (working memory
        ``O(block_rows · n2)``), and for the torch backend as many rows as fit a 256 MiB
        working budget.
    backend : {"numpy", "torch"}
        ``"numpy"`` (default) returns a float64 ndarray; closed forms run a fused numba kernel
        (:mod:`learnmech.theory.kernels.fused`: one pass over the result whatever the depth),
        tabulated activations per-block surrogates (:mod:`~.tabulated`, 3–4x ReLU's time at
        n = 1000, depth 5; ``benchmarks/kernel_any_activation.py``), a callable pair the
        quadrature. ``"torch"`` (:mod:`learnmech.theory.kernels.torch_backend`, every named
        activation) returns a ``torch.Tensor`` on ``device``, for large n or a GPU.
    device : str or torch.device, optional
        torch backend only: where to compute and keep the result (default ``"cpu"``).
        Working memory besides the result and inputs is bounded by the row blocks
        (n = 50,000: the float64 result is 18.6 GiB, the blocks add ≤ 256 MiB).
    dtype : optional
        float64 by default. The torch backend also accepts ``torch.float32`` / ``"float32"``;
        the numpy backend computes in float64 only.

    Returns
    -------
    K : ndarray (numpy backend) or torch.Tensor (torch backend), shape (n1, n2)
        Kernel matrix. With ``X2`` omitted (or the same object as ``X1``) it is exactly
        symmetric: only the upper triangle is computed and mirrored.

    Raises
    ------
    InputError
        For invalid arguments (a ``ValueError``; the message names the argument and its
        accepted range), and for a kernel that overflows float64 (module docstring).
    NotImplementedError
        For ``kind="ntk"`` with ``parameterization="standard"``.
    """
    depth = check_int("depth", depth, 1)
    if block_rows is not None:
        block_rows = check_int("block_rows", block_rows, 1)
    w2, b2 = check_sigmas(sigma_w2, sigma_b2)
    kind = check_kind(kind)
    parameterization = check_choice("parameterization", parameterization, _PARAMETERIZATIONS)
    if parameterization == "standard" and kind == "ntk":
        raise NotImplementedError(
            "the NTK in the standard parameterisation depends on how learning rates are scaled "
            "with width and is not implemented; use parameterization='ntk' (kind='nngp' is the "
            "same in both parameterisations)"
        )
    name, phi, dphi = resolve_activation(activation)
    backend = check_choice("backend", backend, _BACKENDS)
    if backend == "torch":
        from learnmech.theory.kernels.torch_backend import fc_kernel_torch

        if name not in CLOSED_FORM + TABULATED:
            raise fail("activation", f"one of {CLOSED_FORM + TABULATED} for backend='torch' "
                       "(a callable pair runs on backend='numpy', by quadrature)", name)
        return fc_kernel_torch(X1, X2, depth=depth, activation=name, sigma_w2=w2,
                               sigma_b2=b2, kind=kind, block_rows=block_rows, device=device,
                               dtype=dtype)
    _check_numpy_options(device, dtype)
    A = check_matrix("X1", X1)
    same = X2 is None or X2 is X1
    B = A if same else check_matrix("X2", X2)
    if B.shape[1] != A.shape[1]:
        raise fail("X2", f"of shape (n2, {A.shape[1]}): the same number of columns as X1",
                   got=f"shape {B.shape}")
    if phi is None:
        from learnmech.theory.kernels.fused import FUSED_BLOCK_ROWS, fused_kernel

        return fused_kernel(A, None if same else B, name=name, depth=depth, w2=w2, b2=b2,
                            kind=kind, block_rows=block_rows or FUSED_BLOCK_ROWS)
    if name in TABULATED:
        from learnmech.theory.kernels.tabulated import tabulated_kernel

        return tabulated_kernel(A, None if same else B, name=name, depth=depth, w2=w2, b2=b2,
                                kind=kind, block_rows=block_rows)
    return layered_kernel(A, B, same, name=name, phi=phi, dphi=dphi, depth=depth, w2=w2, b2=b2,
                          kind=kind, block_rows=block_rows or _QUAD_BLOCK_ROWS)


def _check_numpy_options(device: object, dtype: object) -> None:
    if device is not None and str(device) != "cpu":
        raise fail("device", "None or 'cpu' for backend='numpy' (other devices need "
                   "backend='torch')", device)
    if dtype is None:
        return
    ok = str(dtype) == "torch.float64"
    if not ok:
        try:
            ok = np.dtype(dtype) == np.float64
        except TypeError:
            ok = False
    if not ok:
        raise fail("dtype", "None or float64 for backend='numpy' (it computes in float64 only; "
                   "use backend='torch' for float32)", dtype)


def dot_product_kernel(
    t: np.ndarray | complex | float,
    *,
    d: int,
    depth: int,
    activation: str | tuple[ArrayFn, ArrayFn] = "relu",
    sigma_w2: float = 1.0,
    sigma_b2: float = 1.0,
    kind: str = "ntk",
) -> np.ndarray:
    """Kernel of unit-norm inputs in dimension ``d`` as a function of ``t = x·x'``.

    ``Σ¹ = σ_w² t/d + σ_b²`` with diagonal ``σ_w²/d + σ_b²``; then the layer recursion of the
    module docstring. For ``relu``, ``erf``, ``gelu`` and ``linear`` the closed forms accept
    complex ``t`` (analytic in ``t`` for ``|t| < 1``, with ``k(conj t) = conj k(t)``).

    Parameters
    ----------
    t : array_like, any shape, real or complex
        Cosine(s) ``x·x'`` of unit-norm inputs (real ``t`` is clipped to ``[-1, 1]``).
    d : int
        Input dimension ``>= 1``.
    depth : int
        Number of dense layers ``L >= 1``.
    activation : str or (callable, callable)
        As in :func:`fc_kernel`; tabulated activations and pairs accept real ``t`` only.
    sigma_w2, sigma_b2 : float
        Weight (``> 0``) and bias (``>= 0``) variances.
    kind : {"ntk", "nngp"}
        NTK ``Θ^L`` or NNGP ``Σ^L``.

    Returns
    -------
    k : ndarray, same shape as ``t``
        float64 for real ``t``, complex128 for complex ``t``.
    """
    d = check_int("d", d, 1)
    depth = check_int("depth", depth, 1)
    w2, b2 = check_sigmas(sigma_w2, sigma_b2)
    kind = check_kind(kind)
    name, phi, dphi = resolve_activation(activation)
    t_arr = check_array("t", t, ndim=None, allow_complex=True)
    if np.iscomplexobj(t_arr):
        if phi is not None:
            raise fail("t", f"real for activation {name!r} (complex t needs a closed-form "
                       f"activation {CLOSED_FORM}; tables and quadrature take real t only)",
                       got="complex t")
    else:
        t_arr = np.clip(t_arr, -1.0, 1.0)
    rec = {"depth": depth, "sigma_w2": w2, "sigma_b2": b2, "kind": kind}
    diag = diagonal_recursion(name, phi, dphi, np.asarray(np.float64(w2 / d + b2)), **rec)
    if diag.overflow is not None:
        which = "NTK Θ" if kind == "ntk" else "NNGP Σ"
        raise fail("depth", f"<= {diag.overflow[0] - 1} for these variances (the {which}^l(1) "
                   f"exceeds the largest float64 at layer l = {diag.overflow[0]})", depth)
    check_variances("sigma_w2", diag, name, phi, depth)
    q_layers = [np.asarray(x) for x in diag.q_layers]
    k = np.asarray(recurse(name, phi, dphi, q_layers, q_layers, w2 * t_arr / d + b2, **rec))
    if np.iscomplexobj(k):
        return k
    bound = flush_subnormal(np.array(diag.kernel, np.float64))
    return flush_subnormal(np.array(np.clip(k, -bound, bound)))  # |k(t)| <= k(1)


def __getattr__(name: str) -> object:
    """``fc_kernel_torch`` on first use (importing torch); nothing else is lazy here."""
    if name == "fc_kernel_torch":
        from learnmech.theory.kernels.torch_backend import fc_kernel_torch

        return fc_kernel_torch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
