"""information-bottleneck: does training show a compression phase (a fall of the
representation's information about the input)?

neurashed's number is the top level's I(X;T|Y) (Gaussian channel, clean world); the network's is
its last layer's I(X;T) on the 12-bit task, with tanh (Shwartz-Ziv & Tishby's setting) and ReLU
(where Saxe et al. saw none), under the run's default estimator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from learnmech.experiments.compare._claims import (
    Claim,
    Computed,
    Condition,
    Largest,
    LensRun,
    Needs,
    Phenomenon,
    Reading,
    Series,
    Threshold,
    number,
)

_IXT = ("clean_top_ixt_given_y_initial", "clean_top_ixt_given_y_peak",
        "clean_top_ixt_given_y_final")


def _model_compression(run: LensRun) -> Reading:
    """neurashed: I(X;T|Y) of the top level rises above its start, then falls to ≤ half its peak."""
    start, peak, final = (number(run.summary, key) for key in _IXT)
    if start is None or peak is None or final is None:
        return Reading(None, None, "clean_top_ixt_given_y_initial/peak/final missing")
    says = peak > start and final <= 0.5 * peak
    return Reading(says, peak - final, f"I(X;T|Y) {start:.3g} → peak {peak:.3g} → {final:.3g} "
                   "bits (compression: rises, then falls to ≤ half the peak)")


def _network_compression(activation: str) -> Threshold:
    return Threshold(f"{activation}_compression_bits", ">", 0.1,
                     "compression of the last layer's I(X;T) > 0.1 bit")


def _default_estimator(summary: dict[str, Any]) -> tuple[str | None, float | None]:
    """The network run's default estimator, from its summary's ``"name(param=value)"``."""
    name, _, rest = str(summary.get("estimator", "")).partition("(")
    try:
        resolution = float(rest.rstrip(")").partition("=")[2])
    except ValueError:
        resolution = None
    return name or None, resolution


@dataclass(frozen=True)
class _OfDefaultEstimator(Condition):
    """The ``estimator`` / ``resolution`` cell is the run's default (any, if it names none)."""

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        name, resolution = _default_estimator(run.summary)
        if column == "estimator":
            return lambda value: name is None or value == name
        return lambda value: name is None or resolution is None or (
            isinstance(value, int | float) and math.isclose(value, resolution, rel_tol=1e-3))

    def needs(self, metric: str, column: str) -> Needs:
        return Needs.of(summary=("estimator",))


_MODEL = Computed(_model_compression, Needs.of(summary=_IXT))

PHENOMENON = Phenomenon(
    claims=(
        Claim("compression_phase_tanh",
              "a compression phase appears (network: tanh, Shwartz-Ziv & Tishby's setting)",
              {"neurashed": _MODEL, "network": _network_compression("tanh")}),
        Claim("compression_phase_relu",
              "a compression phase appears (network: ReLU, where Saxe et al. saw none)",
              {"neurashed": _MODEL, "network": _network_compression("relu")}),
    ),
    series={
        "neurashed": (
            Series("I(X;T|Y), top level, clean world", "i_xt_given_y",
                   {"world": "clean", "estimator": "gaussian_channel",
                    "level": Largest(metric="i_xt_given_y")}),
        ),
        "network": tuple(
            Series(f"I(X;T) last layer, {act}", "i_xt",
                   {"activation": act, "layer": Largest(metric="i_xt"),
                    "estimator": _OfDefaultEstimator(), "resolution": _OfDefaultEstimator()})
            for act in ("tanh", "relu")),
    },
)
