"""Strand (a), solvable idealised settings: deep linear modes, plateaus, conservation laws, the
max-margin bias of gradient descent.

Conventions: losses are means over examples with the ½ (squared loss) or the mean logistic
loss; time is gradient-flow time t = η × steps unless an entry says "steps". The deep linear
network is f(x) = W₂W₁x with whitened inputs (Σ_xx = I), trained on the *population* loss
L = ½ E‖y − W₂W₁x‖², whose gradient needs only Σ_yx = Σ_k s_k u_k v_kᵀ — that is why it has its
own few-line loop (:func:`_deep_linear_gd`) rather than :func:`learnmech.nets.train`, which
trains on samples with scalar regression targets. The ReLU conservation law runs through
:func:`learnmech.nets.train`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.dynamics import (
    conserved_decay,
    deep_linear_half_time,
    plateau_slope,
)
from learnmech.theory.laws import hard_margin_direction

# --------------------------------------------------------------------------- shared pieces


def _orthonormal(rng, rows: int, cols: int):
    """A (rows, cols) matrix with orthonormal columns (QR of a Gaussian matrix)."""
    import numpy as np

    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


def _task(rng, s, d_in: int, d_out: int):
    """(U (d_out, r), V (d_in, r), Σ_yx (d_out, d_in)) for singular values ``s``."""
    import numpy as np

    r = len(s)
    U, V = _orthonormal(rng, d_out, r), _orthonormal(rng, d_in, r)
    return U, V, U @ np.diag(s) @ V.T


def _deep_linear_gd(W1, W2, syx, *, lr: float, steps: int, U, V, wd: float = 0.0):
    """Gradient descent on L = ½E‖y − W₂W₁x‖² (+ (wd/2)‖W‖²) with Σ_xx = I.

    Returns (strengths (steps + 1, r): a_k = u_kᵀ W₂W₁ v_k after each step, W1, W2).
    """
    import numpy as np

    W1, W2 = W1.copy(), W2.copy()
    out = np.empty((steps + 1, U.shape[1]))
    for step in range(steps + 1):
        product = W2 @ W1  # (d_out, d_in)
        out[step] = np.einsum("ik,ij,jk->k", U, product, V)
        if step == steps:
            break
        residual = syx - product  # (d_out, d_in): −∂L/∂(W₂W₁)
        g1, g2 = -W2.T @ residual + wd * W1, -residual @ W1.T + wd * W2
        W1 -= lr * g1
        W2 -= lr * g2
    return out, W1, W2


def _crossing_time(times, values, level: float) -> float:
    """First time the series reaches ``level`` (linear interpolation); NaN if never."""
    import numpy as np

    above = np.flatnonzero(values >= level)
    if not len(above):
        return float("nan")
    i = above[0]
    if i == 0:
        return float(times[0])
    t0, t1, v0, v1 = times[i - 1], times[i], values[i - 1], values[i]
    return float(t0 + (level - v0) * (t1 - t0) / (v1 - v0))


def _rows(metric: str, values, **cols) -> list[dict[str, Any]]:
    return [{**cols, "metric": metric, "value": float(v)} for v in values]


# --------------------------------------------------------------------------- deep-linear-modes


class DeepLinearConfig(MechanicsConfig):
    """2-layer linear network from a small random init, population squared loss, GD."""

    singular_values: tuple[Annotated[float, Field(gt=0.0, le=100.0)], ...] = Field(
        (3.0, 2.0, 1.0, 0.5), min_length=2, description="singular values s_k of Σ_yx (each > 0)")
    hidden: int = Field(16, ge=1, le=1024, description="hidden width h (>= number of modes)")
    dim: int = Field(8, ge=1, le=1024, description="input and output dimension")
    init_scale: float = Field(1e-3, gt=0.0, le=0.1,
                              description="σ: weights start iid N(0, σ²)")
    lr: float = Field(0.01, gt=0.0, le=0.2, description="GD step size η (t = η × steps)")


def _mode_half_times(config, rng, scale: float):
    """Run one network; (measured t½ (r,), predicted t½ (r,), times, strengths, a0_eff)."""
    import numpy as np

    from learnmech.theory.dynamics import balanced_mode_strength

    s = np.asarray(config.singular_values, float)
    U, V, syx = _task(rng, s, config.dim, config.dim)
    W1 = rng.standard_normal((config.hidden, config.dim))
    W2 = rng.standard_normal((config.dim, config.hidden))
    W1, W2 = scale * W1, scale * W2
    a0 = np.array([balanced_mode_strength(W1, W2, U[:, k], V[:, k]) for k in range(len(s))])
    predicted = deep_linear_half_time(s, a0)
    steps = int(np.ceil(1.5 * predicted.max() / config.lr)) + 10
    strengths, _, _ = _deep_linear_gd(W1, W2, syx, lr=config.lr, steps=steps, U=U, V=V)
    times = config.lr * np.arange(steps + 1)
    measured = np.array([_crossing_time(times, strengths[:, k], s[k] / 2) for k in range(len(s))])
    return measured, predicted, times, strengths, a0


def run_deep_linear(config: DeepLinearConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.dynamics import deep_linear_mode

    if config.hidden < len(config.singular_values) or config.dim < len(config.singular_values):
        raise ValueError("deep-linear-modes: hidden and dim must be >= the number of modes")
    seeds = 1 if config.size == "quick" else 5
    rng = np.random.default_rng(config.seed)
    s = np.asarray(config.singular_values, float)
    ratios, order_ok, rows, first = [], True, [], None
    for rep in range(seeds):
        measured, predicted, times, strengths, a0 = _mode_half_times(config, rng,
                                                                     config.init_scale)
        ratios.append(measured / predicted)
        order_ok &= bool(np.all(np.diff(measured[np.argsort(-s)]) > 0))
        rows += [{"replicate": rep, "mode": k, "s": s[k], "metric": m, "value": float(v)}
                 for k in range(len(s))
                 for m, v in (("half_time_measured", measured[k]),
                              ("half_time_predicted", predicted[k]), ("a0_eff", a0[k]))]
        if first is None:
            first = (times, strengths, a0, measured)
    ratios = np.array(ratios)  # (seeds, r)
    worst = float(ratios.flat[np.argmax(np.abs(np.log(ratios)))])
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
    out = summary(ENTRIES[0], worst, conditions={"order": order_ok},
                  half_time_ratio_min=float(ratios.min()), half_time_ratio_max=float(ratios.max()),
                  replicates=seeds)
    notes = ("Predicted half-times use a0_eff = ¼‖W₁(0)v_k + W₂(0)ᵀu_k‖², the balanced start the "
             "small random init grows into (theory.dynamics.balanced_mode_strength).")
    return Result(summary=out, metrics=rows, figures={"deep_linear_modes": fig}, notes=notes)


# --------------------------------------------------------------------------- plateau-scaling


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
        half[i] = _mode_half_times(config, np.random.default_rng(config.seed), scale)[0]
    x = np.log(1.0 / scales ** 2)
    slopes = np.array([np.polyfit(x, half[:, k], 1)[0] for k in range(len(s))])
    predicted = plateau_slope(s)
    ratios = slopes / predicted
    worst = float(ratios[np.argmax(np.abs(np.log(ratios)))])
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
    out = summary(ENTRIES[1], worst, slope_ratio_min=float(ratios.min()),
                  slope_ratio_max=float(ratios.max()))
    return Result(summary=out, metrics=rows, figures={"plateau_scaling": fig})


# --------------------------------------------------------------------------- conservation-laws


class ConservationConfig(MechanicsConfig):
    """Drift of conserved quantities under GD at fixed time T, for several step sizes."""

    time: float = Field(4.0, gt=0.0, le=100.0, description="gradient-flow time T = η × steps")
    lr_min: float = Field(0.005, gt=0.0, le=0.1, description="smallest step size η")
    lr_max: float = Field(0.04, gt=0.0, le=0.2, description="largest step size η")
    weight_decay: float = Field(0.05, gt=0.0, le=1.0,
                                description="λ for the decay check (torch's coupled L2)")
    hidden: int = Field(32, ge=1, le=4096, description="hidden width of both networks")


def _linear_drift(config, lr: float, rng_seed: int) -> float:
    """‖D(T) − D(0)‖_F / ‖D(0)‖_F for D = W₂ᵀW₂ − W₁W₁ᵀ in a 2-layer linear net."""
    import numpy as np

    rng = np.random.default_rng(rng_seed)
    s = np.array([2.0, 1.0, 0.5])
    U, V, syx = _task(rng, s, 6, 6)
    W1 = 0.5 * rng.standard_normal((config.hidden, 6)) / np.sqrt(6)
    W2 = 0.5 * rng.standard_normal((6, config.hidden)) / np.sqrt(config.hidden)
    steps = int(round(config.time / lr))
    _, V1, V2 = _deep_linear_gd(W1, W2, syx, lr=lr, steps=steps, U=U, V=V)
    D0, DT = W2.T @ W2 - W1 @ W1.T, V2.T @ V2 - V1 @ V1.T
    return float(np.linalg.norm(DT - D0) / np.linalg.norm(D0))


def _relu_quantity(model):
    """Per-hidden-unit ‖w_in‖² + b_in² − ‖w_out‖² of a 1-hidden-layer mlp, float64 (h,)."""
    import numpy as np

    first, last = model[0], model[2]
    q = (first.weight.detach().double() ** 2).sum(1) + first.bias.detach().double() ** 2
    return np.asarray(q - (last.weight.detach().double() ** 2).sum(0))


def _relu_run(config, lr: float, weight_decay: float, data):
    """(Q(0), Q(T)) of a ReLU net trained by :func:`learnmech.nets.train` (full batch, mse)."""
    from learnmech.nets import mlp, train

    model = mlp(data.input_dim, [config.hidden], 1, activation="relu", seed=config.seed).double()
    found = {}

    def hook(step, net, state):
        found[step] = _relu_quantity(net)
        return {}

    steps = int(round(config.time / lr))
    train(model, _float64(data), steps=steps, lr=lr, loss="mse", weight_decay=weight_decay,
          record_at=[0, steps], hooks=[hook], progress=False)
    return found[0], found[steps]


def _float64(data):
    """The data set with float64 tensors, so the loop trains in float64 (drift ≫ roundoff)."""
    from learnmech.nets.data import Dataset

    class Float64Dataset(Dataset):
        def to_torch(self, device="cpu"):
            import torch

            return tuple(torch.as_tensor(a, dtype=torch.float64, device=device)
                         for a in (self.X_train, self.y_train, self.X_test, self.y_test))

    return Float64Dataset(data.name, data.X_train, data.y_train, data.X_test, data.y_test,
                          data.num_classes)


def _regression_data(seed: int, d: int = 8, n: int = 64):
    import numpy as np

    from learnmech.nets import dataset_from_arrays

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2 * n, d))
    y = np.tanh(X @ rng.standard_normal(d) / np.sqrt(d)) + 0.1 * rng.standard_normal(2 * n)
    return dataset_from_arrays(X[:n], y[:n], X[n:], y[n:], name="teacher")


def run_conservation(config: ConservationConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure

    if not config.lr_min < config.lr_max:
        raise ValueError("conservation-laws: lr_min must be < lr_max")
    count = 3 if config.size == "quick" else 5
    lrs = np.geomspace(config.lr_min, config.lr_max, count)
    data = _regression_data(config.seed)
    linear = np.array([_linear_drift(config, lr, config.seed) for lr in lrs])
    relu = []
    for lr in lrs:
        q0, qT = _relu_run(config, float(lr), 0.0, data)
        relu.append(np.linalg.norm(qT - q0) / np.linalg.norm(q0))
    relu = np.array(relu)
    slopes = {name: float(np.polyfit(np.log(lrs), np.log(drift), 1)[0])
              for name, drift in (("linear", linear), ("relu", relu))}
    worst = max(slopes.values(), key=lambda v: abs(np.log(v)) if v > 0 else np.inf)
    # weight decay at the smallest step: Q(T) = e^{−2λT} Q(0) up to the O(η) drift
    q0, qT = _relu_run(config, float(lrs[0]), config.weight_decay, data)
    expected = conserved_decay(config.time, config.weight_decay) * q0
    decay_error = float(np.linalg.norm(qT - expected) / np.linalg.norm(expected))
    panels = [
        Panel([Series(lrs, linear, "2-layer linear: W₂ᵀW₂ − W₁W₁ᵀ", color=0),
               Series(lrs, linear[0] * lrs / lrs[0], "∝ η", kind="predicted", color=0),
               Series(lrs, relu, "ReLU: ‖w_in‖² − ‖w_out‖² per unit", color=1),
               Series(lrs, relu[0] * lrs / lrs[0], "∝ η", kind="predicted", color=1)],
              "step size η", f"relative drift at T = {config.time:g}", logx=True, logy=True,
              title="conserved under gradient flow"),
        Panel([Series(q0, qT, f"units, λ = {config.weight_decay:g}", color=2),
               Series(np.sort(q0), np.sort(q0) * conserved_decay(config.time,
                                                                  config.weight_decay),
                      "e^{−2λT} Q(0)", kind="predicted", color=2)],
              "Q(0) per unit", "Q(T) per unit", title="exact decay with weight decay"),
    ]
    rows = ([{"lr": float(lr), "network": "linear", "metric": "relative_drift", "value": float(v)}
             for lr, v in zip(lrs, linear, strict=True)]
            + [{"lr": float(lr), "network": "relu", "metric": "relative_drift", "value": float(v)}
               for lr, v in zip(lrs, relu, strict=True)])
    out = summary(ENTRIES[2], worst, conditions={"weight_decay": decay_error <= 0.05},
                  slope_linear=slopes["linear"], slope_relu=slopes["relu"],
                  weight_decay_relative_error=decay_error)
    notes = ("Drift is measured at fixed gradient-flow time T, so a per-step O(η²) error sums "
             "to O(η): the log–log slope 1. The weight-decay condition (relative error ≤ 5 % "
             "at the smallest η) is this catalogue's own threshold; the spec gives none.")
    return Result(summary=out, metrics=rows, figures={"conservation_laws": agreement_figure(
        panels, ncols=2)}, notes=notes)


# --------------------------------------------------------------------------- max-margin-bias


class MaxMarginConfig(MechanicsConfig):
    """GD on the mean logistic loss of separable data through the origin."""

    n: int = Field(100, ge=2, le=10_000, description="candidate training points")
    dim: int = Field(5, ge=2, le=100, description="input dimension d")
    margin: float = Field(0.3, ge=0.0, le=2.0,
                          description="points with |w*ᵀx| below this are dropped (separability)")
    steps: int = Field(10 ** 6, ge=1000, le=10 ** 8,
                       description="GD steps (full size; quick caps at 10⁵)")
    gap: float = Field(3.0, ge=1.0, le=100.0, description=(
        "non-support points kept only at margin >= gap × the SVM margin (their pull on the "
        "direction then fades as t^-(gap-1))"))
    lr: float = Field(1.0, gt=0.0, le=10.0, description="GD step size η; time counted in steps")


def _separable(config, rng):
    import numpy as np

    w_star = rng.standard_normal(config.dim)
    w_star /= np.linalg.norm(w_star)
    X = np.empty((0, config.dim))
    while len(X) < config.n:
        cand = rng.standard_normal((4 * config.n, config.dim))
        X = np.concatenate([X, cand[np.abs(cand @ w_star) >= config.margin]])
    X = X[:config.n]
    y = np.sign(X @ w_star)
    w_hat, _ = hard_margin_direction(X, y)
    margin = (X @ w_hat) * y
    margin = margin / margin.min()
    # dropping non-support points leaves the SVM unchanged
    keep = (margin <= 1.0 + 1e-6) | (margin >= config.gap)
    return X[keep], y[keep]


def logistic_gd_angles(X, y, direction, *, lr: float, records):
    """GD on the mean logistic loss from w = 0; angle (radians) to ``direction`` at ``records``.

    A numba loop: 10⁶ steps on a few dozen points take well under a second, where the network
    lens's loop would spend minutes in per-step overhead.
    """
    import numpy as np

    from learnmech.mechanics._fast import logistic_gd_cosines

    Z = np.ascontiguousarray(X * y[:, None], dtype=np.float64)
    cos = logistic_gd_cosines(Z, np.asarray(direction, float), float(lr),
                              np.asarray(records, np.int64))
    return np.arccos(np.clip(cos, -1.0, 1.0))


def run_max_margin(config: MaxMarginConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure

    rng = np.random.default_rng(config.seed)
    X, y = _separable(config, rng)
    w_hat, alpha = hard_margin_direction(X, y)
    steps = min(config.steps, 10 ** 5) if config.size == "quick" else config.steps
    records = np.unique(np.round(np.geomspace(10, steps, 60)).astype(np.int64))
    angle = logistic_gd_angles(X, y, w_hat, lr=config.lr, records=records)
    product = angle * np.log(records)
    window = records >= steps / 1000  # the last three decades
    agreement = float(product[window].max() / product[window].min())
    c = float(product[-1])
    panels = [
        Panel([Series(records, angle, "angle(w(t), ŵ_SVM)", color=0),
               Series(records, c / np.log(records), "c / ln t (c at the last step)",
                      kind="predicted", color=0)],
              "steps t", "angle (rad)", logx=True, logy=True, title="direction → hard margin"),
        Panel([Series(records, product, "angle × ln t", color=1)], "steps t", "angle × ln t",
              logx=True, vlines={"window start": float(steps / 1000)},
              title="constant ⇔ O(1/ln t) convergence"),
    ]
    rows = [{"step": int(t), "metric": m, "value": float(v)} for i, t in enumerate(records)
            for m, v in (("angle", angle[i]), ("angle_times_log_t", product[i]))]
    out = summary(ENTRIES[3], agreement, final_angle=float(angle[-1]),
                  angle_log_t_last=c, support_vectors=int((alpha > 1e-6 * alpha.max()).sum()))
    notes = ("Time is counted in steps t (not η·t): angle × ln t changes with that choice by "
             "a factor ln(ηt)/ln t, which tends to 1 only slowly.")
    return Result(summary=out, metrics=rows, figures={"max_margin_bias": agreement_figure(
        panels, ncols=2)}, notes=notes)


# --------------------------------------------------------------------------- the entries

ENTRIES = [
    Entry(
        id="deep-linear-modes", strand="a",
        claim=("Gradient flow in a 2-layer linear net from small init learns the singular modes "
               "of the input-output correlation one at a time, strongest first."),
        formula=deep_linear_half_time,
        measurement=("half-time of each mode strength u_kᵀW₂W₁v_k under GD (η = 0.01) from a "
                     "random init of scale 1e-3, whitened inputs, population squared loss"),
        metric="measured/predicted half-time, the ratio farthest from 1 over modes and seeds",
        tolerance=Tolerance(0.8, 1.2, "ratio in [0.8, 1.2], exact order"),
        references=("Saxe, McClelland & Ganguli, ICLR 2014",),
        figure="deep_linear_modes", config_cls=DeepLinearConfig, run=run_deep_linear),
    Entry(
        id="plateau-scaling", strand="a",
        claim="Plateaus lengthen logarithmically as the initialisation shrinks.",
        formula=plateau_slope,
        measurement="half-time of each mode at init scales σ from 1e-5 to 1e-2 (same draw scaled)",
        metric="fitted slope of t½ against ln(1/σ²) over 1/(2 s_k), the worst mode",
        tolerance=Tolerance(0.9, 1.1, "slope within 10 % of 1/(2 s_k)"),
        references=("Saxe, McClelland & Ganguli, ICLR 2014",),
        figure="plateau_scaling", config_cls=PlateauConfig, run=run_plateau),
    Entry(
        id="conservation-laws", strand="a/c",
        claim=("Symmetries give quantities conserved by gradient flow: W₂ᵀW₂ − W₁W₁ᵀ in linear "
               "nets, per-unit ‖in‖² − ‖out‖² in ReLU nets; weight decay makes them decay as "
               "e^{−2λt}."),
        formula=conserved_decay,
        measurement=("relative drift at fixed T = η·steps for several η: a 2-layer linear net "
                     "(population loss) and a ReLU net trained by nets.train (float64)"),
        metric="log-log slope of drift against η, the one farthest from 1",
        tolerance=Tolerance(0.8, 1.2, "slope in [0.8, 1.2]"),
        references=("Du, Hu & Lee, NeurIPS 2018", "Kunin et al., ICLR 2021"),
        figure="conservation_laws", config_cls=ConservationConfig, run=run_conservation,
        smoke={"size": "quick", "time": 0.5}),
    Entry(
        id="max-margin-bias", strand="a/c",
        claim=("GD on separable logistic regression converges in direction to the hard-margin "
               "SVM, with angle O(1/log t)."),
        formula=hard_margin_direction,
        measurement="angle between GD's w(t) and the SVM direction over 10⁶ steps (η = 1)",
        metric="max/min of angle × ln t over the last three decades of t",
        tolerance=Tolerance(1.0, 1.1, "angle × ln t constant within 10 % (max/min ≤ 1.1)"),
        references=("Soudry, Hoffer, Nacson, Gunasekar & Srebro, JMLR 2018",),
        figure="max_margin_bias", config_cls=MaxMarginConfig, run=run_max_margin,
        smoke={"size": "quick", "steps": 1000}),
]
