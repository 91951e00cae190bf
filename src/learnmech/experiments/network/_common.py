"""Shared pieces of the network experiments: data and training sections, seeds, small helpers.

Every network experiment trains real PyTorch networks with :func:`learnmech.nets.train`
(:mod:`learnmech.nets.training` states the conventions: time in optimiser steps, losses,
batches, label noise). Seeding: replicate r of a run with seed s uses seed ``1000 s + r`` for
the data subset, the initial weights and the batches, so one ``--seed`` drives everything and
replicates differ.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from learnmech.core.config import ExperimentConfig, Section

#: image/vector classification sets an experiment may train on
ClassificationSet = Literal["digits", "fashion-mnist", "mnist1d", "gaussian-mixture"]
Width = Annotated[int, Field(ge=1, le=65536)]


class DataSection(Section):
    """Which data set and how much of it."""

    name: ClassificationSet = Field("digits", description="data set (learnmech.nets.data)")
    n_train: int = Field(500, ge=10, le=60000, description="training examples (random subset)")
    n_test: int = Field(449, ge=10, le=10000, description="test examples (random subset)")


class TrainSection(Section):
    """Optimiser and schedule (see learnmech.nets.training)."""

    steps: int = Field(2000, ge=1, le=10**7, description="optimiser steps")
    lr: float = Field(0.1, gt=0.0, le=100.0, description="learning rate η")
    batch_size: int = Field(32, ge=1, le=100000, description="examples per mini-batch")
    optimizer: Literal["sgd", "adam"] = Field("sgd", description="optimiser")
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="SGD momentum")
    weight_decay: float = Field(0.0, ge=0.0, le=10.0, description="L2 weight decay")
    records: int = Field(30, ge=2, le=1000, description="log-spaced recording points")
    device: str = Field("cpu", min_length=1, description="torch device: cpu, cuda, cuda:0, ...")


class NetworkConfig(ExperimentConfig):
    """data.*, train.*, the hidden layer shape and the number of replicates."""

    data: DataSection = Field(default_factory=DataSection, description="the data set")
    train: TrainSection = Field(default_factory=TrainSection, description="the optimiser")
    activation: Literal["relu", "tanh", "gelu", "erf", "linear", "sigmoid"] = Field(
        "relu", description="hidden activation")
    seeds: int = Field(2, ge=1, le=100, description="replicates (data subset, init, batches)")


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a run seeded ``seed`` (module docstring)."""
    return 1000 * int(seed) + int(replicate)


def load(config: NetworkConfig, replicate: int):
    """The configured data set (flattened) for one replicate."""
    from learnmech.nets import load_dataset

    return load_dataset(config.data.name, n_train=config.data.n_train,
                        n_test=config.data.n_test,
                        seed=replicate_seed(config.seed, replicate)).flat()


def train_kwargs(config: NetworkConfig, **changes) -> dict:
    """Keyword arguments of :func:`learnmech.nets.train` from ``train.*`` (plus changes)."""
    t = config.train
    kwargs = dict(steps=t.steps, lr=t.lr, batch_size=t.batch_size, optimizer=t.optimizer,
                  momentum=t.momentum, weight_decay=t.weight_decay, device=t.device,
                  progress=False)
    kwargs.update(changes)
    return kwargs


def mean_series(rows: list[dict], metric: str, **groups):
    """(steps (T,), values (S, T)) of ``metric`` over replicates (column ``seed``), NaN-padded."""
    from learnmech.neurashed.observables import series

    return series(rows, metric, **groups)


def first_step_at(steps, values, level: float) -> int | None:
    """First recorded step at which the replicate mean reaches ``level``; None if never."""
    import numpy as np

    mean = np.nanmean(np.atleast_2d(values), axis=0)
    hit = np.flatnonzero(mean >= level)
    return int(steps[hit[0]]) if len(hit) else None




def representations(model, X):
    """Outputs of the last hidden layer of ``model`` on ``X``: array (n, width)."""
    import torch

    from learnmech.nets import hidden_layers

    layer = hidden_layers(model)[-1]
    found = {}
    handle = layer.register_forward_hook(lambda m, i, o: found.__setitem__("h", o.detach()))
    try:
        with torch.no_grad():
            model(X)
    finally:
        handle.remove()
    return found["h"].reshape(len(X), -1).cpu().numpy()



