"""Shared pieces of the neurashed experiments: the config, seeding and multi-seed runs.

Seeding: ``numpy.random.SeedSequence(config.seed)`` spawns one child per replicate; each child
spawns (world seed, training seed). Replicate r therefore draws the same world and the same
mini-batches whatever else the experiment runs, and one ``--seed`` drives everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.neurashed.spec import TrainSpec, WorldSpec


class NeurashedConfig(ExperimentConfig):
    """world.*, train.* (see ``learnmech.neurashed.spec``) and the number of replicates."""

    world: WorldSpec = Field(default_factory=WorldSpec, description="the task generator")
    train: TrainSpec = Field(default_factory=TrainSpec, description="the update rule")
    seeds: int = Field(5, ge=1, le=1000, description="replicates (world and batches redrawn)")

    #: the world key this experiment sweeps, if any: user data (world.data) cannot be swept
    sweeps_world: ClassVar[str | None] = None

    @model_validator(mode="after")
    def _check_omega_levels(self) -> NeurashedConfig:
        omega = self.train.omega
        if isinstance(omega, tuple) and self.world.data is None and len(omega) != self.world.levels:
            raise ValueError(
                f"train.omega: must be one value or world.levels = {self.world.levels} values "
                f"(one per level); got {len(omega)}"
            )
        return self

    @model_validator(mode="after")
    def _refuse_data_when_sweeping(self) -> NeurashedConfig:
        if self.sweeps_world and self.world.data is not None:
            raise ValueError(
                f"world.data: must be unset, as this experiment sweeps {self.sweeps_world}, "
                f"which needs the world generator; got {self.world.data!r}"
            )
        return self

    @model_validator(mode="after")
    def _check_data(self) -> NeurashedConfig:
        """Read and validate the user's data file in full now, before any work."""
        if self.world.data is None:
            return self
        from learnmech.neurashed.world import read_data

        levels = int(read_data(self.world.data)["levels"].max())  # InputError names the array
        omega = self.train.omega
        if isinstance(omega, tuple) and len(omega) != levels:
            raise ValueError(
                f"train.omega: must be one value or {levels} values (one per level of the "
                f"features in world.data); got {len(omega)}"
            )
        return self


# element types of swept tuples: each value carries its accepted range
PoolSize = Annotated[int, Field(ge=0, le=10**6)]
PositiveRate = Annotated[float, Field(gt=0.0, lt=1.0)]


def updated(section, **changes):
    """A copy of a spec section with ``changes``, validated like the config (sweeps use it)."""
    return type(section).model_validate({**section.model_dump(), **changes})


def replicate_seeds(seed: int, replicates: int):
    """[(world_seed_sequence, numpy Generator for batches)] for each replicate."""
    import numpy as np

    children = np.random.SeedSequence(seed).spawn(replicates)
    pairs = [child.spawn(2) for child in children]
    return [(world_ss, np.random.default_rng(train_ss)) for world_ss, train_ss in pairs]


def run_replicates(
    config: NeurashedConfig,
    *,
    world: WorldSpec | None = None,
    train: TrainSpec | None = None,
    extra: Callable | None = None,
    progress: bool = True,
    keep_snapshots: bool = False,
):
    """Train ``config.seeds`` replicates; returns (recorder, simulation).

    ``world``/``train`` override the config's sections (for sweeps); ``extra`` adds rows at
    every record; ``keep_snapshots`` keeps the amplitudes of every record (see
    :class:`learnmech.neurashed.observables.Recorder`).
    """
    from learnmech.neurashed.dynamics import simulate
    from learnmech.neurashed.observables import Recorder
    from learnmech.neurashed.world import make_world

    world = world or config.world
    train = train or config.train
    seeds = replicate_seeds(config.seed, config.seeds)
    worlds = [make_world(world, seed=world_ss) for world_ss, _ in seeds]
    recorder = Recorder(extra, keep_snapshots=keep_snapshots)
    sim = simulate(worlds, train, [rng for _, rng in seeds], observe=recorder, progress=progress)
    return recorder, sim




def final_mean(recorder, metric: str, **groups) -> float:
    """Mean over replicates of a metric's last recorded value, NaNs left out (NaN if all are:
    e.g. the fit of flipped examples at ε = 0, or other-superclass pairs in a flat tree)."""
    import numpy as np

    last = recorder.series(metric, **groups)[1][:, -1]
    finite = last[np.isfinite(last)]
    return float(finite.mean()) if finite.size else float("nan")


def crossing_time(steps, values, level: float) -> float | None:
    """Step at which the replicate mean first falls below ``level``, log-interpolated.

    ``steps`` of shape (T,), ``values`` of shape (S, T). None if it never falls below, or is
    below from the first record on.
    """
    import numpy as np

    mean = values.mean(axis=0)
    below = np.flatnonzero(mean < level)
    if not len(below) or below[0] == 0:
        return None
    i = below[0]
    t0, t1 = np.log(max(steps[i - 1], 1)), np.log(max(steps[i], 1))
    frac = (mean[i - 1] - level) / (mean[i - 1] - mean[i])
    return float(np.exp(t0 + frac * (t1 - t0)))

