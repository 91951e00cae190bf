"""The one registry of named experiments, found by discovery.

An experiment lives in ``learnmech/experiments/<lens>/<phenomenon>.py``: the module defines a
config class (an :class:`~learnmech.core.config.ExperimentConfig`), a ``run(config) -> Result``
function and a module-level ``EXPERIMENT = Experiment(...)`` whose id is the module's path
(``experiments/neurashed/label_noise.py`` is ``neurashed.label-noise``). A module directly in
``learnmech/experiments`` may instead provide a generated family through a function
``experiments() -> Iterable[Experiment]`` (the mechanics catalogue does). Modules whose name starts
with ``_`` hold shared helpers and are not scanned. Discovery imports every such module the first
time the registry is asked for an experiment; experiment modules import only pydantic at module
load (their ``run`` imports numpy, numba, matplotlib inside), so ``learnmech list`` stays fast.
:func:`register` adds experiments defined elsewhere (tests, benchmarks).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from learnmech.core.config import RESERVED_KEYS, ExperimentConfig
from learnmech.core.errors import InputError
from learnmech.core.result import Result

#: The package scanned for experiments.
EXPERIMENTS_PACKAGE = "learnmech.experiments"
#: Subpackages of :data:`EXPERIMENTS_PACKAGE` that are not lenses and are not scanned
#: (``compare`` holds each phenomenon's claims and series for ``learnmech compare``).
NOT_LENSES = ("compare",)

__all__ = [
    "EXPERIMENTS_PACKAGE",
    "experiment_id_of",
    "Experiment",
    "UnknownExperimentError",
    "all_experiments",
    "get",
    "register",
    "unregister",
]


@dataclass(frozen=True)
class Experiment:
    """A named experiment: what it is, what it accepts and how it runs.

    Attributes
    ----------
    id : str
        Dotted id, ``<lens>.<phenomenon>`` (``neurashed.label-noise``).
    description : str
        One line for ``learnmech list``.
    config_cls : type[ExperimentConfig]
        The validated configuration class (defaults are the documented run).
    run : Callable[[ExperimentConfig], Result]
        Runs the experiment on a resolved config; pure apart from its progress bar.
    smoke : dict[str, Any]
        Dotted-key overrides (Python values) that make a run take a few seconds: the size of the
        registry contract test, and the quick size unless ``quick`` says otherwise.
    references : tuple of str
        The papers whose model, claim or protocol the experiment implements, one string each
        ("Author, Author & Author, Venue Year (arXiv id)"); shown by ``learnmech show`` and in
        the run's report.
    quick : dict[str, Any] or None
        The overrides of the quick size (``--quick`` of ``learnmech run/sweep/tune/compare``,
        ``lm.run(quick=True)``) when it is not ``smoke``: a catalogue entry's is its scorecard
        size, ``{"size": "quick"}``, so that ``run --quick`` gives ``verify --quick``'s numbers.
    """

    id: str
    description: str
    config_cls: type[ExperimentConfig]
    run: Callable[[ExperimentConfig], Result]
    smoke: dict[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    quick: dict[str, Any] | None = None

    @property
    def quick_overrides(self) -> dict[str, Any]:
        """The dotted-key overrides of the quick size: ``quick`` when given, else ``smoke``."""
        return dict(self.smoke if self.quick is None else self.quick)

    def sized(self, overrides: Mapping[str, Any] | None, *, quick: bool) -> dict[str, Any]:
        """A run's dotted-key overrides: the quick overrides first when ``quick``, then
        ``overrides`` (which win)."""
        return {**(self.quick_overrides if quick else {}), **(overrides or {})}


class UnknownExperimentError(InputError):
    """No experiment has the requested id; the message lists the ids that exist."""

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError
        return str(self.args[0]) if self.args else ""


_REGISTRY: dict[str, Experiment] = {}
_DISCOVERED = False


def register(experiment: Experiment) -> Experiment:
    """Add an experiment to the registry and return it (so a module can keep a handle).

    Raises
    ------
    ValueError
        If the id is taken by an experiment from another module, or the config class is not
        an ExperimentConfig, or it uses a reserved key name.
    """
    if not (isinstance(experiment.config_cls, type)
            and issubclass(experiment.config_cls, ExperimentConfig)):
        raise ValueError(
            f"experiment {experiment.id!r}: config_cls must subclass ExperimentConfig; got "
            f"{experiment.config_cls!r}"
        )
    clash = RESERVED_KEYS & set(experiment.config_cls.model_fields)
    if clash:
        raise ValueError(
            f"experiment {experiment.id!r}: config keys {sorted(clash)} are reserved for run "
            "metadata in config.yaml; rename them"
        )
    old = _REGISTRY.get(experiment.id)
    if old is not None and old is not experiment:
        same_module = getattr(old.run, "__module__", None) == getattr(
            experiment.run, "__module__", object()
        )
        if not same_module:  # a reload of the same module may replace its own entry
            raise ValueError(
                f"experiment id {experiment.id!r} is already registered by "
                f"{old.run.__module__}; choose another id"
            )
    _REGISTRY[experiment.id] = experiment
    return experiment


def unregister(experiment_id: str) -> None:
    """Remove an experiment from the registry (for tests); unknown ids are ignored."""
    _REGISTRY.pop(experiment_id, None)


def get(experiment_id: str) -> Experiment:
    """The experiment with this id.

    Raises
    ------
    UnknownExperimentError
        If none has it; the message lists the known ids.
    """
    _discover()
    try:
        return _REGISTRY[experiment_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "(none registered)"
        raise UnknownExperimentError(
            f"unknown experiment {experiment_id!r}; known experiments: {known} "
            "(see `learnmech list`)"
        ) from None


def all_experiments() -> list[Experiment]:
    """Every registered experiment, sorted by id."""
    _discover()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def experiment_id_of(module_name: str) -> str:
    """The id an experiment module's path gives it: ``<lens>.<phenomenon>``.

    ``learnmech.experiments.theory.learning_curve`` -> ``theory.learning-curve``.
    """
    lens, _, phenomenon = module_name.removeprefix(EXPERIMENTS_PACKAGE + ".").partition(".")
    return f"{lens}.{phenomenon.replace('_', '-')}"


def discovered_modules() -> list[str]:
    """The names of every experiment module under :data:`EXPERIMENTS_PACKAGE`, sorted.

    Lens folders are scanned one level deep; names starting with ``_`` are helpers.
    """
    package = importlib.import_module(EXPERIMENTS_PACKAGE)
    names = []
    for info in pkgutil.iter_modules(package.__path__, EXPERIMENTS_PACKAGE + "."):
        short = info.name.rpartition(".")[2]
        if short.startswith("_") or short in NOT_LENSES:
            continue
        names.append(info.name)
        if info.ispkg:
            lens = importlib.import_module(info.name)
            names.extend(sub.name for sub in pkgutil.iter_modules(lens.__path__, info.name + ".")
                         if not sub.name.rpartition(".")[2].startswith("_"))
    return sorted(names)


def _discover() -> None:
    """Import every experiment module once and register what it defines."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    for name in discovered_modules():
        module = importlib.import_module(name)
        for experiment in _defined_in(module):
            register(experiment)
    _DISCOVERED = True


def _defined_in(module: ModuleType) -> list[Experiment]:
    """The experiments a discovered module defines (``EXPERIMENT`` or ``experiments()``)."""
    found = []
    if isinstance(getattr(module, "EXPERIMENT", None), Experiment):
        found.append(module.EXPERIMENT)
    if callable(getattr(module, "experiments", None)):
        found.extend(module.experiments())
    return found
