"""network.label-noise: a real network fits clean labels first and flipped labels later.

A share ε of the training labels is moved to a uniformly drawn other class
(:func:`learnmech.nets.flip_labels`); an MLP is trained by SGD without explicit regularisation
(and, as the counterpart of neurashed's compression γ, once more with weight decay). Recorded
over training: accuracy on the clean training examples, accuracy of the flipped examples on
their *flipped* label (memorisation) and on their *original* label (the network's own
"correction"), and test accuracy. Step to fit = first recorded step at which the replicate mean
reaches 90% (same level as neurashed.label-noise).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.rows import with_columns
from learnmech.core.seeding import replicate_seed
from learnmech.core.types import Rate
from learnmech.experiments.network._common import (
    DataSection,
    NetworkConfig,
    TrainSection,
    Width,
    first_step_at,
    load,
    mean_series,
    train_kwargs,
)

FIT_LEVEL = 0.9


class Config(NetworkConfig):
    data: DataSection = Field(default_factory=lambda: DataSection(n_train=500),
                              description="the data set")
    train: TrainSection = Field(default_factory=lambda: TrainSection(steps=6000, lr=0.1),
                                description="the optimiser")
    width: Width = Field(512, description="hidden width (in [1, 65536])")
    depth: int = Field(2, ge=1, le=8, description="hidden layers")
    noise_levels: tuple[Rate, ...] = Field(
        (0.0, 0.2, 0.4), min_length=1, description="label-noise rates ε swept (each in [0, 1))")
    headline_noise: float = Field(0.2, gt=0.0, lt=1.0, description="ε of the headline numbers")
    compression_weight_decay: float = Field(
        5e-3, gt=0.0, le=10.0,
        description="weight decay of the 'with compression' run at the headline ε")


def run(config: Config) -> Result:
    from learnmech.core.progress import bar

    levels = sorted(set(config.noise_levels) | {config.headline_noise})
    runs = [(eps, 0.0) for eps in levels] + [(config.headline_noise,
                                              config.compression_weight_decay)]
    rows = []
    for eps, wd, rep in bar([(e, w, r) for e, w in runs for r in range(config.seeds)],
                            desc="label-noise sweep", unit="run"):
        rows += with_columns(_one_run(config, eps, wd, rep), label_noise=eps, weight_decay=wd,
                       seed=rep)
    summary = _summary(config, rows, levels)
    return Result(summary=summary, metrics=rows, figures=_figures(config, rows, levels),
                  notes=_notes(summary))


def _one_run(config: Config, eps: float, wd: float, rep: int) -> list[dict]:
    from learnmech.nets import log_schedule, mlp, train

    seed = replicate_seed(config.seed, rep)
    data = load(config, rep)
    model = mlp(data.input_dim, [config.width] * config.depth, data.num_classes,
                activation=config.activation, seed=seed)
    history = train(model, data, seed=seed, label_noise=eps,
                    record_at=log_schedule(config.train.steps, config.train.records),
                    **train_kwargs(config, weight_decay=wd))
    return history.rows


def _select(rows, eps, wd):
    return [r for r in rows if r["label_noise"] == eps and r["weight_decay"] == wd]


def _summary(config: Config, rows, levels) -> dict:
    import numpy as np

    eps, wd = config.headline_noise, config.compression_weight_decay
    head, compressed = _select(rows, eps, 0.0), _select(rows, eps, wd)
    steps, clean = mean_series(head, "train_acc_clean")
    _, flipped = mean_series(head, "train_acc_flipped")
    _, true = mean_series(head, "flipped_true_acc")
    _, test = mean_series(head, "test_acc")
    test_mean = np.nanmean(test, axis=0)
    peak = int(np.nanargmax(test_mean))
    clean_step = first_step_at(steps, clean, FIT_LEVEL)
    noisy_step = first_step_at(steps, flipped, FIT_LEVEL)
    summary = {
        "headline_label_noise": eps,
        "total_steps": config.train.steps,
        "steps_to_fit_clean": clean_step,
        "steps_to_fit_noisy": noisy_step,
        "flipped_fit_max": float(np.nanmax(np.nanmean(flipped, axis=0))),
        "flipped_fit_final": float(np.nanmean(flipped[:, -1])),
        "clean_fit_final": float(np.nanmean(clean[:, -1])),
        "flipped_true_label_acc_max": float(np.nanmax(np.nanmean(true, axis=0))),
        "flipped_true_label_acc_final": float(np.nanmean(true[:, -1])),
        "test_acc_max": float(test_mean[peak]),
        "test_acc_max_step": int(steps[peak]),
        "test_acc_final": float(test_mean[-1]),
        "test_acc_drop_from_peak": float(test_mean[peak] - test_mean[-1]),
    }
    _, flipped_wd = mean_series(compressed, "train_acc_flipped")
    _, test_wd = mean_series(compressed, "test_acc")
    summary["weight_decay"] = wd
    summary["flipped_fit_final_weight_decay"] = float(np.nanmean(flipped_wd[:, -1]))
    summary["test_acc_final_weight_decay"] = float(np.nanmean(test_wd[:, -1]))
    summary["steps_to_fit_noisy_weight_decay"] = first_step_at(
        mean_series(compressed, "train_acc_clean")[0], flipped_wd, FIT_LEVEL)
    for level in levels:
        _, t = mean_series(_select(rows, level, 0.0), "test_acc")
        summary[f"test_acc_final_noise_{level:g}"] = float(np.nanmean(t[:, -1]))
    first = clean_step is not None and (noisy_step is None or clean_step < noisy_step)
    summary["clean_first_verdict"] = "holds" if first else "fails"
    limited = summary["flipped_fit_final_weight_decay"] < summary["flipped_fit_final"]
    summary["weight_decay_limits_memorisation_verdict"] = "holds" if limited else "fails"
    return summary


def _figures(config: Config, rows, levels) -> dict:
    import numpy as np

    from learnmech import plots as fig

    eps = config.headline_noise
    out = {}
    for wd, label in ((0.0, "no weight decay"),
                      (config.compression_weight_decay,
                       f"weight decay {config.compression_weight_decay:g}")):
        chosen = _select(rows, eps, wd)
        steps, clean = mean_series(chosen, "train_acc_clean")
        ys = [clean] + [mean_series(chosen, m)[1] for m in
                        ("train_acc_flipped", "flipped_true_acc", "test_acc")]
        out[f"fit_over_training_wd_{wd:g}"] = fig.curves_with_bands(
            np.maximum(steps, 1), ys,
            labels=["clean train examples", "flipped examples (their flipped label)",
                    "flipped examples (their original label)", "test accuracy"],
            xlabel="training step", ylabel="share correct", title=f"ε = {eps:g}, {label}",
            hlines={"90% fit": FIT_LEVEL})
    finals = [float(np.nanmean(mean_series(_select(rows, e, 0.0), "test_acc")[1][:, -1]))
              for e in levels]
    peaks = [float(np.nanmax(np.nanmean(mean_series(_select(rows, e, 0.0), "test_acc")[1], 0)))
             for e in levels]
    out["test_vs_noise"] = fig.sweep_plot(
        levels, [peaks, finals], labels=["best test accuracy during training",
                                         "final test accuracy"],
        xlabel="label noise ε", ylabel="test accuracy")
    return out


def _notes(summary) -> str:
    noisy = summary["steps_to_fit_noisy"]
    return (
        f"At ε = {summary['headline_label_noise']:g}, 90% of the clean training examples are "
        f"fit by step {summary['steps_to_fit_clean']}; the flipped ones "
        + ("never reach 90%" if noisy is None else f"by step {noisy}")
        + f" (of {summary['total_steps']}). Early on, flipped examples are predicted with "
        f"their original label up to {summary['flipped_true_label_acc_max']:.2f} of the time. "
        f"Test accuracy peaks at {summary['test_acc_max']:.3f} (step "
        f"{summary['test_acc_max_step']}) and ends at {summary['test_acc_final']:.3f}. With "
        f"weight decay {summary['weight_decay']:g} the flipped fit ends at "
        f"{summary['flipped_fit_final_weight_decay']:.2f} against "
        f"{summary['flipped_fit_final']:.2f} without."
    )


EXPERIMENT = Experiment(
    id="network.label-noise",
    description="network: clean labels are fit first, flipped labels later (memorisation)",
    config_cls=Config,
    run=run,
    references=(
        "Arpit et al., A closer look at memorization in deep networks, ICML 2017",
        "Zhang, Bengio, Hardt, Recht & Vinyals, Understanding deep learning requires "
        "rethinking generalization, ICLR 2017",
    ),
    smoke={"seeds": 1, "width": 64, "depth": 1, "train.steps": 300, "train.records": 8,
           "noise_levels": (0.0, 0.2), "data.n_train": 150, "data.n_test": 100},
)
