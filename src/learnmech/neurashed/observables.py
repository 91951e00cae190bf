"""What is measured on a neurashed state (spec §4): fit, volumes, effective features, layers.

All functions take one world, its :class:`~learnmech.neurashed.readout.Readout` and the
amplitudes λ of shape (n_features,). :class:`Recorder` calls them on a schedule for many seeds
and keeps long-format rows ``{step, seed, metric, value, [level], [kind]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from learnmech.neurashed.readout import Readout
from learnmech.neurashed.world import KIND_NAMES, NUISANCE, Examples, World

FIT_PROBABILITY = 0.5  # an example is "fit" when its label gets at least this probability


def fit_metrics(world: World, readout: Readout, lam: np.ndarray) -> dict[str, float]:
    """Accuracy and cross-entropy (nats) on train (labels as seen) and test (true labels).

    ``flipped_fit``: share of label-flipped training examples whose *flipped* label gets
    probability ≥ ``FIT_PROBABILITY`` (memorisation); ``clean_fit``: the same on the other
    training examples (NaN if none). A probability, not the argmax: at λ = λ0 every training
    example already wins the argmax through its private nuisance features, whose wiring points
    to its own label.
    """
    train_logp = readout.log_probs(world.train.to_sparse(world.n_features), lam)
    test_logp = readout.log_probs(world.test.to_sparse(world.n_features), lam)
    train_hit = _hits(train_logp, world.train.labels)
    labels = world.train.labels
    fit = train_logp[np.arange(len(labels)), labels] >= np.log(FIT_PROBABILITY)
    flipped = world.train.flipped
    return {
        "train_acc": float(train_hit.mean()),
        "train_loss": _cross_entropy(train_logp, world.train.labels),
        "test_acc": float(_hits(test_logp, world.test.true_labels).mean()),
        "test_loss": _cross_entropy(test_logp, world.test.true_labels),
        "flipped_fit": float(fit[flipped].mean()) if flipped.any() else float("nan"),
        "clean_fit": float(fit[~flipped].mean()) if (~flipped).any() else float("nan"),
    }


def effective_features(lam: np.ndarray) -> float:
    """(Σλ)² / Σλ²: the number of features that carry the volume (participation ratio)."""
    total_sq = float(np.sum(lam**2))
    return float(np.sum(lam)) ** 2 / total_sq if total_sq > 0 else 0.0


def volume_metrics(world: World, lam: np.ndarray) -> list[dict]:
    """Volume by level and owner kind, nuisance share and effective features, as rows."""
    rows = []
    total = float(lam.sum())
    for level in range(1, world.n_levels + 1):
        at_level = world.level == level
        rows.append(
            {
                "metric": "effective_features",
                "level": level,
                "value": effective_features(lam[at_level]),
            }
        )
        for code, name in enumerate(KIND_NAMES):
            mask = at_level & (world.kind == code)
            if mask.any():
                rows.append(
                    {
                        "metric": "volume",
                        "level": level,
                        "kind": name,
                        "value": float(lam[mask].sum()),
                    }
                )
    nuisance = float(lam[world.kind == NUISANCE].sum())
    rows.append({"metric": "nuisance_share", "value": nuisance / total if total > 0 else 0.0})
    rows.append({"metric": "effective_features", "level": 0, "value": effective_features(lam)})
    rows.append({"metric": "total_volume", "value": total})
    return rows


def representations(world: World, readout: Readout, lam: np.ndarray, examples: Examples):
    """r_l(x) = Σ_{f∈F_x, l(f)=l} λ_f W[:, f] — each level's contribution to the class scores.

    Returns an array of shape (n_levels, n_examples, n_classes).
    """
    features = examples.to_sparse(world.n_features)
    out = np.empty((world.n_levels, examples.n, world.n_classes))
    for level in range(1, world.n_levels + 1):
        masked = np.where(world.level == level, lam, 0.0)
        out[level - 1] = features @ (masked[:, None] * readout.wiring)
    return out


@dataclass
class Recorder:
    """Collects observables of S worlds at each recorded step as long-format rows.

    Pass it as ``observe`` to :func:`learnmech.neurashed.dynamics.simulate`.
    ``extra(step, seed, world, readout, lam) -> list[dict]`` adds experiment-specific rows;
    With ``keep_snapshots``, ``snapshots[step]`` keeps the amplitudes, of shape
    (S, n_features), at every record.
    """

    extra: object = None
    keep_snapshots: bool = False
    rows: list[dict] = field(default_factory=list)
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)

    def __call__(self, sim) -> None:
        step, amplitudes = sim.step, sim.amplitudes
        if self.keep_snapshots:
            self.snapshots[int(step)] = amplitudes
        for seed, (world, readout) in enumerate(zip(sim.worlds, sim.readouts, strict=True)):
            lam = amplitudes[seed]
            found = [{"metric": k, "value": v} for k, v in fit_metrics(world, readout, lam).items()]
            found += volume_metrics(world, lam)
            if self.extra is not None:
                found += self.extra(step, seed, world, readout, lam)
            self.rows += [{"step": int(step), "seed": seed, **row} for row in found]

    def series(self, metric: str, **groups) -> tuple[np.ndarray, np.ndarray]:
        """(steps of shape (T,), values of shape (S, T)) of one metric and group selection."""
        return series(self.rows, metric, **groups)


def series(rows: list[dict], metric: str, **groups) -> tuple[np.ndarray, np.ndarray]:
    """Pivot long-format rows into (steps (T,), values (S, T)); missing entries are NaN."""
    chosen = [
        r for r in rows if r["metric"] == metric and all(r.get(k) == v for k, v in groups.items())
    ]
    if not chosen:
        raise KeyError(f"no rows for metric {metric!r} with {groups}")
    steps = np.array(sorted({r["step"] for r in chosen}))
    seeds = sorted({r.get("seed", 0) for r in chosen})
    values = np.full((len(seeds), len(steps)), np.nan)
    step_at = {s: i for i, s in enumerate(steps)}
    seed_at = {s: i for i, s in enumerate(seeds)}
    for r in chosen:
        values[seed_at[r.get("seed", 0)], step_at[r["step"]]] = r["value"]
    return steps, values


def _hits(log_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return log_probs.argmax(axis=1) == labels


def _cross_entropy(log_probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-log_probs[np.arange(len(labels)), labels].mean())
