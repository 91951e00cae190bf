"""neurashed.step-size-and-batch: how fast compression goes as η and b change.

Compression time t_c = first step (interpolated on the log-spaced records) at which the nuisance
share falls below one half. The drift of a private nuisance feature is η(1 − p_y)/(nK) − ηγ per
step whatever b (the gradient is a batch mean), so the model predicts t_c ∝ 1/η in steps and no
dependence on b; in epochs (nK/b steps each) t_c ∝ b/η, i.e. inversely proportional to the SGD
noise scale η/b of the linear-scaling picture of real training.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from learnmech.core.fitting import log_slope
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.rows import with_columns
from learnmech.core.types import BatchSize, StepSize
from learnmech.experiments.neurashed._common import (
    NeurashedConfig,
    crossing_time,
    run_replicates,
    updated,
)
from learnmech.neurashed.spec import check_shrink_positive

SLOPE_TOLERANCE = 0.2


class Config(NeurashedConfig):
    etas: tuple[StepSize, ...] = Field(
        (0.125, 0.25, 0.5, 1.0, 2.0), min_length=2,
        description="η swept at b = 1 (each in (0, 100])")
    batches: tuple[BatchSize, ...] = Field(
        (1, 2, 4, 8, 16), min_length=2, description="b swept at η = train.eta (each in [1, 10^5])")
    share_level: float = Field(0.5, gt=0.0, lt=1.0, description="nuisance share that ends t_c")

    @model_validator(mode="after")
    def _check_shrink(self) -> Config:
        check_shrink_positive("etas", self.etas, "train.gamma", self.train.gamma)
        return self


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.core.progress import bar

    runs = [("eta", eta, updated(config.train, eta=eta, batch=1)) for eta in config.etas]
    runs += [("batch", b, updated(config.train, batch=b)) for b in config.batches]
    rows, times = [], {}
    for axis, value, train in bar(runs, desc="step-size and batch sweep"):
        steps = int(np.ceil(config.train.steps * max(1.0, config.train.eta / train.eta)))
        train = updated(train, steps=steps, records=max(train.records, 60))
        recorder, sim = run_replicates(config, train=train, progress=False)
        rows += with_columns(recorder.rows, sweep=axis, sweep_value=value)
        times[axis, value] = crossing_time(*recorder.series("nuisance_share"), config.share_level)
    n_train = sim.worlds[0].train.n
    summary = _summary(times, config, n_train)
    return Result(summary=summary, metrics=rows, figures=_figures(times, config, n_train),
                  notes=_notes(summary))


def _summary(times, config: Config, n_train: int) -> dict:
    summary = {}
    for axis, values, predicted in (("eta", config.etas, -1.0), ("batch", config.batches, 0.0)):
        slope = log_slope(values, [times[axis, v] for v in values])
        summary[f"compression_steps_slope_{axis}"] = slope
        summary[f"compression_steps_slope_{axis}_predicted"] = predicted
        ok = slope is not None and abs(slope - predicted) <= SLOPE_TOLERANCE
        summary[f"compression_steps_slope_{axis}_verdict"] = "holds" if ok else "fails"
        for v in values:
            summary[f"compression_steps_{axis}_{v:g}"] = times[axis, v]
    epochs = [times["batch", b] * b / n_train if times["batch", b] else None
              for b in config.batches]
    summary["compression_epochs_slope_batch"] = log_slope(config.batches, epochs)
    summary["slope_tolerance"] = SLOPE_TOLERANCE
    return summary


def _figures(times, config: Config, n_train: int) -> dict:
    import numpy as np

    from learnmech import plots as fig

    out = {}
    for axis, values, label, power in (("eta", config.etas, "step size η", -1.0),
                                       ("batch", config.batches, "batch size b", 0.0)):
        measured = np.array([times[axis, v] or np.nan for v in values], dtype=float)
        found = np.isfinite(measured)  # none when the share never crosses share_level
        anchor = (np.median((measured * np.asarray(values, float) ** (-power))[found])
                  if found.any() else np.nan)
        predicted = anchor * np.asarray(values, float) ** power
        ys = [measured, predicted]
        labels = ["measured $t_c$ (steps)",
                  rf"prediction $\propto$ {label.split()[-1]}$^{{{power:g}}}$"]
        if axis == "batch":
            ys.append(measured * np.asarray(values) / n_train)
            labels.append("measured $t_c$ (epochs)")
        out[f"compression_time_vs_{axis}"] = fig.sweep_plot(
            values, ys, labels=labels, xlabel=label,
            ylabel="compression time $t_c$ (steps or epochs)", logx=True,
            logy=bool(found.any()),
            title="" if found.any() else f"the nuisance share never fell below "
                                         f"{config.share_level:g}: no compression time")
    return out


def _notes(summary) -> str:
    return (
        "Compression time in steps scales with η with log-slope "
        f"{summary['compression_steps_slope_eta']} (predicted −1) and with b with log-slope "
        f"{summary['compression_steps_slope_batch']} (predicted 0); in epochs the b-slope is "
        f"{summary['compression_epochs_slope_batch']}: larger batches at fixed η compress no "
        "faster per step, and slower per example seen — as SGD's noise scale η/b suggests."
    )


EXPERIMENT = Experiment(
    id="neurashed.step-size-and-batch",
    description="neurashed: compression speed versus step size η and batch size b",
    config_cls=Config,
    run=run,
    references=(
        "Su, Neurashed: a phenomenological model for imitating deep learning training, "
        "arXiv 2112.09741 (2021)",
    ),
    smoke={"seeds": 2, "train.steps": 3000, "world.pool": 200, "world.examples_per_class": 8,
           "etas": (0.5, 1.0), "batches": (1, 4)},
)
