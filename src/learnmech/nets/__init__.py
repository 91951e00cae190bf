"""The network lens: data sets, networks and one training loop (PyTorch, loaded lazily).

Conventions (time in optimiser steps, losses, batches, label noise, seeds, threads) are stated
once in :mod:`learnmech.nets.training`; the data sets and their shapes in
:mod:`learnmech.nets.data`.
Importing this package does not import torch; the names below load on first use (PEP 562).
"""

from __future__ import annotations

from learnmech.core.lazy import lazy_exports

_EXPORTS = {
    # data
    "data": ("Dataset", "DatasetUnavailable", "DATASETS", "dataset_from_arrays", "load_dataset"),
    "mnist1d": ("make_mnist1d",),
    # networks
    "models": ("ACTIVATIONS", "hidden_layers", "mlp", "small_cnn"),
    # training
    "training": ("Adam", "AdamW", "History", "SGD", "TrainState", "default_threads", "evaluate",
                 "flip_labels", "log_schedule", "loss_function", "seed_everything",
                 "sequential_tasks", "train"),
    # the kernel regime: networks in the theory lens's convention, and their trainers
    "ntk": ("NTKMLP", "empirical_ntk", "empirical_nngp"),
    "empirical": ("empirical_ntk_outputs",),
    "layered": ("LayeredNet", "finite_network", "empirical_nngp_layered"),
    "kernel_regime": ("HeavyBall", "heavy_ball_for_kernel", "train_gradient_flow",
                      "train_langevin"),
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
