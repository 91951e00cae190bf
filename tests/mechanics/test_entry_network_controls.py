"""Negative controls of the network entries: ntk-eigenmode-decay (trained at half the step size
the prediction assumes), hessian-outliers (labels merged into 5 classes), generalization-bounds
(random labels on both sides), critical-batch (a noise scale from batch-mean gradients),
robust-sample-complexity (an attack radius ~0: standard accuracy measured as robust)."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.catalogue import decide, judge


def test_ntk_modes_trained_at_half_the_step_fail():
    """Negative control: the residual's modes of a network trained at η/2, against the
    predicted rates at η: every fitted rate is about half the prediction, outside 10 %."""
    from learnmech.mechanics.entries import ntk_eigenmode_decay as entry
    from learnmech.theory import fc_kernel
    from learnmech.theory.laws.kernel_regime import ntk_mode_rate

    rng = np.random.default_rng(0)
    X = entry._sphere(rng, 16, 8)
    K = fc_kernel(X, depth=2, activation="relu", sigma_w2=2.0, sigma_b2=0.1, kind="ntk")
    lam, V = np.linalg.eigh(K / 16)
    lam, V = lam[::-1][:2], V[:, ::-1][:, :2]
    lr = 0.5 / lam[0]
    predicted = ntk_mode_rate(lam, lr)
    steps = int(np.ceil(3.0 / predicted.min())) + 2
    good = entry._mode_rates(X, V, lam, lr, 2048, 0, steps, 3.0) / predicted
    half = entry._mode_rates(X, V, lam, lr / 2, 2048, 0, 2 * steps, 3.0) / predicted
    assert judge(entry.ENTRY.tolerance, float(np.abs(good - 1).max())) == "holds"
    assert judge(entry.ENTRY.tolerance, float(np.abs(half - 1).max())) == "fails"


def test_hessian_of_a_five_class_problem_has_no_gap_at_ten(monkeypatch):
    """Negative control: the digits' labels merged mod 5 (the net still has 10 outputs): the
    outliers follow the 5 classes actually present, not C = 10, and the check must fail."""
    import dataclasses

    import learnmech.nets as nets
    from learnmech.mechanics.entries import hessian_outliers as entry

    original = nets.load_dataset

    def merged(*args, **kwargs):
        data = original(*args, **kwargs)
        return dataclasses.replace(data, y_train=data.y_train % 5, y_test=data.y_test % 5)

    monkeypatch.setattr(nets, "load_dataset", merged)
    s = entry.run_hessian_outliers(entry.HessianOutliersConfig(size="quick")).summary
    assert s["agreement"] <= 7 and s["verdict"] == "fails"


def test_random_labels_on_both_sides_do_not_separate():
    """Negative control: the 'true' labels replaced by a second random draw: the NTK bound's
    random/true ratio is about 1, below the 2 the check asks."""
    from learnmech.mechanics.entries import generalization_bounds as entry
    from learnmech.theory.laws.generalization_bounds import arora_gram, ntk_label_bound

    config = entry.GenBoundsConfig(size="quick")
    X, y = entry._binary_digits(config, 300)
    H = arora_gram(X)
    rng = np.random.default_rng(0)
    true = ntk_label_bound(H, y)
    random = ntk_label_bound(H, rng.choice([-1.0, 1.0], size=300))
    also_random = ntk_label_bound(H, rng.choice([-1.0, 1.0], size=300))
    assert judge(entry.ENTRY.tolerance, random / true) == "holds"
    assert judge(entry.ENTRY.tolerance, random / also_random) == "fails"


def test_a_noise_scale_from_batch_mean_gradients_fails():
    """Negative control: B_simple computed from means of 16 per-example gradients (as if each
    were one example) is ~16× too small; against a B_crit fitted to steps that follow the true
    noise scale, the ratio leaves [0.5, 2]."""
    from learnmech.mechanics.entries import critical_batch as entry
    from learnmech.nets import load_dataset, mlp
    from learnmech.probes.gradients import per_sample_gradients
    from learnmech.theory.laws.sgd_noise import (
        critical_batch_steps,
        fit_critical_batch,
        simple_noise_scale,
    )

    data = load_dataset("digits", n_train=256, n_test=64, seed=0)
    X, y, _, _ = data.to_torch()
    grads = per_sample_gradients(mlp(64, [32], 10, seed=0), X, y, loss="ce",
                                 chunk=256).double().numpy()  # (256, p)
    true = simple_noise_scale(grads)
    broken = simple_noise_scale(grads.reshape(16, 16, -1).mean(axis=1))
    batches = np.array([4.0, 8, 16, 32, 64, 128])
    steps = critical_batch_steps(batches, 40.0, true)
    _, b_crit = fit_critical_batch(batches, steps * (1 + 0.05 * np.sin(batches)))
    assert judge(entry.ENTRY.tolerance, b_crit / true) == "holds"
    assert broken < true / 5
    assert judge(entry.ENTRY.tolerance, b_crit / broken) == "fails"


def test_standard_accuracy_measured_as_robust_fails():
    """Negative control: attack radius 0.01 (robust ≈ standard accuracy, n = O(1)): the fitted
    exponent is ≈ 0, far below 0.5 ± 0.15."""
    from learnmech.mechanics.entries import robust_sample_complexity as entry

    s = entry.run_robust_samples(entry.RobustSamplesConfig(size="quick", eps=0.01,
                                                           d_max=4096)).summary
    assert s["agreement"] < 0.2 and s["verdict"] == "fails"
    assert decide(entry.ENTRY.tolerance, 0.5) == "holds"
