"""``learnmech compare PHENOMENON``: run every lens of a phenomenon, judge its claims, write it.

Orchestration only. The science — each phenomenon's claims (what each lens is asked, from which
keys, how it is judged) and series (what is drawn side by side) — lives in
``learnmech/experiments/compare/<phenomenon>.py``; this module finds that module by name, runs the
phenomenon's lenses (``neurashed.p``, ``network.p``, ``theory.p``, those registered) through
:func:`~learnmech.runs.rundir.run_experiment`, each into ``<out>/lenses/<lens>``, reads their
``summary.json`` and ``metrics.csv`` back, has the phenomenon judge them
(:func:`~learnmech.experiments.compare.comparison`) and writes the comparison directory with the
run contract's writer (:func:`~learnmech.runs.rundir.write_run_dir`): ``config.yaml``,
``summary.json`` (per claim ``<claim>_model``, ``<claim>_network``, ``<claim>_verdict``),
``metrics.csv``, ``notes.md``, ``figures/lenses_over_training.png`` and ``report.html``.
"""

from __future__ import annotations

import csv
import importlib
import json
import pkgutil
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from learnmech.core.config import ExperimentConfig
from learnmech.core.errors import InputError
from learnmech.experiments.compare._claims import LensRun, Phenomenon

__all__ = ["PHENOMENA_PACKAGE", "CompareConfig", "UnknownPhenomenonError", "known_phenomena",
           "load_phenomenon", "read_lens", "read_metrics", "run_compare"]

#: The package holding one module per phenomenon (``label_noise.py`` is ``label-noise``).
PHENOMENA_PACKAGE = "learnmech.experiments.compare"


class UnknownPhenomenonError(InputError):
    """The phenomenon has no module in :data:`PHENOMENA_PACKAGE`; the message lists those."""


class CompareConfig(ExperimentConfig):
    """What a comparison ran with (its ``config.yaml``)."""

    seed: int | None = Field(None, ge=0, description="seed given to every lens (None: theirs)")
    phenomenon: str = Field(description="the phenomenon compared")
    quick: bool = Field(False, description="each lens ran at its quick size")
    lens_runs: dict[str, str] = Field(default_factory=dict,
                                      description="lens -> its run directory")


# --------------------------------------------------------------------------- the phenomena


def known_phenomena() -> tuple[str, ...]:
    """Every phenomenon with a module in :data:`PHENOMENA_PACKAGE`, sorted."""
    package = importlib.import_module(PHENOMENA_PACKAGE)
    return tuple(sorted(info.name.replace("_", "-") for info in pkgutil.iter_modules(
        package.__path__) if not info.name.startswith("_") and not info.ispkg))


def load_phenomenon(phenomenon: str) -> Phenomenon:
    """The claims and series of ``phenomenon`` (``PHENOMENON`` of its module).

    Raises
    ------
    UnknownPhenomenonError
        If it has no module; the message lists the known phenomena.
    """
    known = known_phenomena()
    if phenomenon not in known:
        raise UnknownPhenomenonError(
            f"phenomenon must be one of {', '.join(known)}; got {phenomenon!r}")
    module = importlib.import_module(f"{PHENOMENA_PACKAGE}.{phenomenon.replace('-', '_')}")
    return module.PHENOMENON


# --------------------------------------------------------------------------- reading runs


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """A run directory's ``metrics.csv`` as rows: column -> value, empty cells None.

    Numbers come back as ``int`` (written without a point or exponent) or ``float``,
    ``True``/``False`` as bools, anything else as text: the inverse of the run contract's
    writer for the scalars it writes.
    """
    with open(Path(run_dir) / "metrics.csv", newline="", encoding="utf-8") as handle:
        return [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def read_lens(experiment: str, run_dir: str | Path) -> LensRun:
    """A finished run directory's summary and metrics (numbers parsed, empty cells None)."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return LensRun(experiment, run_dir, summary, read_metrics(run_dir))


def _cell(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return {"True": True, "False": False}.get(text, text)
    return int(number) if number.is_integer() and "." not in text and "e" not in text \
        else number


# --------------------------------------------------------------------------- running


def run_compare(phenomenon: str, *, quick: bool = False, out: str | Path | None = None,
                seed: int | None = None, runs_root: str | Path = "runs",
                lenses: tuple[str, ...] | None = None) -> Path:
    """Run the lenses of ``phenomenon``, judge its claims, write the comparison directory.

    Parameters
    ----------
    phenomenon : str
        One of :func:`known_phenomena`.
    quick : bool
        Run each lens at its experiment's quick size (seconds per lens; numbers are rough).
    out : str or Path, optional
        Output directory (must not exist or be empty); default
        ``<runs_root>/compare-<phenomenon>-<YYYYmmdd-HHMMSS>``.
    seed : int, optional
        Passed to every lens.
    lenses : tuple of str, optional
        Which lenses to try (default: the phenomenon's); an unregistered lens is reported as
        missing, a lens not tried leaves its readings empty (claims undecided).

    Returns
    -------
    Path
        The comparison directory.

    Raises
    ------
    UnknownPhenomenonError, RunDirError
        Bad input, before anything runs.
    """
    from learnmech.core.registry import Experiment, UnknownExperimentError, get
    from learnmech.experiments.compare import comparison
    from learnmech.runs.rundir import RunDirError, default_run_dir, run_experiment, write_run_dir

    spec = load_phenomenon(phenomenon)
    started = datetime.now()
    out = Path(out) if out is not None else default_run_dir(
        f"compare-{phenomenon}", root=runs_root, when=started)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunDirError(f"--out {str(out)!r} exists and is not an empty directory; "
                          "choose another or remove it")
    found: dict[str, LensRun] = {}
    missing: list[str] = []
    for lens in spec.lenses if lenses is None else lenses:
        experiment_id = f"{lens}.{phenomenon}"
        try:
            get(experiment_id)
        except UnknownExperimentError:
            missing.append(experiment_id)
            continue
        run_dir = run_experiment(experiment_id, quick=quick, seed=seed,
                                 out=out / "lenses" / lens)
        found[lens] = read_lens(experiment_id, run_dir)
    result = comparison(phenomenon, spec, found, missing)
    config = CompareConfig(phenomenon=phenomenon, quick=quick, seed=seed,
                           lens_runs={k: str(v.run_dir) for k, v in found.items()})
    written_as = Experiment(id=f"compare.{phenomenon}",
                            description=f"the lenses of {phenomenon} side by side",
                            config_cls=CompareConfig, run=lambda _config: result)
    write_run_dir(out, written_as, config, result, quick=quick,
                  timestamp=started.isoformat(timespec="seconds"),
                  command=f"learnmech compare {phenomenon}" + (" --quick" if quick else ""))
    return out
