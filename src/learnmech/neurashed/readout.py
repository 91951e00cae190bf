"""Class scores and log-likelihood gradients for many examples at once (numpy reference).

The *sum* readout:  s_k(x) = Σ_{f∈F_x} w_f λ_f W[k, f],  w_f = β ω_{l(f)}.
The *flow* readout: volume enters at active level-1 features and passes up the active
composition edges, multiplied by each node's amplitude:

    v_f(x) = λ_f · inflow_f(x),  inflow_f = 1 at level 1, else Σ_{c child of f, c∈F_x} v_c(x),
    s_k(x) = Σ_{f∈F_x, l(f)=L} w_f v_f(x) W[k, f].

p(·|x) = softmax(s(x)). The gradient g_f(x) = ∂ log p_y(x) / ∂λ_f drives every update rule.
These functions work on dense (n_examples, n_features) arrays; the fast core in
:mod:`learnmech.neurashed.core` computes the same quantities one example at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnmech.neurashed.spec import TrainSpec, per_level
from learnmech.neurashed.wiring import make_wiring
from learnmech.neurashed.world import World


@dataclass(frozen=True)
class Readout:
    """The fixed maps from amplitudes to class scores of one world.

    Attributes
    ----------
    wiring : (n_features, n_classes) — W transposed (see :mod:`learnmech.neurashed.wiring`)
    weight : (n_features,) — w_f = β ω_{l(f)}
    level : (n_features,) — 1..L
    children : scipy.sparse.csr_matrix (n_features, n_features) — [f, c] = 1 if c is f's child
    kind : "sum" or "flow"
    """

    wiring: np.ndarray
    weight: np.ndarray
    level: np.ndarray
    children: object
    kind: str

    @property
    def top(self) -> int:
        return int(self.level.max())

    def scores(self, features, lam: np.ndarray) -> np.ndarray:
        """Class scores of shape (n_examples, K); ``features`` is (n_examples, F), 0/1."""
        if self.kind == "sum":
            return features @ ((self.weight * lam)[:, None] * self.wiring)
        value, _ = self._flow_forward(_dense(features), lam)
        top = self.level == self.top
        return (value * (self.weight * top)) @ self.wiring

    def log_probs(self, features, lam: np.ndarray) -> np.ndarray:
        """log p(k | x) of shape (n_examples, K)."""
        return log_softmax(self.scores(features, lam))

    def gradients(self, features, labels: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """g_f(x) = ∂ log p_y(x) / ∂λ_f, shape (n_examples, F); zero off each F_x."""
        features = _dense(features)
        resid = -np.exp(self.log_probs(features, lam))
        resid[np.arange(len(labels)), labels] += 1.0  # e_y − p, shape (n, K)
        drive = resid @ self.wiring.T  # Σ_k W[k, f] (e_y − p)_k, shape (n, F)
        if self.kind == "sum":
            return features * self.weight * drive
        _, inflow = self._flow_forward(features, lam)
        top_term = features * (self.weight * (self.level == self.top)) * drive
        delta = top_term  # ∂ log p / ∂v_f, filled in from the top level down
        for _ in range(self.top - 1):
            delta = top_term + features * (self.children.T @ (delta * lam).T).T
        return delta * inflow * features

    def _flow_forward(self, features: np.ndarray, lam: np.ndarray):
        """(value, inflow), each of shape (n_examples, F); exact after L − 1 sweeps (a DAG)."""
        first = (self.level == 1).astype(float)
        inflow = np.broadcast_to(first, features.shape)
        value = features * lam * inflow
        for _ in range(self.top - 1):
            inflow = np.where(first > 0, 1.0, (self.children @ value.T).T)
            value = features * lam * inflow
        return value, inflow


def make_readout(world: World, spec: TrainSpec) -> Readout:
    """The readout of ``world`` under ``spec`` (β, ω, readout kind); wiring from its train set."""
    from scipy.sparse import csr_matrix

    omega = np.asarray(per_level(spec.omega, world.n_levels), dtype=float)
    if len(omega) != world.n_levels:
        raise ValueError(
            f"train.omega: must be one value or {world.n_levels} values (one per level); "
            f"got {len(omega)}"
        )
    n = world.n_features
    children = csr_matrix(
        (np.ones(len(world.child_idx)), world.child_idx, world.child_ptr), shape=(n, n)
    )
    return Readout(
        wiring=make_wiring(world.train, n, world.n_classes),
        weight=spec.beta * omega[world.level - 1],
        level=world.level,
        children=children,
        kind=spec.readout,
    )


def points_to_label(wiring: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Boolean (n, F): W[y, f] is positive and (one of) the largest of W[:, f] — the features
    the ``fixed`` rule grows for an example of label y (see :mod:`dynamics`)."""
    toward = wiring[:, labels].T  # W[y_i, f], shape (n, F)
    return (toward >= wiring.max(axis=1)) & (toward > 0)


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of an array of shape (n, K)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _dense(features) -> np.ndarray:
    return features.toarray() if hasattr(features, "toarray") else np.asarray(features, float)
