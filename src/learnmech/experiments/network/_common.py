"""Shared pieces of the network experiments: data and training sections, seeds, small helpers.

Every network experiment trains real PyTorch networks with :func:`learnmech.nets.train`
(:mod:`learnmech.nets.training` states the conventions: time in optimiser steps, losses,
batches, label noise). Seeding: replicate r of a run with seed s uses
:func:`learnmech.core.seeding.replicate_seed` (``1000 s + r``) for the data subset, the initial
weights and the batches, so one ``--seed`` drives everything and replicates differ.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from learnmech.core.config import ExperimentConfig, Section
from learnmech.core.seeding import replicate_seed

#: image/vector classification sets an experiment may train on
ClassificationSet = Literal["digits", "fashion-mnist", "mnist1d", "gaussian-mixture"]
Width = Annotated[int, Field(ge=1, le=65536)]


def check_device(value: str) -> str:
    """``value`` if it is a torch device this machine has: cpu, cuda, cuda:<index> or mps.

    Torch is imported only for a value other than ``"cpu"`` (the default), and the string is
    read by ``torch.device`` itself, so what torch refuses is refused here, before any work.
    """
    if value == "cpu":
        return value
    import torch

    try:
        device = torch.device(value)
    except (RuntimeError, ValueError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "refused"
        raise ValueError(f"must be a torch device: cpu, cuda, cuda:<index> or mps; got "
                         f"{value[:80]!r} (torch: {reason})") from None
    if device.type == "cpu":
        return value
    if device.type == "cuda":
        if not torch.cuda.is_available():
            why = "torch was built without CUDA" if torch.version.cuda is None else "no GPU found"
            raise ValueError(f"must be a device this machine has; got {value!r}, but CUDA is not "
                             f"available here ({why}); use cpu")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ValueError(f"must be cuda or cuda:0..cuda:{count - 1} ({count} GPU(s) here); "
                             f"got {value!r}")
        return value
    if device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"must be a device this machine has; got {value!r}, but MPS is not "
                             "available here; use cpu")
        return value
    raise ValueError(f"must be cpu, cuda, cuda:<index> or mps; got {value[:80]!r} (a torch "
                     f"device of type {device.type!r}, which the experiments do not run on)")


#: a torch device string, checked by :func:`check_device`
Device = Annotated[str, Field(min_length=1), AfterValidator(check_device)]


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
    device: Device = Field("cpu", description="torch device: cpu, cuda, cuda:0, ... (one this "
                           "machine has)")


class NetworkConfig(ExperimentConfig):
    """data.*, train.*, the hidden layer shape and the number of replicates."""

    data: DataSection = Field(default_factory=DataSection, description="the data set")
    train: TrainSection = Field(default_factory=TrainSection, description="the optimiser")
    activation: Literal["relu", "tanh", "gelu", "erf", "linear", "sigmoid"] = Field(
        "relu", description="hidden activation")
    seeds: int = Field(2, ge=1, le=100, description="replicates (data subset, init, batches)")


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



