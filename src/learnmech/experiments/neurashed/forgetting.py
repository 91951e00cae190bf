"""neurashed.forgetting: train on classes A, then only on classes B; watch A fade.

Phase 1 draws mini-batches from the training examples of A (the first half of the classes);
phase 2 only from B. In phase 2, A's class features are never reinforced and shrink by
(1 − ηγ) per step (less the rare reinforcement when they turn up in a B example, probability
δ): the rate of forgetting is set by γ. Accuracy itself falls when A's shrinking class features
are overtaken by B's features, whose size also depends on γ, so its half-life need not scale as
1/γ; both are measured. The ancestor (superclass) features that A shares with B keep being
reinforced and hold A's examples in their superclass.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from learnmech.core.fitting import log_slope
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.neurashed._common import (
    NeurashedConfig,
    PositiveRate,
    crossing_time,
    replicate_seeds,
    updated,
)
from learnmech.neurashed.spec import check_shrink_positive

SLOPE_TOLERANCE = 0.3  # on the log-slope of the accuracy half-life against γ
RATE_TOLERANCE = 0.2  # relative, on A's class-volume decay rate against −log(1 − ηγ)
PROTECTION_MARGIN = 0.2  # A's final superclass accuracy must beat its chance level by this


class Config(NeurashedConfig):
    gammas: tuple[PositiveRate, ...] = Field(
        (2.5e-3, 5e-3, 1e-2), min_length=1,
        description="compression rates γ swept (each in (0, 1))")
    phase_steps: int = Field(10000, ge=1, le=10**9, description="steps of each phase")

    @model_validator(mode="after")
    def _check_shrink(self) -> Config:
        check_shrink_positive("gammas", self.gammas, "train.eta", self.train.eta)
        return self


def run(config: Config) -> Result:
    from learnmech.core.progress import bar

    rows, curves = [], {}
    for gamma in bar(config.gammas, desc="forgetting sweep"):
        train = updated(config.train, gamma=gamma)
        found, curves[gamma] = _two_phases(config, train)
        rows += [{**r, "gamma": gamma} for r in found]
    summary = _summary(curves, config)
    return Result(summary=summary, metrics=rows, figures=_figures(curves, config),
                  notes=_notes(summary))


def class_split(n_classes: int):
    """(A, B): the first ⌈K/2⌉ classes and the rest."""
    import numpy as np

    first = (n_classes + 1) // 2
    return np.arange(first), np.arange(first, n_classes)


def _two_phases(config: Config, train):
    """Rows and {metric: (steps (T,), values (S, T))} of one γ, phase 2 starting at 0."""
    import numpy as np

    from learnmech.neurashed.dynamics import record_schedule, start
    from learnmech.neurashed.world import make_world

    seeds = replicate_seeds(config.seed, config.seeds)
    worlds = [make_world(config.world, seed=w) for w, _ in seeds]
    sim = start(worlds, train)
    a, b = class_split(worlds[0].n_classes)
    pools = [[np.flatnonzero(np.isin(w.train.labels, part)) for w in worlds] for part in (a, b)]
    schedule = record_schedule(config.phase_steps, max(train.records, 80))
    rows = []
    for phase, pool in enumerate(pools):
        done = 0
        for target in schedule:
            if target > done:
                picks = [rng.integers(0, len(p), size=(target - done) * train.batch)
                         for (_, rng), p in zip(seeds, pool, strict=True)]
                sim.advance(np.stack([p[i] for p, i in zip(pool, picks, strict=True)]))
                done = target
            if (phase == 1 and target > 0) or (phase == 0 and target == schedule[-1]):
                rows += _measure(sim, a, b, step=int(target) if phase else 0)  # end of phase 1 = 0
    steps = np.array(sorted({r["step"] for r in rows}))
    curves = {}
    for metric in ("acc_A", "superclass_acc_A", "acc_B", "class_volume_A"):  # (S, T) each
        values = np.array([[r["value"] for r in rows if r["metric"] == metric and r["seed"] == s]
                           for s in range(config.seeds)])
        curves[metric] = (steps, values)
    curves["superclass_chance"] = superclass_chance(worlds[0].taxonomy, a, b)
    return rows, curves


def superclass_chance(taxonomy, a, b) -> float:
    """Share of B's classes in the superclass of an A class, averaged over A's classes."""
    import numpy as np

    group = taxonomy.class_group()
    return float(np.mean([np.mean(group[b] == group[k]) for k in a]))


def _measure(sim, a, b, step):
    """Test accuracy on A and B, and A's superclass accuracy, for every replicate."""
    import numpy as np

    rows = []
    for seed, (world, readout) in enumerate(zip(sim.worlds, sim.readouts, strict=True)):
        lam = sim.amplitudes[seed]
        pred = readout.log_probs(world.test.to_sparse(world.n_features), lam).argmax(axis=1)
        truth = world.test.true_labels
        group = world.taxonomy.class_group()
        in_a, in_b = np.isin(truth, a), np.isin(truth, b)
        owned_by_a = np.isin(world.owner, world.taxonomy.class_nodes[a])
        values = {
            "class_volume_A": lam[owned_by_a].sum(),
            "acc_A": np.mean(pred[in_a] == truth[in_a]),
            "superclass_acc_A": np.mean(group[pred[in_a]] == group[truth[in_a]]),
            "acc_B": np.mean(pred[in_b] == truth[in_b]),
        }
        rows += [{"step": step, "seed": seed, "metric": k, "value": float(v)}
                 for k, v in values.items()]
    return rows


def decay_rate(steps, values, start: int) -> float:
    """−d log(volume)/d step fitted over records from ``start`` on (replicate mean)."""
    import numpy as np

    late = steps >= start
    return float(-np.polyfit(steps[late], np.log(values.mean(axis=0)[late]), 1)[0])


def half_life(steps, values) -> float | None:
    """Phase-2 step at which A's mean accuracy is halfway from its start to its end."""
    mean = values.mean(axis=0)
    if mean[0] - mean[-1] < 0.05:
        return None  # nothing forgotten
    return crossing_time(steps, values, 0.5 * (mean[0] + mean[-1]))


def _summary(curves, config: Config) -> dict:
    import numpy as np

    summary, lives, rate_ratios = {}, {}, []
    for gamma, found in curves.items():
        life = half_life(*found["acc_A"])
        lives[gamma] = life
        summary[f"half_life_gamma_{gamma:g}"] = life
        rate = decay_rate(*found["class_volume_A"], start=config.phase_steps // 10)
        predicted = -np.log1p(-config.train.eta * gamma)
        summary[f"class_volume_decay_rate_gamma_{gamma:g}"] = rate
        summary[f"class_volume_decay_rate_gamma_{gamma:g}_predicted"] = predicted
        rate_ratios.append(rate / predicted)
    summary["decay_rate_over_predicted_min"] = min(rate_ratios)
    summary["decay_rate_over_predicted_max"] = max(rate_ratios)
    within = all(abs(r - 1) <= RATE_TOLERANCE for r in rate_ratios)
    summary["rate_set_by_gamma_verdict"] = "holds" if within else "fails"
    gamma = config.train.gamma if config.train.gamma in curves else config.gammas[0]
    head = curves[gamma]
    summary.update({
        "acc_A_end_of_phase1": float(head["acc_A"][1][:, 0].mean()),
        "acc_A_final": float(head["acc_A"][1][:, -1].mean()),
        "superclass_acc_A_final": float(head["superclass_acc_A"][1][:, -1].mean()),
        "acc_B_final": float(head["acc_B"][1][:, -1].mean()),
    })
    slope = log_slope(list(lives), list(lives.values()))
    summary["half_life_slope_vs_gamma"] = slope
    summary["half_life_slope_predicted"] = -1.0
    summary["half_life_slope_tolerance"] = SLOPE_TOLERANCE
    ok = slope is not None and abs(slope + 1) <= SLOPE_TOLERANCE
    summary["accuracy_half_life_inverse_gamma_verdict"] = "holds" if ok else "fails"
    # chance: A's superclass accuracy if its examples went to B's classes uniformly at random
    summary["superclass_acc_A_chance"] = head["superclass_chance"]
    protected = summary["superclass_acc_A_final"] >= head["superclass_chance"] + PROTECTION_MARGIN
    summary["ancestors_protect_verdict"] = "holds" if protected else "fails"
    return summary


def _figures(curves, config: Config) -> dict:
    import numpy as np

    from learnmech import plots as fig

    out = {}
    steps = next(iter(curves.values()))["acc_A"][0]
    out["forgetting_by_gamma"] = fig.curves_with_bands(
        np.maximum(steps, 1), [c["acc_A"][1] for c in curves.values()],
        labels=[f"γ = {g:g}" for g in curves], xlabel="phase-2 step (training on B only)",
        ylabel="test accuracy on A (class)")
    gamma = config.train.gamma if config.train.gamma in curves else config.gammas[0]
    head = curves[gamma]
    out["class_vs_superclass"] = fig.curves_with_bands(
        np.maximum(steps, 1), [head["acc_A"][1], head["superclass_acc_A"][1], head["acc_B"][1]],
        labels=["A: class", "A: superclass", "B: class"], xlabel="phase-2 step",
        ylabel="test accuracy", title=f"γ = {gamma:g}")
    return out


def _half_life_sentence(summary) -> str:
    slope = summary["half_life_slope_vs_gamma"]
    if slope is None:
        return "The accuracy half-life needs at least two γ with forgetting to give a slope."
    if summary["accuracy_half_life_inverse_gamma_verdict"] == "holds":
        return f"The accuracy half-life scales as 1/γ (log-slope {slope:.2f})."
    return (f"The accuracy half-life scales with γ with log-slope {slope:.2f}, not −1: accuracy "
            "falls when B's features overtake A's, and their size depends on γ too.")


def _notes(summary) -> str:
    return (
        f"A's accuracy falls from {summary['acc_A_end_of_phase1']:.2f} to "
        f"{summary['acc_A_final']:.2f} while training on B; its superclass accuracy ends at "
        f"{summary['superclass_acc_A_final']:.2f} against a chance level of "
        f"{summary['superclass_acc_A_chance']:.2f} (A's examples sent to B's classes at random): "
        "the shared ancestor features keep A's examples in the right superclass. A's class "
        "volume decays at "
        f"{summary['decay_rate_over_predicted_min']:.2f}–{summary['decay_rate_over_predicted_max']:.2f}"
        f" times the predicted rate −log(1 − ηγ). {_half_life_sentence(summary)}"
    )


EXPERIMENT = Experiment(
    id="neurashed.forgetting",
    description="neurashed: train on classes A then B; A decays at a rate set by γ",
    config_cls=Config,
    run=run,
    references=(
        "Su, Neurashed: a phenomenological model for imitating deep learning training, "
        "arXiv 2112.09741 (2021)",
        "McCloskey & Cohen, Catastrophic interference in connectionist networks, Psychology "
        "of Learning and Motivation 24, 1989",
    ),
    smoke={"seeds": 2, "phase_steps": 2000, "train.records": 8, "world.pool": 200,
           "world.examples_per_class": 8, "gammas": (5e-3, 1e-2)},
)
