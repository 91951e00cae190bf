"""step-size-and-batch: progress per step is set by the step size η, not by the batch size b
(the linear-scaling picture), so a larger batch wastes examples.

neurashed's time is its compression time; the network's is its time to fit (95% training
accuracy).
"""

from __future__ import annotations

from learnmech.experiments.compare._claims import (
    AbsBelow,
    Claim,
    Largest,
    Phenomenon,
    Series,
    Sign,
    Smallest,
)


def _eta_extremes(metric: str, what: str) -> tuple[Series, Series]:
    """``metric`` at the smallest and the largest η of the run's η sweep."""
    return tuple(Series(f"{what}, {word} η", metric, {"sweep": "eta", "sweep_value": pick}) for
                 word, pick in (("smallest", Smallest(sweep="eta")),
                                ("largest", Largest(sweep="eta"))))


PHENOMENON = Phenomenon(
    claims=(
        Claim("larger_step_faster", "a larger step size η gets there in fewer steps", {
            "neurashed": Sign("compression_steps_slope_eta", True,
                              "log-slope of compression time vs η"),
            "network": Sign("fit_steps_slope_eta", True, "log-slope of time to fit vs η"),
        }),
        Claim("batch_slower_per_example",
              "at fixed η a larger batch needs more examples (epochs) to get there", {
                  "neurashed": Sign("compression_epochs_slope_batch", False,
                                    "log-slope of compression epochs vs b"),
                  "network": Sign("fit_epochs_slope_batch", False,
                                  "log-slope of epochs to fit vs b"),
              }),
        Claim("batch_free_in_steps",
              "in steps, the batch size barely matters (|log-slope| < 0.3)", {
                  "neurashed": AbsBelow("compression_steps_slope_batch", 0.3),
                  "network": AbsBelow("fit_steps_slope_batch", 0.3),
              }),
    ),
    series={
        "neurashed": _eta_extremes("nuisance_share", "nuisance share"),
        "network": _eta_extremes("train_acc", "train acc"),
    },
)
