"""A toy experiment for the sweep and tune tests, registered when this module is imported.

Worker processes receive the experiment pickled by reference to this module and import it
(spawned workers inherit ``sys.path``), so it runs on every executor without being in the
registry's module list.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core import registry
from learnmech.core.config import ExperimentConfig
from learnmech.core.result import Result

TOY_ID = "toy.quadratic"


class ToyConfig(ExperimentConfig):
    """A noisy quadratic: loss = (x - 0.3)^2 + noise * N(0, 1), after an optional sleep."""

    x: float = Field(0.0, ge=-5.0, le=5.0, description="the point evaluated")
    width: int = Field(4, ge=1, le=64, description="an integer knob (enters the loss)")
    noise: float = Field(0.1, ge=0.0, le=1.0, description="noise standard deviation")
    label: str = Field("a", description="a categorical knob (enters the loss by its length)")
    sleep: float = Field(0.0, ge=0.0, le=60.0, description="seconds to sleep (kill tests)")


def run_toy(config: ToyConfig) -> Result:
    """Summary: loss, a seed-dependent draw, a verdict with its agreement; no figures."""
    import time

    import numpy as np

    time.sleep(config.sleep)
    rng = np.random.default_rng(config.seed)
    draw = float(rng.standard_normal())
    loss = (config.x - 0.3) ** 2 + 0.01 * config.width + 0.001 * len(config.label) \
        + config.noise * draw
    return Result(
        summary={"loss": loss, "draw": draw, "width": config.width,
                 "small_agreement": abs(loss), "small_verdict": "holds" if abs(loss) < 1
                 else "fails"},
        metrics=[{"step": 0, "metric": "loss", "value": loss}],
    )


TOY = registry.register(registry.Experiment(
    id=TOY_ID, description="a noisy quadratic (sweep test toy)", config_cls=ToyConfig,
    run=run_toy, smoke={"noise": 0.05},
))
