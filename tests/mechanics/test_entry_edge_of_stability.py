"""edge-of-stability: the late-sharpness ratio and its negative controls (sharpness read at the
wrong step size; a Hessian of the summed instead of the mean loss)."""

from __future__ import annotations

import numpy as np

from learnmech.mechanics.catalogue import judge
from learnmech.mechanics.entries import edge_of_stability as entry


def _trajectory(level, lr=0.2, steps=2000):
    """Sharpness rising to ``level`` × 2/η by mid-training, hovering there (± 3 %)."""
    t = np.linspace(0, steps, 21)
    wobble = 1 + 0.03 * np.sin(t / 37)
    return t, level * (2 / lr) * np.minimum(1.0, t / (0.4 * steps) + 0.2) * wobble


def test_hovering_at_two_over_eta_holds():
    t, sharp = _trajectory(1.0)
    ratio = entry.late_sharpness_ratio(t, sharp, 0.2, 2000)
    assert judge(entry.ENTRY.tolerance, ratio) == "holds"


def test_broken_measurements_fail():
    """Negative controls: (1) the run at η = 0.2 judged with 2/η of η = 0.1 (ratio ≈ ½);
    (2) sharpness of the summed loss over 16 points (16× the mean loss's)."""
    t, sharp = _trajectory(1.0)
    assert judge(entry.ENTRY.tolerance, entry.late_sharpness_ratio(t, sharp, 0.1, 2000)) \
        == "fails"
    assert judge(entry.ENTRY.tolerance, entry.late_sharpness_ratio(t, 16 * sharp, 0.2, 2000)) \
        == "fails"
