"""network.forgetting: train on classes A, then only on classes B; watch A fade (class-incremental).

Phase 1 trains an MLP (output layer over all classes) on the training examples of A (the first
half of the classes), phase 2 only on B (:func:`learnmech.nets.sequential_tasks`, a fresh SGD
optimiser per phase). Test accuracy on A's classes is recorded through phase 2 on a log
schedule. The sweep is over weight decay wd, the network's counterpart of neurashed's
compression γ: an SGD step with weight decay shrinks every weight by (1 − η wd), as neurashed
shrinks every volume by (1 − ηγ). Half-life = phase-2 step at which A's mean accuracy is
halfway from its start to its end (log-interpolated, as in neurashed.forgetting).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from learnmech.core.fitting import log_slope
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.rows import with_columns
from learnmech.core.seeding import replicate_seed
from learnmech.experiments.network._common import (
    DataSection,
    NetworkConfig,
    TrainSection,
    Width,
    load,
)

DecayRate = Annotated[float, Field(ge=0.0, le=10.0)]


class Config(NetworkConfig):
    data: DataSection = Field(default_factory=lambda: DataSection(n_train=1000),
                              description="the data set")
    train: TrainSection = Field(default_factory=lambda: TrainSection(steps=1500, lr=0.05),
                                description="the optimiser (train.steps = steps of each phase)")
    width: Width = Field(256, description="hidden width (in [1, 65536])")
    weight_decays: tuple[DecayRate, ...] = Field(
        (0.0, 0.01, 0.03, 0.1), min_length=1,
        description="weight decays swept (each in [0, 10]); the first is the headline")


def run(config: Config) -> Result:
    from learnmech.core.progress import bar

    rows = []
    for wd, rep in bar([(w, r) for w in config.weight_decays for r in range(config.seeds)],
                       desc="forgetting sweep", unit="run"):
        rows += with_columns(_two_phases(config, wd, rep), weight_decay=wd, seed=rep)
    curves = {wd: _curves(rows, wd) for wd in config.weight_decays}
    summary = _summary(config, curves)
    return Result(summary=summary, metrics=rows, figures=_figures(config, curves),
                  notes=_notes(summary))


def class_split(n_classes: int):
    """(A, B): the first ⌈K/2⌉ classes and the rest (as neurashed.forgetting)."""
    first = (n_classes + 1) // 2
    return list(range(first)), list(range(first, n_classes))


def _two_phases(config: Config, wd: float, rep: int) -> list[dict]:
    from learnmech.nets import mlp, sequential_tasks

    seed = replicate_seed(config.seed, rep)
    data = load(config, rep)
    model = mlp(data.input_dim, [config.width], data.num_classes,
                activation=config.activation, seed=seed)
    t = config.train
    history = sequential_tasks(
        model, data, class_split(data.num_classes), steps_per_task=t.steps,
        record_points=t.records, lr=t.lr, batch_size=t.batch_size, optimizer=t.optimizer,
        momentum=t.momentum, weight_decay=wd, device=t.device, progress=False, seed=seed)
    return history.rows


def _curves(rows, wd):
    """{"acc_A": (steps (T,), (S, T)), "acc_B": ...} over phase 2, step 0 = end of phase 1."""
    import numpy as np

    chosen = [r for r in rows if r["weight_decay"] == wd and r["metric"] == "task_acc"]
    out = {}
    for name, task in (("acc_A", 0), ("acc_B", 1)):
        end1 = {r["seed"]: r["value"] for r in chosen if r["task"] == task and r["phase"] == 0
                and r["step"] == max(x["step"] for x in chosen if x["phase"] == 0)}
        late = [r for r in chosen if r["task"] == task and r["phase"] == 1 and r["step"] > 0]
        steps = np.array(sorted({0, *(r["step"] for r in late)}))
        seeds = sorted(end1)
        values = np.full((len(seeds), len(steps)), np.nan)
        for i, s in enumerate(seeds):
            values[i, 0] = end1[s]
        at = {s: i for i, s in enumerate(steps)}
        for r in late:
            values[seeds.index(r["seed"]), at[r["step"]]] = r["value"]
        out[name] = (steps, values)
    return out


def half_life(steps, values) -> float | None:
    """Phase-2 step at which A's mean accuracy is halfway between its start and end."""
    import numpy as np

    from learnmech.experiments.neurashed._common import crossing_time

    mean = np.nanmean(values, axis=0)
    if mean[0] - mean[-1] < 0.05:
        return None
    return crossing_time(steps, values, 0.5 * (mean[0] + mean[-1]))


def _summary(config: Config, curves) -> dict:
    import numpy as np

    head = curves[config.weight_decays[0]]
    summary = {
        "headline_weight_decay": config.weight_decays[0],
        "phase_steps": config.train.steps,
        "acc_A_end_of_phase1": float(np.nanmean(head["acc_A"][1][:, 0])),
        "acc_A_final": float(np.nanmean(head["acc_A"][1][:, -1])),
        "acc_B_final": float(np.nanmean(head["acc_B"][1][:, -1])),
    }
    lives = {}
    for wd, found in curves.items():
        lives[wd] = half_life(*found["acc_A"])
        summary[f"half_life_weight_decay_{wd:g}"] = lives[wd]
        summary[f"acc_A_final_weight_decay_{wd:g}"] = float(np.nanmean(found["acc_A"][1][:, -1]))
    positive = [wd for wd in lives if wd > 0]
    summary["half_life_slope_vs_weight_decay"] = log_slope(positive, [lives[w] for w in positive])
    forgotten = summary["acc_A_end_of_phase1"] - summary["acc_A_final"] >= 0.2
    summary["old_classes_forgotten_verdict"] = "holds" if forgotten else "fails"
    return summary


def _figures(config: Config, curves) -> dict:
    import numpy as np

    from learnmech import plots as fig

    steps = next(iter(curves.values()))["acc_A"][0]
    out = {"forgetting_by_weight_decay": fig.curves_with_bands(
        np.maximum(steps, 1), [c["acc_A"][1] for c in curves.values()],
        labels=[f"wd = {w:g}" for w in curves], xlabel="phase-2 step (training on B only)",
        ylabel="test accuracy on A's classes")}
    head = curves[config.weight_decays[0]]
    out["A_and_B"] = fig.curves_with_bands(
        np.maximum(steps, 1), [head["acc_A"][1], head["acc_B"][1]],
        labels=["A (old classes)", "B (new classes)"], xlabel="phase-2 step",
        ylabel="test accuracy", title=f"wd = {config.weight_decays[0]:g}")
    return out


def _notes(summary) -> str:
    slope = summary["half_life_slope_vs_weight_decay"]
    return (
        f"Accuracy on the old classes A falls from {summary['acc_A_end_of_phase1']:.2f} to "
        f"{summary['acc_A_final']:.2f} while training on B (B ends at "
        f"{summary['acc_B_final']:.2f}). Against weight decay, A's accuracy half-life scales "
        "with log-slope " + ("n/a" if slope is None else f"{slope:.2f}") + "."
    )


EXPERIMENT = Experiment(
    id="network.forgetting",
    description="network: train on classes A then only on B; A is forgotten (weight-decay sweep)",
    config_cls=Config,
    run=run,
    references=(
        "McCloskey & Cohen, Catastrophic interference in connectionist networks, Psychology "
        "of Learning and Motivation 24, 1989",
    ),
    smoke={"seeds": 1, "width": 64, "train.steps": 150, "train.records": 6,
           "weight_decays": (0.0, 0.1), "data.n_train": 200, "data.n_test": 100},
)
