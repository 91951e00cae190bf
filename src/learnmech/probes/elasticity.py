"""Local elasticity (He & Su, ICLR 2020): how far one SGD step on x reaches to x'.

One SGD step on example i: w⁺ = w − η ∇_w L_i. For a per-sample scalar s (the loss or the
network's scalar output, conventions in :mod:`learnmech.probes.gradients`) He & Su define

* relative similarity  S_rel(i, j) = |s_j(w⁺) − s_j(w)| / |s_i(w⁺) − s_i(w)|,
* kernelised similarity S_ker(i, j) = (s_j(w⁺) − s_j(w)) / (−η c_i), with c_i = ∂L_i/∂f_i for
  ``target="output"`` (their scalar-output definition) and c_i = 1 for ``target="loss"``.

As η → 0, s_j(w⁺) − s_j(w) = −η c_i ∇s_i·∇s_j + O(η²), so S_ker → K_ij = ∇s_i·∇s_j (the
empirical NTK of f for ``target="output"``, the loss-gradient kernel for ``"loss"``) and
S_rel → |K_ij| / K_ii. Row i is the probe (the example stepped on), column j the example
evaluated. :func:`elasticity_matrices` computes the η → 0 matrices for all n² pairs from one
Gram matrix (:func:`learnmech.probes.gradients.gradient_gram`); :func:`elasticity_by_loop` runs
the original protocol (one SGD step and one full evaluation per probe) for a finite η.

**Fitted examples.** S_rel divides row i by K_ii (η → 0) or by the probe's own change |Δs_i|
(finite η). With ``target="loss"``, K_ii = ‖∇L_i‖² → 0 once example i is fitted, and the row
becomes a ratio of two vanishing numbers: S_rel(i, j) ≈ (‖∇L_j‖ / ‖∇L_i‖) |cos|, a comparison of
how well i and j are fitted, not of how similar they are (values in the thousands on a trained
MLP; a same/other ratio of 0.002 on a trained 10-class CNN). Every result therefore carries
``"fitted"``, and those rows of ``"S_rel"`` are NaN, with a
:class:`~learnmech.probes.checks.ProbeWarning`; the raw rows stay in ``"S_rel_unmasked"``. A row
is fitted when

* its denominator is ≤ ``fitted_rtol`` × the median denominator (default
  :data:`FITTED_RTOL` = 1e-3), or is zero or not finite — any target; or
* (``target="loss"`` only) its loss gradient with respect to the outputs is small in absolute
  terms, ‖∂L_i/∂f(x_i)‖ ≤ ``fitted_gtol`` (default :data:`FITTED_GTOL` = 1e-3; for ``"ce"``
  about 1 − p_{y_i}) — the relative rule alone misses a training set fitted as a whole, whose
  median denominator is itself vanishing.

:func:`relation_means` and :func:`class_impact_matrix` skip NaN entries; :func:`cluster_accuracy`
refuses them.

**Which target, when.**

* ``"loss"`` — He & Su's loss-based similarity: any network, but only while the probed
  examples are not fitted (early in training, or held-out examples).
* ``"output"`` — He & Su's scalar-output similarity (S_ker = the empirical NTK): networks with
  one output column or two logits (f₁ − f₀).
* ``"logit"`` — multi-class networks at any time: s_i = f_{y_i}(x_i), the true-class logit, so
  K_ij = ∇f_{y_i}(x_i)·∇f_{y_j}(x_j): how much a step that raises example i's own-class score
  raises example j's. It does not vanish when i is fitted; cost as ``"loss"``.
* ``"jacobian"`` — multi-class networks, the whole logit vector
  (:mod:`learnmech.probes.logit_jacobian`): S_ker = tr Θ_ij, the NTK traced over the logits
  (label-free), and S_rel = ‖Δf_j‖ / ‖Δf_i‖ under an SGD step on the loss of i (needs only the
  direction of ∂L_i/∂f, so it stays finite on fitted examples). Use it when the step's effect on
  every logit matters, not only the labelled one; it costs k times the memory of ``"logit"``.

Reference: H. He and W. J. Su, "The local elasticity of neural networks", ICLR 2020;
Z. Deng, H. He and W. J. Su, "Toward better generalization bounds with locally elastic
stability", ICML 2021; J. Zhang, H. Wang and W. J. Su, "Imitating deep learning dynamics via
locally elastic stochastic differential equations", NeurIPS 2021 (the class-level α, β).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from learnmech.probes.checks import ProbeError, ProbeWarning, check_choice

__all__ = [
    "FITTED_GTOL",
    "FITTED_RTOL",
    "TARGETS",
    "cluster_accuracy",
    "class_impact_matrix",
    "elasticity_by_loop",
    "elasticity_matrices",
    "fitted_rows",
    "kmeans_accuracy",
    "relation_means",
]

TARGETS = ("loss", "output", "logit", "jacobian")
_STEP_TARGETS = ("loss", "output")
FITTED_RTOL = 1e-3  # a row is fitted when its S_rel denominator is <= this × the median
FITTED_GTOL = 1e-3  # target="loss": ... or when its loss gradient ‖∂L_i/∂f‖ is <= this


def elasticity_matrices(
    model, X, y, *, loss: str = "ce", lr: float | None = None, target: str = "loss",
    method: str = "auto", fitted_rtol: float = FITTED_RTOL, fitted_gtol: float = FITTED_GTOL,
) -> dict[str, np.ndarray]:
    """The whole local-elasticity matrices of a model on (X, y).

    Parameters
    ----------
    model : nn.Module
        Any module mapping (n, ...) to outputs (n, C), examples treated independently (no
        BatchNorm in train mode, no active dropout: refused with a ProbeError).
    X : Tensor of shape (n, ...)
        In the parameters' dtype and device.
    y : Tensor of shape (n,)
    loss : {"ce", "mse"}
        The loss of the SGD step.
    lr : float or None
        None (default): the η → 0 limit from per-sample gradients (fast). A float: the exact
        finite-step matrices from :func:`elasticity_by_loop` (one step per probe; slow, warns).
    target : {"loss", "output", "logit", "jacobian"}
        What is measured (module docstring): the loss, the scalar output (one or two output
        columns), the true-class logit f_{y_i}(x_i), or the full logit vector (the trace kernel
        and the logit movement of :mod:`learnmech.probes.logit_jacobian`).
    method : {"auto", "structured", "vmap"}
        How the gradient Gram is formed (:func:`~learnmech.probes.gradients.gradient_gram`;
        not used by ``"jacobian"``).
    fitted_rtol : float in [0, 1)
        Row i is **fitted** when its S_rel denominator ``scale[i]`` is ≤ fitted_rtol × the
        median of ``scale`` (or is 0 or not finite); see :func:`fitted_rows`.
    fitted_gtol : float >= 0
        With ``target="loss"`` row i is also fitted when ‖∂L_i/∂f(x_i)‖ ≤ fitted_gtol (for
        ``"ce"`` about 1 − p_{y_i}; for ``"mse"`` the residual ‖f − t‖): the relative rule alone
        misses a training set that is fitted as a whole.

    Returns
    -------
    dict
        ``"S_ker"`` (n, n) float64; ``"S_rel"`` (n, n) float64 with the rows of fitted examples
        NaN (else ones on the diagonal); ``"S_rel_unmasked"`` the same without the mask;
        ``"scale"`` (n,) the denominator of each row (K_ii, or ‖Θ_ii ĝ_i‖ for ``"jacobian"``);
        ``"fitted"`` (n,) bool, the masked rows. Row = probe, column = evaluated example. A
        :class:`~learnmech.probes.checks.ProbeWarning` says how many rows were masked.
    """
    check_choice("target", target, TARGETS)
    _check_tolerances(fitted_rtol, fitted_gtol)
    if lr is not None:
        warnings.warn("elasticity_matrices(lr=...) runs the per-probe loop: n SGD steps and n "
                      "full evaluations; use lr=None for the η → 0 matrices", ProbeWarning,
                      stacklevel=2)
        return elasticity_by_loop(model, X, y, loss=loss, lr=lr, target=target,
                                  fitted_rtol=fitted_rtol, fitted_gtol=fitted_gtol)
    from learnmech.probes.gradients import check_arguments, gradient_gram

    check_arguments(model, X, y, loss=loss, target="loss" if target == "jacobian" else target,
                    probe="elasticity_matrices")
    if target == "jacobian":
        from learnmech.probes.logit_jacobian import jacobian_elasticity

        trace, movement = jacobian_elasticity(model, X, y, loss=loss)
        scale = np.diag(movement).copy()
        return _result(trace, _relative(movement, scale), scale, fitted_rows(scale, fitted_rtol),
                       _Rule("elasticity_matrices", "‖Θ_ii ĝ_i‖", fitted_rtol, None))
    K = gradient_gram(model, X, y, loss=loss, target=target, method=method)
    K = K.detach().double().cpu().numpy()
    scale = np.diag(K).copy()
    gtol = fitted_gtol if target == "loss" else None
    fitted = fitted_rows(scale, fitted_rtol) | _fitted_by_loss(model, X, y, loss, gtol)
    return _result(K, _relative(K, scale), scale, fitted,
                   _Rule("elasticity_matrices", "K_ii = ‖∇s_i‖²", fitted_rtol, gtol))


def elasticity_by_loop(
    model, X, y, *, loss: str = "ce", lr: float = 1e-3, target: str = "loss",
    probes=None, fitted_rtol: float = FITTED_RTOL, fitted_gtol: float = FITTED_GTOL,
) -> dict[str, np.ndarray]:
    """He & Su's protocol: for each probe i, one SGD step on (x_i, y_i), then evaluate all n.

    The reference implementation, and the exact finite-η matrices. The model's parameters are
    restored after every probe (and left unchanged at the end).

    Parameters
    ----------
    lr : float
        The SGD step size η (> 0).
    target : {"loss", "output"}
        The scalar measured (the step is always on the loss). ``"logit"`` and ``"jacobian"``
        are η → 0 quantities only (:func:`elasticity_matrices` with ``lr=None``).
    probes : sequence of int, optional
        Rows to compute (default all n); the other rows are NaN (for timing a subset).
    fitted_rtol, fitted_gtol
        As in :func:`elasticity_matrices`, the relative rule applied to ``scale[i]`` =
        |s_i(w⁺) − s_i(w)|, the change of the probe's own scalar (≈ η |c_i| K_ii).

    Returns
    -------
    dict
        The keys of :func:`elasticity_matrices`, shape (n, n) and (n,); rows not in ``probes``
        are NaN and not flagged.
    """
    import torch

    from learnmech.probes.gradients import check_arguments, per_sample_scalar

    if target not in _STEP_TARGETS:
        raise ProbeError(f"target: elasticity_by_loop measures a scalar, one of "
                         f"{', '.join(map(repr, _STEP_TARGETS))}; got {target!r} (the η → 0 "
                         "matrices of 'logit' and 'jacobian' come from elasticity_matrices)")
    if not lr > 0:
        raise ProbeError(f"lr must be > 0; got {lr!r}")
    _check_tolerances(fitted_rtol, fitted_gtol)
    check_arguments(model, X, y, loss=loss, target=target, probe="elasticity_by_loop")
    n = X.shape[0]
    rows = list(range(n)) if probes is None else [int(i) for i in probes]
    params = [p for p in model.parameters() if p.requires_grad]
    saved = [p.detach().clone() for p in params]
    S_ker = np.full((n, n), np.nan)
    S_rel = np.full((n, n), np.nan)
    scale = np.full(n, np.nan)
    with torch.no_grad():
        before = per_sample_scalar(model(X), y, loss=loss, target=target)  # (n,)
    try:
        for i in rows:
            x_i, y_i = X[i:i + 1], y[i:i + 1]
            out = model(x_i)
            loss_i = per_sample_scalar(out, y_i, loss=loss, target="loss")[0]
            grads = torch.autograd.grad(loss_i, params)
            c_i = 1.0 if target == "loss" else _output_slope(out, y_i, loss)
            with torch.no_grad():
                for p, g in zip(params, grads, strict=True):
                    p.sub_(lr * g)  # w⁺ = w − η ∇L_i
                after = per_sample_scalar(model(X), y, loss=loss, target=target)
                for p, p0 in zip(params, saved, strict=True):
                    p.copy_(p0)
            change = (after - before).double().cpu().numpy()  # (n,)
            with np.errstate(divide="ignore", invalid="ignore"):
                S_ker[i] = change / (-lr * c_i)
                S_rel[i] = np.abs(change) / abs(change[i])
            scale[i] = abs(change[i])
    finally:
        with torch.no_grad():
            for p, p0 in zip(params, saved, strict=True):
                p.copy_(p0)
    gtol = fitted_gtol if target == "loss" else None
    fitted = np.zeros(n, dtype=bool)
    fitted[rows] = fitted_rows(scale[rows], fitted_rtol) | _fitted_by_loss(
        model, X[rows], y[rows], loss, gtol)
    return _result(S_ker, S_rel, scale, fitted,
                   _Rule("elasticity_by_loop", "|s_i(w⁺) − s_i(w)|", fitted_rtol, gtol))


def fitted_rows(scale, rtol: float = FITTED_RTOL) -> np.ndarray:
    """Which rows of S_rel divide by a vanishing denominator ("fitted" examples).

    Parameters
    ----------
    scale : array of shape (n,)
        Each row's denominator: K_ii = ‖∇s_i‖² (η → 0), ‖Θ_ii ĝ_i‖ (``"jacobian"``) or the
        probe's own change |Δs_i| (finite η).
    rtol : float in [0, 1)
        Relative threshold.

    Returns
    -------
    ndarray of bool, shape (n,)
        True where |scale_i| ≤ rtol × median |scale| (over the finite entries), where
        scale_i = 0, or where it is not finite. For ``target="loss"`` with the default 1e-3 this
        is a loss gradient below √1e-3 ≈ 3 % of the median gradient norm: a fitted example, whose
        S_rel row would be a ratio of two vanishing numbers (hundreds to thousands).
    """
    scale = np.abs(np.asarray(scale, dtype=float))
    finite = np.isfinite(scale)
    if not finite.any():
        return np.ones(scale.shape, dtype=bool)
    median = float(np.median(scale[finite]))
    with np.errstate(invalid="ignore"):
        return ~finite | (scale == 0) | (scale <= rtol * median)


def relation_means(S, labels, *, exclude_diagonal: bool = True) -> dict[str, float]:
    """Mean of S over same-label and other-label pairs, and their ratio.

    Parameters
    ----------
    S : array of shape (n, n)
    labels : array of shape (n,)
        Class (or superclass) of each example.
    exclude_diagonal : bool
        Leave out i = j (S_rel is 1 there by definition).

    Returns
    -------
    dict
        ``{"same": float, "other": float, "ratio": same / other}`` (NaN where undefined).
    """
    S = np.asarray(S, dtype=float)
    labels = np.asarray(labels)
    same = labels[:, None] == labels[None, :]
    keep = ~np.eye(len(labels), dtype=bool) if exclude_diagonal else np.ones_like(same)
    s = _nanmean(S[same & keep])
    o = _nanmean(S[~same & keep])
    ratio = s / o if o and np.isfinite(o) else float("nan")
    return {"same": s, "other": o, "ratio": float(ratio)}


def class_impact_matrix(S, labels) -> np.ndarray:
    """(K, K) mean of S over probes of class k (rows) and evaluated examples of class k′,
    diagonal pairs i = j left out. Its diagonal mean is the intra-class impact α and its
    off-diagonal mean the inter-class β of Zhang, Wang & Su's locally elastic SDE."""
    S = np.asarray(S, dtype=float)
    labels = np.asarray(labels)
    classes = np.unique(labels)
    off = ~np.eye(len(labels), dtype=bool)
    out = np.empty((len(classes), len(classes)))
    for a, ka in enumerate(classes):
        for b, kb in enumerate(classes):
            block = (labels[:, None] == ka) & (labels[None, :] == kb) & off
            out[a, b] = _nanmean(S[block])
    return out


def cluster_accuracy(S, labels, *, method: str = "spectral", seed: int = 0) -> float:
    """Accuracy of clustering the examples with similarity S into as many groups as labels.

    Parameters
    ----------
    S : array of shape (n, n)
        Similarity (need not be symmetric; every method first symmetrises it).
    labels : array of shape (n,)
        True classes (used only to score).
    method : {"spectral", "rows", "kernel"}
        ``"spectral"`` (default): normalised spectral clustering on the affinity
        A = (|S| + |S|ᵀ)/2 (Ng, Jordan & Weiss 2002). ``"rows"``: K-means on the rows of
        M = (S + Sᵀ)/2 — He & Su's clustering of the relative similarity S_rel. ``"kernel"``:
        kernel K-means with M as the kernel — He & Su's clustering of the kernelised S_ker.
    seed : int
        Seeds K-means (10 restarts).

    Returns
    -------
    float
        Fraction of examples in the right cluster under the best matching of clusters to
        classes (0.5 is chance for two balanced classes, 1 is perfect).
    """
    S = np.asarray(S, dtype=float)
    labels = np.asarray(labels)
    check_choice("method", method, ("spectral", "rows", "kernel"))
    if not np.isfinite(S).all():
        raise ProbeError(
            f"S: has {int((~np.isfinite(S)).sum())} non-finite entries (NaN rows of S_rel are "
            "fitted examples masked by elasticity_matrices); cluster the other examples, e.g. "
            "keep = ~result['fitted']; S[np.ix_(keep, keep)], labels[keep]")
    k = len(np.unique(labels))
    if method == "spectral":
        A = 0.5 * (np.abs(S) + np.abs(S).T)
        d = A.sum(axis=1)
        inv = 1.0 / np.sqrt(np.where(d > 0, d, 1.0))
        M = inv[:, None] * A * inv[None, :]  # D^{-1/2} A D^{-1/2}
        _, vecs = np.linalg.eigh(M)
        emb = vecs[:, -k:]
        emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-300)
    elif method == "kernel":
        found = _kernel_kmeans(0.5 * (S + S.T), k, seed)
        return _matched_accuracy(found, labels, k)
    else:  # "rows"
        emb = 0.5 * (S + S.T)
    return _kmeans_matched(emb, labels, k, seed)


def kmeans_accuracy(X, labels, pca_components: int | None = None, *, seed: int = 0) -> float:
    """Baseline: K-means on the inputs (flattened), optionally after PCA to
    ``pca_components`` dimensions; accuracy under the best cluster-to-class matching."""
    X = np.asarray(X, dtype=float).reshape(len(labels), -1)
    labels = np.asarray(labels)
    if pca_components is not None:
        from sklearn.decomposition import PCA

        X = PCA(n_components=int(pca_components), random_state=seed).fit_transform(X)
    return _kmeans_matched(X, labels, len(np.unique(labels)), seed)


# --------------------------------------------------------------------------- internals


def _relative(K: np.ndarray, diag: np.ndarray) -> np.ndarray:
    """|K_ij| / |K_ii| row by row (rows with K_ii = 0 are NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(K) / np.abs(diag)[:, None]


class _Rule(NamedTuple):
    """How rows were flagged: the probe, its S_rel denominator, and the two tolerances (gtol
    None where the loss-gradient rule does not apply)."""

    probe: str
    denominator: str
    rtol: float
    gtol: float | None


def _fitted_by_loss(model, X, y, loss: str, gtol: float | None) -> np.ndarray:
    """Rows whose loss gradient with respect to the outputs is ≤ gtol (none when gtol is None)."""
    if gtol is None:
        return np.zeros(X.shape[0], dtype=bool)
    from learnmech.probes.gradients import output_gradients

    g = output_gradients(model, X, y, loss=loss)
    return (g.reshape(g.shape[0], -1).norm(dim=1) <= gtol).cpu().numpy()


def _result(S_ker, S_rel, scale, fitted, rule: _Rule) -> dict[str, np.ndarray]:
    """The elasticity result: S_rel with fitted rows NaN, the raw values and the mask kept;
    a ProbeWarning when any row is masked."""
    masked = S_rel.copy()
    masked[fitted] = np.nan
    if fitted.any():
        by_loss = (f"their loss gradient ‖∂L_i/∂f‖ is <= {rule.gtol:g}, or "
                   if rule.gtol is not None else "")
        warnings.warn(
            f"{rule.probe}: {int(fitted.sum())} of {len(fitted)} examples are fitted — "
            f"{by_loss}their S_rel denominator {rule.denominator} is <= {rule.rtol:g} × the "
            "median (or zero) — so their rows are ratios of vanishing numbers. Those rows are "
            "NaN in 'S_rel' (raw values in 'S_rel_unmasked', the mask in 'fitted'). For a "
            "trained multi-class network use target='logit' (true-class logit) or "
            "target='jacobian' (logit Jacobian); with target='loss' probe examples the network "
            "has not fitted.", ProbeWarning, stacklevel=3)
    return {"S_ker": S_ker, "S_rel": masked, "S_rel_unmasked": S_rel, "scale": scale,
            "fitted": fitted}


def _check_tolerances(rtol, gtol) -> None:
    if not (isinstance(rtol, int | float) and 0 <= rtol < 1):
        raise ProbeError(f"fitted_rtol must be a number in [0, 1); got {rtol!r}")
    if not (isinstance(gtol, int | float) and 0 <= gtol < float("inf")):
        raise ProbeError(f"fitted_gtol must be a finite number >= 0; got {gtol!r}")


def _output_slope(out, y, loss: str) -> float:
    """c = ∂L/∂f at one example: the projection of ∂L/∂out on ∂f/∂out (exact whenever the loss
    depends on the output only through the scalar f, e.g. two-logit cross-entropy)."""
    import torch

    from learnmech.probes.gradients import per_sample_scalar

    o = out.detach().requires_grad_(True)
    dL = torch.autograd.grad(per_sample_scalar(o, y, loss=loss)[0], o)[0]
    df = torch.autograd.grad(per_sample_scalar(o, y, target="output")[0], o)[0]
    return float((dL * df).sum() / (df * df).sum())


def _nanmean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def _kmeans_matched(emb: np.ndarray, labels: np.ndarray, k: int, seed: int) -> float:
    """K-means on ``emb`` (n, p), scored against labels with the Hungarian matching."""
    from sklearn.cluster import KMeans

    found = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(emb)
    return _matched_accuracy(found, labels, k)


def _matched_accuracy(found: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of examples whose cluster (``found``, ints in [0, k)) maps to their class under
    the best one-to-one matching of clusters to classes (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    classes, truth = np.unique(labels, return_inverse=True)
    confusion = np.zeros((k, len(classes)))
    np.add.at(confusion, (found, truth), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return float(confusion[rows, cols].sum() / len(labels))


def _kernel_kmeans(K: np.ndarray, k: int, seed: int, *, restarts: int = 10,
                   max_iter: int = 100) -> np.ndarray:
    """Kernel K-means (Lloyd iterations in the feature space of the kernel K, shape (n, n)).

    The squared distance of example i to the mean of cluster c is
    K_ii − 2 mean_{j∈c} K_ij + mean_{j,l∈c} K_jl; the best of ``restarts`` random starts
    (lowest total within-cluster distance) is returned as ints in [0, k), shape (n,).
    """
    n = len(K)
    rng = np.random.default_rng(seed)
    best, best_cost = None, np.inf
    for _ in range(restarts):
        assign = rng.integers(k, size=n)
        for _ in range(max_iter):
            dist = np.full((n, k), np.inf)
            for c in range(k):
                members = assign == c
                if members.any():
                    dist[:, c] = (np.diag(K) - 2.0 * K[:, members].mean(axis=1)
                                  + K[np.ix_(members, members)].mean())
            new = dist.argmin(axis=1)
            if np.array_equal(new, assign):
                break
            assign = new
        cost = float(dist[np.arange(n), assign].sum())
        if cost < best_cost:
            best, best_cost = assign, cost
    return best
