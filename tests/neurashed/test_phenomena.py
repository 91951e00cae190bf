"""The spec's acceptance table, checked in small worlds of several shapes and seeds.

Worlds vary in class and superclass counts and seeds; γ is set so that the model's control
parameter p* = 1 − nKγ (the compression threshold, ``docs/neurashed.md``) stays at its default
value 0.4 — the phenomena must come from the mechanism, not from one tuned world. Figures are
left out here (the registry contract test draws them).
"""

import importlib

import pytest

P_STAR = 0.4
WORLDS = [  # (classes, superclasses, seed)
    (4, 2, 3),
    (6, 3, 5),
    (8, 4, 7),
]


def overrides(classes, superclasses, seed, per_class=20, pool=600):
    gamma = (1 - P_STAR) / (per_class * classes)
    return {
        "seed": seed,
        "seeds": 3,
        "world": {"classes": classes, "superclasses": superclasses, "pool": pool,
                  "examples_per_class": per_class, "test_per_class": 100},
        "train": {"gamma": gamma, "steps": 12000, "records": 24},
    }


def run(name, monkeypatch, **config):
    module = importlib.import_module(f"learnmech.experiments.neurashed.{name}")
    monkeypatch.setattr(module, "_figures", lambda *args, **kwargs: {})
    return module.run(module.Config(**config)).summary


def assert_verdicts_hold(summary, names):
    for name in names:
        assert summary[f"{name}_verdict"] == "holds", (name, summary)


@pytest.mark.parametrize("classes, superclasses, seed", WORLDS)
def test_implicit_regularization(classes, superclasses, seed, monkeypatch):
    summary = run("implicit_regularization", monkeypatch, pools=(100, 600, 3000),
                  **overrides(classes, superclasses, seed))
    assert_verdicts_hold(summary, ["nuisance_share", "effective_features", "generalisation_gap",
                                   "no_compression_keeps_nuisance", "compression_threshold"])


@pytest.mark.parametrize("classes, superclasses, seed", WORLDS)
def test_information_bottleneck(classes, superclasses, seed, monkeypatch):
    summary = run("information_bottleneck", monkeypatch, **overrides(classes, superclasses, seed))
    assert_verdicts_hold(summary, ["bottleneck"])
    assert summary["clean_top_ixt_given_y_peak"] > summary["clean_top_ixt_given_y_initial"]


@pytest.mark.parametrize("classes, superclasses, seed", WORLDS)
def test_local_elasticity(classes, superclasses, seed, monkeypatch):
    config = overrides(classes, superclasses, seed)
    config["train"].update(steps=4000, records=10)
    summary = run("local_elasticity", monkeypatch, **config)
    assert summary["elasticity_ratio_max"] >= 3


@pytest.mark.parametrize("classes, superclasses, seed", WORLDS)
def test_label_noise(classes, superclasses, seed, monkeypatch):
    summary = run("label_noise", monkeypatch, noise_levels=(0.0, 0.2),
                  **overrides(classes, superclasses, seed))
    assert_verdicts_hold(summary, ["clean_first", "compression_limits_memorisation",
                                   "memorised_through_nuisance"])


@pytest.mark.parametrize("classes, superclasses, seed", WORLDS)
def test_forgetting(classes, superclasses, seed, monkeypatch):
    config = overrides(classes, superclasses, seed)
    gamma = config["train"]["gamma"]
    summary = run("forgetting", monkeypatch, phase_steps=6000,
                  gammas=(gamma / 2, gamma, 2 * gamma), **config)
    assert_verdicts_hold(summary, ["rate_set_by_gamma", "ancestors_protect"])


@pytest.mark.parametrize("classes, superclasses, seed", WORLDS[:2])
def test_step_size_and_batch(classes, superclasses, seed, monkeypatch):
    config = overrides(classes, superclasses, seed)
    config["train"].update(steps=6000)
    summary = run("step_size_and_batch", monkeypatch, etas=(0.25, 0.5, 1.0), batches=(1, 2, 8),
                  **config)
    assert_verdicts_hold(summary, ["compression_steps_slope_eta", "compression_steps_slope_batch"])
