"""mup-transfer (strands b/d): with μP the best learning rate is stable across width and wider is
better; with the standard parameterisation it drifts.

Conventions: 1-hidden-layer ReLU nets on digits, full-batch SGD through
:func:`learnmech.nets.train` on the mean ½ squared loss (one-hot targets); μP in Yang & Hu's
abc form written with multipliers (:func:`_mup_net`).

Seeds: the learning-rate grids (SP and μP) are swept for the first seed; the further seeds
re-run μP at the three step sizes around the first seed's best at each width, and "wider is
better" is judged on the seed means of the best loss with their standard errors (one
network per point scattered by 1.4–2.9 %, more than the 1 % slack).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    combine,
    decide,
    entry_result,
    standard_error,
    summary,
)
from learnmech.theory.laws.hyperparameters import best_lr_scaling


class MupTransferConfig(MechanicsConfig):
    """1-hidden-layer ReLU nets on digits, SGD learning-rate sweeps at several widths, SP vs μP."""

    n_train: int = Field(512, ge=32, le=1347, description="digits training images")
    width_min: int = Field(64, ge=8, le=4096, description="smallest width")
    width_max: int = Field(2048, ge=16, le=16384, description=(
        "largest width (quick: 1024; widths double from width_min, quick: ×16 steps)"))
    steps: int = Field(200, ge=1, le=100_000, description="full-batch SGD steps (quick: 60)")
    lr_min_log2: int = Field(-10, ge=-30, le=10, description="smallest η = 2^lr_min_log2 "
                                                               "(quick: at least -7)")
    lr_max_log2: int = Field(2, ge=-20, le=20, description="largest η = 2^lr_max_log2 "
                                                             "(quick: at most 1)")
    slack: float = Field(0.01, ge=0.0, le=0.5, description=(
        "μP loss counts as non-increasing in width when each best loss ≤ (1 + slack) × the "
        "previous width's (seed means, decided with 2 standard errors)"))
    seeds: int = Field(5, ge=1, le=50, description=(
        "networks per (width, η) for the μP best loss (quick: at most 3); the grids are swept "
        "for the first, the others at the 3 step sizes around its best"))


def _mup_net(input_dim: int, width: int, classes: int, seed: int):
    """μP 1-hidden-layer ReLU net (Yang & Hu 2021, SGD, abc form with c = 0).

    f(x) = W₂ φ(W₁ x + b₁) + b₂, written with multipliers on the trainable tensors:
    W₁ = √N w₁ (w₁ ~ N(0, 2/(dN))), b₁ = √N u₁ (u₁ = 0), W₂ = w₂/√N (w₂ ~ N(0, 1/N)),
    b₂ = u₂ (= 0). With one global step η this gives the input layer an effective init variance
    2/d and step ηN, the readout init variance 1/N² and step η/N: μP.
    """
    import math

    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(int(seed))

    class MuP(nn.Module):
        def __init__(self):
            super().__init__()
            self.w1 = nn.Parameter(torch.randn(width, input_dim, generator=gen)
                                   * math.sqrt(2.0 / (input_dim * width)))
            self.u1 = nn.Parameter(torch.zeros(width))
            self.w2 = nn.Parameter(torch.randn(classes, width, generator=gen)
                                   * math.sqrt(1.0 / width))
            self.u2 = nn.Parameter(torch.zeros(classes))
            self.root = math.sqrt(width)

        def forward(self, x):
            h = torch.relu(self.root * (x @ self.w1.T + self.u1))
            return h @ self.w2.T / self.root + self.u2

    return MuP()


def _sp_net(input_dim: int, width: int, classes: int, seed: int):
    """Standard parameterisation: NTKMLP(parameterization="standard"), W ~ N(0, 2/fan_in)."""
    from learnmech.nets.ntk import NTKMLP

    return NTKMLP(input_dim, width, 2, classes, activation="relu", sigma_w2=2.0, sigma_b2=0.0,
                  parameterization="standard", seed=seed)


def _final_loss(net, data, steps, lr):
    """Training loss (mean ½ squared loss on one-hot targets) after ``steps`` full-batch SGD
    steps; inf if it diverged."""
    import math

    from learnmech.nets import train

    history = train(net, data, steps=steps, lr=lr, loss="mse", record_at=[steps],
                    progress=False)
    if history.diverged:
        return math.inf
    value = history.final("train_loss")
    return value if math.isfinite(value) else math.inf


def run_mup_transfer(config: MupTransferConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import load_dataset

    quick = config.size == "quick"
    width_max = min(config.width_max, 1024) if quick else config.width_max
    steps = min(config.steps, 60) if quick else config.steps
    if width_max < 4 * config.width_min:
        raise ValueError("mup-transfer: width_max must be at least 4 × width_min")
    octaves = int(np.log2(width_max / config.width_min))
    widths = config.width_min * 2 ** np.arange(0, octaves + 1, min(4, octaves) if quick else 1)
    lo, hi = config.lr_min_log2, config.lr_max_log2
    log2_lr = np.arange(max(lo, -7), min(hi, 1) + 1) if quick else np.arange(lo, hi + 1)
    if len(log2_lr) < 3:
        raise ValueError("mup-transfer: the learning-rate grid needs at least 3 octaves")
    data = load_dataset("digits", n_train=config.n_train, seed=config.seed)
    d, c = data.input_dim, data.num_classes
    build = {"SP": _sp_net, "muP": _mup_net}
    loss = {name: np.full((len(widths), len(log2_lr)), np.inf) for name in build}
    for name, make in build.items():
        for i, width in enumerate(widths):
            for j, k in enumerate(log2_lr):
                loss[name][i, j] = _final_loss(make(d, int(width), c, config.seed), data, steps,
                                               float(2.0 ** k))
    best_k = {name: log2_lr[np.argmin(v, axis=1)] for name, v in loss.items()}
    shift = {name: int(np.max(k) - np.min(k)) for name, k in best_k.items()}
    seeds = min(config.seeds, 3) if quick else config.seeds
    per_seed = np.empty((len(widths), seeds))  # μP best loss per width and seed
    per_seed[:, 0] = loss["muP"].min(axis=1)
    for s in range(1, seeds):
        for i, width in enumerate(widths):
            j0 = int(np.argmin(loss["muP"][i]))
            window = log2_lr[max(j0 - 1, 0):j0 + 2]
            per_seed[i, s] = min(_final_loss(_mup_net(d, int(width), c, config.seed + 1000 * s),
                                             data, steps, float(2.0 ** k)) for k in window)
    best, monotone, step_ratio, step_se = judge_monotone(per_seed, config.slack)
    edge = any(k in (log2_lr[0], log2_lr[-1]) for v in best_k.values() for k in v)
    regime = ("an optimum sits at the edge of the learning-rate grid; widen it" if edge else None)
    lrs = 2.0 ** log2_lr
    panels = [
        Panel([Series(lrs, np.minimum(loss[name][i], 10), f"N = {w}", color=i,
                      kind="predicted") for i, w in enumerate(widths)]
              + [Series(2.0 ** best_k[name], loss[name].min(axis=1), "best η", color=len(widths))],
              "learning rate η", f"train loss after {steps} steps", logx=True, logy=True,
              title=title)
        for name, title in (("SP", "standard parameterisation"), ("muP", "μP"))]
    panels.append(Panel([Series(widths, 2.0 ** best_k["SP"], "SP best η", color=0),
                         Series(widths, 2.0 ** best_k["muP"], "μP best η", color=1),
                         Series(widths, best_lr_scaling(widths, widths[0],
                                                        2.0 ** best_k["SP"][0], "SP"),
                                "∝ 1/N (SP, SGD)", kind="predicted", color=0),
                         Series(widths, best_lr_scaling(widths, widths[0],
                                                        2.0 ** best_k["muP"][0], "muP"),
                                "constant (μP)", kind="predicted", color=1)],
                        "width N", "best learning rate", logx=True, logy=True,
                        title="learning-rate transfer"))
    rows = [{"param": name, "width": int(w), "log2_lr": int(k), "metric": "train_loss",
             "value": float(loss[name][i, j])}
            for name in build for i, w in enumerate(widths) for j, k in enumerate(log2_lr)]
    rows += [{"param": "muP", "width": int(w), "seed": s, "metric": "best_train_loss",
              "value": float(per_seed[i, s])} for i, w in enumerate(widths) for s in range(seeds)]
    out = summary(ENTRY, float(shift["muP"]),
                  conditions={"sp_drifts": shift["SP"] >= 2, "mup_monotone": monotone},
                  regime=regime, sp_shift_octaves=shift["SP"], seeds=seeds,
                  mup_best_loss_se=",".join(f"{v:.2g}" for v in (
                      standard_error(per_seed, axis=1) if seeds > 1 else [np.nan] * len(widths))),
                  mup_width_step_ratio=",".join(f"{v:.4f}" for v in step_ratio),
                  mup_width_step_ratio_se=",".join(f"{v:.2g}" for v in step_se),
                  mup_best_log2_lr=",".join(str(int(k)) for k in best_k["muP"]),
                  sp_best_log2_lr=",".join(str(int(k)) for k in best_k["SP"]),
                  mup_best_loss=",".join(f"{v:.4g}" for v in best),
                  sp_best_loss=",".join(f"{v:.4g}" for v in loss["SP"].min(axis=1)),
                  widths=",".join(str(int(w)) for w in widths), steps=steps)
    notes = ("The best learning rate's shift and SP's drift come from the first seed's full "
             "grids; 'wider is better' is judged on the mean over seeds of the μP best loss "
             "(each further seed at the 3 step sizes around the first seed's best), each width "
             "step's ratio best(N_next)/best(N) − 1 decided against the 1 % slack with its "
             "standard error.")
    return entry_result(ENTRY, out, metrics=rows, figures={"mup_transfer": agreement_figure(
        panels, ncols=3)}, notes=notes)


def judge_monotone(per_seed, slack: float):
    """μP 'wider is better' from best losses of shape (widths, seeds): (seed means, verdict,
    per-step ratios mean(N_next)/mean(N), their standard errors). Each step's ratio − 1 is
    decided against ≤ slack with its standard error (seeds independent between widths)."""
    import numpy as np

    per_seed = np.asarray(per_seed, float)
    mean = per_seed.mean(axis=1)
    se = (standard_error(per_seed, axis=1) if per_seed.shape[1] > 1
          else np.zeros(len(mean)))
    ratio = mean[1:] / mean[:-1]
    ratio_se = ratio * np.hypot(se[1:] / mean[1:], se[:-1] / mean[:-1])
    tolerance = Tolerance(float("-inf"), slack, f"best loss ratio − 1 ≤ {slack:g}")
    verdict = combine(*(decide(tolerance, float(r - 1), float(e) if e > 0 else None)
                        for r, e in zip(ratio, ratio_se, strict=True)))
    return mean, verdict, ratio, ratio_se


ENTRY = Entry(
    id="mup-transfer", strand="b/d",
    claim=("With μP the best learning rate is stable across width and wider is better; with "
           "the standard parameterisation it drifts."),
    formula=best_lr_scaling,
    measurement="training ½ squared loss (one-hot) of 1-hidden-layer ReLU nets on 512 digits "
                "after 200 full-batch SGD steps, η = 2^-10 … 2^2 in octaves, widths 64-2048, "
                "SP and μP",
    metric="octaves between the smallest and largest μP argmin over the widths",
    tolerance=Tolerance(0.0, 1.0, "μP argmin moves ≤ 1 octave over ≥ 16× width; SP moves ≥ 2; "
                                  "μP best loss non-increasing in width (1 % slack)"),
    references=("Yang & Hu, ICML 2021 (Tensor Programs IV)",
                "Yang et al., NeurIPS 2021 (Tensor Programs V)"),
    figure="mup_transfer", config_cls=MupTransferConfig, run=run_mup_transfer,
    smoke={"size": "quick", "width_min": 16, "width_max": 64, "steps": 5, "n_train": 64,
           "lr_min_log2": -4, "lr_max_log2": 0, "seeds": 2})
