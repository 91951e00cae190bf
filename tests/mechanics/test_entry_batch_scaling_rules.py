"""batch-scaling-rules: Adam's √B rule judged where the noise scale allows it; negative control:
a "rule" that rescales nothing must fail; batch sizes above B_noise/2 are out of regime."""

from __future__ import annotations

from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import batch_scaling_rules as entry


def test_regime_split_by_the_noise_scale():
    gaps = {("adam", "rule"): {4: 0.1, 16: 0.5}, ("adam", "none"): {4: 0.5, 16: 0.6}}
    judged = entry.judge_adam(8, [1, 4, 16], gaps, [90.0, 300.0])
    assert judged["judged"] == [32] and judged["outside"] == [128]
    assert judged["ratio"] == 5.0 and judged["regime"] is None
    none = entry.judge_adam(8, [1, 4, 16], gaps, [20.0])
    assert none["ratio"] is None and "B_noise" in none["regime"]


def test_a_rule_that_rescales_nothing_fails(monkeypatch):
    """Negative control: the 'rule' returns the base hyperparameters, so the rescaled curves are
    the unrescaled ones: gap ratio 1 < 3, and the verdict must be fails."""
    monkeypatch.setattr(entry, "adam_sqrt_scaling",
                        lambda lr, b1, b2, eps, kappa: (lr, b1, b2, eps))
    s = entry.run_batch_scaling(entry.BatchScalingConfig(size="quick",
                                                         epochs=4)).summary
    assert s["batches_judged"] == "32"
    assert abs(s["agreement"] - 1.0) < 1e-6 and s["verdict"] == "fails"
