"""The self-contained HTML report of a run directory.

:func:`render_report` reads only the files of a run directory (``config.yaml``,
``summary.json``, ``metrics.csv``, ``figures/*.png``, ``notes.md``) -- never experiment
internals -- and writes ``report.html`` with the figures embedded as base64 PNG, so the page
can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import csv
import json
import math
from pathlib import Path
from typing import Any

from learnmech.atomic import atomic_write_text

__all__ = ["render_report"]

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
        ``run_dir / "report.html"``: title = experiment id, the notes, the summary table
        (``*_verdict`` keys coloured), figures with captions, the config (collapsible),
        package versions.
    """
    import jinja2
    import yaml

    run_dir = Path(run_dir)
    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8")) or {}
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    meta = {k: config.pop(k, None) for k in ("experiment", "timestamp", "command", "versions")}
    notes_path = run_dir / "notes.md"
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("report.html").render(
        title=meta["experiment"] or run_dir.name,
        timestamp=meta["timestamp"] or "",
        command=meta["command"] or "",
        versions=meta["versions"] or {},
        run_dir=run_dir.name,
        paragraphs=[p.strip() for p in notes.split("\n\n") if p.strip()],
        summary=[_summary_row(k, v) for k, v in summary.items()],
        verdicts=[_summary_row(k, v) for k, v in summary.items() if k.endswith("_verdict")],
        metrics=_metrics_overview(run_dir / "metrics.csv"),
        figures=_figures(run_dir / "figures"),
        config_yaml=yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
    )
    path = run_dir / "report.html"
    atomic_write_text(path, html)
    return path


def _summary_row(key: str, value: Any) -> dict[str, str]:
    """One row of the summary table: key, displayed value and a CSS class for verdicts."""
    css = ""
    if key.endswith("_verdict") and isinstance(value, str):
        css = {"holds": "holds", "fails": "fails"}.get(value.lower(), "undecided")
    return {"key": key, "value": _format(value), "css": css}


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
    return [
        {"name": png.stem, "data": base64.b64encode(png.read_bytes()).decode("ascii")}
        for png in sorted(folder.glob("*.png"))
    ]
