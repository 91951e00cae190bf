"""A sweep's execution: every run of one or several plans through one executor, resumable.

**Resumable and crash-safe.** A run executes in a hidden directory ``runs/.<name>.partial-*``
and is renamed to ``runs/<name>`` only once its run contract is complete (``report.html``
written last), so a run killed at any moment (SIGKILL included) leaves nothing that looks
finished. Rerunning the same sweep skips every finished run, removes stale partial directories
and retries failed runs; a rename onto an existing finished run never happens, so no run is
duplicated. A lock file keeps two sweeps from working in one directory at once. When the runs
are done, each sweep's outputs are rebuilt (:mod:`.outputs`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnmech.core import registry
from learnmech.core.atomic import atomic_write_text
from learnmech.core.progress import bar
from learnmech.runs.executors import LocalExecutor, default_workers, limit_threads
from learnmech.runs.rundir import run_experiment
from learnmech.runs.sweep.outputs import preload, write_sweep_outputs
from learnmech.runs.sweep.plan import RunTask, SweepError, SweepPlan, is_finished

__all__ = ["RunOutcome", "SweepResult", "execute_run", "run_sweep", "run_sweeps"]


@dataclass(frozen=True)
class RunOutcome:
    """What a worker reports back: ``status`` is "finished", "skipped" or "failed".

    ``seconds`` is the wall time of the run on the worker; ``error`` the one-line reason of a
    failure (the traceback is in ``<out>.failed/error.txt``).
    """

    out: str
    status: str
    seconds: float = 0.0
    error: str = ""


def execute_run(task: RunTask) -> RunOutcome:
    """Run one task on a worker: in a hidden partial directory, renamed when complete.

    Skips a run that is already finished. An experiment failure is caught and reported (the
    attempt is kept as ``<out>.failed`` with ``error.txt``); it is not raised.
    """
    limit_threads()
    final = Path(task.out)
    if is_finished(final):
        return RunOutcome(task.out, "skipped")
    if final.exists():  # not finished, so never renamed into place: not a run, remove it
        shutil.rmtree(final, ignore_errors=True)
    try:
        registry.get(task.experiment.id)
    except registry.UnknownExperimentError:
        registry.register(task.experiment)
    partial = final.with_name(f".{final.name}.partial-{uuid.uuid4().hex[:12]}")
    started = time.perf_counter()
    try:
        run_experiment(task.experiment.id, overrides=task.overrides, quick=task.quick,
                       sets=task.sets, config_file=task.config_file, seed=task.seed, out=partial,
                       command=task.command or None)
    except Exception as exc:
        failed = final.with_name(final.name + ".failed")
        shutil.rmtree(failed, ignore_errors=True)
        if partial.exists():
            os.replace(partial, failed)
        return RunOutcome(task.out, "failed", time.perf_counter() - started,
                          f"{type(exc).__name__}: {exc}")
    try:
        os.replace(partial, final)  # atomic; refuses (OSError) if another copy finished first
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        return RunOutcome(task.out, "skipped", time.perf_counter() - started)
    shutil.rmtree(final.with_name(final.name + ".failed"), ignore_errors=True)
    return RunOutcome(task.out, "finished", time.perf_counter() - started)


@dataclass(frozen=True)
class SweepResult:
    """What a sweep did: its directory and how many runs finished, were skipped, failed."""

    out: Path
    finished: int
    skipped: int
    failed: list[RunOutcome]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when no run failed."""
        return not self.failed


def run_sweep(plan: SweepPlan, executor: Any = None, *, command: str = "") -> SweepResult:
    """Execute a plan (see :func:`run_sweeps`) and return its result."""
    return run_sweeps([plan], executor, command=command)[0]


def run_sweeps(plans: Sequence[SweepPlan], executor: Any = None, *,
               command: str = "") -> list[SweepResult]:
    """Execute several sweeps through one executor (so every core stays busy), then write
    each sweep's ``sweep.csv``, figures and report.

    Parameters
    ----------
    plans : sequence of SweepPlan
        From :func:`plan_sweep`; their directories must differ.
    executor : Executor, optional
        Default: a :class:`~learnmech.runs.executors.LocalExecutor` on every core, closed at
        the end (an executor passed in is left open).
    command : str
        The command line recorded in each run's config.yaml.

    Returns
    -------
    list of SweepResult
        One per plan, in order.

    Raises
    ------
    SweepError
        A directory holds another sweep (different experiment or fixed settings) or is locked
        by a sweep in progress.
    """
    with contextlib.ExitStack() as stack:
        for plan in plans:
            try:
                _prepare_dir(plan, command)
                stack.enter_context(_locked(plan.out))
            except OSError as exc:  # the directory changed since planning, or a full disk
                raise SweepError(f"--out {str(plan.out)!r} cannot be used "
                                 f"({exc.strerror or exc})") from None
        tasks = [(i, task) for i, plan in enumerate(plans) for task in plan.tasks(command)]
        todo = [(i, t) for i, t in tasks if not is_finished(t.out)]
        counts = [{"finished": 0, "skipped": 0} for _ in plans]
        failed: list[list[RunOutcome]] = [[] for _ in plans]
        for i, task in tasks:
            if is_finished(task.out):
                counts[i]["skipped"] += 1
        started = time.perf_counter()
        if todo:
            if executor is None:
                executor = stack.enter_context(LocalExecutor(min(len(todo), default_workers())))
            handles = {executor.submit(execute_run, task): i for i, task in todo}
            preload(any(plan.grid for plan in plans))  # while the workers run
            with bar(total=len(todo), desc="sweep", unit="run") as progress:
                for handle, outcome in executor.as_completed(handles):
                    i = handles[handle]
                    if outcome.status == "failed":
                        failed[i].append(outcome)
                    else:
                        counts[i][outcome.status] += 1
                    progress.update(1)
        seconds = time.perf_counter() - started
        results = []
        for i, plan in enumerate(plans):
            write_sweep_outputs(plan)
            results.append(SweepResult(plan.out, counts[i]["finished"], counts[i]["skipped"],
                                       failed[i], seconds))
    return results


# --------------------------------------------------------------------------- internals


def _prepare_dir(plan: SweepPlan, command: str = "") -> None:
    """Create the sweep directory, check it holds this sweep, write sweep.json, and clear
    stale partial run directories."""
    manifest = plan.manifest()
    path = plan.out / "sweep.json"
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        fixed = ("experiment", "sets", "smoke", "config_file")
        if any(old.get(k) != manifest[k] for k in fixed):
            raise SweepError(
                f"{str(plan.out)!r} holds a sweep of {old.get('experiment')!r} with other fixed "
                "settings (--set, --quick, --config); choose another --out"
            )
    elif plan.out.exists() and any(p.name != ".sweep.lock" for p in plan.out.iterdir()):
        raise SweepError(f"--out {str(plan.out)!r} exists and is not a sweep directory; "
                         "choose another or remove it")
    (plan.out / "runs").mkdir(parents=True, exist_ok=True)
    manifest["command"] = command
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out/.sweep.lock``; clear stale partial runs under it."""
    import fcntl

    handle = open(out / ".sweep.lock", "w")  # noqa: SIM115 - held for the block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SweepError(f"another sweep is running in {str(out)!r}; wait for it or "
                             "choose another --out") from None
        for stale in (out / "runs").glob(".*.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        handle.close()
