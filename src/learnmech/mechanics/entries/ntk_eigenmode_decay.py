"""ntk-eigenmode-decay (strands a/b): wide 2-layer ReLU nets fit the residual along NTK
eigenvectors, each at rate ηλ_i.

Conventions: :class:`learnmech.nets.ntk.NTKMLP` (the theory lens's NTK parameterisation,
z¹ = σ_w W x/√d + σ_b b, f = σ_w aᵀφ(z¹)/√N + σ_b b), trained by :func:`learnmech.nets.train`
with full-batch GD on the mean ½ squared loss. Kernel-regime residual dynamics
r ← (I − η K/n) r with K the infinite-width NTK Gram matrix (:func:`learnmech.theory.fc_kernel`).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.core.seeding import replicate_seed
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    entry_result,
    summary,
)
from learnmech.theory.laws.kernel_regime import ntk_mode_rate


class NtkEigenmodeConfig(MechanicsConfig):
    """2-layer ReLU NTKMLPs of growing width fit a residual placed on the top NTK eigenvectors."""

    n: int = Field(48, ge=8, le=2000, description="training points on the sphere of radius √d")
    dim: int = Field(8, ge=2, le=1000, description="input dimension d")
    modes: int = Field(6, ge=1, le=50, description="top eigenmodes followed (quick: 4)")
    lr_fraction: float = Field(0.5, gt=0.0, lt=1.0,
                               description="η = lr_fraction / λ_max(K/n) (stable below 2)")
    decay: float = Field(3.0, gt=0.1, le=10.0, description=(
        "each mode's rate is fitted while its amplitude is above e^(-decay) of its start"))
    width_max: int = Field(8192, ge=64, le=65536, description="largest width (quick: 2048)")
    seeds: int = Field(3, ge=1, le=100, description="networks per width (quick: 1)")


def _sphere(rng, n, dim):
    """n points uniform on the sphere of radius √dim, shape (n, dim)."""
    import numpy as np

    X = rng.standard_normal((n, dim))
    return X * np.sqrt(dim) / np.linalg.norm(X, axis=1, keepdims=True)


def _fit_rates(steps, coef, decay):
    """Per-mode decay rate: least-squares slope of −ln|c_i(t)| over the records where
    |c_i(t)| > e^{−decay}|c_i(0)|; ``coef`` shape (T, m); returns shape (m,)."""
    import numpy as np

    out = []
    for col in coef.T:
        keep = np.abs(col) > np.exp(-decay) * abs(col[0])
        keep[:2] = True
        out.append(-np.polyfit(steps[keep], np.log(np.abs(col[keep])), 1)[0])
    return np.array(out)


def _mode_rates(X, V, lam, lr, width, seed, steps, decay):
    """Fitted per-step rates of the residual along the columns of V for one network."""
    import numpy as np
    import torch

    from learnmech.nets import dataset_from_arrays, train
    from learnmech.nets.ntk import NTKMLP

    n = len(X)
    model = NTKMLP(X.shape[1], width, 2, activation="relu", sigma_w2=2.0, sigma_b2=0.1,
                   seed=seed)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        f0 = model(Xt).numpy().astype(float)
    y = f0 + np.sqrt(n) * V.sum(axis=1)  # residual starts at −√n Σ_i v_i
    data = dataset_from_arrays(X, y, X, y, name="sphere-modes")
    found = {}

    def project(step, net, state):
        with torch.no_grad():
            found[step] = V.T @ (net(Xt).numpy().astype(float) - y)
        return {}

    train(model, data, steps=steps, lr=lr, loss="mse", hooks=[project],
          record_at=list(range(steps + 1)), progress=False)
    rec = np.array(sorted(found))
    return _fit_rates(rec, np.stack([found[s] for s in rec]), decay)


def run_ntk_eigenmode(config: NtkEigenmodeConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory import fc_kernel

    quick = config.size == "quick"
    width_max = min(config.width_max, 2048) if quick else config.width_max
    seeds = 1 if quick else config.seeds
    m = min(config.modes, 4) if quick else config.modes
    widths = np.unique(np.geomspace(min(256, width_max // 4), width_max, 4 if quick else 6)
                       .round().astype(int))
    rng = np.random.default_rng(config.seed)
    X = _sphere(rng, config.n, config.dim)
    K = fc_kernel(X, depth=2, activation="relu", sigma_w2=2.0, sigma_b2=0.1, kind="ntk")
    lam, V = np.linalg.eigh(K / config.n)
    lam, V = lam[::-1][:m], V[:, ::-1][:, :m]
    lr = config.lr_fraction / lam[0]
    predicted = ntk_mode_rate(lam, lr)
    steps = int(np.ceil(config.decay / predicted.min())) + 2
    rates = np.empty((len(widths), seeds, m))
    for i, width in enumerate(widths):
        for s in range(seeds):
            rates[i, s] = _mode_rates(X, V, lam, lr, int(width), replicate_seed(config.seed, s),
                                      steps, config.decay)
    ratio = rates / predicted  # (widths, seeds, modes)
    err = np.abs(ratio - 1).max(axis=2)  # worst mode per network
    err_mean = err.mean(axis=1)
    agreement = float(err[-1].max())
    slope = float(np.polyfit(np.log(widths), np.log(err_mean), 1)[0])
    slope_ok = -0.75 <= slope <= -0.25
    panels = [
        Panel([Series(np.arange(1, m + 1), rates[-1].mean(axis=0), f"fitted, N = {widths[-1]}",
                      color=0),
               Series(np.arange(1, m + 1), rates[0].mean(axis=0), f"fitted, N = {widths[0]}",
                      color=1),
               Series(np.arange(1, m + 1), predicted, "−ln(1 − ηλ_i), infinite-width NTK",
                      kind="predicted", color=2)],
              "eigenmode i", "decay rate per step", logy=True,
              title=f"η = {lr:.3g} = {config.lr_fraction:g}/λ_max"),
        Panel([Series(widths, err_mean, "max_i |rate/pred − 1|", color=0),
               Series(widths, err_mean[0] * np.sqrt(widths[0] / widths), "∝ N^-1/2",
                      kind="predicted", color=0)],
              "width N", "relative rate error", logx=True, logy=True,
              hlines={"tolerance 10 %": 0.1}, title=f"slope {slope:.2f}"),
    ]
    rows = [{"width": int(w), "seed": s, "mode": j + 1, "metric": "rate_ratio",
             "value": float(ratio[i, s, j])}
            for i, w in enumerate(widths) for s in range(seeds) for j in range(m)]
    rows += [{"mode": j + 1, "metric": "eigenvalue", "value": float(lam[j])} for j in range(m)]
    out = summary(ENTRY, agreement, conditions={"error_slope": slope_ok},
                  error_slope=slope, error_mean_largest_width=float(err_mean[-1]),
                  error_mean_smallest_width=float(err_mean[0]), width_max=int(widths[-1]),
                  modes=m, seeds=seeds, lr=float(lr), steps=steps,
                  eigenvalue_top=float(lam[0]), eigenvalue_last=float(lam[-1]))
    return entry_result(ENTRY, out, metrics=rows, figures={"ntk_eigenmode_decay": agreement_figure(
        panels, ncols=2)})


ENTRY = Entry(
    id="ntk-eigenmode-decay", strand="a/b",
    claim="Wide 2-layer ReLU nets fit the residual along NTK eigenvectors, each at rate ηλ_i.",
    formula=ntk_mode_rate,
    measurement="per-step decay rate of the residual's projection on the top 6 eigenvectors of "
                "the infinite-width NTK Gram matrix (48 points on the sphere, d = 8), 2-layer "
                "ReLU NTKMLPs of widths 256-8192 trained by full-batch GD",
    metric="largest |fitted rate / (−ln(1 − ηλ_i)) − 1| over the top modes and the networks "
           "at the largest width",
    tolerance=Tolerance(0.0, 0.10, "within 10 % for the top modes at the largest width; "
                                   "error slope vs width in [-0.75, -0.25]"),
    references=("Jacot, Gabriel & Hongler, NeurIPS 2018", "Arora et al., ICML 2019",
                "Lee et al., NeurIPS 2019"),
    figure="ntk_eigenmode_decay", config_cls=NtkEigenmodeConfig, run=run_ntk_eigenmode,
    smoke={"size": "quick", "width_max": 256, "n": 16, "modes": 2})
