"""local-elasticity: an SGD step on one example moves its own class more than the others
(He & Su, ICLR 2020).

neurashed's number is its same/other similarity ratio over training; the network's is He & Su's
relative similarity at the trained weights (ReLU against a linear network as the baseline).
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
    ),
    series={
        "neurashed": (Series("same/other ratio", "elasticity_ratio"),),
        "network": tuple(
            Series(f"{act} same/other ratio (digits)", "ratio_same_vs_other",
                   {"activation": act, "dataset": _DIGITS}) for act in ("relu", "linear")),
    },
)
