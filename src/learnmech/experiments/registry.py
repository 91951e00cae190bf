"""The one registry of named experiments.

An experiment module ``learnmech/experiments/<family>_<name>.py`` defines a config class (an
:class:`~learnmech.experiments.config.ExperimentConfig`), a ``run(config) -> Result`` function
and calls :func:`register` at import. The registry imports every module listed in
:data:`EXPERIMENT_MODULES` the first time it is asked for an experiment; experiment modules
import only pydantic at module load (their ``run`` imports numpy, numba, matplotlib inside), so
``learnmech list`` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from learnmech.experiments.config import RESERVED_KEYS, ExperimentConfig
from learnmech.experiments.result import Result

#: Modules that register experiments, imported on first use of the registry. A name without a
#: dot is taken relative to ``learnmech.experiments``.
EXPERIMENT_MODULES: tuple[str, ...] = (
    "neurashed_implicit_regularization",
    "neurashed_information_bottleneck",
    "neurashed_local_elasticity",
    "neurashed_label_noise",
    "neurashed_forgetting",
    "neurashed_step_size_and_batch",
    "theory_learning_curve",
    "network_local_elasticity",
    "network_information_bottleneck",
    "theory_kernel_spectrum",
    "theory_real_data_curve",
    "theory_hyperparameters",
    "network_implicit_regularization",
    "mechanics",
    "network_label_noise",
    "network_forgetting",
    "network_step_size_and_batch",
)

__all__ = [
    "EXPERIMENT_MODULES",
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
        Dotted-key overrides (Python values) that make a run take a few seconds; used by the
        registry contract test.
    """

    id: str
    description: str
    config_cls: type[ExperimentConfig]
    run: Callable[[ExperimentConfig], Result]
    smoke: dict[str, Any] = field(default_factory=dict)


class UnknownExperimentError(LookupError):
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


def _discover() -> None:
    """Import every module of EXPERIMENT_MODULES once (each registers its experiments)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    for name in EXPERIMENT_MODULES:
        module = name if "." in name else f"learnmech.experiments.{name}"
        importlib.import_module(module)
    _DISCOVERED = True
