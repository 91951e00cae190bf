"""sharpness-reparametrisation (B3): sharpness is not invariant under reparametrisation.

A consistency check, not a prediction: the function is unchanged and the Hessian blocks scale
as c^∓2 by ReLU's positive homogeneity, an identity (it holds after one training step as after
three hundred). The entry checks the Hessian code and the measurement against that identity;
it is tallied apart from the predictions in the scorecard (``kind="consistency check"``).

Conventions: the network lens's mean cross-entropy; sharpness = top eigenvalue of the Hessian of
that mean loss with respect to all parameters (:func:`learnmech.probes.curvature.
top_hessian_eigenvalues`, Lanczos). The rescaling of a 1-hidden-layer ReLU net
W₁ → cW₁, b₁ → cb₁, W₂ → W₂/c (c > 0) leaves the function unchanged (ReLU is positively
homogeneous) while the Hessian blocks scale as H₁₁/c², H₂₂ c², H₁₂ unchanged.
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
from learnmech.theory.laws.curvature import rescaled_sharpness


class ReparametrisationConfig(MechanicsConfig):
    """A ReLU net trained briefly on digits, then rescaled layer-wise by c."""

    width: int = Field(32, ge=2, le=1024, description="hidden width")
    n_train: int = Field(512, ge=20, le=1797, description="training digits")
    steps: int = Field(300, ge=1, le=100_000, description="SGD steps before rescaling")
    scale_max: float = Field(16.0, gt=1.0, le=1000.0,
                             description="largest c (and 1/c the smallest) of the sweep")


def _rescaled(model, c: float):
    """A copy with W₁, b₁ multiplied by c and W₂ divided by c (same function)."""
    import copy

    import torch

    out = copy.deepcopy(model)
    with torch.no_grad():
        out[0].weight.mul_(c)
        out[0].bias.mul_(c)
        out[2].weight.div_(c)
    return out


def _block_tops(model, X, y):
    """(top eigenvalue of H₁₁, of H₂₂): Lanczos on each layer's Hessian block (W and b)."""
    from learnmech.probes.curvature import top_hessian_eigenvalues

    names = [name for name, _ in model.named_parameters()]  # W₁, b₁, W₂, b₂ in order
    return [float(top_hessian_eigenvalues(model, X, y, k=1, iters=40, tol=1e-4,
                                          params=block)[0])
            for block in (names[:2], names[2:])]


def run_reparametrisation(config: ReparametrisationConfig) -> Result:
    import numpy as np
    import torch

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.nets import evaluate, load_dataset, loss_function, mlp, train
    from learnmech.probes.curvature import top_hessian_eigenvalues

    quick = config.size == "quick"
    data = load_dataset("digits", n_train=config.n_train, n_test=300, seed=config.seed)
    model = mlp(data.input_dim, [config.width], data.num_classes, seed=config.seed)
    train(model, data, steps=config.steps, lr=0.1, batch_size=64, seed=config.seed,
          record_at=[config.steps], progress=False)
    X, y, Xte, yte = data.to_torch()
    loss_fn = loss_function("ce", data.num_classes)
    count = 3 if quick else 5
    big = np.geomspace(config.scale_max / 4, config.scale_max, count)
    scales = np.concatenate([1 / big[::-1], [1.0], big])
    sharp, test_loss = [], []
    for c in scales:
        net = _rescaled(model, float(c))
        top = top_hessian_eigenvalues(net, X, y, loss="ce", k=1, iters=60, tol=1e-5,
                                      seed=config.seed)
        sharp.append(float(top[0]))
        with torch.no_grad():
            test_loss.append(evaluate(net, Xte, yte, loss_fn, classification=True)["loss"])
    sharp, test_loss = np.array(sharp), np.array(test_loss)
    h11, h22 = _block_tops(model, X, y)
    predicted = rescaled_sharpness(scales, h11, h22)
    up = scales >= big[0]
    down = scales <= 1 / big[0]
    slope_up = float(np.polyfit(np.log(scales[up]), np.log(sharp[up]), 1)[0])
    slope_down = float(np.polyfit(np.log(scales[down]), np.log(sharp[down]), 1)[0])
    ratios = np.array([slope_up / 2.0, -slope_down / 2.0])
    worst = float(ratios[np.argmax(np.abs(np.log(np.abs(ratios))))])
    loss_spread = float(np.max(np.abs(test_loss - test_loss[count])) / test_loss[count])
    fine = np.geomspace(scales[0], scales[-1], 200)
    panels = [
        Panel([Series(scales, sharp, "sharpness of the rescaled net", color=0),
               Series(fine, rescaled_sharpness(fine, h11, h22),
                      "max(c² λ(H₂₂), λ(H₁₁)/c²)", kind="predicted", color=0)],
              "rescaling c", "top Hessian eigenvalue", logx=True, logy=True,
              title="same function, different sharpness"),
        Panel([Series(scales, test_loss, "test loss", color=1)], "rescaling c", "test loss",
              logx=True, title=f"max relative change {loss_spread:.1e}"),
    ]
    rows = [{"scale": float(c), "metric": m, "value": float(v)} for i, c in enumerate(scales)
            for m, v in (("sharpness", sharp[i]), ("sharpness_predicted", predicted[i]),
                         ("test_loss", test_loss[i]))]
    out = summary(ENTRY, worst, conditions={"same_test_loss": loss_spread < 1e-4},
                  slope_large_c=slope_up, slope_small_c=slope_down,
                  test_loss_relative_change=loss_spread, sharpness_c1=float(sharp[count]))
    notes = ("A consistency check (ReLU homogeneity makes it an identity), not a prediction. "
             "Tolerance: slopes within 10 % of ±2 — this catalogue's threshold; the spec says "
             "only 'ratio ≈ c^±2'. Identical test loss means relative change < 1e-4 "
             "(float32 arithmetic).")
    return entry_result(ENTRY, out, metrics=rows, figures={
        "sharpness_reparametrisation": agreement_figure(panels, ncols=2)}, notes=notes)


ENTRY = Entry(
    id="sharpness-reparametrisation", strand="B3",
    claim=("Rescaling W₁ → cW₁, W₂ → W₂/c in a ReLU net keeps the function but changes the "
           "sharpness like c^±2."),
    formula=rescaled_sharpness,
    measurement="top Hessian eigenvalue and test loss of a digits ReLU net rescaled by "
                "c from 1/16 to 16",
    metric="log-log slope of sharpness against c at large c over 2 (and at small c over −2), "
           "the one farthest from 1",
    tolerance=Tolerance(0.9, 1.1, "slope within 10 % of ±2; identical test loss"),
    references=("Dinh, Pascanu, Bengio & Bengio, ICML 2017",),
    figure="sharpness_reparametrisation", config_cls=ReparametrisationConfig,
    run=run_reparametrisation, smoke={"size": "quick", "steps": 20, "n_train": 100},
    kind="consistency check")
