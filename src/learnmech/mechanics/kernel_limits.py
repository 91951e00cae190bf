"""Strand (b), the kernel limit: in NTK parameterisation weights and kernel move ∝ width^{−1/2}.

Conventions: :class:`learnmech.nets.ntk.NTKMLP` (the theory lens's NTK parameterisation,
z¹ = σ_w W x/√d + σ_b b, f = σ_w aᵀφ(z¹)/√N + σ_b b), trained by :func:`learnmech.nets.train`
with full-batch GD on the mean ½ squared loss for a fixed number of steps at a fixed η; the
empirical NTK by :func:`learnmech.nets.ntk.empirical_ntk`. Relative changes are Frobenius
norms: ‖Θ_T − Θ_0‖/‖Θ_0‖ and ‖θ_T − θ_0‖/‖θ_0‖ over all parameters.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.dynamics import catapult_boundary, lazy_relative_change, mode_half_time


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
    out = summary(ENTRIES[0], worst, slope_kernel=slopes["kernel"],
                  slope_kernel_largest_widths=slope_top,
                  slope_weights=slopes["weights"], width_max=int(widths[-1]), seeds=seeds)
    return Result(summary=out, metrics=rows, figures={"ntk_movement": agreement_figure(
        [panel], ncols=1)})


ENTRIES = [
    Entry(
        id="ntk-movement", strand="b",
        claim="In NTK parameterisation the kernel and the weights move ∝ width^(-1/2).",
        formula=lazy_relative_change,
        measurement="relative change of the empirical NTK and of all parameters of 2-layer "
                    "ReLU NTKMLPs after 200 GD steps, widths 64 to 4096",
        metric="log-log slope of the relative change against width, the one farthest from -0.5",
        tolerance=Tolerance(-0.6, -0.4, "log-log slope in [-0.6, -0.4] over widths 64-4096"),
        references=("Jacot, Gabriel & Hongler, NeurIPS 2018", "Lee et al., NeurIPS 2019"),
        figure="ntk_movement", config_cls=NtkMovementConfig, run=run_ntk_movement,
        smoke={"size": "quick", "steps": 5, "width_max": 128, "n": 8}),
]


# --------------------------------------------------------------------------- spectral-bias


class SpectralBiasConfig(MechanicsConfig):
    """A wide 2-layer ReLU NTKMLP fits a sum of Fourier modes on the circle by full-batch GD."""

    n: int = Field(256, ge=16, le=4096, description="training points, evenly spaced on S¹")
    width: int = Field(1024, ge=16, le=65536, description="hidden width N")
    sigma_b2: float = Field(1.0, ge=0.0, le=10.0, description="bias variance σ_b²")
    lr: float = Field(0.6, gt=0.0, le=10.0, description=(
        "GD step size η (below 2/λ_max(K/n) ≈ 0.65 at the defaults: the lazy regime)"))
    steps: int = Field(12_000, ge=10, le=1_000_000,
                       description="GD steps (full size; quick caps at 3000)")


def _mode_amplitudes(residual, theta, ks):
    """Amplitude √(a_k² + b_k²) of cos/sin kθ in the residual, for each k; shape (len(ks),)."""
    import numpy as np

    n = len(theta)
    return np.array([np.hypot(2 / n * residual @ np.cos(k * theta),
                              2 / n * residual @ np.sin(k * theta)) for k in ks])


def _first_half(steps, amplitudes):
    """First step (log-interpolated) at which each column has fallen to half its start."""
    import numpy as np

    out = []
    for col in amplitudes.T:
        below = np.flatnonzero(col <= col[0] / 2)
        if not len(below):
            out.append(np.nan)
            continue
        i = below[0]
        t0, t1 = max(steps[i - 1], 1), steps[i]
        v0, v1 = np.log(col[i - 1]), np.log(col[i])
        frac = (np.log(col[0] / 2) - v0) / (v1 - v0)
        out.append(float(np.exp(np.log(t0) + frac * (np.log(t1) - np.log(t0)))))
    return np.array(out)


def run_spectral_bias(config: SpectralBiasConfig) -> Result:
    import numpy as np
    import torch

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import dataset_from_arrays, log_schedule, train
    from learnmech.nets.ntk import NTKMLP
    from learnmech.theory import dot_product_kernel, sphere_eigenvalues

    quick = config.size == "quick"
    ks = np.array([4, 8, 16] if quick else [4, 8, 16, 32])
    steps = min(config.steps, 3000) if quick else config.steps
    if config.n <= 2 * ks.max():
        raise ValueError(f"spectral-bias: n must exceed 2 × the top frequency {ks.max()}")
    rng = np.random.default_rng(config.seed)
    theta = 2 * np.pi * np.arange(config.n) / config.n
    X = np.stack([np.cos(theta), np.sin(theta)], 1)  # (n, 2) on the unit circle
    target = sum(np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k in ks)
    model = NTKMLP(2, config.width, 2, activation="relu", sigma_w2=2.0,
                   sigma_b2=config.sigma_b2, seed=config.seed)
    with torch.no_grad():
        f0 = model(torch.as_tensor(X, dtype=torch.float32)).numpy().astype(float)
    y = target + f0  # so the residual starts exactly at the target's modes
    data = dataset_from_arrays(X, y, X, y, name="circle")
    Xt = data.to_torch()[0]
    found = {}

    def amplitudes(step, net, state):
        with torch.no_grad():
            found[step] = _mode_amplitudes(y - net(Xt).numpy().astype(float), theta, ks)
        return {}

    train(model, data, steps=steps, lr=config.lr, loss="mse", hooks=[amplitudes],
          record_at=log_schedule(steps, 80), progress=False)
    rec = np.array(sorted(found))
    amp = np.stack([found[s] for s in rec])  # (records, len(ks))
    measured = _first_half(rec, amp)

    def kernel(t):
        return dot_product_kernel(t, d=2, depth=2, activation="relu", sigma_w2=2.0,
                                  sigma_b2=config.sigma_b2, kind="ntk")

    lam = sphere_eigenvalues(kernel, d=2, lmax=int(ks.max()))[ks]
    predicted = mode_half_time(lam, config.lr)
    halved = ~np.isnan(measured)
    # modes still above half their start at the last step count against the claim (they are
    # slower than any finite half-time); the slope uses the halved ones when two or more
    slope = (float(np.polyfit(np.log(ks[halved]), np.log(measured[halved]), 1)[0])
             if halved.sum() >= 2 else None)
    slope_pred = float(np.polyfit(np.log(ks), np.log(predicted), 1)[0])
    panels = [
        Panel([Series(ks[halved], measured[halved], "measured t½", color=0),
               Series(ks, predicted, "ln 2 / (η λ_k), NTK spectrum", kind="predicted", color=1),
               Series(ks, predicted[0] * (ks / ks[0]) ** 2, "∝ k²", kind="predicted",
                      color=2)],
              "frequency k", "half-time (steps)", logx=True, logy=True,
              title="higher frequencies are learnt later"),
        Panel([Series(np.maximum(rec, 1), amp[:, j], f"k = {k}", color=j)
               for j, k in enumerate(ks)],
              "step", "residual amplitude", logx=True, logy=True, title="per-mode residual"),
    ]
    rows = [{"k": int(k), "metric": m, "value": float(v)} for j, k in enumerate(ks)
            for m, v in (("half_time_measured", measured[j]),
                         ("half_time_predicted", predicted[j]), ("ntk_eigenvalue", lam[j]))]
    out = summary(SPECTRAL_ENTRY, slope, conditions={"all_modes_halved": bool(halved.all())},
                  unhalved_modes=",".join(str(k) for k in ks[~halved]) or "none",
                  steps=steps, slope_ntk_spectrum=slope_pred,
                  half_time_ratio_max=float(np.nanmax(measured / predicted)),
                  half_time_ratio_min=float(np.nanmin(measured / predicted)))
    return Result(summary=out, metrics=rows, figures={"spectral_bias": agreement_figure(
        panels, ncols=2)})


SPECTRAL_ENTRY = Entry(
    id="spectral-bias", strand="a/e",
    claim="On the circle, the time to learn frequency k grows like k².",
    formula=mode_half_time,
    measurement="half-time of each Fourier mode of the residual of a width-1024 2-layer ReLU "
                "NTKMLP trained by full-batch GD on 256 points of S¹, k = 4, 8, 16, 32",
    metric="log-log slope of the measured half-time against k",
    tolerance=Tolerance(1.7, 2.3, "slope in [1.7, 2.3]"),
    references=("Rahaman et al., ICML 2019", "Basri, Jacobs, Kasten & Kritchman, NeurIPS 2019"),
    figure="spectral_bias", config_cls=SpectralBiasConfig, run=run_spectral_bias,
    smoke={"size": "quick", "steps": 200, "width": 64, "n": 40})
ENTRIES.append(SPECTRAL_ENTRY)


# --------------------------------------------------------------------------- catapult


class CatapultConfig(MechanicsConfig):
    """A wide 2-layer ReLU NTKMLP trained by full-batch GD at step sizes around 2/λ₀."""

    n: int = Field(64, ge=4, le=4096, description="training points on the sphere")
    dim: int = Field(8, ge=2, le=1000, description="input dimension d")
    width: int = Field(2048, ge=16, le=65536, description="hidden width N")
    steps: int = Field(300, ge=10, le=100_000, description="GD steps per step size")
    spike: float = Field(1.01, gt=1.0, le=10.0,
                         description="a run 'spikes' when its max loss exceeds spike × initial")


#: step sizes tried, as multiples of 2/λ₀ (quick; the full size adds CATAPULT_EXTRA)
CATAPULT_RATIOS = (0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0, 4.0)
CATAPULT_EXTRA = (0.975, 1.025, 2.5, 6.0)


def run_catapult(config: CatapultConfig) -> Result:
    import copy

    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import dataset_from_arrays, train
    from learnmech.nets.ntk import NTKMLP
    from learnmech.probes.curvature import top_hessian_eigenvalues

    ratios = np.array(sorted(CATAPULT_RATIOS if config.size == "quick"
                             else CATAPULT_RATIOS + CATAPULT_EXTRA))
    rng = np.random.default_rng(config.seed)
    X = rng.standard_normal((config.n, config.dim))
    X *= np.sqrt(config.dim) / np.linalg.norm(X, axis=1, keepdims=True)  # ‖x‖² = d
    y = 2 * np.tanh(X @ rng.standard_normal(config.dim) / np.sqrt(config.dim))
    data = dataset_from_arrays(X, y, X, y, name="sphere-teacher")
    Xt, yt, _, _ = data.to_torch()
    net0 = NTKMLP(config.dim, config.width, 2, activation="relu", sigma_w2=2.0, sigma_b2=0.1,
                  seed=config.seed)

    def sharpness(net):
        return float(top_hessian_eigenvalues(net, Xt, yt, loss="mse", k=1, iters=30,
                                             seed=config.seed)[0])

    lam0 = sharpness(net0)
    boundary = float(catapult_boundary(lam0))
    phase, peak, final_sharp, curves = [], [], [], {}
    for r in ratios:
        net = copy.deepcopy(net0)
        history = train(net, data, steps=config.steps, lr=float(r * boundary), loss="mse",
                        record_at=list(range(0, config.steps + 1, 5)), progress=False)
        steps, loss = history.series("train_loss")
        diverged = history.diverged or not np.isfinite(loss[-1]) or loss[-1] > 1e6 * loss[0]
        peak.append(float(np.nanmax(loss) / loss[0]))
        final_sharp.append(np.nan if diverged else sharpness(net))
        phase.append("diverged" if diverged else
                     "catapult" if peak[-1] > config.spike else "lazy")
        curves[r] = (steps, loss)
    peak, final_sharp, phase = np.array(peak), np.array(final_sharp), np.array(phase)
    lazy, cat = ratios[phase == "lazy"], ratios[phase == "catapult"]
    regime = None
    if not len(lazy) or not len(cat):
        regime = "the sweep did not find both a lazy and a catapult run"
        measured = None
    else:
        # boundary between the largest lazy and the smallest spiking step (geometric mean)
        measured = float(np.sqrt(lazy.max() * cat[cat > lazy.max()].min())) \
            if np.any(cat > lazy.max()) else None
    after = final_sharp[phase == "catapult"] * ratios[phase == "catapult"] * boundary / 2
    settled = bool(len(after) and np.all(after < 1.0))  # λ_final < 2/η after the spike
    shown = [r for r in ratios if phase[list(ratios).index(r)] != "diverged"][::2]
    panels = [
        Panel([Series(ratios, peak, "max loss / initial loss", color=0)],
              "η · λ₀ / 2", "loss spike", logx=True, logy=True,
              vlines={"prediction η = 2/λ₀": 1.0}, title=f"λ₀ = {lam0:.3g}"),
        Panel([Series(np.maximum(curves[r][0], 1), curves[r][1], f"η = {r:g} · 2/λ₀", color=i)
               for i, r in enumerate(shown)],
              "step", "train loss", logx=True, logy=True, title="lazy vs catapult"),
    ]
    rows = [{"lr_over_boundary": float(r), "metric": m, "value": float(v)}
            for i, r in enumerate(ratios)
            for m, v in (("loss_peak_ratio", peak[i]), ("final_sharpness", final_sharp[i]),
                         ("diverged", float(phase[i] == "diverged")))]
    out = summary(CATAPULT_ENTRY, measured, conditions={"sharpness_drops": settled},
                  regime=regime, sharpness_initial=lam0,
                  largest_lazy=float(lazy.max()) if len(lazy) else None,
                  smallest_catapult=float(cat.min()) if len(cat) else None,
                  smallest_diverged=float(ratios[phase == "diverged"].min())
                  if np.any(phase == "diverged") else None)
    return Result(summary=out, metrics=rows, figures={"catapult": agreement_figure(
        panels, ncols=2)})


CATAPULT_ENTRY = Entry(
    id="catapult", strand="c/d",
    claim=("Large first steps: η < 2/λ₀ is lazy, 2/λ₀ < η < η_max spikes the loss and then "
           "drops the sharpness below 2/η, larger η diverge."),
    formula=catapult_boundary,
    measurement="peak loss and final sharpness of a width-2048 2-layer ReLU NTKMLP after 300 "
                "full-batch GD steps, η from 0.8 to 6 × 2/λ₀ (λ₀ by Lanczos at init)",
    metric="measured lazy/catapult boundary in units of 2/λ₀",
    tolerance=Tolerance(0.9, 1.1, "boundary at 2/λ₀ within 10 %"),
    references=("Lewkowycz, Bahri, Dyer, Sohl-Dickstein & Gur-Ari, 2020",),
    figure="catapult", config_cls=CatapultConfig, run=run_catapult,
    smoke={"size": "quick", "width": 128, "steps": 20, "n": 16})
ENTRIES.append(CATAPULT_ENTRY)
