"""Shared test setup: quiet progress bars, a headless matplotlib, and tiny dummy experiments.

The dummy experiments exercise the whole config / run / report / CLI machinery without
depending on any real experiment: nested sections, a Literal, bounded ints and floats, a
fixed-length tuple with a custom validator.
"""

from __future__ import annotations

import os

os.environ["LEARNMECH_PROGRESS"] = "0"
os.environ["MPLBACKEND"] = "Agg"

from typing import Literal  # noqa: E402

import pytest  # noqa: E402
from pydantic import Field, model_validator  # noqa: E402

from learnmech.core import registry  # noqa: E402
from learnmech.core.config import ExperimentConfig, Section  # noqa: E402
from learnmech.core.result import Result  # noqa: E402

DUMMY_ID = "dummy.sine"
FAILING_ID = "dummy.failing"


class Shape(Section):
    """The signal: how many points and which waveform."""

    width: int = Field(8, ge=1, le=64, description="points per period")
    kind: Literal["sine", "square", "flat"] = Field("sine", description="waveform")


class Noise(Section):
    """Additive noise and the band the noisy signal is judged against."""

    level: float = Field(0.1, ge=0.0, le=1.0, description="noise standard deviation")
    band: tuple[float, float] = Field((-2.0, 2.0), description="accepted (low, high), low < high")

    @model_validator(mode="after")
    def _check_band(self) -> Noise:
        if not self.band[0] < self.band[1]:
            raise ValueError(f"band: must be increasing (low < high); got {list(self.band)}")
        return self


class DummyConfig(ExperimentConfig):
    """A toy config: two sections and two top-level keys."""

    shape: Shape = Field(default_factory=Shape, description="the signal")
    noise: Noise = Field(default_factory=Noise, description="the noise")
    steps: int = Field(20, ge=0, le=10_000, description="number of samples")
    scale: float = Field(1.0, gt=0.0, le=100.0, description="amplitude")


def run_dummy(config: DummyConfig) -> Result:
    """Sample a noisy waveform; headline numbers, a long table and one figure."""
    import numpy as np
    from matplotlib.figure import Figure

    from learnmech.core.progress import bar

    rng = np.random.default_rng(config.seed)
    t = np.arange(config.steps)
    phase = 2 * np.pi * t / config.shape.width
    clean = {"sine": np.sin(phase), "square": np.sign(np.sin(phase)),
             "flat": np.zeros_like(phase)}[config.shape.kind] * config.scale
    noisy = clean + config.noise.level * rng.standard_normal(config.steps)
    rows = []
    for step in bar(range(config.steps), desc="dummy", unit="step"):
        rows.append({"step": step, "metric": "clean", "value": float(clean[step])})
        rows.append({"step": step, "metric": "noisy", "value": noisy[step], "kind": "obs"})
    inside = bool(np.all((noisy > config.noise.band[0]) & (noisy < config.noise.band[1])))
    figure = Figure(figsize=(4, 3))
    axes = figure.subplots()
    axes.plot(t, clean, label="clean")
    axes.plot(t, noisy, ".", label="noisy")
    axes.legend()
    summary = {
        "mean_noisy": np.float64(noisy.mean()) if config.steps else float("nan"),
        "steps": np.int64(config.steps),
        "kind": config.shape.kind,
        "undefined": float("nan"),
        "within_band_verdict": "holds" if inside else "fails",
        "always_fails_verdict": "fails",
    }
    return Result(summary=summary, metrics=rows, figures={"signal": figure},
                  notes="A noisy waveform.\n\nSecond paragraph <b>escaped</b>.")


def run_failing(config: DummyConfig) -> Result:
    """Fail midway, as an experiment with a bug would."""
    raise RuntimeError("boom in the middle")


DUMMY = registry.Experiment(
    id=DUMMY_ID, description="a noisy waveform (test dummy)", config_cls=DummyConfig,
    run=run_dummy, smoke={"steps": 12, "shape.width": 4},
)
FAILING = registry.Experiment(
    id=FAILING_ID, description="always fails (test dummy)", config_cls=DummyConfig,
    run=run_failing, smoke={},
)


@pytest.fixture
def dummy():
    """The dummy experiment, registered for the test and removed afterwards."""
    registry.register(DUMMY)
    yield DUMMY
    registry.unregister(DUMMY_ID)


@pytest.fixture
def failing():
    """An experiment whose run raises, registered for the test and removed afterwards."""
    registry.register(FAILING)
    yield FAILING
    registry.unregister(FAILING_ID)
