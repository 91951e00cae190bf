"""Sweep overhead: 100 trivial runs through a local-process sweep vs the same runs in one process.

Usage: ``python benchmarks/sweep_overhead.py [--runs 100] [--workers 1]``

The trivial experiment is defined and registered in this script, not in the package: the
sweep ships it to the workers pickled by reference (``__main__.run_trivial``), and the spawned
workers re-import this script as ``__mp_main__`` (the ``if __name__ == "__main__"`` guard keeps
them from running the benchmark), so no fake experiment is added to the public list.

Both sides write the same run directories (config.yaml, metrics.csv, summary.json,
report.html) with :func:`learnmech.runs.run_experiment`; the sweep also starts its worker
processes and writes sweep.json, sweep.csv, one figure and its report. Overhead per run =
(sweep wall time - in-process wall time) / runs. Target: < 50 ms per run. With one worker the
difference is pure overhead; with every core, parallelism hides part of it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LEARNMECH_PROGRESS", "0")

from pydantic import Field  # noqa: E402

from learnmech.core import registry  # noqa: E402
from learnmech.core.config import ExperimentConfig  # noqa: E402
from learnmech.core.result import Result  # noqa: E402

TRIVIAL_ID = "bench.trivial"


class TrivialConfig(ExperimentConfig):
    """One number in, one number out."""

    value: int = Field(0, ge=0, le=1_000_000, description="added to the seed")


def run_trivial(config: TrivialConfig) -> Result:
    """value + seed, as the whole summary; one metrics row."""
    total = config.value + config.seed
    return Result(summary={"total": total}, metrics=[{"step": 0, "metric": "total",
                                                       "value": total}])


registry.register(registry.Experiment(
    id=TRIVIAL_ID, description="does nothing (sweep overhead benchmark)",
    config_cls=TrivialConfig, run=run_trivial,
))


def in_process(root: Path, values: list[int], seeds: list[int]) -> float:
    """Wall seconds to run every (value, seed) with run_experiment in this process."""
    from learnmech.runs import run_experiment

    started = time.perf_counter()
    for value in values:
        for seed in seeds:
            run_experiment(TRIVIAL_ID, overrides={"value": value}, seed=seed,
                           out=root / f"value={value}__seed{seed}")
    return time.perf_counter() - started


def swept(root: Path, values: list[int], seeds: list[int], workers: int) -> float:
    """Wall seconds for the same runs as one sweep on ``workers`` local processes."""
    from learnmech.runs.executors import LocalExecutor
    from learnmech.runs.sweep import plan_sweep, run_sweep

    started = time.perf_counter()
    plan = plan_sweep(TRIVIAL_ID, grid={"value": values}, seeds=seeds, out=root)
    with LocalExecutor(workers) as executor:
        result = run_sweep(plan, executor)
    assert result.finished == len(values) * len(seeds) and result.ok
    return time.perf_counter() - started


def main() -> None:
    from learnmech.runs.executors import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs (a multiple of 10)")
    parser.add_argument("--workers", type=int, nargs="*", default=None,
                        help="worker counts to measure (default: 1 and every core)")
    args = parser.parse_args()
    values, seeds = list(range(args.runs // 10)), list(range(10))
    n = len(values) * len(seeds)
    counts = args.workers or sorted({1, default_workers()})
    work = Path(tempfile.mkdtemp(prefix="learnmech-sweep-bench-"))
    try:
        in_process(work / "warmup", [0], [0])  # imports and template compilation
        base = in_process(work / "serial", values, seeds)
        print(f"{n} trivial runs in one process: {base:.2f} s ({1e3 * base / n:.1f} ms/run)")
        for workers in counts:
            total = swept(work / f"sweep-{workers}", values, seeds, workers)
            overhead = 1e3 * (total - base) / n
            print(f"sweep on {workers} local process(es): {total:.2f} s; overhead "
                  f"{overhead:+.1f} ms/run (target < 50 ms/run)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
