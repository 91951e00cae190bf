"""deep-linear-modes (strand a): a 2-layer linear net learns the singular modes of Σ_yx one at a
time, strongest first.

Conventions: the population loss L = ½ E‖y − W₂W₁x‖² with whitened inputs, gradient-flow time
t = η × steps; the network and its loop are :mod:`learnmech.mechanics.deep_linear`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    entry_result,
    farthest_from_one,
    summary,
)
from learnmech.mechanics.deep_linear import mode_half_times
from learnmech.theory.laws.deep_linear import deep_linear_half_time


class DeepLinearConfig(MechanicsConfig):
    """2-layer linear network from a small random init, population squared loss, GD."""

    singular_values: tuple[Annotated[float, Field(gt=0.0, le=100.0)], ...] = Field(
        (3.0, 2.0, 1.0, 0.5), min_length=2, description="singular values s_k of Σ_yx (each > 0)")
    hidden: int = Field(16, ge=1, le=1024, description="hidden width h (>= number of modes)")
    dim: int = Field(8, ge=1, le=1024, description="input and output dimension")
    init_scale: float = Field(1e-3, gt=0.0, le=0.1,
                              description="σ: weights start iid N(0, σ²)")
    lr: float = Field(0.01, gt=0.0, le=0.2, description="GD step size η (t = η × steps)")


def run_deep_linear(config: DeepLinearConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.laws.deep_linear import deep_linear_mode

    if config.hidden < len(config.singular_values) or config.dim < len(config.singular_values):
        raise ValueError("deep-linear-modes: hidden and dim must be >= the number of modes")
    seeds = 1 if config.size == "quick" else 5
    rng = np.random.default_rng(config.seed)
    s = np.asarray(config.singular_values, float)
    ratios, order_ok, rows, first = [], True, [], None
    for rep in range(seeds):
        measured, predicted, times, strengths, a0 = mode_half_times(config, rng, config.init_scale)
        ratios.append(measured / predicted)
        order_ok &= bool(np.all(np.diff(measured[np.argsort(-s)]) > 0))
        rows += [{"replicate": rep, "mode": k, "s": s[k], "metric": m, "value": float(v)}
                 for k in range(len(s))
                 for m, v in (("half_time_measured", measured[k]),
                              ("half_time_predicted", predicted[k]), ("a0_eff", a0[k]))]
        if first is None:
            first = (times, strengths, a0, measured)
    ratios = np.array(ratios)  # (seeds, r)
    worst = farthest_from_one(ratios)
    times, strengths, a0, measured = first
    every = max(1, len(times) // 300)
    series = []
    for k in range(len(s)):
        series.append(Series(times[::every], strengths[::every, k], f"s={s[k]:g} measured",
                             color=k))
        series.append(Series(times, deep_linear_mode(times, s[k], a0[k]),
                             "prediction" if k == 0 else "_", kind="predicted", color=k))
    fig = agreement_figure([Panel(series, "t = η · steps", "mode strength a_k(t)",
                                  title="modes learnt one at a time")], ncols=1)
    out = summary(ENTRY, worst, conditions={"order": order_ok},
                  half_time_ratio_min=float(ratios.min()), half_time_ratio_max=float(ratios.max()),
                  replicates=seeds)
    notes = ("Predicted half-times use a0_eff = ¼‖W₁(0)v_k + W₂(0)ᵀu_k‖², the balanced start the "
             "small random init grows into (theory.laws.deep_linear.balanced_mode_strength).")
    return entry_result(ENTRY, out, metrics=rows, figures={"deep_linear_modes": fig}, notes=notes)


ENTRY = Entry(
    id="deep-linear-modes", strand="a",
    claim=("Gradient flow in a 2-layer linear net from small init learns the singular modes "
           "of the input-output correlation one at a time, strongest first."),
    formula=deep_linear_half_time,
    measurement=("half-time of each mode strength u_kᵀW₂W₁v_k under GD (η = 0.01) from a "
                 "random init of scale 1e-3, whitened inputs, population squared loss"),
    metric="measured/predicted half-time, the ratio farthest from 1 over modes and seeds",
    tolerance=Tolerance(0.8, 1.2, "ratio in [0.8, 1.2], exact order"),
    references=("Saxe, McClelland & Ganguli, ICLR 2014",),
    figure="deep_linear_modes", config_cls=DeepLinearConfig, run=run_deep_linear)
