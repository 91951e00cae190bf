"""Information-plane estimators for a network layer's activations (all results in bits).

Setting: row i of ``T`` (n, d) is the layer's activation on input i; X is the input, uniform
over the n rows (``x_ids`` may mark repeated inputs), Y its label. A deterministic network with
continuous T has I(X;T) = log2 n (or infinity) whatever it learns, so every estimator measures
the representation **at a resolution**, and that resolution is reported with every value:

* :func:`mi_binned` — Shwartz-Ziv & Tishby's binning, with the range taken from the activations
  (``bins`` equal bins between the layer's min and max, as Saxe et al. 2018 do for ReLU, not a
  fixed [−1, 1]); plug-in entropies of the bin codes. Resolution: ``bins``.
* :func:`mi_kde` — the noisy channel T̂ = T + N(0, σ² I): Kolchinsky & Tracey's pairwise-KL
  upper bound on the mixture entropy (the "KDE" estimator of Saxe et al. 2018), or the
  Bhattacharyya lower bound. One implementation, shared with the neurashed lens
  (:func:`learnmech.neurashed.information.gaussian_channel_information`). Resolution: σ².
* :func:`mi_knn` — the same noisy channel estimated without bounds by k-nearest neighbours:
  Kraskov-type estimator for a discrete and a continuous variable (Ross 2014), applied to
  I(X;T̂) (``copies`` noise draws per input, so each input is a discrete class) and I(T̂;Y).
  Resolution: k (with σ² fixed).

References: R. Shwartz-Ziv and N. Tishby, arXiv:1703.00810 (2017); A. M. Saxe et al., "On the
information bottleneck theory of deep learning", ICLR 2018; A. Kolchinsky and B. D. Tracey,
Entropy 19:361 (2017); A. Kraskov, H. Stögbauer and P. Grassberger, Phys. Rev. E 69, 066138
(2004); B. C. Ross, PLoS ONE 9(2): e87357 (2014).
"""

from __future__ import annotations

import math

import numpy as np

from learnmech.probes.checks import ProbeError

__all__ = ["ESTIMATORS", "information_plane", "mi_binned", "mi_kde", "mi_knn"]

#: estimator -> the name of its resolution parameter
ESTIMATORS = {"binned": "bins", "kde": "noise_var", "knn": "k"}
_LN2 = math.log(2.0)


def mi_binned(T, x_ids=None, y=None, *, bins: int = 30) -> tuple[float, float]:
    """(I(X;T), I(T;Y)) in bits by binning every unit into ``bins`` equal bins over
    [min T, max T] (the layer's own range).

    Parameters
    ----------
    T : array of shape (n, d)
    x_ids : array of shape (n,), optional
        Identity of the input of each row (default: all distinct). I(X;T) = H(T) + H(X) −
        H(X, T), which is H(T) when every row is a distinct input.
    y : array of shape (n,)
        Integer labels.
    bins : int
        Number of bins per unit (>= 1).

    Notes
    -----
    Plug-in entropies: biased low when bins are many compared with n (I(X;T) → log2 n as
    bins → ∞ for distinct activations) and I(T;Y) biased high by about
    (B_T − 1)(K − 1)/(2 n ln 2) bits for B_T occupied cells.
    """
    T = _rows(T)
    n = T.shape[0]
    x_ids = np.arange(n) if x_ids is None else np.asarray(x_ids)
    y = np.zeros(n, dtype=int) if y is None else np.asarray(y)
    if int(bins) < 1:
        raise ProbeError(f"bins must be an integer >= 1; got {bins!r}")
    lo, hi = float(T.min()), float(T.max())
    if hi > lo:
        idx = np.floor((T - lo) / (hi - lo) * bins).astype(np.int64)
        idx = np.clip(idx, 0, int(bins) - 1)  # max value into the top bin
    else:
        idx = np.zeros(T.shape, dtype=np.int64)
    t_code = _codes(idx)
    x_code = _codes(x_ids.reshape(n, -1))
    y_code = _codes(y.reshape(n, -1))
    h_t = _entropy(t_code)
    if len(np.unique(x_code)) == n:  # distinct inputs: T is a function of X, I(X;T) = H(T)
        i_xt = h_t
    else:
        i_xt = h_t + _entropy(x_code) - _entropy(_pair(x_code, t_code))
    i_ty = h_t + _entropy(y_code) - _entropy(_pair(y_code, t_code))
    return float(max(i_xt, 0.0)), float(max(i_ty, 0.0))


def mi_kde(T, y, *, noise_var: float = 0.1, bound: str = "upper") -> tuple[float, float]:
    """(I(X;T̂), I(T̂;Y)) in bits of T̂ = T + N(0, noise_var · I), X uniform over the rows.

    ``bound="upper"`` (default): pairwise-KL estimate, an upper bound on I(X;T̂) (Kolchinsky &
    Tracey; Saxe et al.'s KDE); ``"lower"``: Bhattacharyya lower bound. I(T̂;Y) is the
    difference of the whole-set and within-class bounds (no guaranteed sign of its error).
    """
    from learnmech.neurashed.information import gaussian_channel_information

    if bound not in ("upper", "lower"):
        raise ProbeError(f"bound must be 'upper' or 'lower'; got {bound!r}")
    if not noise_var > 0:
        raise ProbeError(f"noise_var must be > 0; got {noise_var!r}")
    method = "kl_upper" if bound == "upper" else "bhattacharyya_lower"
    est = gaussian_channel_information(_rows(T), _labels(y), noise_std=math.sqrt(noise_var),
                                       method=method)
    return float(est.i_xt), float(est.i_ty)


def mi_knn(
    T, y, *, k: int = 3, noise_var: float = 0.1, copies: int | None = None, seed: int = 0,
) -> tuple[float, float]:
    """(I(X;T̂), I(T̂;Y)) in bits of T̂ = T + N(0, noise_var · I) by k nearest neighbours.

    ``copies`` noise draws per row (default 2(k + 1); at least k + 1 so that each input has k
    neighbours of its own, and with exactly k + 1 the k-th is the farthest copy, which biases
    I(X;T̂) low by ~0.1 bit) make X a discrete variable with ``copies`` samples per value; both
    informations are then the Kraskov-type discrete–continuous estimate of Ross (2014),
    I = ψ(N) − ⟨ψ(N_c)⟩ + ψ(k) − ⟨ψ(m_i)⟩ in the max-norm, N_c the size of point i's class and
    m_i the points within its k-th same-class neighbour's distance. Small k: less bias, more
    variance. Not clipped at zero. Cost grows like (n · copies)² when the noise is wide compared
    with the spread of T (every ball then holds most points).

    Why not the Kozachenko–Leonenko entropy of T̂ minus the noise entropy: with one or a few
    draws per input its k-th neighbour distances are distances between inputs, not the noise
    scale, and it overstates I(X;T̂) past log2 n.
    """
    T = _rows(T)
    y = _labels(y)
    k = int(k)
    copies = 2 * (k + 1) if copies is None else int(copies)
    if k < 1 or copies < k + 1:
        raise ProbeError(f"need k >= 1 and copies >= k + 1; got k={k}, copies={copies}")
    if not noise_var > 0:
        raise ProbeError(f"noise_var must be > 0; got {noise_var!r}")
    rng = np.random.default_rng(seed)
    n = T.shape[0]
    noisy = np.repeat(T, copies, axis=0) + math.sqrt(noise_var) * rng.standard_normal(
        (n * copies, T.shape[1]))
    i_xt = _ross(noisy, np.repeat(np.arange(n), copies), k)
    i_ty = _ross(noisy, np.repeat(y, copies), k)
    return i_xt / _LN2, i_ty / _LN2


def information_plane(
    activations, x_ids, y, *, estimator: str = "binned", resolution=None, seed: int = 0,
) -> list[tuple[float, float]]:
    """[(I(X;T_l), I(T_l;Y)) for each layer l] in bits, one estimator at one resolution.

    Parameters
    ----------
    activations : list of arrays or Tensors of shape (n, d_l)
    x_ids : array of shape (n,) or None
        Input identities (used by ``"binned"``; the others take the rows as distinct inputs).
    y : array of shape (n,)
    estimator : {"binned", "kde", "knn"}
    resolution : int or float, optional
        ``bins`` (default 30), ``noise_var`` (default 0.1) or ``k`` (default 3), by estimator.
    """
    if estimator not in ESTIMATORS:
        raise ProbeError(f"estimator must be one of {', '.join(map(repr, ESTIMATORS))}; "
                         f"got {estimator!r}")
    out = []
    for layer in activations:
        T = _numpy(layer)
        if estimator == "binned":
            out.append(mi_binned(T, x_ids, y, bins=30 if resolution is None else int(resolution)))
        elif estimator == "kde":
            out.append(mi_kde(T, y, noise_var=0.1 if resolution is None else float(resolution)))
        else:
            out.append(mi_knn(T, y, k=3 if resolution is None else int(resolution), seed=seed))
    return out


# --------------------------------------------------------------------------- internals


def _numpy(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _rows(T) -> np.ndarray:
    T = _numpy(T)
    if T.ndim == 1:
        T = T[:, None]
    if T.ndim != 2 or not np.all(np.isfinite(T)):
        raise ProbeError(f"T must be a finite array of shape (n, d); got shape {T.shape}")
    return T.reshape(T.shape[0], -1)


def _labels(y) -> np.ndarray:
    return np.unique(np.asarray(_numpy(y) if hasattr(y, "detach") else y),
                     return_inverse=True)[1].reshape(-1)


def _codes(rows: np.ndarray) -> np.ndarray:
    """Integer code of each distinct row, shape (n,)."""
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1)


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(np.int64) * (int(b.max()) + 1) + b


def _entropy(codes: np.ndarray) -> float:
    """Plug-in entropy in bits of the empirical distribution of integer codes."""
    from learnmech.neurashed.information import discrete_entropy

    return discrete_entropy(np.unique(codes, return_counts=True)[1])


def _ross(Z: np.ndarray, c: np.ndarray, k: int) -> float:
    """Ross (2014) estimate in nats of I(C; Z), C discrete (n,), Z continuous (n, d)."""
    from scipy.spatial import cKDTree
    from scipy.special import digamma

    radius = np.full(len(Z), np.nan)
    sizes = np.zeros(len(Z))
    for value in np.unique(c):
        members = np.flatnonzero(c == value)
        if len(members) <= k:
            continue  # too few to have k neighbours of its own class: left out (Ross)
        dist, _ = cKDTree(Z[members]).query(Z[members], k=k + 1, p=np.inf)
        radius[members] = dist[:, -1]
        sizes[members] = len(members)
    keep = np.flatnonzero(np.isfinite(radius))
    if not len(keep):
        raise ProbeError(f"every class has <= k = {k} points; use a smaller k")
    tree = cKDTree(Z)
    m = tree.query_ball_point(Z[keep], r=radius[keep], p=np.inf, return_length=True) - 1
    return float(digamma(len(keep)) - digamma(sizes[keep]).mean() + digamma(k)
                 - digamma(np.maximum(m, 1)).mean())

