"""A sweep's outputs, rebuilt from its finished runs: ``sweep.csv``, the figures, the page.

Rows follow the plan's order, so every executor writes the same files. ``figures/<metric>.png``
shows each varying numeric summary metric (:func:`~learnmech.plots.intervals.headline_metrics`)
against the first numeric swept key, one series per value of the other keys: the mean and the
95 % Student-t interval over seeds (:func:`~learnmech.plots.intervals.mean_interval`). The page
is :func:`learnmech.report.html.render_sweep_report`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

from learnmech.core.atomic import atomic_write_text
from learnmech.core.rows import csv_cell
from learnmech.plots.intervals import headline_metrics, is_number, mean_interval
from learnmech.report.html import render_sweep_report
from learnmech.runs.sweep.plan import SAFE, SweepPlan, is_finished, value_text

__all__ = ["preload", "write_sweep_outputs"]


def write_sweep_outputs(plan: SweepPlan) -> None:
    """Write ``sweep.csv``, ``figures/<metric>.png`` and ``report.html`` from the finished
    runs of ``plan`` (rows in plan order, so every executor gives the same file)."""
    rows = _collect(plan)
    atomic_write_text(plan.out / "sweep.csv", _sweep_csv(plan, rows))
    _write_figures(plan, rows)
    render_sweep_report(plan.out)


def preload(figures: bool) -> None:
    """Import what writing the outputs needs (template engine, t quantile, matplotlib when
    there will be figures), e.g. while the workers run, so it costs no wall time at the end."""
    import jinja2  # noqa: F401
    import scipy.special  # noqa: F401

    if figures:
        import matplotlib.figure  # noqa: F401

        import learnmech.plots.sweeps  # noqa: F401


# --------------------------------------------------------------------------- internals


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
        writer.writerow([row["run"], *(csv_cell(row["setting"][k]) for k in plan.grid),
                         row["seed"], *(csv_cell(row["summary"].get(k)) for _, k in summary_cols)])
    return buffer.getvalue()


def _write_figures(plan: SweepPlan, rows: list[dict[str, Any]]) -> None:
    """figures/<metric>.png for every varying numeric metric (PNG only: speed); none for a
    seeds-only sweep."""
    from learnmech.plots.quantities import key_label, quantity_range, words
    from learnmech.plots.sweeps import sweep_interval_plot
    from learnmech.plots.theme import save

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
    numeric_x = bool(x_key) and all(is_number(v) for v in x_values)
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
            labels.append(", ".join(f"{words(k)} = {value_text(v)}" for k, v in part.items())
                          or plan.experiment.id)
        figure = sweep_interval_plot(
            x_values if numeric_x else None, means, halves, labels=labels,
            categories=None if numeric_x else [value_text(v) for v in x_values],
            xlabel=key_label(plan.experiment.config_cls, x_key) if x_key else "",
            ylabel=words(metric), bounds=quantity_range(metric),
            title=f"mean and 95 % interval over {len(plan.seeds)} seed(s)",
        )
        save(figure, folder / f"{SAFE.sub('_', metric)}.png", dpi=110)


def _axes_keys(plan: SweepPlan) -> tuple[str | None, list[str]]:
    """The swept key on the x axis (the first with several numeric values, else the first)
    and the keys that make the series."""
    keys = list(plan.grid)
    if not keys:
        return None, []
    numeric = [k for k in keys if len(plan.grid[k]) > 1 and all(
        is_number(v) for v in plan.grid[k])]
    x_key = numeric[0] if numeric else keys[0]
    return x_key, [k for k in keys if k != x_key]
