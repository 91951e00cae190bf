"""Negative controls of the solvable-setting entries: deep-linear-modes (half-times read in steps
instead of η·steps), plateau-scaling (the init scale not applied), conservation-laws (a
quantity that is not conserved), finite-width-fluctuations (the ReLU dropped), neural-collapse
(frozen features)."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.catalogue import farthest_from_one, judge


def test_deep_linear_half_times_in_the_wrong_time_unit_fail():
    """Negative control: half-times counted in steps, not gradient-flow time η·steps (η = 0.01):
    every ratio is 100, outside [0.8, 1.2]; the same run in η·steps holds."""
    from learnmech.mechanics.deep_linear import mode_half_times
    from learnmech.mechanics.entries import deep_linear_modes as entry

    config = entry.DeepLinearConfig(size="quick")
    measured, predicted, *_ = mode_half_times(config, np.random.default_rng(0), 1e-3)
    assert judge(entry.ENTRY.tolerance, farthest_from_one(measured / predicted)) == "holds"
    steps = measured / config.lr
    assert judge(entry.ENTRY.tolerance, farthest_from_one(steps / predicted)) == "fails"


def test_plateau_with_the_init_scale_not_applied_fails(monkeypatch):
    """Negative control: every 'scale' runs the same init of scale 1e-3 (the scale is not
    applied): the half-times do not move with ln(1/σ²), slope 0, verdict fails."""
    from learnmech.mechanics.entries import plateau_scaling as entry

    original = entry.mode_half_times
    monkeypatch.setattr(entry, "mode_half_times",
                        lambda config, rng, scale: original(config, rng, 1e-3))
    s = entry.run_plateau(entry.PlateauConfig(size="quick")).summary
    assert abs(s["agreement"]) < 0.05 and s["verdict"] == "fails"


def test_a_quantity_that_is_not_conserved_fails(monkeypatch):
    """Negative control: ‖w_in‖² + b² alone (without −‖w_out‖²) changes at O(1) under gradient
    flow, so its drift does not shrink with η: slope ≈ 0, verdict fails."""
    from learnmech.mechanics.entries import conservation_laws as entry

    def incoming_only(model):
        first = model[0]
        q = (first.weight.detach().double() ** 2).sum(1) + first.bias.detach().double() ** 2
        return np.asarray(q)

    monkeypatch.setattr(entry, "_relu_quantity", incoming_only)
    s = entry.run_conservation(entry.ConservationConfig(size="quick", time=0.5)).summary
    assert abs(s["slope_relu"]) < 0.3 and s["verdict"] == "fails"


def test_linear_nets_do_not_have_the_relu_fluctuations():
    """Negative control: the ReLU dropped (linear layers at the same init): Var log q_L ≈ 2L/n,
    so sd / √(5L/n) ≈ 0.63, outside [0.85, 1.15]; with the ReLU it holds."""
    from learnmech.mechanics.entries import finite_width_fluctuations as entry
    from learnmech.theory.laws.signal_propagation import relu_log_norm_variance

    rng = np.random.default_rng(0)
    n, depth = 32, 16
    pred = np.sqrt(relu_log_norm_variance(depth, n))
    relu = entry._relu_log_norms(n, depth, 400, rng)[:, -1].std(ddof=1) / pred
    linear = entry._relu_log_norms(n, depth, 400, rng, relu=False)[:, -1].std(ddof=1) / pred
    assert judge(entry.ENTRY.tolerance, relu) == "holds"
    assert judge(entry.ENTRY.tolerance, linear) == "fails" and abs(linear - 0.63) < 0.08


def test_frozen_features_do_not_collapse(monkeypatch):
    """Negative control: the unconstrained features frozen at their random init (only the
    classifier trains; 4 examples per class in 16 dimensions, so they are separable and the
    terminal phase is reached): NC1 stays where it started, slope 0 > −0.1, verdict fails."""
    import learnmech.nets as nets
    from learnmech.mechanics.entries import neural_collapse as entry

    original = nets.mlp

    def frozen(*args, **kwargs):
        net = original(*args, **kwargs)
        net[0].weight.requires_grad_(False)
        return net

    monkeypatch.setattr(nets, "mlp", frozen)
    s = entry.run_neural_collapse(entry.NeuralCollapseConfig(size="quick", per_class=4,
                                                             weight_decay=1e-4, lr=4.0)).summary
    assert s["regime"] == "in regime"
    assert abs(s["slope_nc1"]) < 1e-3 and s["verdict"] == "fails"
