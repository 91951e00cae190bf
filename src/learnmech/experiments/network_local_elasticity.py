"""network.local-elasticity: does an SGD step on x move its own class more (He & Su 2020)?

Protocol, after He & Su's local-elasticity clustering (their Algorithm 1, as we read it): for a
class pair (a, b) the **primary** set holds ``n_per_class`` examples of each class and the
**auxiliary** set ``n_auxiliary`` examples of the other classes. A two-logit MLP is trained
with SGD to tell primary (label 1) from auxiliary (label 0) — it is never told a from b. At
``records`` evenly spaced steps the whole relative-similarity matrix of the primary set is
measured from per-sample gradients (η → 0, scalar output f = f₁ − f₀, so
S_rel(i, j) = |K_ij| / K_ii with K the empirical NTK of f; :mod:`learnmech.probes.elasticity`),
and averaged over the records. Reported, for a ReLU and a linear MLP of the same shape:

* the ratio of mean S_rel over same-class pairs to other-class pairs (a vs b);
* the accuracy of spectral clustering of the averaged S_rel into two groups, against K-means
  on the pixels and on the top ``pca_components`` principal components.

Headline keys are for digits (the acceptance data); ``*_fashion_mnist`` keys for Fashion-MNIST
(skipped, with a note, when its files are absent). Each value is the mean over class pairs and
seeds; ``*_std`` is the standard deviation over those runs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.experiments.config import ExperimentConfig
from learnmech.experiments.registry import Experiment, register
from learnmech.experiments.result import Result

ACTIVATIONS = ("relu", "linear")
DATASET_KEYS = {"digits": "", "fashion-mnist": "_fashion_mnist"}
Pair = tuple[int, int]


class Config(ExperimentConfig):
    datasets: tuple[Literal["digits", "fashion-mnist"], ...] = Field(
        ("digits", "fashion-mnist"), min_length=1, description="data sets measured")
    digits_pairs: tuple[Pair, ...] = Field(
        ((3, 8), (4, 9), (1, 7)), min_length=1,
        description="digit class pairs (a, b), each a != b in [0, 9]")
    fashion_pairs: tuple[Pair, ...] = Field(
        ((0, 6), (2, 4), (7, 9)), min_length=1,
        description="Fashion-MNIST class pairs, each a != b in [0, 9] (0 T-shirt, 6 shirt, ...)")
    n_per_class: int = Field(100, ge=5, le=5000, description="primary examples per class")
    n_auxiliary: int = Field(200, ge=1, le=50_000,
                             description="auxiliary examples from the other classes")
    widths: tuple[int, ...] = Field((256, 256), min_length=1,
                                    description="hidden widths of the MLP (each in [1, 8192])")
    steps: int = Field(1000, ge=1, le=1_000_000, description="SGD steps")
    lr: float = Field(0.05, gt=0.0, le=10.0, description="SGD step size η")
    batch_size: int = Field(32, ge=1, le=100_000, description="mini-batch size")
    records: int = Field(10, ge=1, le=1000,
                         description="measurements of S_rel, evenly spaced over training")
    pca_components: int = Field(10, ge=1, le=784, description="PCA dimensions of the baseline")
    seeds: int = Field(3, ge=1, le=100, description="seeds per class pair (data draw, init)")

    @model_validator(mode="after")
    def _check(self) -> Config:
        for name in ("digits_pairs", "fashion_pairs"):
            for a, b in getattr(self, name):
                if a == b or not (0 <= a <= 9 and 0 <= b <= 9):
                    raise ValueError(f"{name}: must be pairs of distinct classes in [0, 9]; "
                                     f"got {[a, b]}")
        if any(not 1 <= w <= 8192 for w in self.widths):
            raise ValueError(f"widths: must be integers in [1, 8192]; got {list(self.widths)}")
        return self


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.nets import DatasetUnavailable
    from learnmech.progress import bar

    runs, rows, notes, curves = [], [], [], {}
    jobs = [(name, pair, seed) for name in config.datasets
            for pair in _pairs(config, name) for seed in range(config.seeds)]
    pools: dict[tuple[str, int], object] = {}
    skipped: set[str] = set()
    for name, pair, seed in bar(jobs, desc="local elasticity", unit="run"):
        if name in skipped:
            continue
        try:
            pool = pools.get((name, seed)) or _pool(name, config, seed)
        except DatasetUnavailable as exc:
            skipped.add(name)
            notes.append(f"{name} skipped: {exc}")
            continue
        pools[(name, seed)] = pool
        found = _one_pair(config, pool, pair, seed)
        tags = {"dataset": name, "pair": f"{pair[0]}-{pair[1]}", "seed": seed}
        runs.append({**tags, **found["summary"]})
        rows += [{**tags, **row} for row in found["rows"]]
        curves.setdefault(name, []).append(found)
    summary = _summary(config, runs, np)
    figures = _figures(config, curves, runs)
    return Result(summary=summary, metrics=rows, figures=figures,
                  notes=_notes(summary, notes))


# --------------------------------------------------------------------------- one class pair


def _pairs(config: Config, name: str) -> tuple[Pair, ...]:
    return config.digits_pairs if name == "digits" else config.fashion_pairs


def _pool(name: str, config: Config, seed: int):
    """The training split of a data set (flattened), drawn with the run's seed."""
    from learnmech.nets import load_dataset

    size = None if name == "digits" else 10 * (config.n_per_class + config.n_auxiliary) + 2000
    return load_dataset(name, n_train=size, n_test=10 if size else None,
                        seed=config.seed * 1000 + seed).flat()


def _one_pair(config: Config, pool, pair: Pair, seed: int) -> dict:
    """Train ReLU and linear nets on primary-vs-auxiliary; S_rel of the primary set."""
    import numpy as np
    import torch

    from learnmech.nets import dataset_from_arrays, mlp, train
    from learnmech.probes import cluster_accuracy, elasticity_matrices, kmeans_accuracy
    from learnmech.probes import relation_means as means

    rng = np.random.default_rng([config.seed, seed, pair[0], pair[1]])
    X, y = pool.X_train, pool.y_train
    primary = np.concatenate([_take(rng, np.flatnonzero(y == c), config.n_per_class, c)
                              for c in pair])
    others = np.flatnonzero((y != pair[0]) & (y != pair[1]))
    auxiliary = rng.choice(others, size=min(config.n_auxiliary, len(others)), replace=False)
    labels = (y[primary] == pair[1]).astype(int)  # 0 = class a, 1 = class b (never trained on)
    Xp = torch.as_tensor(X[primary])
    yp = torch.ones(len(primary), dtype=torch.long)
    task = dataset_from_arrays(
        np.concatenate([X[primary], X[auxiliary]]),
        np.concatenate([np.ones(len(primary)), np.zeros(len(auxiliary))]).astype(np.int64),
        X[primary[:2]], np.ones(2, dtype=np.int64), name="primary-vs-auxiliary", num_classes=2)
    record_at = np.unique(np.linspace(0, config.steps, config.records + 1).round()[1:])
    out = {"summary": {}, "rows": [], "series": {}}
    init_seed = int(rng.integers(2**31))
    for act in ACTIVATIONS:
        model = mlp(X.shape[1], config.widths, 2, activation=act, seed=init_seed)
        total = np.zeros((len(primary), len(primary)))

        def hook(step, net, state, total=total):
            S = elasticity_matrices(net, Xp, yp, target="output")["S_rel"]  # (m, m)
            total += S
            return {"ratio_same_vs_other": means(S, labels)["ratio"]}

        history = train(model, task, steps=config.steps, lr=config.lr,
                        batch_size=config.batch_size, seed=init_seed, record_at=record_at,
                        hooks=[hook], progress=False)
        S_bar = total / len(record_at)
        rel = means(S_bar, labels)
        out["summary"][f"{act}_ratio"] = rel["ratio"]
        out["summary"][f"{act}_same"] = rel["same"]
        out["summary"][f"{act}_other"] = rel["other"]
        out["summary"][f"{act}_cluster_acc"] = cluster_accuracy(S_bar, labels, seed=seed)
        out["summary"][f"{act}_train_acc"] = history.final("train_acc")
        out["series"][act] = history.series("ratio_same_vs_other")
        out["rows"] += [{"activation": act, **r} for r in history.rows]
        out[f"matrix_{act}"] = S_bar
    out["summary"]["pixel_kmeans_acc"] = kmeans_accuracy(X[primary], labels, seed=seed)
    out["summary"]["pca_kmeans_acc"] = kmeans_accuracy(
        X[primary], labels, pca_components=min(config.pca_components, X.shape[1]), seed=seed)
    out["labels"] = labels
    for key in ("pixel_kmeans_acc", "pca_kmeans_acc", "relu_cluster_acc",
                "linear_cluster_acc", "relu_ratio", "linear_ratio"):
        out["rows"].append({"step": config.steps, "metric": key,
                            "value": float(out["summary"][key])})
    return out


def _take(rng, index, n, cls):
    if len(index) < n:
        raise ValueError(f"n_per_class: must be at most {len(index)} (examples of class {cls} "
                         f"available); got {n}")
    return rng.choice(index, size=n, replace=False)


# --------------------------------------------------------------------------- summary, figures


SUMMARY_FIELDS = {  # summary key (before the data-set suffix) -> per-run field
    "relu_ratio_same_vs_other": "relu_ratio",
    "linear_ratio_same_vs_other": "linear_ratio",
    "relu_cluster_acc": "relu_cluster_acc",
    "linear_cluster_acc": "linear_cluster_acc",
    "pca_kmeans_acc": "pca_kmeans_acc",
    "pixel_kmeans_acc": "pixel_kmeans_acc",
    "relu_alpha": "relu_same",  # intra-class mean S_rel (Zhang, Wang & Su's α)
    "relu_beta": "relu_other",  # inter-class mean S_rel (their β)
    "linear_alpha": "linear_same",
    "linear_beta": "linear_other",
    "relu_train_acc": "relu_train_acc",
    "linear_train_acc": "linear_train_acc",
}


def _summary(config: Config, runs: list[dict], np) -> dict:
    summary: dict = {}
    for name, suffix in DATASET_KEYS.items():
        mine = [r for r in runs if r["dataset"] == name]
        for key, field in SUMMARY_FIELDS.items():
            values = np.array([r[field] for r in mine], dtype=float)
            summary[key + suffix] = float(values.mean()) if len(values) else None
            summary[f"{key}{suffix}_std"] = float(values.std()) if len(values) else None
        summary[f"runs{suffix}"] = len(mine)
        if mine:
            wins = [r["relu_ratio"] > r["linear_ratio"] for r in mine]
            summary[f"ratio_relu_wins{suffix}"] = float(np.mean(wins))
            clust = [r["relu_cluster_acc"] > max(r["linear_cluster_acc"], r["pca_kmeans_acc"])
                     for r in mine]
            summary[f"cluster_relu_wins{suffix}"] = float(np.mean(clust))
    if summary.get("runs"):
        holds = summary["relu_ratio_same_vs_other"] > summary["linear_ratio_same_vs_other"]
        summary["ratio_verdict"] = "holds" if holds else "fails"
        best_other = max(summary["linear_cluster_acc"], summary["pca_kmeans_acc"])
        summary["clustering_verdict"] = ("holds" if summary["relu_cluster_acc"] > best_other
                                         else "fails")
    return summary


def _figures(config: Config, curves: dict, runs: list[dict]) -> dict:
    import numpy as np

    from learnmech.report import figures as fig

    out = {}
    for name, found in curves.items():
        suffix = DATASET_KEYS[name] or "_digits"
        ys, labels = [], []
        for act in ACTIVATIONS:
            steps = found[0]["series"][act][0]
            ys.append(np.stack([f["series"][act][1] for f in found]))
            labels.append(f"{act} MLP")
        out[f"ratio_over_training{suffix}"] = fig.curves_with_bands(
            steps, ys, labels=labels, xlabel="SGD step", logx=False,
            ylabel="mean S_rel same class / other class", hlines={"no locality": 1.0},
            title=f"{name}: local elasticity of the class pair (runs: pairs × seeds)")
        mine = [r for r in runs if r["dataset"] == name]
        methods = ["relu_cluster_acc", "linear_cluster_acc", "pca_kmeans_acc",
                   "pixel_kmeans_acc"]
        values = np.array([[r[m] for r in mine] for m in methods])  # (methods, runs)
        out[f"clustering{suffix}"] = fig.sweep_plot(
            np.arange(len(methods)), values.mean(axis=1), errors=values.std(axis=1),
            labels=["mean ± std over pairs and seeds"], xlabel="0 ReLU S_rel, 1 linear S_rel, "
            "2 PCA K-means, 3 pixel K-means", ylabel="clustering accuracy",
            title=f"{name}: two-class clustering")
        first = found[0]
        for act in ACTIVATIONS:
            order = np.argsort(first["labels"], kind="stable")
            S = first[f"matrix_{act}"][np.ix_(order, order)]
            grouped = np.array([[S[np.ix_(first["labels"][order] == a,
                                          first["labels"][order] == b)].mean()
                                 for b in (0, 1)] for a in (0, 1)])
            out[f"class_matrix_{act}{suffix}"] = fig.elasticity_matrix(
                grouped, class_labels=["class a", "class b"],
                title=f"{name} {act}: mean S_rel, first pair, seed 0")
    return out


def _notes(summary: dict, skipped: list[str]) -> str:
    if not summary.get("runs"):
        return "No digits runs were made. " + " ".join(skipped)
    text = (
        "Digits, averaged over class pairs and seeds (± std): same/other S_rel ratio "
        f"ReLU {summary['relu_ratio_same_vs_other']:.3f} ± "
        f"{summary['relu_ratio_same_vs_other_std']:.3f} vs linear "
        f"{summary['linear_ratio_same_vs_other']:.3f} ± "
        f"{summary['linear_ratio_same_vs_other_std']:.3f}; clustering accuracy ReLU "
        f"{summary['relu_cluster_acc']:.3f}, linear {summary['linear_cluster_acc']:.3f}, PCA "
        f"K-means {summary['pca_kmeans_acc']:.3f}, pixel K-means "
        f"{summary['pixel_kmeans_acc']:.3f}. He & Su's finding (ReLU more locally elastic and "
        f"clustering better): ratio {summary['ratio_verdict']}, clustering "
        f"{summary['clustering_verdict']}."
    )
    return " ".join([text, *skipped])


EXPERIMENT = register(Experiment(
    id="network.local-elasticity",
    description="network: He & Su's local elasticity, ReLU vs linear MLP, with clustering check",
    config_cls=Config,
    run=run,
    smoke={"datasets": ["digits"], "digits_pairs": [[3, 8]], "n_per_class": 20,
           "n_auxiliary": 40, "widths": [64], "steps": 60, "records": 2, "seeds": 1},
))
