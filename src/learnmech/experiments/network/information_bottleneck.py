"""network.information-bottleneck: does a hidden layer compress (Shwartz-Ziv & Tishby 2017)?

The 12-bit task (``load_dataset("ib12")``: all 4096 binary patterns, 85/15 split) and the
12-10-7-5-4-3-2 MLP of Shwartz-Ziv & Tishby, once with tanh and once with ReLU hidden units.
At log-spaced steps the activations of every hidden layer on all 4096 patterns are measured with
the three estimators of :mod:`learnmech.probes.information`, each at several resolutions:

* ``binned`` — ``bins`` equal bins over the layer's own range (all 4096 patterns);
* ``kde`` — pairwise-KL upper bound on the noisy channel T + N(0, σ²), σ² = ``noise_var``
  (a fixed random subset of ``info_subset`` patterns, for the O(n²) cost);
* ``knn`` — Kraskov/Ross k-NN estimate of the same noisy channel (σ² = the default
  ``noise_vars`` entry; the same subset), resolution ``k``; last hidden layer only (cost).

Every layer is measured at each estimator's default resolution (the first entry of its sweep);
the sweeps run on the last hidden layer, whose compression is the headline.

Compression = the drop of the last hidden layer's I(X;T) from its peak over training to its
final value, in bits, per seed (mean and std over seeds). Saxe et al. (ICLR 2018) report that
with binning tanh networks compress and ReLU networks do not, and that the compression comes
from saturation of tanh, not from learning to forget. Headline keys use the default estimator
(``estimator`` at its default resolution); the others carry suffixes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result

ACTIVATIONS = ("tanh", "relu")
Bins = Annotated[int, Field(ge=1, le=100_000)]
Variance = Annotated[float, Field(gt=0.0, le=1e6)]
Neighbours = Annotated[int, Field(ge=1, le=100)]


class Config(ExperimentConfig):
    widths: tuple[int, ...] = Field((10, 7, 5, 4, 3), min_length=1,
                                    description="hidden widths (each in [1, 4096])")
    steps: int = Field(4000, ge=1, le=10**7, description="optimiser steps")
    optimizer: Literal["adam", "sgd"] = Field("adam", description="optimiser")
    lr: float = Field(1e-3, gt=0.0, le=10.0, description="learning rate")
    batch_size: int = Field(256, ge=1, le=4096, description="mini-batch size")
    records: int = Field(16, ge=2, le=1000, description="log-spaced measurement points")
    estimator: Literal["binned", "kde", "knn"] = Field(
        "binned", description="the headline estimator (at the first entry of its sweep)")
    bins: tuple[Bins, ...] = Field((30, 10, 100), min_length=1,
                                   description="binning resolutions (first = default)")
    noise_vars: tuple[Variance, ...] = Field((0.1, 0.01, 0.001), min_length=1,
                                             description="KDE noise variances (first = default)")
    ks: tuple[Neighbours, ...] = Field((3, 1, 5), min_length=1,
                                       description="k-NN neighbour counts (first = default)")
    info_subset: int = Field(512, ge=16, le=4096,
                             description="patterns used by the KDE and k-NN estimators")
    threshold_bits: float = Field(0.1, gt=0.0, le=12.0,
                                  description="a drop of at least this many bits is compression")
    seeds: int = Field(2, ge=1, le=100, description="initialisations per activation")

    @model_validator(mode="after")
    def _check(self) -> Config:
        if any(not 1 <= w <= 4096 for w in self.widths):
            raise ValueError(f"widths: must be integers in [1, 4096]; got {list(self.widths)}")
        return self


def resolutions(config: Config) -> dict[str, tuple]:
    """Estimator -> the swept values of its resolution parameter (first = default)."""
    return {"binned": config.bins, "kde": config.noise_vars, "knn": config.ks}


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.core.progress import bar

    X, y, subset = _patterns(config)
    rows = []
    for act in ACTIVATIONS:
        for seed in bar(range(config.seeds), desc=f"information plane ({act})", unit="seed"):
            rows += _one_run(config, act, seed, X, y, subset)
    table = _Table(rows, np)
    summary = _summary(config, table)
    return Result(summary=summary, metrics=rows, figures=_figures(config, table),
                  notes=_notes(config, summary))


# --------------------------------------------------------------------------- measurement


def _patterns(config: Config):
    """All 4096 patterns (train and test) with labels, and the KDE/k-NN subset indices."""
    import numpy as np
    import torch

    from learnmech.nets import load_dataset

    data = load_dataset("ib12", seed=config.seed)
    X = torch.as_tensor(np.concatenate([data.X_train, data.X_test]))
    y = np.concatenate([data.y_train, data.y_test])
    rng = np.random.default_rng([config.seed, 12])
    subset = np.sort(rng.choice(len(X), size=min(config.info_subset, len(X)), replace=False))
    return X, y, subset


def _one_run(config: Config, act: str, seed: int, X, y, subset) -> list[dict]:
    """Train one network; rows of I(X;T), I(T;Y) per record, layer, estimator, resolution."""
    from learnmech.nets import hidden_layers, load_dataset, log_schedule, mlp, train
    from learnmech.probes import mi_binned, mi_kde, mi_knn

    data = load_dataset("ib12", seed=config.seed)
    model = mlp(12, config.widths, 2, activation=act, seed=config.seed * 100 + seed)
    layers = hidden_layers(model)
    last = len(layers)
    res = resolutions(config)
    knn_var = config.noise_vars[0]
    found: list[dict] = []

    def hook(step, net, state):
        acts = _activations(net, layers, X)
        for layer, T in enumerate(acts, start=1):
            sweep = slice(None) if layer == last else slice(1)  # every layer: the default
            for bins in res["binned"][sweep]:
                _add(found, step, act, seed, layer, "binned", bins, mi_binned(T, None, y,
                                                                              bins=bins))
            for var in res["kde"][sweep]:
                _add(found, step, act, seed, layer, "kde", var,
                     mi_kde(T[subset], y[subset], noise_var=var))
            if layer == last:
                for k in res["knn"]:
                    _add(found, step, act, seed, layer, "knn", k,
                         mi_knn(T[subset], y[subset], k=k, noise_var=knn_var, seed=seed))
        return {}

    history = train(model, data, steps=config.steps, lr=config.lr, optimizer=config.optimizer,
                    batch_size=config.batch_size, seed=config.seed * 100 + seed,
                    record_at=log_schedule(config.steps, config.records), hooks=[hook],
                    progress=False)
    base = {"activation": act, "seed": seed}
    return found + [{**base, **row} for row in history.rows]


def _activations(model, layers, X) -> list:
    """Outputs of each hidden layer on X, as float64 numpy arrays (n, width)."""
    import torch

    seen = []
    handles = [m.register_forward_hook(lambda mod, i, o: seen.append(o.detach())) for m in layers]
    try:
        with torch.no_grad():
            model(X)
    finally:
        for h in handles:
            h.remove()
    return [t.double().numpy() for t in seen]


def _add(rows, step, act, seed, layer, estimator, resolution, values) -> None:
    for metric, value in zip(("i_xt", "i_ty"), values, strict=True):
        rows.append({"activation": act, "seed": seed, "layer": layer, "estimator": estimator,
                     "resolution": resolution, "step": step, "metric": metric,
                     "value": float(value)})


class _Table:
    """Look-ups over the long rows: curve(act, estimator, resolution, layer, metric)."""

    def __init__(self, rows, np):
        self.np = np
        self.index: dict[tuple, dict[int, dict[int, float]]] = {}
        for r in rows:
            if "estimator" not in r:
                continue
            key = (r["activation"], r["estimator"], r["resolution"], r["layer"], r["metric"])
            self.index.setdefault(key, {}).setdefault(r["seed"], {})[r["step"]] = r["value"]

        self.builtin: dict[tuple, dict[int, tuple[int, float]]] = {}
        for r in rows:
            if "estimator" not in r:  # the training loop's own metrics
                last = self.builtin.setdefault((r["activation"], r["metric"]), {})
                if r["seed"] not in last or r["step"] >= last[r["seed"]][0]:
                    last[r["seed"]] = (r["step"], r["value"])

    def final_builtin(self, act, metric) -> float:
        """Mean over seeds of a training-loop metric's last value (e.g. test_acc)."""
        return float(self.np.mean([v for _, v in self.builtin[(act, metric)].values()]))

    def curve(self, act, estimator, resolution, layer, metric):
        """(steps (T,), values (seeds, T))."""
        per_seed = self.index[(act, estimator, resolution, layer, metric)]
        steps = sorted(next(iter(per_seed.values())))
        values = self.np.array([[per_seed[s][t] for t in steps] for s in sorted(per_seed)])
        return self.np.array(steps), values


def _compression(values, np):
    """Per seed: max over training − final value, shape (seeds,)."""
    return values.max(axis=1) - values[:, -1]


def _summary(config: Config, table: _Table) -> dict:
    np = table.np
    last = len(config.widths)
    res = resolutions(config)
    summary: dict = {}
    for estimator, values in res.items():
        for i, r in enumerate(values):
            for act in ACTIVATIONS:
                _, ixt = table.curve(act, estimator, r, last, "i_xt")
                drop = _compression(ixt, np)
                name = f"{act}_compression_bits_{estimator}_{ESTIMATOR_PARAM[estimator]}{r:g}"
                summary[name] = float(drop.mean())
                if i == 0:  # the estimator's default resolution
                    summary[f"{act}_compression_bits_{estimator}"] = float(drop.mean())
                    summary[f"{act}_compression_bits_{estimator}_std"] = float(drop.std())
    default = config.estimator
    for act in ACTIVATIONS:
        summary[f"{act}_compression_bits"] = summary[f"{act}_compression_bits_{default}"]
        summary[f"{act}_compression_bits_std"] = summary[f"{act}_compression_bits_{default}_std"]
        _, ixt = table.curve(act, default, res[default][0], last, "i_xt")
        _, ity = table.curve(act, default, res[default][0], last, "i_ty")
        summary[f"{act}_last_layer_ixt_peak"] = float(ixt.mean(axis=0).max())
        summary[f"{act}_last_layer_ixt_final"] = float(ixt.mean(axis=0)[-1])
        summary[f"{act}_last_layer_ity_final"] = float(ity.mean(axis=0)[-1])
        summary[f"{act}_test_acc"] = table.final_builtin(act, "test_acc")
    summary["estimator"] = f"{default}({ESTIMATOR_PARAM[default]}={res[default][0]:g})"
    for estimator in ("", *(f"_{e}" for e in res)):
        t = summary[f"tanh_compression_bits{estimator}"]
        r = summary[f"relu_compression_bits{estimator}"]
        summary[f"saxe_pattern{estimator}_verdict"] = (
            "holds" if t >= config.threshold_bits and r < config.threshold_bits else "fails")
        summary[f"tanh_compresses_more{estimator}_verdict"] = "holds" if t > r else "fails"
    return summary


ESTIMATOR_PARAM = {"binned": "bins", "kde": "noise_var", "knn": "k"}
#: The resolution of each estimator as written in figures.
_RESOLUTION_WORDS = {"binned": "bins", "kde": "noise σ²", "knn": "k"}


def _figures(config: Config, table: _Table) -> dict:
    np = table.np
    from learnmech import plots as fig

    out = {}
    res = resolutions(config)
    layers = range(1, len(config.widths) + 1)
    for act in ACTIVATIONS:
        for estimator in ("binned", "kde"):
            r = res[estimator][0]
            ixt = np.stack([table.curve(act, estimator, r, lv, "i_xt")[1].mean(axis=0)
                            for lv in layers], axis=1)
            ity = np.stack([table.curve(act, estimator, r, lv, "i_ty")[1].mean(axis=0)
                            for lv in layers], axis=1)
            steps = table.curve(act, estimator, r, 1, "i_xt")[0]
            out[f"plane_{act}_{estimator}"] = fig.information_plane(
                ixt, ity, np.maximum(steps, 1), level_labels=[f"layer {lv}" for lv in layers],
                title=f"{act}, {estimator} ({_RESOLUTION_WORDS[estimator]} = {r:g}), "
                      f"mean of {config.seeds} seeds")
    last = len(config.widths)
    for estimator, values in res.items():
        ys, labels = [], []
        for act in ACTIVATIONS:
            for r in values:
                steps, ixt = table.curve(act, estimator, r, last, "i_xt")
                ys.append(ixt)
                labels.append(f"{act}, {_RESOLUTION_WORDS[estimator]} = {r:g}")
        out[f"last_layer_ixt_{estimator}"] = fig.curves_with_bands(
            np.maximum(steps, 1), ys, labels=labels, xlabel="training step", ylabel="I(X;T) [bits]",
            title=f"last hidden layer, {estimator}: every resolution")
    return out


def _notes(config: Config, summary: dict) -> str:
    parts = [
        f"Default estimator {summary['estimator']}: the last hidden layer's I(X;T) drops "
        f"{summary['tanh_compression_bits']:.3f} ± {summary['tanh_compression_bits_std']:.3f} "
        f"bits from its peak with tanh and {summary['relu_compression_bits']:.3f} ± "
        f"{summary['relu_compression_bits_std']:.3f} with ReLU (mean ± std over "
        f"{config.seeds} seeds). Saxe et al.'s pattern (tanh compresses by at least "
        f"{config.threshold_bits:g} bit, ReLU does not): {summary['saxe_pattern_verdict']}."]
    for estimator in ("binned", "kde", "knn"):
        parts.append(f"{estimator}: tanh {summary[f'tanh_compression_bits_{estimator}']:.3f}, "
                     f"relu {summary[f'relu_compression_bits_{estimator}']:.3f} bits (pattern "
                     f"{summary[f'saxe_pattern_{estimator}_verdict']}).")
    parts.append("Every estimator measures a deterministic network at a resolution (bins, noise "
                 "variance, k); only comparisons at one resolution mean anything.")
    return " ".join(parts)


EXPERIMENT = Experiment(
    id="network.information-bottleneck",
    description="network: information plane of tanh vs ReLU nets on the 12-bit task, 3 estimators",
    config_cls=Config,
    run=run,
    references=(
        "Shwartz-Ziv & Tishby, Opening the black box of deep neural networks via "
        "information, arXiv 1703.00810 (2017)",
        "Saxe et al., On the information bottleneck theory of deep learning, ICLR 2018",
        "Kolchinsky & Tracey, Estimating mixture entropy with pairwise distances, Entropy "
        "2017",
        "Ross, Mutual information between discrete and continuous data sets, PLoS ONE 2014",
    ),
    smoke={"widths": [5, 3], "steps": 40, "records": 3, "seeds": 1, "bins": [30],
           "noise_vars": [0.1], "ks": [3], "info_subset": 128},
)
