"""Sweeps: one experiment over a grid of settings and a list of seeds, resumable, on any executor.

A sweep directory holds::

    sweep.json      the plan: experiment, grid, seeds, fixed --set values, run names
    runs/<name>/    one finished run directory per (setting, seed) (the run contract)
    runs/<name>.failed/   the last failed attempt of a run (config.yaml + error.txt)
    sweep.csv       one row per finished run: run, swept keys, seed, then every summary key
    figures/        <metric>.png: each varying numeric summary metric against the swept
                    keys, mean and 95 % t-interval over seeds (none without a grid)
    report.html     the sweep's page (learnmech.report)

Three steps, one module each, imported one way (plan <- outputs <- execute):

* :mod:`.plan` -- :func:`plan_sweep` validates the grid, the seeds and every run's config
  before any work and names every run (:class:`SweepPlan`, :class:`RunTask`);
* :mod:`.execute` -- :func:`run_sweeps` sends the runs of one or several plans through one
  executor, each in a hidden partial directory renamed when complete (:func:`execute_run`),
  so a sweep resumes where it stopped, with no run lost or done twice;
* :mod:`.outputs` -- :func:`write_sweep_outputs` rebuilds ``sweep.csv``, the figures and the
  page from the finished runs.

Seeds: the run of seed ``s`` gets ``seed = s`` in its config; everything else about the run is
the experiment's own business (same seed, same numbers), so a sweep gives the same values on
every executor.
"""

from learnmech.runs.sweep.execute import RunOutcome, SweepResult, execute_run, run_sweep, run_sweeps
from learnmech.runs.sweep.outputs import write_sweep_outputs
from learnmech.runs.sweep.plan import (
    RunTask,
    SweepError,
    SweepPlan,
    is_finished,
    parse_grid,
    parse_seeds,
    plan_sweep,
    run_name,
)

__all__ = [
    "RunOutcome",
    "RunTask",
    "SweepError",
    "SweepPlan",
    "SweepResult",
    "execute_run",
    "is_finished",
    "parse_grid",
    "parse_seeds",
    "plan_sweep",
    "run_name",
    "run_sweep",
    "run_sweeps",
    "write_sweep_outputs",
]
