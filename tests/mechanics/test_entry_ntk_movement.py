"""ntk-movement: weights against −½, the ReLU kernel against the N^-1/2 bound, tanh's kernel
against −1; negative control: the same measurements with a wrong width exponent folded in."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import ntk_movement as entry


@pytest.fixture(scope="module")
def measured():
    from learnmech.nets import dataset_from_arrays

    config = entry.NtkMovementConfig(size="quick", steps=100)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2 * config.n, config.dim))
    X *= np.sqrt(config.dim) / np.linalg.norm(X, axis=1, keepdims=True)
    y = np.sin(X[:, 0])
    data = dataset_from_arrays(X[:config.n], y[:config.n], X[config.n:], y[config.n:], name="t")
    widths = np.array([64, 256, 1024])
    moves = {}
    for act in entry.ACTIVATIONS:
        found = np.array([[entry._movement(config, int(w), s, data, act) for s in range(3)]
                          for w in widths])  # (widths, seeds, 2)
        moves[(act, "kernel")], moves[(act, "weights")] = found[..., 0], found[..., 1]
    return widths, moves


def test_weights_follow_minus_half_and_the_kernel_stays_within_the_bound(measured):
    widths, moves = measured
    judged = entry.judge_movement(widths, moves)
    assert -0.65 < judged["slope_weights_relu"] < -0.35
    assert judged["kernel_bound"] == "holds"
    assert judged["slope_kernel_tanh"] < -0.85  # O(1/N), well below −½


def test_a_wrong_width_exponent_fails_every_check(measured):
    """Negative control: the changes multiplied by N^0.6 (as if the relative change were
    divided by a norm shrinking with width): every slope moves up by 0.6 and each check —
    the bound included — must say fails."""
    from learnmech.mechanics.catalogue import decide

    widths, moves = measured
    broken = {key: v * (widths[:, None] / widths[0]) ** 0.6 for key, v in moves.items()}
    judged = entry.judge_movement(widths, broken)
    assert decide(entry.ENTRY.tolerance, judged["slope_weights_relu"],
                  judged["slope_weights_relu_se"]) == "fails"
    assert judged["kernel_bound"] == "fails" and judged["kernel_smooth"] == "fails"
