"""forgetting: training on new classes only, the old ones are forgotten; does stronger shrinkage
(neurashed's γ, the network's weight decay) make it faster?
"""

from __future__ import annotations

from learnmech.experiments.compare._claims import (
    Claim,
    Difference,
    First,
    Phenomenon,
    Series,
    Sign,
)

_DROP = Difference("acc_A_end_of_phase1", "acc_A_final", ">=", 0.2, "drop")

PHENOMENON = Phenomenon(
    claims=(
        Claim("old_classes_forgotten", "accuracy on the first classes falls by ≥ 0.2 while "
              "training only on the others", {"neurashed": _DROP, "network": _DROP}),
        Claim("shrinkage_speeds_forgetting",
              "stronger shrinkage (γ / weight decay) shortens the accuracy half-life", {
                  "neurashed": Sign("half_life_slope_vs_gamma", True,
                                    "log-slope of half-life vs γ"),
                  "network": Sign("half_life_slope_vs_weight_decay", True,
                                  "log-slope of half-life vs weight decay"),
              }),
    ),
    series={  # the first γ / weight decay of the run's sweep
        "neurashed": (
            Series("acc on A (phase 2)", "acc_A", {"gamma": First()}),
            Series("acc on B (phase 2)", "acc_B", {"gamma": First()}),
        ),
        "network": (
            Series("acc on A (phase 2)", "task_acc",
                   {"phase": 1, "task": 0, "weight_decay": First()}),
            Series("acc on B (phase 2)", "task_acc",
                   {"phase": 1, "task": 1, "weight_decay": First()}),
        ),
    },
)
