"""network.implicit-regularization: widen an MLP far past the data size; does test error grow?

A width sweep of one-hidden-layer MLPs on a small training set (default 300 digits), each
trained by SGD on cross-entropy to interpolation. Classical capacity arguments say test error
should rise once parameters exceed the data; the implicit-regularisation picture (neurashed's
compression included) says training keeps the function simple and it does not. Measured per
width: train/test accuracy, the effective rank (Roy & Vetterli) of the first weight matrix and
of the last hidden representation of the test set, the participation ratio (Σσ²)²/Σσ⁴ of that
representation's covariance spectrum — the same formula as neurashed's effective feature count
(Σλ)²/Σλ² — and the Frobenius norm of the weights. The entropy-based effective rank counts
every small singular direction; the participation ratio weighs them by variance.
"""

from __future__ import annotations

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
    representations,
    train_kwargs,
)
from learnmech.probes.norms import effective_rank

FIT_LEVEL = 0.99  # train accuracy that counts as interpolation
HARMLESS_TOLERANCE = 0.02  # test accuracy may fall this much past interpolation and still "hold"
SUBLINEAR_SLOPE = 0.5  # log-slope of the representation's effective rank against width


class Config(NetworkConfig):
    data: DataSection = Field(default_factory=lambda: DataSection(n_train=300),
                              description="the data set")
    train: TrainSection = Field(default_factory=lambda: TrainSection(steps=3000),
                                description="the optimiser")
    widths: tuple[Width, ...] = Field(
        (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048), min_length=2,
        description="hidden widths swept (each in [1, 65536])")
    depth: int = Field(1, ge=1, le=8, description="hidden layers (all of the same width)")
    seeds: int = Field(2, ge=1, le=100, description="replicates (data subset, init, batches)")


def run(config: Config) -> Result:
    from learnmech.core.progress import bar

    rows, finals = [], {}
    widths = sorted(set(config.widths))
    for width, rep in bar([(w, r) for w in widths for r in range(config.seeds)],
                          desc="width sweep", unit="run"):
        found, final = _one_width(config, width, rep)
        rows += with_columns(found, width=width, seed=rep)
        finals[width, rep] = final
    summary = _summary(config, finals, widths)
    return Result(summary=summary, metrics=rows + _final_rows(finals),
                  figures=_figures(config, rows, finals, widths), notes=_notes(summary))


def _one_width(config: Config, width: int, rep: int):
    """Train one network; (history rows, final measurements)."""
    import numpy as np

    from learnmech.nets import log_schedule, mlp, train

    seed = replicate_seed(config.seed, rep)
    data = load(config, rep)
    model = mlp(data.input_dim, [width] * config.depth, data.num_classes,
                activation=config.activation, seed=seed)
    history = train(model, data, seed=seed,
                    record_at=log_schedule(config.train.steps, config.train.records),
                    **train_kwargs(config))
    _, _, Xte, _ = data.to_torch(config.train.device)
    reps = representations(model, Xte)
    first = next(p for p in model.parameters() if p.ndim == 2).detach().cpu().numpy()
    centred = reps - reps.mean(axis=0)
    eig = np.linalg.eigvalsh(centred.T @ centred / max(len(reps) - 1, 1)) if reps.shape[1] \
        <= 4096 else np.linalg.svd(centred, compute_uv=False) ** 2
    n_params = sum(p.numel() for p in model.parameters())
    final = {
        "train_acc": history.final("train_acc"), "test_acc": history.final("test_acc"),
        "train_loss": history.final("train_loss"), "test_loss": history.final("test_loss"),
        "weight_effective_rank": effective_rank(first),
        "rep_effective_rank": effective_rank(centred),
        "rep_participation_ratio": float(eig.sum() ** 2 / max((eig ** 2).sum(), 1e-30)),
        "weight_norm": float(sum(float((p.detach() ** 2).sum()) for p in model.parameters())
                             ** 0.5),
        "params": float(n_params), "params_over_n": n_params / len(data.X_train),
    }
    return history.rows, final


def _mean(finals, width, key, seeds):
    import numpy as np

    return float(np.mean([finals[width, r][key] for r in range(seeds)]))


def _summary(config: Config, finals, widths) -> dict:
    s = config.seeds
    means = {w: {k: _mean(finals, w, k, s) for k in finals[w, 0]} for w in widths}
    fitting = [w for w in widths if means[w]["train_acc"] >= FIT_LEVEL]
    summary = {
        "n_train": config.data.n_train,
        "params_over_n_max": means[widths[-1]]["params_over_n"],
        "interpolation_width": fitting[0] if fitting else None,
        "test_acc_widest": means[widths[-1]]["test_acc"],
        "train_acc_widest": means[widths[-1]]["train_acc"],
        "test_acc_narrowest": means[widths[0]]["test_acc"],
        "test_acc_at_interpolation": means[fitting[0]]["test_acc"] if fitting else None,
    }
    change = (means[widths[-1]]["test_acc"] - means[fitting[0]]["test_acc"]) if fitting else None
    summary["test_acc_change_past_interpolation"] = change
    over = fitting or widths
    summary["rep_effective_rank_slope"] = log_slope(
        over, [means[w]["rep_effective_rank"] for w in over])
    summary["weight_effective_rank_slope"] = log_slope(
        over, [means[w]["weight_effective_rank"] for w in over])
    summary["rep_participation_ratio_slope"] = log_slope(
        over, [means[w]["rep_participation_ratio"] for w in over])
    summary["rep_effective_rank_widest"] = means[widths[-1]]["rep_effective_rank"]
    summary["rep_participation_ratio_widest"] = means[widths[-1]]["rep_participation_ratio"]
    summary["weight_effective_rank_widest"] = means[widths[-1]]["weight_effective_rank"]
    for w in widths:
        for key in ("test_acc", "train_acc", "rep_effective_rank", "rep_participation_ratio",
                    "weight_effective_rank"):
            summary[f"{key}_width_{w}"] = means[w][key]
    summary["overparameterisation_harmless_verdict"] = (
        "holds" if change is not None and change >= -HARMLESS_TOLERANCE else "fails")
    for name, key in (("participation_ratio", "rep_participation_ratio_slope"),
                      ("effective_rank", "rep_effective_rank_slope")):
        slope = summary[key]
        summary[f"{name}_sublinear_verdict"] = (
            "holds" if slope is not None and slope < SUBLINEAR_SLOPE else "fails")
    return summary


def _final_rows(finals) -> list[dict]:
    return [{"width": w, "seed": r, "step": None, "metric": f"final_{k}", "value": v}
            for (w, r), found in finals.items() for k, v in found.items()]


def _figures(config: Config, rows, finals, widths) -> dict:
    import numpy as np

    from learnmech import plots as fig
    from learnmech.experiments.network._common import mean_series

    s = config.seeds
    params = [_mean(finals, w, "params_over_n", s) for w in widths]

    def per_seed(key):
        return np.array([[finals[w, r][key] for w in widths] for r in range(s)])

    out = {
        "accuracy_vs_parameters": fig.sweep_plot(
            params, [per_seed("train_acc").mean(0), per_seed("test_acc").mean(0)],
            errors=[per_seed("train_acc").std(0), per_seed("test_acc").std(0)],
            labels=["train accuracy", "test accuracy"], xlabel="parameters / training examples",
            ylabel="final accuracy", logx=True, title=f"{config.data.name}, n = "
            f"{config.data.n_train}"),
        "effective_rank_vs_width": fig.sweep_plot(
            widths, [per_seed("rep_effective_rank").mean(0),
                     per_seed("weight_effective_rank").mean(0),
                     per_seed("rep_participation_ratio").mean(0), np.asarray(widths, float)],
            labels=["representation effective rank", "first-layer weight effective rank",
                    "representation participation ratio", "width (full rank)"],
            xlabel="hidden width", ylabel="dimension", logx=True, logy=True),
    }
    steps, test = mean_series([r for r in rows if r["width"] == widths[-1]], "test_acc")
    _, train = mean_series([r for r in rows if r["width"] == widths[-1]], "train_acc")
    out["widest_over_training"] = fig.curves_with_bands(
        np.maximum(steps, 1), [train, test], labels=["train accuracy", "test accuracy"],
        xlabel="training step", ylabel="accuracy", title=f"width {widths[-1]}")
    return out


def _notes(summary) -> str:
    change = summary["test_acc_change_past_interpolation"]
    slope = summary["rep_effective_rank_slope"]
    pr = summary["rep_participation_ratio_slope"]
    return (
        f"Parameters reach {summary['params_over_n_max']:.0f}× the {summary['n_train']} "
        f"training examples. Networks interpolate from width {summary['interpolation_width']}; "
        "from there to the widest, test accuracy changes by "
        + ("n/a" if change is None else f"{change:+.3f}")
        + f" (ending at {summary['test_acc_widest']:.3f}). The effective rank of the last "
        f"hidden representation grows with log-slope "
        + ("n/a" if slope is None else f"{slope:.2f}")
        + " against width (1 = proportional), reaching "
        f"{summary['rep_effective_rank_widest']:.1f} at the widest; its participation ratio "
        "grows with log-slope " + ("n/a" if pr is None else f"{pr:.2f}") + ", reaching "
        f"{summary['rep_participation_ratio_widest']:.1f}."
    )


EXPERIMENT = Experiment(
    id="network.implicit-regularization",
    description="network: MLP width sweep far past the data size; test error and effective rank",
    config_cls=Config,
    run=run,
    references=(
        "Zhang, Bengio, Hardt, Recht & Vinyals, Understanding deep learning requires "
        "rethinking generalization, ICLR 2017",
        "Neyshabur, Tomioka & Srebro, In search of the real inductive bias: on the role of "
        "implicit regularization in deep learning, ICLR 2015 workshop (arXiv 1412.6614)",
        "Roy & Vetterli, The effective rank: a measure of effective dimensionality, EUSIPCO "
        "2007",
    ),
    smoke={"widths": (4, 64), "seeds": 1, "train.steps": 200, "train.records": 6,
           "data.n_train": 100, "data.n_test": 100},
)
