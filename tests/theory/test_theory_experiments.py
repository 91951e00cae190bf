"""The theory experiments' numbers: predictions held against measurement at reduced and at the
documented (slow) sizes."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.core.config import resolve_config
from learnmech.core.registry import get


def _run(experiment_id, **overrides):
    experiment = get(experiment_id)
    return experiment.run(resolve_config(experiment_id, experiment.config_cls, overrides=overrides))


def test_eigenlearning_tracks_gp_regression_at_reduced_size():
    result = _run("theory.learning-curve", d=12, n_min=40, n_max=300, n_points=3, lmax=16,
                  **{"gp.seeds": 10, "gp.n_test": 800, "network.widths": []})
    s = result.summary
    gp = [r for r in result.metrics if r["metric"] == "gp_mse"]
    predicted = {r["n"]: r["value"] for r in result.metrics
                 if r["metric"] == "predicted_eigenlearning"}
    for row in gp:  # within 3 standard errors plus 1 % at every measured n
        assert abs(predicted[row["n"]] - row["value"]) <= 3 * row["stderr"] + 0.01 * row["value"]
    assert s["gp_seeds"] == 10
    assert s["max_rel_err_ek"] is None or s["max_rel_err_ek"] > 0


def test_kernel_spectrum_matches_the_gram_matrix():
    s = _run("theory.kernel-spectrum", d=6, lmax=5, gram_n=600, gram_degrees=2,
             **{"sweep.depths": [2, 4], "sweep.activations": ["relu", "erf"]}).summary
    assert s["gram_max_rel_err"] < 0.05
    assert s["eigenvalues_decrease_with_degree"]
    assert s["half_learned_over_cumulative_min"] > 0.5  # a theorem of the κ equation
    swapped = _run("theory.kernel-spectrum", d=6, lmax=5, gram_n=600, gram_degrees=2,
                   **{"sweep.depths": [4, 2], "sweep.activations": ["erf", "relu"]}).summary
    # the minimum over every kernel of the sweep, whatever their order
    assert swapped["half_learned_over_cumulative_min"] == s["half_learned_over_cumulative_min"]


def test_real_data_curve_reports_both_estimates():
    s = _run("theory.real-data-curve", datasets=["digits"], spectrum_n=400, n_min=10, n_max=40,
             n_points=3, seeds=6, n_test=300).summary
    assert 0 < s["test_mse_n40_digits"] < 1.0  # better than predicting zero for every class
    assert s["max_rel_err_eigenlearning_small_n_digits"] < 0.25
    assert np.isfinite(s["max_rel_err_kare_digits"])


@pytest.mark.slow
def test_documented_learning_curve_meets_the_issue_tolerances():
    """Issue 3's acceptance: d = 50, depth-4 ReLU NTK, n from 50 to 3500 (about 2 minutes)."""
    s = _run("theory.learning-curve", **{"network.widths": []}).summary
    assert s["gp_max_rel_stderr"] < 0.02
    assert s["max_rel_err_eigenlearning"] <= 0.05
    assert s["max_rel_err_ek_correction"] <= 0.05


def _learning_curve_verdicts(error, rel_stderr):
    """The learning-curve summary for GP means off the prediction by ``error`` (relative) with
    relative standard error ``rel_stderr`` at every n (nothing is run)."""
    from learnmech.experiments.theory.learning_curve import Config, _summary

    sizes = np.array([100, 300, 1200, 3000])
    predicted = np.linspace(0.8, 0.2, 4)
    mean = predicted / (1 + error)  # |p/m − 1| = error
    stderr = rel_stderr * mean
    return _summary(Config(), sizes, mean, stderr, {m: predicted for m in
                                                   ("eigenlearning", "ek", "ek+1/n")}, [])


def test_learning_curve_verdict_weighs_the_standard_error():
    """Item 5 of issue 13: with 4 seeds the GP mean's relative SE was 6 % against a 5 %
    tolerance, yet the verdict said holds. The verdict is now `inconclusive` when error ± 2 SE
    straddles 5 %, `holds` only when the whole interval is inside, and `fails` (the negative
    control: a prediction 20 % off with a small SE) when it is wholly outside."""
    s = _learning_curve_verdicts(0.03, 0.06)
    assert s["eigenlearning_verdict"] == "inconclusive"
    assert s["max_rel_err_eigenlearning_stderr"] == pytest.approx(1.03 * 0.06, rel=1e-9)
    assert _learning_curve_verdicts(0.01, 0.01)["eigenlearning_verdict"] == "holds"
    off = _learning_curve_verdicts(0.20, 0.01)
    assert off["eigenlearning_verdict"] == "fails" and off["ek_verdict"] == "fails"
    assert _learning_curve_verdicts(0.07, 0.006)["ek_correction_verdict"] == "fails"


def test_networks_approach_the_kernel_only_beyond_two_standard_errors():
    from learnmech.experiments.theory.learning_curve import _approach_verdict

    assert _approach_verdict(0.49, 0.16, 3) == "holds"  # the documented lazy run
    assert _approach_verdict(0.007, float("nan"), 3) == "inconclusive"  # one seed: no SE
    assert _approach_verdict(0.1, 0.1, 3) == "inconclusive"
    assert _approach_verdict(-0.47, 0.04, 3) == "fails"  # the gap grows: the negative control
    assert _approach_verdict(0.5, 0.01, 1) == "fails"  # one width: nothing to approach
