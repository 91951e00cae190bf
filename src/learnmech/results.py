"""What the Python front door returns: a run (:class:`RunResult`), a sweep (:class:`SweepTable`).

A :class:`RunResult` holds the same numbers as a run directory -- the resolved config, the
summary exactly as ``summary.json`` holds it (numpy scalars as Python numbers, NaN and ±inf as
``None``), the long-format metrics as a pandas DataFrame with the columns of ``metrics.csv``
(group columns first, then ``metric`` and ``value``), the figures and the notes -- whether it
was computed in memory (:func:`learnmech.run` without ``out``) or read back from a directory
(:func:`learnmech.load`). A :class:`SweepTable` holds a sweep's ``sweep.csv`` as a DataFrame
(one row per run) and every run's metrics in one long DataFrame. Both render themselves in
Jupyter (``_repr_html_``).

Verdicts are the summary keys named ``verdict`` or ending in ``_verdict`` (the convention of
:class:`learnmech.core.result.Result`); ``verdicts`` maps the prediction's name (the key
without ``_verdict``) to its value ("holds", "fails", "inconclusive", "out of regime").
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnmech.core.errors import InputError
from learnmech.core.result import (
    check_figure_names,
    is_verdict_key,
    metric_columns,
    plain_summary,
    verdict_name,
    verdicts_of,
)

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import pandas

    from learnmech.core.config import ExperimentConfig
    from learnmech.core.result import Result

__all__ = ["FigureImage", "LoadError", "RunResult", "SweepTable", "verdicts_of"]

#: Summary rows shown by ``_repr_html_`` before the rest is folded away.
_SHOWN_ROWS = 12
#: The note an in-memory or loaded quick-size run shows in Jupyter.
QUICK_BANNER = ('<p style="border-left:4px solid #b8860b;padding:2px 8px"><strong>Quick size.'
                "</strong> Computed at the experiment's quick size: rough numbers, not the "
                "documented verdicts (run without <code>quick=True</code> for those).</p>")


class LoadError(InputError):
    """A directory given to :func:`learnmech.load` is not a finished run or sweep directory."""


class FigureImage:
    """One figure of a result: its PNG bytes, and the live matplotlib Figure of an in-memory run.

    Displays itself in Jupyter. ``png`` is rendered on first use (dpi 150, as the run layer
    writes ``figures/<name>.png``) when the result was computed in memory.

    Parameters
    ----------
    name : str
        The figure's name (the file stem of ``figures/<name>.png``).
    figure : matplotlib.figure.Figure, optional
        The figure of an in-memory run.
    png : bytes, optional
        The PNG read from a run or sweep directory.
    """

    def __init__(self, name: str, *, figure: Any = None, png: bytes | None = None) -> None:
        if (figure is None) == (png is None):
            raise ValueError("FigureImage needs exactly one of figure and png")
        self.name = name
        self.figure = figure
        self._png = png

    @property
    def png(self) -> bytes:
        """The figure as PNG bytes."""
        if self._png is None:
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
            self._png = buffer.getvalue()
        return self._png

    def save(self, path: str | Path) -> Path:
        """Write the PNG to ``path`` and return it."""
        path = Path(path)
        path.write_bytes(self.png)
        return path

    def _repr_png_(self) -> bytes:
        return self.png

    def html(self, width: str = "48%") -> str:
        """An ``<img>`` tag holding the PNG inline (base64)."""
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.name)}" '
                f'title="{html.escape(self.name)}" style="width:{width};margin:2px">')

    def __repr__(self) -> str:
        source = "in memory" if self.figure is not None else f"{len(self._png or b'')} bytes"
        return f"FigureImage({self.name!r}, {source})"


@dataclass(frozen=True, repr=False)
class RunResult:
    """One run of an experiment: config, summary, metrics, figures, notes.

    Attributes
    ----------
    experiment : str
        The experiment id.
    config : dict
        The resolved configuration as plain Python, nested by section (``seed`` included).
    summary : dict
        Headline numbers, exactly as ``summary.json`` holds them.
    metrics : pandas.DataFrame
        Long format, one row per measurement: group columns (``step``, ``seed``, swept
        variables, ...), then ``metric`` and ``value``.
    figures : dict of str to FigureImage
        By name, as in ``figures/<name>.png``.
    notes : str
        What the run shows, in words.
    run_dir : Path or None
        The run directory, or None for a run kept in memory.
    quick : bool
        Whether the run is at the quick size
        (:func:`learnmech.report.experiment_facts.run_is_quick`).
    """

    experiment: str
    config: dict[str, Any]
    summary: dict[str, Any]
    metrics: pandas.DataFrame
    figures: dict[str, FigureImage] = field(default_factory=dict)
    notes: str = ""
    run_dir: Path | None = None
    quick: bool = False

    @property
    def seed(self) -> int:
        """The run's seed."""
        return int(self.config["seed"])

    @property
    def verdicts(self) -> dict[str, Any]:
        """Prediction name -> verdict (see :func:`verdicts_of`)."""
        return verdicts_of(self.summary)

    @classmethod
    def from_result(cls, experiment_id: str, config: ExperimentConfig, result: Result, *,
                    quick: bool = False) -> RunResult:
        """The front-door view of an experiment's :class:`~learnmech.core.result.Result`.

        The result is checked as the run layer checks it before writing (flat scalar summary,
        metrics rows with ``metric`` and ``value``, figure names that are file stems).
        """
        from learnmech.core.config import to_plain_dict
        from learnmech.report.experiment_facts import run_is_quick

        check_figure_names(result.figures)
        figures = {name: FigureImage(name, figure=figure)
                   for name, figure in result.figures.items()}
        plain = to_plain_dict(config)
        return cls(experiment_id, plain, plain_summary(result.summary),
                   metrics_frame(result.metrics), figures, result.notes,
                   quick=run_is_quick(plain, quick))

    @classmethod
    def load(cls, run_dir: str | Path) -> RunResult:
        """Read a finished run directory (``config.yaml``, ``summary.json``, ``metrics.csv``,
        ``figures/*.png``, ``notes.md``).

        Raises
        ------
        LoadError
            ``run_dir`` is not a finished run directory.
        """
        import pandas as pd
        import yaml

        from learnmech.core.config import split_metadata
        from learnmech.report.experiment_facts import run_is_quick
        from learnmech.runs.sweep import is_finished

        run_dir = Path(run_dir)
        if not is_finished(run_dir) or not (run_dir / "config.yaml").is_file():
            raise LoadError(f"run_dir {str(run_dir)!r} must be a finished run directory "
                            "(config.yaml, summary.json, metrics.csv, report.html)")
        config, meta = split_metadata(
            yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8")) or {})
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        metrics_path = run_dir / "metrics.csv"
        metrics = (pd.read_csv(metrics_path) if metrics_path.is_file()
                   else metrics_frame([]))
        notes_path = run_dir / "notes.md"
        notes = notes_path.read_text(encoding="utf-8").rstrip() if notes_path.is_file() else ""
        return cls(str(meta["experiment"] or ""), config, summary, metrics,
                   read_figures(run_dir / "figures"), notes, run_dir,
                   quick=run_is_quick(config, meta["quick"]))

    def _repr_html_(self) -> str:
        where = f" — {html.escape(str(self.run_dir))}" if self.run_dir else " (in memory)"
        parts = [f"<div><h4>{html.escape(self.experiment)}, seed {self.seed}{where}</h4>"]
        if self.quick:
            parts.append(QUICK_BANNER)
        parts += [_verdict_badges(self.verdicts), _summary_table(self.summary)]
        rows, columns = self.metrics.shape
        parts.append(f"<details><summary>metrics: {rows} rows × {columns} columns (long "
                     "format)</summary>" + self.metrics.head(10).to_html(index=False)
                     + "</details>")
        parts += [figure.html() for figure in self.figures.values()]
        if self.notes:
            parts.append(f"<p>{html.escape(self.notes)}</p>")
        return "\n".join(parts) + "</div>"

    def __repr__(self) -> str:
        where = str(self.run_dir) if self.run_dir else "in memory"
        return (f"RunResult({self.experiment!r}, seed={self.seed}, {len(self.summary)} summary "
                f"keys, {len(self.metrics)} metric rows, figures={list(self.figures)}, {where})")


@dataclass(frozen=True, repr=False)
class SweepTable:
    """A sweep: one row per run, and every run's metrics in one long table.

    Attributes
    ----------
    experiment : str
        The experiment id.
    grid : dict of str to list
        The swept keys and their values.
    seeds : tuple of int
        The seeds of every setting.
    table : pandas.DataFrame
        ``sweep.csv``: one row per finished run; columns ``run``, the swept keys, ``seed``,
        then every summary key (``summary.<key>`` where a key clashes with those).
    metrics : pandas.DataFrame
        Every finished run's metrics, long format, each row led by the run's ``run``, swept
        keys and ``seed``.
    figures : dict of str to FigureImage
        ``figures/<metric>.png``: each varying summary metric against the swept keys, mean
        and 95 % interval over seeds.
    failed : tuple of (str, str)
        (run directory, one-line error) of each run that failed.
    out : Path or None
        The sweep directory, or None when it was a temporary one (removed).
    """

    experiment: str
    grid: dict[str, list[Any]]
    seeds: tuple[int, ...]
    table: pandas.DataFrame
    metrics: pandas.DataFrame
    figures: dict[str, FigureImage] = field(default_factory=dict)
    failed: tuple[tuple[str, str], ...] = ()
    out: Path | None = None

    @property
    def verdicts(self) -> dict[str, dict[str, int]]:
        """Prediction name -> {verdict: number of runs}, over the finished runs."""
        counts: dict[str, dict[str, int]] = {}
        for column in filter(is_verdict_key, self.table.columns):
            tally = self.table[column].dropna().astype(str).value_counts()
            counts[verdict_name(column)] = {str(k): int(v) for k, v in tally.items()}
        return counts

    @classmethod
    def load(cls, sweep_dir: str | Path, *, failed: tuple[tuple[str, str], ...] = (),
             keep: bool = True) -> SweepTable:
        """Read a sweep directory (``sweep.json``, ``sweep.csv``, ``runs/*/metrics.csv``,
        ``figures/*.png``); ``keep=False`` records no directory (it is about to be removed).

        Raises
        ------
        LoadError
            ``sweep_dir`` holds no ``sweep.json`` and ``sweep.csv``.
        """
        import pandas as pd

        sweep_dir = Path(sweep_dir)
        if not ((sweep_dir / "sweep.json").is_file() and (sweep_dir / "sweep.csv").is_file()):
            raise LoadError(f"sweep_dir {str(sweep_dir)!r} must be a sweep directory "
                            "(sweep.json and sweep.csv)")
        manifest = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
        grid = {str(k): list(v) for k, v in manifest.get("grid", {}).items()}
        table = pd.read_csv(sweep_dir / "sweep.csv")
        return cls(str(manifest.get("experiment", "")), grid,
                   tuple(int(s) for s in manifest.get("seeds", ())), table,
                   _sweep_metrics(sweep_dir, table, list(grid)),
                   read_figures(sweep_dir / "figures"), tuple(failed),
                   sweep_dir if keep else None)

    def _repr_html_(self) -> str:
        runs = len(self.table)
        parts = [f"<div><h4>sweep of {html.escape(self.experiment)}: {runs} runs"
                 f"{f', {len(self.failed)} failed' if self.failed else ''}</h4>"]
        for name, tally in self.verdicts.items():
            text = ", ".join(f"{k} {v}/{runs}" for k, v in tally.items())
            parts.append(f"<p><b>{html.escape(name)}</b>: {html.escape(text)}</p>")
        parts.append(self.table.head(20).to_html(index=False))
        parts += [figure.html() for figure in self.figures.values()]
        return "\n".join(parts) + "</div>"

    def __repr__(self) -> str:
        where = str(self.out) if self.out else "temporary directory removed"
        return (f"SweepTable({self.experiment!r}, grid={self.grid}, seeds={list(self.seeds)}, "
                f"{len(self.table)} runs, {len(self.failed)} failed, {where})")


# --------------------------------------------------------------------------- helpers


def metrics_frame(rows: list[Mapping[str, Any]]) -> pandas.DataFrame:
    """Long-format metric rows as a DataFrame with the columns of ``metrics.csv`` (the rows'
    keys in first-seen order, ``metric`` and ``value`` last)."""
    import pandas as pd

    return pd.DataFrame.from_records(list(rows), columns=metric_columns(rows))


def read_figures(folder: Path) -> dict[str, FigureImage]:
    """Every ``<name>.png`` of a folder, by name (sorted), read into memory."""
    if not folder.is_dir():
        return {}
    return {path.stem: FigureImage(path.stem, png=path.read_bytes())
            for path in sorted(folder.glob("*.png"))}


def _sweep_metrics(sweep_dir: Path, table: pandas.DataFrame,
                   keys: list[str]) -> pandas.DataFrame:
    """Every finished run's metrics.csv, each row led by the run's ``run``, keys and seed."""
    import pandas as pd

    frames = []
    for name in table["run"]:
        path = sweep_dir / "runs" / str(name) / "metrics.csv"
        if path.is_file():
            frames.append(pd.read_csv(path).assign(run=name))
    lead = table[["run", *keys, "seed"]]
    if not frames:
        return lead.iloc[0:0].assign(metric=pd.Series(dtype=object),
                                     value=pd.Series(dtype=float))
    metrics = pd.concat(frames, ignore_index=True)
    clash = [c for c in metrics.columns if c in lead.columns and c != "run"]
    return lead.merge(metrics.drop(columns=clash), on="run", how="right")


def _verdict_badges(verdicts: Mapping[str, Any]) -> str:
    """One coloured badge per verdict, in the report's colours (grey when undecided)."""
    colours = {"holds": "#1a7f37", "fails": "#cf222e", "inconclusive": "#9a6700",
               "out of regime": "#0969da"}
    badges = [f'<span style="background:{colours.get(str(value), "#6e7781")};color:white;'
              f'padding:1px 6px;border-radius:3px;margin-right:4px">{html.escape(name)}: '
              f'{html.escape(str(value))}</span>' for name, value in verdicts.items()]
    return f"<p>{''.join(badges)}</p>" if badges else ""


def _summary_table(summary: Mapping[str, Any]) -> str:
    """The summary as an HTML table, rows beyond the first few folded into a details block."""
    def rows(items: list[tuple[str, Any]]) -> str:
        return "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(_shown(v))}</td></tr>"
                       for k, v in items)

    items = list(summary.items())
    text = f"<table>{rows(items[:_SHOWN_ROWS])}</table>"
    if len(items) > _SHOWN_ROWS:
        text += (f"<details><summary>{len(items) - _SHOWN_ROWS} more summary keys</summary>"
                 f"<table>{rows(items[_SHOWN_ROWS:])}</table></details>")
    return text


def _shown(value: Any) -> str:
    """A summary value for display (floats to 6 significant digits)."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
