"""The depth recursion shared by every backend, its layer-map dispatch and argument checks.

Conventions and formulas: :mod:`learnmech.theory.kernels` (Σ¹ = σ_w² x·x'/d + σ_b², then per
nonlinear layer Σ ← σ_w² E[φφ] + σ_b², Θ ← Σ_new + σ_w² E[φ'φ'] Θ). The layer map is the
closed form (:mod:`~learnmech.theory.kernels.closed_forms`) for ``relu``, ``erf``, ``gelu`` and
``linear``, the table (:mod:`~learnmech.theory.kernels.table`) for ``tanh``, ``softplus`` and
``sigmoid``, and the quadrature (:mod:`~learnmech.theory.kernels.quadrature`) for a callable
pair. This module is the layer-by-layer numpy path (the one callable pairs take, and the
reference the fused, tabulated and torch backends are tested against); backends import it,
never the package's dispatcher. Activations integrated numerically (tables beyond their range,
callable pairs) are refused for pre-activation variances above
:data:`~learnmech.theory.kernels.quadrature.Q_MAX`, where the quadrature is not checked.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from learnmech.theory._validate import check_array, check_choice, check_float, fail
from learnmech.theory.kernels.activations import FAMILIES, KINKED, PAIRS, TABULATED
from learnmech.theory.kernels.closed_forms import CLOSED_FORM, closed_form_layer
from learnmech.theory.kernels.numerics import cauchy_schwarz_clip, flush_subnormal
from learnmech.theory.kernels.quadrature import (
    Q_MAX,
    ArrayFn,
    diagonal_moments,
    pair_moments,
    quadrature_layer,
)

__all__ = [
    "ACTIVATIONS", "KINDS", "FLOAT64_MAX", "Diagonals", "check_sigmas", "check_kind",
    "resolve_activation", "check_matrix", "layer", "recurse", "diagonal_recursion",
    "first_layer_diagonal", "point_diagonals", "layered_kernel", "diagonal_layer",
    "check_variances", "reference_kernel",
]

#: Activation names accepted by :func:`~learnmech.theory.kernels.fc_kernel` and
#: :func:`~learnmech.theory.kernels.dot_product_kernel`.
ACTIVATIONS: tuple[str, ...] = CLOSED_FORM + TABULATED

#: Kernel kinds: the NNGP ``Σ^L`` or the NTK ``Θ^L``.
KINDS = ("nngp", "ntk")

#: The largest float64; a kernel value beyond it is refused.
FLOAT64_MAX = float(np.finfo(np.float64).max)


# --------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------


def check_sigmas(sigma_w2: object, sigma_b2: object) -> tuple[float, float]:
    """``(σ_w², σ_b²)`` as floats: ``σ_w²`` finite > 0, ``σ_b²`` finite >= 0."""
    return (check_float("sigma_w2", sigma_w2, minimum=0.0, exclusive=True),
            check_float("sigma_b2", sigma_b2, minimum=0.0))


def check_kind(kind: object) -> str:
    """``kind`` if it is one of :data:`KINDS`."""
    return check_choice("kind", kind, KINDS)


def resolve_activation(activation: object) -> tuple[str, ArrayFn | None, ArrayFn | None]:
    """``(name, phi, dphi)``; ``phi`` is None for closed-form activations (a callable pair is
    named ``"custom"``)."""
    if isinstance(activation, str):
        name = activation.lower()
        if name in CLOSED_FORM:
            return name, None, None
        if name in TABULATED:
            phi, dphi = PAIRS[name]
            return name, phi, dphi
    elif (
        isinstance(activation, tuple | list)
        and len(activation) == 2
        and all(callable(f) for f in activation)
    ):
        return "custom", activation[0], activation[1]
    raise fail("activation", f"one of {ACTIVATIONS} or a pair of callables (phi, dphi)",
               activation)


def check_matrix(name: str, X: object) -> np.ndarray:
    """``X`` as a finite float64 array of shape ``(n, d)`` with ``d >= 1``."""
    arr = check_array(name, X, ndim=(2,), shape_text="(n, d)")
    if arr.shape[1] < 1:
        raise fail(name, "of shape (n, d) with at least one column (input dimension d >= 1)",
                   got=f"shape {arr.shape}")
    return arr


# --------------------------------------------------------------------------------------------
# the recursion
# --------------------------------------------------------------------------------------------


def layer(
    name: str,
    phi: ArrayFn | None,
    dphi: ArrayFn | None,
    s11: np.ndarray,
    s22: np.ndarray,
    s12: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(E[φ(u)φ(v)], E[φ'(u)φ'(v)])`` of one layer: closed form, table or quadrature."""
    if phi is None:
        return closed_form_layer(name, s11, s22, s12)
    if name in TABULATED:
        from learnmech.theory.kernels.table import table_layer  # numba, on first use

        return table_layer(name, s11, s22, s12)
    assert dphi is not None
    return quadrature_layer(phi, dphi, s11, s22, s12)


def diagonal_layer(
    name: str, phi: ArrayFn | None, dphi: ArrayFn | None, q: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`layer` at ``x = x'`` (``Σ11 = Σ22 = Σ12 = q``): ``(E[φ(u)²], E[φ'(u)²])``, a
    one-dimensional integral for tabulated activations and callable pairs."""
    if phi is None:
        return closed_form_layer(name, q, q, q)
    if name in TABULATED:
        from learnmech.theory.kernels.table import table_diagonal  # numba, on first use

        return table_diagonal(name, q)
    assert dphi is not None
    e_phi, e_dphi = diagonal_moments(lambda x: (phi(x), dphi(x)), (0, 1), q)
    return e_phi, e_dphi


def recurse(
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
    """Run the layer recursion from Σ¹ = ``s12``; ``q*_layers[l]`` is the diagonal of Σ^{l+1}.

    ``q1_layers[l]`` and ``q2_layers[l]`` broadcast against ``s12`` (e.g. ``(rows, 1)`` and
    ``(1, cols)``); ``diag_index``, if given, marks the entries of ``s12`` where ``x = x'``,
    which are reset to the diagonal before every layer. Returns ``Θ^L`` or ``Σ^L``, the shape
    of ``s12``.
    """
    sigma = s12
    theta = s12
    for lay in range(1, depth):
        q1, q2 = q1_layers[lay - 1], q2_layers[lay - 1]
        if diag_index is not None:
            sigma = sigma.copy()
            sigma[diag_index] = np.broadcast_to(q1, sigma.shape)[diag_index]
        e_phi, e_dphi = layer(name, phi, dphi, q1, q2, sigma)
        sigma_new = sigma_w2 * e_phi + sigma_b2
        if kind == "ntk":
            theta = sigma_new + sigma_w2 * e_dphi * theta
        sigma = sigma_new
    return theta if kind == "ntk" else sigma


class Diagonals(NamedTuple):
    """The recursion at ``x = x'`` for ``n`` points (the diagonal of the kernel matrix)."""

    #: Σ^l(x, x) for l = 1..max(L − 1, 1), each of shape (n,): the variances every layer sees.
    q_layers: list[np.ndarray]
    #: K(x, x) = Σ^L(x, x) or Θ^L(x, x), shape (n,).
    kernel: np.ndarray
    #: (layer l, point i) where Σ^l(x_i, x_i) or Θ^l(x_i, x_i) first exceeded the limit; None
    #: if nothing did (the recursion stops there, so the other fields are then incomplete).
    overflow: tuple[int, int] | None


def diagonal_recursion(
    name: str,
    phi: ArrayFn | None,
    dphi: ArrayFn | None,
    q: np.ndarray,
    *,
    depth: int,
    sigma_w2: float,
    sigma_b2: float,
    kind: str,
    limit: float = FLOAT64_MAX,
) -> Diagonals:
    """The layer recursion at ``x = x'`` from ``q`` = Σ¹(x, x) of shape (n,) (or a scalar).

    The same arithmetic as :func:`recurse` with ``s12 = q`` (``c = 1`` exactly), one pass for
    the variances and the kernel. Values above ``limit`` (or not finite) stop it and are
    reported in :attr:`Diagonals.overflow`.
    """
    q_layers = [q]
    theta = q
    overflow = _first_over(q, 1, limit)
    with np.errstate(over="ignore", invalid="ignore"):
        for lay in range(1, depth):
            if overflow is not None:
                break
            if phi is not None and not np.all(np.abs(q) <= Q_MAX):
                break  # beyond the quadrature's range: check_variances refuses it
            e_phi, e_dphi = diagonal_layer(name, phi, dphi, q)
            q = sigma_w2 * e_phi + sigma_b2
            if kind == "ntk":
                theta = q + sigma_w2 * e_dphi * theta
            if lay < depth - 1:
                q_layers.append(q)
            overflow = _first_over(theta if kind == "ntk" else q, lay + 1, limit)
    return Diagonals(q_layers, theta if kind == "ntk" else q, overflow)


def check_variances(arg: str, diag: Diagonals, name: str, phi: ArrayFn | None,
                    depth: int, X: np.ndarray | None = None) -> None:
    """Refuse variances ``Σ^l(x, x)`` above :data:`~.quadrature.Q_MAX` for an activation
    integrated numerically (``phi`` not None), naming argument ``arg`` (``X``: its rows, whose
    norm the message gives)."""
    if phi is None:
        return
    for lay, q in enumerate(diag.q_layers[: max(depth - 1, 0)], start=1):
        q = np.atleast_1d(q)
        if np.all(q <= Q_MAX):
            continue
        i = int(np.argmax(~(q <= Q_MAX)))
        where = f"row {i} of {arg}, ‖x‖ = {_norm(X[i]):.3g}, " if X is not None else ""
        raise fail(arg, f"such that every pre-activation variance Σ^l(x, x) is <= {Q_MAX:g} "
                   f"for activation {name!r} (its layer map is computed by quadrature, "
                   f"checked to 1e-10 only up to there; scale the inputs or the variances "
                   f"down)", got=f"{where}Σ^{lay}(x, x) = {float(q[i]):.3g}")


def _first_over(values: np.ndarray, lay: int, limit: float) -> tuple[int, int] | None:
    """``(lay, i)`` for the first ``values[i]`` not in ``[−limit, limit]``; None if none."""
    bad = ~(np.abs(np.atleast_1d(values)) <= limit)
    return (lay, int(np.argmax(bad))) if bad.any() else None


def first_layer_diagonal(X: np.ndarray, w2: float, b2: float) -> np.ndarray:
    """Σ¹(x, x) = σ_w² |x|²/d + σ_b² for the rows of ``X`` (n, d); shape (n,)."""
    with np.errstate(over="ignore"):
        return w2 * np.einsum("ij,ij->i", X, X) / X.shape[1] + b2


def point_diagonals(
    arg: str, X: np.ndarray, *, name: str, phi: ArrayFn | None, dphi: ArrayFn | None,
    depth: int, w2: float, b2: float, kind: str, limit: float = FLOAT64_MAX,
    dtype_name: str = "float64",
) -> Diagonals:
    """:func:`diagonal_recursion` for the rows of ``X`` (n, d), passed as argument ``arg``.

    Raises :class:`~learnmech.core.errors.InputError` where a value exceeds ``limit`` (the
    largest ``dtype_name``): naming ``arg`` if the first layer's variance does (input norm too
    large), ``depth`` (with the largest depth that fits) if a deeper layer's does.
    """
    diag = diagonal_recursion(name, phi, dphi, first_layer_diagonal(X, w2, b2), depth=depth,
                              sigma_w2=w2, sigma_b2=b2, kind=kind, limit=limit)
    if diag.overflow is None:
        check_variances(arg, diag, name, phi, depth, X)
        return diag
    lay, i = diag.overflow
    bad = (diag.kernel if lay == depth else diag.q_layers[-1])[i]
    if name == "custom" and np.isnan(bad):
        raise fail("activation", "a pair (phi, dphi) of functions finite on every real number",
                   got=f"NaN in the layer-{lay} variance of row {i} of {arg}")
    if lay == 1:
        # x·x, σ_w² x·x (formed before the division by d) and σ_w² x·x/d + σ_b² must all fit
        largest = min(math.sqrt(limit / max(w2, 1.0)),
                      math.sqrt(max(limit - b2, 0.0) * (X.shape[1] / w2)))
        raise fail(arg, f"of rows x with norms ‖x‖ <= {largest:.3g} (the first layer's "
                   f"variance σ_w² ‖x‖²/d + σ_b² must fit {dtype_name})",
                   got=f"row {i} with ‖x‖ = {_norm(X[i]):.3g}")
    which = "NTK Θ" if kind == "ntk" else "NNGP Σ"
    raise fail("depth", f"<= {lay - 1} for these inputs and variances (the {which}^l(x, x) of "
               f"row {i} of {arg}, ‖x‖ = {_norm(X[i]):.3g}, exceeds the largest {dtype_name} "
               f"{limit:.3g} at layer l = {lay}; lower depth, sigma_w2 or the input norm)",
               depth)


def _norm(x: np.ndarray) -> float:
    """Euclidean norm of a vector, without overflow of its squares."""
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    return scale * float(np.linalg.norm(x / scale)) if scale > 0 else 0.0


def layered_kernel(
    A: np.ndarray, B: np.ndarray, same: bool, *, name: str, phi: ArrayFn | None,
    dphi: ArrayFn | None, depth: int, w2: float, b2: float, kind: str, block_rows: int,
) -> np.ndarray:
    """Kernel matrix (n1, n2) of ``A`` (n1, d) and ``B`` (n2, d), layer by layer per row block.

    ``same`` means ``B`` is ``A``: the diagonal is reset to ``Σ(x, x)`` before every layer, the
    result symmetrised and its diagonal written from the 1-D recursion. Every entry is clipped
    to ``±√K(x, x) √K(x', x')`` and subnormal values are flushed to 0
    (:mod:`~learnmech.theory.kernels.numerics`). Working memory ``O(block_rows · n2)`` (times
    the quadrature nodes held at once for quadrature activations). Refuses a kernel that
    overflows float64.
    """
    d = A.shape[1]
    n1, n2 = A.shape[0], B.shape[0]
    kw = {"name": name, "phi": phi, "dphi": dphi, "depth": depth, "w2": w2, "b2": b2,
          "kind": kind}
    rows = point_diagonals("X1", A, **kw)
    cols = rows if same else point_diagonals("X2", B, **kw)
    qa, qa_layers = rows.q_layers[0], rows.q_layers
    qb_cols = [q[None, :] for q in cols.q_layers]
    rec = {"depth": depth, "sigma_w2": w2, "sigma_b2": b2, "kind": kind}

    out = np.empty((n1, n2), dtype=np.float64)
    for i0 in range(0, n1, block_rows):
        i1 = min(i0 + block_rows, n1)
        s12 = w2 * (A[i0:i1] @ B.T) / d + b2
        diag_index = None
        if same:
            index = np.arange(i1 - i0)
            diag_index = (index, index + i0)
            s12[diag_index] = qa[i0:i1]
        out[i0:i1] = recurse(name, phi, dphi, [q[i0:i1, None] for q in qa_layers], qb_cols,
                             s12, diag_index=diag_index, **rec)
    if same:
        out = 0.5 * (out + out.T)
    cauchy_schwarz_clip(out, rows.kernel, cols.kernel)
    if same:
        np.fill_diagonal(out, rows.kernel)
    return flush_subnormal(out)


def reference_kernel(
    X: np.ndarray, Y: np.ndarray, *, name: str, depth: int, w2: float, b2: float, kind: str,
    n_nodes: int = 96,
) -> np.ndarray:
    """The kernel (n1, n2) of ``X`` (n1, d) and ``Y`` (n2, d) for a named activation of
    :data:`~.activations.FAMILIES`, every layer map by the quadrature alone with ``n_nodes``
    nodes a piece (three times the default; no table, no surrogate): the high-precision
    reference the tables are checked against (about 5 ms an entry and layer; closed forms
    too, by their families)."""
    family = FAMILIES[name]
    kinked = name in KINKED
    d = X.shape[1]

    def diagonals(Z: np.ndarray) -> list[np.ndarray]:
        q = [first_layer_diagonal(Z, w2, b2)]
        for _ in range(depth - 1):
            q.append(w2 * diagonal_moments(family, (0,), q[-1], n_nodes=n_nodes)[0] + b2)
        return q

    qx, qy = diagonals(X), diagonals(Y)
    equal = np.all(X[:, None, :] == Y[None, :, :], axis=2)  # x = x': exactly c = 1
    sigma = w2 * (X @ Y.T) / d + b2
    theta = sigma
    for lay in range(1, depth):
        sigma = np.where(equal, qx[lay - 1][:, None], sigma)
        e_phi, e_dphi = pair_moments(family, (0, 1), qx[lay - 1][:, None],
                                     qy[lay - 1][None, :], sigma, n_nodes=n_nodes,
                                     kinked=kinked)
        sigma_new = w2 * e_phi + b2
        theta = sigma_new + w2 * e_dphi * theta
        sigma = sigma_new
    return theta if kind == "ntk" else sigma
