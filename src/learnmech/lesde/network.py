"""Logging a real network for the LE-SDE: batch-size-1 SGD that keeps the sampled logits.

The LE-SDE's estimators (:mod:`learnmech.lesde.estimate`) read, at every step, the class of the
sampled example and its logits *before* the update. The house training loop
(:func:`learnmech.nets.training.train`) exposes its state only at record steps, through hooks
that cannot see the batch's forward pass, so this module runs its own small loop: one example
per step, drawn uniformly with replacement (the LE-SDE's sampling), plain SGD (the house
:class:`~learnmech.nets.training.SGD`), cross-entropy, and the forward pass's logits copied
into a preallocated buffer — no extra forward pass. Any ``nn.Module`` mapping
``(1, *input_shape)`` to ``(1, K)`` works; the default network is :func:`lenet`.

Data (:func:`load_lesde_data`): ``geoshapes`` (our GeoMNIST-like generator,
:mod:`learnmech.lesde.geomnist`), or any classification set of
:func:`learnmech.nets.data.load_dataset` restricted to some classes (``digits``,
``fashion-mnist``, ``mnist-5k``) as images.

torch is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LESDE_DATASETS", "LoggedRun", "RunSpec", "lenet", "load_lesde_data", "run_many",
           "run_one", "train_logged"]

LESDE_DATASETS = ("geoshapes", "digits", "fashion-mnist", "mnist-5k")


@dataclass(frozen=True)
class LoggedRun:
    """One batch-size-1 training run, logged.

    Attributes
    ----------
    indices : np.ndarray of int64, shape (T,)
        Training example sampled at each step.
    labels : np.ndarray of int64, shape (T,)
        Training label of the example sampled at each step (after label corruption).
    true_labels : np.ndarray of int64, shape (T,)
        Its clean label.
    logits : np.ndarray of float32, shape (T, K) or None
        Its logits before the update (None when trained with ``log=False``).
    eval_steps : np.ndarray of int64, shape (E,)
        Steps at which the sets were evaluated (updates done).
    train_acc : np.ndarray, shape (E,)
        Accuracy on the training set against the labels trained on.
    test_acc : np.ndarray, shape (E,)
        Accuracy on the (clean) test set.
    train_loss : np.ndarray, shape (E,)
        Mean cross-entropy on the training set (labels trained on), nats.
    """

    indices: np.ndarray
    labels: np.ndarray
    true_labels: np.ndarray
    logits: np.ndarray | None
    eval_steps: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray


@dataclass(frozen=True)
class RunSpec:
    """One logged LeNet run, described by value (so a worker process can rebuild it).

    Attributes
    ----------
    dataset : str
        One of :data:`LESDE_DATASETS`.
    n_per_class, n_test_per_class : int
    classes : tuple of int
        Classes of a stored set (ignored for geoshapes).
    data_seed : int
        Seed of the data draw (the same data for every run of a sweep by default).
    seed : int
        Seed of the weights, the label corruption and the sampled examples.
    steps : int
    lr : float
    label_noise : float
    eval_at : tuple of int
    """

    dataset: str
    n_per_class: int
    n_test_per_class: int
    classes: tuple[int, ...]
    data_seed: int
    seed: int
    steps: int
    lr: float
    label_noise: float = 0.0
    eval_at: tuple[int, ...] = ()


def run_one(spec: RunSpec) -> LoggedRun:
    """Load the data, build :func:`lenet` with ``spec.seed`` and :func:`train_logged` it."""
    data = load_lesde_data(spec.dataset, n_per_class=spec.n_per_class,
                           n_test_per_class=spec.n_test_per_class, classes=spec.classes,
                           seed=spec.data_seed)
    model = lenet(data.X_train.shape[1], data.X_train.shape[-1], data.num_classes,
                  seed=spec.seed)
    return train_logged(model, data, steps=spec.steps, lr=spec.lr, seed=spec.seed,
                        label_noise=spec.label_noise, eval_at=spec.eval_at)


def run_many(specs: Sequence[RunSpec], *, workers: int = 1, desc: str = "runs"
             ) -> list[LoggedRun]:
    """:func:`run_one` for every spec, in order; ``workers > 1`` uses that many spawned
    processes (one torch thread each). The results do not depend on ``workers``.
    """
    from learnmech.core.progress import bar

    specs = list(specs)
    if int(workers) <= 1 or len(specs) <= 1:
        return [run_one(s) for s in bar(specs, desc=desc, unit="run")]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(int(workers), len(specs)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(bar(pool.map(run_one, specs), total=len(specs), desc=desc, unit="run"))


def lenet(in_channels: int, image_size: int, num_classes: int, *, seed: int | None = None):
    """A LeNet-like CNN: [Conv 5×5 (pad 2) → ReLU → MaxPool 2] with 6 then 16 channels,
    Linear → 120 → ReLU → 84 → ReLU → K.

    Inputs (n, in_channels, S, S) with S >= 4 (8×8 digits give a 2×2×16 map); outputs (n, K).
    Weights are drawn from torch's default initialisation under ``seed`` (torch's global RNG
    is left as it was).
    """
    import torch
    from torch import nn

    size = int(image_size)
    if size < 4:
        raise ValueError(f"lenet: image_size must be >= 4; got {image_size}")
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(int(seed))
        return nn.Sequential(
            nn.Conv2d(int(in_channels), 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * (size // 4) ** 2, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, int(num_classes)))


def load_lesde_data(name: str, *, n_per_class: int, n_test_per_class: int,
                    classes: Sequence[int] = (0, 1, 2), seed: int = 0):
    """Images for the LE-SDE experiments: a :class:`learnmech.nets.data.Dataset`, (n, 1, S, S).

    ``geoshapes`` generates exactly ``n_per_class`` / ``n_test_per_class`` images per class
    (its three classes; ``classes`` is ignored); the stored sets keep ``classes`` (relabelled
    0..k−1) and draw that many of each class (all there are, if fewer). Pixels are
    standardised with the training set's mean and standard deviation.
    """
    from learnmech.nets.data import dataset_from_arrays, load_dataset

    if name == "geoshapes":
        from learnmech.lesde.geomnist import geoshapes_dataset

        data = geoshapes_dataset(n_per_class, n_test_per_class, seed=seed)
    elif name in LESDE_DATASETS:
        full = load_dataset(name, seed=seed, classes=list(classes), flatten=False)
        rng = np.random.default_rng(seed)
        tr = _per_class(full.y_train, n_per_class, rng)
        te = _per_class(full.y_test, n_test_per_class, rng)
        data = dataset_from_arrays(full.X_train[tr], full.y_train[tr], full.X_test[te],
                                   full.y_test[te], name=name, num_classes=full.num_classes)
    else:
        raise ValueError(f"dataset must be one of {', '.join(LESDE_DATASETS)}; got {name!r}")
    X_train, X_test = data.X_train, data.X_test
    if X_train.ndim == 3:
        X_train, X_test = X_train[:, None], X_test[:, None]
    mu, sd = float(X_train.mean()), float(X_train.std()) or 1.0
    return dataset_from_arrays((X_train - mu) / sd, data.y_train, (X_test - mu) / sd,
                               data.y_test, name=data.name, num_classes=data.num_classes)


def train_logged(model, data, *, steps: int, lr: float, seed: int = 0,
                 label_noise: float = 0.0, log: bool = True,
                 eval_at: Sequence[int] = (), device: str = "cpu") -> LoggedRun:
    """Train ``model`` in place with batch-size-1 SGD on cross-entropy, logging every step.

    Parameters
    ----------
    model : nn.Module
        Maps ``(1, *data.input_shape)`` to ``(1, K)``.
    data : learnmech.nets.data.Dataset
        A classification set.
    steps : int
        Number of updates T (>= 1).
    lr : float
        Learning rate η (> 0).
    seed : int
        Drives the label corruption and the sampled examples (one numpy Generator); the
        initial weights come from the model's own seed.
    label_noise : float
        Share p in [0, 1) of training labels corrupted: round(p n) examples, drawn at random,
        get a uniformly drawn other label (:func:`learnmech.nets.training.flip_labels`).
    log : bool
        Keep the sampled example's logits (False: the same loop without the copy — the
        reference of ``benchmarks/lesde_logging_overhead.py``).
    eval_at : sequence of int
        Steps at which train and test accuracy are measured (outside [0, T] ignored).
    device : str

    Returns
    -------
    LoggedRun
    """
    import torch
    import torch.nn.functional as F

    from learnmech.nets.training import SGD, default_threads, flip_labels

    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be an int >= 1; got {steps}")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite float > 0; got {lr}")
    if not 0.0 <= label_noise < 1.0:
        raise ValueError(f"label_noise must be in [0, 1); got {label_noise}")
    if not data.is_classification:
        raise ValueError(f"{data.name}: train_logged needs a classification set")
    default_threads()
    rng = np.random.default_rng(seed)
    y_clean = np.asarray(data.y_train, dtype=np.int64)
    y_used = flip_labels(y_clean, data.num_classes, label_noise, rng)[0] if label_noise > 0 \
        else y_clean
    picks = rng.integers(0, len(y_used), size=steps)
    model = model.to(device)
    X = torch.as_tensor(data.X_train, dtype=torch.float32, device=device)
    y = torch.as_tensor(y_used, device=device)
    Xte = torch.as_tensor(data.X_test, dtype=torch.float32, device=device)
    yte = torch.as_tensor(data.y_test, dtype=torch.long, device=device)
    opt = SGD([p for p in model.parameters() if p.requires_grad], lr=float(lr))
    buffer = torch.empty((steps, data.num_classes), device=device) if log else None
    evals = sorted({int(s) for s in eval_at if 0 <= int(s) <= steps})
    found: list[tuple[float, float, float]] = []
    model.train()
    nxt = 0
    for t in range(steps + 1):
        if nxt < len(evals) and evals[nxt] == t:
            found.append(_evaluate(model, X, y, Xte, yte))
            nxt += 1
        if t == steps:
            break
        i = int(picks[t])
        out = model(X[i:i + 1])                                   # (1, K)
        loss = F.cross_entropy(out, y[i:i + 1])
        if log:
            buffer[t] = out.detach()[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc_tr, acc_te, loss_tr = (np.asarray(v, dtype=float) for v in zip(*found, strict=True)) \
        if found else (np.zeros(0),) * 3
    return LoggedRun(indices=picks, labels=y_used[picks], true_labels=y_clean[picks],
                     logits=buffer.cpu().numpy() if log else None,
                     eval_steps=np.asarray(evals, dtype=np.int64), train_acc=acc_tr,
                     test_acc=acc_te, train_loss=loss_tr)


def _evaluate(model, X, y, Xte, yte) -> tuple[float, float, float]:
    """(train accuracy, test accuracy, train loss) without gradients, in chunks."""
    import torch
    import torch.nn.functional as F

    model.eval()
    with torch.no_grad():
        out_tr = torch.cat([model(X[s:s + 2048]) for s in range(0, len(X), 2048)])
        out_te = torch.cat([model(Xte[s:s + 2048]) for s in range(0, len(Xte), 2048)])
    model.train()
    return (float((out_tr.argmax(-1) == y).float().mean()),
            float((out_te.argmax(-1) == yte).float().mean()),
            float(F.cross_entropy(out_tr, y)))


def _per_class(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of up to ``n`` examples of each class, drawn at random, in class order."""
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        picked.append(rng.choice(idx, size=min(int(n), len(idx)), replace=False))
    return np.concatenate(picked)
