"""Training dynamics of neurashed: the update rules, stated once here.

Each step draws a mini-batch B of b training examples uniformly with replacement and computes,
for every feature, the mean log-likelihood gradient over the batch

    g_f = (1/b) Σ_{x∈B} 1[f∈F_x] ∂ log p_y(x) / ∂λ_f       (see :mod:`readout`).

With step size η and compression rate γ, every rule shrinks every amplitude by g⁻ = 1 − ηγ:

* ``multiplicative`` (default): λ_f ← λ_f · exp(η g_f) · (1 − ηγ);
* ``additive``:                 λ_f ← max(0, (1 − ηγ) λ_f + η g_f)  (SGD with weight decay);
* ``fixed``:                    λ_f ← λ_f · (g⁺)^{q_f} · (g⁻)^{1 − q_f}, g⁺ = exp(ηκ), where q_f
  is the share of batch examples x with f∈F_x whose label y has the largest wiring W[y, f]
  (for b = 1: g⁺ if f is used and points to the label, g⁻ otherwise; not error-driven).

Time is counted in steps. :func:`simulate` runs the fast core (:mod:`core`) for one or many
seeds; :func:`dense_steps` is the straightforward O(n_features)-per-step reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from learnmech.neurashed.readout import Readout, make_readout, points_to_label
from learnmech.neurashed.spec import TrainSpec
from learnmech.neurashed.world import World


def shrink_factor(spec: TrainSpec) -> float:
    """g⁻ = 1 − ηγ, the uniform per-step shrink of every rule."""
    return 1.0 - spec.eta * spec.gamma


def growth_factor(spec: TrainSpec) -> float:
    """g⁺ = exp(ηκ) of the fixed rule (so that η = 0 leaves every rule still)."""
    return float(np.exp(spec.eta * spec.fixed_gain))


def record_schedule(steps: int, records: int) -> np.ndarray:
    """Sorted unique steps at which observables are recorded: 0, log-spaced points, ``steps``."""
    if steps == 0:
        return np.zeros(1, dtype=np.int64)
    points = np.round(np.geomspace(1, steps, max(records - 1, 1))).astype(np.int64)
    return np.unique(np.concatenate([[0], points, [steps]]))


def draw_batches(rng: np.random.Generator, n_examples: int, steps: int, batch: int) -> np.ndarray:
    """Example index of each batch slot, shape (steps · batch,), uniform with replacement."""
    return rng.integers(0, n_examples, size=steps * batch, dtype=np.int64)


@dataclass
class Simulation:
    """Amplitudes of S worlds (one per seed) under one training spec.

    ``mu`` of shape (S, n_features) and ``scale`` of shape (S,): λ = scale[:, None] · mu.
    """

    worlds: list[World]
    readouts: list[Readout]
    spec: TrainSpec
    mu: np.ndarray
    scale: np.ndarray
    step: int = 0

    @cached_property
    def packed(self) -> tuple:
        """The worlds' fixed arrays stacked along a seed axis, as the fast core takes them."""
        return _pack(self.worlds, self.readouts)

    @property
    def amplitudes(self) -> np.ndarray:
        """λ of shape (S, n_features)."""
        return self.scale[:, None] * self.mu

    def advance(self, batches: np.ndarray) -> None:
        """Run ``batches.shape[1] // b`` steps; ``batches`` of shape (S, steps · b)."""
        from learnmech.neurashed import core

        core.run_steps_many(
            self.mu, self.scale, *self.packed, batches, self.spec.batch,
            core.RULES[self.spec.rule], core.READOUTS[self.spec.readout],
            self.spec.eta, self.spec.gamma, growth_factor(self.spec),
        )  # fmt: skip
        self.step += batches.shape[1] // self.spec.batch
        if not (np.isfinite(self.mu).all() and np.isfinite(self.scale).all()):
            raise FloatingPointError(
                f"amplitudes overflowed by step {self.step} under train.rule={self.spec.rule!r}, "
                f"train.readout={self.spec.readout!r}: lower train.eta (or train.fixed_gain), "
                "raise train.gamma, or run fewer steps"
            )


def start(worlds: Sequence[World], spec: TrainSpec) -> Simulation:
    """A simulation at step 0 (every λ = λ0); the worlds must share their shape."""
    worlds = list(worlds)
    shapes = {(w.n_features, w.n_classes, w.train.n) for w in worlds}
    if len(shapes) != 1:
        raise ValueError(f"worlds: must share (n_features, n_classes, n_train); got {shapes}")
    readouts = [make_readout(w, spec) for w in worlds]
    mu = np.full((len(worlds), worlds[0].n_features), spec.lambda0)
    return Simulation(worlds, readouts, spec, mu, np.ones(len(worlds)))


def simulate(
    worlds: Sequence[World],
    spec: TrainSpec,
    rngs: Sequence[np.random.Generator],
    *,
    observe: Callable[[Simulation], None] | None = None,
    schedule: np.ndarray | None = None,
    progress: bool = False,
) -> Simulation:
    """Train one world per seed for ``spec.steps`` steps with the fast core.

    ``observe(simulation)`` is called at every step of ``schedule`` (default:
    :func:`record_schedule`). ``rngs[s]`` draws world s's mini-batches.
    """
    sim = start(worlds, spec)
    schedule = record_schedule(spec.steps, spec.records) if schedule is None else schedule
    bar = _bar(spec.steps, progress)
    for target in schedule:
        if target > sim.step:
            n = int(target - sim.step)
            sim.advance(np.stack([draw_batches(r, w.train.n, n, spec.batch)
                                  for r, w in zip(rngs, sim.worlds, strict=True)]))
            if bar is not None:
                bar.update(n)
        if observe is not None:
            observe(sim)
    if bar is not None:
        bar.close()
    return sim


def dense_steps(
    lam: np.ndarray, world: World, readout: Readout, spec: TrainSpec, batches: np.ndarray
) -> np.ndarray:
    """The reference implementation: every step touches every feature. Returns new λ (F,)."""
    lam = lam.copy()
    features = world.train.to_sparse(world.n_features).toarray()
    labels = world.train.labels
    shrink = shrink_factor(spec)
    for t in range(len(batches) // spec.batch):
        rows = batches[t * spec.batch : (t + 1) * spec.batch]
        x, y = features[rows], labels[rows]
        if spec.rule == "fixed":
            used = x * points_to_label(readout.wiring, y)  # (b, F)
            lam = lam * growth_factor(spec) ** used.mean(axis=0) * shrink ** (1 - used.mean(axis=0))
            continue
        g = readout.gradients(x, y, lam).mean(axis=0)
        if spec.rule == "multiplicative":
            lam = lam * np.exp(spec.eta * g) * shrink
        else:
            lam = np.maximum(0.0, shrink * lam + spec.eta * g)
    return lam


def _pack(worlds: list[World], readouts: list[Readout]) -> tuple:
    """Stack per-world arrays along a leading seed axis, padding ragged ones."""
    def stack(arrays, dtype):
        width = max(len(a) for a in arrays)
        out = np.zeros((len(arrays), max(width, 1)), dtype=dtype)
        for s, a in enumerate(arrays):
            out[s, : len(a)] = a
        return out

    return (
        stack([w.train.indptr for w in worlds], np.int64),
        stack([w.train.indices for w in worlds], np.int64),
        stack([w.train.labels for w in worlds], np.int64),
        np.stack([r.wiring for r in readouts]),
        np.stack([r.weight for r in readouts]),
        stack([w.level for w in worlds], np.int64),
        stack([w.child_ptr for w in worlds], np.int64),
        stack([w.child_idx for w in worlds], np.int64),
    )


def _bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    from learnmech.core.progress import bar

    return bar(total=total, desc="neurashed steps", unit="step")
