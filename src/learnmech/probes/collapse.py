"""Neural collapse NC1–NC4 of last-layer features (Papyan, Han & Donoho, PNAS 2020).

Features h_i (n, p) with labels y_i in {0..C−1}; class means μ_c, global mean μ_G = mean of the
class means; centred means M = [μ_c − μ_G] (C, p); classifier W (C, p), bias b (C,).

* NC1 = tr(Σ_W Σ_B⁺)/C with Σ_W = (1/n) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ and
  Σ_B = (1/C) Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ (within-class variability collapses).
* NC2: the centred means form a simplex equiangular tight frame. ``nc2`` = ‖G/‖G‖_F −
  (I − 11ᵀ/C)/‖I − 11ᵀ/C‖_F‖_F with G = M Mᵀ (0 exactly for an ETF of any scale); also
  ``nc2_equinorm`` (std/mean of ‖μ_c − μ_G‖) and ``nc2_equiangular`` (std over c ≠ c′ of the
  cosines) and ``nc2_maxangle`` (mean |cos + 1/(C−1)|), Papyan et al.'s Figure 3–4 measures.
* NC3 = ‖W/‖W‖_F − M/‖M‖_F‖²_F (self-duality of classifier and means).
* NC4 = fraction of examples where the classifier argmax_c (W h + b)_c differs from the
  nearest class mean argmin_c ‖h − μ_c‖.
"""

from __future__ import annotations

import numpy as np

__all__ = ["neural_collapse"]


def neural_collapse(features, labels, W, b=None) -> dict[str, float]:
    """NC1–NC4 (module docstring); every value is 0 at perfect collapse.

    Parameters
    ----------
    features : array of shape (n, p)
    labels : array of shape (n,)
        Integers 0..C−1, every class present.
    W : array of shape (C, p)
    b : array of shape (C,), optional

    Returns
    -------
    dict
        ``nc1, nc2, nc2_equinorm, nc2_equiangular, nc2_maxangle, nc3, nc4`` (floats).
    """
    H = _np(features)
    y = np.asarray(_np(labels)).astype(int)
    W = _np(W)
    C = W.shape[0]
    means = np.stack([H[y == c].mean(axis=0) for c in range(C)])  # (C, p)
    M = means - means.mean(axis=0)  # (C, p) centred class means
    within = H - means[y]  # (n, p)
    sigma_w = within.T @ within / len(H)  # (p, p)
    sigma_b = M.T @ M / C  # (p, p)
    nc1 = float(np.trace(sigma_w @ np.linalg.pinv(sigma_b, rcond=1e-10, hermitian=True)) / C)

    norms = np.linalg.norm(M, axis=1)
    cos = (M @ M.T) / np.outer(norms, norms)
    off = ~np.eye(C, dtype=bool)
    gram = M @ M.T
    etf = np.eye(C) - np.ones((C, C)) / C
    nc2 = float(np.linalg.norm(gram / np.linalg.norm(gram) - etf / np.linalg.norm(etf)))

    nc3 = float(np.linalg.norm(W / np.linalg.norm(W) - M / np.linalg.norm(M)) ** 2)

    scores = H @ W.T + (0.0 if b is None else _np(b))  # (n, C)
    dist = ((H[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)  # (n, C)
    nc4 = float(np.mean(scores.argmax(axis=1) != dist.argmin(axis=1)))
    return {
        "nc1": nc1, "nc2": nc2,
        "nc2_equinorm": float(norms.std() / norms.mean()),
        "nc2_equiangular": float(cos[off].std()),
        "nc2_maxangle": float(np.abs(cos[off] + 1.0 / (C - 1)).mean()),
        "nc3": nc3, "nc4": nc4,
    }


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)
