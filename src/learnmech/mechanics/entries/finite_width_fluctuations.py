"""finite-width-fluctuations (strand b): deep ReLU nets at He init have Var log q_L ≈ 5L/n.

Conventions: He init (σ_w² = 2, σ_b = 0); thousands of independent random networks at once as
batched matrix products in numpy (no training loop is involved).
"""

from __future__ import annotations

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
from learnmech.theory.laws.signal_propagation import relu_log_norm_variance


class FiniteWidthConfig(MechanicsConfig):
    """Deep ReLU nets at He init: spread of log ‖x^L‖² across random nets."""

    nets: int = Field(1000, ge=10, le=100_000, description="independent networks (full size)")
    max_depth: int = Field(64, ge=2, le=512, description="deepest L recorded (full size)")


def _relu_log_norms(width: int, depth: int, nets: int, rng, *, relu: bool = True):
    """log ‖x^l‖² for l = 1..depth of ``nets`` independent He-init ReLU nets; (nets, depth).

    Input: one unit-norm vector per net in dimension ``width``. ``relu=False`` drops the
    nonlinearity (the negative control of the tests: linear layers have Var ≈ 2L/n).
    """
    import numpy as np

    x = rng.standard_normal((nets, width, 1), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    out = np.empty((nets, depth))
    for layer in range(depth):
        W = rng.standard_normal((nets, width, width), dtype=np.float32) * np.sqrt(2.0 / width)
        x = np.maximum(W @ x, 0.0) if relu else W @ x  # (nets, width, 1)
        norm2 = np.sum(x.astype(np.float64) ** 2, axis=(1, 2))
        out[:, layer] = np.log(norm2)
        x /= np.sqrt(norm2)[:, None, None].astype(np.float32)  # keep the scale O(1)
        out[:, layer] += out[:, layer - 1] if layer else 0.0
    return out


def run_finite_width(config: FiniteWidthConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.laws.signal_propagation import relu_log_norm_variance_exact

    quick = config.size == "quick"
    widths = (32, 64) if quick else (32, 64, 128)
    depth = min(config.max_depth, 32) if quick else config.max_depth
    nets = min(config.nets, 400) if quick else config.nets
    depths = np.unique(np.round(np.geomspace(4, depth, 5)).astype(int))
    rng = np.random.default_rng(config.seed)
    ratios, series, rows = [], [], []
    for k, n in enumerate(widths):
        logs = _relu_log_norms(n, depth, nets, rng)
        sd = logs[:, depths - 1].std(axis=0, ddof=1)
        pred = np.sqrt(relu_log_norm_variance(depths, n))
        ratios += list(sd / pred)
        series.append(Series(depths / n, sd, f"n = {n}", color=k))
        rows += [{"width": n, "depth": int(L), "metric": m, "value": float(v)}
                 for i, L in enumerate(depths)
                 for m, v in (("sd_log_q", sd[i]), ("sd_predicted", pred[i]),
                              ("sd_exact", np.sqrt(relu_log_norm_variance_exact(L, n))))]
    ratios = np.array(ratios)
    worst = farthest_from_one(ratios)
    ratio_axis = np.geomspace(4 / max(widths), depth / min(widths), 100)
    series.append(Series(ratio_axis, np.sqrt(5 * ratio_axis), "√(5 L / n)", kind="predicted",
                         color=6))
    fig = agreement_figure([Panel(series, "L / n", "sd of log ‖x^L‖²", logx=True, logy=True,
                                  title="curves collapse against L / n")], ncols=1)
    out = summary(ENTRY, worst, ratio_min=float(ratios.min()),
                  ratio_max=float(ratios.max()), nets=nets, max_depth=depth)
    notes = ("The first-order law 5L/n is the spec's prediction; metrics.csv also holds the "
             "exact L·Var log R (theory.laws.signal_propagation.relu_log_norm_variance_exact), "
             "which the finite-n deviation approaches.")
    return entry_result(ENTRY, out, metrics=rows, figures={"finite_width_fluctuations": fig},
                  notes=notes)


ENTRY = Entry(
    id="finite-width-fluctuations", strand="b",
    claim="Deep ReLU nets at He init have Var log q_L ≈ 5L/n.",
    formula=relu_log_norm_variance,
    measurement="sd of log ‖x^L‖² over 1000 random nets, widths 32–128, depths 4–64",
    metric="measured sd / √(5L/n), the ratio farthest from 1",
    tolerance=Tolerance(0.85, 1.15, "sd within 15 % of √(5L/n)"),
    references=("Hanin & Rolnick, NeurIPS 2018", "Hanin & Nica, ICLR 2020"),
    figure="finite_width_fluctuations", config_cls=FiniteWidthConfig, run=run_finite_width,
    smoke={"size": "quick", "max_depth": 8, "nets": 50})
