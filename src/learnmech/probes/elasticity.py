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

Reference: H. He and W. J. Su, "The local elasticity of neural networks", ICLR 2020;
Z. Deng, H. He and W. J. Su, "Toward better generalization bounds with locally elastic
stability", ICML 2021; J. Zhang, H. Wang and W. J. Su, "Imitating deep learning dynamics via
locally elastic stochastic differential equations", NeurIPS 2021 (the class-level α, β).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "cluster_accuracy",
    "class_impact_matrix",
    "elasticity_by_loop",
    "elasticity_matrices",
    "kmeans_accuracy",
    "relation_means",
]


def elasticity_matrices(
    model, X, y, *, loss: str = "ce", lr: float | None = None, target: str = "loss",
    method: str = "auto",
) -> dict[str, np.ndarray]:
    """The whole local-elasticity matrices of a model on (X, y).

    Parameters
    ----------
    model : nn.Module
        Any module mapping (n, ...) to outputs (n, C), examples treated independently.
    X : Tensor of shape (n, ...)
    y : Tensor of shape (n,)
    loss : {"ce", "mse"}
        The loss of the SGD step.
    lr : float or None
        None (default): the η → 0 limit from per-sample gradients (fast). A float: the exact
        finite-step matrices from :func:`elasticity_by_loop` (one step per probe; slow, warns).
    target : {"loss", "output"}
        The scalar whose change is measured (see the module docstring).
    method : {"auto", "structured", "vmap"}
        How the gradient Gram is formed (:func:`~learnmech.probes.gradients.gradient_gram`).

    Returns
    -------
    dict
        ``"S_ker"`` (n, n) float64 and ``"S_rel"`` (n, n) float64 (row = probe, column =
        evaluated example; S_rel has ones on the diagonal).
    """
    if lr is not None:
        warnings.warn("elasticity_matrices(lr=...) runs the per-probe loop: n SGD steps and n "
                      "full evaluations; use lr=None for the η → 0 matrices", stacklevel=2)
        return elasticity_by_loop(model, X, y, loss=loss, lr=lr, target=target)
    from learnmech.probes.gradients import gradient_gram

    K = gradient_gram(model, X, y, loss=loss, target=target, method=method)
    K = K.detach().double().cpu().numpy()
    return {"S_ker": K, "S_rel": _relative(K, np.diag(K))}


def elasticity_by_loop(
    model, X, y, *, loss: str = "ce", lr: float = 1e-3, target: str = "loss",
    probes=None,
) -> dict[str, np.ndarray]:
    """He & Su's protocol: for each probe i, one SGD step on (x_i, y_i), then evaluate all n.

    The reference implementation, and the exact finite-η matrices. The model's parameters are
    restored after every probe (and left unchanged at the end).

    Parameters
    ----------
    lr : float
        The SGD step size η (> 0).
    probes : sequence of int, optional
        Rows to compute (default all n); the other rows are NaN (for timing a subset).

    Returns
    -------
    dict
        ``"S_ker"`` and ``"S_rel"`` as in :func:`elasticity_matrices`, shape (n, n).
    """
    import torch

    from learnmech.probes.gradients import per_sample_scalar

    if not lr > 0:
        raise ValueError(f"lr must be > 0; got {lr!r}")
    n = X.shape[0]
    rows = range(n) if probes is None else [int(i) for i in probes]
    params = [p for p in model.parameters() if p.requires_grad]
    saved = [p.detach().clone() for p in params]
    S_ker = np.full((n, n), np.nan)
    S_rel = np.full((n, n), np.nan)
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
            S_ker[i] = change / (-lr * c_i)
            S_rel[i] = np.abs(change) / abs(change[i])
    finally:
        with torch.no_grad():
            for p, p0 in zip(params, saved, strict=True):
                p.copy_(p0)
    return {"S_ker": S_ker, "S_rel": S_rel}


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
    k = len(np.unique(labels))
    if method == "spectral":
        A = 0.5 * (np.abs(S) + np.abs(S).T)
        d = A.sum(axis=1)
        inv = 1.0 / np.sqrt(np.where(d > 0, d, 1.0))
        M = inv[:, None] * A * inv[None, :]  # D^{-1/2} A D^{-1/2}
        _, vecs = np.linalg.eigh(M)
        emb = vecs[:, -k:]
        emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-300)
    elif method == "rows":
        emb = 0.5 * (S + S.T)
    elif method == "kernel":
        found = _kernel_kmeans(0.5 * (S + S.T), k, seed)
        return _matched_accuracy(found, labels, k)
    else:
        raise ValueError(f"method must be 'spectral', 'rows' or 'kernel'; got {method!r}")
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
