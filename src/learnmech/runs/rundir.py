"""Run directories: resolve a config, run an experiment, write the run contract atomically.

A run directory holds (see ``shared/design/architecture.md``, "The run contract")::

    config.yaml     resolved config + seed, experiment id, timestamp, command, versions
    notes.md        the experiment's notes (when it has any)
    metrics.csv     long format: group columns, then ``metric``, ``value``
    figures/        <name>.png (dpi 150) and <name>.svg
    summary.json    one flat JSON object (NaN/inf -> null)
    report.html     self-contained page (written last: its presence means the run finished)

Every file is written to a hidden temporary name in the same directory and renamed, so no file
is ever half-written under its final name. When the experiment fails, the directory keeps
``config.yaml`` and gains ``error.txt`` with the traceback, and holds no ``summary.json`` or
``report.html``; when the writing itself fails, the files finished before it stay (each whole)
beside ``error.txt``, and ``report.html``, written last, is absent.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import platform
import re
import shlex
import sys
import traceback
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from learnmech.core.atomic import atomic_path, atomic_write_text
from learnmech.core.config import ExperimentConfig, resolve_config, to_plain_dict
from learnmech.core.errors import InputError
from learnmech.core.registry import Experiment, get
from learnmech.core.result import Result

__all__ = ["RunDirError", "default_run_dir", "package_versions", "run_experiment",
           "write_config", "write_run_dir"]

_VERSIONED = ("numpy", "scipy", "numba", "matplotlib", "pydantic")
_FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class RunDirError(InputError):
    """The output directory cannot be used (it exists and is not empty, or is a file)."""


def run_experiment(
    experiment_id: str,
    *,
    sets: Iterable[str] = (),
    config_file: str | Path | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    runs_root: str | Path = "runs",
    command: str | None = None,
) -> Path:
    """Resolve the config, run the experiment and write its run directory.

    Bad input is refused before any work and before any directory is created.

    Parameters
    ----------
    experiment_id : str
        A registered id (``learnmech list``).
    sets, config_file, seed, overrides
        See :func:`learnmech.core.config.resolve_config`.
    out : str or Path, optional
        The run directory; it must not exist or be empty. Default
        ``<runs_root>/<experiment>-<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3``, ... if taken).
    runs_root : str or Path
        Parent of the default run directory.
    command : str, optional
        The command line recorded in config.yaml (default: this process's ``sys.argv``).

    Returns
    -------
    Path
        The run directory.

    Raises
    ------
    UnknownExperimentError, ConfigError, RunDirError
        Bad input; nothing was run or created.
    Exception
        Whatever the experiment raised; ``error.txt`` in the run directory holds the
        traceback, and the exception carries a note naming the directory.
    """
    experiment = get(experiment_id)
    config = resolve_config(
        experiment_id, experiment.config_cls, file=config_file, sets=sets, seed=seed,
        overrides=overrides,
    )
    started = datetime.now()
    if out is None:
        out = default_run_dir(experiment_id, root=runs_root, when=started)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunDirError(f"--out {str(out)!r} exists and is not an empty directory; "
                          "choose another or remove it")
    out.mkdir(parents=True, exist_ok=True)
    timestamp = started.isoformat(timespec="seconds")
    try:
        write_config(out, experiment, config, timestamp=timestamp, command=command)
        result = experiment.run(config)
        write_run_dir(out, experiment, config, result, timestamp=timestamp, command=command)
    except BaseException as exc:
        atomic_write_text(out / "error.txt", traceback.format_exc())
        if isinstance(exc, Exception):
            exc.add_note(f"run directory: {out} (traceback in {out / 'error.txt'})")
        raise
    return out


def write_run_dir(
    out: str | Path,
    experiment: Experiment,
    config: ExperimentConfig,
    result: Result,
    *,
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
    summary = _plain_summary(result.summary)
    columns = _metric_columns(result.metrics)
    for name in result.figures:
        if not isinstance(name, str) or not _FIGURE_NAME.match(name):
            raise ValueError(f"figure name {name!r} must be a file name stem "
                             "(letters, digits, '_', '-', '.')")
    out.mkdir(parents=True, exist_ok=True)
    write_config(out, experiment, config, timestamp=timestamp, command=command)
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
    out: str | Path, experiment: Experiment, config: ExperimentConfig, *,
    timestamp: str | None = None, command: str | None = None,
) -> Path:
    """Write ``config.yaml``: the resolved config, then the run's metadata.

    The resolved keys come first (``seed`` among them), then ``experiment``, ``timestamp``,
    ``command`` and ``versions``; the file can be given back as ``--config`` to repeat the run.

    Returns
    -------
    Path
        The path of config.yaml.
    """
    import yaml

    data = to_plain_dict(config)
    data.update(
        experiment=experiment.id,
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

    from learnmech import __version__

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


def _scalar(value: Any) -> Any:
    """A numpy scalar as its Python value; anything else as it is."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
        value, "ndim", 1
    ) == 0:
        return value.item()
    return value


def _plain_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary as a flat JSON-ready dict (numpy scalars converted, NaN/inf -> None)."""
    if not isinstance(summary, Mapping):
        raise TypeError(f"Result.summary must be a dict of scalars; got {type(summary).__name__}")
    plain: dict[str, Any] = {}
    for key, value in summary.items():
        if not isinstance(key, str):
            raise TypeError(f"Result.summary keys must be strings; got {key!r}")
        value = _scalar(value)
        if value is not None and not isinstance(value, bool | int | float | str):
            raise TypeError(
                f"Result.summary[{key!r}] must be a scalar (number, string, bool or None); got "
                f"{type(value).__name__}: put series and tables in Result.metrics"
            )
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        plain[key] = value
    return plain


def _metric_columns(rows: list[Mapping[str, Any]]) -> list[str]:
    """Union of the rows' keys in first-seen order, with ``metric`` and ``value`` last."""
    seen: dict[str, None] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "metric" not in row or "value" not in row:
            raise ValueError(
                f"Result.metrics[{i}] must be a mapping with 'metric' and 'value'; got {row!r}"
            )
        for key in row:
            seen.setdefault(str(key), None)
    return [c for c in seen if c not in ("metric", "value")] + ["metric", "value"]


def _metrics_csv(rows: list[Mapping[str, Any]], columns: list[str]) -> str:
    """The long-format table as CSV text (missing cells and None empty, floats full precision)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = _scalar(row.get(column))
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
