"""Torch backend of :func:`learnmech.theory.kernels.fc_kernel` (every named activation).

Same recursion and conventions as :mod:`learnmech.theory.kernels` (NTK parameterisation, the
first layer divides ``x·x'`` by ``d``, depth = number of dense layers); the per-layer formulas
are written with the per-point factors of
:func:`~learnmech.theory.kernels.closed_forms.layer_factors` exactly as in
:mod:`learnmech.theory.kernels.fused`, so the two backends agree to rounding (1e-12 relative in
float64, checked in ``tests/theory/test_kernels_torch.py``).

Memory: the result ``(n1, n2)`` lives on ``device``; each row block holds at most seven
``(block_rows, n2)`` temporaries, and the default ``block_rows`` keeps them under
:data:`WORK_BYTES` (256 MiB), so ``n = 50,000`` in float64 needs the 18.6 GiB result plus
≤ 0.3 GiB — it fits a 24 GiB GPU. With ``X2`` omitted only blocks on and above the diagonal
are computed and the lower triangle is copied from them (exactly symmetric, half the work).

Tabulated activations (tanh, softplus, sigmoid) run the scheme of
:mod:`learnmech.theory.kernels.tabulated` in torch ops (:func:`_tabulated_torch`): each block's
surrogate is fitted on the CPU (a few hundred table samples) and evaluated on ``device`` by
Horner's rule; a block without a surrogate takes the table entry by entry on the CPU.

This module imports torch at load; the dispatcher :mod:`learnmech.theory.kernels` imports it
only when ``backend="torch"`` is asked for. It imports the recursion and the fused backend,
never the dispatcher.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from learnmech.theory._validate import fail
from learnmech.theory.kernels.activations import TABULATED
from learnmech.theory.kernels.closed_forms import layer_factors
from learnmech.theory.kernels.recursion import check_matrix, point_diagonals

__all__ = ["fc_kernel_torch", "WORK_BYTES", "N_TEMPORARIES", "default_block_rows"]

#: Bound on the bytes of per-block temporaries (seven (block_rows, n2) arrays).
WORK_BYTES = 256 * 2**20
# On a CPU smaller blocks stay in cache: about this many entries per block.
_CPU_BLOCK_ENTRIES = 1 << 16
#: Block-sized temporaries a row block holds at most (eager evaluation).
N_TEMPORARIES = 7
_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def fc_kernel_torch(
    X1, X2=None, *, depth: int, activation: str, sigma_w2: float, sigma_b2: float, kind: str,
    block_rows: int | None = None, device=None, dtype=None, cpu_fused: bool = True,
    compile_kernel: bool = False,
) -> torch.Tensor:
    """NNGP (``kind="nngp"``) or NTK Gram matrix of a depth-``depth`` network, in torch.

    Called by :func:`~learnmech.theory.kernels.fc_kernel` with ``backend="torch"``, which
    validates ``depth``, the variances, ``kind`` and ``activation`` (a closed form: ``"relu"``,
    ``"erf"``, ``"gelu"``, ``"linear"``; the tabulated ones go to
    :func:`_tabulated_torch`).

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
        raise fail("X2", f"of shape (n2, {A.shape[1]}): the same number of columns as X1",
                   got=f"shape {tuple(B.shape)}")
    if activation in TABULATED:
        return _tabulated_torch(A, None if same else B, name=activation, depth=depth,
                                w2=float(sigma_w2), b2=float(sigma_b2), kind=kind,
                                block_rows=block_rows, cpu_fused=cpu_fused)
    if cpu_fused and dev.type == "cpu" and dt == torch.float64:
        from learnmech.theory.kernels.fused import FUSED_BLOCK_ROWS, fused_kernel

        K = fused_kernel(A.numpy(), None if same else B.numpy(), name=activation, depth=depth,
                         w2=float(sigma_w2), b2=float(sigma_b2), kind=kind,
                         block_rows=block_rows or FUSED_BLOCK_ROWS)
        return torch.from_numpy(K)
    n1, n2, d = A.shape[0], B.shape[0], A.shape[1]
    if block_rows is None:
        block_rows = default_block_rows(n2, dev, dt)
    w2, b2 = float(sigma_w2), float(sigma_b2)
    kw = {"depth": depth, "w2": w2, "b2": b2, "kind": kind}
    rows = _point_factors("X1", activation, A, **kw)
    cols = rows if same else _point_factors("X2", activation, B, **kw)
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
        block.copy_(kernel(block, rows.factors[:, :, i0:i1, None],
                           cols.factors[:, :, None, c0:], rows.root[i0:i1, None],
                           cols.root[None, c0:], name=activation, d=d, w2=w2, b2=b2,
                           ntk=kind == "ntk", n_layers=depth - 1))
        if same:  # exact K(x, x); lower triangle copied from the upper one
            tile = out[i0:i1, i0:i1]
            tile.diagonal().copy_(rows.diagonal[i0:i1])
            tile.copy_(torch.triu(tile) + torch.triu(tile, 1).T)
            out[i0:i1, :i0] = out[:i0, i0:i1].T
    return out


class _Factors:
    """Per-point factors ``(L − 1, k, n)`` of every nonlinear layer, the diagonal K(x, x) (n,)
    and its square root (n,)."""

    def __init__(self, factors: torch.Tensor, diagonal: torch.Tensor, root: torch.Tensor):
        self.factors = factors
        self.diagonal = diagonal
        self.root = root


def _point_factors(
    arg: str, name: str, X: torch.Tensor, *, depth: int, w2: float, b2: float, kind: str
) -> _Factors:
    """Diagonal recursion Σ^l(x, x), in float64 numpy (n scalars per layer), as factors.

    The factors are :func:`~learnmech.theory.kernels.closed_forms.layer_factors`; a kernel
    that overflows ``X.dtype`` is refused (:func:`~.recursion.point_diagonals`, naming ``arg``).
    """
    Xn = X.detach().to("cpu", torch.float64).numpy()
    diag = point_diagonals(arg, Xn, name=name, phi=None, dphi=None, depth=depth, w2=w2, b2=b2,
                           kind=kind, limit=float(torch.finfo(X.dtype).max),
                           dtype_name=str(X.dtype).removeprefix("torch."))
    factors = layer_factors(name, diag.q_layers[: depth - 1], Xn.shape[0])

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=X.dtype, device=X.device)

    kernel = np.asarray(diag.kernel, np.float64).copy()
    kernel[kernel < float(torch.finfo(X.dtype).tiny)] = 0.0  # as the block results
    return _Factors(tensor(factors), tensor(kernel), tensor(np.sqrt(kernel)))


def _block_kernel(
    dot: torch.Tensor, row: torch.Tensor, col: torch.Tensor, row_root: torch.Tensor,
    col_root: torch.Tensor, *, name: str, d: int, w2: float, b2: float, ntk: bool,
    n_layers: int,
) -> torch.Tensor:
    """Θ^L (``ntk``) or Σ^L of a block from its inner products ``dot`` = x·x' (rows, cols).

    ``row`` (L − 1, k, rows, 1) and ``col`` (L − 1, k, 1, cols) are the factors of
    :func:`_point_factors`; the result is clipped to ``±row_root col_root`` (``√K(x, x)``,
    shapes (rows, 1) and (1, cols)) and its subnormal values set to 0. Written out of place,
    as one elementwise program, so that :func:`_compiled_block_kernel` can fuse every layer
    into one pass over the block; eagerly it holds at most about six block-sized temporaries.
    """
    sigma = dot * (w2 / d) + b2  # Σ¹ = σ_w² x·x'/d + σ_b²
    theta = sigma if ntk and n_layers > 0 else None  # Θ¹ = Σ¹
    for layer in range(n_layers):
        r, c = row[layer], col[layer]
        if name == "relu":
            sigma, e_dphi = _relu_layer(sigma, r[0], c[0], r[1], c[1], w2, b2)
        elif name == "erf":
            sigma, e_dphi = _erf_layer(sigma, r, c, w2, b2)
        elif name == "gelu":
            sigma, e_dphi = _gelu_layer(sigma, r, c, w2, b2)
        else:
            sigma, e_dphi = sigma * w2 + b2, w2
        if theta is not None:  # Θ ← Σ_new + σ_w² E[φ'φ'] Θ
            theta = sigma + e_dphi * theta
    bound = row_root * col_root  # |K(x, x')| <= √K(x, x) √K(x', x')
    K = torch.minimum(torch.maximum(sigma if theta is None else theta, -bound), bound)
    return torch.where(K.abs() < torch.finfo(K.dtype).tiny, 0.0, K)  # flush subnormals


def _relu_layer(sigma, fa, fb, ga, gb, w2, b2):
    """(σ_w² E[φφ] + σ_b², σ_w² E[φ'φ']) of one ReLU layer, with c = Σ/√(q1 q2) = Σ fa fb:
    E[φφ] = √q1 √q2 (sin θ + (π − θ) c)/(2π) and E[φ'φ'] = (π − θ)/(2π), θ = arccos c."""
    c = (sigma * fa * fb).clamp(-1.0, 1.0)
    pi_minus_theta = math.pi - torch.acos(c)
    sin_t = torch.sqrt((1.0 - c) * (1.0 + c))
    scale = w2 / (2 * math.pi)
    return scale * (sin_t + pi_minus_theta * c) * ga * gb + b2, scale * pi_minus_theta


def _erf_layer(sigma, r, c, w2, b2):
    """(σ_w² (2/π) asin a + σ_b², σ_w² E[φ'φ']) of one erf layer in the cancellation-free form
    of :mod:`~learnmech.theory.kernels.closed_forms`: ``r``, ``c`` hold ``(q^{-1/2}, √α, α, h)``
    of the rows and columns; correlation ``ρ = Σ q1^{-1/2} q2^{-1/2}``, ``a = ρ h1 h2``,
    ``1 − a² = α1 + α2 − α1 α2 + (h1 h2)² (1 − ρ)(1 + ρ)``,
    ``E[φ'φ'] = (4/π) √α1 √α2 / √(1 − a²)``."""
    rho = (sigma * r[0] * c[0]).clamp(-1.0, 1.0)
    hh = r[3] * c[3]
    one_minus_a2 = r[2] + c[2] - r[2] * c[2] + hh * hh * ((1.0 - rho) * (1.0 + rho))
    e_dphi = (4.0 * w2 / math.pi) * (r[1] * c[1]) / torch.sqrt(one_minus_a2)
    return (2.0 * w2 / math.pi) * torch.asin(rho * hh) + b2, e_dphi


def _gelu_layer(sigma, r, c, w2, b2):
    """(σ_w² E[φφ] + σ_b², σ_w² E[φ'φ']) of one GELU layer
    (:func:`~learnmech.theory.kernels.closed_forms.gelu_moments`): ``r``, ``c`` hold
    ``(q^{-1/2}, √q, α, √α, h)`` of the rows and columns."""
    rho = (sigma * r[0] * c[0]).clamp(-1.0, 1.0)
    norm = r[1] * c[1]
    hh = r[4] * c[4]
    a = rho * hh
    omega = r[2] + c[2] - r[2] * c[2] + hh * hh * ((1.0 - rho) * (1.0 + rho))
    root = torch.sqrt(omega)
    arc = torch.asin(a) / (2 * math.pi)
    e_phi = norm * rho * (0.25 + arc) + (norm * hh * omega + a * a * (r[3] * c[3])) / (
        2 * math.pi * root)
    e_dphi = 0.25 + arc + a * ((r[2] + c[2]) + r[2] * c[2] / omega) / (2 * math.pi * root)
    return w2 * e_phi + b2, w2 * e_dphi


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
    raise fail("dtype", "float64 or float32 for backend='torch'", dtype)


def _as_tensor(name: str, X, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(X, torch.Tensor):
        if X.ndim != 2 or X.shape[1] < 1:
            raise fail(name, "a finite real array of shape (n, d)",
                       got=f"shape {tuple(X.shape)}")
        if X.is_complex() or X.dtype == torch.bool:
            raise fail(name, "a finite real array of shape (n, d)", got=f"dtype {X.dtype}")
        T = X.detach().to(device=device, dtype=dtype)
        if not bool(torch.isfinite(T).all()):
            raise fail(name, "a finite real array of shape (n, d)",
                       got="non-finite entries (NaN or inf)")
        return T.contiguous()
    return torch.as_tensor(check_matrix(name, X), dtype=dtype, device=device)


def default_block_rows(n2: int, device: torch.device, dtype: torch.dtype) -> int:
    """Rows per block so that :data:`N_TEMPORARIES` blocks of ``n2`` columns fit
    :data:`WORK_BYTES` (on a CPU also about ``_CPU_BLOCK_ENTRIES`` entries); at least 1."""
    itemsize = torch.empty((), dtype=dtype).element_size()
    budget = WORK_BYTES // (N_TEMPORARIES * itemsize * max(n2, 1))
    if device.type == "cpu":
        budget = min(budget, _CPU_BLOCK_ENTRIES // max(n2, 1))
    return max(1, budget)


# --------------------------------------------------------------------------------------------
# tabulated activations
# --------------------------------------------------------------------------------------------


def _tabulated_torch(A: torch.Tensor, B: torch.Tensor | None, *, name: str, depth: int,
                     w2: float, b2: float, kind: str, block_rows: int | None,
                     cpu_fused: bool) -> torch.Tensor:
    """Tabulated activation ``name`` (:mod:`~learnmech.theory.kernels.tabulated`) in torch;
    ``A`` (n1, d) and ``B`` (n2, d) already on their device and dtype (``B`` None: ``B = A``).
    On a CPU in float64 with ``cpu_fused`` the numpy backend does the work (zero-copy)."""
    from learnmech.theory.kernels.activations import PAIRS
    from learnmech.theory.kernels.tabulated import layer_points, tabulated_kernel

    dev, dt = A.device, A.dtype
    same = B is None
    if cpu_fused and dev.type == "cpu" and dt == torch.float64:
        return torch.from_numpy(tabulated_kernel(
            A.numpy(), None if same else B.numpy(), name=name, depth=depth, w2=w2, b2=b2,
            kind=kind, block_rows=block_rows))
    B = A if same else B
    n1, n2, d = A.shape[0], B.shape[0], A.shape[1]
    phi, dphi = PAIRS[name]
    kw = {"name": name, "phi": phi, "dphi": dphi, "depth": depth, "w2": w2, "b2": b2,
          "kind": kind, "limit": float(torch.finfo(dt).max),
          "dtype_name": str(dt).removeprefix("torch.")}
    An = A.detach().to("cpu", torch.float64).numpy()
    rows_diag = point_diagonals("X1", An, **kw)
    cols_diag = rows_diag if same else point_diagonals(
        "X2", B.detach().to("cpu", torch.float64).numpy(), **kw)
    row_pts = layer_points(name, rows_diag.q_layers, depth)
    col_pts = row_pts if same else layer_points(name, cols_diag.q_layers, depth)
    if block_rows is None:
        block_rows = default_block_rows(n2, dev, dt)
    out = torch.empty((n1, n2), dtype=dt, device=dev)
    tiny = float(torch.finfo(dt).tiny)
    row_k = np.asarray(rows_diag.kernel, np.float64)
    col_k = row_k if same else np.asarray(cols_diag.kernel, np.float64)
    row_k, col_k = np.where(row_k < tiny, 0.0, row_k), np.where(col_k < tiny, 0.0, col_k)

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=dev)

    root_r, root_c, diag = tensor(np.sqrt(row_k)), tensor(np.sqrt(col_k)), tensor(row_k)
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        c0 = i0 if same else 0
        S = (A[i0:i1] @ B[c0:].T) * (w2 / d) + b2
        mask = _computed(i1 - i0, n2 - c0, same, dev)
        K = _tabulated_block(name, S, mask, row_pts, col_pts, i0, c0, w2, b2, kind == "ntk",
                             tensor)
        bound = root_r[i0:i1, None] * root_c[None, c0:]
        K = torch.minimum(torch.maximum(K, -bound), bound)
        out[i0:i1, c0:] = torch.where(K.abs() < tiny, 0.0, K)
        if same:
            tile = out[i0:i1, i0:i1]
            tile.diagonal().copy_(diag[i0:i1])
            tile.copy_(torch.triu(tile) + torch.triu(tile, 1).T)
            out[i0:i1, :i0] = out[:i0, i0:i1].T
    return out


def _computed(rows: int, cols: int, same: bool, dev: torch.device) -> torch.Tensor | None:
    """Entries of a block whose correlations bound the surrogate's box: for a symmetric
    kernel those strictly above the diagonal (None: all)."""
    if not same:
        return None
    return torch.ones((rows, cols), dtype=torch.bool, device=dev).triu(1)


def _corr_range(S, inv_r, inv_c, mask) -> tuple[float, float]:
    rho = (S * inv_r[:, None] * inv_c[None, :]).clamp(-1.0, 1.0)
    if mask is not None:
        rho = rho[mask]
    if rho.numel() == 0:
        return 1.0, -1.0
    lo, hi = torch.aminmax(rho)
    return float(lo), float(hi)


def _tabulated_block(name, S, mask, row_pts, col_pts, i0, c0, w2, b2, ntk, tensor):
    """Every nonlinear layer on one block ``S`` (rows, cols) of covariances; returns Θ^L (or
    Σ^L if not ``ntk``)."""
    from learnmech.theory.kernels.tabulated import SURROGATE_MIN_ENTRIES, _fit_block, _slice

    theta = S.clone() if ntk else None
    i1 = i0 + S.shape[0]
    for rp, cp in zip(row_pts, col_pts, strict=True):
        rows, cols = _slice(rp, i0, i1), _slice(cp, c0, None)
        inv_r, inv_c = tensor(rows.inv), tensor(cols.inv)
        sur = None if S.numel() < SURROGATE_MIN_ENTRIES else _fit_block(
            name, rows, cols, _corr_range(S, inv_r, inv_c, mask))
        if sur is None:
            e0, e1 = _entrywise_torch(name, S, rows, cols, tensor)
        else:
            g0, g1 = _surrogate_torch(sur, S, inv_r, inv_c, rows, cols, tensor)
            e0 = g0 * tensor(rows.root0)[:, None] * tensor(cols.root0)[None, :]
            e1 = g1 * tensor(rows.root1)[:, None] * tensor(cols.root1)[None, :]
        S = w2 * e0 + b2
        if theta is not None:
            theta = S + w2 * e1 * theta
    return S if theta is None else theta


def _entrywise_torch(name, S, rows, cols, tensor):
    """The table entry by entry (on the CPU, in float64) for a block without a surrogate."""
    from learnmech.theory.kernels.table import table_layer

    e0, e1 = table_layer(name, rows.q[:, None], cols.q[None, :],
                         S.detach().to("cpu", torch.float64).numpy())
    return tensor(e0), tensor(e1)


def _surrogate_torch(sur, S, inv_r, inv_c, rows, cols, tensor):
    """``(G_0, G_1)`` of the block from its surrogate: the rows' variance contracted first,
    then Horner's rule in the angle and in the columns' variance, as torch ops."""
    t_row = tensor((rows.s - sur.rows[0]) / sur.rows[1])
    t_col = tensor((cols.s - sur.cols[0]) / sur.cols[1])
    coef = tensor(sur.coef)  # (2, m1, m2, p)
    m1 = coef.shape[1]
    powers = t_row[:, None] ** torch.arange(m1, device=t_row.device, dtype=t_row.dtype)
    contracted = torch.einsum("ra,oabc->orbc", powers, coef)  # (2, rows, m2, p)
    rho = (S * inv_r[:, None] * inv_c[None, :]).clamp(-1.0, 1.0)
    x = ((torch.acos(rho) - sur.theta[0]) / sur.theta[1]).clamp(-1.0, 1.0)
    out = []
    for o in range(2):
        g = torch.zeros_like(x)
        for b in range(contracted.shape[2] - 1, -1, -1):
            y = contracted[o, :, b, -1, None].expand_as(x).clone()
            for c in range(contracted.shape[3] - 2, -1, -1):
                y = torch.addcmul(contracted[o, :, b, c, None], y, x)
            g = torch.addcmul(y, g, t_col[None, :])
        out.append(g)
    return out[0], out[1]
