"""Tuning (learnmech.runs.tune): parameters, one study from two processes, determinism, CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sweep_toy
from typer.testing import CliRunner

from learnmech.cli import app
from learnmech.core.config import ConfigError
from learnmech.runs.executors import InlineExecutor, LocalExecutor
from learnmech.runs.tune import TuneError, parse_param, plan_tune, run_tune

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def pool():
    """Two local worker processes shared by this module's tunes (spawned once)."""
    with LocalExecutor(2) as executor:
        yield executor


def test_parse_param_ranges_and_choices():
    x = parse_param(sweep_toy.TOY_ID, "x=0.01:1:log")
    assert (x.kind, x.low, x.high, x.log) == ("float", 0.01, 1.0, True)
    width = parse_param(sweep_toy.TOY_ID, "width=1:8")
    assert (width.kind, width.low, width.high) == ("int", 1, 8)
    label = parse_param(sweep_toy.TOY_ID, "label=a,bb")
    assert (label.kind, label.choices) == ("categorical", ("a", "bb"))


@pytest.mark.parametrize("text, error, words", [
    ("x", TuneError, "key=low:high"), ("x=1:0", TuneError, "low must be below high"),
    ("x=0:1:log", TuneError, "log range needs low > 0"), ("x=0:1:lin", TuneError, "key=low"),
    ("width=1.5:4", TuneError, "integer bounds"), ("nokey=0:1", ConfigError, "not a key"),
])
def test_parse_param_refuses_bad_text(text, error, words):
    with pytest.raises(error, match=words):
        parse_param(sweep_toy.TOY_ID, text)


def test_plan_checks_the_range_against_the_config(tmp_path):
    with pytest.raises(ConfigError, match="x must be a float in"):
        plan_tune(sweep_toy.TOY_ID, params=["x=0:9"], metric="loss", out=tmp_path / "t")


def test_two_processes_of_20_trials_make_one_study_of_40(pool, tmp_path):
    import optuna

    out = tmp_path / "tune"
    plan = plan_tune(sweep_toy.TOY_ID, params=["x=-1:1", "width=1:8"], metric="loss",
                     trials=20, out=out)
    first = run_tune(plan, pool)
    assert (first.ran, first.trials_total, first.failed) == (20, 20, [])
    driver = (f"import sys; sys.path[:0] = [{str(HERE)!r}]; import sweep_toy; "
              "from learnmech.cli import main; main()")
    done = subprocess.run(
        [sys.executable, "-c", driver, "tune", sweep_toy.TOY_ID, "--param", "x=-1:1",
         "--param", "width=1:8", "--metric", "loss", "--trials", "20", "--executor", "inline",
         "--out", str(out)],
        env={**os.environ, "LEARNMECH_PROGRESS": "0"}, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    assert "40 trials in all; this process ran 20" in done.stdout
    study = optuna.load_study(study_name=plan.study, storage=plan.storage)
    trials = study.get_trials(deepcopy=False)
    assert sorted(t.number for t in trials) == list(range(40))
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 40  # no repeated draw
    manifest = json.loads((out / "tune.json").read_text())
    assert manifest["trials_total"] == 40 and manifest["best"]["number"] == study.best_trial.number
    kept = [p.name for p in (out / "trials").iterdir()]
    assert kept == [f"trial-{study.best_trial.number:04d}"]  # only the best run stays
    summary = json.loads((out / "trials" / kept[0] / "summary.json").read_text())
    assert summary["loss"] == study.best_value
    with open(out / "tune.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 40
    assert {p.name for p in (out / "figures").iterdir()} == {"history.png", "params.png"}


def test_trials_are_seeded_deterministically(tmp_path):
    def proposals(name):  # one trial at a time: proposals depend only on the history
        plan = plan_tune(sweep_toy.TOY_ID, params=["x=-1:1", "label=a,bb"], metric="loss",
                         direction="maximize", trials=4, keep="all", out=tmp_path / name)
        run_tune(plan, InlineExecutor())
        with open(plan.out / "tune.csv", newline="") as handle:
            return [(r["x"], r["label"], r["value"]) for r in csv.DictReader(handle)]

    first = proposals("a")
    assert first == proposals("b")
    assert len(set(first)) == 4


def test_a_metric_the_experiment_lacks_is_bad_input(tmp_path):
    result = runner.invoke(app, ["tune", sweep_toy.TOY_ID, "--param", "x=0:1", "--metric",
                                 "accuracy", "--trials", "2", "--executor", "inline",
                                 "--out", str(tmp_path / "t")])
    assert result.exit_code == 2
    line, = result.stderr.strip().splitlines()
    assert "'accuracy' is not a numeric summary key" in line and "loss" in line
    assert not (tmp_path / "t").exists()  # refused before any trial: nothing written



@pytest.mark.parametrize("args, words", [
    (["nope.x", "--param", "x=0:1", "--metric", "loss"], "unknown experiment"),
    ([sweep_toy.TOY_ID, "--param", "x=0:1", "--metric", "loss", "--direction", "up"],
     "--direction must be one of"),
    ([sweep_toy.TOY_ID, "--param", "x=0:1", "--metric", "loss", "--trials", "0"],
     "--trials must be an integer >= 1"),
    ([sweep_toy.TOY_ID, "--metric", "loss"], "at least one --param"),
    ([sweep_toy.TOY_ID, "--param", "x=0:1", "--metric", "loss", "--executor", "spark"],
     "--executor must be one of"),
    ([sweep_toy.TOY_ID, "--param", "x=0:1", "--metric", "loss", "--storage",
      "postgresql://me:secret@127.0.0.1:1/db"],
     "cannot open the Optuna storage 'postgresql://me:***@127.0.0.1:1/db'"),
])
def test_tune_bad_input_is_one_line_and_exit_2(args, words, tmp_path):
    result = runner.invoke(app, ["tune", *args, "--out", str(tmp_path / "t")])
    assert result.exit_code == 2, result.output
    line, = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and words in line
