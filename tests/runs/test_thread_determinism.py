"""A run gives the same bits whatever the BLAS thread count of the process it runs in.

``theory.kernel-spectrum`` at smoke size differs in the last bits of ``gram_max_rel_err``
between one and two BLAS threads when its run is not limited (measured: 0.014930786926501361
against 0.014930786926503598). The run layer computes every run on one BLAS thread
(:mod:`learnmech.core.threads`), so a run in a two-thread process (``learnmech run``) and the
same run in a one-thread sweep worker write identical files.
"""

from __future__ import annotations

import json

from threadpoolctl import threadpool_limits

from learnmech.core.registry import get
from learnmech.runs import run_experiment

EXPERIMENT = "theory.kernel-spectrum"


def _numbers(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    timeless = {k: v for k, v in summary.items() if "seconds" not in k}
    return timeless, (run_dir / "metrics.csv").read_text()


def test_two_thread_process_and_one_thread_worker_write_the_same_numbers(tmp_path):
    smoke = get(EXPERIMENT).smoke
    runs = {}
    for threads in (2, 1):
        with threadpool_limits(limits=threads):
            runs[threads] = _numbers(run_experiment(EXPERIMENT, overrides=smoke,
                                                    out=tmp_path / f"threads-{threads}"))
    assert runs[2][0] == runs[1][0]
    assert runs[2][1] == runs[1][1]
    assert "gram_max_rel_err" in runs[1][0]
