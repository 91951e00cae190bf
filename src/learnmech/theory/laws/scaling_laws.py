"""Scaling laws: the Chinchilla form and its exact counterpart for least squares on a power-law
spectrum of features.

Sources: J. Hoffmann et al., "Training compute-optimal large language models" (2022);
Y. Bahri et al., "Explaining neural scaling laws" (2021); A. Maloney, D. Roberts, J. Sully,
"A solvable model of neural scaling laws" (2022). numpy/scipy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chinchilla_loss", "fit_chinchilla", "fit_tail_form", "ols_tail_loss", "power_tail",
           "tail_form_loss", "tail_sum_exponent"]


def chinchilla_loss(N, D, E, A, B, a, b):
    """Chinchilla form L(N, D) = E + A/N^a + B/D^b (Hoffmann et al. 2022, eq. 2)."""
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    return E + A * N ** (-a) + B * D ** (-b)


def fit_chinchilla(N, D, L, *, start=None):
    """Least-squares fit of :func:`chinchilla_loss` in log-loss (Hoffmann et al. use Huber on
    log-loss; plain squares here), all five parameters positive.

    Parameters
    ----------
    N, D, L : array_like, shape (m,)
        Model sizes, data sizes and measured losses (m ≥ 5 distinct points).
    start : sequence of 5 floats, optional
        Initial (E, A, B, a, b); default: the best of 9 starts (a, b ∈ {¼, ½, 1}, E = min L/2,
        A and B so each term starts at half the loss range at the smallest size).

    Returns
    -------
    dict with keys E, A, B, a, b.
    """
    from scipy.optimize import least_squares

    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    if start is None:  # a small grid of starts (Hoffmann et al. fit from a grid too)
        E0, span = 0.5 * L.min(), L.max() - 0.5 * L.min()
        starts = [(E0, 0.5 * span * N.min() ** a0, 0.5 * span * D.min() ** b0, a0, b0)
                  for a0 in (0.25, 0.5, 1.0) for b0 in (0.25, 0.5, 1.0)]
    else:
        starts = [start]

    def residual(p):
        E, A, B, a, b = np.exp(p)
        return np.log(chinchilla_loss(N, D, E, A, B, a, b)) - np.log(L)

    best = None
    for p0 in starts:
        fit = least_squares(residual, np.log(np.asarray(p0, dtype=float)), method="lm",
                            max_nfev=20000)
        if best is None or fit.cost < best.cost:
            best = fit
    E, A, B, a, b = np.exp(best.x)
    return {"E": float(E), "A": float(A), "B": float(B), "a": float(a), "b": float(b)}


def tail_sum_exponent(beta):
    """Model-size exponent a = β − 1 of a linear model that keeps the top N of infinitely many
    features when feature k carries target power k^{−β}: the approximation error
    :func:`power_tail` Σ_{k>N} k^{−β} falls as N^{−(β−1)} (β > 1). The feature variances drop out
    of least squares, so only the target's power spectrum matters."""
    if beta <= 1:
        raise ValueError(f"beta must exceed 1 for a finite tail, got {beta!r}")
    return float(beta - 1.0)


def power_tail(N, beta):
    """Σ_{k>N} k^{−β} (Hurwitz ζ(β, N + 1)): the target power beyond the first N features when
    feature k carries power k^{−β}; ≈ N^{1−β}/(β − 1) for large N. ``beta`` > 1."""
    from scipy.special import zeta

    if beta <= 1:
        raise ValueError(f"beta must exceed 1 for a finite tail, got {beta!r}")
    return zeta(beta, np.asarray(N, dtype=float) + 1.0)


def ols_tail_loss(N, D, beta, noise):
    """Expected test loss (½ squared, population) of least squares on the first N of infinitely
    many independent Gaussian features, from D > N + 1 samples.

    Feature k carries target power k^{−β} (λ_k w_k² = k^{−β}); label noise variance ``noise``.
    The unused features act as extra Gaussian noise of variance T(N) = :func:`power_tail`, and
    for Gaussian designs E[(ŵ − w)ᵀΣ(ŵ − w)] = (σ² + T) N/(D − N − 1) (inverse-Wishart mean), so

        L(N, D) = ½ (σ² + T(N)) (D − 1)/(D − N − 1).
    """
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    if np.any(D <= N + 1):
        raise ValueError("ols_tail_loss needs D > N + 1 samples")
    return 0.5 * (noise + power_tail(N, beta)) * (D - 1) / (D - N - 1)


def tail_form_loss(N, D, E, A, a):
    """The solvable model's own form with a power-law tail: ½(E + A N^{−a})(D − 1)/(D − N − 1).

    :func:`ols_tail_loss` with σ² → E and T(N) → A N^{−a}: the reducible model error multiplies
    the data term (the Chinchilla form adds them)."""
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    return 0.5 * (E + A * N ** (-a)) * (D - 1) / (D - N - 1)


def fit_tail_form(N, D, L):
    """Least-squares fit of :func:`tail_form_loss` in log-loss, (E, A, a) positive, from a few
    starts (a ∈ {¼, ½, 1}). Returns dict with keys E, A, a."""
    from scipy.optimize import least_squares

    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))

    def residual(p):
        E, A, a = np.exp(p)
        return np.log(tail_form_loss(N, D, E, A, a)) - np.log(L)

    best = None
    for a0 in (0.25, 0.5, 1.0):
        p0 = np.log([L.min(), L.max() * N.min() ** a0, a0])
        fit = least_squares(residual, p0, method="lm", max_nfev=20000)
        if best is None or fit.cost < best.cost:
            best = fit
    E, A, a = np.exp(best.x)
    return {"E": float(E), "A": float(A), "a": float(a)}
