"""The run contract: run_experiment / write_run_dir / render_report (learnmech.runs)."""

from __future__ import annotations

import base64
import csv
import json
import re

import pytest
import yaml
from conftest import DUMMY, DUMMY_ID, FAILING_ID, DummyConfig

from learnmech.core.config import ConfigError
from learnmech.core.registry import UnknownExperimentError
from learnmech.core.result import Result
from learnmech.runs import RunDirError, default_run_dir, run_experiment, write_run_dir

CONTRACT = ("config.yaml", "summary.json", "metrics.csv", "figures/signal.png",
            "figures/signal.svg", "report.html", "notes.md")


def leftovers(folder):
    """Temporary files left anywhere under a run directory."""
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_run_writes_the_whole_contract(dummy, tmp_path):
    out = run_experiment(DUMMY_ID, sets=["steps=6"], seed=3, out=tmp_path / "run")
    assert out == tmp_path / "run"
    for name in CONTRACT:
        assert (out / name).is_file(), name
    assert not (out / "error.txt").exists()
    assert leftovers(out) == []

    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 6 and isinstance(summary["mean_noisy"], float)
    assert summary["undefined"] is None  # NaN -> null
    assert all(not isinstance(v, dict | list) for v in summary.values())

    with open(out / "metrics.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == ["step", "kind", "metric", "value"]
    assert len(rows) == 12 and {r["metric"] for r in rows} == {"clean", "noisy"}
    assert rows[0]["kind"] == "" and rows[1]["kind"] == "obs"
    float(rows[1]["value"])

    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["seed"] == 3 and config["steps"] == 6
    assert config["shape"] == {"width": 8, "kind": "sine"}
    assert config["experiment"] == DUMMY_ID and config["timestamp"] and config["command"]
    assert set(config["versions"]) >= {"python", "numpy", "scipy", "numba", "matplotlib",
                                       "pydantic", "learnmech", "platform"}
    assert (out / "figures/signal.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_config_yaml_repeats_the_run(dummy, tmp_path):
    first = run_experiment(DUMMY_ID, sets=["steps=5", "noise.level=0.3"], seed=9,
                           out=tmp_path / "a")
    again = run_experiment(DUMMY_ID, config_file=first / "config.yaml", out=tmp_path / "b")
    assert (first / "summary.json").read_text() == (again / "summary.json").read_text()
    assert (first / "metrics.csv").read_text() == (again / "metrics.csv").read_text()


def test_report_is_self_contained(dummy, tmp_path):
    out = run_experiment(DUMMY_ID, sets=["steps=4"], out=tmp_path / "run")
    html = (out / "report.html").read_text()
    assert f"<title>{DUMMY_ID}" in html and f"<h1>{DUMMY_ID}</h1>" in html
    png = base64.b64encode((out / "figures/signal.png").read_bytes()).decode()
    assert f"data:image/png;base64,{png}" in html
    assert "<figcaption>signal</figcaption>" in html
    assert "A noisy waveform." in html and "&lt;b&gt;escaped&lt;/b&gt;" in html  # autoescaped
    assert re.search(r'class="value fails">fails<', html)
    assert re.search(r'class="value (holds|fails)">(holds|fails)<', html)
    assert "<details>" in html and "numpy" in html  # config collapsible, versions listed
    for external in ("http://", "https://", "<link", "<script src"):
        assert external not in html


def test_bad_input_creates_nothing(dummy, tmp_path):
    with pytest.raises(ConfigError):
        run_experiment(DUMMY_ID, sets=["steps=-1"], out=tmp_path / "run")
    with pytest.raises(UnknownExperimentError, match="known experiments: .*dummy.sine"):
        run_experiment("nope", out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_out_must_be_new_or_empty(dummy, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x").write_text("keep me")
    with pytest.raises(RunDirError, match="exists and is not an empty directory"):
        run_experiment(DUMMY_ID, out=tmp_path / "run")
    (tmp_path / "empty").mkdir()
    assert (run_experiment(DUMMY_ID, sets=["steps=2"], out=tmp_path / "empty")
            / "report.html").exists()


def test_default_run_dir_adds_a_suffix(dummy, tmp_path):
    first = run_experiment(DUMMY_ID, sets=["steps=2"], runs_root=tmp_path)
    assert first.parent == tmp_path and re.fullmatch(rf"{DUMMY_ID}-\d{{8}}-\d{{6}}", first.name)
    from datetime import datetime

    when = datetime(2024, 5, 6, 7, 8, 9)
    base = default_run_dir(DUMMY_ID, root=tmp_path, when=when)
    assert base.name == f"{DUMMY_ID}-20240506-070809"
    base.mkdir()
    assert default_run_dir(DUMMY_ID, root=tmp_path, when=when).name == f"{base.name}-2"
    (tmp_path / f"{base.name}-2").mkdir()
    assert default_run_dir(DUMMY_ID, root=tmp_path, when=when).name == f"{base.name}-3"


def test_failing_run_keeps_its_attempt_beside_the_target(failing, dummy, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="boom in the middle") as info:
        run_experiment(FAILING_ID, out=out)
    failed = tmp_path / "run.failed"
    assert str(failed) in info.value.__notes__[0]
    assert not out.exists()  # never a half-written run under the target's name
    assert "RuntimeError: boom in the middle" in (failed / "error.txt").read_text()
    assert (failed / "config.yaml").exists()  # what it finished: the config it ran with
    for name in ("summary.json", "metrics.csv", "report.html"):
        assert not (failed / name).exists()
    assert leftovers(failed) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.failed"]  # no partial folder
    run_experiment(DUMMY_ID, sets=["steps=2"], out=out)  # a later success clears the attempt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (Result(summary={"curve": [1, 2]}), r"summary\['curve'\] must be a scalar"),
        (Result(summary={"x": {"a": 1}}), r"summary\['x'\] must be a scalar"),
        (Result(summary={}, metrics=[{"step": 1, "value": 2}]), "'metric' and 'value'"),
        (Result(summary={}, figures={"../x": object()}), "figure name"),
    ],
)
def test_contract_breaks_are_programming_errors(tmp_path, result, match):
    with pytest.raises((TypeError, ValueError), match=match):
        write_run_dir(tmp_path / "run", DUMMY, DummyConfig(), result)
    assert not (tmp_path / "run" / "summary.json").exists()


def test_numpy_scalars_and_empty_metrics(tmp_path):
    import numpy as np

    result = Result(summary={"a": np.float32(0.5), "b": np.bool_(True), "c": np.int32(3),
                             "d": float("inf")})
    out = write_run_dir(tmp_path / "run", DUMMY, DummyConfig(), result)
    assert json.loads((out / "summary.json").read_text()) == {"a": 0.5, "b": True, "c": 3,
                                                              "d": None}
    assert (out / "metrics.csv").read_text() == "metric,value\n"
    assert not (out / "figures").exists() and not (out / "notes.md").exists()
    assert (out / "report.html").exists() and leftovers(out) == []


def test_crash_during_a_write_leaves_no_file_under_its_final_name(tmp_path, monkeypatch):
    from learnmech.runs import rundir

    def exploding_csv(rows, columns):
        raise OSError("disk full")

    monkeypatch.setattr(rundir, "_metrics_csv", exploding_csv)
    with pytest.raises(OSError, match="disk full"):
        write_run_dir(tmp_path / "run", DUMMY, DummyConfig(),
                      Result(summary={"a": 1}, metrics=[{"metric": "m", "value": 1}]))
    assert not (tmp_path / "run" / "metrics.csv").exists()
    assert not (tmp_path / "run" / "summary.json").exists()
    assert leftovers(tmp_path / "run") == []


def test_progress_bar_respects_the_switch(monkeypatch, capsys):
    from learnmech.core.progress import bar, enabled

    assert not enabled()  # conftest switches bars off
    assert list(bar(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("LEARNMECH_PROGRESS", "1")
    assert enabled()
    with bar(total=2, desc="manual", unit="step") as progress:
        progress.update(2)
    assert "manual" in capsys.readouterr().err
