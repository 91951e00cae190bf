"""Experiments are found by discovery: a module's path is its id, no list to keep by hand."""

from __future__ import annotations

import importlib

import pytest

from learnmech.core import registry


def _lens_modules() -> list[str]:
    return [name for name in registry.discovered_modules() if name.count(".") == 3]


@pytest.mark.parametrize("name", _lens_modules())
def test_each_lens_module_defines_its_experiment_under_the_id_of_its_path(name):
    module = importlib.import_module(name)
    assert isinstance(module.EXPERIMENT, registry.Experiment), f"{name} defines no EXPERIMENT"
    assert module.EXPERIMENT.id == registry.experiment_id_of(name)


def test_every_discovered_experiment_is_listed():
    ids = {experiment.id for experiment in registry.all_experiments()}
    assert {registry.experiment_id_of(name) for name in _lens_modules()} <= ids
    assert any(i.startswith("mechanics.") for i in ids)  # the generated family


def test_the_id_of_a_path():
    assert registry.experiment_id_of(
        "learnmech.experiments.theory.learning_curve") == "theory.learning-curve"


def test_helper_modules_are_not_scanned():
    assert not [n for n in registry.discovered_modules() if n.rpartition(".")[2].startswith("_")]


def test_every_experiment_pickles_for_workers_in_other_processes():
    """Sweep workers receive the Experiment pickled; a local function as ``run`` would fail."""
    import pickle

    for experiment in registry.all_experiments():
        again = pickle.loads(pickle.dumps(experiment))
        assert again.id == experiment.id and callable(again.run)
