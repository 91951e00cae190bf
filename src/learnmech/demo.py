"""``make demo``: the flagship experiments as one sweep over seeds on every core, then the report.

Usage::

    python -m learnmech.demo [OUT_DIR] [--seeds 0-2] [--workers N] [--quick] [--resume]

Every experiment of :data:`FLAGSHIP` runs once per seed at its default (documented) size; all
runs go through one local process pool, so every core stays busy. Each experiment gets a sweep
directory ``OUT_DIR/<experiment>`` (default ``runs/demo``) and ``OUT_DIR/index.html`` sets them
side by side (verdicts per seed, metrics with 95 % intervals, figures). The previous demo's
directories are replaced unless ``--resume`` is given (then finished runs are reused).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

#: The flagship set: one id per phenomenon and lens worth showing. Add new lenses here.
FLAGSHIP: tuple[str, ...] = (
    "neurashed.implicit-regularization",
    "neurashed.information-bottleneck",
    "neurashed.local-elasticity",
    "neurashed.label-noise",
    "neurashed.forgetting",
    "neurashed.step-size-and-batch",
    "theory.kernel-spectrum",
)
#: Kept for callers of the previous demo.
DEMO_EXPERIMENTS = FLAGSHIP
#: Seeds of the demo sweep (three: enough for an interval, under three minutes on two cores).
DEMO_SEEDS = "0-2"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; print each sweep's summary line and the report's path."""
    from learnmech.report.html import build_report
    from learnmech.runs.executors import LocalExecutor, default_workers
    from learnmech.runs.sweep import plan_sweep, run_sweeps

    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    root = Path(args.out)
    start = time.perf_counter()
    plans = [plan_sweep(experiment_id, seeds=args.seeds, smoke=args.quick,
                        out=root / experiment_id) for experiment_id in FLAGSHIP]
    if not args.resume:
        for plan in plans:
            if (plan.out / "sweep.json").exists():
                shutil.rmtree(plan.out)  # the previous demo's sweep of this experiment
    workers = args.workers or default_workers()
    print(f"demo: {len(FLAGSHIP)} experiments x seeds {args.seeds} on {workers} worker(s)")
    with LocalExecutor(workers) as executor:
        results = run_sweeps(plans, executor, command="python -m learnmech.demo")
    failed = 0
    for plan, result in zip(plans, results, strict=True):
        failed += len(result.failed)
        state = "ok" if result.ok else f"{len(result.failed)} failed"
        print(f"  {plan.experiment.id:40s} {result.finished + result.skipped} runs, {state}")
        for failure in result.failed:
            print(f"    {failure.out}: {failure.error}")
    report = build_report([plan.out for plan in plans], root / "index.html")
    print(f"demo finished in {time.perf_counter() - start:.0f} s; report:")
    print(f"  {report.resolve()}")
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m learnmech.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default="runs/demo", help="output directory")
    parser.add_argument("--seeds", default=DEMO_SEEDS, help="seeds (default %(default)s)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--quick", action="store_true",
                        help="the quick size of every experiment (seconds per run)")
    parser.add_argument("--resume", action="store_true", help="reuse finished runs")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
