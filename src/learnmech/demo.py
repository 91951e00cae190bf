"""``make demo``: run the six neurashed experiments at their default sizes.

Usage: ``python -m learnmech.demo [OUT_DIR]`` (default ``runs/demo``). Prints each run's report.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

DEMO_EXPERIMENTS = (
    "neurashed.implicit-regularization",
    "neurashed.information-bottleneck",
    "neurashed.local-elasticity",
    "neurashed.label-noise",
    "neurashed.forgetting",
    "neurashed.step-size-and-batch",
)


def main(argv: list[str] | None = None) -> int:
    from learnmech.runs import run_experiment

    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "runs/demo")
    start = time.perf_counter()
    reports = []
    for experiment_id in DEMO_EXPERIMENTS:
        began = time.perf_counter()
        out = root / experiment_id
        if (out / "config.yaml").exists():
            shutil.rmtree(out)  # the previous demo's run of this experiment
        run_experiment(experiment_id, out=out)
        reports.append(out / "report.html")
        print(f"{experiment_id:40s} {time.perf_counter() - began:6.1f} s  {out / 'report.html'}")
    print(f"demo finished in {time.perf_counter() - start:.0f} s; reports:")
    for report in reports:
        print(f"  {report.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
