"""lesde.imitation: does the fitted LE-ODE reproduce a network's class-mean logits?

``seeds`` LeNets are trained with batch-size-1 SGD on clean labels and logged; their logs are
pooled (as the paper pools trials) and the LE-SDE is fitted (:func:`learnmech.lesde.fit.fit_logs`):
class means X̄_k(t) in a window of T/20 steps, the reference step t0 where the modes are known
to 10 %, Â, B̂ by the chosen estimator, α̂, β̂ by the Savitzky–Golay derivative. The LE-ODE

    X̄_k(t+1) = X̄_k(t) + (1/K)[α̂ P_k X̄_k + β̂ Σ_{k'≠k} P_{k'} X̄_{k'}]      ("L")

(and its "I" twin) is integrated from the measured X̄(t0) and set against the measured X̄(t):
the **agreement** is ‖predicted − measured‖ / ‖measured − X̄(t0)‖ over all steps, classes and
logits (0 perfect, 1 no better than "nothing moves"). Verdict
(:func:`learnmech.lesde.estimate.judge_imitation`): holds if <= ``tolerance``, fails if above,
inconclusive when the pooled class means' own noise floor (two halves of the runs) exceeds half
the tolerance, out of regime when the classes never separated.

**Negative control**, run on the same data: the same LE-ODE with α̂ and β̂ swapped (a
non-locally-elastic model of the same size). It should fail; if it did not, the agreement
number would not discriminate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.lesde._common import DataSection, TrainSection

__all__ = ["EXPERIMENT", "Config", "imitate_logs", "run"]


class Config(ExperimentConfig):
    data: DataSection = Field(default_factory=DataSection, description="the images")
    train: TrainSection = Field(default_factory=TrainSection, description="batch-size-1 SGD")
    seeds: int = Field(16, ge=1, le=1000, description="runs (networks) pooled")
    estimator: Literal["L", "I"] = Field("L", description="LE-SDE estimator (docs/lesde.md)")
    z: float = Field(10.0, gt=0.0, le=1000.0, description="reference step: modes above z "
                     "standard errors")
    tolerance: float = Field(0.25, gt=0.0, le=10.0, description="largest relative error "
                             "for the verdict holds")


def imitate_logs(labels, logits, num_classes: int, *, estimator: str = "L", z: float = 10.0,
                 tolerance: float = 0.25) -> dict:
    """Fit, imitate and judge pooled logs; also the swapped-impact control.

    Parameters
    ----------
    labels : np.ndarray of int, shape (runs, T)
    logits : np.ndarray, shape (runs, T, K)

    Returns
    -------
    dict
        ``fit`` (LESDEFit), ``judged`` (dict of the verdict), ``control`` (the Imitation with
        α̂ and β̂ swapped or None) and ``control_judged``.
    """
    from learnmech.lesde.estimate import imitation, judge_imitation
    from learnmech.lesde.fit import fit_logs

    fit = fit_logs(labels, logits, num_classes, estimator=estimator, z=z, tolerance=tolerance)
    if fit.reference_step is None:
        return {"fit": fit, "judged": fit.judged, "control": None,
                "control_judged": fit.judged}
    control = imitation(fit.steps, fit.class_means, fit.beta, fit.alpha, model=estimator)
    return {"fit": fit, "judged": fit.judged, "control": control,
            "control_judged": judge_imitation(control, noise_floor=fit.noise_floor,
                                              tolerance=tolerance)}


def run(config: Config) -> Result:
    measured = measure(config)
    return Result(summary=measured["summary"], metrics=measured["rows"],
                  figures=measured["figures"], notes=_notes(measured["summary"]))


def measure(config: Config) -> dict:
    """Train, log, fit and judge: ``summary``, ``rows``, ``figures``, ``fit``, ``runs``.

    Every summary key is present whatever the regime (None where the fit is out of regime),
    so readers of the summary (``compare``) can rely on the keys.
    """
    import numpy as np

    from learnmech.experiments.lesde._common import (
        nan_to_none,
        num_classes,
        specs,
        stack_logs,
    )
    from learnmech.lesde.network import run_many
    from learnmech.plots.intervals import mean_interval

    K = num_classes(config.data)
    runs = run_many(specs(config.data, config.train, seed=config.seed,
                          replicates=config.seeds), workers=config.train.workers,
                    desc="imitation")
    labels, logits = stack_logs(runs)
    out = imitate_logs(labels, logits, K, estimator=config.estimator, z=config.z,
                       tolerance=config.tolerance)
    fit, judged = out["fit"], out["judged"]
    acc = mean_interval([r.test_acc[-1] for r in runs])
    summary = {
        "num_classes": K, "seeds": config.seeds, "steps": config.train.steps,
        "dataset": config.data.name, "estimator": config.estimator,
        "test_acc": nan_to_none(acc[0]), "test_acc_ci95": nan_to_none(acc[1]),
        "train_acc": nan_to_none(np.mean([r.train_acc[-1] for r in runs])),
        "reference_step": fit.reference_step, "window": fit.window,
        "imitation_measured": nan_to_none(judged["relative_error"]),
        "imitation_predicted": 0.0,
        "imitation_agreement": nan_to_none(judged["relative_error"]),
        "imitation_tolerance": config.tolerance,
        "imitation_noise_floor": nan_to_none(judged["noise_floor"]),
        "imitation_verdict": judged["verdict"],
        "imitation_reason": judged["reason"],
        "separation_growth": nan_to_none(judged["separation_growth"]),
    }
    fitted = fit.reference_step is not None
    other = (fit.imitation_I if config.estimator == "L" else fit.imitation_L) if fitted \
        else None
    summary.update({
        "imitation_other_model_error": nan_to_none(other.relative_error) if fitted else None,
        "imitation_discriminative_error": nan_to_none(fit.discriminative_error),
        "A_end": nan_to_none(fit.A[-1]) if fitted else None,
        "B_end": nan_to_none(fit.B[-1]) if fitted else None,
        "alpha_hat_mean": nan_to_none(np.mean(fit.alpha)) if fitted else None,
        "beta_hat_mean": nan_to_none(np.mean(fit.beta)) if fitted else None,
        "alpha_minus_beta_positive_share": nan_to_none(np.mean(fit.alpha > fit.beta))
        if fitted else None,
        "tail_alpha": nan_to_none(fit.tail_alpha), "tail_beta": nan_to_none(fit.tail_beta),
        "tail_difference": nan_to_none(fit.tail_difference),
        "control_swapped_error": nan_to_none(out["control"].relative_error) if fitted
        else None,
        "control_swapped_verdict": out["control_judged"]["verdict"],
    })
    rows = _rows(runs, fit, labels, logits, K)
    figures = _figures(config, fit, out, K) if fitted else {}
    return {"summary": summary, "rows": rows, "figures": figures, "fit": fit, "runs": runs}


def _rows(runs, fit, labels, logits, K: int) -> list[dict]:
    from learnmech.lesde.estimate import class_means_from_log
    from learnmech.lesde.ode import discriminative_coordinates

    rows = []
    for r, run_ in enumerate(runs):
        rows += [{"step": int(s), "seed": r, "metric": m, "value": float(v)}
                 for m, series in (("test_acc", run_.test_acc), ("train_acc", run_.train_acc))
                 for s, v in zip(run_.eval_steps, series, strict=True)]
    # the separation coordinate s̄(t) of the pooled class means, from the start (no fit needed)
    grid, Xbar, _ = class_means_from_log(labels, logits, K, window=fit.window)
    rows += [{"step": int(s), "metric": "class_separation", "value": float(v)}
             for s, v in zip(grid, discriminative_coordinates(Xbar).mean(-1), strict=True)]
    if fit.reference_step is None:
        return rows
    for name, arr in (("A_hat", fit.A), ("B_hat", fit.B), ("alpha_hat", fit.alpha),
                      ("beta_hat", fit.beta)):
        rows += [{"step": int(s), "metric": name, "value": float(v)}
                 for s, v in zip(fit.steps, arr, strict=True)]
    for source, X in (("network", fit.imitation_L.measured),
                      ("le_ode_L", fit.imitation_L.predicted),
                      ("le_ode_I", fit.imitation_I.predicted)):
        rows += [{"step": int(s), "metric": "class_mean_logit", "class": k, "logit": j,
                  "source": source, "value": float(X[i, k, j])}
                 for i, s in enumerate(fit.steps) for k in range(K) for j in range(K)]
    return rows


def _figures(config: Config, fit, out: dict, K: int) -> dict:
    """The LE-ODE against the network's class-mean logits, and the fitted impacts."""
    return {"imitation": _imitation_figure(config, fit, out, K),
            "impacts": _impacts_figure(config, fit)}


def _imitation_figure(config: Config, fit, out: dict, K: int):
    """One panel per class: each logit's class mean, measured and predicted, over training."""
    import numpy as np

    from learnmech.plots import PALETTE, new_figure, place_legend, style

    model = fit.imitation_L if config.estimator == "L" else fit.imitation_I
    with style():
        fig = new_figure((3.2 * K, 3.2))
        axes = np.atleast_1d(fig.subplots(1, K, sharey=True))
        for k, ax in enumerate(axes):
            for j in range(K):
                color = PALETTE[j % len(PALETTE)]
                ax.plot(model.steps, model.measured[:, k, j], color=color,
                        label=f"logit {j}, network")
                ax.plot(model.steps, model.predicted[:, k, j], color=color, ls="--",
                        label=f"logit {j}, LE-ODE ({config.estimator})")
            ax.set_title(f"examples of class {k}")
            ax.set_xlabel("SGD step (one example each)")
        axes[0].set_ylabel("class-mean logit")
        place_legend(fig, axes[0])
        fig.suptitle(f"LE-ODE against the network: relative error {model.relative_error:.2f} "
                     f"(verdict {out['judged']['verdict']}; control with α̂, β̂ swapped "
                     f"{out['control'].relative_error:.2f})")
    return fig


def _impacts_figure(config: Config, fit):
    """The integrated impacts Â, B̂ and the per-step impacts α̂, β̂ over training."""
    from learnmech.plots import new_figure, place_legend, series_style, style

    with style():
        fig = new_figure((9.0, 3.4))
        ax1, ax2 = fig.subplots(1, 2)
        for i, (values, label) in enumerate(((fit.A, r"$\hat{A}$ (intra-class)"),
                                             (fit.B, r"$\hat{B}$ (inter-class)"),
                                             (fit.A - fit.B, r"$\hat{A} - \hat{B}$"))):
            sty = series_style(i)
            ax1.plot(fit.steps, values, color=sty["color"], ls=sty["linestyle"], label=label)
        ax1.set_xlabel("SGD step (one example each)")
        ax1.set_ylabel(r"integrated impact since $t_0$")
        place_legend(fig, ax1, where="right")
        for i, (values, label) in enumerate(((fit.alpha, r"$\hat{\alpha}$"),
                                             (fit.beta, r"$\hat{\beta}$"))):
            sty = series_style(i)
            ax2.plot(fit.steps, values, color=sty["color"], ls=sty["linestyle"], label=label)
        ax2.axhline(0, color="0.6", lw=0.8)
        ax2.set_xlabel("SGD step (one example each)")
        ax2.set_ylabel("impact per step")
        place_legend(fig, ax2, where="right")
        fig.suptitle(f"Fitted impacts ({config.estimator} estimator, {config.seeds} runs "
                     f"pooled, $t_0$ = {fit.reference_step})")
    return fig


def _notes(summary: dict) -> str:
    def f(v):
        return "n/a" if v is None else f"{v:.3f}"

    text = (f"LE-ODE ({summary['estimator']}) against the pooled class-mean logits: relative "
            f"error {f(summary['imitation_measured'])} (tolerance "
            f"{summary['imitation_tolerance']:g}, noise floor "
            f"{f(summary['imitation_noise_floor'])}): {summary['imitation_verdict']} — "
            f"{summary['imitation_reason']}.")
    if "control_swapped_error" in summary:
        text += (f" Control with α̂ and β̂ swapped: {f(summary['control_swapped_error'])} "
                 f"({summary['control_swapped_verdict']}). On the discriminative coordinates "
                 f"alone the error is {f(summary['imitation_discriminative_error'])}.")
    return text


EXPERIMENT = Experiment(
    id="lesde.imitation",
    description="LE-SDE: the fitted LE-ODE against a network's class-mean logits, with a "
                "verdict and a swapped-impact control",
    config_cls=Config,
    run=run,
    references=(
        "Zhang, Wang & Su, Imitating deep learning dynamics via locally elastic stochastic "
        "differential equations, NeurIPS 2021 (arXiv 2110.05960)",
    ),
    smoke={"seeds": 3, "train.steps": 400, "train.evals": 2, "train.workers": 1,
           "data.n_per_class": 20, "data.n_test_per_class": 10, "z": 3.0},
)
