"""Estimating the LE-SDE from logged logits: class means, Â, B̂, α̂, β̂, tail index, imitation.

Conventions (features, time, impacts) are those of :mod:`learnmech.lesde.sde`; the modes the
estimators invert are derived in :mod:`learnmech.lesde.ode`.

The input is a **log**: at every step of batch-size-1 training, the class of the sampled
example and its logits *before* the update — from a network
(:func:`learnmech.lesde.network.train_logged`) or from the model
(:func:`learnmech.lesde.sde.simulate` with ``log=True``); several runs may be pooled.

1. :func:`class_means_from_log` — X̄_k(t): the mean of the logged logits of class-k examples in
   a centred window of ``window`` steps (pooled over runs), on a grid of steps.
2. :func:`integrated_impacts` — Â(t), B̂(t) relative to a reference step t0, two ways:

   ``"I"`` (common and deviation parts): C = mean_k X̄_k, D_k = X̄_k − C;
   v_C = log c_C, v_D = log c_D, with c the least-squares factor mapping the part at t0 onto
   the part at t (c_C = ⟨C(t), C(t0)⟩/‖C(t0)‖², c_D = Σ_k⟨D_k(t), D_k(t0)⟩/Σ_k‖D_k(t0)‖²);
   then Â = v_C + (K − 1) v_D, B̂ = v_C − v_D.

   ``"L"`` (discriminative and second direction): s_k = ⟨X̄_k, u_k⟩/‖u_k‖², s̄ = mean_k s_k,
   δ = s − s̄; v_d = log(s̄(t)/s̄(t0)), v_f = log c_δ (least-squares factor as above); then
   Â = v_d + (K − 1) v_f, B̂ = (K − 1)(v_f − v_d).

   Factors that are not positive (the direction reversed) give NaN: the model cannot describe
   that stretch.
3. :func:`impact_rates` — α̂(t), β̂(t): Savitzky–Golay derivative of Â, B̂ (a local quadratic
   fit over ``window`` steps; the default and why are in its docstring).
4. :func:`tail_index` — r̂ with α(t) ~ t^{−r}: the integrated impact is fitted as
   a + b·t^{1−r} over the last decade of the run (r < 1: A → ∞; r > 1: A converges).
5. :func:`imitation` — the LE-ODE driven by α̂, β̂ from X̄(t0), against the measured X̄(t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnmech.lesde.ode import discriminative_coordinates, le_ode

__all__ = [
    "ESTIMATORS",
    "Imitation",
    "agreement",
    "class_means_from_log",
    "imitation",
    "impact_rates",
    "integrated_impacts",
    "judge_imitation",
    "noise_floor",
    "reference_index",
    "tail_index",
]

#: Default tolerance of the imitation verdict: the LE-ODE (two functions of time) must
#: reproduce the K² class-mean logit trajectories to within a quarter of the distance they
#: moved (relative error of :func:`agreement` <= 0.25).
IMITATION_TOLERANCE = 0.25

ESTIMATORS = ("I", "L")


def class_means_from_log(labels: np.ndarray, logits: np.ndarray, num_classes: int, *,
                         window: int, grid: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class-mean logits from a batch-size-1 log, smoothed over a centred window of steps.

    Parameters
    ----------
    labels : np.ndarray of int, shape (runs, T) or (T,)
        Class of the example sampled at each step (the label trained on).
    logits : np.ndarray, shape (runs, T, K) or (T, K)
        Its logits before the update.
    num_classes : int
        K.
    window : int
        Width of the centred window, in steps (>= 1); pooled over runs. The window trades
        noise (per class ≈ runs·window/K logged examples) against bias (curvature of X̄ over
        the window).
    grid : np.ndarray of int, optional
        Steps at which to evaluate (default every ``max(1, window // 4)`` steps, from
        ``window // 2`` to ``T − 1 − window // 2``, so every window lies inside the log).

    Returns
    -------
    steps : np.ndarray of int64, shape (G,)
    Xbar : np.ndarray, shape (G, K, K)
        X̄_k(t) (class, logit); NaN where a class has no example in the window.
    counts : np.ndarray of int64, shape (G, K)
        Logged examples behind each class mean.
    """
    labels = np.atleast_2d(np.asarray(labels, dtype=np.int64))
    logits = np.asarray(logits, dtype=float)
    if logits.ndim == 2:
        logits = logits[None]
    runs, T = labels.shape
    K = int(num_classes)
    if logits.shape != (runs, T, K):
        raise ValueError(f"logits must have shape (runs, T, K) = ({runs}, {T}, {K}); got "
                         f"{logits.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels must lie in [0, {K}); got values in [{labels.min()}, "
                         f"{labels.max()}]")
    window = int(window)
    if not 1 <= window <= T:
        raise ValueError(f"window must be in [1, T = {T}] steps; got {window}")
    half = window // 2
    if grid is None:
        grid = np.arange(half, T - (window - half) + 1, max(1, window // 4))
    grid = np.asarray(grid, dtype=np.int64)
    onehot = np.eye(K)[labels]                                        # (runs, T, K)
    count = np.concatenate([[np.zeros(K)], np.cumsum(onehot.sum(0), axis=0)])      # (T+1, K)
    total = np.concatenate([np.zeros((1, K, K)),
                            np.cumsum(np.einsum("rtk,rtj->tkj", onehot, logits), axis=0)])
    lo = np.clip(grid - half, 0, T)
    hi = np.clip(grid - half + window, 0, T)
    n = count[hi] - count[lo]                                         # (G, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        Xbar = (total[hi] - total[lo]) / n[..., None]
    return grid, Xbar, n.astype(np.int64)


def reference_index(labels: np.ndarray, logits: np.ndarray, num_classes: int, *,
                    window: int, grid: np.ndarray, model: str = "L", z: float = 10.0
                    ) -> int | None:
    """First grid index from which the modes an estimator divides by are measured well.

    Each estimator (:func:`integrated_impacts`) divides by its two modes at the reference
    step t0: "L" by s̄ and ‖δ‖, "I" by ‖C‖ and ‖D‖. At initialisation a network's classes are
    not yet apart, s̄ ≈ 0 and the log ratios are noise. The reference is the first grid point
    where both modes exceed ``z`` standard errors of the windowed class means (default 10:
    the modes known to 10 %), and stay above from there on.

    Parameters
    ----------
    labels, logits, num_classes, window, grid
        As :func:`class_means_from_log`.
    model : {"L", "I"}
    z : float

    Returns
    -------
    int or None
        Index into ``grid``; None when the modes never rise above the noise.
    """
    if model not in ESTIMATORS:
        raise ValueError(f"model must be one of {ESTIMATORS}; got {model!r}")
    labels = np.atleast_2d(np.asarray(labels, dtype=np.int64))
    logits = np.asarray(logits, dtype=float)
    logits = logits[None] if logits.ndim == 2 else logits
    K = int(num_classes)
    _, Xbar, n = class_means_from_log(labels, logits, K, window=window, grid=grid)
    _, Xsq, _ = class_means_from_log(labels, logits ** 2, K, window=window, grid=grid)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_mean = np.maximum(Xsq - Xbar ** 2, 0) / np.maximum(n - 1, 1)[..., None]  # (G,K,K)
    if model == "L":
        # s-coordinate of each logged example for its own class, and its windowed moments
        own = np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
        s_log = (own - logits.mean(-1)) * K / (K - 1)                            # (runs, T)
        s_one = np.repeat(s_log[..., None], K, axis=-1)
        _, s1, _ = class_means_from_log(labels, s_one, K, window=window, grid=grid)
        _, s2, _ = class_means_from_log(labels, s_one ** 2, K, window=window, grid=grid)
        with np.errstate(invalid="ignore", divide="ignore"):
            var_s = np.maximum(s2[..., 0] - s1[..., 0] ** 2, 0) / np.maximum(n - 1, 1)  # (G,K)
        s = discriminative_coordinates(Xbar)
        sbar = s.mean(1)
        se_sbar = np.sqrt(var_s.sum(1)) / K
        dev = np.linalg.norm(s - sbar[:, None], axis=1)
        se_dev = np.sqrt(var_s.sum(1))
        ok = (sbar > z * se_sbar) & (dev > z * se_dev)
    else:
        common = Xbar.mean(1)
        se_common = np.sqrt(var_mean.sum(axis=(1, 2))) / K
        dev = np.linalg.norm(Xbar - common[:, None], axis=(1, 2))
        se_dev = np.sqrt(var_mean.sum(axis=(1, 2)))
        ok = (np.linalg.norm(common, axis=1) > z * se_common) & (dev > z * se_dev)
    ok &= np.isfinite(Xbar).all(axis=(1, 2))
    # first index from which ok holds to the end
    tail_ok = np.flip(np.logical_and.accumulate(np.flip(ok)))
    hits = np.flatnonzero(tail_ok)
    return int(hits[0]) if len(hits) else None


def integrated_impacts(Xbar: np.ndarray, model: str = "L", *, reference: int = 0
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Â(t) − Â(t0) and B̂(t) − B̂(t0) from class means (module docstring, step 2).

    Parameters
    ----------
    Xbar : np.ndarray, shape (G, K, K)
        Class means on a grid (class, logit).
    model : {"L", "I"}
        "L": discriminative and second direction (default: these are the directions the
        cross-entropy pushes along, and s̄ is what separation means); "I": common part and
        deviations (the paper's other estimator; its common part includes the logit offset
        that the softmax ignores).
    reference : int
        Index t0 into the grid.

    Returns
    -------
    A, B : np.ndarray, shape (G,)
        Integrated impacts in per-step units (NaN where a mode reversed sign).
    """
    Xbar = np.asarray(Xbar, dtype=float)
    if Xbar.ndim != 3 or Xbar.shape[1] != Xbar.shape[2]:
        raise ValueError(f"Xbar must have shape (G, K, K); got {Xbar.shape}")
    K = Xbar.shape[-1]
    if model == "L":
        s = discriminative_coordinates(Xbar)                          # (G, K)
        sbar = s.mean(axis=1)
        dev = s - sbar[:, None]
        v1 = _log_factor(sbar[:, None], reference)                    # (A − B)/K
        v2 = _log_factor(dev, reference)                              # (A + B/(K−1))/K
        return v1 + (K - 1) * v2, (K - 1) * (v2 - v1)
    if model == "I":
        common = Xbar.mean(axis=1)                                    # (G, K)
        dev = (Xbar - common[:, None, :]).reshape(len(Xbar), -1)
        vc = _log_factor(common, reference)                           # (A + (K−1)B)/K
        vd = _log_factor(dev, reference)                              # (A − B)/K
        return vc + (K - 1) * vd, vc - vd
    raise ValueError(f"model must be one of {ESTIMATORS}; got {model!r}")


def impact_rates(A: np.ndarray, B: np.ndarray, steps: np.ndarray, *, window: int | None = None,
                 polyorder: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """α̂(t), β̂(t) per step: the Savitzky–Golay derivative of Â, B̂ on an even grid of steps.

    Parameters
    ----------
    A, B : np.ndarray, shape (G,)
    steps : np.ndarray, shape (G,)
        Evenly spaced grid steps.
    window : int, optional
        Filter length in grid points (odd; default the odd number nearest G/10, at least
        polyorder + 2): long enough to average the class-mean noise, short enough to follow a
        power-law decay over a decade. The authors used a similar local quadratic fit.
    polyorder : int
        Degree of the local polynomial (default 2).

    Returns
    -------
    alpha, beta : np.ndarray, shape (G,)
        Impacts per step (NaN inputs are interpolated over first; all-NaN gives NaN).
    """
    from scipy.signal import savgol_filter

    steps = np.asarray(steps, dtype=float)
    G = len(steps)
    if G < polyorder + 2:
        raise ValueError(f"impact_rates needs at least polyorder + 2 = {polyorder + 2} grid "
                         f"points; got {G}")
    spacing = np.diff(steps)
    if not np.allclose(spacing, spacing[0]):
        raise ValueError("impact_rates needs evenly spaced steps")
    if window is None:
        window = max(polyorder + 2, int(round(G / 10)))
    window = min(int(window) | 1, G if G % 2 else G - 1)

    def rate(x):
        x = _fill_nan(np.asarray(x, dtype=float))
        if x is None:
            return np.full(G, np.nan)
        return savgol_filter(x, window, polyorder, deriv=1, delta=float(spacing[0]),
                             mode="interp")

    return rate(A), rate(B)


def tail_index(A: np.ndarray, steps: np.ndarray, *, tail: float = 0.9,
               exponents: np.ndarray | None = None) -> float:
    """r̂ for an integrated impact A(t) ≈ a + b t^{1−r} over the last ``tail`` share of steps.

    For α(t) = c t^{−r}, A(t) = a + c t^{1−r}/(1 − r) (r ≠ 1): r < 1 means A → ∞, r > 1 that A
    converges. The exponent γ = 1 − r is chosen on a grid (default −1.5 … 1.5 by 0.005); for
    each γ the best a, b is a linear least-squares fit, and γ̂ minimises the residual. Unlike
    the log-log slope of A (which the offset a biases near r = 1), this reads r across r = 1.
    A must be finite over the tail; NaNs there give NaN. The default tail, t >= T/10, is the
    last decade of the run: an exponent needs a decade of lever arm (over the last half only,
    t in [T/2, T], the noise of a logged Â moved r̂ by ±0.15 between seeds).

    Returns
    -------
    float
        r̂ = 1 − γ̂ (NaN when A is constant over the tail: no decay to read).
    """
    A = np.asarray(A, dtype=float)
    t = np.asarray(steps, dtype=float)
    if not 0 < tail <= 1:
        raise ValueError(f"tail must be in (0, 1]; got {tail}")
    keep = t >= t[-1] * (1 - tail)
    keep &= t > 0
    a_tail, t_tail = A[keep], t[keep]
    if len(a_tail) < 4 or not np.all(np.isfinite(a_tail)) or np.ptp(a_tail) == 0:
        return float("nan")
    if len(t_tail) > 1000:                        # thin long logs (the fit is smooth)
        pick = np.unique(np.linspace(0, len(t_tail) - 1, 1000).round().astype(int))
        a_tail, t_tail = a_tail[pick], t_tail[pick]
    grid = np.arange(-1.5, 1.5001, 0.005) if exponents is None else np.asarray(exponents)
    x = t_tail / t_tail[-1]                       # scaled time, for conditioning
    # basis per exponent: x^γ (log x at γ = 0), centred; residual of the best a + b·basis
    F = np.where(np.abs(grid)[:, None] < 1e-12, np.log(x)[None, :],
                 x[None, :] ** grid[:, None])                   # (n_gamma, n_tail)
    F = F - F.mean(axis=1, keepdims=True)
    centred = a_tail - a_tail.mean()
    denom = np.einsum("gt,gt->g", F, F)
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = float(centred @ centred) - (F @ centred) ** 2 / denom
    resid[~(denom > 0)] = np.inf
    return float(1.0 - grid[int(np.argmin(resid))])


@dataclass(frozen=True)
class Imitation:
    """The LE-ODE driven by fitted impacts, against the measured class means.

    Attributes
    ----------
    steps : np.ndarray, shape (G,)
        Grid steps from the reference on.
    measured : np.ndarray, shape (G, K, K)
        X̄(t) of the network (class, logit).
    predicted : np.ndarray, shape (G, K, K)
        The LE-ODE's X̄(t) from X̄(t0) with α̂, β̂.
    alpha, beta : np.ndarray, shape (G,)
        α̂, β̂ per step.
    model : str
        "L" or "I".
    relative_error : float
        ‖predicted − measured‖ / ‖measured − X̄(t0)‖ over the whole trajectory (Frobenius over
        time, class and logit): 0 is perfect; 1 is no better than "nothing moves".
    separation_growth : float
        log(s̄(T)/s̄(t0)) of the measured class means (NaN if s̄ changed sign): how much the
        classes separated, the thing the LE-ODE is about.
    """

    steps: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    model: str
    relative_error: float
    separation_growth: float


def imitation(steps: np.ndarray, Xbar: np.ndarray, alpha: np.ndarray, beta: np.ndarray, *,
              model: str = "L", reference: int = 0) -> Imitation:
    """Integrate the LE-ODE with α̂, β̂ from X̄(t0) and compare with X̄(t) (step 5).

    The grid's rates are per step; between grid points they are held constant and the ODE
    takes one Euler step per SGD step, as :func:`learnmech.lesde.ode.le_ode`.
    """
    steps = np.asarray(steps, dtype=np.int64)[reference:]
    meas = np.asarray(Xbar, dtype=float)[reference:]
    a = _fill_nan(np.asarray(alpha, dtype=float)[reference:])
    b = _fill_nan(np.asarray(beta, dtype=float)[reference:])
    if a is None or b is None:
        a = np.zeros(len(steps)) if a is None else a
        b = np.zeros(len(steps)) if b is None else b
    gaps = np.diff(steps)
    per_step_a = np.repeat(a[:-1], gaps)
    per_step_b = np.repeat(b[:-1], gaps)
    path = le_ode(per_step_a, per_step_b, meas[0], model)
    pred = path[steps - steps[0]]
    sbar = discriminative_coordinates(meas).mean(-1)
    ratio = sbar[-1] / sbar[0] if sbar[0] != 0 else np.nan
    growth = float(np.log(ratio)) if np.isfinite(ratio) and ratio > 0 else float("nan")
    return Imitation(steps=steps, measured=meas, predicted=pred, alpha=a, beta=b, model=model,
                     relative_error=agreement(pred, meas), separation_growth=growth)


def noise_floor(labels: np.ndarray, logits: np.ndarray, num_classes: int, *, window: int,
                grid: np.ndarray, reference: int = 0) -> float:
    """Relative error of the measured class means themselves, on :func:`agreement`'s scale.

    The log is split in two independent halves (the runs, or even and odd steps for one run);
    the pooled mean's error is about half the difference of the two half means, so the floor
    is ‖X̄_1 − X̄_2‖ / (2‖X̄ − X̄(t0)‖) from the reference on. No imitation can be judged more
    finely than this.
    """
    labels = np.atleast_2d(np.asarray(labels))
    logits = np.asarray(logits, dtype=float)
    logits = logits[None] if logits.ndim == 2 else logits
    if len(labels) >= 2:
        halves = [(labels[0::2], logits[0::2]), (labels[1::2], logits[1::2])]
    else:  # one run: alternate steps, masked by giving the other half no weight
        halves = []
        for parity in (0, 1):
            keep = (np.arange(labels.shape[1]) % 2) == parity
            halves.append((labels[:, keep], logits[:, keep]))
        grid = np.asarray(grid) // 2
        window = max(1, window // 2)
    means = [class_means_from_log(lab, lg, num_classes, window=window, grid=grid)[1][reference:]
             for lab, lg in halves]
    pooled = (means[0] + means[1]) / 2
    moved = float(np.nanmean(np.linalg.norm(pooled - pooled[0], axis=(-1, -2)) ** 2)) ** 0.5
    gap = float(np.nanmean(np.linalg.norm(means[0] - means[1], axis=(-1, -2)) ** 2)) ** 0.5
    return gap / (2 * moved) if moved > 0 else float("nan")


def judge_imitation(fit: Imitation, *, noise_floor: float,
                    tolerance: float = IMITATION_TOLERANCE,
                    min_separation_growth: float = float(np.log(1.1))) -> dict:
    """Verdict on an imitation: holds / fails / inconclusive / out of regime.

    * **out of regime**: the measured classes did not separate (s̄ grew by less than
      ``min_separation_growth`` in log, default 10 %, or changed sign) — the LE-ODE's claim
      is about the dynamics of separation, and there is none to imitate;
    * **inconclusive**: the measurement's own noise floor exceeds half the tolerance;
    * **holds** if the relative error is <= ``tolerance``, else **fails**.

    Returns
    -------
    dict
        ``verdict``, ``relative_error``, ``tolerance``, ``noise_floor``,
        ``separation_growth`` and ``reason`` (one sentence).
    """
    err, growth = fit.relative_error, fit.separation_growth
    out = {"relative_error": err, "tolerance": float(tolerance),
           "noise_floor": float(noise_floor), "separation_growth": growth}
    if not np.isfinite(growth) or growth < min_separation_growth:
        return {**out, "verdict": "out of regime",
                "reason": f"the classes did not separate (log growth of s̄ = {growth:.3g})"}
    if not np.isfinite(err) or (np.isfinite(noise_floor) and noise_floor > tolerance / 2):
        return {**out, "verdict": "inconclusive",
                "reason": f"measurement noise floor {noise_floor:.3g} > tolerance/2"}
    if err <= tolerance:
        return {**out, "verdict": "holds",
                "reason": f"relative error {err:.3g} <= {tolerance:g}"}
    return {**out, "verdict": "fails", "reason": f"relative error {err:.3g} > {tolerance:g}"}


def agreement(predicted: np.ndarray, measured: np.ndarray) -> float:
    """‖predicted − measured‖ / ‖measured − measured[0]‖ over the trajectory (see Imitation)."""
    pred, meas = np.asarray(predicted, dtype=float), np.asarray(measured, dtype=float)
    ok = np.isfinite(pred).all(axis=(-1, -2)) & np.isfinite(meas).all(axis=(-1, -2))
    moved = float(np.linalg.norm((meas - meas[0])[ok]))
    if moved == 0:
        return float("nan")
    return float(np.linalg.norm((pred - meas)[ok]) / moved)


# --------------------------------------------------------------------------- internals


def _log_factor(part: np.ndarray, reference: int) -> np.ndarray:
    """log of the least-squares factor c(t) with part(t) ≈ c(t) part(t0); NaN if c <= 0.

    ``part`` (G, m). A reference part of zero norm gives all-NaN.
    """
    ref = part[reference]
    norm = float(ref @ ref)
    if not np.isfinite(norm) or norm == 0:
        return np.full(len(part), np.nan)
    c = part @ ref / norm
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, np.log(np.where(c > 0, c, 1.0)), np.nan)


def _fill_nan(x: np.ndarray) -> np.ndarray | None:
    """Linear interpolation over NaNs (constant at the ends); None if all NaN."""
    ok = np.isfinite(x)
    if ok.all():
        return x
    if not ok.any():
        return None
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])
