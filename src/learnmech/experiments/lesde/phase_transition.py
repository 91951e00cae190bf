"""lesde.phase-transition: label corruption against local elasticity (Zhang, Wang & Su 2021).

A share p of the training labels is corrupted (each moved to a uniformly drawn other class,
:func:`learnmech.nets.training.flip_labels`), K = 3 classes, and LeNets are trained with
batch-size-1 SGD for each p (``seeds`` runs each). The LE-SDE predicts (docs/lesde.md): the
class-mean target of the corrupted labels has strength 1 − pK/(K − 1), so features stop
separating by class at p = (K − 1)/K = 2/3 and are pushed apart the wrong way beyond. Measured,
per p:

* clean test accuracy (mean and 95 % t-interval over runs) — the transition p* is where it
  crosses chance 1/K, read per run by linear interpolation between the grid's p;
* the final separation s̄ of the training features by their training labels and by their
  true classes (:func:`learnmech.experiments.lesde._common.final_separation`);
* the LE-SDE fit of the pooled runs (:func:`learnmech.lesde.fit.fit_logs`): Â − B̂ at the end
  and the tail indices r̂ of Â, B̂, Â − B̂ with leave-one-run-out standard errors — or "out of
  regime" where the classes never separate above the noise;
* the LE-SDE itself, simulated with the same corruption (``model.*``): the true-class accuracy
  of its features against p, whose transition sits at 2/3 by construction.

Verdict: the measured p* against (K − 1)/K within ``transition_tolerance`` (holds / fails;
inconclusive when the interval is wider than the tolerance; out of regime when the clean
networks do not learn). Whether the transition sits at 2/3 is measured, not assumed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig, Section
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.lesde._common import DataSection, TrainSection

__all__ = ["EXPERIMENT", "Config", "run"]


class ModelSection(Section):
    """The LE-SDE (cross-entropy drift, SGD noise) run beside the networks."""

    alpha: float = Field(0.02, gt=0.0, le=1.0, description="intra-class impact α per step")
    beta: float = Field(0.005, ge=0.0, le=1.0, description="inter-class impact β per step "
                        "(α > β: locally elastic)")
    steps: int = Field(10000, ge=10, le=10**6, description="SDE steps")
    per_class: int = Field(30, ge=3, le=10000, description="examples per class")
    trials: int = Field(8, ge=1, le=1000, description="trials per p")
    grid: int = Field(19, ge=2, le=201, description="p values from 0 to 0.9 for the SDE curve")


class Config(ExperimentConfig):
    data: DataSection = Field(default_factory=DataSection, description="the images")
    train: TrainSection = Field(default_factory=lambda: TrainSection(steps=5000),
                                description="batch-size-1 SGD")
    p_errs: tuple[float, ...] = Field(
        (0.0, 0.2, 0.4, 0.6, 0.67, 0.8), min_length=2,
        description="label-corruption shares p, increasing, in [0, 0.95], the first 0")
    seeds: int = Field(5, ge=1, le=1000, description="runs (networks) per p")
    estimator: Literal["L", "I"] = Field("L", description="LE-SDE estimator (docs/lesde.md)")
    z: float = Field(3.0, gt=0.0, le=1000.0, description="reference step of the fit: modes "
                     "above z standard errors (tail indices do not depend on the reference's "
                     "precision, only on the modes being above the noise)")
    transition_tolerance: float = Field(0.1, gt=0.0, le=1.0,
                                        description="|p* − (K−1)/K| allowed by the verdict")
    model: ModelSection = Field(default_factory=ModelSection, description="the LE-SDE")

    @model_validator(mode="after")
    def _grid(self):
        p = list(self.p_errs)
        if p[0] != 0.0 or any(b <= a for a, b in zip(p, p[1:], strict=False)) or \
                not all(0.0 <= x <= 0.95 for x in p):
            raise ValueError(f"p_errs: must increase from 0 within [0, 0.95]; got {p}")
        return self


def run(config: Config) -> Result:
    from learnmech.experiments.lesde._common import num_classes, specs
    from learnmech.lesde.network import run_many

    K = num_classes(config.data)
    all_specs = [s for p in config.p_errs for s in specs(
        config.data, config.train, seed=config.seed, replicates=config.seeds, label_noise=p)]
    runs = run_many(all_specs, workers=config.train.workers, desc="phase transition")
    by_p = {p: runs[i * config.seeds:(i + 1) * config.seeds]
            for i, p in enumerate(config.p_errs)}
    rows, table = [], {}
    for p, group in by_p.items():
        found, more = _network_setting(config, group, K)
        table[p] = found
        rows += [{"p_err": p, **row} for row in more]
    model = _model_curve(config, K)
    rows += [{"p_err": float(p), "metric": "sde_class_accuracy", "value": float(a),
              "source": "sde"} for p, a in zip(model["p"], model["accuracy"], strict=True)]
    summary = _summary(config, table, model, K)
    return Result(summary=summary, metrics=rows,
                  figures=_figures(config, table, model, summary, K),
                  notes=_notes(summary, K))


def _network_setting(config: Config, group, K: int) -> tuple[dict, list[dict]]:
    """Per-run accuracies and separations, and the pooled LE-SDE fit, of one p."""
    import numpy as np

    from learnmech.experiments.lesde._common import final_separation, stack_logs
    from learnmech.lesde.fit import default_window, jackknife_fit

    rows = []
    window = default_window(config.train.steps)
    for r, run_ in enumerate(group):
        for metric, series in (("test_acc", run_.test_acc), ("train_acc", run_.train_acc),
                               ("train_loss", run_.train_loss)):
            rows += [{"step": int(s), "seed": r, "metric": metric, "value": float(v),
                      "source": "network"} for s, v in zip(run_.eval_steps, series,
                                                           strict=True)]
    labels, logits = stack_logs(group)
    true_labels, _ = stack_logs(group, true_labels=True)
    sep_train = [final_separation(labels[i], logits[i], K, window) for i in range(len(group))]
    sep_true = [final_separation(true_labels[i], logits[i], K, window)
                for i in range(len(group))]
    rows += [{"seed": r, "metric": m, "value": v, "source": "network"}
             for r in range(len(group))
             for m, v in (("separation_train_labels", sep_train[r]),
                          ("separation_true_classes", sep_true[r]))]
    fit, tails = jackknife_fit(labels, logits, K, estimator=config.estimator, z=config.z)
    found = {
        "test_acc": np.array([g.test_acc[-1] for g in group]),
        "train_acc": np.array([g.train_acc[-1] for g in group]),
        "separation_train": np.array(sep_train), "separation_true": np.array(sep_true),
        "in_regime": fit.reference_step is not None, "fit": fit,
        "difference_end": float(fit.A[-1] - fit.B[-1]) if len(fit.A) else float("nan"),
        **tails,
    }
    if fit.reference_step is not None:
        rows += [{"step": int(s), "metric": m, "value": float(v), "source": "fit"}
                 for m, arr in (("A_hat", fit.A), ("B_hat", fit.B), ("alpha_hat", fit.alpha),
                                ("beta_hat", fit.beta))
                 for s, v in zip(fit.steps, arr, strict=True)]
    return found, rows


def _model_curve(config: Config, K: int) -> dict:
    """True-class accuracy of the LE-SDE's features after ``model.steps`` steps, against p."""
    import numpy as np

    from learnmech.lesde.sde import initial_features, simulate

    m = config.model
    rng = np.random.default_rng(config.seed)
    ps = np.linspace(0.0, 0.9, m.grid)
    acc, sep = [], []
    from learnmech.lesde.ode import discriminative_coordinates

    for p in ps:
        X0 = initial_features(K, m.per_class, m.trials, rng, scale=0.1)
        path = simulate(m.alpha, m.beta, X0, m.steps, rng, label_noise=float(p),
                        record_at=[m.steps])
        acc.append(float(path.class_accuracy[-1].mean()))
        sep.append(float(discriminative_coordinates(path.class_means[-1]).mean()))
    return {"p": ps, "accuracy": np.array(acc), "separation": np.array(sep),
            "transition": _crossing(ps, np.array(acc), 1.0 / K)}


def _crossing(p, acc, level: float) -> float:
    """First p at which ``acc`` falls below ``level`` (linear interpolation); NaN if never."""
    import numpy as np

    p, acc = np.asarray(p, dtype=float), np.asarray(acc, dtype=float)
    for i in range(1, len(p)):
        if acc[i - 1] >= level > acc[i]:
            return float(p[i - 1] + (acc[i - 1] - level) * (p[i] - p[i - 1]) /
                         (acc[i - 1] - acc[i]))
    return float("nan")


def _summary(config: Config, table: dict, model: dict, K: int) -> dict:
    import numpy as np

    from learnmech.experiments.lesde._common import nan_to_none
    from learnmech.plots.intervals import mean_interval

    ps = list(table)
    summary: dict = {"num_classes": K, "seeds": config.seeds, "steps": config.train.steps,
                     "dataset": config.data.name}
    for p in ps:
        key = f"p{p:g}"
        t = table[p]
        mean, half, _ = mean_interval(t["test_acc"])
        summary[f"test_acc_{key}"] = nan_to_none(mean)
        summary[f"test_acc_{key}_ci95"] = nan_to_none(half)
        summary[f"train_acc_{key}"] = nan_to_none(np.mean(t["train_acc"]))
        summary[f"separation_train_{key}"] = nan_to_none(np.mean(t["separation_train"]))
        summary[f"separation_true_{key}"] = nan_to_none(np.mean(t["separation_true"]))
        summary[f"lesde_in_regime_{key}"] = bool(t["in_regime"])
        summary[f"difference_end_{key}"] = nan_to_none(t["difference_end"])
        for name in ("tail_alpha", "tail_beta", "tail_difference"):
            value, se = t[name]
            summary[f"{name}_{key}"] = nan_to_none(value)
            summary[f"{name}_{key}_se"] = nan_to_none(se)
    # the transition: per run (replicate r across p), where test accuracy crosses 1/K
    acc = np.array([table[p]["test_acc"] for p in ps])              # (P, seeds)
    per_run = [_crossing(ps, acc[:, r], 1.0 / K) for r in range(acc.shape[1])]
    measured, half, count = mean_interval(per_run)
    predicted = (K - 1) / K
    summary.update({
        "transition_measured": nan_to_none(measured),
        "transition_measured_ci95": nan_to_none(half),
        "transition_runs_crossing": count,
        "transition_of_mean_curve": nan_to_none(_crossing(ps, acc.mean(1), 1.0 / K)),
        "transition_predicted": predicted,
        "transition_sde": nan_to_none(model["transition"]),
        "transition_agreement": nan_to_none(abs(measured - predicted)),
        "transition_tolerance": config.transition_tolerance,
    })
    clean = float(np.mean(table[ps[0]]["test_acc"]))
    tol = config.transition_tolerance
    if clean < 1.0 / K + 0.2:
        verdict = "out of regime"
    elif count < 2 or not np.isfinite(half) or half > tol:
        verdict = "inconclusive"
    else:
        verdict = "holds" if abs(measured - predicted) <= tol else "fails"
    summary["transition_verdict"] = verdict
    return summary


def _figures(config: Config, table: dict, model: dict, summary: dict, K: int) -> dict:
    """Accuracy, separation, tail indices and the impact difference against corruption p."""
    import numpy as np

    from learnmech.experiments.lesde._common import plot_impact_difference
    from learnmech.plots import new_figure, style

    ps = np.array(list(table))
    with style():
        fig = new_figure((4.8, 3.4))
        plot_impact_difference(fig, fig.subplots(), [table[p]["fit"] for p in ps],
                               [f"p = {p:g}" for p in ps])
        fig.axes[0].set_title(f"Integrated impact difference ({config.estimator} estimator, "
                              "pooled runs)")
        difference = fig
    out = {"accuracy_vs_corruption": _accuracy_figure(config, table, model, summary, K),
           "separation_vs_corruption": _separation_figure(table, model, K),
           "tail_indices_vs_corruption": _tail_figure(table),
           "impact_difference": difference}
    return out


def _accuracy_figure(config: Config, table: dict, model: dict, summary: dict, K: int):
    """Clean test accuracy against p (mean, 95 % interval), the SDE's curve, the transition."""
    import numpy as np

    from learnmech.plots import (
        PALETTE,
        clipped_error_bars,
        mean_interval,
        new_figure,
        place_legend,
        style,
    )

    ps = np.array(list(table))
    stats = [mean_interval(table[p]["test_acc"]) for p in ps]
    means = [s[0] for s in stats]
    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        ax.errorbar(ps, means, yerr=clipped_error_bars(means, [s[1] for s in stats], (0.0, 1.0)),
                    marker="o", capsize=3, color=PALETTE[0],
                    label=f"LeNet, clean test accuracy (mean, 95 % interval, {config.seeds} runs)")
        ax.plot(model["p"], model["accuracy"], "--", color="0.3",
                label="LE-SDE (α > β), true-class accuracy of its features")
        ax.axhline(1.0 / K, color="0.6", lw=0.8, ls=":", label=f"chance 1/K = {1 / K:.2f}")
        ax.axvline((K - 1) / K, color=PALETTE[1], lw=0.8, ls="--",
                   label=f"predicted transition (K−1)/K = {(K - 1) / K:.2f}")
        if summary["transition_measured"] is not None:
            ci = summary["transition_measured_ci95"] or 0
            ax.axvspan(summary["transition_measured"] - ci, summary["transition_measured"] + ci,
                       color=PALETTE[0], alpha=0.15, label="measured transition (95 % interval)")
        ax.set_xlabel("share of corrupted training labels $p$")
        ax.set_ylabel("accuracy on clean labels")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("Label corruption: where learning stops")
        place_legend(fig, ax)
    return fig


def _separation_figure(table: dict, model: dict, K: int):
    """The final class separation of the training features against p."""
    import numpy as np

    from learnmech.plots import PALETTE, mean_interval, new_figure, place_legend, style

    ps = np.array(list(table))
    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        for i, (key, label) in enumerate((("separation_train", "by training label"),
                                          ("separation_true", "by true class"))):
            stats = [mean_interval(table[p][key]) for p in ps]
            ax.errorbar(ps, [s[0] for s in stats], yerr=[s[1] for s in stats], marker="o",
                        capsize=3, color=PALETTE[i], label=f"LeNet features, {label}")
        ax.plot(model["p"], model["separation"], "--", color="0.3",
                label="LE-SDE features, by true class")
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline((K - 1) / K, color=PALETTE[1], lw=0.8, ls="--")
        ax.set_xlabel("share of corrupted training labels $p$")
        ax.set_ylabel(r"class separation $\bar{s}$ at the end (logit units)")
        ax.set_title("Separation of the training features")
        place_legend(fig, ax)
    return fig


def _tail_figure(table: dict):
    """Tail indices r̂ of Â, B̂ and Â − B̂ against p (leave-one-run-out standard errors)."""
    import numpy as np

    from learnmech.plots import new_figure, place_legend, series_style, style

    ps = np.array(list(table))
    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        for j, (name, label) in enumerate((("tail_alpha", r"$\hat{r}$ of $\hat{A}$ (intra-class)"),
                                          ("tail_beta", r"$\hat{r}$ of $\hat{B}$ (inter-class)"),
                                          ("tail_difference",
                                           r"$\hat{r}$ of $\hat{A} - \hat{B}$"))):
            vals = np.array([table[p][name][0] for p in ps])
            ses = np.array([table[p][name][1] for p in ps])
            sty = series_style(j)
            ax.errorbar(ps + (j - 1) * 0.008, vals, yerr=np.nan_to_num(ses), ls="none",
                        capsize=3, color=sty["color"], marker=sty["marker"], label=label)
        ax.axhline(1.0, color="0.6", lw=0.8, ls=":",
                   label=r"$r = 1$ ($A \to \infty$ iff $r \leq 1$)")
        out_p = [p for p in ps if not table[p]["in_regime"]]
        if out_p:
            ax.plot(out_p, [1.0] * len(out_p), "x", color="0.4", ms=8,
                    label="out of regime (classes never separated)")
        ax.set_xlim(ps.min() - 0.04, ps.max() + 0.04)
        ax.set_xlabel("share of corrupted training labels $p$")
        ax.set_ylabel(r"tail index $\hat{r}$ (impact $\sim t^{-r}$)")
        ax.set_title("Tail indices of the fitted impacts (missing: out of regime)")
        place_legend(fig, ax)
    return fig


def _notes(summary: dict, K: int) -> str:
    def f(v):
        return "n/a" if v is None else f"{v:.3f}"

    return (f"The clean test accuracy crosses chance 1/K at p* = "
            f"{f(summary['transition_measured'])} ± {f(summary['transition_measured_ci95'])} "
            f"(95 % CI over {summary['transition_runs_crossing']} runs); the LE-SDE predicts "
            f"(K−1)/K = {(K - 1) / K:.3f} and its simulation crosses at "
            f"{f(summary['transition_sde'])}. Verdict (tolerance "
            f"{summary['transition_tolerance']:g}): {summary['transition_verdict']}.")


EXPERIMENT = Experiment(
    id="lesde.phase-transition",
    description="LE-SDE: label corruption p against separation, test accuracy and tail indices; "
                "transition measured against (K−1)/K",
    config_cls=Config,
    run=run,
    references=(
        "Zhang, Wang & Su, Imitating deep learning dynamics via locally elastic stochastic "
        "differential equations, NeurIPS 2021 (arXiv 2110.05960)",
    ),
    smoke={"seeds": 2, "p_errs": (0.0, 0.67), "train.steps": 300, "train.evals": 2,
           "train.workers": 1, "data.n_per_class": 20, "data.n_test_per_class": 10,
           "model.steps": 200, "model.grid": 3, "model.trials": 2},
)
