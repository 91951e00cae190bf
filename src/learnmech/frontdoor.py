"""The Python front door: ``lm.run``, ``lm.load`` and ``lm.sweep``.

    import learnmech as lm

    result = lm.run("theory.kernel-spectrum", seed=3, quick=True)   # in memory, no files
    result.summary, result.metrics, result.verdicts, result.figures
    saved = lm.run("theory.kernel-spectrum", seed=3, out="runs/ks")  # the usual run directory
    lm.load("runs/ks").summary == saved.summary
    table = lm.sweep("theory.kernel-spectrum", grid={"d": [5, 10]}, seeds=[0, 1],
                     quick=True).table

A run gives the same numbers as ``learnmech run`` with the same config and seed: the config is
resolved by :func:`learnmech.core.config.resolve_config` (defaults < ``config_file`` < the
experiment's quick overrides when ``quick`` < keyword overrides < ``seed``) and the experiment
runs on one BLAS thread (:func:`learnmech.core.threads.one_blas_thread`), as in the run layer.
Bad input raises the same :class:`~learnmech.core.errors.InputError` as the command line, before
any work.

Config keys are given as keyword arguments: a top-level key by name (``seeds=4``), a key of a
section as a mapping (``world={"classes": 8}``), with ``__`` for the dot (``world__classes=8``)
or dotted through ``**{"world.classes": 8}``.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from learnmech.results import LoadError, RunResult, SweepTable

__all__ = ["load", "run", "sweep"]


def run(experiment: str, seed: int | None = None, *, quick: bool = False,
        out: str | Path | None = None, config_file: str | Path | None = None,
        **overrides: Any) -> RunResult:
    """Run an experiment; in memory, or into a run directory when ``out`` is given.

    Parameters
    ----------
    experiment : str
        A registered id (``learnmech list``).
    seed : int, optional
        The seed (default: the config's, 0), an integer in [0, 2³² − 1].
    quick : bool
        Run at the experiment's quick size (``learnmech show`` lists its overrides; seconds
        instead of minutes), as ``learnmech run --quick`` does.
    out : str or Path, optional
        Write the run directory there (config.yaml, summary.json, metrics.csv, figures,
        report.html), atomically, as ``learnmech run --out`` does; the result is read back
        from it. Without it nothing is written.
    config_file : str or Path, optional
        A YAML config (e.g. a run's ``config.yaml``), applied before the overrides.
    **overrides
        Config keys (module docstring).

    Returns
    -------
    RunResult
        Its ``run_dir`` is ``out`` (or None in memory).

    Raises
    ------
    InputError
        Unknown experiment, refused key or value, unusable ``out``: before any work.
    """
    from learnmech.core.config import resolve_config
    from learnmech.core.registry import get
    from learnmech.core.threads import one_blas_thread

    found = get(experiment)
    if out is not None:
        from learnmech.runs.rundir import run_experiment

        call = _call_text("run", experiment, seed=seed, quick=quick, config_file=config_file,
                          **overrides)
        run_dir = run_experiment(experiment, config_file=config_file, seed=seed, out=out,
                                 overrides=_overrides(overrides), quick=quick, command=call)
        return RunResult.load(run_dir)
    config = resolve_config(experiment, found.config_cls, file=config_file, seed=seed,
                            overrides=found.sized(_overrides(overrides), quick=quick))
    with one_blas_thread():
        result = found.run(config)
    return RunResult.from_result(found.id, config, result, quick=quick)


def load(path: str | Path) -> RunResult | SweepTable:
    """Read a run directory (a :class:`RunResult`) or a sweep directory (a :class:`SweepTable`).

    Raises
    ------
    LoadError
        ``path`` is neither a finished run directory nor a sweep directory.
    """
    path = Path(path)
    if (path / "sweep.json").is_file():
        return SweepTable.load(path)
    if (path / "tune.json").is_file():
        raise LoadError(f"path {str(path)!r} is a tune directory; load its best run "
                        "(tune.json names it) or a trial's run directory instead")
    return RunResult.load(path)


def sweep(experiment: str, grid: Mapping[str, Sequence[Any]] | Iterable[str] | None = None,
          seeds: str | Sequence[int] = (0,), *, quick: bool = False,
          fixed: Mapping[str, Any] | None = None, config_file: str | Path | None = None,
          out: str | Path | None = None, executor: str = "local", workers: int | None = None,
          address: str | None = None) -> SweepTable:
    """Run an experiment over a grid of settings and seeds; the table as a DataFrame.

    Parameters
    ----------
    experiment : str
        A registered id.
    grid : mapping of dotted key -> values, or ``["key=v1,v2", ...]``, optional
        The swept keys; settings are their Cartesian product (none: one setting).
    seeds : str or sequence of int
        ``[0, 1, 2]`` or ``"0-2"``.
    quick : bool
        Run at the experiment's quick size (its quick overrides before each setting).
    fixed : mapping of dotted key -> value, optional
        Config keys fixed for every run (neither swept nor the seed).
    config_file : str or Path, optional
        A YAML config for every run.
    out : str or Path, optional
        The sweep directory, kept (resumable, as ``learnmech sweep --out``). Without it the
        sweep runs in a temporary directory, read into memory and removed.
    executor : {"local", "dask", "ray", "inline"}
        Where the runs go (:func:`learnmech.runs.executors.make_executor`); ``"inline"`` runs
        them one after another in this process.
    workers : int, optional
        Runs at once (default: every core).
    address : str, optional
        A Dask or Ray cluster address.

    Returns
    -------
    SweepTable
        ``table`` (one row per run), ``metrics`` (every run's, long format), ``figures``,
        ``verdicts`` and ``failed`` (a warning is also issued when a run failed).

    Raises
    ------
    InputError
        A bad grid, seed, key, value, executor or ``out``: before any run.
    """
    from learnmech.runs.executors import make_executor
    from learnmech.runs.sweep import plan_sweep, run_sweep

    sets = [_set_text(key, value) for key, value in _overrides(fixed or {}).items()]
    temporary = None if out is not None else Path(tempfile.mkdtemp(prefix="learnmech-sweep-"))
    try:
        plan = plan_sweep(experiment, grid=grid or (), seeds=seeds, sets=sets, smoke=quick,
                          config_file=config_file,
                          out=out if out is not None else temporary / "sweep")
        pool = make_executor(executor, address=address, workers=workers)
        call = _call_text("sweep", experiment, grid=grid, seeds=seeds, quick=quick, fixed=fixed)
        with pool:
            outcome = run_sweep(plan, pool, command=call)
        failed = tuple((f.out, f.error) for f in outcome.failed)
        if failed:
            warnings.warn(f"{len(failed)} of the sweep's runs failed: {failed[0][1]}"
                          + ("" if temporary else " (rerun the same call to retry them)"),
                          RuntimeWarning, stacklevel=2)
        return SweepTable.load(plan.out, failed=failed, keep=temporary is None)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


# --------------------------------------------------------------------------- internals


def _overrides(given: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword overrides as dotted keys (``__`` read as the dot)."""
    return {key.replace("__", "."): value for key, value in given.items()}


def _set_text(key: str, value: Any) -> str:
    """``key=value`` with the value in YAML flow style (what ``--set`` reads back)."""
    import yaml

    plain = list(value) if isinstance(value, tuple) else value
    text = yaml.safe_dump(plain, default_flow_style=True, width=float("inf"))
    return f"{key}={text.strip().removesuffix('...').strip()}"


def _call_text(name: str, experiment: str, **arguments: Any) -> str:
    """The call as text, recorded as the command in config.yaml (``lm.run('x', seed=3)``)."""
    shown = [repr(experiment)] + [f"{k}={v!r}" for k, v in arguments.items()
                                  if not (v is None or v is False
                                          or (isinstance(v, tuple) and not v))]
    return f"lm.{name}({', '.join(shown)})"
