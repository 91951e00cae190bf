"""Torch backend of :func:`learnmech.theory.kernels.fc_kernel` (closed-form activations).

Same recursion and conventions as :mod:`learnmech.theory.kernels` (NTK parameterisation, the
first layer divides ``x·x'`` by ``d``, depth = number of dense layers); the per-layer formulas
are written with per-point factors exactly as in :mod:`learnmech.theory.kernels_fused`, so the
two backends agree to rounding (1e-12 relative in float64, checked in
``tests/theory/test_kernels_torch.py``).

Memory: the result ``(n1, n2)`` lives on ``device``; each row block holds at most seven
``(block_rows, n2)`` temporaries, and the default ``block_rows`` keeps them under
:data:`WORK_BYTES` (256 MiB), so ``n = 50,000`` in float64 needs the 18.6 GiB result plus
≤ 0.3 GiB — it fits a 24 GiB GPU. With ``X2`` omitted only blocks on and above the diagonal
are computed and the lower triangle is copied from them (exactly symmetric, half the work).

This module imports torch at load; :mod:`learnmech.theory` imports it only when
``backend="torch"`` is asked for.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from learnmech.theory.kernels import _check_matrix, _diagonal_layers, _recurse

__all__ = ["fc_kernel_torch", "WORK_BYTES"]

#: Bound on the bytes of per-block temporaries (seven (block_rows, n2) arrays).
WORK_BYTES = 256 * 2**20
# On a CPU smaller blocks stay in cache: about this many entries per block.
_CPU_BLOCK_ENTRIES = 1 << 16
_N_TEMPORARIES = 7
_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def fc_kernel_torch(
    X1, X2=None, *, depth: int, activation: str, sigma_w2: float, sigma_b2: float, kind: str,
    block_rows: int | None = None, device=None, dtype=None, cpu_fused: bool = True,
    compile_kernel: bool = False,
) -> torch.Tensor:
    """NNGP (``kind="nngp"``) or NTK Gram matrix of a depth-``depth`` network, in torch.

    Called by :func:`~learnmech.theory.kernels.fc_kernel` with ``backend="torch"``, which
    validates ``depth``, the variances, ``kind`` and ``activation`` (one of ``"relu"``,
    ``"erf"``, ``"linear"``).

    Parameters
    ----------
    X1 : array_like or Tensor, shape (n1, d); X2 : same, shape (n2, d), optional
        Inputs of any norm; ``X2=None`` (or ``X2 is X1``) gives the symmetric Gram matrix.
    block_rows : int, optional
        Rows per block; default from :data:`WORK_BYTES` (and, on a CPU, a cache-sized block).
    device : str or torch.device, optional
        Where to compute and keep the result; default ``"cpu"``.
    dtype : torch.dtype or str, optional
        ``torch.float64`` (default) or ``torch.float32``.
    cpu_fused : bool
        On a CPU in float64, hand the work to the numpy backend's fused numba kernel (zero-copy;
        eager torch evaluates ``acos`` with scalar libm and ~15 separate passes per layer, about
        10x slower, see ``benchmarks/ntk_kernel_speed.py``). ``False`` forces the pure torch
        path (used by the tests to check it on a CPU); on a GPU the torch path always runs.
    compile_kernel : bool
        Fuse each block's whole recursion into one kernel with ``torch.compile`` (for GPUs:
        eagerly every layer costs ~15 memory passes over the block; see
        ``benchmarks/ntk_kernel_speed.py --device cuda``). The first call compiles (seconds),
        so it pays off for large n or repeated calls. Off by default.

    Returns
    -------
    K : Tensor, shape (n1, n2), on ``device``, of ``dtype``
    """
    dev = torch.device("cpu" if device is None else device)
    dt = _resolve_dtype(dtype)
    same = X2 is None or X2 is X1
    A = _as_tensor("X1", X1, dev, dt)
    B = A if same else _as_tensor("X2", X2, dev, dt)
    if B.shape[1] != A.shape[1]:
        raise ValueError(
            f"X1 and X2 must have the same number of columns, got {A.shape[1]} and {B.shape[1]}"
        )
    if cpu_fused and dev.type == "cpu" and dt == torch.float64:
        from learnmech.theory.kernels import _FUSED_BLOCK_ROWS, _fused_kernel

        K = _fused_kernel(A.numpy(), None if same else B.numpy(), name=activation, depth=depth,
                          w2=float(sigma_w2), b2=float(sigma_b2), kind=kind,
                          block_rows=block_rows or _FUSED_BLOCK_ROWS)
        return torch.from_numpy(K)
    n1, n2, d = A.shape[0], B.shape[0], A.shape[1]
    if block_rows is None:
        block_rows = _default_block_rows(n2, dev, dt)
    w2, b2 = float(sigma_w2), float(sigma_b2)
    rows = _point_factors(activation, A, depth=depth, w2=w2, b2=b2, kind=kind)
    cols = rows if same else _point_factors(activation, B, depth=depth, w2=w2, b2=b2, kind=kind)
    out = torch.empty((n1, n2), dtype=dt, device=dev)
    kernel = _compiled_block_kernel if compile_kernel else _block_kernel
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        c0 = i0 if same else 0
        block = out[i0:i1, c0:]  # (rows, n2 − c0) view
        if block.is_contiguous():
            torch.matmul(A[i0:i1], B[c0:].T, out=block)  # x·x'
        else:
            block.copy_(A[i0:i1] @ B[c0:].T)
        block.copy_(kernel(block, [f[i0:i1, None] for f in rows.factors],
                           [f[None, c0:] for f in cols.factors], name=activation, d=d, w2=w2,
                           b2=b2, ntk=kind == "ntk", n_layers=depth - 1))
        if same:  # exact K(x, x); lower triangle copied from the upper one
            tile = out[i0:i1, i0:i1]
            tile.diagonal().copy_(rows.diagonal[i0:i1])
            tile.copy_(torch.triu(tile) + torch.triu(tile, 1).T)
            out[i0:i1, :i0] = out[:i0, i0:i1].T
    return out


class _Factors:
    """Per-point factors of every nonlinear layer, each (n,), and the diagonal K(x, x) (n,)."""

    def __init__(self, factors: list[torch.Tensor], diagonal: torch.Tensor) -> None:
        self.factors = factors
        self.diagonal = diagonal


def _point_factors(
    name: str, X: torch.Tensor, *, depth: int, w2: float, b2: float, kind: str
) -> _Factors:
    """Diagonal recursion Σ^l(x, x), in float64 numpy (n scalars per layer), as factors.

    ReLU: ``[q^{-1/2}, q^{1/2}]`` per layer; erf: ``[(1+2q)^{-1/2}]``; linear: none.
    """
    Xn = X.detach().to("cpu", torch.float64).numpy()
    q = w2 * np.einsum("ij,ij->i", Xn, Xn) / Xn.shape[1] + b2
    kw = {"depth": depth, "sigma_w2": w2, "sigma_b2": b2}
    q_layers = _diagonal_layers(name, None, None, q, **kw)[: depth - 1]
    diagonal = _recurse(name, None, None, q_layers, q_layers, q, kind=kind, **kw)
    factors = []
    for ql in q_layers:
        if name == "relu":
            root = np.sqrt(ql)
            factors += [np.divide(1.0, root, out=np.zeros_like(root), where=root > 0), root]
        elif name == "erf":
            factors.append(1.0 / np.sqrt(1.0 + 2.0 * ql))

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=X.dtype, device=X.device)

    return _Factors([tensor(f) for f in factors], tensor(np.asarray(diagonal, np.float64)))


def _block_kernel(
    dot: torch.Tensor, row: list[torch.Tensor], col: list[torch.Tensor], *, name: str, d: int,
    w2: float, b2: float, ntk: bool, n_layers: int,
) -> torch.Tensor:
    """Θ^L (``ntk``) or Σ^L of a block from its inner products ``dot`` = x·x' (rows, cols).

    ``row[k]`` (rows, 1) and ``col[k]`` (1, cols) are the factors of :func:`_point_factors`
    (``per`` of them per layer). Written out of place, as one elementwise program, so that
    :func:`_compiled_block_kernel` can fuse every layer into one pass over the block; eagerly it
    holds at most about six block-sized temporaries.
    """
    sigma = dot * (w2 / d) + b2  # Σ¹ = σ_w² x·x'/d + σ_b²
    theta = sigma if ntk and n_layers > 0 else None  # Θ¹ = Σ¹
    per = {"relu": 2, "erf": 1, "linear": 0}[name]
    for layer in range(n_layers):
        if name == "relu":
            k = per * layer
            sigma, e_dphi = _relu_layer(sigma, row[k], col[k], row[k + 1], col[k + 1], w2, b2)
        elif name == "erf":
            sigma, e_dphi = _erf_layer(sigma, row[layer], col[layer], w2, b2)
        else:
            sigma, e_dphi = sigma * w2 + b2, w2
        if theta is not None:  # Θ ← Σ_new + σ_w² E[φ'φ'] Θ
            theta = sigma + e_dphi * theta
    return sigma if theta is None else theta


def _relu_layer(sigma, fa, fb, ga, gb, w2, b2):
    """(σ_w² E[φφ] + σ_b², σ_w² E[φ'φ']) of one ReLU layer, with c = Σ/√(q1 q2) = Σ fa fb:
    E[φφ] = √q1 √q2 (sin θ + (π − θ) c)/(2π) and E[φ'φ'] = (π − θ)/(2π), θ = arccos c."""
    c = (sigma * fa * fb).clamp(-1.0, 1.0)
    pi_minus_theta = math.pi - torch.acos(c)
    sin_t = torch.sqrt((1.0 - c) * (1.0 + c))
    scale = w2 / (2 * math.pi)
    return scale * (sin_t + pi_minus_theta * c) * ga * gb + b2, scale * pi_minus_theta


def _erf_layer(sigma, fa, fb, w2, b2):
    """(σ_w² (2/π) asin(2Σ f) + σ_b², σ_w² (4/π) f/√(1 − a²)) of one erf layer, with
    f = fa fb = (1+2q1)^{-1/2} (1+2q2)^{-1/2} and a = 2Σ f."""
    f = fa * fb
    arg = (2.0 * sigma * f).clamp(-1.0, 1.0)
    e_dphi = (4.0 * w2 / math.pi) * f / torch.sqrt((1.0 - arg) * (1.0 + arg))
    return (2.0 * w2 / math.pi) * torch.asin(arg) + b2, e_dphi


_COMPILED: dict = {}  # "fn": the compiled _block_kernel, once per process; "failed": a reason


def _compiled_block_kernel(*args, **kwargs) -> torch.Tensor:
    """:func:`_block_kernel` compiled by ``torch.compile`` (one fused kernel per block and
    configuration; dynamic shapes, so the shrinking blocks of a symmetric Gram matrix reuse
    it). The first call per (activation, depth, kind) pays the compile (seconds; inductor
    caches it on disk). Where compiling fails (no compiler, no Triton) it warns once and runs
    the eager function, which gives the same numbers."""
    if "failed" not in _COMPILED:
        try:
            if "fn" not in _COMPILED:
                _COMPILED["fn"] = torch.compile(_block_kernel, dynamic=True)
            return _COMPILED["fn"](*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any backend failure: fall back, say why
            import warnings

            _COMPILED["failed"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            warnings.warn(f"compile_kernel: torch.compile failed ({_COMPILED['failed']}); "
                          "running the eager kernel", RuntimeWarning, stacklevel=3)
    return _block_kernel(*args, **kwargs)


def _resolve_dtype(dtype) -> torch.dtype:
    if dtype is None:
        return torch.float64
    if isinstance(dtype, torch.dtype) and dtype in _DTYPES.values():
        return dtype
    try:
        key = str(np.dtype(dtype)) if not isinstance(dtype, torch.dtype) else ""
    except TypeError:
        key = ""
    if key in _DTYPES:
        return _DTYPES[key]
    raise ValueError(f"dtype must be float64 or float32 for backend='torch', got {dtype!r}")


def _as_tensor(name: str, X, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(X, torch.Tensor):
        if X.ndim != 2 or X.shape[1] < 1:
            raise ValueError(f"{name} must be a 2-D array of shape (n, d), got {tuple(X.shape)}")
        if X.is_complex() or X.dtype == torch.bool:
            raise ValueError(f"{name} must be a real numeric array, got dtype {X.dtype}")
        T = X.detach().to(device=device, dtype=dtype)
        if not bool(torch.isfinite(T).all()):
            raise ValueError(f"{name} must contain only finite values")
        return T.contiguous()
    return torch.as_tensor(_check_matrix(name, X), dtype=dtype, device=device)


def _default_block_rows(n2: int, device: torch.device, dtype: torch.dtype) -> int:
    itemsize = torch.empty((), dtype=dtype).element_size()
    budget = WORK_BYTES // (_N_TEMPORARIES * itemsize * max(n2, 1))
    if device.type == "cpu":
        budget = min(budget, _CPU_BLOCK_ENTRIES // max(n2, 1))
    return max(1, budget)
