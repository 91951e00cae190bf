"""local-elasticity: an SGD step on one example moves its own class more than the others
(He & Su, ICLR 2020).

neurashed's number is its same/other similarity ratio over training; the network's is He & Su's
relative similarity at the trained weights (ReLU against a linear network as the baseline); the
LE-SDE lens's (``lesde.local-elasticity``, Zhang, Wang & Su 2021) is the intra- and inter-class
impact per SGD step fitted to batch-size-1 LeNet logs, α̂ and β̂, and the SDE's condition for
separation, A − B → ∞ (docs/lesde.md).
"""

from __future__ import annotations

from learnmech.experiments.compare._claims import (
    Claim,
    Computed,
    Difference,
    Is,
    LensRun,
    Needs,
    Phenomenon,
    Reading,
    Series,
    Threshold,
)

#: The network's rows of He & Su's digits setting (a run without a dataset column is digits).
_DIGITS = Is(None, "digits")


def _sde_condition(run: LensRun) -> Reading:
    """lesde: the fitted Â − B̂ is positive and grows without bound (tail index r̂ <= 1)."""
    diff, tail = run.summary.get("difference_end"), run.summary.get("tail_difference")
    if not isinstance(diff, int | float) or not isinstance(tail, int | float):
        return Reading(None, None, "difference_end or tail_difference missing (fit out of "
                       "regime)")
    says = bool(diff > 0 and tail <= 1.0)
    return Reading(says, float(tail), f"Â − B̂ = {diff:.3g} at the end, tail index r̂ = "
                   f"{tail:.3g} (A − B → ∞ needs > 0 and r̂ <= 1)")


def _network_ratio_trend(run: LensRun) -> Reading:
    """network: the ReLU digits same/other ratio at the last record minus at the first."""
    import numpy as np

    rows = [r for r in run.rows if r.get("metric") == "ratio_same_vs_other" and
            r.get("activation") == "relu" and r.get("dataset") in _DIGITS.values and
            isinstance(r.get("step"), int | float)]
    steps = sorted({r["step"] for r in rows})
    if len(steps) < 2:
        return Reading(None, None, "ratio_same_vs_other over training not in metrics.csv")
    first = float(np.mean([r["value"] for r in rows if r["step"] == steps[0]]))
    last = float(np.mean([r["value"] for r in rows if r["step"] == steps[-1]]))
    return Reading(last > first, last - first, f"ReLU ratio at step {steps[0]} = {first:.3g}, "
                   f"at step {steps[-1]} = {last:.3g} (change {last - first:+.3g})")


PHENOMENON = Phenomenon(
    claims=(
        Claim("same_class_moves_more",
              "an update on one example moves its own class more than other classes", {
                  "neurashed": Threshold("elasticity_ratio_final", ">", 1.0, "same/other ratio"),
                  "network": Threshold("relu_ratio_same_vs_other", ">", 1.0,
                                       "same/other ratio, ReLU"),
                  "lesde": Difference("alpha_hat_mean", "beta_hat_mean", ">", 0.0,
                                      "fitted intra- minus inter-class impact per step"),
              }),
        Claim("elasticity_beyond_baseline",
              "local elasticity exceeds its baseline (model: the ratio at initialisation; "
              "network: the linear network's ratio)", {
                  "neurashed": Difference("elasticity_ratio_max",
                                          "elasticity_ratio_at_initialisation", ">", 0.0,
                                          "trained minus initial"),
                  "network": Difference("relu_ratio_same_vs_other", "linear_ratio_same_vs_other",
                                        ">", 0.0, "ReLU minus linear"),
              }),
        Claim("elasticity_grows_to_the_end",
              "the same/other ratio is higher at the end of training than at its start", {
                  "neurashed": Difference("elasticity_ratio_final",
                                          "elasticity_ratio_at_initialisation", ">", 0.0,
                                          "final minus initial"),
                  "network": Computed(_network_ratio_trend, Needs.of(rows={
                      "ratio_same_vs_other": ("activation", "dataset", "step")})),
              }),
        Claim("sde_separation_condition",
              "the LE-SDE's condition for separating the classes, A − B → ∞, holds (model and "
              "network: their final same/other ratio read as constant impacts, > 1; LE-SDE "
              "lens: the fitted Â − B̂ > 0 with tail index r̂ <= 1)", {
                  "neurashed": Threshold("elasticity_ratio_final", ">", 1.0,
                                         "same/other ratio, constant impacts"),
                  "network": Threshold("relu_ratio_same_vs_other", ">", 1.0,
                                       "same/other ratio, ReLU, constant impacts"),
                  "lesde": Computed(_sde_condition, Needs.of(
                      summary=("difference_end", "tail_difference"))),
              }),
    ),
    lenses=("neurashed", "network", "theory", "lesde"),
    series={
        "neurashed": (Series("same/other ratio", "elasticity_ratio"),),
        "network": tuple(
            Series(f"{act} same/other ratio (digits)", "ratio_same_vs_other",
                   {"activation": act, "dataset": _DIGITS}) for act in ("relu", "linear")),
        "lesde": (Series("class separation s̄ of the pooled class means (logits)",
                         "class_separation"),),
    },
)
