"""lesde.sample-size: the fitted LE-SDE against the number of training examples per class.

For each n in ``n_per_class`` (the paper's GeoMNIST runs went from 50 to 6000), ``seeds``
LeNets are trained with batch-size-1 SGD for the same number of steps and their pooled logs
fitted (:func:`learnmech.lesde.fit.fit_logs`). Reported per n: clean test accuracy (mean and
95 % t-interval), the final separation of the training features, Â − B̂ at the end, the tail
indices of Â, B̂ and Â − B̂ (leave-one-run-out standard errors), the mean α̂ and β̂, and the
LE-ODE's imitation error with its verdict. With few examples per class every example is seen
often and can be fitted alone (memorised); with many, an update must carry to other examples
of its class — local elasticity is what the LE-SDE says makes that work.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.lesde._common import DataSection, TrainSection

__all__ = ["EXPERIMENT", "Config", "run"]


class Config(ExperimentConfig):
    data: DataSection = Field(default_factory=DataSection, description="the images "
                              "(data.n_per_class is replaced by each n of the sweep)")
    train: TrainSection = Field(default_factory=TrainSection, description="batch-size-1 SGD")
    n_per_class: tuple[int, ...] = Field((30, 100, 300, 1000), min_length=1,
                                         description="training images per class, increasing,"
                                         " each in [5, 6000]")
    seeds: int = Field(4, ge=1, le=1000, description="runs (networks) per n")
    estimator: Literal["L", "I"] = Field("L", description="LE-SDE estimator (docs/lesde.md)")
    tolerance: float = Field(0.25, gt=0.0, le=10.0, description="imitation verdict tolerance")

    @model_validator(mode="after")
    def _sizes(self):
        n = list(self.n_per_class)
        if any(b <= a for a, b in zip(n, n[1:], strict=False)) or not all(
                5 <= x <= 6000 for x in n):
            raise ValueError(f"n_per_class: must increase, each in [5, 6000]; got {n}")
        return self


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.experiments.lesde._common import (
        final_separation,
        nan_to_none,
        num_classes,
        specs,
        stack_logs,
    )
    from learnmech.lesde.fit import default_window, jackknife_fit
    from learnmech.lesde.network import run_many
    from learnmech.plots.intervals import mean_interval

    K = num_classes(config.data)
    all_specs = [s for n in config.n_per_class for s in specs(
        config.data, config.train, seed=config.seed, replicates=config.seeds, n_per_class=n)]
    runs = run_many(all_specs, workers=config.train.workers, desc="sample size")
    window = default_window(config.train.steps)
    summary: dict = {"num_classes": K, "seeds": config.seeds, "steps": config.train.steps,
                     "dataset": config.data.name, "estimator": config.estimator}
    rows, table = [], {}
    for i, n in enumerate(config.n_per_class):
        group = runs[i * config.seeds:(i + 1) * config.seeds]
        labels, logits = stack_logs(group)
        fit, tails = jackknife_fit(labels, logits, K, estimator=config.estimator,
                                   tolerance=config.tolerance)
        acc = mean_interval([g.test_acc[-1] for g in group])
        sep = mean_interval([final_separation(labels[r], logits[r], K, window)
                             for r in range(len(group))])
        entry = {"test_acc": acc, "separation": sep, "fit": fit, **tails}
        table[n] = entry
        key = f"n{n}"
        summary[f"test_acc_{key}"] = nan_to_none(acc[0])
        summary[f"test_acc_{key}_ci95"] = nan_to_none(acc[1])
        summary[f"train_acc_{key}"] = nan_to_none(np.mean([g.train_acc[-1] for g in group]))
        summary[f"separation_{key}"] = nan_to_none(sep[0])
        summary[f"imitation_{key}_verdict"] = fit.judged["verdict"]
        summary[f"imitation_{key}_error"] = nan_to_none(fit.judged["relative_error"])
        in_regime = fit.reference_step is not None
        summary[f"difference_end_{key}"] = nan_to_none(fit.A[-1] - fit.B[-1]) \
            if in_regime else None
        summary[f"alpha_hat_mean_{key}"] = nan_to_none(np.mean(fit.alpha)) if in_regime \
            else None
        summary[f"beta_hat_mean_{key}"] = nan_to_none(np.mean(fit.beta)) if in_regime else None
        for name in ("tail_alpha", "tail_beta", "tail_difference"):
            summary[f"{name}_{key}"] = nan_to_none(entry[name][0])
            summary[f"{name}_{key}_se"] = nan_to_none(entry[name][1])
        for r, g in enumerate(group):
            rows += [{"n_per_class": n, "step": int(s), "seed": r, "metric": m,
                      "value": float(v)}
                     for m, series in (("test_acc", g.test_acc), ("train_acc", g.train_acc))
                     for s, v in zip(g.eval_steps, series, strict=True)]
        if in_regime:
            rows += [{"n_per_class": n, "step": int(s), "metric": m, "value": float(v)}
                     for m, arr in (("A_hat", fit.A), ("B_hat", fit.B),
                                    ("alpha_hat", fit.alpha), ("beta_hat", fit.beta))
                     for s, v in zip(fit.steps, arr, strict=True)]
    return Result(summary=summary, metrics=rows, figures=_figures(config, table),
                  notes=_notes(config, summary))


def _figures(config: Config, table: dict) -> dict:
    """Accuracy and tail indices against n, and the impact difference per n."""
    from learnmech.experiments.lesde._common import plot_impact_difference
    from learnmech.plots import new_figure, style

    with style():
        fig = new_figure((4.8, 3.4))
        plot_impact_difference(fig, fig.subplots(), [table[n]["fit"] for n in table],
                               [f"n = {n}" for n in table])
        fig.axes[0].set_title("Integrated impact difference against n")
    return {"sample_size": _sample_size_figure(config, table), "impact_difference": fig}


def _sample_size_figure(config: Config, table: dict):
    """Clean test accuracy (95 % interval) and the tail indices against n (log x)."""
    import numpy as np

    from learnmech.plots import (
        PALETTE,
        clipped_error_bars,
        new_figure,
        place_legend,
        series_style,
        style,
    )

    ns = np.array(list(table), dtype=float)
    with style():
        fig = new_figure((9.0, 3.4))
        ax1, ax2 = fig.subplots(1, 2)
        acc = [table[n]["test_acc"] for n in table]
        means = [a[0] for a in acc]
        ax1.errorbar(ns, means, yerr=clipped_error_bars(means, [a[1] for a in acc], (0.0, 1.0)),
                     marker="o", capsize=3, color=PALETTE[0],
                     label=f"clean test accuracy ({config.seeds} runs, 95 % interval)")
        ax1.set_xscale("log")
        ax1.set_xlabel("training images per class $n$")
        ax1.set_ylabel("accuracy")
        place_legend(fig, ax1, where="right")
        for j, (name, label) in enumerate((("tail_alpha", r"$\hat{r}$ of $\hat{A}$"),
                                          ("tail_beta", r"$\hat{r}$ of $\hat{B}$"),
                                          ("tail_difference",
                                           r"$\hat{r}$ of $\hat{A} - \hat{B}$"))):
            vals = np.array([table[n][name][0] for n in table])
            ses = np.array([table[n][name][1] for n in table])
            sty = series_style(j)
            ax2.errorbar(ns * (1 + 0.04 * (j - 1)), vals, yerr=np.nan_to_num(ses), ls="none",
                         capsize=3, color=sty["color"], marker=sty["marker"], label=label)
        ax2.axhline(1.0, color="0.6", lw=0.8, ls=":", label="$r = 1$")
        if not any(np.isfinite(table[n]["tail_difference"][0]) for n in table):
            ax2.text(0.5, 0.5, "no fit in regime", transform=ax2.transAxes, ha="center")
        ax2.set_xlim(ns.min() / 1.5, ns.max() * 1.5)
        ax2.set_xscale("log")
        ax2.set_xlabel("training images per class $n$")
        ax2.set_ylabel(r"tail index $\hat{r}$ (impact $\sim t^{-r}$)")
        place_legend(fig, ax2, where="right")
        fig.suptitle("Sample size: accuracy and tail indices of the fitted impacts")
    return fig


def _notes(config: Config, summary: dict) -> str:
    parts = []
    for n in config.n_per_class:
        acc = summary[f"test_acc_n{n}"]
        tail = summary[f"tail_difference_n{n}"]
        parts.append(f"n = {n}: test accuracy {'n/a' if acc is None else f'{acc:.3f}'}, r̂ of "
                     f"Â − B̂ {'n/a' if tail is None else f'{tail:.2f}'}, imitation "
                     f"{summary[f'imitation_n{n}_verdict']}")
    return "; ".join(parts) + "."


EXPERIMENT = Experiment(
    id="lesde.sample-size",
    description="LE-SDE: accuracy, fitted impacts, tail indices and imitation against the "
                "number of examples per class",
    config_cls=Config,
    run=run,
    references=(
        "Zhang, Wang & Su, Imitating deep learning dynamics via locally elastic stochastic "
        "differential equations, NeurIPS 2021 (arXiv 2110.05960)",
    ),
    smoke={"seeds": 2, "n_per_class": (10, 20), "train.steps": 300, "train.evals": 2,
           "train.workers": 1, "data.n_test_per_class": 10},
)
