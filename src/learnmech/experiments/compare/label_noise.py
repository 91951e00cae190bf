"""label-noise: clean labels are fit first, flipped ones are memorised later, and shrinkage
(neurashed's compression γ, the network's weight decay) limits the memorising.

neurashed's compression shrinks every volume by (1 − ηγ) per step; its network counterpart is
weight decay, which shrinks every weight by (1 − η·wd).
"""

from __future__ import annotations

from learnmech.experiments.compare._claims import (
    NONZERO,
    ZERO,
    Before,
    Claim,
    Difference,
    Phenomenon,
    Series,
    SummaryValue,
    Threshold,
)

#: The rows of the run's headline noise level ε.
_HEADLINE = SummaryValue("headline_label_noise")

PHENOMENON = Phenomenon(
    claims=(
        Claim("clean_first", "clean labels are fit before flipped ones", {
            "neurashed": Before("steps_to_fit_clean", "steps_to_fit_noisy"),
            "network": Before("steps_to_fit_clean", "steps_to_fit_noisy", "total_steps"),
        }),
        Claim("flipped_memorised", "flipped labels end up memorised (≥ 90% fit) without "
              "compression / weight decay", {
                  "neurashed": Threshold("flipped_fit_final_no_compression", ">=", 0.9,
                                         "memorised"),
                  "network": Threshold("flipped_fit_final", ">=", 0.9, "memorised"),
              }),
        Claim("compression_limits_memorisation",
              "compression (γ) / weight decay lowers the final fit of flipped labels", {
                  "neurashed": Difference("flipped_fit_final_no_compression",
                                          "flipped_fit_final", ">", 0.0,
                                          "without minus with compression"),
                  "network": Difference("flipped_fit_final", "flipped_fit_final_weight_decay",
                                        ">", 0.0, "without minus with weight decay"),
              }),
    ),
    series={
        "neurashed": tuple(
            Series(label, metric, {"label_noise": _HEADLINE, "gamma": NONZERO})
            for label, metric in (("clean fit", "clean_fit"), ("flipped fit", "flipped_fit"),
                                  ("test acc", "test_acc"))),
        "network": tuple(
            Series(label, metric, {"label_noise": _HEADLINE, "weight_decay": ZERO})
            for label, metric in (("clean fit", "train_acc_clean"),
                                  ("flipped fit", "train_acc_flipped"), ("test acc", "test_acc"))),
    },
)
