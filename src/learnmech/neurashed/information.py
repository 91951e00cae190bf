"""Information-plane estimators for a per-example representation (all results in bits).

Setting (``shared/design/neurashed.md`` §4): the training set has ``n`` examples; example ``i``
has a representation ``r(i)`` (a row of ``rep``, shape ``(n_examples, n_dims)``) and a label
``y_i`` in ``{0, ..., K-1}``. ``X`` is the example's identity, uniform over the ``n`` examples,
``Y`` its label and ``T`` a random variable built from ``r(X)``. We report

* ``I(X;T)``   -- how much ``T`` says about *which training example* it came from (at most
  ``log2 n``, because ``X`` is uniform over ``n`` examples, not over an input distribution);
* ``I(T;Y)``   -- how much ``T`` says about the label (at most ``H(Y)``);
* ``I(X;T|Y) = I(X;T) - I(T;Y)`` -- what ``T`` keeps about the example beyond its label
  (``Y`` is a function of ``X``, so the chain rule gives this identity exactly).

Two estimators, which measure *different* things; neither is "the" information of a
deterministic continuous map, which is ``log2 n`` for any injective ``r`` (the known pitfall):

1. :func:`binned_information` -- fixed-width binning of every coordinate, as Shwartz-Ziv &
   Tishby (2017) binned activations. ``T`` is the tuple of bin indices, a deterministic function
   of ``X``, so ``I(X;T) = H(T)``; plug-in entropies of the bin occupancy over the ``n``
   examples. The answer is a property of (representation, bin width), not of the
   representation alone.
2. :func:`gaussian_channel_information` -- a noisy channel ``T = r(X) + N(0, s^2 I)`` (Saxe et
   al. 2018; Kolchinsky & Tracey 2017). ``T`` is a mixture of ``n`` equal-weight Gaussians, and
   ``I(X;T) = h(T) - h(T|X)``. The mixture entropy has no closed form; we offer the pairwise
   distance bounds of Kolchinsky & Tracey (KL upper bound, Bhattacharyya lower bound) and an
   unbiased Monte Carlo estimate. The noise std ``s`` plays the role of the bin width.

References
----------
R. Shwartz-Ziv and N. Tishby, "Opening the black box of deep neural networks via information",
arXiv:1703.00810, 2017.

A. M. Saxe, Y. Bansal, J. Dapello, M. Advani, A. Kolchinsky, B. D. Tracey and D. D. Cox,
"On the information bottleneck theory of deep learning", ICLR 2018.

A. Kolchinsky and B. D. Tracey, "Estimating mixture entropy with pairwise distances",
Entropy 19(7):361, 2017.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

__all__ = [
    "InformationEstimate",
    "binned_information",
    "discrete_entropy",
    "gaussian_channel_information",
    "information_plane",
]

_LN2 = math.log(2.0)
_METHODS = ("kl_upper", "bhattacharyya_lower", "monte_carlo")
_ESTIMATORS = ("binned", "gaussian_channel")
# Largest |r / bin_width| for which floor() gives an exact integer bin index.
_MAX_BIN_INDEX = 2.0**52
# Cap on the number of (sample, component) entries held at once by the Monte Carlo estimator.
_MC_CHUNK_ENTRIES = 2**22


@dataclass(frozen=True)
class InformationEstimate:
    """Bits. i_xt = I(X;T), i_ty = I(T;Y), i_xt_given_y = I(X;T|Y) = i_xt - i_ty; estimator: str.

    Attributes
    ----------
    i_xt : float
        ``I(X;T)`` in bits, ``X`` the example's identity (uniform over the examples).
    i_ty : float
        ``I(T;Y)`` in bits, ``Y`` the label.
    i_xt_given_y : float
        ``I(X;T|Y)`` in bits; equals ``i_xt - i_ty`` (up to float rounding).
    estimator : str
        Which estimator produced the numbers, with its parameters, e.g.
        ``"binned(bin_width=0.5)"`` or ``"gaussian_channel(noise_std=1, method=kl_upper)"``.
    """

    i_xt: float
    i_ty: float
    i_xt_given_y: float
    estimator: str


# --------------------------------------------------------------------------- validation


def _check_rep(rep: object, name: str = "rep") -> np.ndarray:
    arr = np.asarray(rep)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real-valued, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_examples, n_dims) (2-D), got shape {arr.shape}"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have n_examples >= 1 and n_dims >= 1, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _check_labels(labels: object, n: int) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"labels must have shape (n_examples,) = ({n},) to match rep, got shape {arr.shape}"
        )
    if np.issubdtype(arr.dtype, np.integer):
        out = arr.astype(np.int64, copy=False)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError("labels must be non-negative integers (no NaN or inf)")
        if not np.all(arr == np.round(arr)):
            raise ValueError("labels must be non-negative integers, got non-integral values")
        out = arr.astype(np.int64)
    else:
        raise ValueError(f"labels must be non-negative integers, got dtype {arr.dtype}")
    if out.size and out.min() < 0:
        raise ValueError(f"labels must be non-negative integers (>= 0), got min {out.min()}")
    return out


def _check_positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a real number > 0, got {value!r}")
    val = float(value)
    if not (math.isfinite(val) and val > 0.0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return val


# --------------------------------------------------------------------------- discrete


def discrete_entropy(counts: object) -> float:
    """Plug-in (maximum-likelihood) Shannon entropy, in bits, of a histogram.

    Parameters
    ----------
    counts : array_like of shape (n_cells,) (any shape is flattened)
        Non-negative, finite occupancy counts (zeros allowed, need not be integers); at least one
        must be positive.

    Returns
    -------
    float
        ``H = -sum_k p_k log2 p_k`` with ``p_k = counts_k / sum(counts)``, in bits (0 log 0 = 0).

    Notes
    -----
    Bias: the plug-in entropy is biased *low* when the number of samples is not large compared
    with the number of occupied cells; to first order by ``(B - 1) / (2 N ln 2)`` bits (Miller
    1955), with ``B`` occupied cells and ``N = sum(counts)``.
    """
    arr = np.asarray(counts, dtype=np.float64).ravel()
    if arr.size == 0:
        raise ValueError("counts must contain at least one cell, got an empty array")
    if not np.all(np.isfinite(arr)):
        raise ValueError("counts must be finite (no NaN or inf)")
    if np.any(arr < 0):
        raise ValueError("counts must be non-negative (>= 0)")
    total = arr.sum()
    if total <= 0:
        raise ValueError("counts must have a positive sum (at least one count > 0)")
    p = arr[arr > 0] / total
    return float(max(0.0, -np.sum(p * np.log2(p))))


def _entropy_of_codes(codes: np.ndarray) -> float:
    """Plug-in entropy (bits) of the empirical distribution of integer codes, shape (m,)."""
    _, counts = np.unique(codes, return_counts=True)
    return discrete_entropy(counts)


def binned_information(
    rep: np.ndarray, labels: np.ndarray, *, bin_width: float
) -> InformationEstimate:
    """Information plane by fixed-width binning (Shwartz-Ziv & Tishby 2017), in bits.

    Every coordinate is binned on the grid ``bin_width * Z``: ``T_i`` is the tuple
    ``floor(rep[i] / bin_width)``. Because ``T`` is a deterministic function of ``X`` (uniform
    over the examples), ``I(X;T) = H(T)``, ``I(T;Y) = H(T) - H(T|Y)`` and
    ``I(X;T|Y) = H(T|Y)``, all plug-in entropies of the bin occupancy over the examples.

    Parameters
    ----------
    rep : ndarray of shape (n_examples, n_dims)
        Finite representation vectors, one row per example.
    labels : ndarray of shape (n_examples,)
        Non-negative integer labels.
    bin_width : float
        Width of every bin, > 0, in the units of ``rep``. Bins are anchored at 0.

    Returns
    -------
    InformationEstimate
        ``i_xt``, ``i_ty``, ``i_xt_given_y`` in bits; ``0 <= i_ty <= min(i_xt, H(Y))`` and
        ``i_xt <= log2 n_examples``.

    Notes
    -----
    Bias, stated plainly: the result measures the bin grid as much as the representation. As
    ``bin_width -> 0`` every distinct example gets its own bin and ``I(X;T) -> log2 n`` (and
    ``I(T;Y) -> H(Y)``) for *any* injective representation -- the known pitfall of binning a
    deterministic continuous map; as ``bin_width -> inf`` everything falls in one bin and all
    three go to 0. Changes over training may only reflect the representation's scale changing
    relative to the fixed grid. Plug-in entropies are biased low with few examples per bin
    (``discrete_entropy``), and the plug-in ``I(T;Y)`` is biased *high* (roughly
    ``(B_T - 1)(K - 1) / (2 n ln 2)`` bits for ``B_T`` occupied bins and ``K`` classes).
    Values exactly on a bin edge go to the upper bin, subject to float rounding of
    ``rep / bin_width``.
    """
    r = _check_rep(rep)
    y = _check_labels(labels, r.shape[0])
    width = _check_positive(bin_width, "bin_width")
    scaled = r / width
    if not np.all(np.abs(scaled) < _MAX_BIN_INDEX):
        raise ValueError(
            f"bin_width={bin_width!r} is too small for the range of rep: |rep / bin_width| must "
            f"stay below 2**52 so that bin indices are exact"
        )
    idx = np.floor(scaled).astype(np.int64)
    _, t_code = np.unique(idx, axis=0, return_inverse=True)
    t_code = np.asarray(t_code).reshape(-1)
    _, y_code = np.unique(y, return_inverse=True)
    y_code = np.asarray(y_code).reshape(-1)
    n_t = int(t_code.max()) + 1

    h_t = _entropy_of_codes(t_code)
    h_y = _entropy_of_codes(y_code)
    h_ty = _entropy_of_codes(y_code * n_t + t_code)
    h_t_given_y = max(0.0, h_ty - h_y)
    # Clamp rounding so that 0 <= I(T;Y) <= min(H(T), H(Y)) holds exactly.
    i_ty = min(max(0.0, h_t - h_t_given_y), h_t, h_y)
    return InformationEstimate(
        i_xt=h_t,
        i_ty=i_ty,
        i_xt_given_y=h_t - i_ty,
        estimator=f"binned(bin_width={width:g})",
    )


# --------------------------------------------------------------------------- Gaussian channel


def _pairwise_information(
    r: np.ndarray, y_code: np.ndarray, s: float, factor: float
) -> tuple[float, float]:
    """Pairwise-distance estimate (nats) of I(X;T) and I(X;T|Y) for T = r(X) + N(0, s^2 I).

    With ``D_ij = |r_i - r_j|^2 / (factor * s^2)`` (``factor = 2``: KL divergence,
    ``factor = 8``: Bhattacharyya distance between the two Gaussians) the Kolchinsky-Tracey
    estimate is ``I = -mean_i ln mean_j exp(-D_ij)``, written as
    ``-mean_i log1p(-mean_j (1 - exp(-D_ij)))`` so that it is accurate (and exactly >= 0) both
    when the points are far apart and when they are much closer than ``s``.
    """
    d2 = cdist(r, r, metric="sqeuclidean")
    g = -np.expm1(d2 * (-1.0 / (factor * s * s)))  # 1 - exp(-D_ij), in [0, 1], 0 on diagonal
    a_all = g.mean(axis=1)
    same = y_code[:, None] == y_code[None, :]
    n_same = same.sum(axis=1)
    a_same = np.where(same, g, 0.0).sum(axis=1) / n_same
    i_xt = float(-np.mean(np.log1p(-a_all))) + 0.0  # + 0.0 turns -0.0 into 0.0
    i_xt_given_y = float(-np.mean(np.log1p(-a_same))) + 0.0
    return i_xt, i_xt_given_y


def _monte_carlo_information(
    r: np.ndarray, y_code: np.ndarray, s: float, n_mc: int, seed: int
) -> tuple[float, float]:
    """Stratified Monte Carlo estimate (nats) of I(X;T) and I(X;T|Y), exact mixture density.

    Each example gets ``m = ceil(n_mc / n)`` draws ``t = r_i + s z``. For each draw the exact
    pointwise information ``ln p(t|i) / p(t) = -ln mean_j exp(E_ij)`` is computed with
    ``E_ij = -(|r_i - r_j|^2 + 2 s z.(r_i - r_j)) / (2 s^2)``, and likewise within the class.
    """
    n = r.shape[0]
    m = max(1, -(-n_mc // n))
    rng = np.random.default_rng(seed)
    d2 = cdist(r, r, metric="sqeuclidean")
    same = y_code[:, None] == y_code[None, :]
    n_same = same.sum(axis=1).astype(np.float64)
    rows_per_chunk = max(1, _MC_CHUNK_ENTRIES // (m * n))
    total_xt = 0.0
    total_xt_y = 0.0
    for start in range(0, n, rows_per_chunk):
        comp = np.arange(start, min(n, start + rows_per_chunk))
        z = rng.standard_normal((comp.size, m, r.shape[1]))
        zr = z @ r.T  # (c, m, n): z . r_j
        zri = np.einsum("cmd,cd->cm", z, r[comp])  # z . r_i
        e = -(d2[comp][:, None, :] / (2.0 * s * s)) - (zri[:, :, None] - zr) / s
        lse_all = logsumexp(e, axis=2)
        lse_same = logsumexp(np.where(same[comp][:, None, :], e, -np.inf), axis=2)
        total_xt += float(np.sum(math.log(n) - lse_all))
        total_xt_y += float(np.sum(np.log(n_same[comp])[:, None] - lse_same))
    count = n * m
    return total_xt / count, total_xt_y / count


def gaussian_channel_information(
    rep: np.ndarray,
    labels: np.ndarray,
    *,
    noise_std: float,
    method: str = "kl_upper",
    n_mc: int = 2000,
    seed: int = 0,
) -> InformationEstimate:
    """Information plane of the noisy channel ``T = r(X) + N(0, noise_std^2 I)``, in bits.

    ``X`` is uniform over the examples, so ``T`` is a mixture of ``n`` equal-weight isotropic
    Gaussians centred at the rows of ``rep`` and ``I(X;T) = h(T) - h(T|X)``, where
    ``h(T|X) = (d/2) log(2 pi e s^2)`` is exact. Within class ``y``, ``T`` is the mixture of the
    ``n_y`` components of that class, so ``I(X;T|Y) = sum_y p(y) I_y`` with ``I_y`` the same
    mixture information over class ``y`` alone, and ``I(T;Y) = I(X;T) - I(X;T|Y)``.

    Parameters
    ----------
    rep : ndarray of shape (n_examples, n_dims)
        Finite representation vectors (Gaussian means), one row per example.
    labels : ndarray of shape (n_examples,)
        Non-negative integer labels.
    noise_std : float
        Noise standard deviation ``s`` > 0, in the units of ``rep``.
    method : {"kl_upper", "bhattacharyya_lower", "monte_carlo"}
        How the mixture entropy is estimated:

        * ``"kl_upper"`` (default): pairwise estimate with the KL divergence
          ``D_ij = |r_i - r_j|^2 / (2 s^2)``, an upper bound on ``I(X;T)`` and on every
          ``I_y`` (Kolchinsky & Tracey 2017, as used by Saxe et al. 2018). Default because it is
          deterministic, O(n^2 d) and fast (no sampling noise to confuse with learning
          dynamics), exact in both limits (all points much farther apart than ``s``, or all much
          closer), and never understates ``I(X;T)``.
        * ``"bhattacharyya_lower"``: same form with the Bhattacharyya distance
          ``|r_i - r_j|^2 / (8 s^2)``, a lower bound; the gap to ``"kl_upper"`` brackets the
          exact value.
        * ``"monte_carlo"``: unbiased estimate with the exact mixture density, from a fixed-seed
          stratified sample (``ceil(n_mc / n)`` noise draws per example); standard error
          roughly ``std / sqrt(n_mc)``.
    n_mc : int
        Minimum total number of Monte Carlo draws (>= 1); only used by ``"monte_carlo"``.
    seed : int
        Seed of the Monte Carlo sample (>= 0); only used by ``"monte_carlo"``.

    Returns
    -------
    InformationEstimate
        ``i_xt``, ``i_ty``, ``i_xt_given_y`` in bits, ``i_xt_given_y = i_xt - i_ty`` exactly.
        For the pairwise methods ``0 <= i_xt_given_y <= i_xt <= log2 n`` and
        ``i_ty <= H(Y)``.

    Notes
    -----
    Bias, stated plainly: this is the information of the *noisy* channel, and ``s`` sets its
    resolution the way the bin width does for binning -- ``I(X;T) -> log2 n`` as ``s -> 0`` for
    distinct points and ``-> 0`` as ``s -> inf``; only comparisons at a fixed ``s`` mean
    anything. ``"kl_upper"`` overstates and ``"bhattacharyya_lower"`` understates ``I(X;T)``
    and ``I(X;T|Y)``, most when pairwise distances are comparable to ``s`` (never by more
    than the gap between the two), and both are exact in the two limits. Their ``I(T;Y)`` is a
    difference of two bounds, so its error has no guaranteed sign; it is always ``<= H(Y)`` but
    can come out slightly negative when classes interleave at the noise scale (it is not
    clipped, so that the identity above holds). ``"monte_carlo"`` has no bias, only sampling
    error (the same draws are used for all three quantities).
    """
    r = _check_rep(rep)
    y = _check_labels(labels, r.shape[0])
    s = _check_positive(noise_std, "noise_std")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    if isinstance(n_mc, bool) or not isinstance(n_mc, int | np.integer) or n_mc < 1:
        raise ValueError(f"n_mc must be an integer >= 1, got {n_mc!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    _, y_code = np.unique(y, return_inverse=True)
    y_code = np.asarray(y_code).reshape(-1)

    if method == "monte_carlo":
        nats_xt, nats_xt_y = _monte_carlo_information(r, y_code, s, int(n_mc), int(seed))
    else:
        factor = 2.0 if method == "kl_upper" else 8.0
        nats_xt, nats_xt_y = _pairwise_information(r, y_code, s, factor)
    i_xt = nats_xt / _LN2
    i_xt_given_y = nats_xt_y / _LN2
    return InformationEstimate(
        i_xt=i_xt,
        i_ty=i_xt - i_xt_given_y,
        i_xt_given_y=i_xt_given_y,
        estimator=f"gaussian_channel(noise_std={s:g}, method={method})",
    )


# --------------------------------------------------------------------------- per level


def information_plane(
    rep_by_level: np.ndarray, labels: np.ndarray, *, estimator: str, **kwargs: object
) -> np.ndarray:
    """Information-plane coordinates of every level, in bits.

    Parameters
    ----------
    rep_by_level : ndarray of shape (n_levels, n_examples, n_dims)
        Representation of each level, ``rep_by_level[l, i]`` = ``r_l(i)``.
    labels : ndarray of shape (n_examples,)
        Non-negative integer labels.
    estimator : {"binned", "gaussian_channel"}
        ``"binned"`` calls :func:`binned_information` (needs ``bin_width=``);
        ``"gaussian_channel"`` calls :func:`gaussian_channel_information` (needs
        ``noise_std=``, optional ``method=``, ``n_mc=``, ``seed=``).
    **kwargs
        Passed on to the estimator.

    Returns
    -------
    ndarray of shape (n_levels, 3)
        Row ``l`` holds ``(I(X;T_l), I(T_l;Y), I(X;T_l|Y))`` in bits.
    """
    if estimator not in _ESTIMATORS:
        raise ValueError(
            f"estimator must be one of {', '.join(map(repr, _ESTIMATORS))}, got {estimator!r}"
        )
    arr = np.asarray(rep_by_level)
    if arr.ndim != 3:
        raise ValueError(
            "rep_by_level must have shape (n_levels, n_examples, n_dims) (3-D), "
            f"got shape {arr.shape}"
        )
    func = binned_information if estimator == "binned" else gaussian_channel_information
    out = np.empty((arr.shape[0], 3), dtype=np.float64)
    for level in range(arr.shape[0]):
        est = func(arr[level], labels, **kwargs)  # type: ignore[arg-type]
        out[level] = (est.i_xt, est.i_ty, est.i_xt_given_y)
    return out
