"""Tabulated layer maps of tanh, softplus and sigmoid: built once, cached, interpolated.

What is tabulated
-----------------
For an activation ``φ`` and ``m = 0, 1`` the layer map ``F_m(q1, q2, θ) = E[φ⁽ᵐ⁾(u) φ⁽ᵐ⁾(v)]``
(``Var u = q1``, ``Var v = q2``, correlation ``cos θ``) divided by the diagonal values,

    G_m(q1, q2, θ) = F_m(q1, q2, θ) / √(N_m(q1) N_m(q2)),    N_m(q) = E[φ⁽ᵐ⁾(√q z)²],

which lies in ``[−1, 1]`` and stays smooth as ``q → 0`` (where ``F_0`` of tanh vanishes like
``q``). ``G_m`` is stored on a grid in

* ``s = log(√q + 0.3)`` for each variance, :data:`N_Q` = 56 nodes on ``0 <= q <= Q_TABLE``
  (the layer map is smooth in ``√q``, not in ``q``: softplus' ``E[φφ]`` has a ``√q1`` term;
  and only Gevrey-smooth at ``q = 0``, so nodes crowd there) — quintic Lagrange interpolation;
* ``η = log((1 + κθ)/(1 + κ(π − θ)))``, ``κ = 10``, :data:`N_THETA` = 88 nodes on
  ``0 <= θ <= π`` (at ``q = 100`` the map changes on ``θ ~ 1/√q`` near ``θ = 0`` and ``π``) —
  quintic Hermite interpolation from the values and the first two ``η``-derivatives, which
  Price's theorem gives exactly: ``∂F_m/∂θ = −√(q1 q2) sin θ F_{m+1}`` and
  ``∂²F_m/∂θ² = −√(q1 q2) cos θ F_{m+1} + q1 q2 sin²θ F_{m+2}``;

six numbers per node, 56 × 56 × 88 × 6 float64 = 13 MiB per activation. The diagonal values
``N_m(q)`` come from a fine one-dimensional table (1024 nodes in ``s``, quintic) of
``N_m(q)/(φ⁽ᵐ⁾(0)² + φ⁽ᵐ⁺¹⁾(0)² q)``, which keeps their relative accuracy as ``q → 0``.

Every node value is computed by the nested rule of
:mod:`~learnmech.theory.kernels.quadrature` (≤ 2e-13 relative), with the outer integral shared
by all ``q1`` (one matrix product per node pair), in about a second per activation. Sigmoid
needs no table of its own: ``σ(x) = ½ + ½ tanh(x/2)`` gives ``F_0 = ¼ + ¼ F_0^{tanh}(q1/4,
q2/4, θ)`` and ``F_1 = F_1^{tanh}(q1/4, q2/4, θ)/16`` exactly, so its table reaches ``q = 400``.

Error bound (stated, and checked in ``tests/theory/test_kernels_tabulated.py`` against the
quadrature at random points): ``|F_m − F̂_m| <= 1e-7 √(N_m(q1) N_m(q2))`` (:data:`TABLE_ERROR`)
for every ``q1, q2 <= Q_TABLE`` (``4 Q_TABLE`` for sigmoid) and every correlation. Measured
over 3000 random points per activation (a tenth with ``q1 < 0.05``, half with correlations
within 1e-8…1 of ±1): at most 2.4e-8, median 1e-9.

Cache
-----
A table lives in memory once built and on disk under ``$LEARNMECH_CACHE_DIR`` (default
``$XDG_CACHE_HOME/learnmech`` or ``~/.cache/learnmech``) as ``kernel-table-<name>-<key>.npz``,
the key a hash of every grid parameter; an unreadable, stale or mismatched file is rebuilt, an
unwritable directory only costs the rebuild next time. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numba import njit

from learnmech.theory.kernels.activations import FAMILIES, TABULATED
from learnmech.theory.kernels.numerics import safe_div
from learnmech.theory.kernels.quadrature import (
    conditional_moments,
    diagonal_moments,
    nodes_for,
    outer_rule,
    pair_moments,
)

__all__ = ["TABULATED", "Q_TABLE", "N_Q", "N_THETA", "TABLE_ERROR", "LayerTable", "get_table",
           "table_limit", "table_moments", "table_diagonal", "table_layer", "cache_dir"]

#: Largest variance in the base tables (tanh, softplus).
Q_TABLE = 100.0
#: Grid sizes in each variance and in the angle.
N_Q, N_THETA = 56, 88
#: The stated bound on ``|F − F̂| / √(N(q1) N(q2))`` inside the tables.
TABLE_ERROR = 1e-7

_R0 = 0.3
_KAPPA = 10.0
_N_NORM = 1024
_Q_EPS = 1e-24  # variance at which the q = 0 node is evaluated (tanh's F_0/N_0 is 0/0 there)
_VERSION = 2
_BASE = {"tanh": ("tanh", 1.0), "softplus": ("softplus", 1.0), "sigmoid": ("tanh", 0.25)}

_S0 = math.log(_R0)
_HS = (math.log(math.sqrt(Q_TABLE) + _R0) - _S0) / (N_Q - 1)
_HS_NORM = (math.log(math.sqrt(Q_TABLE) + _R0) - _S0) / (_N_NORM - 1)
_E0 = math.log(1.0 / (1.0 + _KAPPA * math.pi))
_HE = -2.0 * _E0 / (N_THETA - 1)


class LayerTable(NamedTuple):
    """One activation's table (module docstring)."""

    #: ``G_m`` and its first two η-derivatives, shape ``(N_Q, N_Q, N_THETA, 6)``:
    #: ``[G_0, G_0', G_0'', G_1, G_1', G_1'']``.
    values: np.ndarray
    #: ``N_m(q)/D_m(q)`` on the fine grid, shape ``(2, 1024)``.
    ratio: np.ndarray
    #: ``D_m(q) = d[m, 0] + d[m, 1] q``, shape ``(2, 2)``.
    leading: np.ndarray


# --------------------------------------------------------------------------------------------
# coordinates
# --------------------------------------------------------------------------------------------


def _q_of_s(s: np.ndarray) -> np.ndarray:
    return (np.exp(s) - _R0) ** 2


def _theta_of_eta(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(θ, dθ/dη, d²θ/dη²)`` for the inverse of ``η = log((1 + κθ)/(1 + κ(π − θ)))``."""
    e = np.exp(eta)
    p1 = 2.0 + _KAPPA * math.pi
    theta = (e * (1.0 + _KAPPA * math.pi) - 1.0) / (_KAPPA * (1.0 + e))
    return (np.clip(theta, 0.0, math.pi), p1 * e / (_KAPPA * (1.0 + e) ** 2),
            p1 * e * (1.0 - e) / (_KAPPA * (1.0 + e) ** 3))


# --------------------------------------------------------------------------------------------
# building and caching
# --------------------------------------------------------------------------------------------


def _leading(name: str) -> np.ndarray:
    """``D_m(q) = φ⁽ᵐ⁾(0)² + φ⁽ᵐ⁺¹⁾(0)² q`` coefficients, shape (2, 2)."""
    at0 = [float(v[0]) for v in FAMILIES[name](np.zeros(1))]
    return np.array([[at0[0] ** 2, at0[1] ** 2], [at0[1] ** 2, at0[2] ** 2]])


def _build(name: str) -> LayerTable:
    """Compute the table of base activation ``name`` by quadrature (about a second)."""
    family = FAMILIES[name]
    q = np.maximum(_q_of_s(_S0 + _HS * np.arange(N_Q)), _Q_EPS)
    eta = _E0 + _HE * np.arange(N_THETA)
    theta, dtheta, d2theta = _theta_of_eta(eta)
    theta[0] = 0.0
    n = nodes_for(math.sqrt(Q_TABLE))
    z1, w1 = outer_rule(np.array(math.sqrt(Q_TABLE)), n)  # shared by every q1: all a <= τ
    root = np.sqrt(q)
    b = (root[:, None] * np.cos(theta)[None, :]).ravel()  # (q2, θ) pairs
    c = (root[:, None] * np.sin(theta)[None, :]).ravel()
    h = np.empty((4, b.size, z1.size))
    step = 64
    for i0 in range(0, b.size, step):
        sl = slice(i0, i0 + step)
        zz = np.broadcast_to(z1, (b[sl].size, z1.size))
        h[:, sl] = conditional_moments(family, (0, 1, 2, 3), b[sl], c[sl], zz, n)
    f_outer = family(root[:, None] * z1[None, :])
    F = np.stack([(f_outer[m] * w1) @ h[m].T for m in range(4)]).reshape(4, N_Q, N_Q, N_THETA)
    F = 0.5 * (F + F.transpose(0, 2, 1, 3))
    norms = diagonal_moments(family, (0, 1), q)
    g = np.sqrt(q[:, None] * q[None, :])[..., None]
    sin_t, cos_t = np.sin(theta), np.cos(theta)
    values = np.empty((N_Q, N_Q, N_THETA, 6))
    for m in (0, 1):
        scale = 1.0 / np.sqrt(norms[m][:, None, None] * norms[m][None, :, None])
        f_t = -g * sin_t * F[m + 1]
        f_tt = -g * cos_t * F[m + 1] + g * g * sin_t ** 2 * F[m + 2]
        values[..., 3 * m] = F[m] * scale
        values[..., 3 * m + 1] = f_t * dtheta * scale
        values[..., 3 * m + 2] = (f_tt * dtheta ** 2 + f_t * d2theta) * scale
    leading = _leading(name)
    q_fine = _q_of_s(_S0 + _HS_NORM * np.arange(_N_NORM))
    ratio = _ratio(diagonal_moments(family, (0, 1), q_fine), leading, q_fine)
    return LayerTable(values, ratio, leading)


def _ratio(norms: np.ndarray, leading: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``N_m(q)/D_m(q)``, with its limit 1 where ``D_m(q) = 0`` (``q = 0``, ``φ⁽ᵐ⁾(0) = 0``)."""
    d = leading[:, :1] + leading[:, 1:] * q[None, :]
    return np.where(d > 0, safe_div(norms, d), 1.0)


def _params_key() -> str:
    text = repr((_VERSION, _R0, _KAPPA, N_Q, N_THETA, Q_TABLE, _N_NORM, _Q_EPS,
                 nodes_for(math.sqrt(Q_TABLE))))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    """Where tables are kept: ``$LEARNMECH_CACHE_DIR``, else ``$XDG_CACHE_HOME/learnmech``,
    else ``~/.cache/learnmech``."""
    env = os.environ.get("LEARNMECH_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "learnmech"


def _cache_file(name: str) -> Path:
    return cache_dir() / f"kernel-table-{name}-{_params_key()}.npz"


def _load(path: Path) -> LayerTable | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            table = LayerTable(data["values"], data["ratio"], data["leading"])
    except (OSError, KeyError, ValueError):
        return None
    ok = (table.values.shape == (N_Q, N_Q, N_THETA, 6) and table.ratio.shape == (2, _N_NORM)
          and table.leading.shape == (2, 2)
          and all(np.isfinite(a).all() for a in table))
    return table if ok else None


def _save(path: Path, table: LayerTable) -> None:
    """Write atomically (a hidden temporary file renamed); failures are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, values=table.values, ratio=table.ratio, leading=table.leading)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass


_TABLES: dict[str, LayerTable] = {}


def get_table(name: str) -> LayerTable:
    """The table of base activation ``name`` (``"tanh"`` or ``"softplus"``): from memory, else
    from the disk cache, else built by quadrature and saved."""
    if name not in _TABLES:
        path = _cache_file(name)
        table = _load(path) if path.exists() else None
        if table is None:
            table = _build(name)
            _save(path, table)
        _TABLES[name] = table
    return _TABLES[name]


# --------------------------------------------------------------------------------------------
# interpolation (numba, elementwise)
# --------------------------------------------------------------------------------------------

_JIT = {"cache": True, "fastmath": {"contract", "nnan", "ninf", "nsz"}, "error_model": "numpy"}


@njit(inline="always", **_JIT)
def _lagrange6(u: float, n: int, w: np.ndarray) -> int:
    """First node of the 6-point stencil around grid coordinate ``u`` (nodes 0..n−1) and its
    Lagrange weights in ``w``."""
    k = min(max(int(math.floor(u)) - 2, 0), n - 6)
    t = u - k
    for m in range(6):
        prod = 1.0
        for j in range(6):
            if j != m:
                prod *= (t - j) / (m - j)
        w[m] = prod
    return k


@njit(**_JIT)
def _norms(ratio, leading, q, out0, out1):
    """``N_0(q)``, ``N_1(q)`` for ``q <= Q_TABLE`` (1-D quintic table of ``N_m/D_m``)."""
    w = np.empty(6)
    for i in range(q.shape[0]):
        u = (math.log(math.sqrt(q[i]) + _R0) - _S0) / _HS_NORM
        k = _lagrange6(u, ratio.shape[1], w)
        r0 = 0.0
        r1 = 0.0
        for m in range(6):
            r0 += w[m] * ratio[0, k + m]
            r1 += w[m] * ratio[1, k + m]
        out0[i] = r0 * (leading[0, 0] + leading[0, 1] * q[i])
        out1[i] = r1 * (leading[1, 0] + leading[1, 1] * q[i])


@njit(**_JIT)
def _normalised(values, q1, q2, rho, out0, out1):
    """``G_0``, ``G_1`` at ``(q1[i], q2[i], arccos rho[i])`` for ``q <= Q_TABLE``."""
    wa = np.empty(6)
    wb = np.empty(6)
    nq = values.shape[0]
    nt = values.shape[2]
    for i in range(q1.shape[0]):
        a0 = _lagrange6((math.log(math.sqrt(q1[i]) + _R0) - _S0) / _HS, nq, wa)
        b0 = _lagrange6((math.log(math.sqrt(q2[i]) + _R0) - _S0) / _HS, nq, wb)
        theta = math.acos(min(max(rho[i], -1.0), 1.0))
        x = (math.log((1.0 + _KAPPA * theta) / (1.0 + _KAPPA * (math.pi - theta))) - _E0) / _HE
        k = min(max(int(x), 0), nt - 2)
        t = x - k
        t2 = t * t
        t3 = t2 * t
        t4 = t3 * t
        t5 = t4 * t
        h0 = 1.0 - 10.0 * t3 + 15.0 * t4 - 6.0 * t5
        h1 = (t - 6.0 * t3 + 8.0 * t4 - 3.0 * t5) * _HE
        h2 = (0.5 * t2 - 1.5 * t3 + 1.5 * t4 - 0.5 * t5) * _HE * _HE
        g0 = 10.0 * t3 - 15.0 * t4 + 6.0 * t5
        g1 = (-4.0 * t3 + 7.0 * t4 - 3.0 * t5) * _HE
        g2 = (0.5 * t3 - t4 + 0.5 * t5) * _HE * _HE
        s0 = 0.0
        s1 = 0.0
        for ma in range(6):
            a = a0 + ma
            for mb in range(6):
                b = b0 + mb
                w = wa[ma] * wb[mb]
                s0 += w * (h0 * values[a, b, k, 0] + h1 * values[a, b, k, 1]
                           + h2 * values[a, b, k, 2] + g0 * values[a, b, k + 1, 0]
                           + g1 * values[a, b, k + 1, 1] + g2 * values[a, b, k + 1, 2])
                s1 += w * (h0 * values[a, b, k, 3] + h1 * values[a, b, k, 4]
                           + h2 * values[a, b, k, 5] + g0 * values[a, b, k + 1, 3]
                           + g1 * values[a, b, k + 1, 4] + g2 * values[a, b, k + 1, 5])
        out0[i] = s0
        out1[i] = s1


# --------------------------------------------------------------------------------------------
# the public maps
# --------------------------------------------------------------------------------------------


def table_limit(name: str) -> float:
    """Largest variance inside ``name``'s table (100 for tanh and softplus, 400 for sigmoid)."""
    return Q_TABLE / _BASE[name][1]


def _base_norms(base: str, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``N_0``, ``N_1`` of the base activation at ``q`` (1-D, any ``q <= Q_MAX``)."""
    n0, n1 = np.empty(q.size), np.empty(q.size)
    inside = q <= Q_TABLE
    table = get_table(base)
    count = int(inside.sum())
    in0, in1 = np.empty(count), np.empty(count)
    _norms(table.ratio, table.leading, np.ascontiguousarray(q[inside]), in0, in1)
    n0[inside], n1[inside] = in0, in1
    if not inside.all():
        n0[~inside], n1[~inside] = diagonal_moments(FAMILIES[base], (0, 1), q[~inside])
    return n0, n1


def table_diagonal(name: str, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N_0(q), N_1(q)) = (E[φ(√q z)²], E[φ'(√q z)²])`` for a tabulated ``name``, any shape
    (the table up to its limit, the quadrature beyond)."""
    q = np.asarray(q, np.float64)
    base, scale = _BASE[name]
    n0, n1 = _base_norms(base, q.ravel() * scale)
    if name == "sigmoid":
        n0, n1 = 0.25 + 0.25 * n0, n1 / 16.0
    return n0.reshape(q.shape), n1.reshape(q.shape)


def table_moments(name: str, q1: np.ndarray, q2: np.ndarray,
                  rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(E[φφ], E[φ'φ'])`` by table interpolation, 1-D arrays of equal length with every
    variance within :func:`table_limit` and ``rho`` the correlation."""
    base, scale = _BASE[name]
    q1s = np.ascontiguousarray(q1 * scale)
    q2s = np.ascontiguousarray(q2 * scale)
    g0, g1 = np.empty(q1.size), np.empty(q1.size)
    _normalised(get_table(base).values, q1s, q2s, np.ascontiguousarray(rho, np.float64), g0,
                g1)
    n0a, n1a = _base_norms(base, q1s)
    n0b, n1b = _base_norms(base, q2s)
    e0 = g0 * np.sqrt(n0a) * np.sqrt(n0b)
    e1 = g1 * np.sqrt(n1a) * np.sqrt(n1b)
    if name == "sigmoid":
        return 0.25 + 0.25 * e0, e1 / 16.0
    return e0, e1


def table_layer(name: str, s11: np.ndarray, s22: np.ndarray,
                s12: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(E[φ(u)φ(v)], E[φ'(u)φ'(v)])`` of a tabulated activation for covariances broadcast
    to a common shape: the table where both variances are within :func:`table_limit`, the
    quadrature of :mod:`~learnmech.theory.kernels.quadrature` elsewhere (callers refuse
    variances beyond :data:`~learnmech.theory.kernels.quadrature.Q_MAX`). Entries with
    ``x = x'`` (``s11 = s22 = s12``) get the exact diagonal ``N_m``."""
    s11, s22, s12 = (np.asarray(a, np.float64) for a in np.broadcast_arrays(s11, s22, s12))
    shape = s11.shape
    q1, q2, s = s11.ravel(), s22.ravel(), s12.ravel()
    rho = np.clip(safe_div(s, np.sqrt(q1) * np.sqrt(q2)), -1.0, 1.0)
    e0, e1 = np.empty(q1.size), np.empty(q1.size)
    limit = table_limit(name)
    inside = (q1 <= limit) & (q2 <= limit)
    if inside.any():
        e0[inside], e1[inside] = table_moments(name, q1[inside], q2[inside], rho[inside])
    if not inside.all():
        out = ~inside
        e0[out], e1[out] = pair_moments(FAMILIES[name], (0, 1), q1[out], q2[out], s[out],
                                        kinked=False)
    diag = (q1 == q2) & (s == q1)
    if diag.any():
        e0[diag], e1[diag] = table_diagonal(name, q1[diag])
    return e0.reshape(shape), e1.reshape(shape)
