"""Swept values are validated with the config, before any work (review finding: sweeps once
skipped the ηγ < 1 check and crashed midway)."""

import pytest

from learnmech.core.config import ConfigError, resolve_config
from learnmech.core.registry import get


@pytest.mark.parametrize(
    "experiment_id, sets, key",
    [
        ("neurashed.step-size-and-batch", ["etas=[0.5, 100]", "train.gamma=0.02"], "etas"),
        ("neurashed.forgetting", ["gammas=[0.5, 0.9]", "train.eta=2"], "gammas"),
        ("neurashed.local-elasticity", ["train.omega=[1, 2]"], "train.omega"),
        ("neurashed.implicit-regularization", ["pools=[100, -5]"], "pools"),
        ("neurashed.label-noise", ["noise_levels=[0.1, 1.5]"], "noise_levels"),
    ],
)
def test_swept_and_per_level_values_are_refused_before_work(experiment_id, sets, key):
    with pytest.raises(ConfigError) as refused:
        resolve_config(experiment_id, get(experiment_id).config_cls, sets=sets)
    assert refused.value.key == key
    assert refused.value.message.startswith("must ") and "; got " in refused.value.message
