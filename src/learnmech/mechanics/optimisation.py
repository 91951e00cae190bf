"""Strands (c) and (d): edge of stability, SGD's stationary noise, neural collapse.

Conventions: the network lens's (:mod:`learnmech.nets.training`) — mean loss over examples,
"mse" = mean of ½‖f(x) − onehot‖², "ce" = mean cross-entropy; time in optimiser steps; step size
η of plain (full-batch) gradient descent; coupled L2 weight decay. Sharpness is the top
eigenvalue of the Hessian of that same mean loss (:mod:`learnmech.probes.curvature`, Lanczos),
so the stability threshold is exactly 2/η. SGD on linear regression samples a *fresh* batch from
the population at every step (online SGD), which the network lens's loop (a fixed training set)
cannot do: it has its own loop over many parallel chains (:func:`_online_sgd`).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.dynamics import edge_of_stability_threshold, sgd_stationary_excess
from learnmech.theory.laws import simplex_etf_gram

# --------------------------------------------------------------------------- edge-of-stability


class EdgeOfStabilityConfig(MechanicsConfig):
    """Full-batch GD on a tanh MLP, squared loss, digits; sharpness tracked by Lanczos."""

    n_train: int = Field(256, ge=16, le=1797, description="training digits")
    width: int = Field(64, ge=4, le=1024, description="width of both hidden layers")
    lr: float = Field(0.2, gt=0.0, le=2.0, description="GD step size η (threshold 2/η)")
    steps: int = Field(3000, ge=10, le=100_000, description="GD steps (full size)")


def _eos_run(config, lr: float, steps: int, records):
    """(steps, sharpness, train loss, diverged) of one run."""
    import numpy as np

    from learnmech.nets import load_dataset, mlp, train
    from learnmech.probes.curvature import top_hessian_eigenvalues

    data = load_dataset("digits", n_train=config.n_train, n_test=64, seed=config.seed)
    model = mlp(data.input_dim, [config.width, config.width], data.num_classes,
                activation="tanh", seed=config.seed)
    X, y, _, _ = data.to_torch()

    def sharpness(step, net, state):
        top = top_hessian_eigenvalues(net, X, y, loss="mse", k=1, iters=20, tol=1e-3,
                                      seed=config.seed)
        return {"sharpness": float(top[0])}

    history = train(model, data, steps=steps, lr=lr, loss="mse", record_at=records,
                    hooks=[sharpness], progress=False)
    s_steps, sharp = history.series("sharpness")
    _, loss = history.series("train_loss")
    return s_steps, sharp, loss, history.diverged or not np.all(np.isfinite(loss))


def run_edge_of_stability(config: EdgeOfStabilityConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure

    quick = config.size == "quick"
    steps = min(config.steps, 1000) if quick else config.steps
    lrs = (config.lr,) if quick else (config.lr / 2, config.lr)
    records = np.unique(np.linspace(0, steps, 12 if quick else 31).astype(int))
    ratios, conditions, panels, rows, regime = [], {}, [], [], None
    for k, lr in enumerate(lrs):
        s_steps, sharp, loss, diverged = _eos_run(config, lr, steps, records)
        threshold = float(edge_of_stability_threshold(lr))
        late = s_steps >= steps / 2
        ratio = float(np.median(sharp[late]) / threshold)
        ratios.append(ratio)
        if diverged:
            regime = f"GD diverged at η = {lr:g}"
        elif sharp.max() < 0.9 * threshold:
            regime = f"sharpness never reached 2/η at η = {lr:g} (max {sharp.max():.3g})"
        mid = int(np.argmin(np.abs(s_steps - steps / 2)))
        conditions[f"loss_falls_lr_{lr:g}"] = bool(loss[-1] < loss[mid])
        panels.append(Panel([Series(s_steps, sharp, "top Hessian eigenvalue", color=2 * k),
                             Series(s_steps, loss * threshold / loss.max(),
                                    "train loss (rescaled)", color=2 * k + 1)],
                            "step", "sharpness", hlines={"2/η": threshold},
                            title=f"η = {lr:g}: median late sharpness = {ratio:.2f} · 2/η"))
        rows += [{"lr": lr, "step": int(t), "metric": m, "value": float(v)}
                 for i, t in enumerate(s_steps)
                 for m, v in (("sharpness", sharp[i]), ("train_loss", loss[i]))]
    worst = max(ratios, key=lambda r: abs(np.log(r)) if r > 0 else np.inf)
    out = summary(ENTRIES[0], worst, conditions=conditions, regime=regime,
                  **{f"sharpness_ratio_lr_{lr:g}": r for lr, r in zip(lrs, ratios, strict=True)})
    return Result(summary=out, metrics=rows, figures={"edge_of_stability": agreement_figure(
        panels, ncols=2)})


# --------------------------------------------------------------------------- sgd-stationary-noise


class SgdNoiseConfig(MechanicsConfig):
    """Online SGD on Gaussian linear regression at several (η, B)."""

    dim: int = Field(10, ge=1, le=1000, description="input dimension d")
    curvature_min: float = Field(0.5, gt=0.0, le=100.0, description="smallest eigenvalue of H")
    curvature_max: float = Field(2.0, gt=0.0, le=100.0, description="largest eigenvalue of H")
    noise: float = Field(1.0, gt=0.0, le=100.0, description="label-noise variance σ²")
    steps: int = Field(12_000, ge=10, le=10 ** 7,
                       description="averaged steps after burn-in (full size; quick caps at 3000)")


#: (η, B) pairs: three share η/B = 0.02, three share η/B = 0.05
SGD_SETTINGS = ((0.02, 1), (0.04, 2), (0.08, 4), (0.05, 1), (0.1, 2), (0.2, 4))


def _online_sgd(h, lr: float, batch: int, noise: float, *, chains: int, burn: int, steps: int,
                rng):
    """Mean and standard error of the excess loss ½ δᵀHδ over chains and post-burn-in steps."""
    import numpy as np

    d = len(h)
    root = np.sqrt(h)
    delta = np.zeros((chains, d))
    total, total2, count = 0.0, 0.0, 0
    chain_means = np.zeros(chains)
    for step in range(burn + steps):
        x = rng.standard_normal((chains, batch, d)) * root  # (chains, B, d), x ~ N(0, H)
        eps = np.sqrt(noise) * rng.standard_normal((chains, batch))
        resid = np.einsum("cbd,cd->cb", x, delta) - eps  # xᵀw − y = xᵀδ − ε
        delta -= lr * np.einsum("cb,cbd->cd", resid, x) / batch
        if step >= burn:
            loss = 0.5 * (delta ** 2) @ h  # (chains,)
            chain_means += loss
            count += 1
    chain_means /= count
    total, total2 = chain_means.mean(), chain_means.std(ddof=1)
    return float(total), float(total2 / np.sqrt(chains))


def run_sgd_noise(config: SgdNoiseConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.dynamics import sgd_stationary_excess_leading

    if not config.curvature_min <= config.curvature_max:
        raise ValueError("sgd-stationary-noise: curvature_min must be <= curvature_max")
    quick = config.size == "quick"
    chains, steps = (128, min(config.steps, 3000)) if quick else (256, config.steps)
    h = np.linspace(config.curvature_min, config.curvature_max, config.dim)
    rng = np.random.default_rng(config.seed)
    measured, errors, full, leading = [], [], [], []
    for lr, batch in SGD_SETTINGS:
        burn = int(10 / (2 * lr * h.min())) + 1  # ten relaxation times of the slowest mode
        m, se = _online_sgd(h, lr, batch, config.noise, chains=chains, burn=burn, steps=steps,
                            rng=rng)
        measured.append(m)
        errors.append(se)
        full.append(sgd_stationary_excess(h, lr, batch, config.noise))
        leading.append(sgd_stationary_excess_leading(h, lr, batch, config.noise))
    measured, errors, full, leading = (np.array(v) for v in (measured, errors, full, leading))
    rel = np.abs(measured - full) / full
    agreement = float(rel.max())
    # equal η/B, equal loss to leading order: the measured ratios within a group follow the
    # full formula's (so the residual is the predicted higher order), within 5 %
    ratio = np.array([lr / b for lr, b in SGD_SETTINGS])
    same_ok = True
    spread = {}
    for r in np.unique(ratio):
        group = ratio == r
        meas_ratio = measured[group] / measured[group][0]
        pred_ratio = full[group] / full[group][0]
        same_ok &= bool(np.all(np.abs(meas_ratio / pred_ratio - 1) <= 0.05))
        spread[f"spread_eta_over_b_{r:g}"] = float(measured[group].max() / measured[group].min())
    labels = [f"η={lr:g}, B={b}" for lr, b in SGD_SETTINGS]
    x = np.arange(len(SGD_SETTINGS))
    panel = Panel([Series(x, measured, "measured (± s.e.)", color=0, err=errors),
                   Series(x, full, "full noise balance", kind="predicted", color=1),
                   Series(x, leading, "leading order ησ²trH/(4B)", kind="predicted", color=2)],
                  "setting: " + "; ".join(f"{i}: {t}" for i, t in enumerate(labels)),
                  "stationary excess loss", title="SGD near a minimum: OU stationary state")
    rows = [{"lr": lr, "batch": b, "metric": m, "value": float(v)}
            for i, (lr, b) in enumerate(SGD_SETTINGS)
            for m, v in (("excess_measured", measured[i]), ("excess_se", errors[i]),
                         ("excess_full", full[i]), ("excess_leading", leading[i]))]
    out = summary(ENTRIES[1], agreement, conditions={"eta_over_b": same_ok}, chains=chains,
                  steps=steps, **spread)
    return Result(summary=out, metrics=rows, figures={"sgd_stationary_noise": agreement_figure(
        [panel], ncols=1)})


# --------------------------------------------------------------------------- neural-collapse


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
    out = summary(ENTRIES[2], agreement, conditions={"nc4": nc4 < 0.01, "monotone": monotone},
                  regime=regime, terminal_decades=decades, nc4_final=nc4,
                  **{f"slope_{k}": v for k, v in slopes.items()},
                  **{f"{k}_final": float(series[k][-1]) for k in ("nc1", "nc2", "nc3")})
    notes = ("Measured on the unconstrained-features model (features free parameters), where "
             "the theory says collapse is exact; a trained network is not measured here.")
    return Result(summary=out, metrics=rows, figures={"neural_collapse": agreement_figure(
        [panel], ncols=1)}, notes=notes)


# --------------------------------------------------------------------------- the entries

ENTRIES = [
    Entry(
        id="edge-of-stability", strand="c",
        claim=("Full-batch GD: sharpness rises to 2/η and hovers there while the loss still "
               "falls."),
        formula=edge_of_stability_threshold,
        measurement="top Hessian eigenvalue (Lanczos on HVPs) of a tanh MLP trained by "
                    "full-batch GD on 256 digits, squared loss",
        metric="median sharpness over the second half of training / (2/η), worst over η",
        tolerance=Tolerance(0.95, 1.10, "median late sharpness in [0.95, 1.10] · 2/η"),
        references=("Cohen, Kaur, Li, Kolter & Talwalkar, ICLR 2021",),
        figure="edge_of_stability", config_cls=EdgeOfStabilityConfig,
        run=run_edge_of_stability, smoke={"size": "quick", "steps": 60, "n_train": 64}),
    Entry(
        id="sgd-stationary-noise", strand="d/B2",
        claim=("Near a minimum SGD is an Ornstein-Uhlenbeck process; on linear regression its "
               "stationary excess loss follows the full noise balance and depends on η/B to "
               "leading order."),
        formula=sgd_stationary_excess,
        measurement="time- and chain-averaged excess loss of online SGD, d = 10, six (η, B)",
        metric="largest relative error of the measured excess loss against the full formula",
        tolerance=Tolerance(0.0, 0.05, "within 5 % for every (η, B)"),
        references=("Mandt, Hoffman & Blei, JMLR 2017", "Jastrzębski et al., 2017"),
        figure="sgd_stationary_noise", config_cls=SgdNoiseConfig, run=run_sgd_noise,
        smoke={"size": "quick", "steps": 200}),
    Entry(
        id="neural-collapse", strand="c",
        claim=("In the terminal phase NC1-NC4 decrease: within-class variability, simplex ETF, "
               "self-duality and nearest-centre behaviour."),
        formula=simplex_etf_gram,
        measurement="NC1–NC4 (probes.collapse) of the unconstrained-features model trained "
                    "by full-batch GD on cross-entropy with weight decay",
        metric="largest log-log slope of NC1, NC2, NC3 against steps over the terminal phase",
        tolerance=Tolerance(float("-inf"), 0.0, "negative slope over >= 1 decade; NC4 < 1 %"),
        references=("Papyan, Han & Donoho, PNAS 2020", "Mixon, Parshall & Pi, 2020"),
        figure="neural_collapse", config_cls=NeuralCollapseConfig, run=run_neural_collapse,
        smoke={"size": "quick", "steps": 500}),
]
