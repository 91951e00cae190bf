"""hessian-outliers (B3): after training a C-class classifier the Hessian has about C outliers
above a bulk.

Conventions: full-batch GD through :func:`learnmech.nets.train` on the squared loss
½‖f − onehot‖² (mean); eigenvalues by Lanczos (:mod:`learnmech.probes.curvature`).
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
from learnmech.theory.laws.curvature import largest_eigengap


class HessianOutliersConfig(MechanicsConfig):
    """Full-batch GD on a ReLU MLP, squared loss, digits; top-30 Hessian eigenvalues."""

    n_train: int = Field(1000, ge=50, le=1797, description="training digits")
    width: int = Field(64, ge=4, le=512, description="hidden width (one hidden layer)")
    lr: float = Field(0.5, gt=0.0, le=2.0, description="GD step size η")
    steps: int = Field(100, ge=1, le=100_000, description="GD steps before the verdict")
    top: int = Field(30, ge=12, le=100, description="eigenvalues computed (Lanczos)")


#: further training lengths measured at full size (reported, not judged)
HESSIAN_LATER = (300, 1000, 3000)


def run_hessian_outliers(config: HessianOutliersConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import load_dataset, mlp, train
    from learnmech.probes.curvature import top_hessian_eigenvalues
    from learnmech.theory.laws.curvature import largest_eigengap

    quick = config.size == "quick"
    data = load_dataset("digits", n_train=config.n_train, n_test=64, seed=config.seed)
    X, y, _, _ = data.to_torch()
    C = data.num_classes
    model = mlp(data.input_dim, [config.width], C, seed=config.seed)
    checkpoints = [config.steps] + ([] if quick else [s for s in HESSIAN_LATER
                                                     if s > config.steps])
    spectra = {}

    def spectrum(step, net, state):
        if step in checkpoints:
            ev = top_hessian_eigenvalues(net, X, y, loss="mse", k=config.top,
                                         iters=3 * config.top, tol=0, seed=config.seed)
            spectra[step] = np.sort(ev)[::-1]
        return {}

    history = train(model, data, steps=max(checkpoints), lr=config.lr, loss="mse",
                    record_at=checkpoints, hooks=[spectrum], progress=False)
    found = {s: largest_eigengap(ev) for s, ev in spectra.items()}
    k, ratio = found[config.steps]
    rank = np.arange(1, config.top + 1)
    panels = [Panel([Series(rank, spectra[s], f"step {s}: gap after {found[s][0]} "
                            f"(×{found[s][1]:.2f})", color=i)
                     for i, s in enumerate(checkpoints)],
                    "rank", "Hessian eigenvalue", logy=True, vlines={"C + ½": C + 0.5},
                    title=f"{C} classes: largest gap after eigenvalue {k}")]
    rows = [{"step": s, "rank": int(r), "metric": "eigenvalue", "value": float(v)}
            for s, ev in spectra.items() for r, v in zip(rank, ev, strict=True)]
    out = summary(ENTRY, float(k), classes=C, gap_ratio=ratio,
                  train_loss=float(history.series("train_loss")[1][0]),
                  **{f"gap_index_step_{s}": v[0] for s, v in found.items()},
                  **{f"gap_ratio_step_{s}": v[1] for s, v in found.items()})
    return entry_result(ENTRY, out, metrics=rows, figures={"hessian_outliers": agreement_figure(
        panels, ncols=1)})


ENTRY = Entry(
    id="hessian-outliers", strand="B3",
    claim=("After training a C-class classifier, the Hessian has about C outliers above "
           "a bulk."),
    formula=largest_eigengap,
    measurement="top-30 eigenvalues (Lanczos on HVPs, 90 iterations) of the squared-loss "
                "Hessian of a 64-64-10 ReLU MLP after 100 full-batch GD steps on 1000 digits",
    metric="index k of the largest ratio λ_k/λ_{k+1} among the top 30",
    tolerance=Tolerance(9.0, 11.0, "largest eigengap at index C ± 1 (C = 10)"),
    references=("Papyan, arXiv 1811.07062 (2018)", "Papyan, JMLR 2020",
                "Sagun, Bottou & LeCun, arXiv 1611.07476 (2016)"),
    figure="hessian_outliers", config_cls=HessianOutliersConfig, run=run_hessian_outliers,
    smoke={"size": "quick", "n_train": 100, "steps": 10, "top": 12})
