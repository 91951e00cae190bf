"""The numpy backend for tabulated activations (tanh, softplus, sigmoid): block by block,
layer by layer, each layer by a Chebyshev surrogate of the table (numba) where one fits.

For a block of rows (all of them up to a 256 MiB working budget) the covariances ``Σ`` live
in a work array and the NTK ``Θ`` in the result itself; only the upper triangle is computed
when ``X2`` is omitted. Each nonlinear layer is one numba pass over the block that

* evaluates the layer map from the block's surrogate
  (:func:`~learnmech.theory.kernels.surrogate.fit`, on the box of the block's variances and of
  the angles its entries take at this layer), ``E_m = G_m √N_m(q1) √N_m(q2)``,
* updates ``Σ ← σ_w² E_0 + σ_b²`` and ``Θ ← Σ + σ_w² E_1 Θ`` in place, and
* records the range of the next layer's correlations (the next box).

Where no surrogate fits, a variance exceeds the table, or the block is small
(:data:`SURROGATE_MIN_ENTRIES`), that layer of that block takes
:func:`~learnmech.theory.kernels.table.table_layer` entry by entry (interpolation, and the
quadrature beyond the table): slower, equally accurate. The diagonal ``K(x, x)`` comes from the
one-dimensional recursion; the result is symmetrised, clipped to
``|K_ij| <= √(K_ii K_jj)`` and flushed of subnormal values as on every other path.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from learnmech.theory.kernels.activations import PAIRS
from learnmech.theory.kernels.fused import acos_fast, mirror_lower
from learnmech.theory.kernels.numerics import TINY, flush_subnormal, safe_div
from learnmech.theory.kernels.recursion import point_diagonals
from learnmech.theory.kernels.surrogate import Surrogate, fit, theta_range, variance_coordinate
from learnmech.theory.kernels.table import table_diagonal, table_layer, table_limit

__all__ = ["WORK_BYTES", "SURROGATE_MIN_ENTRIES", "tabulated_kernel", "layer_points",
           "rho_range", "surrogate_pass", "finish"]

#: Bound on the block's covariance work array.
WORK_BYTES = 256 * 2**20
#: Blocks with fewer entries skip the surrogate (its fit, ~2 ms, costs more than interpolating
#: the table entry by entry, ~0.4 µs an entry); they then equal the layer-by-layer recursion
#: of :mod:`~learnmech.theory.kernels.recursion` to rounding.
SURROGATE_MIN_ENTRIES = 8192
_TILE = 512
_JIT = {"cache": True, "fastmath": {"contract", "nnan", "ninf", "nsz"}, "error_model": "numpy"}


class _Points:
    """Per-point quantities of one layer: ``q``, ``q^{-1/2}``, ``s(q)``, ``√N_0``, ``√N_1``."""

    def __init__(self, name: str, q: np.ndarray):
        self.q = q
        self.inv = safe_div(np.ones_like(q), np.sqrt(q))
        self.s = variance_coordinate(q)
        n0, n1 = table_diagonal(name, q)
        self.root0, self.root1 = np.sqrt(n0), np.sqrt(n1)


def layer_points(name: str, q_layers: list[np.ndarray], depth: int) -> list[_Points]:
    """:class:`_Points` of every nonlinear layer (``depth − 1`` of them)."""
    return [_Points(name, np.asarray(q_layers[lay], np.float64)) for lay in range(depth - 1)]


@njit(**_JIT)
def rho_range(S, same, r_off, inv_r, inv_c):
    """(min, max) of the correlations ``S[r, j] inv_r[r] inv_c[j]`` over the computed entries
    (``j >= r + r_off`` when ``same``), the diagonal ``j = r + r_off`` excluded."""
    lo = 1.0
    hi = -1.0
    for r in range(S.shape[0]):
        start = r + r_off if same else 0
        for j in range(start, S.shape[1]):
            if same and j == start:
                continue
            c = min(max(S[r, j] * inv_r[r] * inv_c[j], -1.0), 1.0)
            lo = min(lo, c)
            hi = max(hi, c)
    return lo, hi


@njit(**_JIT)
def surrogate_pass(S, Th, ntk, same, r_off, coef, t_row, t_col, x_mid, x_half, inv_r, inv_c,
                   n0_r, n0_c, n1_r, n1_c, w2, b2, next_r, next_c):
    """One layer on the block ``S`` (rows, cols) in place (``Th`` too if ``ntk``), from the
    monomial surrogate ``coef`` (2, m1, m2, p) in ``t_row``/``t_col`` (per point) and
    ``x = (θ − x_mid)/x_half``; returns the (min, max) of the next layer's correlations
    ``S_new next_r next_c`` over the computed entries, diagonal excluded."""
    rows, cols = S.shape
    m1, m2, npow = coef.shape[1], coef.shape[2], coef.shape[3]
    R0 = np.empty((m2, npow))
    R1 = np.empty((m2, npow))
    x = np.empty(_TILE)
    y0 = np.empty(_TILE)
    y1 = np.empty(_TILE)
    g0 = np.empty(_TILE)
    g1 = np.empty(_TILE)
    lo = 1.0
    hi = -1.0
    for r in range(rows):
        tr = t_row[r]
        for b in range(m2):  # contract the row's variance: R[b, c] = Σ_a tr^a coef[a, b, c]
            for c in range(npow):
                acc0 = coef[0, m1 - 1, b, c]
                acc1 = coef[1, m1 - 1, b, c]
                for a in range(m1 - 2, -1, -1):
                    acc0 = acc0 * tr + coef[0, a, b, c]
                    acc1 = acc1 * tr + coef[1, a, b, c]
                R0[b, c] = acc0
                R1[b, c] = acc1
        start = r + r_off if same else 0
        ir = inv_r[r]
        for j0 in range(start, cols, _TILE):
            m = min(_TILE, cols - j0)
            srow = S[r, j0:j0 + m]
            icol = inv_c[j0:j0 + m]
            tcol = t_col[j0:j0 + m]
            for j in range(m):
                c = min(max(srow[j] * ir * icol[j], -1.0), 1.0)
                x[j] = min(max((acos_fast(c) - x_mid) / x_half, -1.0), 1.0)
                g0[j] = 0.0
                g1[j] = 0.0
            for b in range(m2 - 1, -1, -1):
                top0 = R0[b, npow - 1]
                top1 = R1[b, npow - 1]
                for j in range(m):
                    y0[j] = top0
                    y1[j] = top1
                c = npow - 2
                while c >= 3:  # four Horner steps per pass over the tile
                    k0a, k0b, k0c, k0d = R0[b, c], R0[b, c - 1], R0[b, c - 2], R0[b, c - 3]
                    k1a, k1b, k1c, k1d = R1[b, c], R1[b, c - 1], R1[b, c - 2], R1[b, c - 3]
                    for j in range(m):
                        xj = x[j]
                        y0[j] = (((y0[j] * xj + k0a) * xj + k0b) * xj + k0c) * xj + k0d
                        y1[j] = (((y1[j] * xj + k1a) * xj + k1b) * xj + k1c) * xj + k1d
                    c -= 4
                while c >= 0:
                    k0 = R0[b, c]
                    k1 = R1[b, c]
                    for j in range(m):
                        y0[j] = y0[j] * x[j] + k0
                        y1[j] = y1[j] * x[j] + k1
                    c -= 1
                for j in range(m):
                    g0[j] = g0[j] * tcol[j] + y0[j]
                    g1[j] = g1[j] * tcol[j] + y1[j]
            a0 = w2 * n0_r[r]
            a1 = w2 * n1_r[r]
            n0 = n0_c[j0:j0 + m]
            n1 = n1_c[j0:j0 + m]
            if ntk:
                trow = Th[r, j0:j0 + m]
                for j in range(m):
                    s_new = a0 * g0[j] * n0[j] + b2
                    trow[j] = s_new + a1 * g1[j] * n1[j] * trow[j]
                    srow[j] = s_new
            else:
                for j in range(m):
                    srow[j] = a0 * g0[j] * n0[j] + b2
            nxt = next_c[j0:j0 + m]
            nr = next_r[r]
            skip = 1 if (same and j0 == start) else 0  # the diagonal entry
            for j in range(skip, m):
                c = srow[j] * nr * nxt[j]
                lo = min(lo, c)
                hi = max(hi, c)
    return lo, hi


@njit(**_JIT)
def finish(out, same, root_r, root_c, diag):
    """Clip ``out`` to ``|K_ij| <= root_r[i] root_c[j]``, flush subnormal values to 0 and, if
    ``same``, write the exact diagonal and mirror the upper triangle into the lower one."""
    n1, n2 = out.shape
    for i in range(n1):
        start = i if same else 0
        row = out[i, start:]
        roots = root_c[start:]
        ri = root_r[i]
        for j in range(row.shape[0]):
            bound = ri * roots[j]
            value = min(max(row[j], -bound), bound)
            row[j] = value if abs(value) >= TINY else 0.0
        if same:
            out[i, i] = diag[i]
    if same:
        mirror_lower(out, 0, n1)


def _fit_block(name: str, rows: _Points, cols: _Points, rho: tuple[float, float]
               ) -> Surrogate | None:
    """The block's surrogate, or None (variances beyond the table, or no fit)."""
    limit = table_limit(name)
    if rows.q.max() > limit or cols.q.max() > limit:
        return None
    lo, hi = rho if rho[0] <= rho[1] else (1.0, 1.0)
    return fit(name, (float(rows.q.min()), float(rows.q.max())),
               (float(cols.q.min()), float(cols.q.max())), theta_range(lo, hi))


def _entrywise_layer(name, S, Th, ntk, same, r_off, rows, cols, w2, b2, next_r, next_c):
    """One layer by :func:`~.table.table_layer` on the whole block; the next correlation range
    over the computed entries."""
    e0, e1 = table_layer(name, rows.q[:, None], cols.q[None, :], S)
    s_new = w2 * e0 + b2
    if ntk:
        Th *= w2 * e1
        Th += s_new
    S[...] = s_new
    return rho_range(S, same, r_off, next_r, next_c)


def tabulated_kernel(
    A: np.ndarray, B: np.ndarray | None, *, name: str, depth: int, w2: float, b2: float,
    kind: str, block_rows: int | None = None,
) -> np.ndarray:
    """Kernel (n1, n2) of ``A`` (n1, d) and ``B`` (n2, d) (``B is None``: ``B = A``) for a
    tabulated activation ``name``. Refuses (:class:`~learnmech.core.errors.InputError`)
    kernels that overflow float64 and variances beyond the quadrature's range."""
    same = B is None
    B = A if same else B
    n1, n2, d = A.shape[0], B.shape[0], A.shape[1]
    phi, dphi = PAIRS[name]
    kw = {"name": name, "phi": phi, "dphi": dphi, "depth": depth, "w2": w2, "b2": b2,
          "kind": kind}
    rows_diag = point_diagonals("X1", A, **kw)
    cols_diag = rows_diag if same else point_diagonals("X2", B, **kw)
    row_pts = layer_points(name, rows_diag.q_layers, depth)
    col_pts = row_pts if same else layer_points(name, cols_diag.q_layers, depth)
    ntk = kind == "ntk"
    out = np.empty((n1, n2))
    if block_rows is None:
        block_rows = max(1, min(n1, WORK_BYTES // (8 * max(n2, 1))))
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        c0 = i0 if same else 0
        S = A[i0:i1] @ B[c0:].T
        S *= w2 / d
        S += b2
        Th = out[i0:i1, c0:]
        if ntk:
            Th[...] = S
        _run_layers(name, S, Th, ntk, same, i0 - c0, i0, c0, row_pts, col_pts, w2, b2)
        if not ntk:
            Th[...] = S  # the NNGP Σ^L
    row_kernel = flush_subnormal(np.array(rows_diag.kernel, np.float64))
    col_kernel = row_kernel if same else flush_subnormal(np.array(cols_diag.kernel, np.float64))
    finish(out, same, np.sqrt(row_kernel), np.sqrt(col_kernel), row_kernel)
    return out


def _run_layers(name, S, Th, ntk, same, r_off, i0, c0, row_pts, col_pts, w2, b2):
    """Every nonlinear layer on one block (rows from ``i0``, columns from ``c0``)."""
    i1 = i0 + S.shape[0]
    if not row_pts:
        return
    first_r, first_c = row_pts[0], col_pts[0]
    rho = rho_range(S, same, r_off, first_r.inv[i0:i1], first_c.inv[c0:])
    for lay, (rp, cp) in enumerate(zip(row_pts, col_pts, strict=True)):
        rows, cols = _slice(rp, i0, i1), _slice(cp, c0, None)
        last = lay + 1 == len(row_pts)
        next_r = np.zeros(S.shape[0]) if last else row_pts[lay + 1].inv[i0:i1]
        next_c = np.zeros(S.shape[1]) if last else col_pts[lay + 1].inv[c0:]
        sur = None if S.size < SURROGATE_MIN_ENTRIES else _fit_block(name, rows, cols, rho)
        if sur is None:
            rho = _entrywise_layer(name, S, Th, ntk, same, r_off, rows, cols, w2, b2, next_r,
                                   next_c)
            continue
        t_row = (rows.s - sur.rows[0]) / sur.rows[1]
        t_col = (cols.s - sur.cols[0]) / sur.cols[1]
        rho = surrogate_pass(S, Th, ntk, same, r_off, sur.coef, t_row, t_col, sur.theta[0],
                             sur.theta[1], rows.inv, cols.inv, rows.root0, cols.root0,
                             rows.root1, cols.root1, w2, b2, next_r, next_c)


def _slice(points: _Points, start: int, stop: int | None) -> _Points:
    view = object.__new__(_Points)
    for key in ("q", "inv", "s", "root0", "root1"):
        setattr(view, key, np.ascontiguousarray(getattr(points, key)[start:stop]))
    return view

