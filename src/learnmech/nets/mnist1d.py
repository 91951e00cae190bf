"""MNIST-1D: a procedurally generated 1-D stand-in for MNIST (after Greydanus, 2020).

Greydanus's recipe: ten short 1-D templates (one per class) are each padded with zeros,
stretched, shifted, sheared, and buried in correlated and white noise, then resampled to a fixed
length, so that a small MLP beats a linear model and a CNN beats the MLP. This generator follows
that description with our own templates and code (no download, no copied constants):

1. template T_y (12 points in [−1, 1], :func:`templates`) stretched in time by a factor
   1 + ``scale`` · U(−1, 1);
2. padded with ``pad`` ~ U{36..60} zeros and circularly shifted by a uniform offset;
3. plus a linear shear ramp of slope ``shear`` · U(−1, 1) across the sequence, correlated noise
   (white noise smoothed by a Gaussian of 2 samples, scaled to std ``corr_noise``), and white
   noise of std ``iid_noise``;
4. linearly resampled to ``length`` points (default 40).
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_mnist1d", "templates"]

TEMPLATE_LENGTH = 12


def templates() -> np.ndarray:
    """The ten class templates, shape (10, 12), values in [−1, 1] (our own shapes)."""
    t = np.linspace(0.0, 1.0, TEMPLATE_LENGTH)
    shapes = [
        np.sin(2 * np.pi * t),                      # 0: one full wave
        2 * t - 1,                                  # 1: rising ramp
        1 - 2 * t,                                  # 2: falling ramp
        np.where(t < 0.5, -1.0, 1.0),               # 3: step up
        np.cos(np.pi * t * 3),                      # 4: one and a half waves
        1 - 2 * np.abs(2 * t - 1),                  # 5: tent
        2 * np.abs(2 * t - 1) - 1,                  # 6: valley
        np.sin(4 * np.pi * t),                      # 7: two waves
        np.where((t > 0.3) & (t < 0.7), 1.0, -0.5),  # 8: plateau
        np.sign(np.sin(3 * np.pi * t + 0.1)) * t,   # 9: growing square wave
    ]
    return np.clip(np.stack(shapes), -1.0, 1.0)


def make_mnist1d(n: int, *, rng: np.random.Generator, length: int = 40, scale: float = 0.4,
                 shear: float = 0.75, corr_noise: float = 0.25, iid_noise: float = 0.02,
                 pad: tuple[int, int] = (36, 60)) -> tuple[np.ndarray, np.ndarray]:
    """``n`` MNIST-1D examples with balanced labels.

    Returns
    -------
    X : np.ndarray, shape (n, length) float32
    y : np.ndarray, shape (n,) int64 in [0, 10)
    """
    from scipy.ndimage import gaussian_filter1d

    if length < 2 or pad[0] < 0 or pad[1] < pad[0]:
        raise ValueError(f"mnist1d: length must be >= 2 and pad a range (lo <= hi); got "
                         f"length={length}, pad={pad}")
    shapes = templates()
    y = np.arange(n) % 10
    rng.shuffle(y)
    X = np.empty((n, length), dtype=np.float32)
    for i, label in enumerate(y):
        X[i] = _one_example(shapes[label], rng, length, scale, shear, corr_noise, iid_noise,
                            pad, gaussian_filter1d)
    return X, y.astype(np.int64)


def _one_example(template, rng, length, scale, shear, corr_noise, iid_noise, pad, smooth):
    """One transformed, noisy copy of ``template`` resampled to ``length`` points."""
    stretched_len = max(2, int(round(TEMPLATE_LENGTH * (1 + scale * rng.uniform(-1, 1)))))
    stretched = _resample(template, stretched_len)
    padded = np.concatenate([stretched, np.zeros(rng.integers(pad[0], pad[1] + 1))])
    x = np.roll(padded, rng.integers(len(padded)))
    u = np.linspace(-0.5, 0.5, len(x))
    x = x + shear * rng.uniform(-1, 1) * u  # shear: a linear ramp
    smooth_noise = smooth(rng.standard_normal(len(x)), sigma=2.0, mode="wrap")
    x = x + corr_noise * smooth_noise / max(smooth_noise.std(), 1e-12)
    x = x + iid_noise * rng.standard_normal(len(x))
    return _resample(x, length)


def _resample(x: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation of ``x`` onto ``length`` evenly spaced points of the same span."""
    return np.interp(np.linspace(0, len(x) - 1, length), np.arange(len(x)), x)
