"""A sweep's plan: the grid and seeds read and validated, every run named, before any work.

:func:`plan_sweep` resolves the config of every setting (with the largest seed), so a bad key
or value is refused before anything is created; the plan then lists each (setting, seed) run,
its directory name (:func:`run_name`) and the :class:`RunTask` a worker executes. A run
directory is finished exactly when :func:`is_finished` says so (``report.html``, written last,
is there).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnmech.core.config import load_yaml, resolve_config
from learnmech.core.errors import InputError
from learnmech.core.registry import Experiment, get
from learnmech.core.result import plain_scalar
from learnmech.runs.rundir import check_out

__all__ = ["RunTask", "SweepError", "SweepPlan", "is_finished", "parse_grid", "parse_seeds",
           "plan_sweep", "run_name", "short_hash", "value_text"]

#: Characters kept in run and figure file names; every other one becomes ``_``.
SAFE = re.compile(r"[^A-Za-z0-9._=+-]")
_MAX_SEEDS = 100_000
#: The most runs (settings x seeds) one sweep may plan; counted before any setting is built.
MAX_RUNS = 100_000


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
            values.append(_grid_value(key, part))
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
        if not isinstance(text, Iterable):
            raise SweepError(f"--seeds (seeds) must be a text like 0-9, 0,3,7 or 0-4,10, or a "
                             f"list of integers >= 0; got {text!r}")
        seeds = [plain_scalar(s) for s in text]
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


def _grid_mapping(grid: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """``{key: [v1, v2, ...]}`` as the plan holds it; a SweepError for a key whose values are
    not a non-empty list (``{"kernel.depth": 3}`` or ``[]``)."""
    parsed = {}
    for key, values in grid.items():
        listed = (tuple(values) if isinstance(values, Iterable)
                  and not isinstance(values, str | bytes) else ())
        if not listed:
            raise SweepError(f"grid[{str(key)!r}] must be a non-empty list of values; got "
                             f"{values!r}")
        parsed[str(key)] = listed
    return parsed


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
        Dotted key -> Python value: the setting.
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
    quick : bool
        Run at the experiment's quick size (its quick overrides come before ``overrides``).
    """

    experiment: Experiment
    overrides: dict[str, Any]
    sets: tuple[str, ...]
    config_file: str | None
    seed: int
    out: str
    command: str = ""
    quick: bool = False


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
        Whether the runs are at the experiment's quick size (its quick overrides before the
        setting); ``"smoke"`` in sweep.json, the older name.
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

    def overrides(self, setting: Mapping[str, Any]) -> dict[str, Any]:
        """The dotted-key overrides of a run: the quick overrides (when ``smoke``), then the
        setting."""
        return self.experiment.sized(setting, quick=self.smoke)

    def tasks(self, command: str = "") -> list[RunTask]:
        """One :class:`RunTask` per run."""
        return [RunTask(self.experiment, dict(setting), self.sets, self.config_file,
                        seed, str(self.out / "runs" / name), command, quick=self.smoke)
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
        Run at the experiment's quick size (its quick overrides before the setting).
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
    parsed = parse_grid(grid) if not isinstance(grid, Mapping) else _grid_mapping(grid)
    seed_list = parse_seeds(seeds)
    _check_size(parsed, seed_list)
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
        digest = short_hash({k: v for k, v in plan.manifest().items() if k != "runs"})
        out = Path(runs_root) / f"sweep-{experiment_id}-{digest}"
    out = Path(out)
    check_out(out, existing=True)
    return SweepPlan(experiment, parsed, seed_list, sets, smoke, plan.config_file, out)


def _check_size(grid: Mapping[str, Sequence[Any]], seeds: Sequence[int]) -> None:
    """Refuse a plan of more than :data:`MAX_RUNS` runs, from the counts alone (no setting is
    built, so a grid of 10⁹ points costs nothing to refuse)."""
    runs = len(seeds)
    for values in grid.values():
        runs *= len(values)
    if runs > MAX_RUNS:
        sizes = " x ".join(str(len(v)) for v in grid.values()) or "1"
        raise SweepError(f"--grid x --seeds: {sizes} settings x {len(seeds)} seeds = {runs} runs; "
                         f"at most {MAX_RUNS} per sweep (split it into several sweeps)")


def run_name(setting: Mapping[str, Any], seed: int) -> str:
    """Directory name of a run: ``key=value_key=value__seed3`` (unsafe characters -> ``_``).

    When the readable form had to be changed (unsafe characters or over 120 characters), an
    8-hex-digit hash of the exact setting is appended, so names stay unique.
    """
    parts = [f"{key}={value_text(value)}" for key, value in setting.items()]
    readable = "_".join(parts)
    safe = SAFE.sub("_", readable)
    if safe != readable or len(safe) > 120:
        safe = f"{safe[:100]}-{short_hash(setting)}"
    return f"{safe}__seed{seed}" if safe else f"seed{seed}"


def is_finished(run_dir: str | Path) -> bool:
    """Whether a run directory is complete (its ``report.html``, written last, exists)."""
    run_dir = Path(run_dir)
    return (run_dir / "report.html").is_file() and (run_dir / "summary.json").is_file()


def short_hash(value: Any) -> str:
    """8 hex digits of SHA-1 over ``value`` as sorted JSON: the stable part of a default name
    (a sweep directory, a long run name, a tune's study)."""
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]



def value_text(value: Any) -> str:
    """A setting value written briefly (lists in flow style)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str).replace(" ", "")


# --------------------------------------------------------------------------- internals


def _grid_value(key: str, text: str) -> Any:
    """One ``--grid`` value read as YAML with bounded work; text that is not YAML stays text."""
    import yaml

    try:
        return load_yaml(text)
    except yaml.YAMLError:
        return text.strip()
    except ValueError as exc:
        raise SweepError(f"--grid {key}: {exc}") from None


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
    resolve_config(plan.experiment.id, plan.experiment.config_cls, file=plan.config_file,
                   sets=plan.sets, seed=seed, overrides=plan.overrides(setting))
