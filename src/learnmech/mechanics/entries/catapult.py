"""catapult (strands c/d): η < 2/λ₀ is lazy, 2/λ₀ < η < η_max spikes the loss and then drops the
sharpness below 2/η, larger η diverge.

Conventions: :class:`learnmech.nets.ntk.NTKMLP` (the theory lens's NTK parameterisation,
z¹ = σ_w W x/√d + σ_b b, f = σ_w aᵀφ(z¹)/√N + σ_b b), trained by :func:`learnmech.nets.train`
with full-batch GD on the mean ½ squared loss. λ₀ is the top Hessian eigenvalue at
initialisation (Lanczos).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.laws.curvature import catapult_boundary


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
    out = summary(ENTRY, measured, conditions={"sharpness_drops": settled},
                  regime=regime, sharpness_initial=lam0,
                  largest_lazy=float(lazy.max()) if len(lazy) else None,
                  smallest_catapult=float(cat.min()) if len(cat) else None,
                  smallest_diverged=float(ratios[phase == "diverged"].min())
                  if np.any(phase == "diverged") else None)
    return Result(summary=out, metrics=rows, figures={"catapult": agreement_figure(
        panels, ncols=2)})


ENTRY = Entry(
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
