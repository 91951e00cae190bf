"""lesde.local-elasticity: the network's LE-SDE impacts (α̂, β̂) and the SDE's prediction.

The LE-SDE lens of ``learnmech compare local-elasticity``. It runs the measurement of
``lesde.imitation`` (pooled batch-size-1 LeNet logs, the fitted impacts, the LE-ODE's
imitation; same keys and defaults) and adds the LE-SDE's reading of the fitted impacts:

* ``alpha_minus_beta_hat_mean`` — mean α̂ − β̂ per step (> 0: locally elastic);
* ``difference_end`` — Â − B̂ at the end, since the reference step;
* ``sde_predicts_separation`` — the SDE's separation condition A − B → ∞ read from the fit:
  Â − B̂ > 0 and its tail index r̂ <= 1 (None out of regime);
* ``network_separated`` — the pooled class means' separation coordinate s̄ grew by >= 10 %
  after t0;
* ``sde_separation_agreement`` — agree / disagree / undecided between the two.

With neurashed's class impact in ``compare``, the three stand on one page (docs/lesde.md).
"""

from __future__ import annotations

from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.lesde.imitation import Config

__all__ = ["EXPERIMENT", "Config", "run"]


def run(config: Config) -> Result:
    from learnmech.experiments.lesde._compare import local_elasticity_figure, local_elasticity_side
    from learnmech.experiments.lesde.imitation import _notes, measure

    measured = measure(config)
    summary = dict(measured["summary"])
    side = local_elasticity_side(None, summary)
    a, b = summary["alpha_hat_mean"], summary["beta_hat_mean"]
    summary.update({
        "alpha_minus_beta_hat_mean": None if a is None or b is None else a - b,
        "difference_end": side["network_difference_end"],
        "sde_predicts_separation": side["sde_predicts_separation_network"],
        "network_separated": side["network_separated"],
        "sde_separation_agreement": side["sde_network_separation_verdict"],
    })
    figures = dict(measured["figures"])
    figures["impacts_and_prediction"] = local_elasticity_figure(side)
    verdict = summary["sde_separation_agreement"]
    notes = _notes(summary) + (
        f" The SDE's separation condition from the fitted impacts (Â − B̂ > 0 and r̂ <= 1): "
        f"{summary['sde_predicts_separation']}; the network's classes separated: "
        f"{summary['network_separated']} ({verdict}).")
    return Result(summary=summary, metrics=measured["rows"], figures=figures, notes=notes)


EXPERIMENT = Experiment(
    id="lesde.local-elasticity",
    description="LE-SDE lens of local elasticity: the network's fitted impacts α̂, β̂ and the "
                "SDE's separation prediction",
    config_cls=Config,
    run=run,
    references=(
        "Zhang, Wang & Su, Imitating deep learning dynamics via locally elastic stochastic "
        "differential equations, NeurIPS 2021 (arXiv 2110.05960)",
        "He & Su, The local elasticity of neural networks, ICLR 2020 (arXiv 1910.06943)",
    ),
    smoke={"seeds": 3, "train.steps": 400, "train.evals": 2, "train.workers": 1,
           "data.n_per_class": 20, "data.n_test_per_class": 10, "z": 3.0},
)
