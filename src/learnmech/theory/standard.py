"""The NTK of a fully connected network in the standard parameterisation, and its learning rate.

Standard parameterisation (SP): ``z^{l+1} = W φ(z^l) + b`` with ``W ~ N(0, σ_w²/N_l)``,
``b ~ N(0, σ_b²)``, ``N_0 = d``. It computes the same function at initialisation as the NTK
parameterisation of :mod:`learnmech.theory` (``W = (σ_w/√N_l) ω``, ``b = σ_b β`` with
standard-normal ``ω``, ``β``), hence the same NNGP — but gradients differ:
``∂f/∂W = (√N_l/σ_w) ∂f/∂ω`` and ``∂f/∂b = ∂f/∂β / σ_b``, so per layer

    Θ_SP = Σ_l [ (N_{l−1}/σ_w²) Θ_ω^{(l)} + Θ_β^{(l)}/σ_b² ]
         = Σ_l ( N_{l−1} Σ̃^{l−1}(x, x') + 1 ) Π_{m>l} Σ̇^m(x, x'),

with ``Σ̃^0 = x·x'/d``, ``Σ̃^{l} = E[φ(u)φ(v)]`` the per-unit covariance of the input of layer
``l + 1`` and ``Σ̇^m = σ_w² E[φ'φ']`` (:mod:`learnmech.theory.kernels`). Each weight layer's term
is multiplied by its fan-in: the SP NTK **grows linearly with the width** ``N`` (exactly affine
in ``N``: ``Θ_SP(N) = Θ_0 + N Θ_1``).

Learning-rate convention
------------------------
Gradient descent with one step size ``η`` on SP parameters moves the function by
``−η Θ_SP ∇_f L``; it is stable only for ``η ≲ 2/λ_max(Θ_SP/n)`` (with the mean loss
``L = (1/2n) Σ (f − y)²``), i.e. ``η ∝ 1/N``. Written ``η = η₀/N``, the dynamics tend to kernel
gradient flow with ``Θ_SP/N → Θ_1 = Σ_{l>=2} Σ̃^{l−1} Π_{m>l} Σ̇^m`` (``width=None`` below): the
hidden-to-hidden and readout weights only — the first layer's weights (fan-in ``d``, fixed)
and all biases stop learning in that limit (Sohl-Dickstein, Novak, Schoenholz & Lee, "On the
infinite width limit of neural networks with a standard parameterization", 2020). Equivalently,
SP with step ``η`` is the NTK parameterisation with per-layer steps ``η N_{l−1}/σ_w²`` (weights)
and ``η/σ_b²`` (biases).

The formula is the standard-parameterised :class:`~learnmech.theory.layers.Dense` layer of
:mod:`learnmech.theory.layers`; :func:`standard_ntk` is its fully connected chain, checked against
Monte-Carlo SP networks (:class:`learnmech.nets.ntk.NTKMLP` with
``parameterization="standard"``) in ``tests/theory/test_layers_infinite.py``.
"""

from __future__ import annotations

import numpy as np

from learnmech.theory._validate import check_int
from learnmech.theory.layers import Activation, Dense, Serial, serial

__all__ = ["standard_mlp", "standard_ntk"]


def standard_mlp(
    depth: int, width: int, *, activation: str = "relu", sigma_w2: float = 1.0,
    sigma_b2: float = 1.0,
) -> Serial:
    """The layer chain of a depth-``depth`` SP network with hidden width ``width``."""
    depth = check_int("depth", depth, 1)
    width = check_int("width", width, 1)
    kw = {"sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "parameterization": "standard"}
    items: list = []
    for _ in range(depth - 1):
        items += [Dense(width, **kw), Activation(activation)]
    return serial(*items, Dense(**kw))


def standard_ntk(
    X1: np.ndarray, X2: np.ndarray | None = None, *, depth: int, width: int | None,
    activation: str = "relu", sigma_w2: float = 1.0, sigma_b2: float = 1.0,
) -> np.ndarray:
    """The SP NTK ``Θ_SP(N)`` at hidden width ``N = width``, or ``lim Θ_SP/N`` for None.

    Parameters
    ----------
    X1 : array_like (n1, d); X2 : array_like (n2, d), optional
    depth : int
        Dense layers ``L >= 1``.
    width : int or None
        Hidden width ``N`` (the fan-in of layers 2..L). None: the slope ``Θ_1`` of
        ``Θ_SP(N) = Θ_0 + N Θ_1``, the kernel of training with step ``η₀/N`` as ``N → ∞``
        (zero for ``depth == 1``, which has no hidden layer).
    activation, sigma_w2, sigma_b2
        As in :func:`learnmech.theory.fc_kernel`.

    Returns
    -------
    ndarray (n1, n2), float64.
    """
    kw = {"activation": activation, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2}
    if width is not None:
        return standard_mlp(depth, width, **kw)(X1, X2).ntk
    # Θ_SP is exactly affine in N: the slope is the difference of two widths.
    return standard_mlp(depth, 2, **kw)(X1, X2).ntk - standard_mlp(depth, 1, **kw)(X1, X2).ntk
