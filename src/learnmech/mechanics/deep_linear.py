"""The 2-layer linear network on its population loss: the task, the GD loop, mode half-times.

Shared by the entries ``deep-linear-modes``, ``plateau-scaling`` and ``conservation-laws``.
Conventions: f(x) = W₂W₁x with whitened inputs (Σ_xx = I), trained on the *population* loss
L = ½ E‖y − W₂W₁x‖², whose gradient needs only Σ_yx = Σ_k s_k u_k v_kᵀ — that is why it has its
own few-line loop (:func:`deep_linear_gd`) rather than :func:`learnmech.nets.train`, which trains
on samples with scalar regression targets. Time is gradient-flow time t = η × steps; the mode
strengths are a_k = u_kᵀ W₂W₁ v_k (:mod:`learnmech.theory.laws.deep_linear`).
"""

from __future__ import annotations

__all__ = ["crossing_time", "deep_linear_gd", "linear_task", "mode_half_times", "orthonormal"]


def orthonormal(rng, rows: int, cols: int):
    """A (rows, cols) matrix with orthonormal columns (QR of a Gaussian matrix)."""
    import numpy as np

    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


def linear_task(rng, s, d_in: int, d_out: int):
    """(U (d_out, r), V (d_in, r), Σ_yx (d_out, d_in)) for singular values ``s``."""
    import numpy as np

    r = len(s)
    U, V = orthonormal(rng, d_out, r), orthonormal(rng, d_in, r)
    return U, V, U @ np.diag(s) @ V.T


def deep_linear_gd(W1, W2, syx, *, lr: float, steps: int, U, V, wd: float = 0.0):
    """Gradient descent on L = ½E‖y − W₂W₁x‖² (+ (wd/2)‖W‖²) with Σ_xx = I.

    Returns (strengths (steps + 1, r): a_k = u_kᵀ W₂W₁ v_k after each step, W1, W2).
    """
    import numpy as np

    W1, W2 = W1.copy(), W2.copy()
    out = np.empty((steps + 1, U.shape[1]))
    for step in range(steps + 1):
        product = W2 @ W1  # (d_out, d_in)
        out[step] = np.einsum("ik,ij,jk->k", U, product, V)
        if step == steps:
            break
        residual = syx - product  # (d_out, d_in): −∂L/∂(W₂W₁)
        g1, g2 = -W2.T @ residual + wd * W1, -residual @ W1.T + wd * W2
        W1 -= lr * g1
        W2 -= lr * g2
    return out, W1, W2


def crossing_time(times, values, level: float) -> float:
    """First time the series reaches ``level`` (linear interpolation); NaN if never."""
    import numpy as np

    above = np.flatnonzero(values >= level)
    if not len(above):
        return float("nan")
    i = above[0]
    if i == 0:
        return float(times[0])
    t0, t1, v0, v1 = times[i - 1], times[i], values[i - 1], values[i]
    return float(t0 + (level - v0) * (t1 - t0) / (v1 - v0))


def mode_half_times(config, rng, scale: float):
    """Run one network from an init of scale ``scale``.

    ``config`` carries ``singular_values``, ``dim``, ``hidden`` and ``lr``. Returns
    (measured t½ (r,), predicted t½ (r,), times (T,), strengths (T, r), a0_eff (r,)).
    """
    import numpy as np

    from learnmech.theory.laws.deep_linear import balanced_mode_strength, deep_linear_half_time

    s = np.asarray(config.singular_values, float)
    U, V, syx = linear_task(rng, s, config.dim, config.dim)
    W1 = rng.standard_normal((config.hidden, config.dim))
    W2 = rng.standard_normal((config.dim, config.hidden))
    W1, W2 = scale * W1, scale * W2
    a0 = np.array([balanced_mode_strength(W1, W2, U[:, k], V[:, k]) for k in range(len(s))])
    predicted = deep_linear_half_time(s, a0)
    steps = int(np.ceil(1.5 * predicted.max() / config.lr)) + 10
    strengths, _, _ = deep_linear_gd(W1, W2, syx, lr=config.lr, steps=steps, U=U, V=V)
    times = config.lr * np.arange(steps + 1)
    measured = np.array([crossing_time(times, strengths[:, k], s[k] / 2) for k in range(len(s))])
    return measured, predicted, times, strengths, a0
