"""Hyperparameter search on Optuna: trials are runs, executed through the sweep executors.

A tune directory holds::

    tune.json       the plan and the outcome: experiment, study, storage, search space,
                    metric, direction, trial counts, the best trial
    study.db        the default storage (SQLite; nothing to start)
    trials/trial-NNNN/  the run directory of each trial (only the best one is kept unless
                    keep="all")
    tune.csv        every trial of the study: number, state, value, parameters, run
    figures/        history.png (value and best so far per trial), params.png
    report.html     the tune's page (learnmech.report)

**One study, many processes.** The study lives in the storage (default
``sqlite:///<out>/study.db``; any SQLAlchemy URL, e.g. PostgreSQL, lets many machines share
it) under a name derived from the plan, so running the same command again -- or on another
machine against the same storage -- continues the same study: two processes of 20 trials give
one study of 40.

**Determinism.** Every trial runs with the same experiment seed (``seed``), so trials differ
only by their parameters. Trial ``k``'s parameters come from a TPE sampler seeded by
``(seed, k)``: with one worker, the same command on the same storage history proposes the same
parameters. With several workers, the proposals also depend on the order in which trials
finish.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnmech.core.atomic import atomic_write_text
from learnmech.core.config import ConfigError, config_keys, load_yaml, resolve_config
from learnmech.core.errors import InputError
from learnmech.core.progress import bar
from learnmech.core.registry import Experiment, get
from learnmech.core.rows import csv_cell
from learnmech.plots.intervals import is_number
from learnmech.report.html import render_tune_report
from learnmech.runs.executors import LocalExecutor, default_workers
from learnmech.runs.rundir import check_out
from learnmech.runs.sweep.execute import execute_run
from learnmech.runs.sweep.plan import RunTask, short_hash

__all__ = ["ParamSpec", "TuneError", "TunePlan", "TuneResult", "parse_param", "plan_tune",
           "run_tune"]

DIRECTIONS = ("minimize", "maximize")


class TuneError(InputError):
    """The tune cannot run: malformed parameter, bad direction or trial count, a study with
    another direction, or a metric the experiment does not report."""


@dataclass(frozen=True)
class ParamSpec:
    """One searched key: a float or int range (``log`` for log-uniform) or a list of choices.

    Attributes
    ----------
    key : str
        Dotted config key.
    kind : {"float", "int", "categorical"}
    low, high : float or int or None
        Inclusive bounds (ranges only).
    log : bool
        Sample uniformly in log space (ranges only; needs low > 0).
    choices : tuple
        The values of a categorical parameter.
    """

    key: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    @property
    def text(self) -> str:
        """How the parameter was given: ``0.001:0.1:log``, ``1:8`` or ``a,b``."""
        if self.kind == "categorical":
            return ",".join(map(str, self.choices))
        return f"{self.low}:{self.high}" + (":log" if self.log else "")

    def suggest(self, trial: Any) -> Any:
        """Draw this parameter's value for an Optuna trial."""
        if self.kind == "categorical":
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.key, float(self.low), float(self.high), log=self.log)

    def corners(self) -> list[Any]:
        """Values that bound the search (low and high, or every choice), for validation."""
        return list(self.choices) if self.kind == "categorical" else [self.low, self.high]


def parse_param(experiment_id: str, text: str) -> ParamSpec:
    """``key=low:high[:log]`` (a range) or ``key=a,b,c`` (choices) -> :class:`ParamSpec`.

    A range is an int range when the key is an integer key and both bounds are integers.

    Raises
    ------
    TuneError
        Malformed text, low >= high, log with low <= 0.
    ConfigError
        A key the experiment does not have.
    """
    import yaml

    key, sep, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    usage = ("--param must be key=low:high, key=low:high:log or key=choice1,choice2 "
             f"(e.g. train.eta=0.1:2:log); got {text!r}")
    if not sep or not key or not spec:
        raise TuneError(usage)
    info = config_keys(get(experiment_id).config_cls).get(key)
    if info is None:
        raise ConfigError(experiment_id, key, "is not a key of this experiment; accepted keys: "
                          + ", ".join(config_keys(get(experiment_id).config_cls)))
    if ":" not in spec:
        try:
            choices = tuple(load_yaml(c) for c in spec.split(","))
        except (yaml.YAMLError, ValueError):
            raise TuneError(usage) from None
        if len(choices) < 2 or any(c is None for c in choices):
            raise TuneError(usage)
        return ParamSpec(key, "categorical", choices=choices)
    parts = spec.split(":")
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise TuneError(usage)
    try:
        low, high = (load_yaml(p) for p in parts[:2])
    except (yaml.YAMLError, ValueError):
        raise TuneError(usage) from None
    if not all(is_number(v) and math.isfinite(v) for v in (low, high)):
        raise TuneError(usage)
    if not low < high:
        raise TuneError(f"--param {key}: low must be below high; got {low}:{high}")
    if log and low <= 0:
        raise TuneError(f"--param {key}: a log range needs low > 0; got {low}")
    integer = "int" in info.kinds and "float" not in info.kinds
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        raise TuneError(f"--param {key} is an integer key; give integer bounds, got {spec!r}")
    kind = "int" if integer else "float"
    cast = int if integer else float
    return ParamSpec(key, kind, cast(low), cast(high), log)


@dataclass(frozen=True)
class TunePlan:
    """A validated tune (see :func:`plan_tune`)."""

    experiment: Experiment
    params: tuple[ParamSpec, ...]
    metric: str
    direction: str
    trials: int
    storage: str
    study: str
    out: Path
    seed: int = 0
    sets: tuple[str, ...] = ()
    smoke: bool = False
    config_file: str | None = None
    keep: str = "best"

    def manifest(self) -> dict[str, Any]:
        """The plan part of ``tune.json``."""
        return {
            "kind": "tune", "experiment": self.experiment.id, "study": self.study,
            "storage": _mask_password(self.storage), "metric": self.metric,
            "direction": self.direction, "seed": self.seed,
            "params": [{"key": p.key, "text": p.text} for p in self.params],
            "sets": list(self.sets), "smoke": self.smoke, "config_file": self.config_file,
        }


@dataclass(frozen=True)
class TuneResult:
    """What a tune did: its directory, this process's trials, the study's best trial."""

    out: Path
    study: str
    ran: int
    failed: list[str]
    trials_total: int
    best: dict[str, Any] | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def plan_tune(
    experiment_id: str,
    *,
    params: Iterable[str],
    metric: str,
    direction: str = "minimize",
    trials: int = 20,
    storage: str | None = None,
    study: str | None = None,
    seed: int = 0,
    sets: Iterable[str] = (),
    smoke: bool = False,
    config_file: str | Path | None = None,
    out: str | Path | None = None,
    keep: str = "best",
    runs_root: str | Path = "runs",
) -> TunePlan:
    """Validate a tune completely, before any trial: experiment, parameters, config corners.

    Parameters
    ----------
    experiment_id : str
    params : iterable of str
        ``key=low:high[:log]`` or ``key=a,b`` (see :func:`parse_param`), at least one.
    metric : str
        A numeric key of the experiment's summary.
    direction : {"minimize", "maximize"}
    trials : int
        Trials this process runs (>= 1).
    storage : str, optional
        An SQLAlchemy URL; default ``sqlite:///<out>/study.db``.
    study : str, optional
        Study name; default ``<experiment>-<hash of the plan>``.
    seed : int
        The experiment seed of every trial, and the base of the samplers' seeds.
    sets, smoke, config_file
        Fixed overrides, as for a sweep.
    out : str or Path, optional
        The tune directory; default ``<runs_root>/tune-<study>``.
    keep : {"best", "all"}
        Which trial run directories stay at the end.

    Raises
    ------
    UnknownExperimentError, ConfigError, TuneError
    """
    experiment = get(experiment_id)
    specs = tuple(parse_param(experiment_id, p) for p in params)
    if not specs:
        raise TuneError("give at least one --param key=low:high")
    if len({s.key for s in specs}) != len(specs):
        raise TuneError("a --param key is given twice")
    if direction not in DIRECTIONS:
        raise TuneError(f"--direction must be one of 'minimize', 'maximize'; got {direction!r}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise TuneError(f"--trials must be an integer >= 1; got {trials!r}")
    if keep not in ("best", "all"):
        raise TuneError(f"--keep must be 'best' or 'all'; got {keep!r}")
    if not metric or not metric.strip():
        raise TuneError("--metric must name a numeric summary key of the experiment")
    sets = tuple(sets)
    for spec in specs:
        if any(s.partition("=")[0].strip() == spec.key for s in sets):
            raise TuneError(f"{spec.key!r} is both fixed (--set) and searched (--param)")
    for spec in specs:  # each corner of each parameter, the others at their first corner
        for value in spec.corners():
            setting = {s.key: s.corners()[0] for s in specs} | {spec.key: value}
            resolve_config(experiment_id, experiment.config_cls, file=config_file, sets=sets,
                           seed=seed, overrides=experiment.sized(setting, quick=smoke))
    _check_metric(experiment, metric.strip(), specs, sets=sets, config_file=config_file,
                  seed=seed)
    if study is None:
        digest = short_hash([experiment_id, [(s.key, s.text) for s in specs], metric, direction,
                             seed, list(sets), smoke,
                             None if config_file is None else str(config_file)])
        study = f"{experiment_id}-{digest}"
    out = Path(out) if out is not None else Path(runs_root) / f"tune-{study}"
    check_out(out, existing=True)
    ours = {"study.db", "study.db-wal", "study.db-shm", "trials"}  # what a failed start leaves
    if out.is_dir() and not (out / "tune.json").exists() and any(
            p.name not in ours for p in out.iterdir()):
        raise TuneError(f"--out {str(out)!r} exists and is not a tune directory; choose "
                        "another or remove it")
    if storage is None:
        storage = f"sqlite:///{(out / 'study.db').resolve()}"
    return TunePlan(experiment, specs, metric.strip(), direction, trials, storage, study, out,
                    seed, sets, smoke, None if config_file is None else str(config_file), keep)


def _check_metric(experiment: Any, metric: str, specs: Sequence[ParamSpec], *, sets,
                  config_file, seed: int) -> None:
    """Refuse a ``metric`` that the experiment's summary does not hold as a number, before
    any trial: one in-memory run at the smoke size (the fixed keys and the first corner of
    each parameter applied), which writes nothing. A run that fails is left to the trials."""
    setting = {s.key: s.corners()[0] for s in specs}
    config = resolve_config(experiment.id, experiment.config_cls, file=config_file, sets=sets,
                            seed=seed, overrides={**experiment.smoke, **setting})
    from learnmech.core.threads import one_blas_thread

    try:
        with one_blas_thread():
            summary = experiment.run(config).summary
    except Exception:  # noqa: BLE001 - the trials report the failure with its run directory
        return
    if is_number(summary.get(metric)):
        return
    numeric = sorted(k for k, v in summary.items() if is_number(v))
    shown = ", ".join(numeric[:40]) + (f", ... ({len(numeric)} in all)" if len(numeric) > 40
                                       else "")
    raise TuneError(f"--metric {metric!r} is not a numeric summary key of {experiment.id} "
                    f"(checked on a smoke-size run); numeric keys: {shown}")


def run_tune(plan: TunePlan, executor: Any = None, *, command: str = "") -> TuneResult:
    """Run ``plan.trials`` trials of the study through ``executor``, then write the outputs.

    Trials run ``executor.workers`` at a time; each is a run directory under
    ``trials/trial-NNNN`` (written like a sweep's runs: complete or absent).

    Raises
    ------
    TuneError
        The storage cannot be opened, the study exists with the other direction, or a
        finished trial's summary has no
        numeric ``plan.metric`` (the remaining trials are not started).
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(storage=_storage(plan.storage), study_name=plan.study,
                                    direction=plan.direction, load_if_exists=True)
    except Exception as exc:  # a driver missing, a server unreachable, a URL malformed
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise TuneError(f"cannot open the Optuna storage {_mask_password(plan.storage)!r}: "
                        f"{type(exc).__name__}: {first}") from None
    if study.direction.name.lower() != plan.direction:
        raise TuneError(f"study {plan.study!r} in {_mask_password(plan.storage)} is set to "
                        f"{study.direction.name.lower()}; use that --direction or another study")
    (plan.out / "trials").mkdir(parents=True, exist_ok=True)
    own = executor is None
    if own:
        executor = LocalExecutor(min(plan.trials, default_workers()))
    started = time.perf_counter()
    in_flight: dict[Any, Any] = {}
    asked, failed, problem = 0, [], None
    try:
        with bar(total=plan.trials, desc="tune", unit="trial") as progress:
            while in_flight or (asked < plan.trials and problem is None):
                while asked < plan.trials and problem is None and \
                        len(in_flight) < executor.workers:
                    trial = study.ask()
                    study.sampler = _sampler(plan.seed, trial.number)
                    params = {p.key: p.suggest(trial) for p in plan.params}
                    run_dir = plan.out / "trials" / f"trial-{trial.number:04d}"
                    task = RunTask(plan.experiment, params, plan.sets, plan.config_file,
                                   plan.seed, str(run_dir), command, quick=plan.smoke)
                    in_flight[executor.submit(execute_run, task)] = (trial, run_dir)
                    asked += 1
                handle, outcome = next(iter(executor.as_completed(list(in_flight))))
                trial, run_dir = in_flight.pop(handle)
                value, error = _objective(outcome, run_dir, plan.metric)
                trial.set_user_attr("run", str(run_dir.relative_to(plan.out)))
                if error:
                    trial.set_user_attr("error", error)
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    failed.append(f"trial {trial.number}: {error}")
                    if outcome.status != "failed":
                        problem = error
                else:
                    study.tell(trial, value)
                progress.update(1)
    finally:
        if own:
            executor.close()
    seconds = time.perf_counter() - started
    best = _best(study)
    if plan.keep == "best":
        _drop_others(plan.out / "trials", best)
    _write_outputs(plan, study, best, command)
    if problem is not None:
        raise TuneError(problem)
    return TuneResult(plan.out, plan.study, asked, failed, len(study.trials), best, seconds)


# --------------------------------------------------------------------------- internals


def _storage(url: str) -> Any:
    """The Optuna storage for ``url``; a SQLite file is put in write-ahead-log mode.

    WAL (persistent in the file) lets readers work while one process writes -- what several
    processes sharing one study need -- and with ``synchronous=NORMAL`` a commit does not wait
    for the disk (the file stays consistent; a power cut may lose the last commits). Other URLs
    are handed to Optuna as they are.
    """
    import sqlite3

    import optuna

    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix + ":memory:":
        return url
    path = Path(url[len(prefix):])
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    from sqlalchemy import event

    storage = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 30}})
    event.listen(storage.engine, "connect",
                 lambda dbapi, _record: dbapi.execute("PRAGMA synchronous=NORMAL"))
    storage.engine.dispose()  # connections opened before the listener are replaced
    return storage


def _sampler(seed: int, number: int) -> Any:
    """The TPE sampler of trial ``number``: seeded by (seed, number), so proposals are
    reproducible and distinct across processes sharing a study."""
    from optuna.samplers import TPESampler

    digest = hashlib.sha256(f"learnmech-tune:{seed}:{number}".encode()).digest()
    return TPESampler(seed=int.from_bytes(digest[:4], "little"))


def _objective(outcome: Any, run_dir: Path, metric: str) -> tuple[float | None, str]:
    """(value, "") for a finished trial, or (None, why it has none)."""
    if outcome.status == "failed":
        return None, f"the run failed: {outcome.error}"
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    value = summary.get(metric)
    if not is_number(value):
        numeric = [k for k, v in summary.items() if is_number(v)]
        if metric in summary and value is None:
            return None, f"metric {metric!r} is undefined (null) in this run"
        return None, (f"--metric {metric!r} is not a numeric summary key of "
                      f"{run_dir.name}; numeric keys: {', '.join(numeric)}")
    if not math.isfinite(value):
        return None, f"metric {metric!r} is not finite ({value})"
    return float(value), ""


def _best(study: Any) -> dict[str, Any] | None:
    """The study's best complete trial as a plain dict (None when no trial completed)."""
    try:
        trial = study.best_trial
    except ValueError:
        return None
    return {"number": trial.number, "value": trial.value, "params": dict(trial.params),
            "run": trial.user_attrs.get("run")}


def _drop_others(trials_dir: Path, best: dict[str, Any] | None) -> None:
    """Remove finished trial run directories other than the best one."""
    keep = Path(best["run"]).name if best and best.get("run") else None
    for path in trials_dir.iterdir():
        if path.name.startswith(".") or path.name == keep:
            continue
        if (path / "report.html").exists() or path.name.endswith(".failed"):
            shutil.rmtree(path, ignore_errors=True)


def _write_outputs(plan: TunePlan, study: Any, best: dict[str, Any] | None,
                   command: str) -> None:
    """tune.json, tune.csv, figures and report.html."""
    from learnmech.plots.theme import save
    from learnmech.plots.tuning import optimization_history, trial_scatter

    trials = sorted(study.trials, key=lambda t: t.number)
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if best and best.get("run") and not (plan.out / best["run"] / "report.html").exists():
        best = {**best, "run": None}  # run elsewhere (another machine's directory)
    manifest = {**plan.manifest(), "command": command, "trials_total": len(trials),
                "trials_complete": len(complete), "best": best}
    atomic_write_text(plan.out / "tune.json", json.dumps(manifest, indent=2, default=str) + "\n")
    keys = [p.key for p in plan.params]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["number", "state", "value", *keys, "run"])
    for t in trials:
        writer.writerow([t.number, t.state.name.lower(), csv_cell(t.value),
                         *(csv_cell(t.params.get(k)) for k in keys), t.user_attrs.get("run", "")])
    atomic_write_text(plan.out / "tune.csv", buffer.getvalue())
    folder = plan.out / "figures"
    folder.mkdir(exist_ok=True)
    if complete:
        figures = {
            "history": optimization_history([t.number for t in complete],
                                            [t.value for t in complete],
                                            direction=plan.direction, metric=plan.metric,
                                            title=f"{plan.study}: {len(complete)} trials"),
            "params": trial_scatter({k: [t.params.get(k) for t in complete] for k in keys},
                                    [t.value for t in complete], metric=plan.metric,
                                    log={p.key: p.log for p in plan.params},
                                    direction=plan.direction),
        }
        for name, figure in figures.items():
            save(figure, folder / f"{name}.png", dpi=110)
    render_tune_report(plan.out)


def _mask_password(url: str) -> str:
    """An SQLAlchemy URL with its password replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
