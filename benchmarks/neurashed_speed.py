"""Speed of the neurashed fast core, against the dense reference measured in the same run.

Prints
* ``N steps/s`` — the fast core on the default world, one example per step, one core;
* the ratio fast / dense at 10^4 nuisance features per level (both measured here).

Usage: ``python benchmarks/neurashed_speed.py [--repeats 5] [--steps 1000000]``.
Medians over repeats; the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # one core, before numba loads

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from learnmech.neurashed import core  # noqa: E402
from learnmech.neurashed.dynamics import dense_steps, draw_batches, start  # noqa: E402
from learnmech.neurashed.spec import TrainSpec, WorldSpec  # noqa: E402
from learnmech.neurashed.world import make_world  # noqa: E402


def fast_rate(world, spec: TrainSpec, steps: int, repeats: int) -> float:
    """Median steps/s of the fast core (single world, batch indices drawn inside the timing)."""
    sim = start([world], spec)
    readout = sim.readouts[0]
    rng = np.random.default_rng(0)
    args = (world.train.indptr, world.train.indices, world.train.labels, readout.wiring,
            readout.weight, world.level, world.child_ptr, world.child_idx)

    def once(n: int) -> float:
        mu = np.full(world.n_features, spec.lambda0)
        t0 = time.perf_counter()
        batches = draw_batches(rng, world.train.n, n, spec.batch)
        core.run_steps(mu, 1.0, *args, batches, spec.batch, core.RULES[spec.rule],
                       core.READOUTS[spec.readout], spec.eta, spec.gamma, 1.0)
        return n / (time.perf_counter() - t0)

    once(1000)  # compile / load the cached kernel
    return statistics.median(once(steps) for _ in range(repeats))


def dense_rate(world, spec: TrainSpec, steps: int, repeats: int) -> float:
    """Median steps/s of the straightforward dense implementation."""
    readout = start([world], spec).readouts[0]
    rng = np.random.default_rng(0)
    lam = np.full(world.n_features, spec.lambda0)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        dense_steps(lam, world, readout, spec, draw_batches(rng, world.train.n, steps, 1))
        rates.append(steps / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--dense-steps", type=int, default=500)
    args = parser.parse_args()
    spec = TrainSpec()
    default = make_world(WorldSpec(), seed=0)
    rate = fast_rate(default, spec, args.steps, args.repeats)
    print(f"default world ({default.n_features} features, batch 1, one core): "
          f"{rate:,.0f} steps/s  (target >= 1,000,000)")
    big = make_world(WorldSpec(pool=10_000), seed=0)
    fast_big = fast_rate(big, spec, args.steps // 4, args.repeats)
    dense_big = dense_rate(big, spec, args.dense_steps, args.repeats)
    print(f"10^4 nuisance features per level ({big.n_features} features): fast "
          f"{fast_big:,.0f} steps/s, dense {dense_big:,.0f} steps/s, "
          f"ratio {fast_big / dense_big:,.0f}x  (target >= 50x)")


if __name__ == "__main__":
    main()
