"""The whole fit of the LE-SDE to logged runs, in one call: :func:`fit_logs`.

It chains the steps of :mod:`learnmech.lesde.estimate` with the defaults the experiments use:
class means pooled over runs in a window of a twentieth of the run, the reference step where
the modes are known to 10 % (:func:`~learnmech.lesde.estimate.reference_index`), Â, B̂ by one
estimator, α̂, β̂ by the Savitzky–Golay derivative, the tail indices of Â, B̂ and Â − B̂, and
the imitation by both LE-ODEs with its verdict. :func:`jackknife` gives leave-one-run-out
standard errors of any scalar of the fit. numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from learnmech.lesde.estimate import (
    IMITATION_TOLERANCE,
    Imitation,
    agreement,
    class_means_from_log,
    imitation,
    impact_rates,
    integrated_impacts,
    judge_imitation,
    noise_floor,
    reference_index,
    tail_index,
)
from learnmech.lesde.ode import discriminative_coordinates

__all__ = ["LESDEFit", "default_window", "fit_logs", "jackknife", "jackknife_fit"]


@dataclass(frozen=True)
class LESDEFit:
    """The LE-SDE fitted to logged runs (all arrays from the reference step on).

    Attributes
    ----------
    estimator : str
        "L" or "I" (:func:`learnmech.lesde.estimate.integrated_impacts`).
    window : int
        Class-mean window, in steps.
    reference_step : int or None
        t0; None when the modes never rose above the noise (then every array is empty,
        the tail indices NaN and the verdict "out of regime").
    steps : np.ndarray of int64, shape (G,)
    class_means : np.ndarray, shape (G, K, K)
    A, B : np.ndarray, shape (G,)
        Integrated impacts since t0 (per-step units).
    alpha, beta : np.ndarray, shape (G,)
        α̂, β̂ per step.
    tail_alpha, tail_beta, tail_difference : float
        r̂ of Â, B̂ and Â − B̂ (:func:`learnmech.lesde.estimate.tail_index`).
    imitation_L, imitation_I : Imitation or None
        The "L" and "I" LE-ODEs driven by α̂, β̂ from X̄(t0).
    discriminative_error : float
        :func:`~learnmech.lesde.estimate.agreement` of the "L" imitation on the discriminative
        coordinates s_k only (what the "L" model is built to follow).
    noise_floor : float
    judged : dict
        :func:`~learnmech.lesde.estimate.judge_imitation` of the LE-ODE of the estimator.
    """

    estimator: str
    window: int
    reference_step: int | None
    steps: np.ndarray
    class_means: np.ndarray
    A: np.ndarray
    B: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    tail_alpha: float
    tail_beta: float
    tail_difference: float
    imitation_L: Imitation | None
    imitation_I: Imitation | None
    discriminative_error: float
    noise_floor: float
    judged: dict


def default_window(total_steps: int) -> int:
    """A twentieth of the run (at least 20 steps): the class-mean window of :func:`fit_logs`."""
    return max(20, int(round(total_steps / 20)))


def fit_logs(labels: np.ndarray, logits: np.ndarray, num_classes: int, *,
             estimator: str = "L", window: int | None = None, z: float = 10.0,
             tolerance: float = IMITATION_TOLERANCE) -> LESDEFit:
    """Fit the LE-SDE to batch-size-1 logs (runs pooled).

    Parameters
    ----------
    labels : np.ndarray of int, shape (runs, T)
    logits : np.ndarray, shape (runs, T, K)
    num_classes : int
    estimator : {"L", "I"}
    window : int, optional
        Class-mean window in steps (default :func:`default_window`).
    z : float
        Reference criterion (:func:`~learnmech.lesde.estimate.reference_index`).
    tolerance : float
        Of the imitation verdict.
    """
    labels = np.atleast_2d(np.asarray(labels))
    logits = np.asarray(logits, dtype=float)
    logits = logits[None] if logits.ndim == 2 else logits
    K, T = int(num_classes), labels.shape[1]
    window = default_window(T) if window is None else int(window)
    grid, Xbar, _ = class_means_from_log(labels, logits, K, window=window)
    i0 = reference_index(labels, logits, K, window=window, grid=grid, model=estimator, z=z) \
        if len(grid) else None
    if i0 is None or len(grid) - i0 < 8:
        empty = np.zeros(0)
        judged = {"verdict": "out of regime", "relative_error": float("nan"),
                  "tolerance": float(tolerance), "noise_floor": float("nan"),
                  "separation_growth": float("nan"),
                  "reason": f"the modes the {estimator} estimator divides by ("
                  + ("s̄ and the second direction" if estimator == "L" else
                     "common part and deviations")
                  + f") never stayed above {z:g} standard errors of their noise"}
        return LESDEFit(estimator, window, None, np.zeros(0, dtype=np.int64),
                        np.zeros((0, K, K)), empty, empty, empty, empty, float("nan"),
                        float("nan"), float("nan"), None, None, float("nan"), float("nan"),
                        judged)
    steps, X = grid[i0:], Xbar[i0:]
    A, B = integrated_impacts(X, estimator)
    alpha, beta = impact_rates(A, B, steps)
    fits = {m: imitation(steps, X, alpha, beta, model=m) for m in ("L", "I")}
    floor = noise_floor(labels, logits, K, window=window, grid=steps)
    s_pred = discriminative_coordinates(fits["L"].predicted)[..., None]
    s_meas = discriminative_coordinates(fits["L"].measured)[..., None]
    return LESDEFit(
        estimator=estimator, window=window, reference_step=int(steps[0]), steps=steps,
        class_means=X, A=A, B=B, alpha=alpha, beta=beta,
        tail_alpha=tail_index(A, steps), tail_beta=tail_index(B, steps),
        tail_difference=tail_index(A - B, steps), imitation_L=fits["L"],
        imitation_I=fits["I"], discriminative_error=agreement(s_pred, s_meas),
        noise_floor=floor,
        judged=judge_imitation(fits[estimator], noise_floor=floor, tolerance=tolerance))


def jackknife(labels: np.ndarray, logits: np.ndarray, statistic: Callable[..., float]
              ) -> tuple[float, float]:
    """(value on all runs, leave-one-run-out standard error) of ``statistic(labels, logits)``.

    SE = sqrt((m − 1)/m · Σ_i (θ_(i) − θ̄)²) over the m leave-one-out values that are finite;
    NaN with fewer than 3 runs or 2 finite values.
    """
    labels = np.atleast_2d(np.asarray(labels))
    logits = np.asarray(logits)
    full = float(statistic(labels, logits))
    m = len(labels)
    if m < 3:
        return full, float("nan")
    keep = np.ones(m, dtype=bool)
    values = []
    for i in range(m):
        keep[:] = True
        keep[i] = False
        values.append(float(statistic(labels[keep], logits[keep])))
    values = np.asarray(values)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return full, float("nan")
    k = len(values)
    return full, float(np.sqrt((k - 1) / k * np.sum((values - values.mean()) ** 2)))


def jackknife_fit(labels: np.ndarray, logits: np.ndarray, num_classes: int,
                  attributes=("tail_alpha", "tail_beta", "tail_difference"), **fit_kwargs
                  ) -> tuple[LESDEFit, dict[str, tuple[float, float]]]:
    """:func:`fit_logs` on all runs, and leave-one-run-out SEs of scalar attributes.

    Each leave-one-out fit is made once and read for every attribute (the SE formula of
    :func:`jackknife`). Returns (the full fit, {attribute: (value, SE)}); an out-of-regime fit
    gives (NaN, NaN) for every attribute.
    """
    labels = np.atleast_2d(np.asarray(labels))
    logits = np.asarray(logits)
    full = fit_logs(labels, logits, num_classes, **fit_kwargs)
    if full.reference_step is None:
        return full, {a: (float("nan"), float("nan")) for a in attributes}
    m = len(labels)
    loo = [fit_logs(np.delete(labels, i, 0), np.delete(logits, i, 0), num_classes,
                    **fit_kwargs) for i in range(m)] if m >= 3 else []
    out = {}
    for a in attributes:
        values = np.asarray([float(getattr(f, a)) for f in loo])
        values = values[np.isfinite(values)]
        k = len(values)
        se = float(np.sqrt((k - 1) / k * np.sum((values - values.mean()) ** 2))) if k >= 2 \
            else float("nan")
        out[a] = (float(getattr(full, a)), se)
    return full, out
