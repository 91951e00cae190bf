"""batch-scaling-rules (strands d, B2): Adam curves coincide in epochs when η ∝ √B with 1 − β ∝ B
and ε ∝ 1/√B, where gradient noise dominates (Malladi et al. 2022); SGD's η ∝ B is reported.

Conventions: a 1-hidden-layer ReLU MLP on digits trained by :func:`learnmech.nets.train` (mean
cross-entropy, batches without replacement); curves are the training loss per epoch.

Regime: the square-root rule is an SDE result, valid while the gradient noise of a batch
dominates its mean, B ≪ B_noise = tr Σ/‖G‖² (Σ the per-example covariance). The entry measures
B_noise from exact per-example gradients along the base (B₀) Adam run, every epoch, and judges
only the batch sizes B ≤ min B_noise/2; larger B are ``out of regime`` (reported). The SGD half
is reported, not judged: at these step sizes (η ≤ 0.16) SGD is close to gradient flow, where
η ∝ B keeps the flow time per epoch fixed and the curves coincide whatever the noise does — a
check that could not fail.
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


def _epoch_curve(config, data, optimizer, batch, lr, betas=None, eps=None, noise=False):
    """Training loss (mean cross-entropy over the whole training set) at every epoch, shape
    (epochs + 1,); Adam's β and ε are set on the shared loop's optimiser at step 0. With
    ``noise``, also B_noise = tr Σ/‖G‖² of the full training set at every epoch (per-example
    gradients), returned as a second array."""
    import numpy as np

    from learnmech.nets import train
    from learnmech.nets.models import mlp

    per_epoch = len(data.X_train) // batch
    model = mlp(data.input_dim, [config.width], data.num_classes, seed=config.seed)
    X, y, _, _ = data.to_torch()

    def adam_settings(step, net, state):
        if step == 0 and betas is not None:
            state.optimizer.betas, state.optimizer.eps = betas, eps
        return {}

    def noise_scale(step, net, state):
        from learnmech.probes.gradients import per_sample_gradients
        from learnmech.theory.laws.sgd_noise import simple_noise_scale

        grads = per_sample_gradients(net, X, y, loss="ce", chunk=len(X))
        return {"b_noise": simple_noise_scale(grads.double().numpy())}

    history = train(model, data, steps=config.epochs * per_epoch, lr=lr, batch_size=batch,
                    optimizer=optimizer, loss="ce", seed=config.seed,
                    hooks=[adam_settings] + ([noise_scale] if noise else []),
                    record_at=[e * per_epoch for e in range(config.epochs + 1)], progress=False)
    loss = history.series("train_loss")[1]
    loss = np.pad(loss, (0, config.epochs + 1 - len(loss)), constant_values=np.inf)
    return (loss, history.series("b_noise")[1]) if noise else loss


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
    curves, gaps = {}, {}
    b_noise = None
    for opt in ("sgd", "adam"):
        if opt == "adam":
            curves[(opt, 1, "rule")], b_noise = _epoch_curve(config, data, opt, config.batch,
                                                             noise=True, **base[opt])
        else:
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
            gaps[(opt, how)] = {int(k): _curve_gap(curves[(opt, int(k), how)], ref)
                                for k in kappas[1:]}
    judged = judge_adam(config.batch, kappas, gaps, b_noise)
    agreement = judged["ratio"]
    epochs = np.arange(config.epochs + 1)
    panels = []
    ratios = {opt: float(np.mean(list(gaps[(opt, "none")].values()))
                         / max(np.mean(list(gaps[(opt, "rule")].values())), 1e-12))
              for opt in ("sgd", "adam")}
    for opt, title in (("sgd", "SGD, η ∝ B (reported)"),
                       ("adam", "Adam, η ∝ √B, 1−β ∝ B, ε ∝ 1/√B")):
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
    out = summary(ENTRY, agreement, regime=judged["regime"],
                  adam_gap_ratio_judged=agreement, sgd_gap_ratio_reported=ratios["sgd"],
                  adam_gap_ratio_all_batches=ratios["adam"],
                  b_noise_min=float(np.min(b_noise)), b_noise_max=float(np.max(b_noise)),
                  b_noise_first=float(b_noise[0]), b_noise_last=float(b_noise[-1]),
                  batches_judged=",".join(str(b) for b in judged["judged"]) or "none",
                  batches_out_of_regime=",".join(str(b) for b in judged["outside"]) or "none",
                  adam_gap_ratio_by_batch=",".join(
                      f"{config.batch * k}:{gaps[('adam', 'none')][int(k)]:.3g}/"
                      f"{gaps[('adam', 'rule')][int(k)]:.3g}" for k in kappas[1:]),
                  sgd_gap_rule=float(np.mean(list(gaps[("sgd", "rule")].values()))),
                  sgd_gap_none=float(np.mean(list(gaps[("sgd", "none")].values()))),
                  batches=",".join(str(int(config.batch * k)) for k in kappas),
                  epochs=config.epochs)
    rows += [{"optimizer": "adam", "kappa": 1, "epoch": int(e), "metric": "b_noise",
              "value": float(v)} for e, v in enumerate(b_noise)]
    notes = ("Adam's square-root rule is judged only for the batch sizes B ≤ min over the base "
             "run of B_noise/2 (B_noise = tr Σ/‖G‖² from exact per-example gradients each "
             "epoch), where the gradient noise dominates as Malladi et al.'s SDE requires; "
             "larger B are out of regime and their gaps are reported. The SGD half (η ∝ B) is "
             "reported, not judged: at η ≤ 0.16 SGD is near gradient flow, where the linear "
             "rule keeps the flow time per epoch and coincides whatever the noise does.")
    return entry_result(ENTRY, out, metrics=rows, figures={
        "batch_scaling_rules": agreement_figure(panels, ncols=2)}, notes=notes)


def judge_adam(batch: int, kappas, gaps, b_noise) -> dict:
    """Adam's gap ratio (without rule / with rule, mean over the batch sizes judged) over the
    batch sizes B = batch·κ ≤ min(b_noise)/2; ``regime`` names why when none is judged.

    ``gaps[("adam", "rule" | "none")]`` maps κ to the curve gap at B = batch·κ."""
    import numpy as np

    limit = float(np.min(b_noise)) / 2
    judged = [int(batch * k) for k in kappas[1:] if batch * k <= limit]
    outside = [int(batch * k) for k in kappas[1:] if batch * k > limit]
    if not judged:
        return {"ratio": None, "judged": judged, "outside": outside,
                "regime": f"every B > B_noise/2 = {limit:.3g}: gradient noise does not "
                          "dominate, the SDE's regime"}
    rule = np.mean([gaps[("adam", "rule")][b // batch] for b in judged])
    none = np.mean([gaps[("adam", "none")][b // batch] for b in judged])
    return {"ratio": float(none / max(rule, 1e-12)), "judged": judged, "outside": outside,
            "regime": None}


ENTRY = Entry(
    id="batch-scaling-rules", strand="d/B2",
    claim=("Where gradient noise dominates (B ≪ tr Σ/‖G‖²), Adam curves coincide in epochs when "
           "η ∝ √B with 1 − β ∝ B and ε ∝ 1/√B (SGD's η ∝ B reported)."),
    formula=adam_sqrt_scaling,
    measurement="training cross-entropy per epoch of a 1-hidden-layer ReLU MLP (width 128) on "
                "1024 digits, 20 epochs at B = 8, 32, 128, SGD and Adam, with and without the "
                "scaling rule",
    metric="Adam's (gap without rescaling)/(gap with the rule) over the batch sizes with "
           "B ≤ B_noise/2, gap = mean over epochs of |ln L_B(e) − ln L_B₀(e)|",
    tolerance=Tolerance(3.0, float("inf"), "Adam's √B rule shrinks the gap between curves ≥ 3× "
                                           "against no rescaling, for B ≤ B_noise/2"),
    references=("Goyal et al., 2017", "Smith & Le, ICLR 2018",
                "Malladi, Lyu, Panigrahi & Arora, NeurIPS 2022"),
    figure="batch_scaling_rules", config_cls=BatchScalingConfig, run=run_batch_scaling,
    smoke={"size": "quick", "n_train": 64, "epochs": 1, "batch": 4, "width": 8})
