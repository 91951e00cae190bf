"""ntk-movement (strand b): in NTK parameterisation the kernel and the weights move ∝ width^{−1/2}.

Conventions: :class:`learnmech.nets.ntk.NTKMLP` (the theory lens's NTK parameterisation,
z¹ = σ_w W x/√d + σ_b b, f = σ_w aᵀφ(z¹)/√N + σ_b b), trained by :func:`learnmech.nets.train`
with full-batch GD on the mean ½ squared loss, for a fixed number of steps at a fixed η; the
empirical NTK by :func:`learnmech.nets.ntk.empirical_ntk`. Relative changes are Frobenius
norms: ‖Θ_T − Θ_0‖/‖Θ_0‖ and ‖θ_T − θ_0‖/‖θ_0‖ over all parameters.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.laws.kernel_regime import lazy_relative_change


class NtkMovementConfig(MechanicsConfig):
    """2-layer ReLU NTK-parameterised nets of growing width, trained for the same time."""

    n: int = Field(32, ge=2, le=2000, description="training points on the sphere")
    dim: int = Field(8, ge=2, le=1000, description="input dimension d")
    lr: float = Field(0.5, gt=0.0, le=10.0, description="GD step size η")
    steps: int = Field(200, ge=1, le=100_000, description="GD steps (same for every width)")
    width_max: int = Field(4096, ge=64, le=65536, description="largest width (full size)")
    seeds: int = Field(3, ge=1, le=100, description="networks per width (full size)")


def _movement(config, width: int, seed: int, data):
    """(relative kernel change, relative weight change) of one network."""
    import torch

    from learnmech.nets import train
    from learnmech.nets.ntk import NTKMLP, empirical_ntk

    model = NTKMLP(data.input_dim, width, 2, activation="relu", sigma_w2=2.0, sigma_b2=0.1,
                   seed=seed)
    X = data.to_torch()[0]
    theta0 = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    k0 = empirical_ntk(model, X).detach()
    train(model, data, steps=config.steps, lr=config.lr, loss="mse", record_at=[config.steps],
          progress=False)
    k1 = empirical_ntk(model, X).detach()
    theta1 = torch.cat([p.detach().flatten() for p in model.parameters()])
    return (float(torch.linalg.norm(k1 - k0) / torch.linalg.norm(k0)),
            float(torch.linalg.norm(theta1 - theta0) / torch.linalg.norm(theta0)))


def run_ntk_movement(config: NtkMovementConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import dataset_from_arrays

    quick = config.size == "quick"
    width_max = min(config.width_max, 1024) if quick else config.width_max
    seeds = 1 if quick else config.seeds
    widths = np.unique(np.geomspace(64, width_max, 4 if quick else 7).round().astype(int))
    rng = np.random.default_rng(config.seed)
    X = rng.standard_normal((2 * config.n, config.dim))
    X *= np.sqrt(config.dim) / np.linalg.norm(X, axis=1, keepdims=True)  # ‖x‖² = d
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] / config.dim
    data = dataset_from_arrays(X[:config.n], y[:config.n], X[config.n:], y[config.n:],
                               name="sphere-teacher")
    kernel, weights = np.empty((len(widths), seeds)), np.empty((len(widths), seeds))
    for i, width in enumerate(widths):
        for s in range(seeds):
            kernel[i, s], weights[i, s] = _movement(config, int(width), config.seed * 1000 + s,
                                                    data)
    km, wm = kernel.mean(axis=1), weights.mean(axis=1)
    slopes = {name: float(np.polyfit(np.log(widths), np.log(v), 1)[0])
              for name, v in (("kernel", km), ("weights", wm))}
    worst = max(slopes.values(), key=lambda v: abs(v + 0.5))
    top = slice(max(len(widths) - 3, 0), None)  # the local slope at the three largest widths
    slope_top = float(np.polyfit(np.log(widths[top]), np.log(km[top]), 1)[0])
    panel = Panel([Series(widths, km, "kernel ‖ΔΘ‖/‖Θ₀‖", color=0),
                   Series(widths, lazy_relative_change(widths, widths[0], km[0]), "∝ N^-1/2",
                          kind="predicted", color=0),
                   Series(widths, wm, "weights ‖Δθ‖/‖θ₀‖", color=1),
                   Series(widths, lazy_relative_change(widths, widths[0], wm[0]), "∝ N^-1/2",
                          kind="predicted", color=1)],
                  "width N", "relative change after training", logx=True, logy=True,
                  title=f"{config.steps} GD steps at η = {config.lr:g}")
    rows = [{"width": int(w), "seed": s, "metric": m, "value": float(v[i, s])}
            for i, w in enumerate(widths) for s in range(seeds)
            for m, v in (("kernel_change", kernel), ("weight_change", weights))]
    out = summary(ENTRY, worst, slope_kernel=slopes["kernel"],
                  slope_kernel_largest_widths=slope_top,
                  slope_weights=slopes["weights"], width_max=int(widths[-1]), seeds=seeds)
    return Result(summary=out, metrics=rows, figures={"ntk_movement": agreement_figure(
        [panel], ncols=1)})


ENTRY = Entry(
    id="ntk-movement", strand="b",
    claim="In NTK parameterisation the kernel and the weights move ∝ width^(-1/2).",
    formula=lazy_relative_change,
    measurement="relative change of the empirical NTK and of all parameters of 2-layer "
                "ReLU NTKMLPs after 200 GD steps, widths 64 to 4096",
    metric="log-log slope of the relative change against width, the one farthest from -0.5",
    tolerance=Tolerance(-0.6, -0.4, "log-log slope in [-0.6, -0.4] over widths 64-4096"),
    references=("Jacot, Gabriel & Hongler, NeurIPS 2018", "Lee et al., NeurIPS 2019"),
    figure="ntk_movement", config_cls=NtkMovementConfig, run=run_ntk_movement,
    smoke={"size": "quick", "steps": 5, "width_max": 128, "n": 8})
