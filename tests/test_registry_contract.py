"""One contract suite over every registered experiment (style.md item 9).

For each experiment in the registry: every config key is documented; each kind of bad value
(unknown key, wrong type, a negative value where the range starts at 0, NaN) is refused with the
template message naming the key; a run with the experiment's ``smoke`` overrides writes the
whole run contract; the same seed gives the same summary. The suite also runs on the test dummy,
so it is checked even while the registry is empty.
"""

from __future__ import annotations

import csv
import json
import math

import pytest
import yaml
from conftest import DUMMY

from learnmech.core.config import ConfigError, config_keys, resolve_config
from learnmech.core.registry import Experiment, all_experiments
from learnmech.core.result import plain_summary
from learnmech.core.threads import one_blas_thread
from learnmech.runs import run_experiment

EXPERIMENTS = all_experiments()
VERDICTS = ("holds", "fails", "inconclusive", "out of regime")
IDS = [e.id for e in EXPERIMENTS]


def _bad_values(experiment: Experiment) -> list[tuple[str, object]]:
    """(dotted key, bad value) pairs every experiment must refuse."""
    bad: list[tuple[str, object]] = [("no_such_key", 1), ("seed", "abc"), ("seed", -1)]
    for key, info in config_keys(experiment.config_cls).items():
        scalar = info.kinds <= {"int", "float"}
        low = info.ge if info.ge is not None else info.gt
        if scalar and low is not None and low >= 0:
            bad.append((key, -1))
        if "float" in info.kinds:
            bad.append((key, math.nan))
        if info.kinds <= {"int", "float", "bool"}:
            bad.append((key, "not-a-number"))
    return bad


def check_keys_documented(experiment: Experiment) -> None:
    keys = config_keys(experiment.config_cls)
    assert keys, f"{experiment.id}: no config keys"
    for key, info in keys.items():
        assert info.description.strip(), f"{experiment.id}: {key} has no description"
        assert info.accepted, f"{experiment.id}: {key} has no accepted values"
    resolve_config(experiment.id, experiment.config_cls)  # the defaults are valid
    resolve_config(experiment.id, experiment.config_cls, overrides=experiment.smoke)
    assert experiment.description and "\n" not in experiment.description


def check_bad_values_refused(experiment: Experiment) -> None:
    for key, value in _bad_values(experiment):
        with pytest.raises(ConfigError) as info:
            resolve_config(experiment.id, experiment.config_cls, overrides={key: value})
        error = info.value
        section = key.rpartition(".")[0]
        # the key itself, or (for a section validator's own message) a key of its section
        assert error.key == key or (section and error.key.startswith(section + ".")), (
            key, str(error))
        assert str(error).startswith(f"{experiment.id}: {error.key} "), str(error)
        if key == "no_such_key":
            assert "is not a key of this experiment; accepted keys: seed" in str(error)
        else:
            assert error.message.startswith("must ") and "; got " in error.message, str(error)


def check_smoke_run(experiment: Experiment, out) -> None:
    run_dir = run_experiment(experiment.id, overrides=experiment.smoke, seed=1, out=out)
    for name in ("config.yaml", "summary.json", "metrics.csv", "report.html"):
        assert (run_dir / name).is_file(), f"{experiment.id}: {name} missing"
    assert not (run_dir / "error.txt").exists()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert isinstance(summary, dict) and summary
    assert all(v is None or isinstance(v, bool | int | float | str) for v in summary.values())
    for key, value in summary.items():
        if key.endswith("_verdict"):
            assert value in VERDICTS, f"{experiment.id}: {key} = {value!r}"
    with open(run_dir / "metrics.csv", newline="") as handle:
        columns = csv.DictReader(handle).fieldnames or []
    assert columns[-2:] == ["metric", "value"]
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["seed"] == 1 and config["experiment"] == experiment.id and config["versions"]
    figures = sorted((run_dir / "figures").glob("*.png")) if (run_dir / "figures").exists() else []
    html = (run_dir / "report.html").read_text()
    for png in figures:
        assert f"<figcaption>{png.stem}</figcaption>" in html
    assert not [p for p in run_dir.rglob("*") if p.name.startswith(".")]

    # The same seed gives the same summary (run again in process, nothing written).
    config = resolve_config(experiment.id, experiment.config_cls, overrides=experiment.smoke,
                            seed=1)
    with one_blas_thread():  # as the run layer computes every run
        again = experiment.run(config)
    _close(again.figures)
    assert json.loads(json.dumps(plain_summary(again.summary))) == summary


def _close(figures) -> None:
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    for figure in figures.values():
        if pyplot is not None:
            pyplot.close(figure)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_config_keys_are_documented(experiment):
    check_keys_documented(experiment)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_bad_values_are_refused_with_the_template(experiment):
    check_bad_values_refused(experiment)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=IDS)
def test_smoke_run_writes_the_contract_and_repeats(experiment, tmp_path):
    check_smoke_run(experiment, tmp_path / "run")


def test_the_suite_itself_on_the_dummy(dummy, tmp_path):
    assert dummy is DUMMY
    check_keys_documented(dummy)
    check_bad_values_refused(dummy)
    check_smoke_run(dummy, tmp_path / "run")


def test_ids_are_dotted_and_unique():
    assert len(set(IDS)) == len(IDS)
    for experiment_id in IDS:
        lens, _, phenomenon = experiment_id.partition(".")
        assert lens and phenomenon, experiment_id
