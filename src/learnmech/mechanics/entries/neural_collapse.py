"""neural-collapse (strand c): in the terminal phase NC1–NC4 decrease.

Conventions: the network lens's (:mod:`learnmech.nets.training`) — mean loss over examples,
"mse" = mean of ½‖f(x) − onehot‖², "ce" = mean cross-entropy; time in optimiser steps; step size
η of plain (full-batch) gradient descent; coupled L2 weight decay.
Measured on the unconstrained-features model, trained by the network lens's loop.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    entry_result,
    summary,
)
from learnmech.theory.laws.neural_collapse import simplex_etf_gram


class NeuralCollapseConfig(MechanicsConfig):
    """The unconstrained-features model: free features and a linear classifier, CE + decay."""

    classes: int = Field(4, ge=2, le=100, description="classes C")
    per_class: int = Field(20, ge=2, le=1000, description="examples per class")
    features: int = Field(16, ge=2, le=1024, description="feature dimension p (>= C)")
    lr: float = Field(0.5, gt=0.0, le=10.0, description="GD step size η")
    weight_decay: float = Field(5e-3, gt=0.0, le=1.0, description="coupled L2 weight decay λ")
    steps: int = Field(20_000, ge=10, le=1_000_000, description="GD steps (full size)")


#: NC values below this are at float32 resolution and left out of the slope and monotonicity
NC_FLOOR = 1e-5


def _ufm_data(config):
    """One-hot inputs e_i (n, n) and balanced labels: a linear layer on them *is* a free feature
    per example (its i-th weight column), so the network lens's loop trains the UFM."""
    import numpy as np

    from learnmech.nets import dataset_from_arrays

    n = config.classes * config.per_class
    X = np.eye(n, dtype=np.float32)
    y = np.repeat(np.arange(config.classes), config.per_class)
    return dataset_from_arrays(X, y, X, y, name="ufm", num_classes=config.classes)


def run_neural_collapse(config: NeuralCollapseConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import log_schedule, mlp, train
    from learnmech.probes.collapse import neural_collapse

    quick = config.size == "quick"
    steps = min(config.steps, 3000) if quick else config.steps
    data = _ufm_data(config)
    n = len(data.X_train)
    model = mlp(n, [config.features], config.classes, activation="linear", bias=False,
                seed=config.seed)
    X = data.to_torch()[0]

    def collapse(step, net, state):
        H = net[0](X).detach().numpy()  # (n, p) features
        W = net[2].weight.detach().numpy()  # (C, p)
        return {k: v for k, v in neural_collapse(H, data.y_train, W).items()
                if k in ("nc1", "nc2", "nc3", "nc4")}

    history = train(model, data, steps=steps, lr=config.lr, loss="ce",
                    weight_decay=config.weight_decay, record_at=log_schedule(steps, 40),
                    hooks=[collapse], progress=False)
    t, acc = history.series("train_acc")
    series = {k: history.series(k)[1] for k in ("nc1", "nc2", "nc3", "nc4")}
    start = int(np.flatnonzero(acc >= 1.0)[0]) if np.any(acc >= 1.0) else len(t) - 1
    phase = slice(start, None)
    tt = np.maximum(t[phase], 1)
    decades = float(np.log10(tt[-1] / tt[0])) if len(tt) > 1 else 0.0
    slopes = {}
    monotone = True
    for k in ("nc1", "nc2", "nc3"):
        v = series[k][phase]
        # below NC_FLOOR float32 arithmetic, not the dynamics, sets the value: stop there
        keep = np.arange(len(v)) < (np.flatnonzero(v < NC_FLOOR)[0] + 1
                                    if np.any(v < NC_FLOOR) else len(v))
        v, tk = np.maximum(v[keep], 1e-300), tt[keep]
        slopes[k] = float(np.polyfit(np.log(tk), np.log(v), 1)[0]) if len(tk) > 1 else 0.0
        monotone &= bool(np.all(np.diff(np.log(v)) < np.log(1.05)))
    regime = None if decades >= 1.0 else (
        f"terminal phase spans {decades:.2f} decades of steps (< 1)")
    agreement = max(slopes.values())
    nc4 = float(series["nc4"][-1])
    panel = Panel([Series(np.maximum(t, 1), series[k], k.upper(), color=i)
                   for i, k in enumerate(("nc1", "nc2", "nc3"))],
                  "step", "NC metric", logx=True, logy=True,
                  vlines={"100 % train accuracy": float(max(t[start], 1))},
                  title=f"UFM, C = {config.classes}: final NC4 = {nc4:.3f}")
    rows = [{"step": int(s), "metric": k, "value": float(series[k][i])}
            for k in series for i, s in enumerate(t)]
    out = summary(ENTRY, agreement, conditions={"nc4": nc4 < 0.01, "monotone": monotone},
                  regime=regime, terminal_decades=decades, nc4_final=nc4,
                  **{f"slope_{k}": v for k, v in slopes.items()},
                  **{f"{k}_final": float(series[k][-1]) for k in ("nc1", "nc2", "nc3")})
    notes = ("Measured on the unconstrained-features model (features free parameters), where "
             "the theory says collapse is exact; a trained network is not measured here. The "
             "tolerance asks for a slope ≤ −0.1 (a fall of at least 20 % per decade), not just "
             "≤ 0: frozen features give NC1 exactly constant (slope 0), which 'negative slope' "
             "read as ≤ 0 would have passed (this check's negative control).")
    return entry_result(ENTRY, out, metrics=rows, figures={"neural_collapse": agreement_figure(
        [panel], ncols=1)}, notes=notes)


ENTRY = Entry(
    id="neural-collapse", strand="c",
    claim=("In the terminal phase NC1-NC4 decrease: within-class variability, simplex ETF, "
           "self-duality and nearest-centre behaviour."),
    formula=simplex_etf_gram,
    measurement="NC1–NC4 (probes.collapse) of the unconstrained-features model trained "
                "by full-batch GD on cross-entropy with weight decay",
    metric="largest log-log slope of NC1, NC2, NC3 against steps over the terminal phase",
    tolerance=Tolerance(float("-inf"), -0.1, "slope ≤ −0.1 (each NC falls ≥ 20 % per decade) "
                                             "over >= 1 decade; NC4 < 1 %"),
    references=("Papyan, Han & Donoho, PNAS 2020", "Mixon, Parshall & Pi, 2020"),
    figure="neural_collapse", config_cls=NeuralCollapseConfig, run=run_neural_collapse,
    smoke={"size": "quick", "steps": 500})
