"""batch-scaling-rules (strands d, B2): SGD curves coincide in epochs when η ∝ B; Adam curves when
η ∝ √B with 1 − β ∝ B and ε ∝ 1/√B.

Conventions: a 1-hidden-layer ReLU MLP on digits trained by :func:`learnmech.nets.train` (mean
cross-entropy, batches without replacement); curves are the training loss per epoch.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.laws.hyperparameters import adam_sqrt_scaling, sgd_linear_scaling


class BatchScalingConfig(MechanicsConfig):
    """A 1-hidden-layer ReLU MLP on digits trained for the same epochs at growing batch sizes."""

    n_train: int = Field(1024, ge=64, le=1347, description="digits training images (quick: 512)")
    width: int = Field(128, ge=4, le=4096, description="hidden width")
    epochs: int = Field(20, ge=1, le=1000, description="epochs per run (quick: 8)")
    batch: int = Field(8, ge=1, le=256, description="base batch size B₀")
    factors: int = Field(3, ge=2, le=5, description=(
        "batch sizes B₀·4^k for k < factors (quick: 2)"))
    sgd_lr: float = Field(0.01, gt=0.0, le=10.0, description="SGD step at B₀")
    adam_lr: float = Field(2e-4, gt=0.0, le=1.0, description="Adam step at B₀")
    adam_beta1: float = Field(0.99, gt=0.0, lt=1.0, description="Adam β₁ at B₀")
    adam_beta2: float = Field(0.999, gt=0.0, lt=1.0, description="Adam β₂ at B₀")
    adam_eps: float = Field(1e-8, gt=0.0, le=1.0, description="Adam ε at B₀")


def _epoch_curve(config, data, optimizer, batch, lr, betas=None, eps=None):
    """Training loss (mean cross-entropy over the whole training set) at every epoch, shape
    (epochs + 1,); Adam's β and ε are set on the shared loop's optimiser at step 0."""
    import numpy as np

    from learnmech.nets import train
    from learnmech.nets.models import mlp

    per_epoch = len(data.X_train) // batch
    model = mlp(data.input_dim, [config.width], data.num_classes, seed=config.seed)

    def adam_settings(step, net, state):
        if step == 0 and betas is not None:
            state.optimizer.betas, state.optimizer.eps = betas, eps
        return {}

    history = train(model, data, steps=config.epochs * per_epoch, lr=lr, batch_size=batch,
                    optimizer=optimizer, loss="ce", seed=config.seed, hooks=[adam_settings],
                    record_at=[e * per_epoch for e in range(config.epochs + 1)], progress=False)
    loss = history.series("train_loss")[1]
    return np.pad(loss, (0, config.epochs + 1 - len(loss)), constant_values=np.inf)


def _curve_gap(curve, reference):
    """Mean over epochs ≥ 1 of |ln L(e) − ln L_ref(e)| (inf if either diverged)."""
    import numpy as np

    return float(np.mean(np.abs(np.log(curve[1:]) - np.log(reference[1:]))))


def run_batch_scaling(config: BatchScalingConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import load_dataset

    quick = config.size == "quick"
    if quick:
        config = config.model_copy(update={"n_train": min(config.n_train, 512),
                                           "epochs": min(config.epochs, 8),
                                           "factors": min(config.factors, 2)})
    kappas = 4 ** np.arange(config.factors)
    data = load_dataset("digits", n_train=config.n_train, seed=config.seed)
    if config.batch * kappas[-1] > config.n_train // 2:
        raise ValueError("batch-scaling-rules: batch × 4^(factors−1) must be ≤ n_train/2")
    base = {"sgd": {"lr": config.sgd_lr},
            "adam": {"lr": config.adam_lr, "betas": (config.adam_beta1, config.adam_beta2),
                     "eps": config.adam_eps}}
    curves, gaps, ratios = {}, {}, {}
    for opt in ("sgd", "adam"):
        curves[(opt, 1, "rule")] = _epoch_curve(config, data, opt, config.batch, **base[opt])
        for kappa in kappas[1:]:
            if opt == "sgd":
                rule = {"lr": float(sgd_linear_scaling(config.sgd_lr, kappa))}
            else:
                lr, b1, b2, eps = adam_sqrt_scaling(config.adam_lr, config.adam_beta1,
                                                    config.adam_beta2, config.adam_eps, kappa)
                rule = {"lr": lr, "betas": (b1, b2), "eps": eps}
            for how, kw in (("rule", rule), ("none", base[opt])):
                curves[(opt, int(kappa), how)] = _epoch_curve(
                    config, data, opt, int(config.batch * kappa), **kw)
        ref = curves[(opt, 1, "rule")]
        for how in ("rule", "none"):
            gaps[(opt, how)] = float(np.mean([_curve_gap(curves[(opt, int(k), how)], ref)
                                              for k in kappas[1:]]))
        ratios[opt] = gaps[(opt, "none")] / max(gaps[(opt, "rule")], 1e-12)
    agreement = min(ratios.values())
    adam_ref = curves[("adam", 1, "rule")]
    epochs = np.arange(config.epochs + 1)
    panels = []
    for opt, title in (("sgd", "SGD, η ∝ B"), ("adam", "Adam, η ∝ √B, 1−β ∝ B, ε ∝ 1/√B")):
        series = [Series(epochs, curves[(opt, 1, "rule")], f"B = {config.batch}",
                         kind="predicted", color=0)]
        for j, k in enumerate(kappas[1:]):
            series += [Series(epochs, curves[(opt, int(k), "rule")],
                              f"B = {config.batch * k}, rule", color=j + 1),
                       Series(epochs, curves[(opt, int(k), "none")],
                              f"B = {config.batch * k}, no rescaling", color=j + 3)]
        panels.append(Panel(series, "epoch", "train loss", logy=True,
                            title=f"{title}: gap ratio {ratios[opt]:.2g}"))
    rows = [{"optimizer": o, "kappa": k, "rescaled": h == "rule", "epoch": int(e),
             "metric": "train_loss", "value": float(v)}
            for (o, k, h), c in curves.items() for e, v in enumerate(c)]
    out = summary(ENTRY, agreement, sgd_gap_ratio=ratios["sgd"],
                  adam_gap_ratio=ratios["adam"], sgd_gap_rule=gaps[("sgd", "rule")],
                  sgd_gap_none=gaps[("sgd", "none")], adam_gap_rule=gaps[("adam", "rule")],
                  adam_gap_none=gaps[("adam", "none")],
                  adam_gap_rule_by_batch=",".join(
                      f"{_curve_gap(curves[('adam', int(k), 'rule')], adam_ref):.3g}"
                      for k in kappas[1:]),
                  batches=",".join(str(int(config.batch * k)) for k in kappas),
                  epochs=config.epochs)
    return Result(summary=out, metrics=rows, figures={"batch_scaling_rules": agreement_figure(
        panels, ncols=2)})


ENTRY = Entry(
    id="batch-scaling-rules", strand="d/B2",
    claim=("SGD curves coincide in epochs when η ∝ B; Adam curves when η ∝ √B with 1 − β ∝ B "
           "and ε ∝ 1/√B."),
    formula=adam_sqrt_scaling,
    measurement="training cross-entropy per epoch of a 1-hidden-layer ReLU MLP (width 128) on "
                "1024 digits, 20 epochs at B = 8, 32, 128, SGD and Adam, with and without the "
                "scaling rule",
    metric="smaller of the SGD and Adam ratios (gap without rescaling)/(gap with the rule), "
           "gap = mean over epochs and batch sizes of |ln L_B(e) − ln L_B₀(e)|",
    tolerance=Tolerance(3.0, float("inf"), "the rule shrinks the gap between curves ≥ 3× "
                                           "against no rescaling (SGD and Adam)"),
    references=("Goyal et al., 2017", "Smith & Le, ICLR 2018",
                "Malladi, Lyu, Panigrahi & Arora, NeurIPS 2022"),
    figure="batch_scaling_rules", config_cls=BatchScalingConfig, run=run_batch_scaling,
    smoke={"size": "quick", "n_train": 64, "epochs": 1, "batch": 4, "width": 8})
