"""The self-contained HTML reports: of a run, a sweep, a tune, and an index of several.

Everything here reads directories only -- a run's ``config.yaml``, ``summary.json``,
``metrics.csv``, ``figures/*.png``, ``notes.md``; a sweep's ``sweep.json``, ``sweep.csv`` and
run directories; a tune's ``tune.json``, ``tune.csv`` and best run -- never experiment
internals. Figures are embedded as base64 PNG, so a page can be mailed or archived alone; the
CSS has a print layout (two figures per row, one item per page, collapsed blocks expanded).

* :func:`render_report` -- ``report.html`` of one run directory (written by the run layer);
* :func:`render_sweep_report`, :func:`render_tune_report` -- ``report.html`` of a sweep or tune;
* :func:`build_report` -- one page for any mix of run, sweep and tune directories, with a
  table of contents when given several (``learnmech report``).

Verdicts are the summary keys ending in ``_verdict`` (or named ``verdict``); a verdict
``<name>_verdict`` is shown with its agreement figure ``<name>_agreement`` when the summary
has one. Every page names the papers the experiment cites, and a result computed at the quick
size carries a banner saying so (:mod:`learnmech.report.experiment_facts`, which also looks the
experiment up in the registry). A metric's interval over seeds is cut at the quantity's range
(:func:`learnmech.plots.quantities.quantity_range`): a count never goes below 0.
"""

from __future__ import annotations

import base64
import csv
import functools
import json
import math
from pathlib import Path
from typing import Any

from learnmech.core.atomic import atomic_write_text
from learnmech.core.errors import InputError
from learnmech.core.result import is_verdict_key, verdict_name
from learnmech.plots.intervals import clipped_interval, headline_metrics, is_number, mean_interval
from learnmech.plots.quantities import quantity_range
from learnmech.report.experiment_facts import manifest_is_quick, references, run_is_quick

__all__ = ["ReportError", "build_report", "detect_kind", "render_report",
           "render_sweep_report", "render_tune_report"]

_TEMPLATES = Path(__file__).parent / "templates"


def render_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` for a run directory and return its path.

    Parameters
    ----------
    run_dir : str or Path
        A directory holding at least ``config.yaml`` and ``summary.json``.

    Returns
    -------
    Path
        ``run_dir / "report.html"``: title = experiment id, a banner when the run is at the
        quick size, the references, the notes, the summary table (``*_verdict`` keys
        coloured), figures with captions, the config (collapsible), package versions.
    """
    run_dir = Path(run_dir)
    item = _run_item(run_dir)  # the same data as the run's section of a combined page
    html = _env().get_template("report.html").render(
        **item, title=item["experiment"], run_dir=run_dir.name,
        metrics=_metrics_overview(run_dir / "metrics.csv"))
    path = run_dir / "report.html"
    atomic_write_text(path, html)
    return path


def _summary_row(key: str, value: Any) -> dict[str, str]:
    """One row of the summary table: key, displayed value and a CSS class for verdicts."""
    css = _verdict_css(value) if is_verdict_key(key) else ""
    return {"key": key, "value": _format(value), "css": css}


#: CSS class of each verdict value; anything else (a missing or unknown value) is undecided.
_VERDICT_CSS = {"holds": "holds", "agree": "holds", "fails": "fails", "disagree": "fails",
                "inconclusive": "inconclusive", "out of regime": "out-of-regime"}


def _verdict_css(value: Any) -> str:
    """CSS class of a verdict value: holds, fails, inconclusive, out-of-regime or undecided."""
    if not isinstance(value, str):
        return "undecided"
    return _VERDICT_CSS.get(value.lower(), "undecided")


def _verdict_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """Every verdict of a summary with its agreement figure (``<name>_agreement``) if any."""
    rows = []
    for key, value in summary.items():
        if is_verdict_key(key):
            name = verdict_name(key)
            agreement = summary.get(f"{name}_agreement") if key != "verdict" else \
                summary.get("agreement")
            rows.append({**_summary_row(key, value), "name": name,
                         "agreement": "" if agreement is None else _format(agreement)})
    return rows


def _format(value: Any) -> str:
    """A summary value for display: floats to 6 significant digits, null as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


def _metrics_overview(path: Path) -> dict[str, Any] | None:
    """Rows, columns and metric names of metrics.csv (None when the file is missing)."""
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        names: dict[str, int] = {}
        rows = 0
        for row in reader:
            rows += 1
            names[row.get("metric", "")] = names.get(row.get("metric", ""), 0) + 1
        columns = reader.fieldnames or []
    return {"rows": rows, "columns": columns, "names": sorted(names.items())}


def _figures(folder: Path) -> list[dict[str, str]]:
    """The PNG figures of the run, sorted by name, as base64 data for embedding."""
    if not folder.is_dir():
        return []
    figures = []
    for png in sorted(folder.glob("*.png")):
        data = png.read_bytes()
        figures.append({"name": png.stem, "data": base64.b64encode(data).decode("ascii"),
                        "css": "wide" if _aspect(data) > 2.0 else ""})
    return figures


def _aspect(png: bytes) -> float:
    """Width over height of a PNG, read from its IHDR chunk (0 when unreadable)."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n":
        return 0.0
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return width / height if height else 0.0


# --------------------------------------------------------------------------- sweeps, tunes, index


class ReportError(InputError):
    """A directory given to the report is not a run, sweep or tune directory."""


def detect_kind(path: str | Path) -> str:
    """``"sweep"``, ``"tune"`` or ``"run"`` for a directory; ReportError otherwise."""
    path = Path(path)
    if (path / "sweep.json").is_file():
        return "sweep"
    if (path / "tune.json").is_file():
        return "tune"
    if (path / "config.yaml").is_file() and (path / "summary.json").is_file():
        return "run"
    raise ReportError(
        f"{str(path)!r} is not a run, sweep or tune directory (no summary.json, sweep.json or "
        "tune.json); give a directory written by `learnmech run`, `sweep` or `tune`"
    )


def render_sweep_report(sweep_dir: str | Path) -> Path:
    """Write ``report.html`` of a sweep directory and return its path."""
    sweep_dir = Path(sweep_dir)
    return build_report([sweep_dir], sweep_dir / "report.html")


def render_tune_report(tune_dir: str | Path) -> Path:
    """Write ``report.html`` of a tune directory and return its path."""
    tune_dir = Path(tune_dir)
    return build_report([tune_dir], tune_dir / "report.html")


def build_report(dirs: list[str | Path], out: str | Path | None = None) -> Path:
    """One self-contained page for run, sweep and tune directories.

    Parameters
    ----------
    dirs : list of str or Path
        Directories written by ``learnmech run``, ``sweep`` or ``tune`` (at least one).
    out : str or Path, optional
        The HTML file. Default: ``<dir>/report.html`` for one directory, ``index.html`` in
        the directories' common parent for several.

    Returns
    -------
    Path
        The page written.

    Raises
    ------
    ReportError
        No directory, one that is none of the three kinds or whose files are damaged, or an
        ``out`` that is a directory.
    """
    import os
    from datetime import datetime

    if not dirs:
        raise ReportError("give at least one run, sweep or tune directory")
    paths = [Path(d) for d in dirs]
    kinds = [detect_kind(p) for p in paths]
    if out is None:
        if len(paths) == 1:
            out = paths[0] / "report.html"
        else:
            out = Path(os.path.commonpath([p.resolve() for p in paths])) / "index.html"
    if Path(out).is_dir():
        raise ReportError(f"--out {str(out)!r} is a directory; give the HTML file to write "
                          "(e.g. report.html inside it)")
    builders = {"run": _run_item, "sweep": _sweep_item, "tune": _tune_item}
    items = []
    for i, (path, kind) in enumerate(zip(paths, kinds, strict=True)):
        item = _read_item(builders[kind], path, kind)
        item.update(kind=kind, anchor=f"item-{i + 1}", name=path.name)
        items.append(item)
    title = items[0]["experiment"] if len(items) == 1 else f"{len(items)} results"
    html = _env().get_template("page.html").render(
        title=title, items=items, built=datetime.now().isoformat(timespec="seconds"))
    out = Path(out)
    atomic_write_text(out, html)
    return out


def _read_item(builder, path: Path, kind: str) -> dict[str, Any]:
    """The template data of one directory; a ReportError naming it when its files are damaged
    (ill-formed JSON, YAML or CSV, a missing or unreadable file)."""
    import yaml

    try:
        return builder(path)
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ReportError(f"{str(path)!r} looks like a {kind} directory but its files cannot be "
                          f"read ({type(exc).__name__}: {str(exc)[:200]})") from None


@functools.lru_cache(maxsize=1)
def _env():
    """The template environment (built once per process: templates compile once)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def _read_config(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config keys, run metadata) of a run's config.yaml."""
    import yaml

    from learnmech.core.config import split_metadata

    return split_metadata(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def _run_item(run_dir: Path) -> dict[str, Any]:
    """The template data of one run."""
    import yaml

    config, meta = _read_config(run_dir / "config.yaml")
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    notes_path = run_dir / "notes.md"
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    verdicts = _verdict_rows(summary)
    experiment = meta["experiment"] or ""
    return {
        "experiment": experiment or run_dir.name,
        "quick": run_is_quick(config, meta["quick"]),
        "references": list(references(experiment)),
        "timestamp": meta["timestamp"] or "",
        "command": meta["command"] or "",
        "versions": meta["versions"] or {},
        "paragraphs": [p.strip() for p in notes.split("\n\n") if p.strip()],
        "summary": [_summary_row(k, v) for k, v in summary.items()],
        "verdicts": verdicts,
        "figures": _figures(run_dir / "figures"),
        "config_yaml": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        "config_label": "resolved config (config.yaml)",
        "runs": "1",
        "verdict_tally": [{"text": f"{v['name']}: {v['value']}", "css": v["css"]}
                          for v in verdicts],
    }


def _sweep_item(sweep_dir: Path) -> dict[str, Any]:
    """The template data of one sweep: grid, verdict counts, metric intervals, figures."""
    import yaml

    manifest = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    grid = manifest["grid"]
    rows = []
    for run in manifest["runs"]:
        run_dir = sweep_dir / "runs" / run["name"]
        if (run_dir / "report.html").is_file() and (run_dir / "summary.json").is_file():
            summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
            rows.append({**run, "summary": summary})
    settings: list[dict[str, Any]] = []
    for run in manifest["runs"]:
        if run["setting"] not in settings:
            settings.append(run["setting"])
    labels = [", ".join(f"{k}={_short(v)}" for k, v in s.items()) or "all seeds"
              for s in settings]
    by_setting = [[r for r in rows if r["setting"] == s] for s in settings]
    metrics, constant = headline_metrics(rows)
    metric_rows = []
    for metric in metrics:
        cells = []
        for group in by_setting:
            mean, half, n = mean_interval([r["summary"].get(metric) for r in group])
            cells.append(_interval_text(mean, half, n, quantity_range(metric)))
        metric_rows.append({"name": metric, "cells": cells})
    verdict_keys = list(dict.fromkeys(k for r in rows for k in r["summary"] if is_verdict_key(k)))
    verdict_rows, tally = [], []
    for key in verdict_keys:
        name = verdict_name(key)
        agreement_key = f"{name}_agreement" if key != "verdict" else "agreement"
        cells = []
        holds_all = total_all = 0
        for group in by_setting:
            values = [r["summary"].get(key) for r in group]
            holds = sum(isinstance(v, str) and v.lower() == "holds" for v in values)
            holds_all, total_all = holds_all + holds, total_all + len(values)
            text = f"holds {holds}/{len(values)}"
            mean, half, n = mean_interval([r["summary"].get(agreement_key) for r in group
                                           if is_number(r["summary"].get(agreement_key))])
            if n:
                text += f"; agreement {_interval_text(mean, half, n)}"
            css = "holds" if values and holds == len(values) else "fails" if holds == 0 \
                else "undecided"
            cells.append({"text": text, "css": css if values else ""})
        verdict_rows.append({"name": name, "cells": cells})
        css = "holds" if holds_all == total_all else "fails" if holds_all == 0 else "undecided"
        tally.append({"text": f"{name}: holds {holds_all}/{total_all}", "css": css})
    config_yaml, versions, command = "", {}, manifest.get("command", "")
    if rows:
        config, meta = _read_config(sweep_dir / "runs" / rows[0]["name"] / "config.yaml")
        for key in grid:  # the swept keys vary: show them as swept
            _drop_dotted(config, key)
        config.pop("seed", None)
        config_yaml = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
        versions = meta["versions"] or {}
    failed = sorted(p.name for p in (sweep_dir / "runs").glob("*.failed"))
    example = rows[0]["name"] if rows else ""
    example_figures = _figures(sweep_dir / "runs" / example / "figures") if example else []
    return {
        "experiment": manifest["experiment"],
        "quick": manifest_is_quick(manifest),
        "references": list(references(manifest["experiment"])),
        "grid": [(k, ", ".join(_short(v) for v in vals)) for k, vals in grid.items()],
        "seeds": _seed_text(manifest["seeds"]),
        "planned": len(manifest["runs"]),
        "finished": len(rows),
        "failed": failed,
        "setting_labels": labels,
        "metrics": metric_rows,
        "constant": [(k, _format(v)) for k, v in constant.items()],
        "verdicts": verdict_rows,
        "figures": _figures(sweep_dir / "figures"),
        "example": example,
        "example_figures": example_figures,
        "config_yaml": config_yaml,
        "config_label": "config shared by every run (swept keys and seed removed)",
        "command": command,
        "versions": versions,
        "runs": f"{len(rows)}/{len(manifest['runs'])}",
        "verdict_tally": tally,
    }


def _tune_item(tune_dir: Path) -> dict[str, Any]:
    """The template data of one tune: best trial, search space, trials, figures."""
    import yaml

    manifest = json.loads((tune_dir / "tune.json").read_text(encoding="utf-8"))
    columns, table = [], []
    csv_path = tune_dir / "tune.csv"
    if csv_path.exists():
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            columns = next(reader, [])
            table = [[_format_cell(c) for c in row] for row in reader]
    best = manifest.get("best")
    best_item, versions, config_yaml, tally = None, {}, "", []
    if best:
        best_item = {"number": best["number"], "value": _format(best["value"]),
                     "params": [(k, _format(v)) for k, v in best["params"].items()],
                     "run": best.get("run") or "—", "verdicts": []}
        run_dir = tune_dir / best["run"] if best.get("run") else None
        if run_dir is not None and (run_dir / "summary.json").is_file():
            summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
            best_item["verdicts"] = _verdict_rows(summary)
            tally = [{"text": f"best: {v['name']}: {v['value']}", "css": v["css"]}
                     for v in best_item["verdicts"]]
            config, meta = _read_config(run_dir / "config.yaml")
            config_yaml = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
            versions = meta["versions"] or {}
    return {
        "experiment": manifest["experiment"],
        "quick": manifest_is_quick(manifest),
        "references": list(references(manifest["experiment"])),
        "study": manifest["study"],
        "metric": manifest["metric"],
        "direction": manifest["direction"],
        "total": manifest.get("trials_total", len(table)),
        "complete": manifest.get("trials_complete", 0),
        "best": best_item,
        "params": [{"key": p["key"], "text": p["text"]} for p in manifest["params"]],
        "columns": columns,
        "rows": table,
        "figures": _figures(tune_dir / "figures"),
        "config_yaml": config_yaml,
        "config_label": "best trial's resolved config",
        "command": manifest.get("command", ""),
        "versions": versions,
        "runs": f"{manifest.get('trials_complete', 0)} trials",
        "verdict_tally": tally,
    }


def _interval_text(mean: float, half: float, n: int,
                   bounds: tuple[float | None, float | None] = (None, None)) -> str:
    """``mean ± half (n=…)`` briefly (4 and 2 significant digits); a dash when n = 0.

    When the interval would leave the quantity's range ``bounds`` its clipped ends are shown
    instead: ``5 [0, 13] (n=3)`` for a count of 5 ± 8.
    """
    if n == 0:
        return "—"
    if n == 1 or not math.isfinite(half):
        return f"{mean:.4g} (n={n})"
    low, high = clipped_interval(mean, half, bounds)
    if (low, high) != (mean - half, mean + half):
        return f"{mean:.4g} [{low:.2g}, {high:.2g}] (n={n})"
    return f"{mean:.4g} ± {half:.2g} (n={n})"


def _short(value: Any) -> str:
    """A setting value written briefly."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _format(value)
    return json.dumps(value)


def _format_cell(text: str) -> str:
    """A CSV cell for display: numbers to 6 significant digits."""
    try:
        return _format(float(text)) if text and not text.isdigit() else text
    except ValueError:
        return text


def _seed_text(seeds: list[int]) -> str:
    """``0-9`` for a contiguous list, else the numbers."""
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _drop_dotted(config: dict[str, Any], key: str) -> None:
    """Remove a dotted key from a nested config dict (missing keys ignored)."""
    *parents, last = key.split(".")
    node: Any = config
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)
