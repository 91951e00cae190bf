"""Networks: MLPs of any widths and activations, a small CNN, and where their hidden layers are.

Any ``torch.nn.Module`` mapping a batch ``(n, ...)`` to outputs ``(n, C)`` works with the
training loop and the probes; these builders are conveniences. Initialisation is PyTorch's
default (Kaiming-uniform) drawn from ``seed`` when one is given (inside ``fork_rng``, so the
global torch RNG is left as it was).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "Erf", "activation_module", "hidden_layers", "mlp", "small_cnn"]


class Erf(nn.Module):
    """The error function as a layer (the activation with closed-form NNGP/NTK)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.erf(x)


#: activation name -> module class
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "linear": nn.Identity, "identity": nn.Identity,
    "gelu": nn.GELU, "erf": Erf, "sigmoid": nn.Sigmoid,
}

#: module types whose outputs count as hidden representations
_ACTIVATION_TYPES = tuple(set(ACTIVATIONS.values()) - {nn.Identity})


class _Hidden(nn.Identity):
    """Marks the output of a linear (identity-activation) hidden layer."""


def activation_module(name: str) -> nn.Module:
    """A fresh activation layer by name (one of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
    return _Hidden() if ACTIVATIONS[name] is nn.Identity else ACTIVATIONS[name]()


def mlp(input_dim: int, widths: Sequence[int], output_dim: int, *, activation: str = "relu",
        bias: bool = True, seed: int | None = None) -> nn.Sequential:
    """A fully connected network: Linear → activation per hidden width, then a Linear readout.

    Parameters
    ----------
    input_dim : int
        D of inputs of shape (n, D) (flatten images first: ``Dataset.flat()``).
    widths : sequence of int
        Hidden widths (empty: a linear model).
    output_dim : int
        Classes (logits) or 1 for regression.
    activation : str
        One of :data:`ACTIVATIONS`; ``"linear"`` gives a deep linear network.
    seed : int, optional
        Draw the initial weights from this seed.

    Returns
    -------
    nn.Sequential
        ``[Linear, act, Linear, act, ..., Linear]``; :func:`hidden_layers` lists the ``act``s.
    """
    for name, value in (("input_dim", input_dim), ("output_dim", output_dim), *(
            (f"widths[{i}]", w) for i, w in enumerate(widths))):
        if int(value) < 1:
            raise ValueError(f"mlp: {name} must be a positive integer; got {value!r}")
    activation_module(activation)  # validates the name
    with _seeded(seed):
        layers: list[nn.Module] = []
        fan_in = input_dim
        for width in widths:
            layers += [nn.Linear(fan_in, int(width), bias=bias), activation_module(activation)]
            fan_in = int(width)
        layers.append(nn.Linear(fan_in, output_dim, bias=bias))
        return nn.Sequential(*layers)


def small_cnn(in_channels: int, image_size: int, num_classes: int, *,
              channels: Sequence[int] = (16, 32), hidden: int = 64, activation: str = "relu",
              seed: int | None = None) -> nn.Module:
    """Conv(3×3, pad 1) → act → MaxPool(2) per entry of ``channels``, then a hidden Linear.

    Inputs of shape (n, in_channels, image_size, image_size); outputs (n, num_classes).
    """
    with _seeded(seed):
        layers: list[nn.Module] = []
        size, fan_in = int(image_size), int(in_channels)
        for c in channels:
            layers += [nn.Conv2d(fan_in, int(c), 3, padding=1), activation_module(activation)]
            if size >= 2:
                layers.append(nn.MaxPool2d(2))
                size //= 2
            fan_in = int(c)
        layers += [nn.Flatten(), nn.Linear(fan_in * size * size, hidden),
                   activation_module(activation), nn.Linear(hidden, num_classes)]
        return nn.Sequential(*layers)


def hidden_layers(model: nn.Module) -> list[nn.Module]:
    """Modules whose outputs are the hidden representations, input to output.

    For :func:`mlp` and :func:`small_cnn` these are the activation layers. For any other
    module: its activation layers (ReLU, Tanh, GELU, Sigmoid, Erf) when it has some, else every
    ``nn.Linear`` but the last. Register forward hooks on them to read representations.
    """
    found = [m for m in model.modules() if isinstance(m, (_Hidden, *_ACTIVATION_TYPES))]
    if found:
        return found
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return linears[:-1]


class _seeded:
    """Context: torch's global RNG seeded with ``seed`` and restored afterwards (no-op on None)."""

    def __init__(self, seed: int | None):
        self.seed = seed
        self._fork = None

    def __enter__(self):
        if self.seed is not None:
            self._fork = torch.random.fork_rng(devices=[])
            self._fork.__enter__()
            torch.manual_seed(int(self.seed))
        return self

    def __exit__(self, *exc):
        if self._fork is not None:
            return self._fork.__exit__(*exc)
        return False
