"""Shared pieces of the LE-SDE experiments: data and training sections, runs, small statistics.

Every LE-SDE experiment trains LeNets (:func:`learnmech.lesde.network.lenet`) with batch-size-1
SGD and logs the sampled example's logits before every update
(:func:`learnmech.lesde.network.train_logged`); the conventions of the model (features, time in
SGD steps, impacts per step) are in :mod:`learnmech.lesde.sde`. Seeding: run r of a setting
with seed s uses weights/sampling seed ``1000 s + r``; the data set is drawn once from seed s,
so the runs of a setting differ by their network and their SGD path, as the paper's trials do.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.core.config import Section

#: data sets a LE-SDE experiment may train on (learnmech.lesde.network.LESDE_DATASETS)
LesdeSet = Literal["geoshapes", "digits", "fashion-mnist", "mnist-5k"]


class DataSection(Section):
    """Which images, which classes and how many of each."""

    name: LesdeSet = Field("geoshapes", description="data set: geoshapes (our GeoMNIST-like "
                           "generator, 3 classes), or digits / fashion-mnist / mnist-5k classes")
    classes: tuple[int, ...] = Field((0, 1, 2), min_length=2, max_length=10,
                                     description="classes of a stored set (ignored for "
                                     "geoshapes), distinct, in [0, 9]")
    n_per_class: int = Field(300, ge=5, le=6000, description="training images per class")
    n_test_per_class: int = Field(200, ge=5, le=1000, description="test images per class")

    @model_validator(mode="after")
    def _classes(self):
        if len(set(self.classes)) != len(self.classes) or not all(
                0 <= c <= 9 for c in self.classes):
            raise ValueError(f"classes: must be distinct integers in [0, 9]; got "
                             f"{list(self.classes)}")
        return self


class TrainSection(Section):
    """Batch-size-1 SGD on the cross-entropy (learnmech.lesde.network.train_logged)."""

    steps: int = Field(6000, ge=50, le=10**6, description="SGD steps (one example each)")
    lr: float = Field(0.02, gt=0.0, le=10.0, description="learning rate η")
    evals: int = Field(6, ge=1, le=200, description="evenly spaced evaluations of train and "
                       "test accuracy (the last at the end)")
    workers: int = Field(2, ge=1, le=256, description="processes training runs in parallel "
                         "(the numbers do not depend on it)")


def num_classes(data: DataSection) -> int:
    """K of the data section (geoshapes has 3 classes)."""
    return 3 if data.name == "geoshapes" else len(data.classes)


def run_seed(seed: int, replicate: int) -> int:
    """Weights and sampling seed of replicate r under the run's seed."""
    return 1000 * int(seed) + int(replicate)


def specs(data: DataSection, train: TrainSection, *, seed: int, replicates: int,
          label_noise: float = 0.0, n_per_class: int | None = None):
    """RunSpecs for ``replicates`` runs of one setting."""
    import numpy as np

    from learnmech.lesde.network import RunSpec

    evals = tuple(int(s) for s in np.unique(np.linspace(0, train.steps, train.evals + 1)
                                            .round().astype(int))[1:])
    return [RunSpec(dataset=data.name, n_per_class=n_per_class or data.n_per_class,
                    n_test_per_class=data.n_test_per_class, classes=tuple(data.classes),
                    data_seed=int(seed), seed=run_seed(seed, r), steps=train.steps,
                    lr=train.lr, label_noise=float(label_noise), eval_at=evals)
            for r in range(int(replicates))]


def stack_logs(runs, *, true_labels: bool = False):
    """(labels (runs, T), logits (runs, T, K)) of logged runs; ``true_labels`` for clean ones."""
    import numpy as np

    labels = np.stack([r.true_labels if true_labels else r.labels for r in runs])
    return labels, np.stack([r.logits for r in runs])


def final_separation(labels, logits, num_classes: int, window: int) -> float:
    """s̄ = mean_k ⟨X̄_k, u_k⟩/‖u_k‖² of the class means over the last ``window`` steps.

    The discriminative coordinate of :mod:`learnmech.lesde.ode`: how far apart, in logit
    units, the classes' training features ended (0: not separated; < 0: each class pushed
    towards the others).
    """
    import numpy as np

    from learnmech.lesde.estimate import class_means_from_log
    from learnmech.lesde.ode import discriminative_coordinates

    T = np.atleast_2d(labels).shape[1]
    w = min(int(window), T)
    _, Xbar, _ = class_means_from_log(labels, logits, num_classes, window=w,
                                      grid=[T - w + w // 2])
    return float(discriminative_coordinates(Xbar[-1]).mean())


def nan_to_none(value):
    """JSON-friendly: NaN and inf become None, numpy scalars plain floats."""
    import math

    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plot_impact_difference(fig, ax, fits, labels) -> None:
    """Draw Â(t) − B̂(t) of each fit in regime on ``ax`` (viridis by order), or say none is.

    ``fits`` are :class:`learnmech.lesde.fit.ImpactFit`-like objects (``steps``, ``A``, ``B``,
    ``reference_step``; out of regime when ``reference_step`` is None); ``labels`` their
    legend entries, in the same order. The legend goes below ``fig``, off the data.
    """
    from matplotlib import colormaps

    from learnmech.plots import place_legend

    colours = colormaps["viridis"]
    for i, (fit, label) in enumerate(zip(fits, labels, strict=True)):
        if fit.reference_step is not None:
            ax.plot(fit.steps, fit.A - fit.B, color=colours(i / max(len(fits) - 1, 1)),
                    label=label)
    ax.set_xlabel("SGD step (one example each)")
    ax.set_ylabel(r"$\hat{A}(t) - \hat{B}(t)$ since the reference step")
    if ax.lines:
        place_legend(fig, ax)
    else:
        ax.text(0.5, 0.5, "no setting in regime", transform=ax.transAxes, ha="center")
