"""mup-transfer: 'wider is better' judged on seed means with standard errors; negative control:
the standard parameterisation passed off as μP (its best η drifts with width)."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import mup_transfer as entry


def test_monotone_judged_on_means_with_standard_errors():
    rng = np.random.default_rng(0)
    falling = np.array([[0.060], [0.052], [0.045]]) + 0.0005 * rng.standard_normal((3, 5))
    assert entry.judge_monotone(falling, 0.01)[1] == "holds"
    rising = np.array([[0.045], [0.052]]) + 0.0005 * rng.standard_normal((2, 5))
    assert entry.judge_monotone(rising, 0.01)[1] == "fails"
    # a 1.4 % rise with a 2 % per-seed spread over 5 seeds cannot be decided
    noisy = np.array([[0.0440], [0.0446]]) * (1 + 0.02 * rng.standard_normal((2, 5)))
    assert entry.judge_monotone(noisy, 0.01)[1] == "inconclusive"


def test_standard_parameterisation_posing_as_mup_fails(monkeypatch):
    """Negative control: the 'μP' nets are SP nets, whose best η falls ∝ 1/N: over 64 → 1024
    the argmin moves ≥ 2 octaves and the verdict must be fails."""
    monkeypatch.setattr(entry, "_mup_net", entry._sp_net)
    s = entry.run_mup_transfer(entry.MupTransferConfig(size="quick", n_train=256,
                                                       seeds=1)).summary
    assert s["agreement"] >= 2 and s["verdict"] == "fails"
