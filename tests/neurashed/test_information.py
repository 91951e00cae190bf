"""Known-answer and property tests for learnmech.neurashed.information (all values in bits)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.integrate import quad
from scipy.stats import norm

from learnmech.neurashed.information import (
    InformationEstimate,
    binned_information,
    discrete_entropy,
    gaussian_channel_information,
    information_plane,
)

METHODS = ("kl_upper", "bhattacharyya_lower", "monte_carlo")


def entropy_of_labels(labels: np.ndarray) -> float:
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def exact_two_point_information(distance: float, s: float) -> float:
    """I(X;T) in bits for T = r(X) + N(0, s^2), r uniform on {0, distance}, by quadrature."""

    def integrand(t: float) -> float:
        p = 0.5 * (norm.pdf(t, 0.0, s) + norm.pdf(t, distance, s))
        return -p * math.log(p) if p > 0 else 0.0

    lo, hi = -12.0 * s, distance + 12.0 * s
    h_t, _ = quad(
        integrand,
        lo,
        hi,
        points=[0.0, distance / 2, distance],
        limit=200,
        epsabs=1e-13,
        epsrel=1e-12,
    )
    h_t_given_x = 0.5 * math.log(2 * math.pi * math.e * s * s)
    return (h_t - h_t_given_x) / math.log(2)


# --------------------------------------------------------------------------- discrete_entropy


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1, 1], 1.0),
        ([1, 0, 1], 1.0),
        ([4], 0.0),
        ([5, 0], 0.0),
        ([1, 1, 1, 1], 2.0),
        ([2, 1, 1], 1.5),
        (np.array([[3, 3], [3, 3]]), 2.0),
    ],
)
def test_discrete_entropy_known_values(counts, expected):
    assert discrete_entropy(counts) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("counts", [[], [0, 0], [1, -1], [1, np.nan], [np.inf, 1]])
def test_discrete_entropy_rejects_bad_counts(counts):
    with pytest.raises(ValueError, match="counts"):
        discrete_entropy(counts)


# --------------------------------------------------------------------------- binning


def test_binned_all_in_one_bin_gives_zero():
    rng = np.random.default_rng(1)
    rep = rng.uniform(0.0, 0.99, size=(50, 3))
    labels = rng.integers(0, 4, size=50)
    est = binned_information(rep, labels, bin_width=1.0)
    assert isinstance(est, InformationEstimate)
    assert (est.i_xt, est.i_ty, est.i_xt_given_y) == (0.0, 0.0, 0.0)
    assert est.estimator.startswith("binned")


def test_binned_all_distinct_gives_log_n_and_label_entropy():
    n = 60
    rep = np.arange(n, dtype=float)[:, None] * np.array([[1.0, -2.0]])
    labels = np.arange(n) % 3
    labels[:7] = 4  # unequal class sizes
    est = binned_information(rep, labels, bin_width=0.5)
    assert est.i_xt == pytest.approx(math.log2(n), abs=1e-12)
    assert est.i_ty == pytest.approx(entropy_of_labels(labels), abs=1e-12)
    assert est.i_xt_given_y == pytest.approx(math.log2(n) - entropy_of_labels(labels), abs=1e-12)


def test_binned_representation_equal_to_label():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 5])
    rep = labels[:, None].astype(float) + 0.25  # one bin per label
    est = binned_information(rep, labels, bin_width=1.0)
    h_y = entropy_of_labels(labels)
    assert est.i_xt == pytest.approx(h_y, abs=1e-12)
    assert est.i_ty == pytest.approx(h_y, abs=1e-12)
    assert est.i_xt_given_y == pytest.approx(0.0, abs=1e-12)


def test_binned_hand_computed_case():
    # bins 0,0,0,1,1,2 ; labels 0,0,1,1,1,0
    rep = np.array([[0.1], [0.2], [0.3], [1.5], [1.6], [2.5]])
    labels = np.array([0, 0, 1, 1, 1, 0])
    h_t = -(0.5 * math.log2(0.5) + (1 / 3) * math.log2(1 / 3) + (1 / 6) * math.log2(1 / 6))
    # class 0 -> bins (0, 0, 2); class 1 -> bins (0, 1, 1): both H(2/3, 1/3)
    h_t_given_y = -((2 / 3) * math.log2(2 / 3) + (1 / 3) * math.log2(1 / 3))
    est = binned_information(rep, labels, bin_width=1.0)
    assert est.i_xt == pytest.approx(h_t, abs=1e-12)
    assert est.i_xt_given_y == pytest.approx(h_t_given_y, abs=1e-12)
    assert est.i_ty == pytest.approx(h_t - h_t_given_y, abs=1e-12)
    assert est.i_ty == pytest.approx(0.5409, abs=1e-4)


def test_binned_negative_values_use_floor():
    # -0.5 and 0.5 are in different bins (floor gives -1 and 0); -1.5 and -1.2 share bin -2.
    rep = np.array([[-0.5], [0.5], [-1.5], [-1.2]])
    est = binned_information(rep, np.zeros(4, dtype=int), bin_width=1.0)
    assert est.i_xt == pytest.approx(1.5, abs=1e-12)


def test_binned_finer_bins_approach_log_n():
    """The pitfall: fine enough bins give every example its own bin."""
    rng = np.random.default_rng(2)
    rep = rng.normal(size=(100, 2))
    labels = rng.integers(0, 2, size=100)
    widths = [10.0, 1.0, 0.1, 1e-6]
    values = [binned_information(rep, labels, bin_width=w).i_xt for w in widths]
    assert values == sorted(values)
    assert values[-1] == pytest.approx(math.log2(100), abs=1e-12)


rep_strategy = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.integers(1, 3).flatmap(
            lambda d: arrays(np.float64, (n, d), elements=st.floats(-10, 10, width=64))
        ),
        arrays(np.int64, (n,), elements=st.integers(0, 3)),
    )
)


@settings(max_examples=60, deadline=None)
@given(data=rep_strategy, bin_width=st.floats(0.05, 5.0), seed=st.integers(0, 2**16))
def test_binned_properties_and_invariances(data, bin_width, seed):
    rep, labels = data
    n = rep.shape[0]
    est = binned_information(rep, labels, bin_width=bin_width)
    h_y = entropy_of_labels(labels)
    assert 0.0 <= est.i_ty <= min(est.i_xt, h_y) + 1e-12
    assert 0.0 <= est.i_xt <= math.log2(n) + 1e-12
    assert est.i_xt_given_y >= -1e-12
    assert est.i_xt_given_y == pytest.approx(est.i_xt - est.i_ty, abs=1e-12)

    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    permuted = binned_information(rep[perm], labels[perm], bin_width=bin_width)
    relabel = rng.choice(100, size=4, replace=False)  # injective map of label values
    relabelled = binned_information(rep, relabel[labels], bin_width=bin_width)
    for other in (permuted, relabelled):
        assert other.i_xt == pytest.approx(est.i_xt, abs=1e-9)
        assert other.i_ty == pytest.approx(est.i_ty, abs=1e-9)
        assert other.i_xt_given_y == pytest.approx(est.i_xt_given_y, abs=1e-9)


# --------------------------------------------------------------------------- Gaussian channel


@pytest.mark.parametrize("method", METHODS)
def test_gaussian_two_far_points_give_one_bit(method):
    est = gaussian_channel_information(
        [[0.0, 0.0], [60.0, 0.0]], [0, 1], noise_std=1.0, method=method
    )
    assert est.i_xt == pytest.approx(1.0, abs=1e-3)
    assert est.i_ty == pytest.approx(1.0, abs=1e-3)
    assert est.i_xt_given_y == pytest.approx(0.0, abs=1e-3)
    assert method in est.estimator


@pytest.mark.parametrize("method", METHODS)
def test_gaussian_two_close_points_give_about_zero(method):
    est = gaussian_channel_information([[0.0], [1e-3]], [0, 1], noise_std=1.0, method=method)
    assert est.i_xt == pytest.approx(0.0, abs=1e-3)
    assert est.i_ty == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize("method", METHODS)
def test_gaussian_identical_points_give_zero(method):
    rep = np.tile([[1.5, -2.0, 3.0]], (40, 1))
    labels = np.arange(40) % 4
    est = gaussian_channel_information(rep, labels, noise_std=0.3, method=method)
    assert est.i_xt == pytest.approx(0.0, abs=1e-12)
    assert est.i_ty == pytest.approx(0.0, abs=1e-12)
    assert est.i_xt_given_y == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("distance", [0.5, 1.5, 3.0])
def test_gaussian_two_point_bounds_bracket_exact(distance):
    s = 1.0
    rep = np.array([[0.0], [distance]])
    labels = np.array([0, 1])
    exact = exact_two_point_information(distance, s)
    upper = gaussian_channel_information(rep, labels, noise_std=s, method="kl_upper").i_xt
    lower = gaussian_channel_information(
        rep, labels, noise_std=s, method="bhattacharyya_lower"
    ).i_xt
    assert upper >= exact >= lower
    assert upper - lower > 1e-3  # the bounds are not trivially tight at these distances

    mc = gaussian_channel_information(
        rep, labels, noise_std=s, method="monte_carlo", n_mc=2000, seed=0
    ).i_xt
    spread = np.std(
        [
            gaussian_channel_information(
                rep, labels, noise_std=s, method="monte_carlo", n_mc=2000, seed=k
            ).i_xt
            for k in range(1, 31)
        ],
        ddof=1,
    )
    assert spread > 0
    assert abs(mc - exact) <= 3 * spread


def test_gaussian_monte_carlo_is_reproducible_with_seed():
    rng = np.random.default_rng(3)
    rep = rng.normal(size=(30, 4))
    labels = rng.integers(0, 3, size=30)
    a = gaussian_channel_information(rep, labels, noise_std=0.5, method="monte_carlo", seed=7)
    b = gaussian_channel_information(rep, labels, noise_std=0.5, method="monte_carlo", seed=7)
    c = gaussian_channel_information(rep, labels, noise_std=0.5, method="monte_carlo", seed=8)
    assert a == b
    assert a.i_xt != c.i_xt


@pytest.mark.parametrize("method", METHODS)
def test_gaussian_huge_noise_gives_zero(method):
    rng = np.random.default_rng(4)
    rep = rng.normal(size=(50, 5))
    labels = rng.integers(0, 5, size=50)
    est = gaussian_channel_information(rep, labels, noise_std=1e6, method=method)
    assert abs(est.i_xt) < 1e-5
    assert abs(est.i_ty) < 1e-5
    assert abs(est.i_xt_given_y) < 1e-5


def test_gaussian_information_decreases_with_noise():
    rng = np.random.default_rng(5)
    rep = rng.normal(size=(80, 3))
    labels = rng.integers(0, 3, size=80)
    values = [
        gaussian_channel_information(rep, labels, noise_std=s).i_xt for s in (0.01, 0.1, 1.0, 10.0)
    ]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(math.log2(80), abs=1e-3)


def class_structured(points_far_within_class: bool):
    sizes = [5, 3, 8, 4]
    rep, labels = [], []
    for c, size in enumerate(sizes):
        centre = np.array([1e4 * c, -1e4 * c])
        for k in range(size):
            offset = np.array([100.0 * k, 0.0]) if points_far_within_class else np.zeros(2)
            rep.append(centre + offset)
            labels.append(c)
    return np.array(rep), np.array(labels), np.array(sizes)


@pytest.mark.parametrize("method", METHODS)
def test_gaussian_class_structured_far_points(method):
    rep, labels, sizes = class_structured(points_far_within_class=True)
    n = sizes.sum()
    p = sizes / n
    est = gaussian_channel_information(rep, labels, noise_std=1.0, method=method)
    assert est.i_xt == pytest.approx(math.log2(n), abs=1e-6)
    assert est.i_ty == pytest.approx(entropy_of_labels(labels), abs=1e-6)
    assert est.i_xt_given_y == pytest.approx(float(np.sum(p * np.log2(sizes))), abs=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_gaussian_class_structured_collapsed_classes(method):
    rep, labels, _ = class_structured(points_far_within_class=False)
    est = gaussian_channel_information(rep, labels, noise_std=1.0, method=method)
    h_y = entropy_of_labels(labels)
    assert est.i_xt == pytest.approx(h_y, abs=1e-6)
    assert est.i_ty == pytest.approx(h_y, abs=1e-6)
    assert est.i_xt_given_y == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(data=rep_strategy, noise_std=st.floats(0.05, 20.0), seed=st.integers(0, 2**16))
def test_gaussian_pairwise_properties(data, noise_std, seed):
    rep, labels = data
    n = rep.shape[0]
    upper = gaussian_channel_information(rep, labels, noise_std=noise_std, method="kl_upper")
    lower = gaussian_channel_information(
        rep, labels, noise_std=noise_std, method="bhattacharyya_lower"
    )
    h_y = entropy_of_labels(labels)
    for est in (upper, lower):
        assert 0.0 <= est.i_xt_given_y <= est.i_xt + 1e-12
        assert est.i_xt <= math.log2(n) + 1e-12
        assert est.i_ty <= h_y + 1e-9
        assert est.i_xt_given_y == pytest.approx(est.i_xt - est.i_ty, abs=1e-12)
    assert lower.i_xt <= upper.i_xt + 1e-12
    assert lower.i_xt_given_y <= upper.i_xt_given_y + 1e-12

    perm = np.random.default_rng(seed).permutation(n)
    permuted = gaussian_channel_information(rep[perm], labels[perm] + 3, noise_std=noise_std)
    assert permuted.i_xt == pytest.approx(upper.i_xt, abs=1e-9)
    assert permuted.i_ty == pytest.approx(upper.i_ty, abs=1e-9)


def test_gaussian_monte_carlo_bounded_by_log_n():
    rng = np.random.default_rng(6)
    rep = rng.normal(scale=5.0, size=(40, 2))
    labels = rng.integers(0, 4, size=40)
    est = gaussian_channel_information(rep, labels, noise_std=0.5, method="monte_carlo")
    assert est.i_xt <= math.log2(40) + 1e-12


@pytest.mark.parametrize("method", ["kl_upper", "bhattacharyya_lower"])
def test_gaussian_pairwise_is_fast(method):
    rng = np.random.default_rng(7)
    rep = rng.normal(size=(600, 10))
    labels = rng.integers(0, 10, size=600)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        gaussian_channel_information(rep, labels, noise_std=1.0, method=method)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.05


# --------------------------------------------------------------------------- information_plane


@pytest.mark.parametrize(
    ("estimator", "kwargs"),
    [
        ("binned", {"bin_width": 0.5}),
        ("gaussian_channel", {"noise_std": 0.5}),
        ("gaussian_channel", {"noise_std": 0.5, "method": "monte_carlo", "n_mc": 200}),
    ],
)
def test_information_plane_matches_per_level_calls(estimator, kwargs):
    rng = np.random.default_rng(8)
    reps = rng.normal(size=(3, 40, 4))
    labels = rng.integers(0, 4, size=40)
    plane = information_plane(reps, labels, estimator=estimator, **kwargs)
    assert plane.shape == (3, 3)
    func = binned_information if estimator == "binned" else gaussian_channel_information
    for level in range(3):
        est = func(reps[level], labels, **kwargs)
        np.testing.assert_allclose(plane[level], [est.i_xt, est.i_ty, est.i_xt_given_y])


# --------------------------------------------------------------------------- validation


GOOD_REP = np.zeros((4, 2))
GOOD_LABELS = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("rep", "labels", "match"),
    [
        (np.zeros(4), GOOD_LABELS, "rep"),
        (np.zeros((0, 2)), np.zeros(0, dtype=int), "rep"),
        (np.array([[np.nan, 0.0]] * 4), GOOD_LABELS, "rep"),
        (np.array([["a", "b"]] * 4), GOOD_LABELS, "rep"),
        (GOOD_REP, np.array([0, 1, 0]), "labels"),
        (GOOD_REP, np.array([0, 1, 0, -1]), "labels"),
        (GOOD_REP, np.array([0.0, 1.5, 0.0, 1.0]), "labels"),
        (GOOD_REP, np.array([0.0, np.nan, 0.0, 1.0]), "labels"),
        (GOOD_REP, np.array(["a", "b", "a", "b"]), "labels"),
    ],
)
def test_both_estimators_reject_bad_inputs(rep, labels, match):
    with pytest.raises(ValueError, match=match):
        binned_information(rep, labels, bin_width=1.0)
    with pytest.raises(ValueError, match=match):
        gaussian_channel_information(rep, labels, noise_std=1.0)


@pytest.mark.parametrize("bin_width", [0.0, -1.0, np.nan, np.inf, "1", True, 1e-300])
def test_binned_rejects_bad_bin_width(bin_width):
    with pytest.raises(ValueError, match="bin_width"):
        binned_information(np.ones((4, 2)), GOOD_LABELS, bin_width=bin_width)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"noise_std": 0.0}, "noise_std"),
        ({"noise_std": -1.0}, "noise_std"),
        ({"noise_std": np.nan}, "noise_std"),
        ({"noise_std": 1.0, "method": "exact"}, "method"),
        ({"noise_std": 1.0, "n_mc": 0}, "n_mc"),
        ({"noise_std": 1.0, "seed": -1}, "seed"),
    ],
)
def test_gaussian_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gaussian_channel_information(GOOD_REP, GOOD_LABELS, **kwargs)


def test_information_plane_rejects_bad_arguments():
    with pytest.raises(ValueError, match="estimator"):
        information_plane(np.zeros((2, 4, 2)), GOOD_LABELS, estimator="knn", bin_width=1.0)
    with pytest.raises(ValueError, match="rep_by_level"):
        information_plane(GOOD_REP, GOOD_LABELS, estimator="binned", bin_width=1.0)


def test_labels_accept_integral_floats():
    est = binned_information(np.arange(4.0)[:, None], np.array([0.0, 1.0, 0.0, 1.0]), bin_width=1.0)
    assert est.i_ty == pytest.approx(1.0)
