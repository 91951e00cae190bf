"""Information estimators against exact values on small discrete and Gaussian cases."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.probes import information_plane, mi_binned, mi_kde, mi_knn

LN2 = np.log(2.0)


def _mixture_entropy(centres, var, weights=None):
    """Differential entropy (nats) of a 1-D Gaussian mixture, by fine quadrature."""
    centres = np.asarray(centres, float)
    w = np.full(len(centres), 1 / len(centres)) if weights is None else np.asarray(weights)
    s = np.sqrt(var)
    grid = np.linspace(centres.min() - 12 * s, centres.max() + 12 * s, 20_001)
    p = (w * np.exp(-0.5 * (grid[:, None] - centres) ** 2 / var)).sum(axis=1) / np.sqrt(
        2 * np.pi * var)
    mask = p > 0
    return float(-np.sum(p[mask] * np.log(p[mask])) * (grid[1] - grid[0]))


def _exact_channel(T, y, var):
    """Exact (I(X;T̂), I(T̂;Y)) in bits for 1-D T̂ = T + N(0, var), X uniform over the rows."""
    h = _mixture_entropy(T, var)
    i_xt = h - 0.5 * np.log(2 * np.pi * np.e * var)
    h_given_y = sum(np.mean(y == c) * _mixture_entropy(T[y == c], var) for c in np.unique(y))
    return i_xt / LN2, (h - h_given_y) / LN2


def _exact_discrete_mi(table):
    p = table / table.sum()
    outer = p.sum(axis=1, keepdims=True) * p.sum(axis=0, keepdims=True)
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / outer[mask])))


def test_binned_equals_the_exact_information_of_a_discrete_joint():
    # counts of (t, y) for t in {0, 1, 2, 3}, y in {0, 1, 2}
    table = np.array([[5, 1, 0], [2, 6, 2], [0, 3, 7], [4, 0, 2]])
    t, y = [], []
    for a in range(4):
        for b in range(3):
            t += [a] * table[a, b]
            y += [b] * table[a, b]
    T = np.array(t, float)[:, None]
    i_xt, i_ty = mi_binned(T, None, np.array(y), bins=4)  # 4 bins over [0, 3]: one per value
    h_t = _exact_discrete_mi(np.diag(table.sum(axis=1)))  # I(T;T) = H(T)
    assert i_xt == pytest.approx(h_t, abs=1e-12)
    assert i_ty == pytest.approx(_exact_discrete_mi(table), abs=1e-12)
    # one bin: nothing is resolved
    assert mi_binned(T, None, np.array(y), bins=1) == (0.0, 0.0)


def test_binned_with_repeated_inputs_uses_the_conditional_entropy():
    # input x ∈ {0, 1}; x = 0 gives t = 0 or 1 equally, x = 1 gives t = 2: H(T) = 1.5,
    # H(T|X) = 0.5, I(X;T) = 1 bit
    x_ids = np.array([0, 0, 1, 1])
    T = np.array([[0.0], [1.0], [2.0], [2.0]])
    i_xt, _ = mi_binned(T, x_ids, np.zeros(4, int), bins=3)
    assert i_xt == pytest.approx(1.0, abs=1e-12)


def test_binned_range_is_taken_from_the_activations():
    rng = np.random.default_rng(0)
    T = rng.uniform(0, 1, (64, 1))
    scaled = 1000.0 * T + 5.0  # a ReLU-like large range: the same bins relative to the range
    y = (T[:, 0] > 0.5).astype(int)
    assert mi_binned(T, None, y, bins=8) == mi_binned(scaled, None, y, bins=8)


def test_kde_bounds_bracket_the_exact_channel_information():
    T = np.array([0.0, 0.4, 1.1, 1.5, 3.0, 3.2])
    y = np.array([0, 0, 0, 1, 1, 1])
    var = 0.2
    exact_xt, exact_ty = _exact_channel(T, y, var)
    upper = mi_kde(T[:, None], y, noise_var=var)
    lower = mi_kde(T[:, None], y, noise_var=var, bound="lower")
    assert lower[0] <= exact_xt <= upper[0]
    assert upper[0] - lower[0] < 1.0
    assert abs(upper[1] - exact_ty) < 0.2


def test_kde_is_exact_when_the_points_are_far_apart_at_the_noise_scale():
    T = np.array([0.0, 10.0, 20.0, 30.0])
    y = np.array([0, 0, 1, 1])
    var = 0.5
    exact_xt, exact_ty = _exact_channel(T, y, var)
    for bound in ("upper", "lower"):
        i_xt, i_ty = mi_kde(T[:, None], y, noise_var=var, bound=bound)
        assert i_xt == pytest.approx(exact_xt, abs=1e-6) and exact_xt == pytest.approx(2.0)
        assert i_ty == pytest.approx(exact_ty, abs=1e-6) and exact_ty == pytest.approx(1.0)


def test_knn_matches_the_exact_gaussian_channel_information():
    rng = np.random.default_rng(0)
    T = rng.standard_normal(800)
    y = (T > 0).astype(int)
    var = 0.25
    exact_xt, exact_ty = _exact_channel(T, y, var)
    i_xt, i_ty = mi_knn(T[:, None], y, k=3, noise_var=var, seed=1)
    # k-NN estimation error at n = 800 (bias of order 0.1 bit for I(X;T̂))
    assert abs(i_xt - exact_xt) < 0.15, (i_xt, exact_xt)
    assert abs(i_ty - exact_ty) < 0.03, (i_ty, exact_ty)


def test_knn_on_two_overlapping_gaussian_classes_in_two_dimensions():
    """The estimand is the channel over the sample (X uniform over the rows), computed exactly
    here because the second coordinate is pure noise independent of everything."""
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 400)
    T1 = rng.standard_normal(800) + np.where(y == 1, 1.0, -1.0)
    var = 0.3
    exact_xt, exact_ty = _exact_channel(T1, y, var)
    T = np.stack([T1, np.zeros(800)], axis=1)  # a constant unit adds no information
    i_xt, i_ty = mi_knn(T, y, k=3, noise_var=var, seed=0)
    assert abs(i_xt - exact_xt) < 0.15, (i_xt, exact_xt)
    assert abs(i_ty - exact_ty) < 0.03, (i_ty, exact_ty)


def test_information_plane_walks_the_layers_with_each_estimator():
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((60, 3)), rng.standard_normal((60, 2))]
    y = np.arange(60) % 2
    for estimator, resolution in (("binned", 10), ("kde", 0.1), ("knn", 3)):
        plane = information_plane(layers, None, y, estimator=estimator, resolution=resolution)
        assert len(plane) == 2 and all(len(p) == 2 for p in plane)
        assert all(p[0] <= np.log2(60) + 0.5 for p in plane)
    with pytest.raises(ValueError, match="estimator"):
        information_plane(layers, None, y, estimator="nope")
