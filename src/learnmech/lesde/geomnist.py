"""GeoShapes: a GeoMNIST-like set of 32×32 grey images of ellipses, rectangles and triangles.

Our own generator in the spirit of the GeoMNIST set of Zhang, Wang & Su (2021): one filled
shape per image, class 0 ellipse, 1 rectangle, 2 triangle. Each image draws (from one numpy
Generator) a rotation angle uniform in [0, π), a size factor uniform in [0.75, 1.25], an aspect
jitter uniform in [0.8, 1.25], a centre shift uniform in ±3 pixels per axis and additive pixel
noise N(0, ``noise``²); shapes are rasterised with 3×3 supersampling (anti-aliased edges), so
intensities lie in [0, 1] before the noise. The canonical shapes (in pixels, before jitter):
an ellipse with semi-axes 6 and 10, a rectangle with half-sides 5 and 9, a triangle with
vertices at distance 11 from its centre. numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLASS_NAMES", "geoshapes", "geoshapes_dataset"]

CLASS_NAMES = ("ellipse", "rectangle", "triangle")
SIZE = 32
_SUPER = 3


def geoshapes(n_per_class: int, rng: np.random.Generator, *, noise: float = 0.1,
              size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` images of each class, shuffled.

    Returns
    -------
    X : np.ndarray of float32, shape (3 n, 1, size, size)
        Grey images (shape ≈ 1, background ≈ 0, plus noise).
    y : np.ndarray of int64, shape (3 n,)
        Class in {0 ellipse, 1 rectangle, 2 triangle}.
    """
    n = int(n_per_class)
    if n < 1:
        raise ValueError(f"n_per_class must be an int >= 1; got {n_per_class}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite float >= 0; got {noise}")
    y = np.repeat(np.arange(3), n)
    m = len(y)
    angle = rng.uniform(0, np.pi, m)
    scale = rng.uniform(0.75, 1.25, m)
    aspect = np.exp(rng.uniform(np.log(0.8), np.log(1.25), m))
    shift = rng.uniform(-3, 3, (m, 2))
    # pixel-centre grid with supersampling, in pixels from the image centre: (P,)
    sub = (np.arange(size * _SUPER) + 0.5) / _SUPER - size / 2
    gx, gy = np.meshgrid(sub, sub, indexing="xy")
    X = np.empty((m, size, size), dtype=np.float32)
    for j in range(m):
        # inverse transform: image point -> canonical shape frame
        px, py = gx - shift[j, 0], gy - shift[j, 1]
        c, s = np.cos(angle[j]), np.sin(angle[j])
        u = (c * px + s * py) / (scale[j] * aspect[j])
        v = (-s * px + c * py) / (scale[j] / aspect[j])
        inside = _inside(int(y[j]), u, v)
        X[j] = inside.reshape(size, _SUPER, size, _SUPER).mean(axis=(1, 3))
    X += rng.normal(0.0, float(noise), X.shape).astype(np.float32)
    order = rng.permutation(m)
    return X[order][:, None], y[order].astype(np.int64)


def geoshapes_dataset(n_train_per_class: int, n_test_per_class: int, *, seed: int = 0,
                      noise: float = 0.1):
    """A :class:`learnmech.nets.data.Dataset` of GeoShapes (inputs (n, 1, 32, 32))."""
    from learnmech.nets.data import dataset_from_arrays

    rng = np.random.default_rng(seed)
    Xtr, ytr = geoshapes(n_train_per_class, rng, noise=noise)
    Xte, yte = geoshapes(n_test_per_class, rng, noise=noise)
    return dataset_from_arrays(Xtr, ytr, Xte, yte, name="geoshapes", num_classes=3)


def _inside(label: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Indicator of the canonical shape of class ``label`` at frame points (u, v), float."""
    if label == 0:                                    # ellipse, semi-axes 6 and 10
        return ((u / 6.0) ** 2 + (v / 10.0) ** 2 <= 1.0).astype(np.float32)
    if label == 1:                                    # rectangle, half-sides 5 and 9
        return ((np.abs(u) <= 5.0) & (np.abs(v) <= 9.0)).astype(np.float32)
    # equilateral triangle with circumradius 11: inside the three half-planes
    r = 11.0
    inside = np.ones_like(u, dtype=bool)
    for k in range(3):
        theta = np.pi / 2 + 2 * np.pi * k / 3 + np.pi / 3   # outward normal of side k
        inside &= u * np.cos(theta) + v * np.sin(theta) <= r / 2
    return inside.astype(np.float32)
