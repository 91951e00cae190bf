"""neurashed.local-elasticity: how far a probe update on x reaches, by class relation, over time.

The probe (:mod:`learnmech.neurashed.elasticity`) applies the x-specific part of one update
with a small step and measures relative similarities |Δ log p_{y'}(x')| / |Δ log p_y(x)| to every
other training example, grouped into same class, same superclass and other superclass.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.neurashed._common import NeurashedConfig, final_mean, run_replicates


class Config(NeurashedConfig):
    probe_step: float = Field(0.01, gt=0.0, le=10.0, description="probing step ε")


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.neurashed.elasticity import RELATIONS

    matrices: dict[tuple[int, int], np.ndarray] = {}

    def extra(step, seed, world, readout, lam):
        from learnmech.neurashed.elasticity import measure_elasticity

        found = measure_elasticity(world, readout, lam, config.train,
                                   probe_step=config.probe_step)
        matrices[step, seed] = found.class_matrix
        rows = [{"metric": "relative_similarity", "relation": name, "value": value}
                for name, value in found.by_relation.items()]
        return rows + [{"metric": "elasticity_ratio", "value": found.ratio}]

    recorder, sim = run_replicates(config, extra=extra)
    steps, ratio = recorder.series("elasticity_ratio")
    mean_ratio = np.nanmean(ratio, axis=0)
    trained = steps > 0  # "at some point of training": the wiring alone sets the ratio at λ0
    measured = np.isfinite(mean_ratio)  # NaN where no probe moved its own example (β·ω tiny)
    chosen = trained & measured if (trained & measured).any() else measured
    candidates = np.flatnonzero(chosen)
    best = int(candidates[np.argmax(mean_ratio[candidates])]) if candidates.size else len(steps) - 1
    summary = {
        "elasticity_ratio_max": float(mean_ratio[best]),
        "elasticity_ratio_max_step": int(steps[best]),
        "elasticity_ratio_at_initialisation": float(mean_ratio[0]),
        "elasticity_ratio_final": float(mean_ratio[-1]),
        "elasticity_verdict": "holds" if mean_ratio[best] >= 3 else "fails",
    }
    for name in RELATIONS:
        summary[f"{name}_similarity_final"] = final_mean(
            recorder, "relative_similarity", relation=name)
    figures = _figures(recorder, matrices, steps, best, sim, config)
    return Result(summary=summary, metrics=recorder.rows, figures=figures, notes=_notes(summary))


def _figures(recorder, matrices, steps, best, sim, config) -> dict:
    import numpy as np

    from learnmech import plots as fig
    from learnmech.neurashed.elasticity import RELATIONS

    ys, labels = [], []
    for name in RELATIONS:
        _, values = recorder.series("relative_similarity", relation=name)
        if np.isfinite(values).any():
            ys.append(values)
            labels.append(name.replace("_", " "))
    if not ys:  # no probe moved its own example (β·ω so small that nothing changes)
        ys, labels = [values], ["(not measurable)"]
    ratio = recorder.series("elasticity_ratio")[1]
    taxonomy = sim.worlds[0].taxonomy
    names = [taxonomy.names[n] for n in taxonomy.class_nodes]
    group = taxonomy.class_group()
    shown = any(bool(np.any(np.asarray(y) > 0)) for y in ys)  # log axes need something > 0
    out = {
        "similarity_by_relation": fig.curves_with_bands(
            np.maximum(steps, 1), ys, labels=labels, xlabel="training step", logx=shown,
            logy=shown,
            ylabel=r"relative similarity $|\Delta \log p(x')| \,/\, |\Delta \log p(x)|$"),
        "elasticity_ratio": fig.curves_with_bands(
            np.maximum(steps, 1), [ratio],
            labels=["same class / other superclass"], xlabel="training step",
            ylabel="relative-similarity ratio",
            logx=bool(np.any(ratio > 0)), logy=bool(np.any(ratio > 0)),
            hlines={"verdict threshold: 3": 3.0}),
    }
    for label, index in (("at_max_ratio", best), ("final", len(steps) - 1)):
        mean = np.nanmean([matrices[steps[index], s] for s in range(config.seeds)], axis=0)
        out[f"class_matrix_{label}"] = fig.elasticity_matrix(
            mean, class_labels=names, superclass_of=group,
            title=f"mean relative similarity, step {steps[index]}")
    return out


def _notes(summary) -> str:
    return (
        f"Same-class over other-superclass relative similarity peaks at "
        f"{summary['elasticity_ratio_max']:.1f} (step {summary['elasticity_ratio_max_step']}) and "
        f"ends at {summary['elasticity_ratio_final']:.1f} (at λ = λ0, before any step, the wiring "
        f"alone gives {summary['elasticity_ratio_at_initialisation']:.1f}): an update on one "
        "example moves its own "
        "class far more than others, because the features it reinforces are shared mostly "
        "within the class (class features) and its superclass (ancestor features)."
    )


EXPERIMENT = Experiment(
    id="neurashed.local-elasticity",
    description="neurashed: relative similarity of probe updates by class relation over training",
    config_cls=Config,
    run=run,
    references=(
        "Su, Neurashed: a phenomenological model for imitating deep learning training, "
        "arXiv 2112.09741 (2021)",
        "He & Su, The local elasticity of neural networks, ICLR 2020 (arXiv 1910.06943)",
    ),
    smoke={"seeds": 2, "train.steps": 2000, "train.records": 8, "world.pool": 200,
           "world.examples_per_class": 6},
)
