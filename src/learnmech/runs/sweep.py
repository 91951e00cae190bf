"""Sweeps: one experiment over a grid of settings and a list of seeds, resumable, on any executor.

A sweep directory holds::

    sweep.json      the plan: experiment, grid, seeds, fixed --set values, run names
    runs/<name>/    one finished run directory per (setting, seed) (the run contract)
    runs/<name>.failed/   the last failed attempt of a run (config.yaml + error.txt)
    sweep.csv       one row per finished run: run, swept keys, seed, then every summary key
    figures/        <metric>.png: each varying numeric summary metric against the swept
                    keys, mean and 95 % t-interval over seeds (none without a grid)
    report.html     the sweep's page (learnmech.report)

**Resumable and crash-safe.** A run executes in a hidden directory ``runs/.<name>.partial-*``
and is renamed to ``runs/<name>`` only once its run contract is complete (``report.html``
written last), so a run killed at any moment (SIGKILL included) leaves nothing that looks
finished. Rerunning the same sweep skips every finished run, removes stale partial directories
and retries failed runs; a rename onto an existing finished run never happens, so no run is
duplicated. A lock file keeps two sweeps from working in one directory at once.

Seeds: the run of seed ``s`` gets ``seed = s`` in its config; everything else about the run is
the experiment's own business (same seed, same numbers), so a sweep gives the same values on
every executor.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnmech.core.config import resolve_config
from learnmech.core.errors import InputError
from learnmech.core.registry import Experiment, get

__all__ = [
    "RunOutcome",
    "RunTask",
    "SweepError",
    "SweepPlan",
    "SweepResult",
    "execute_run",
    "headline_metrics",
    "is_finished",
    "mean_interval",
    "parse_grid",
    "parse_seeds",
    "plan_sweep",
    "run_sweep",
    "run_sweeps",
    "write_sweep_outputs",
]

_SAFE = re.compile(r"[^A-Za-z0-9._=+-]")
_MAX_SEEDS = 100_000


class SweepError(InputError):
    """The sweep cannot start: malformed grid or seeds, or an unusable output directory."""


# --------------------------------------------------------------------------- parsing


def parse_grid(items: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """``["key=v1,v2", ...]`` -> ``{key: (v1, v2)}``; each value read as YAML.

    Commas inside brackets belong to the value (``sizes=[1,2],[3,4]`` is two lists).

    Raises
    ------
    SweepError
        Missing ``=``, empty key or value, a key given twice, a repeated value, or ``seed``
        (seeds go in ``--seeds``).
    """
    import yaml

    grid: dict[str, tuple[Any, ...]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise SweepError(f"--grid must be written key=value1,value2,... (e.g. "
                             f"train.eta=0.5,1.0); got {item!r}")
        if key == "seed":
            raise SweepError("--grid seed=... is not allowed: give the seeds with --seeds")
        if key in grid:
            raise SweepError(f"--grid key {key!r} is given twice; list all its values once")
        values = []
        for part in _split_top_level(text):
            if not part.strip():
                raise SweepError(f"--grid {key}: empty value in {text!r}")
            try:
                values.append(yaml.safe_load(part))
            except yaml.YAMLError:
                values.append(part.strip())
        shown = [json.dumps(v, sort_keys=True, default=str) for v in values]
        if len(set(shown)) != len(shown):
            raise SweepError(f"--grid {key}: a value is repeated in {text!r}")
        grid[key] = tuple(values)
    return grid


def parse_seeds(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"0-9"``, ``"0,3,7"``, ``"0-4,10"`` or a sequence of ints -> a tuple of seeds.

    Raises
    ------
    SweepError
        Malformed text, a negative seed, a reversed range, a repeated seed, or none at all.
    """
    if not isinstance(text, str):
        seeds = list(text)
    else:
        seeds = []
        for part in text.split(","):
            match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
            if not match:
                raise SweepError(f"--seeds must be like 0-9, 0,3,7 or 0-4,10 (integers >= 0); "
                                 f"got {text!r}")
            low, high = int(match[1]), int(match[2] if match[2] is not None else match[1])
            if high < low:
                raise SweepError(f"--seeds range {part.strip()!r} runs backwards")
            if high - low + len(seeds) >= _MAX_SEEDS:
                raise SweepError(f"--seeds: at most {_MAX_SEEDS} seeds; got {text!r}")
            seeds.extend(range(low, high + 1))
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise SweepError(f"--seeds must be integers >= 0, at least one; got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise SweepError(f"--seeds: a seed is repeated in {text!r}")
    return tuple(seeds)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep or a tune, as shipped to a worker (picklable).

    Attributes
    ----------
    experiment : Experiment
        Pickled by reference to its module (the worker imports that module), so experiments
        defined outside the registry's module list (tests, benchmarks) run on workers too.
    overrides : dict[str, Any]
        Dotted key -> Python value (smoke overrides, then the setting).
    sets : tuple[str, ...]
        Fixed ``key=value`` strings (``--set``), applied after ``overrides``.
    config_file : str or None
        A YAML config applied first.
    seed : int
        The run's seed.
    out : str
        The final run directory.
    command : str
        Recorded in the run's config.yaml.
    """

    experiment: Experiment
    overrides: dict[str, Any]
    sets: tuple[str, ...]
    config_file: str | None
    seed: int
    out: str
    command: str = ""


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


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: every (setting, seed) run and where it goes.

    Attributes
    ----------
    experiment : Experiment
    grid : dict[str, tuple]
        Swept key -> values, in the order given; settings are their Cartesian product (the
        first key varies slowest).
    seeds : tuple[int, ...]
    sets : tuple[str, ...]
        Fixed ``--set`` values.
    smoke : bool
        Whether the experiment's smoke overrides are applied (before the setting).
    config_file : str or None
    out : Path
        The sweep directory.
    """

    experiment: Experiment
    grid: dict[str, tuple[Any, ...]]
    seeds: tuple[int, ...]
    sets: tuple[str, ...] = ()
    smoke: bool = False
    config_file: str | None = None
    out: Path = field(default_factory=lambda: Path("runs"))

    def settings(self) -> list[dict[str, Any]]:
        """Every setting: dotted key -> value, in grid order (one empty setting without grid)."""
        keys = list(self.grid)
        return [dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*self.grid.values())]

    def runs(self) -> list[tuple[dict[str, Any], int, str]]:
        """``(setting, seed, name)`` of every run: settings outermost, then seeds."""
        return [(setting, seed, run_name(setting, seed))
                for setting in self.settings() for seed in self.seeds]

    def tasks(self, command: str = "") -> list[RunTask]:
        """One :class:`RunTask` per run."""
        smoke = dict(self.experiment.smoke) if self.smoke else {}
        return [RunTask(self.experiment, {**smoke, **setting}, self.sets, self.config_file,
                        seed, str(self.out / "runs" / name), command)
                for setting, seed, name in self.runs()]

    def manifest(self) -> dict[str, Any]:
        """The JSON-ready content of ``sweep.json``."""
        return {
            "kind": "sweep",
            "experiment": self.experiment.id,
            "grid": {k: list(v) for k, v in self.grid.items()},
            "seeds": list(self.seeds),
            "sets": list(self.sets),
            "smoke": self.smoke,
            "config_file": self.config_file,
            "runs": [{"name": name, "setting": setting, "seed": seed}
                     for setting, seed, name in self.runs()],
        }


def plan_sweep(
    experiment_id: str,
    *,
    grid: Iterable[str] | Mapping[str, Sequence[Any]] = (),
    seeds: str | Sequence[int] = (0,),
    sets: Iterable[str] = (),
    smoke: bool = False,
    config_file: str | Path | None = None,
    out: str | Path | None = None,
    runs_root: str | Path = "runs",
) -> SweepPlan:
    """Validate a sweep completely, before any work: experiment, grid, seeds, every config.

    Parameters
    ----------
    experiment_id : str
        A registered experiment.
    grid : iterable of "key=v1,v2" strings, or mapping key -> values
        The swept keys (dotted config keys).
    seeds : str or sequence of int
        ``"0-9"`` etc. (see :func:`parse_seeds`).
    sets : iterable of str
        Fixed ``key=value`` overrides for every run; a key may not be both set and swept.
    smoke : bool
        Apply the experiment's smoke overrides (tiny sizes) before the setting.
    config_file : str or Path, optional
        A YAML config for every run.
    out : str or Path, optional
        The sweep directory; default ``<runs_root>/sweep-<experiment>-<hash>``, the hash taken
        over the plan, so the same command resumes in the same directory.

    Raises
    ------
    UnknownExperimentError, ConfigError, SweepError
        Bad input; nothing has been created.
    """
    experiment = get(experiment_id)
    parsed = parse_grid(grid) if not isinstance(grid, Mapping) else {
        str(k): tuple(v) for k, v in grid.items()}
    seed_list = parse_seeds(seeds)
    sets = tuple(sets)
    for item in sets:
        key = item.partition("=")[0].strip()
        if key in parsed:
            raise SweepError(f"{key!r} is both fixed (--set) and swept (--grid); keep one")
    plan = SweepPlan(experiment, parsed, seed_list, sets, smoke,
                     None if config_file is None else str(config_file), Path("."))
    for setting in plan.settings():  # every setting, with the largest seed
        _validate(plan, setting, max(seed_list))
    if out is None:
        digest = hashlib.sha1(json.dumps(
            {k: v for k, v in plan.manifest().items() if k != "runs"}, sort_keys=True,
            default=str).encode()).hexdigest()[:8]
        out = Path(runs_root) / f"sweep-{experiment_id}-{digest}"
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {str(out)!r} is a file; give a directory")
    return SweepPlan(experiment, parsed, seed_list, sets, smoke, plan.config_file, out)


def run_name(setting: Mapping[str, Any], seed: int) -> str:
    """Directory name of a run: ``key=value_key=value__seed3`` (unsafe characters -> ``_``).

    When the readable form had to be changed (unsafe characters or over 120 characters), an
    8-hex-digit hash of the exact setting is appended, so names stay unique.
    """
    parts = [f"{key}={_value_text(value)}" for key, value in setting.items()]
    readable = "_".join(parts)
    safe = _SAFE.sub("_", readable)
    if safe != readable or len(safe) > 120:
        digest = hashlib.sha1(json.dumps(setting, sort_keys=True, default=str).encode())
        safe = f"{safe[:100]}-{digest.hexdigest()[:8]}"
    return f"{safe}__seed{seed}" if safe else f"seed{seed}"


# --------------------------------------------------------------------------- execution


def is_finished(run_dir: str | Path) -> bool:
    """Whether a run directory is complete (its ``report.html``, written last, exists)."""
    run_dir = Path(run_dir)
    return (run_dir / "report.html").is_file() and (run_dir / "summary.json").is_file()


def execute_run(task: RunTask) -> RunOutcome:
    """Run one task on a worker: in a hidden partial directory, renamed when complete.

    Skips a run that is already finished. An experiment failure is caught and reported (the
    attempt is kept as ``<out>.failed`` with ``error.txt``); it is not raised.
    """
    from learnmech.core import registry
    from learnmech.runs.executors import limit_threads
    from learnmech.runs.rundir import run_experiment

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
        run_experiment(task.experiment.id, overrides=task.overrides, sets=task.sets,
                       config_file=task.config_file, seed=task.seed, out=partial,
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
    from learnmech.core.progress import bar

    with contextlib.ExitStack() as stack:
        for plan in plans:
            _prepare_dir(plan, command)
            stack.enter_context(_locked(plan.out))
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
                from learnmech.runs.executors import LocalExecutor

                executor = stack.enter_context(LocalExecutor(min(len(todo), _cores())))
            handles = {executor.submit(execute_run, task): i for i, task in todo}
            _preload_outputs(any(plan.grid for plan in plans))  # while the workers run
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


# --------------------------------------------------------------------------- outputs


def write_sweep_outputs(plan: SweepPlan) -> None:
    """Write ``sweep.csv``, ``figures/<metric>.png`` and ``report.html`` from the finished
    runs of ``plan`` (rows in plan order, so every executor gives the same file)."""
    from learnmech.core.atomic import atomic_write_text

    rows = _collect(plan)
    atomic_write_text(plan.out / "sweep.csv", _sweep_csv(plan, rows))
    _write_figures(plan, rows)
    from learnmech.report.html import render_sweep_report

    render_sweep_report(plan.out)


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, int]:
    """Mean and half-width of the two-sided Student-t interval over seeds.

    ``mean ± t_{(1+level)/2, n-1} · s / sqrt(n)`` with ``s`` the sample standard deviation
    (ddof = 1) of the finite values; the half-width is NaN for fewer than two values.

    Returns
    -------
    (mean, half_width, n)
    """
    import numpy as np

    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(x[0]), math.nan, 1
    from scipy.special import stdtrit  # Student-t quantile (lighter than scipy.stats)

    half = float(stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(n))
    return float(x.mean()), half, n


def _collect(plan: SweepPlan) -> list[dict[str, Any]]:
    """One dict per finished run of the plan: run, setting, seed, summary."""
    rows = []
    for setting, seed, name in plan.runs():
        run_dir = plan.out / "runs" / name
        if not is_finished(run_dir):
            continue
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        rows.append({"run": name, "setting": setting, "seed": seed, "summary": summary})
    return rows


def _sweep_csv(plan: SweepPlan, rows: list[dict[str, Any]]) -> str:
    """The tidy table: one row per run; columns run, swept keys, seed, summary keys."""
    keys: dict[str, None] = {}
    for row in rows:
        for key in row["summary"]:
            keys.setdefault(key, None)
    clash = set(keys) & ({"run", "seed"} | set(plan.grid))
    summary_cols = [(f"summary.{k}" if k in clash else k, k) for k in keys]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["run", *plan.grid, "seed", *(c for c, _ in summary_cols)])
    for row in rows:
        writer.writerow([row["run"], *(_cell(row["setting"][k]) for k in plan.grid),
                         row["seed"], *(_cell(row["summary"].get(k)) for _, k in summary_cols)])
    return buffer.getvalue()


def headline_metrics(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """Numeric summary keys that vary across runs, and the constant ones with their value."""
    keys: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row["summary"].items():
            keys.setdefault(key, []).append(value)
    varying, constant = [], {}
    for key, values in keys.items():
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if not numbers or len(numbers) != sum(v is not None for v in values):
            continue
        if len(set(numbers)) > 1 or len(numbers) != len(values):
            varying.append(key)
        else:
            constant[key] = numbers[0]
    return varying, constant


def _write_figures(plan: SweepPlan, rows: list[dict[str, Any]]) -> None:
    """figures/<metric>.png for every varying numeric metric (PNG only: speed); none for a
    seeds-only sweep."""
    from learnmech.core.atomic import atomic_path
    from learnmech.report.figures import sweep_interval_plot

    folder = plan.out / "figures"
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    metrics, _ = headline_metrics(rows)
    if not metrics or not plan.grid:  # seeds only: the report's table holds the intervals
        return
    folder.mkdir(parents=True, exist_ok=True)
    x_key, series_keys = _axes_keys(plan)
    x_values = list(plan.grid[x_key]) if x_key else ["all seeds"]
    numeric_x = bool(x_key) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                    for v in x_values)
    series = [dict(zip(series_keys, c, strict=True)) for c in
              itertools.product(*(plan.grid[k] for k in series_keys))]
    for metric in metrics:
        means, halves, labels = [], [], []
        for part in series:
            m_row, h_row = [], []
            for xv in x_values:
                values = [r["summary"].get(metric) for r in rows
                          if (not x_key or r["setting"][x_key] == xv)
                          and all(r["setting"][k] == v for k, v in part.items())]
                mean, half, _ = mean_interval(values)
                m_row.append(mean)
                h_row.append(half)
            means.append(m_row)
            halves.append(h_row)
            labels.append(", ".join(f"{k}={_value_text(v)}" for k, v in part.items())
                          or plan.experiment.id)
        figure = sweep_interval_plot(
            x_values if numeric_x else None, means, halves, labels=labels,
            categories=None if numeric_x else [_value_text(v) for v in x_values],
            xlabel=x_key or "", ylabel=metric,
            title=f"{metric}: mean and 95 % interval over {len(plan.seeds)} seed(s)",
        )
        name = _SAFE.sub("_", metric)
        with atomic_path(folder / f"{name}.png") as tmp:
            figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")


def _axes_keys(plan: SweepPlan) -> tuple[str | None, list[str]]:
    """The swept key on the x axis (the first with several numeric values, else the first)
    and the keys that make the series."""
    keys = list(plan.grid)
    if not keys:
        return None, []
    numeric = [k for k in keys if len(plan.grid[k]) > 1 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in plan.grid[k])]
    x_key = numeric[0] if numeric else keys[0]
    return x_key, [k for k in keys if k != x_key]


# --------------------------------------------------------------------------- internals


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets/braces/quotes."""
    parts, depth, current, quote = [], 0, [], ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _validate(plan: SweepPlan, setting: Mapping[str, Any], seed: int) -> None:
    """Resolve one run's config (ConfigError on a bad key or value)."""
    smoke = dict(plan.experiment.smoke) if plan.smoke else {}
    resolve_config(plan.experiment.id, plan.experiment.config_cls, file=plan.config_file,
                   sets=plan.sets, seed=seed, overrides={**smoke, **setting})


def _value_text(value: Any) -> str:
    """A setting value written briefly (lists in flow style)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str).replace(" ", "")


def _cell(value: Any) -> Any:
    """A CSV cell: floats in full precision, None empty, lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, default=str)
    return value


def _preload_outputs(figures: bool) -> None:
    """Import what writing the outputs needs (template engine, t quantile, matplotlib when
    there will be figures) while the workers run, so it costs no wall time at the end."""
    import jinja2  # noqa: F401
    import scipy.special  # noqa: F401

    if figures:
        import matplotlib.figure  # noqa: F401

        import learnmech.report.figures  # noqa: F401


def _cores() -> int:
    from learnmech.runs.executors import default_workers

    return default_workers()


def _prepare_dir(plan: SweepPlan, command: str = "") -> None:
    """Create the sweep directory, check it holds this sweep, write sweep.json, and clear
    stale partial run directories."""
    from learnmech.core.atomic import atomic_write_text

    manifest = plan.manifest()
    path = plan.out / "sweep.json"
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        fixed = ("experiment", "sets", "smoke", "config_file")
        if any(old.get(k) != manifest[k] for k in fixed):
            raise SweepError(
                f"{str(plan.out)!r} holds a sweep of {old.get('experiment')!r} with other fixed "
                "settings (--set, --smoke, --config); choose another --out"
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
