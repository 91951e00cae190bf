"""Curvature of the training loss: Hessian–vector products, Lanczos, Hutchinson and SLQ.

The Hessian is that of the **mean** per-example loss over the batch (X, y) (losses as in
:mod:`learnmech.probes.gradients`), with respect to all trainable parameters flattened in
``named_parameters()`` order (length P). Hessian–vector products are forward-over-reverse
(``torch.func.jvp`` of ``torch.func.grad``): one HVP costs about two gradients, never P.

Every model-level function takes the data as one batch ``(X, y)`` or, with ``y`` left out, as
a re-iterable of (X_b, y_b) batches (a DataLoader): the Hessian of the mean loss over all N
examples is then Σ_b (n_b / N) H_b, H_b that of batch b's mean loss, so data too large for one
forward pass is handled chunk by chunk. ``params=`` (module or parameter names,
:mod:`learnmech.probes.parameters`) restricts it to the diagonal block of that group, every other
parameter held fixed (per-layer Hessians: :mod:`learnmech.probes.layer_curvature`).

* :func:`top_hessian_eigenvalues` — Lanczos with full reorthogonalisation (Paige 1972; Golub &
  Van Loan §10.1): the Krylov basis is kept and every new vector is orthogonalised against all of
  it (twice), so no ghost copies of converged eigenvalues appear. Stops when the Ritz residual
  bound β_m |s_{m,i}| of each wanted eigenvalue is below ``tol`` × |θ_i|.
* :func:`hessian_trace` — Hutchinson: tr H = E[vᵀHv] for Rademacher v.
* :func:`spectral_density` — stochastic Lanczos quadrature (Golub & Meurant; Ghorbani, Krishnan
  & Xiao 2019): per random unit vector, m Lanczos steps give nodes θ_k and weights τ_k²; the
  density is their Gaussian-smoothed average and integrates to 1 (a spectral *measure*
  normalised by P).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from learnmech.probes.checks import ProbeError, check_choice, check_input, check_model_input
from learnmech.probes.parameters import flat_parameters, parameter_group, unflatten

__all__ = [
    "LanczosResult",
    "dense_hessian",
    "hessian_trace",
    "hutchinson",
    "hvp_fn",
    "lanczos",
    "slq_density",
    "spectral_density",
    "top_hessian_eigenvalues",
]


@dataclass(frozen=True)
class LanczosResult:
    """Outcome of :func:`lanczos`.

    Attributes
    ----------
    eigenvalues : ndarray of shape (k,)
        The k largest Ritz values, descending.
    residuals : ndarray of shape (k,)
        Ritz residual bounds β_m |s_{m,i}| (= ‖H y_i − θ_i y_i‖).
    matvecs : int
        Hessian–vector products used.
    converged : bool
        Whether every residual fell below tol × |θ_i|.
    alpha, beta : ndarray of shape (m,), (m − 1,)
        The tridiagonal matrix T_m (for quadrature).
    """

    eigenvalues: np.ndarray
    residuals: np.ndarray
    matvecs: int
    converged: bool
    alpha: np.ndarray
    beta: np.ndarray


def hvp_fn(model, loss_fn, X, y=None, *, params=None) -> Callable:
    """The Hessian–vector product of the mean loss, on flat vectors.

    Parameters
    ----------
    model : nn.Module
    loss_fn : {"ce", "mse"} or callable (outputs (n, C), y (n,)) -> scalar
        A string uses the per-example loss of :mod:`learnmech.probes.gradients`, averaged. A
        callable must return the *mean* over its batch (so that chunks combine exactly).
    X : Tensor of shape (n, ...), or an iterable of (X_b, y_b) batches
        One batch, or — with ``y`` left out — data too large for one batch: a DataLoader or a
        list of (X_b, y_b) pairs, re-iterable (it is read once per HVP) and the same on every
        pass (no random augmentation, ``drop_last=False``).
    y : Tensor of shape (n,), optional
        Labels of ``X``; None when ``X`` is an iterable of batches.
    params : str or sequence of str, optional
        Restrict to the diagonal block of one parameter group (module or parameter names,
        :func:`~learnmech.probes.parameters.parameter_group`); default every trainable
        parameter.

    Returns
    -------
    hvp : callable
        ``hvp(v)`` maps a Tensor of shape (P,) (cast to the parameters' dtype) to H v of shape
        (P,); ``hvp.dim`` is P, the size of the group. Over batches of sizes n_b,
        H v = Σ_b (n_b / N) H_b v, H_b the Hessian of batch b's mean loss (N = Σ_b n_b).
    """
    import torch

    batches = _batches(model, X, y, probe="hvp_fn")
    names = parameter_group(model, params)
    theta, shapes, others = flat_parameters(model, names)
    fixed = {**others, **{k: v.detach() for k, v in model.named_buffers()}}
    objective = _objective(loss_fn)
    one = _batch_hvp(model, objective, names, shapes, fixed)

    def hvp(v):
        v = torch.as_tensor(v, dtype=theta.dtype, device=theta.device)
        return _size_weighted(batches, lambda Xb, yb: one(theta, v, Xb, yb), model)

    hvp.dim = theta.numel()
    return hvp


def lanczos(
    matvec: Callable[[np.ndarray], np.ndarray], dim: int, *, k: int = 1, iters: int = 30,
    tol: float = 1e-3, seed: int = 0, v0: np.ndarray | None = None,
) -> LanczosResult:
    """Lanczos with full reorthogonalisation on a symmetric operator (float64 numpy).

    Parameters
    ----------
    matvec : callable (dim,) -> (dim,)
    dim : int
    k : int
        How many of the largest eigenvalues to return.
    iters : int
        Most matvecs (Krylov dimension), capped at ``dim``.
    tol : float
        Stop once every wanted Ritz residual is ≤ tol × |θ_i| (0: run all ``iters``).
    seed : int
        Seeds the start vector (standard normal) when ``v0`` is None.
    """
    m_max = int(min(iters, dim))
    if m_max < 1 or k < 1:
        raise ProbeError(f"iters and k must be >= 1; got iters={iters}, k={k}")
    q = np.random.default_rng(seed).standard_normal(dim) if v0 is None else np.array(v0, float)
    Q = np.zeros((m_max + 1, dim))
    Q[0] = q / np.linalg.norm(q)
    alpha, beta = [], []
    theta, resid, converged = np.zeros(0), np.zeros(0), False
    for j in range(m_max):
        w = np.asarray(matvec(Q[j]), dtype=float)
        alpha.append(float(Q[j] @ w))
        for _ in range(2):  # full reorthogonalisation, twice ("twice is enough")
            w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
        b = float(np.linalg.norm(w))
        theta, resid = _ritz(alpha, beta, b, k)
        if j + 1 >= k and tol > 0 and np.all(resid <= tol * np.abs(theta)):
            converged = True
            break
        if b <= 1e-12 * max(1.0, abs(alpha[-1])):  # invariant subspace: Ritz values exact
            converged = True
            break
        beta.append(b)
        Q[j + 1] = w / b
    m = len(alpha)
    return LanczosResult(eigenvalues=theta, residuals=resid, matvecs=m, converged=converged,
                         alpha=np.array(alpha), beta=np.array(beta[:m - 1]))


def top_hessian_eigenvalues(
    model, X, y=None, *, loss: str = "ce", k: int = 1, iters: int = 30, tol: float = 1e-3,
    seed: int = 0, params=None,
) -> np.ndarray:
    """The k largest Hessian eigenvalues of the mean loss, by Lanczos on HVPs; shape (k,),
    descending. At most ``iters`` HVPs (see :func:`lanczos`; use it directly for the count).
    ``X``, ``y`` and ``params`` as in :func:`hvp_fn` (batches; one parameter group's block)."""
    matvec, dim = _numpy_hvp(model, X, y, loss, params=params)
    return lanczos(matvec, dim, k=k, iters=iters, tol=tol, seed=seed).eigenvalues


def hutchinson(matvec, dim: int, *, samples: int = 100, seed: int = 0) -> tuple[float, float]:
    """(mean, standard error) of vᵀ A v over ``samples`` Rademacher vectors v: tr A unbiased."""
    rng = np.random.default_rng(seed)
    values = np.empty(samples)
    for s in range(samples):
        v = rng.choice((-1.0, 1.0), size=dim)
        values[s] = v @ np.asarray(matvec(v), dtype=float)
    err = values.std(ddof=1) / np.sqrt(samples) if samples > 1 else float("nan")
    return float(values.mean()), float(err)


def hessian_trace(
    model, X, y=None, *, loss: str = "ce", samples: int = 100, seed: int = 0, params=None,
) -> float:
    """Hutchinson estimate of tr H (mean loss); the standard error is in :func:`hutchinson`.
    ``X``, ``y`` and ``params`` as in :func:`hvp_fn`."""
    matvec, dim = _numpy_hvp(model, X, y, loss, params=params)
    return hutchinson(matvec, dim, samples=samples, seed=seed)[0]


def spectral_density(
    model, X, y=None, *, loss: str = "ce", iters: int = 80, samples: int = 5, seed: int = 0,
    grid_points: int = 1000, width: float | None = None, params=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Hessian spectral density by stochastic Lanczos quadrature.

    Parameters
    ----------
    X, y, params
        As in :func:`hvp_fn` (one batch or an iterable of batches; one parameter group).
    iters : int
        Lanczos steps per random vector (quadrature nodes).
    samples : int
        Random start vectors (Gaussian, normalised) averaged.
    grid_points : int
        Points of the returned grid, spanning the nodes ± 5 widths.
    width : float, optional
        Standard deviation of the Gaussian smoothing each node gets (eigenvalue units); default
        1 % of the range of the nodes.

    Returns
    -------
    (grid, density) : ndarrays of shape (grid_points,)
        The density integrates to 1 over the grid (normalised spectral measure of H).
    """
    matvec, dim = _numpy_hvp(model, X, y, loss, params=params)
    return slq_density(matvec, dim, iters=iters, samples=samples, seed=seed,
                       grid_points=grid_points, width=width)


def slq_density(matvec, dim, *, iters=80, samples=5, seed=0, grid_points=1000, width=None):
    """:func:`spectral_density` on any symmetric operator (matvec, dim)."""
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(samples):
        res = lanczos(matvec, dim, k=1, iters=iters, tol=0.0,
                      v0=rng.standard_normal(dim))
        theta, vecs = _tridiag_eigh(res.alpha, res.beta)
        nodes.append(theta)
        weights.append(vecs[0] ** 2 / samples)  # τ_k², summing to 1 per vector
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    span = float(nodes.max() - nodes.min()) or max(1.0, abs(float(nodes.max())))
    sigma = float(width) if width else 0.01 * span
    grid = np.linspace(nodes.min() - 5 * sigma, nodes.max() + 5 * sigma, grid_points)
    # ρ(λ) = Σ_k τ_k² N(λ; θ_k, σ²)
    z = (grid[:, None] - nodes[None, :]) / sigma
    density = (np.exp(-0.5 * z**2) @ weights) / (sigma * np.sqrt(2 * np.pi))
    return grid, density


def dense_hessian(model, X, y=None, *, loss: str = "ce", params=None):
    """The full (P, P) Hessian of the mean loss (reference; small networks only).

    ``X``, ``y`` and ``params`` as in :func:`hvp_fn`: over batches the size-weighted mean of the
    batches' Hessians; with ``params`` the diagonal block of that group, (P_G, P_G)."""
    import torch
    from torch.func import functional_call, hessian

    batches = _batches(model, X, y, probe="dense_hessian")
    names = parameter_group(model, params)
    theta, shapes, others = flat_parameters(model, names)
    fixed = {**others, **{k: v.detach() for k, v in model.named_buffers()}}
    objective = _objective(loss)

    def one(Xb, yb):
        def loss_of(flat):
            out = functional_call(model, (unflatten(flat, names, shapes), fixed), (Xb,))
            return objective(out, yb)

        return hessian(loss_of)(theta)

    with torch.no_grad():
        return _size_weighted(batches, one, model)


# --------------------------------------------------------------------------- internals


def _numpy_hvp(model, X, y, loss, *, params=None):
    """(numpy matvec, P): the HVP on float64 numpy vectors, computed in the model's dtype."""
    hvp = hvp_fn(model, loss, X, y, params=params)

    def matvec(v):
        return hvp(v).detach().double().cpu().numpy()

    return matvec, hvp.dim


def _objective(loss_fn):
    """A callable (out, y) -> mean loss."""
    if callable(loss_fn):
        return loss_fn
    from learnmech.probes.gradients import LOSSES, per_sample_scalar

    check_choice("loss", loss_fn, LOSSES)

    def mean_loss(out, y):
        return per_sample_scalar(out, y, loss=loss_fn).mean()

    return mean_loss


def _batch_hvp(model, objective, names, shapes, fixed) -> Callable:
    """(θ, v, X_b, y_b) -> H_b v for one batch: forward-over-reverse (jvp of grad)."""
    from torch.func import functional_call, grad, jvp

    def loss_of(flat, Xb, yb):
        out = functional_call(model, (unflatten(flat, names, shapes), fixed), (Xb,))
        return objective(out, yb)

    g = grad(loss_of)

    def one(theta, v, Xb, yb):
        return jvp(lambda t: g(t, Xb, yb), (theta,), (v,))[1]

    return one


class _OneBatch(tuple):
    """The one (X, y) batch of a call with ``y`` given (checked at the probe's entry)."""


def _batches(model, X, y, *, probe: str):
    """The data as a re-iterable of (X_b, y_b): a _OneBatch for one batch; refuses a batch-
    dependent model and a one-shot iterator (the HVP reads the data once per call)."""
    import torch

    if y is not None:
        check_model_input(model, X, probe=probe)
        return _OneBatch(((X, y),))
    if torch.is_tensor(X):
        raise ProbeError(f"y: {probe} needs the labels of X; pass y, or pass X as a DataLoader "
                         "(or list) of (X, y) batches and leave y out")
    check_model_input(model, _first_input(X, probe), probe=probe)
    return X


def _first_input(batches, probe: str):
    """The input of the first batch (refusing what is not a re-iterable of (X, y) pairs)."""
    try:
        iter_ = iter(batches)
    except TypeError:
        raise ProbeError(f"X: {probe} takes a Tensor (with y) or an iterable of (X, y) batches; "
                         f"got {type(batches).__name__}") from None
    if iter_ is batches:
        raise ProbeError(f"X: {probe} reads the batches once per Hessian–vector product, so a "
                         "one-shot iterator or generator cannot be used; pass a DataLoader or a "
                         "list of (X, y) batches")
    for batch in iter_:
        return _pair(batch, probe)[0]
    raise ProbeError(f"X: {probe} got an empty iterable of batches")


def _pair(batch, probe: str):
    if not isinstance(batch, tuple | list) or len(batch) < 2:
        raise ProbeError(f"X: each batch must be an (X_b, y_b) pair (DataLoader of a "
                         f"TensorDataset, or a list of tuples); {probe} got "
                         f"{type(batch).__name__}")
    return batch[0], batch[1]


def _size_weighted(batches, per_batch, model):
    """Σ_b n_b per_batch(X_b, y_b) / Σ_b n_b; one batch's own value when there is one batch
    (so a single batch gives the very bits of the unchunked computation). Each batch of an
    iterable is dtype-checked as it comes (a single (X, y) was checked at the entry)."""
    total, count, seen, value = None, 0, 0, None
    for batch in batches:
        Xb, yb = _pair(batch, "the Hessian over batches")
        if not isinstance(batches, _OneBatch):
            check_input(model, Xb, probe="the Hessian over batches")
        value = per_batch(Xb, yb)
        n_b = int(Xb.shape[0])
        total = value * n_b if total is None else total + value * n_b
        count, seen = count + n_b, seen + 1
    if seen == 0:
        raise ProbeError("X: the iterable of batches is empty")
    return value if seen == 1 else total / count


def _tridiag_eigh(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.linalg import eigh_tridiagonal

    if len(alpha) == 1:
        return alpha.copy(), np.ones((1, 1))
    return eigh_tridiagonal(alpha, beta[:len(alpha) - 1])


def _ritz(alpha: list, beta: list, b_next: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k Ritz values of T_m (descending) and their residual bounds β_m |s_{m,i}|."""
    theta, vecs = _tridiag_eigh(np.array(alpha), np.array(beta))
    order = np.argsort(theta)[::-1][:k]
    return theta[order], b_next * np.abs(vecs[-1, order])
