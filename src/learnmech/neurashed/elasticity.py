"""Local elasticity of neurashed (He & Su, ICLR 2020; Zhang, Wang & Su, NeurIPS 2021).

For a probe example x, apply the x-specific part of one update of the rule in use — the global
shrink left out — with a small probing step ε, and measure for every training example x' ≠ x the
relative similarity

    S(x, x') = |Δ log p_{y'}(x')| / |Δ log p_y(x)|.

Pairs are grouped by the relation of their classes in the taxonomy: same class, same parent
(superclass), other parent. The elasticity ratio is mean S over same-class pairs divided by
mean S over other-superclass pairs (over different-class pairs when the tree is flat).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnmech.neurashed.readout import Readout, points_to_label
from learnmech.neurashed.spec import TrainSpec
from learnmech.neurashed.world import World

RELATIONS = ("same_class", "same_superclass", "other_superclass")


@dataclass(frozen=True)
class Elasticity:
    """Relative similarities of probe updates.

    Attributes
    ----------
    pairs : ndarray of shape (n_train, n_train) — S(x_i, x_j), NaN on the diagonal
    by_relation : dict relation -> mean S over pairs of that relation (NaN if none)
    class_matrix : ndarray of shape (K, K) — mean S from probes of class a to examples of class b
    ratio : float — same-class mean over other-superclass (or other-class) mean
    """

    pairs: np.ndarray
    by_relation: dict[str, float]
    class_matrix: np.ndarray
    ratio: float


def probe_update(lam: np.ndarray, grad: np.ndarray, rule: str, step: float, gain: float):
    """The x-specific part of one update, without the shrink. ``grad`` of shape (F,).

    multiplicative: λ·exp(ε g); additive: max(0, λ + ε g); fixed: λ·exp(ε κ q), where q marks
    the features that point to the label (passed in ``grad`` as 0/1).
    """
    if rule == "multiplicative":
        return lam * np.exp(step * grad)
    if rule == "additive":
        return np.maximum(0.0, lam + step * grad)
    return lam * np.exp(step * gain * grad)


def measure_elasticity(
    world: World, readout: Readout, lam: np.ndarray, spec: TrainSpec, *, probe_step: float = 0.01
) -> Elasticity:
    """Probe every training example once; see the module docstring for the definitions."""
    features = world.train.to_sparse(world.n_features)
    labels = world.train.labels
    n = len(labels)
    before = readout.log_probs(features, lam)[np.arange(n), labels]  # (n,)
    if spec.rule == "fixed":
        drive = features.toarray() * points_to_label(readout.wiring, labels)
    else:
        drive = readout.gradients(features, labels, lam)  # (n, F)
    change = np.empty((n, n))
    for i in range(n):
        probed = probe_update(lam, drive[i], spec.rule, probe_step, spec.fixed_gain)
        change[i] = readout.log_probs(features, probed)[np.arange(n), labels] - before
    self_change = np.abs(np.diag(change)).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs = np.abs(change) / self_change[:, None]
    np.fill_diagonal(pairs, np.nan)
    return _summarise(pairs, labels, world.taxonomy.relation(), world.n_classes)


def _summarise(pairs, labels, class_relation, n_classes) -> Elasticity:
    relation = class_relation[labels[:, None], labels[None, :]]
    by_relation = {}
    for code, name in enumerate(RELATIONS):
        chosen = pairs[relation == code]
        chosen = chosen[np.isfinite(chosen)]
        by_relation[name] = float(chosen.mean()) if chosen.size else float("nan")
    matrix = np.full((n_classes, n_classes), np.nan)
    for a in range(n_classes):
        for b in range(n_classes):
            block = pairs[np.ix_(labels == a, labels == b)]
            block = block[np.isfinite(block)]
            if block.size:
                matrix[a, b] = block.mean()
    other = by_relation["other_superclass"]
    if not np.isfinite(other):
        other = by_relation["same_superclass"]
    ratio = by_relation["same_class"] / other if other > 0 else float("nan")
    return Elasticity(pairs, by_relation, matrix, float(ratio))
