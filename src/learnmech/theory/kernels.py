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

Closed forms, with ``q1 = Σ(x,x)``, ``q2 = Σ(x',x')``, ``c = Σ(x,x')/√(q1 q2)``,
``θ = arccos c``:

* ReLU (arc-cosine kernels of degree 1 and 0, Cho & Saul 2009):
  ``E[φφ] = √(q1 q2)/(2π) (sin θ + (π − θ) cos θ)``, ``E[φ'φ'] = (π − θ)/(2π)``;
* erf (Williams 1997): ``E[φφ] = (2/π) arcsin(2Σ12/√((1+2q1)(1+2q2)))``,
  ``E[φ'φ'] = (4/π)/√((1+2q1)(1+2q2) − 4Σ12²)``;
* linear: ``E[φφ] = Σ12``, ``E[φ'φ'] = 1``.

These are written with ``arccos``, ``arcsin`` and ``sqrt``, which numpy evaluates for complex
arguments, so :func:`dot_product_kernel` is analytic in ``t`` on the unit disc and can be sampled
on a complex circle (Taylor coefficients by a Cauchy integral).

Other activations (``tanh``, ``gelu``, ``softplus``, ``sigmoid`` or a callable pair
``(phi, dphi)``) use a two-dimensional Gaussian quadrature of the bivariate normal expectation.
It is a product Gauss rule in polar coordinates of the Cholesky-whitened variables
``(u, v) = L (r cos α, r sin α)``: Gauss–Laguerre in ``s = r²/2`` (weight ``e^{-s}``) and
Gauss–Legendre in ``α`` on the four sectors cut by the lines ``u = 0`` and ``v = 0``. Cutting at
those lines makes activations with a kink at 0 (ReLU and friends) integrate to machine precision,
which a plain tensor Gauss–Hermite rule does not (it converges only algebraically across a kink);
sectors come in pairs ``α, α + π``, so the radial integrand is even in ``r`` and hence smooth in
``s``.

**Standard parameterisation** (``z^{l+1} = W φ(z^l) + b`` with ``Var W = σ_w²/N_l``,
``Var b = σ_b²``) has the same NNGP, which :func:`fc_kernel` returns for ``kind="nngp"``. Its
NTK depends on how the per-layer learning rates are scaled with width (with unscaled rates it
grows like the width), so no single convention is implied; ``kind="ntk"`` with
``parameterization="standard"`` raises :class:`NotImplementedError` rather than guess.

References
----------
R. M. Neal, *Bayesian Learning for Neural Networks*, Springer (1996).
C. K. I. Williams, "Computing with infinite networks", NIPS 9 (1997).
Y. Cho and L. K. Saul, "Kernel methods for deep learning", NIPS 22 (2009).
J. Lee et al., "Deep neural networks as Gaussian processes", ICLR (2018).
A. Jacot, F. Gabriel, C. Hongler, "Neural tangent kernel", NeurIPS (2018).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.polynomial.laguerre import laggauss
from numpy.polynomial.legendre import leggauss
from scipy.special import expit, ndtr

from learnmech.theory._validate import check_int

__all__ = ["ACTIVATIONS", "fc_kernel", "dot_product_kernel"]

ArrayFn = Callable[[np.ndarray], np.ndarray]

_CLOSED_FORM = ("relu", "erf", "linear")


def _tanh_d(x: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(x) ** 2


def _gelu(x: np.ndarray) -> np.ndarray:
    return x * ndtr(x)


def _gelu_d(x: np.ndarray) -> np.ndarray:
    return ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sigmoid_d(x: np.ndarray) -> np.ndarray:
    return expit(x) * expit(-x)


_QUADRATURE: dict[str, tuple[ArrayFn, ArrayFn]] = {
    "tanh": (np.tanh, _tanh_d),
    "gelu": (_gelu, _gelu_d),
    "softplus": (_softplus, expit),
    "sigmoid": (expit, _sigmoid_d),
}

#: Activation names accepted by :func:`fc_kernel` and :func:`dot_product_kernel`.
ACTIVATIONS: tuple[str, ...] = _CLOSED_FORM + tuple(_QUADRATURE)

_KINDS = ("nngp", "ntk")
_BACKENDS = ("numpy", "torch")
_FUSED_BLOCK_ROWS = 256
_QUAD_BLOCK_ROWS = 2048
_PARAMETERIZATIONS = ("ntk", "standard")

# Quadrature orders: Gauss-Legendre nodes per angular sector (4 sectors) and Gauss-Laguerre
# radial nodes. Exact (to rounding) for ReLU/linear; for tanh ~1e-11 at unit variances, ~1e-7
# at variance 4 (large variances make smooth activations step-like).
_N_ANGLE = 20
_N_RADIAL = 96
# Bound on the number of (entry, node) evaluations held in memory at once.
_QUAD_CHUNK = 1 << 21


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _check_sigmas(sigma_w2: object, sigma_b2: object) -> tuple[float, float]:
    try:
        w2 = float(sigma_w2)  # type: ignore[arg-type]
        b2 = float(sigma_b2)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"sigma_w2 and sigma_b2 must be real numbers, got {sigma_w2!r}, {sigma_b2!r}"
        ) from exc
    if not (math.isfinite(w2) and w2 > 0):
        raise ValueError(f"sigma_w2 must be a finite number > 0, got {sigma_w2!r}")
    if not (math.isfinite(b2) and b2 >= 0):
        raise ValueError(f"sigma_b2 must be a finite number >= 0, got {sigma_b2!r}")
    return w2, b2


def _check_kind(kind: object) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    return str(kind)


def _resolve_activation(activation: object) -> tuple[str, ArrayFn | None, ArrayFn | None]:
    """Return ``(name, phi, dphi)``; ``phi`` is None for closed-form activations."""
    if isinstance(activation, str):
        name = activation.lower()
        if name in _CLOSED_FORM:
            return name, None, None
        if name in _QUADRATURE:
            phi, dphi = _QUADRATURE[name]
            return name, phi, dphi
        raise ValueError(
            f"activation must be one of {ACTIVATIONS} or a pair of callables (phi, dphi), "
            f"got {activation!r}"
        )
    if (
        isinstance(activation, tuple | list)
        and len(activation) == 2
        and all(callable(f) for f in activation)
    ):
        return "custom", activation[0], activation[1]
    raise ValueError(
        f"activation must be one of {ACTIVATIONS} or a pair of callables (phi, dphi), "
        f"got {activation!r}"
    )


def _check_matrix(name: str, X: object) -> np.ndarray:
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n, d), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column (input dimension d >= 1)")
    if np.iscomplexobj(arr) or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


# --------------------------------------------------------------------------------------------
# one layer: (E[φ(u)φ(v)], E[φ'(u)φ'(v)])
# --------------------------------------------------------------------------------------------


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    den_ok = np.where(den == 0, 1.0, den)
    return np.where(den == 0, 0.0, num / den_ok)


def _closed_form_layer(
    name: str, s11: np.ndarray, s22: np.ndarray, s12: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form expectations; ``s11``, ``s22`` real, ``s12`` real or complex (broadcast)."""
    cplx = np.iscomplexobj(s12)
    if name == "linear":
        return s12 * 1.0, np.ones(np.broadcast(s11, s22, s12).shape)
    if name == "relu":
        norm = np.sqrt(s11 * s22)
        c = _safe_div(s12, norm)
        if not cplx:
            c = np.clip(c, -1.0, 1.0)
        theta = np.arccos(c)
        sin_t = np.sqrt(1.0 - c * c)
        e_phi = norm / (2.0 * np.pi) * (sin_t + (np.pi - theta) * c)
        e_dphi = (np.pi - theta) / (2.0 * np.pi)
        return e_phi, e_dphi
    if name == "erf":
        a = (1.0 + 2.0 * s11) * (1.0 + 2.0 * s22)
        arg = 2.0 * s12 / np.sqrt(a)
        if not cplx:
            arg = np.clip(arg, -1.0, 1.0)
        e_phi = (2.0 / np.pi) * np.arcsin(arg)
        det = a - 4.0 * s12 * s12
        if not cplx:
            det = np.maximum(det, 0.0)
        with np.errstate(divide="ignore"):
            e_dphi = (4.0 / np.pi) / np.sqrt(det)
        return e_phi, e_dphi
    raise AssertionError(name)  # pragma: no cover


_RULE_CACHE: dict[tuple[int, int], tuple[np.ndarray, ...]] = {}


def _rules(n_angle: int, n_radial: int) -> tuple[np.ndarray, ...]:
    key = (n_angle, n_radial)
    if key not in _RULE_CACHE:
        xa, wa = leggauss(n_angle)
        s, ws = laggauss(n_radial)
        _RULE_CACHE[key] = (xa, wa, np.sqrt(2.0 * s), ws)
    return _RULE_CACHE[key]


def _quadrature_layer(
    phi: ArrayFn,
    dphi: ArrayFn,
    s11: np.ndarray,
    s22: np.ndarray,
    s12: np.ndarray,
    *,
    n_angle: int = _N_ANGLE,
    n_radial: int = _N_RADIAL,
) -> tuple[np.ndarray, np.ndarray]:
    """Bivariate-normal expectations by polar Gauss quadrature (real covariances only).

    Parameters
    ----------
    phi, dphi : callable
        Elementwise activation and its derivative.
    s11, s22, s12 : ndarray
        Covariance entries, broadcast against each other to a common shape ``S``.
    n_angle, n_radial : int
        Gauss–Legendre nodes per angular sector and Gauss–Laguerre radial nodes.

    Returns
    -------
    e_phi, e_dphi : ndarray, shape ``S``
        ``E[φ(u)φ(v)]`` and ``E[φ'(u)φ'(v)]``.
    """
    s11, s22, s12 = np.broadcast_arrays(
        np.asarray(s11, float), np.asarray(s22, float), np.asarray(s12, float)
    )
    shape = s11.shape
    s11, s22, s12 = s11.ravel(), s22.ravel(), s12.ravel()
    # Cholesky factor [[a, 0], [b, c]]: u = a z1, v = b z1 + c z2.
    a = np.sqrt(np.maximum(s11, 0.0))
    b = _safe_div(s12, a)
    c = np.sqrt(np.maximum(_safe_div(s11 * s22 - s12 * s12, s11), 0.0))
    alpha1 = np.arctan2(-b, c)  # v = 0 line, in [-π/2, π/2]
    half_pi = 0.5 * np.pi
    # sector edges over [-π/2, 3π/2): u = 0 at ±π/2 and 3π/2, v = 0 at alpha1 and alpha1 + π
    lo = np.stack([np.full_like(alpha1, -half_pi), alpha1,
                   np.full_like(alpha1, half_pi), alpha1 + np.pi], axis=1)
    hi = np.stack([alpha1, np.full_like(alpha1, half_pi), alpha1 + np.pi,
                   np.full_like(alpha1, 3 * half_pi)], axis=1)
    xa, wa, r, wr = _rules(n_angle, n_radial)
    n_nodes = 4 * n_angle * n_radial
    e_phi = np.empty(s11.shape)
    e_dphi = np.empty(s11.shape)
    step = max(1, _QUAD_CHUNK // n_nodes)
    for i0 in range(0, s11.size, step):
        sl = slice(i0, i0 + step)
        mid = 0.5 * (hi[sl] + lo[sl])
        half = 0.5 * (hi[sl] - lo[sl])
        ang = (mid[:, :, None] + half[:, :, None] * xa).reshape(mid.shape[0], -1)
        w_ang = (half[:, :, None] * wa).reshape(mid.shape[0], -1) / (2.0 * np.pi)
        cos_a, sin_a = np.cos(ang), np.sin(ang)
        uu = (a[sl, None] * cos_a)[:, :, None] * r
        vv = (b[sl, None] * cos_a + c[sl, None] * sin_a)[:, :, None] * r
        e_phi[sl] = np.einsum("ea,ear,r->e", w_ang, phi(uu) * phi(vv), wr)
        e_dphi[sl] = np.einsum("ea,ear,r->e", w_ang, dphi(uu) * dphi(vv), wr)
    return e_phi.reshape(shape), e_dphi.reshape(shape)


def _layer(
    name: str,
    phi: ArrayFn | None,
    dphi: ArrayFn | None,
    s11: np.ndarray,
    s22: np.ndarray,
    s12: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    if phi is None:
        return _closed_form_layer(name, s11, s22, s12)
    assert dphi is not None
    return _quadrature_layer(phi, dphi, s11, s22, s12)


def _recurse(
    name: str,
    phi: ArrayFn | None,
    dphi: ArrayFn | None,
    q1_layers: list[np.ndarray],
    q2_layers: list[np.ndarray],
    s12: np.ndarray,
    *,
    depth: int,
    sigma_w2: float,
    sigma_b2: float,
    kind: str,
    diag_index: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Run the layer recursion from Σ¹ = ``s12``; ``q*_layers[l]`` is the diagonal of Σ^{l+1}."""
    sigma = s12
    theta = s12
    for layer in range(1, depth):
        q1, q2 = q1_layers[layer - 1], q2_layers[layer - 1]
        if diag_index is not None:
            sigma = sigma.copy()
            sigma[diag_index] = np.broadcast_to(q1, sigma.shape)[diag_index]
        e_phi, e_dphi = _layer(name, phi, dphi, q1, q2, sigma)
        sigma_new = sigma_w2 * e_phi + sigma_b2
        if kind == "ntk":
            theta = sigma_new + sigma_w2 * e_dphi * theta
        sigma = sigma_new
    return theta if kind == "ntk" else sigma


def _diagonal_layers(
    name: str,
    phi: ArrayFn | None,
    dphi: ArrayFn | None,
    q: np.ndarray,
    *,
    depth: int,
    sigma_w2: float,
    sigma_b2: float,
) -> list[np.ndarray]:
    """Diagonals Σ^l(x, x) for l = 1..depth-1 (list index l-1)."""
    out = [q]
    for _ in range(1, depth - 1):
        e_phi, _e = _layer(name, phi, dphi, q, q, q)
        q = sigma_w2 * e_phi + sigma_b2
        out.append(q)
    return out


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


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
        ``"relu"``, ``"erf"`` and ``"linear"`` use closed forms, the rest quadrature.
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
        the result), 2048 for quadrature activations (working memory ``O(block_rows · n2)``),
        and for the torch backend as many rows as fit a 256 MiB working budget.
    backend : {"numpy", "torch"}
        ``"numpy"`` (default) returns a float64 ndarray; ``"relu"``, ``"erf"`` and ``"linear"``
        run a fused numba kernel (:mod:`learnmech.theory.kernels_fused`: one pass over the
        result whatever the depth), other activations the quadrature. ``"torch"``
        (:mod:`learnmech.theory.kernels_torch`, closed-form activations only) returns a
        ``torch.Tensor`` on ``device``, for large n or a GPU.
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
    ValueError
        For invalid arguments.
    NotImplementedError
        For ``kind="ntk"`` with ``parameterization="standard"``.
    """
    depth = check_int("depth", depth, 1)
    if block_rows is not None:
        block_rows = check_int("block_rows", block_rows, 1)
    w2, b2 = _check_sigmas(sigma_w2, sigma_b2)
    kind = _check_kind(kind)
    if parameterization not in _PARAMETERIZATIONS:
        raise ValueError(
            f"parameterization must be one of {_PARAMETERIZATIONS}, got {parameterization!r}"
        )
    if parameterization == "standard" and kind == "ntk":
        raise NotImplementedError(
            "the NTK in the standard parameterisation depends on how learning rates are scaled "
            "with width and is not implemented; use parameterization='ntk' (kind='nngp' is the "
            "same in both parameterisations)"
        )
    name, phi, dphi = _resolve_activation(activation)
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
    if backend == "torch":
        from learnmech.theory.kernels_torch import fc_kernel_torch

        if phi is not None:
            raise ValueError(
                f"backend='torch' supports the closed-form activations {_CLOSED_FORM}, got "
                f"{name!r}; use backend='numpy' (quadrature) for it"
            )
        return fc_kernel_torch(X1, X2, depth=depth, activation=name, sigma_w2=w2,
                               sigma_b2=b2, kind=kind, block_rows=block_rows, device=device,
                               dtype=dtype)
    _check_numpy_options(device, dtype)
    A = _check_matrix("X1", X1)
    same = X2 is None or X2 is X1
    B = A if same else _check_matrix("X2", X2)
    if B.shape[1] != A.shape[1]:
        raise ValueError(
            f"X1 and X2 must have the same number of columns, got {A.shape[1]} and {B.shape[1]}"
        )
    if phi is None:
        return _fused_kernel(A, None if same else B, name=name, depth=depth, w2=w2, b2=b2,
                             kind=kind, block_rows=block_rows or _FUSED_BLOCK_ROWS)
    return _quadrature_kernel(A, B, same, name=name, phi=phi, dphi=dphi, depth=depth, w2=w2,
                              b2=b2, kind=kind, block_rows=block_rows or _QUAD_BLOCK_ROWS)


def _check_numpy_options(device: object, dtype: object) -> None:
    if device is not None and str(device) != "cpu":
        raise ValueError(f"device={device!r} needs backend='torch' (the numpy backend is CPU)")
    if dtype is None:
        return
    ok = str(dtype) == "torch.float64"
    if not ok:
        try:
            ok = np.dtype(dtype) == np.float64
        except TypeError:
            ok = False
    if not ok:
        raise ValueError(
            f"the numpy backend computes in float64 only, got dtype={dtype!r}; use "
            "backend='torch' for float32"
        )


def _first_layer_diagonal(X: np.ndarray, w2: float, b2: float) -> np.ndarray:
    """Σ¹(x, x) = σ_w² |x|²/d + σ_b², shape (n,)."""
    return w2 * np.einsum("ij,ij->i", X, X) / X.shape[1] + b2


def _layer_factors(name: str, q_layers: list[np.ndarray], n: int) -> tuple[np.ndarray, ...]:
    """Per-point factors (f, g) of every nonlinear layer, shapes (L − 1, n) (kernels_fused)."""
    q = np.array(q_layers, dtype=np.float64).reshape(len(q_layers), n)
    if name == "relu":
        root = np.sqrt(q)
        return _safe_div(np.ones_like(root), root), root
    if name == "erf":
        return 1.0 / np.sqrt(1.0 + 2.0 * q), q
    return q, q


def _fused_kernel(
    A: np.ndarray, B: np.ndarray | None, *, name: str, depth: int, w2: float, b2: float,
    kind: str, block_rows: int,
) -> np.ndarray:
    """Closed-form kernel, numpy backend: Gram product into the result, fused recursion in place.

    ``B is None`` means ``B = A``: only blocks on or above the diagonal are computed, the exact
    diagonal ``K(x, x)`` is written from the 1-D recursion and the lower triangle mirrored.
    """
    from learnmech.theory import kernels_fused as kf

    same = B is None
    B = A if same else B
    n1, n2, d = A.shape[0], B.shape[0], A.shape[1]
    kw = {"depth": depth, "sigma_w2": w2, "sigma_b2": b2}
    qa = _first_layer_diagonal(A, w2, b2)
    qa_layers = _diagonal_layers(name, None, None, qa, **kw)
    qb_layers = qa_layers if same else _diagonal_layers(
        name, None, None, _first_layer_diagonal(B, w2, b2), **kw)
    n_nonlinear = depth - 1
    row_f, row_g = _layer_factors(name, qa_layers[:n_nonlinear], n1)
    col_f, col_g = (row_f, row_g) if same else _layer_factors(name, qb_layers[:n_nonlinear], n2)
    diag = np.empty(0)
    if same:  # K(x, x) from the 1-D recursion, where c = 1 exactly
        diag = np.ascontiguousarray(
            _recurse(name, None, None, qa_layers, qa_layers, qa, kind=kind, **kw), np.float64)
    out = np.empty((n1, n2), dtype=np.float64)
    code, ntk = kf.ACT_CODES[name], kind == "ntk"
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        c0 = i0 if same else 0
        np.matmul(A[i0:i1], B[c0:].T, out=out[i0:i1, c0:])  # (rows, n2 − c0): x·x'
        kf.fused_rows(out, i0, i1, c0, float(d), w2, b2, code, ntk, row_f, row_g, col_f,
                      col_g, diag)
    if same:
        kf.mirror_lower(out, 0, n1)
    return out


def _quadrature_kernel(
    A: np.ndarray, B: np.ndarray, same: bool, *, name: str, phi: ArrayFn, dphi: ArrayFn,
    depth: int, w2: float, b2: float, kind: str, block_rows: int,
) -> np.ndarray:
    """Kernel for activations without a closed form, by row blocks of the layer recursion."""
    d = A.shape[1]
    n1, n2 = A.shape[0], B.shape[0]
    qa = _first_layer_diagonal(A, w2, b2)
    qb = qa if same else _first_layer_diagonal(B, w2, b2)
    diag_kw = {"depth": depth, "sigma_w2": w2, "sigma_b2": b2}
    qa_layers = _diagonal_layers(name, phi, dphi, qa, **diag_kw)
    qb_layers = qa_layers if same else _diagonal_layers(name, phi, dphi, qb, **diag_kw)
    qb_cols = [q[None, :] for q in qb_layers]

    out = np.empty((n1, n2), dtype=np.float64)
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        s12 = w2 * (A[i0:i1] @ B.T) / d + b2
        diag_index = None
        if same:
            rows = np.arange(i1 - i0)
            diag_index = (rows, rows + i0)
            s12[diag_index] = qa[i0:i1]
        out[i0:i1] = _recurse(
            name,
            phi,
            dphi,
            [q[i0:i1, None] for q in qa_layers],
            qb_cols,
            s12,
            kind=kind,
            diag_index=diag_index,
            **diag_kw,
        )
    if same:
        out = 0.5 * (out + out.T)
    return out


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
    module docstring. For ``relu``, ``erf`` and ``linear`` the closed forms accept complex ``t``
    (analytic in ``t`` for ``|t| < 1``, with ``k(conj t) = conj k(t)``).

    Parameters
    ----------
    t : array_like, any shape, real or complex
        Cosine(s) ``x·x'`` of unit-norm inputs (real ``t`` is clipped to ``[-1, 1]``).
    d : int
        Input dimension ``>= 1``.
    depth : int
        Number of dense layers ``L >= 1``.
    activation : str or (callable, callable)
        As in :func:`fc_kernel`; quadrature activations accept real ``t`` only.
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
    w2, b2 = _check_sigmas(sigma_w2, sigma_b2)
    kind = _check_kind(kind)
    name, phi, dphi = _resolve_activation(activation)
    t_arr = np.asarray(t)
    if not np.issubdtype(t_arr.dtype, np.number):
        raise ValueError(f"t must be numeric, got dtype {t_arr.dtype}")
    if np.iscomplexobj(t_arr):
        if phi is not None:
            raise ValueError(
                f"complex t needs a closed-form activation {_CLOSED_FORM}; "
                f"activation {name!r} uses quadrature, which supports real t only"
            )
        t_arr = t_arr.astype(np.complex128)
    else:
        t_arr = np.clip(t_arr.astype(np.float64), -1.0, 1.0)
    q = np.float64(w2 / d + b2)
    s12 = w2 * t_arr / d + b2
    q_layers = [np.asarray(x) for x in _diagonal_layers(
        name, phi, dphi, np.asarray(q), depth=depth, sigma_w2=w2, sigma_b2=b2
    )]
    return np.asarray(_recurse(
        name, phi, dphi, q_layers, q_layers, s12,
        depth=depth, sigma_w2=w2, sigma_b2=b2, kind=kind,
    ))
