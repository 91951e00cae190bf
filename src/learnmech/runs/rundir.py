"""Run directories: resolve a config, run an experiment, write the run contract atomically.

A run directory holds (see ``shared/design/architecture.md``, "The run contract")::

    config.yaml     resolved config + seed, experiment id, quick (whether asked at the quick
                    size), timestamp, command, versions
    notes.md        the experiment's notes (when it has any)
    metrics.csv     long format: group columns, then ``metric``, ``value``
    figures/        <name>.png (dpi 150) and <name>.svg
    summary.json    one flat JSON object (NaN/inf -> null)
    report.html     self-contained page (written last: its presence means the run finished)

The directory is atomic as a whole: a run is built in a hidden partial folder beside its final
place, ``.<name>.partial-<pid>/<name>``, and renamed onto ``<name>`` when complete
(:func:`learnmech.core.atomic.atomic_dir`), so a crash or a kill at any moment (SIGKILL
included) leaves either no run directory or a complete one. A partial folder left by a kill is
hidden and is removed by the next run into the same target. Inside it, every file is written to
a temporary name and renamed, ``report.html`` last. When the experiment (or the writing) fails,
the attempt -- ``config.yaml`` and ``error.txt`` with the traceback -- is kept beside the target
as ``<name>.failed`` and the target itself is not created; the next successful run into the
target removes ``<name>.failed``.

An unusable output directory (it exists and is not empty, is a file, lies under a file, is a
dangling symbolic link, cannot be created, or has a name too long for the file system) is
refused with a :class:`RunDirError` before any work, as is any other bad input.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import platform
import shlex
import shutil
import sys
import traceback
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from learnmech.core.atomic import atomic_dir, atomic_path, atomic_write_text, is_partial
from learnmech.core.config import (
    ExperimentConfig,
    recorded_quick,
    resolve_config,
    to_plain_dict,
)
from learnmech.core.errors import InputError
from learnmech.core.registry import Experiment, get
from learnmech.core.result import (
    Result,
    check_figure_names,
    metric_columns,
    plain_scalar,
    plain_summary,
)
from learnmech.core.threads import one_blas_thread

__all__ = ["RunDirError", "check_out", "default_run_dir", "package_versions", "run_experiment",
           "write_config", "write_run_dir"]

_VERSIONED = ("numpy", "scipy", "numba", "matplotlib", "pydantic")


class RunDirError(InputError):
    """The output directory cannot be used (not empty, a file, under a file, not writable...)."""


def run_experiment(
    experiment_id: str,
    *,
    sets: Iterable[str] = (),
    config_file: str | Path | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    quick: bool = False,
    runs_root: str | Path = "runs",
    command: str | None = None,
) -> Path:
    """Resolve the config, run the experiment and write its run directory, atomically.

    Bad input is refused before any work and before any directory is created. The run is
    built in a hidden partial folder and renamed onto ``out`` when complete (module
    docstring); an ``out`` that is itself named as a hidden partial folder
    (``.<name>.partial-<tag>``, as a sweep names its runs) is written in place, its owner
    renaming it.

    Parameters
    ----------
    experiment_id : str
        A registered id (``learnmech list``).
    sets, config_file, seed, overrides
        See :func:`learnmech.core.config.resolve_config`.
    quick : bool
        Run at the experiment's quick size: its quick overrides
        (:attr:`~learnmech.core.registry.Experiment.quick_overrides`) come before ``overrides``,
        and config.yaml records ``quick: true`` (as it does for a run repeated from a quick
        run's config.yaml, :func:`~learnmech.core.config.recorded_quick`).
    out : str or Path, optional
        The run directory; it must not exist or be empty (see :func:`check_out`). Default
        ``<runs_root>/<experiment>-<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3``, ... if taken).
    runs_root : str or Path
        Parent of the default run directory.
    command : str, optional
        The command line recorded in config.yaml (default: this process's ``sys.argv``).

    Returns
    -------
    Path
        The run directory (``out``; ``out-2``, ``out-3``, ... only if another process filled
        ``out`` while this run worked).

    Raises
    ------
    UnknownExperimentError, ConfigError, RunDirError
        Bad input; nothing was run or created.
    Exception
        Whatever the experiment raised; ``<out>.failed/error.txt`` holds the traceback (beside
        ``config.yaml``), the exception carries a note naming it, and ``out`` is not created.
    KeyboardInterrupt, SystemExit
        An interrupt: nothing is left (the partial folder is removed).
    """
    experiment = get(experiment_id)
    config = resolve_config(
        experiment_id, experiment.config_cls, file=config_file, sets=sets, seed=seed,
        overrides=experiment.sized(overrides, quick=quick),
    )
    quick = quick or recorded_quick(experiment_id, config_file)
    started = datetime.now()
    if out is None:
        out = default_run_dir(experiment_id, root=runs_root, when=started)
    out = Path(out)
    target = check_out(out)
    timestamp = started.isoformat(timespec="seconds")
    fill = functools.partial(_fill, experiment=experiment, config=config, quick=quick,
                             timestamp=timestamp, command=command)
    if is_partial(target):  # the caller builds this hidden folder and renames it itself
        _make_dirs(target, out)
        fill(target, failed=None)
        return out
    created = _make_dirs(target.parent, out)
    stack = contextlib.ExitStack()
    try:
        work = stack.enter_context(atomic_dir(target))
    except OSError as exc:
        _remove_dirs(created)
        raise RunDirError(f"--out {_quoted(out)} cannot be created "
                          f"({exc.strerror or exc})") from None
    finished = False
    try:
        with stack:
            fill(work, failed=target.with_name(target.name + ".failed"))
            finished = True
    except OSError as exc:
        if not finished:
            raise
        return _keep_beside(Path(exc.filename), target, out)  # `out` was filled meanwhile
    shutil.rmtree(target.with_name(target.name + ".failed"), ignore_errors=True)
    return out


def check_out(out: str | Path, *, existing: bool = False) -> Path:
    """The directory a run into ``out`` is renamed onto; RunDirError when ``out`` is unusable.

    ``out`` must be absent or an empty directory (a symbolic link to an empty directory
    stands for that directory), its name and path must fit the file system, and its nearest
    existing ancestor must be a writable directory. Nothing is created. With ``existing``, a
    directory that holds files is accepted too (a sweep or tune directory being resumed).

    Returns
    -------
    Path
        ``out`` as an absolute path (a symbolic link resolved).

    Raises
    ------
    RunDirError
        Saying which of the above ``out`` breaks.
    """
    out = Path(out)
    shown = _quoted(out)
    target = Path(os.path.abspath(out))  # lexical: nothing is touched yet
    if not target.name:
        raise RunDirError(f"--out {shown} must name a directory inside an existing one")
    ancestor = target.parent
    while not os.path.lexists(ancestor):
        ancestor = ancestor.parent
    name_max = _pathconf(ancestor, "PC_NAME_MAX", 255)
    path_max = _pathconf(ancestor, "PC_PATH_MAX", 4096)
    for part in target.parts:
        if len(os.fsencode(part)) > name_max:
            raise RunDirError(f"--out {shown} has a name of {len(os.fsencode(part))} bytes; "
                              f"the file system allows at most {name_max}")
    room = path_max - _PATH_ROOM
    if len(os.fsencode(str(target))) > room:
        raise RunDirError(f"--out {shown} is a path of {len(os.fsencode(str(target)))} bytes; "
                          f"a run directory's path may have at most {room} (its files go "
                          "below it)")
    try:
        if os.path.islink(target):
            if not target.exists():
                raise RunDirError(f"--out {shown} is a dangling symbolic link (to "
                                  f"{_quoted(os.readlink(target))}); remove it or choose "
                                  "another")
            target = Path(os.path.realpath(target))
        taken = target.exists() and (not target.is_dir()
                                     or (not existing and any(target.iterdir())))
        if taken:
            raise RunDirError(f"--out {shown} exists and is not an empty directory; "
                              "choose another or remove it")
        if os.path.islink(ancestor) and not ancestor.exists():
            raise RunDirError(f"--out {shown} lies under a dangling symbolic link, "
                              f"{_quoted(ancestor)}")
        if not ancestor.is_dir():
            raise RunDirError(f"--out {shown} lies under {_quoted(ancestor)}, which is a file, "
                              "not a directory")
    except OSError as exc:
        raise RunDirError(f"--out {shown} cannot be used ({exc.strerror or exc})") from None
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {shown} cannot be created: {_quoted(ancestor)} is not "
                          "writable")
    if existing and target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {shown} is not writable")
    return target


#: Bytes of path kept free below a run directory for its partial folder and its files.
_PATH_ROOM = 512


def write_run_dir(
    out: str | Path,
    experiment: Experiment,
    config: ExperimentConfig,
    result: Result,
    *,
    quick: bool = False,
    timestamp: str | None = None,
    command: str | None = None,
) -> Path:
    """Write a finished run's directory: config, notes, metrics, figures, summary, report.

    Parameters
    ----------
    out : str or Path
        The run directory (created if missing).
    experiment : Experiment
        The experiment that produced ``result``.
    config : ExperimentConfig
        The resolved config it ran with.
    result : Result
        What it returned; the summary is validated (flat, scalars only) before any write.
    quick : bool
        Whether it ran at the quick size (recorded in config.yaml).
    timestamp : str, optional
        ISO start time recorded in config.yaml (default: now).
    command : str, optional
        The command line recorded in config.yaml (default: this process's ``sys.argv``).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    TypeError, ValueError
        If the result breaks the contract (non-scalar summary value, metrics row without
        ``metric``/``value``, bad figure name): a programming error in the experiment.
    """
    out = Path(out)
    summary = plain_summary(result.summary)
    columns = metric_columns(result.metrics)
    check_figure_names(result.figures)
    out.mkdir(parents=True, exist_ok=True)
    write_config(out, experiment, config, quick=quick, timestamp=timestamp, command=command)
    if result.notes:
        atomic_write_text(out / "notes.md", result.notes.rstrip() + "\n")
    atomic_write_text(out / "metrics.csv", _metrics_csv(result.metrics, columns))
    if result.figures:
        _write_figures(out / "figures", result.figures)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
    from learnmech.report.html import render_report

    render_report(out)
    return out


def write_config(
    out: str | Path, experiment: Experiment, config: ExperimentConfig, *, quick: bool = False,
    timestamp: str | None = None, command: str | None = None,
) -> Path:
    """Write ``config.yaml``: the resolved config, then the run's metadata.

    The resolved keys come first (``seed`` among them), then ``experiment``, ``quick`` (whether
    the run was asked at the experiment's quick size), ``timestamp``, ``command`` and
    ``versions``; the file can be given back as ``--config`` to repeat the run.

    Returns
    -------
    Path
        The path of config.yaml.
    """
    import yaml

    data = to_plain_dict(config)
    data.update(
        experiment=experiment.id,
        quick=bool(quick),
        timestamp=timestamp or datetime.now().isoformat(timespec="seconds"),
        command=command or _command_line(),
        versions=package_versions(),
    )
    path = Path(out) / "config.yaml"
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def default_run_dir(experiment_id: str, *, root: str | Path = "runs",
                    when: datetime | None = None) -> Path:
    """``<root>/<experiment>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``, ... when taken."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{experiment_id}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def package_versions() -> dict[str, str]:
    """Versions of python, the numeric stack, pydantic, learnmech and the platform.

    Read from installed metadata, so nothing is imported; a missing package reads
    ``"not installed"``. Looked up once per process (a lookup scans site-packages: tens of
    milliseconds, twice per run otherwise).
    """
    return dict(_package_versions())


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    """The versions of :func:`package_versions`, as a hashable tuple (cached)."""
    from importlib.metadata import PackageNotFoundError, version

    from learnmech.core.version import __version__

    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["learnmech"] = __version__
    found["platform"] = platform.platform()
    return tuple(found.items())


# --------------------------------------------------------------------------- internals


def _fill(work: Path, *, experiment: Experiment, config: ExperimentConfig, quick: bool,
          timestamp: str, command: str | None, failed: Path | None) -> None:
    """Run the experiment and write its run contract into ``work``.

    On an exception ``work`` gains ``error.txt``; with ``failed`` given, it is then moved there
    (replacing an older failed attempt). An interrupt (KeyboardInterrupt, SystemExit) with
    ``failed`` given propagates untouched, so that the partial folder is simply removed.
    """
    try:
        write_config(work, experiment, config, quick=quick, timestamp=timestamp,
                     command=command)
        with one_blas_thread():
            result = experiment.run(config)
        write_run_dir(work, experiment, config, result, quick=quick, timestamp=timestamp,
                      command=command)
    except BaseException as exc:
        if failed is not None and not isinstance(exc, Exception):
            raise
        with contextlib.suppress(OSError):
            atomic_write_text(work / "error.txt", traceback.format_exc())
        kept: Path | None = work
        if failed is not None:
            shutil.rmtree(failed, ignore_errors=True)
            try:
                os.replace(work, failed)
                kept = failed
            except OSError:  # e.g. <name>.failed too long a name: the attempt goes with work
                kept = None
        if isinstance(exc, Exception):
            exc.add_note(f"run failed; the attempt is kept in {kept} (config.yaml, traceback "
                         f"in {kept / 'error.txt'})" if kept else
                         "run failed; the attempt could not be kept beside the target")
        raise


def _make_dirs(path: Path, out: Path) -> list[Path]:
    """Create ``path`` and its missing parents; the ones created, outermost first.

    On failure, removes what it created and raises RunDirError naming ``out``.
    """
    missing = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    missing.reverse()
    created = []
    try:
        for folder in missing:
            folder.mkdir()
            created.append(folder)
    except OSError as exc:
        _remove_dirs(created)
        raise RunDirError(f"--out {_quoted(out)} cannot be created "
                          f"({exc.strerror or exc})") from None
    return created


def _remove_dirs(created: list[Path]) -> None:
    """Remove the (empty) directories :func:`_make_dirs` created, innermost first."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _keep_beside(work: Path, target: Path, out: Path) -> Path:
    """Move a finished run whose target was filled meanwhile to ``<out>-2``, ``-3``, ..."""
    for n in range(2, 10_000):
        candidate = target.with_name(f"{target.name}-{n}")
        if os.path.lexists(candidate):
            continue
        try:
            os.rename(work, candidate)
        except OSError:
            continue
        with contextlib.suppress(OSError):
            work.parent.rmdir()
        return out.with_name(candidate.name)
    raise RunDirError(f"--out {_quoted(out)} was filled by another process while this run "
                      f"worked; the finished run is left in {work}")


def _pathconf(path: Path, name: str, default: int) -> int:
    """``os.pathconf(path, name)``, or ``default`` when the system cannot say."""
    try:
        value = os.pathconf(path, name)
    except (OSError, ValueError):
        return default
    return value if value and value > 0 else default


def _quoted(path: str | Path, limit: int = 200) -> str:
    """A path quoted for a message, its middle cut when longer than ``limit`` characters."""
    text = str(path)
    if len(text) > limit:
        text = f"{text[: limit // 2]}...{text[-limit // 2:]}"
    return repr(text)


def _metrics_csv(rows: list[Mapping[str, Any]], columns: list[str]) -> str:
    """The long-format table as CSV text (missing cells and None empty, floats full precision)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = plain_scalar(row.get(column))
            cells.append("" if value is None else repr(value) if isinstance(value, float)
                         else value)
        writer.writerow(cells)
    return buffer.getvalue()


def _write_figures(folder: Path, figures: Mapping[str, Any]) -> None:
    """Save each figure as <name>.png (dpi 150) and <name>.svg, atomically, then close it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, figure in figures.items():
        for fmt, options in (("png", {"dpi": 150}), ("svg", {})):
            with atomic_path(folder / f"{name}.{fmt}") as tmp:
                figure.savefig(tmp, format=fmt, bbox_inches="tight", **options)
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:  # free pyplot-managed figures; never import pyplot here
            pyplot.close(figure)


def _command_line() -> str:
    """The command line of this process, shell-quoted (``learnmech run ...``)."""
    argv = list(sys.argv) or ["python"]
    argv[0] = Path(argv[0]).name
    return " ".join(shlex.quote(a) for a in argv)
