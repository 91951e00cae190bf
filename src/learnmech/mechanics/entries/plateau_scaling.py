"""plateau-scaling (strand a): the plateaus of a deep linear net lengthen like ln(1/σ²) as the
initialisation scale σ shrinks.

Conventions as in :mod:`learnmech.mechanics.entries.deep_linear_modes`, whose setting this entry
repeats at several init scales (the same random draw, scaled).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import (
    Entry,
    Tolerance,
    entry_result,
    farthest_from_one,
    summary,
)
from learnmech.mechanics.deep_linear import mode_half_times
from learnmech.mechanics.entries.deep_linear_modes import DeepLinearConfig
from learnmech.theory.laws.deep_linear import plateau_slope


class PlateauConfig(DeepLinearConfig):
    """Deep linear network at several init scales σ; t½ against ln(1/σ²)."""

    scale_min: float = Field(1e-5, gt=0.0, le=0.01, description="smallest init scale σ")
    scale_max: float = Field(1e-2, gt=0.0, le=0.1, description="largest init scale σ")
    lr: float = Field(0.02, gt=0.0, le=0.2, description="GD step size η (t = η × steps)")


def run_plateau(config: PlateauConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure

    if not config.scale_min < config.scale_max:
        raise ValueError("plateau-scaling: scale_min must be < scale_max")
    count = 4 if config.size == "quick" else 8
    scales = np.geomspace(config.scale_min, config.scale_max, count)
    s = np.asarray(config.singular_values, float)
    half = np.empty((count, len(s)))
    for i, scale in enumerate(scales):  # the same random draw at every scale
        half[i] = mode_half_times(config, np.random.default_rng(config.seed), scale)[0]
    x = np.log(1.0 / scales ** 2)
    slopes = np.array([np.polyfit(x, half[:, k], 1)[0] for k in range(len(s))])
    predicted = plateau_slope(s)
    ratios = slopes / predicted
    worst = farthest_from_one(ratios)
    series = []
    for k in range(len(s)):
        intercept = np.mean(half[:, k] - predicted[k] * x)
        series.append(Series(x, half[:, k], f"s={s[k]:g}", color=k))
        series.append(Series(x, intercept + predicted[k] * x,
                             "slope 1/(2s)" if k == 0 else "_", kind="predicted", color=k))
    fig = agreement_figure([Panel(series, "ln(1/σ²)", "half-time t½ (η·steps)",
                                  title="plateaus lengthen logarithmically")], ncols=1)
    rows = [{"init_scale": float(scales[i]), "mode": k, "metric": "half_time",
             "value": float(half[i, k])} for i in range(count) for k in range(len(s))]
    rows += [{"mode": k, "metric": m, "value": float(v)} for k in range(len(s))
             for m, v in (("slope_measured", slopes[k]), ("slope_predicted", predicted[k]))]
    out = summary(ENTRY, worst, slope_ratio_min=float(ratios.min()),
                  slope_ratio_max=float(ratios.max()))
    return entry_result(ENTRY, out, metrics=rows, figures={"plateau_scaling": fig})


ENTRY = Entry(
    id="plateau-scaling", strand="a",
    claim="Plateaus lengthen logarithmically as the initialisation shrinks.",
    formula=plateau_slope,
    measurement="half-time of each mode at init scales σ from 1e-5 to 1e-2 (same draw scaled)",
    metric="fitted slope of t½ against ln(1/σ²) over 1/(2 s_k), the worst mode",
    tolerance=Tolerance(0.9, 1.1, "slope within 10 % of 1/(2 s_k)"),
    references=("Saxe, McClelland & Ganguli, ICLR 2014",),
    figure="plateau_scaling", config_cls=PlateauConfig, run=run_plateau)
