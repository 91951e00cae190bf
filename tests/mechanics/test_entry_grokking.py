"""grokking: delay·λ constant; negative control: one run's delay reported for λ = 0.1 and for
λ = 1 (the weight decay not applied as labelled) must fail."""

from __future__ import annotations

import math

from learnmech.mechanics.catalogue import judge
from learnmech.mechanics.entries import grokking as entry


def test_judge_delays():
    assert entry.judge_delays([0.1, 1.0], [5000, 520]) == (1.04, None)
    ratio, regime = entry.judge_delays([0.1, 1.0], [math.inf, 520])
    assert ratio is None and "fewer than 2" in regime
    assert entry.judge_delays([0.1, 0.3, 1.0], [5000, math.inf, 520])[0] == math.inf


def test_a_decay_not_applied_as_labelled_fails():
    """Negative control: one real run at λ = 1 (p = 23, quick settings), its delay used for both
    λ = 0.1 and λ = 1: delay·λ differs tenfold, far outside ×1.5."""
    config = entry.GrokkingConfig(size="quick", p=23, train_frac=0.7)
    t_train, t_test, _, _ = entry._grok_run(config, 1.0, 0, 3000)
    assert math.isfinite(t_test) and t_test > t_train
    delay = t_test - t_train
    ratio, regime = entry.judge_delays([0.1, 1.0], [delay, delay])
    assert regime is None and abs(ratio - 10.0) < 1e-9
    assert judge(entry.ENTRY.tolerance, ratio) == "fails"
