"""The ``learnmech`` command: exit codes, messages and import lightness (learnmech.cli)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml
from conftest import DUMMY_ID, FAILING_ID
from typer.testing import CliRunner

from learnmech import __version__
from learnmech.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_list_aligns_ids_and_descriptions(dummy, failing):
    result = invoke("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    ids = [line.split()[0] for line in lines]
    assert ids == sorted(ids) and {DUMMY_ID, FAILING_ID} <= set(ids)
    column = max(len(i) for i in ids) + 2  # descriptions start in one column
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines)
    assert lines[ids.index(DUMMY_ID)][column:] == "a noisy waveform (test dummy)"


def test_show_prints_keys_types_defaults_and_ranges(dummy):
    result = invoke("show", DUMMY_ID)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "noise.level  number in [0, 1]; default 0.1" in lines
    assert "             noise standard deviation" in lines
    assert "shape.kind   one of 'sine', 'square', 'flat'; default sine" in lines
    assert "noise.band   list of 2 numbers; default [-2.0, 2.0]" in lines
    assert "quick size (--quick): steps=12, shape.width=4" in lines


def test_show_writes_every_type_in_words_and_the_references():
    from learnmech.core.registry import all_experiments

    ids = [e.id for e in all_experiments()]
    shown = {i: invoke("show", i) for i in ("theory.kernel-spectrum", "network.local-elasticity",
                                            "lesde.phase-transition", "mechanics.grokking")}
    assert all(r.exit_code == 0 for r in shown.values())
    spectrum = shown["theory.kernel-spectrum"].stdout
    assert "sweep.activations  list, each one of 'relu', 'erf', 'linear', 'tanh', 'gelu', " \
           "'softplus', 'sigmoid', at least 1; default [relu, erf, tanh]" in spectrum
    assert "kernel.depth       integer in [1, 64]; default 4" in spectrum
    assert "references:\n  1. Jacot, Gabriel & Hongler" in spectrum
    assert "digits_pairs    list of lists of integers" in shown["network.local-elasticity"].stdout
    assert "Power, Burda, Edwards" in shown["mechanics.grokking"].stdout
    internals = ("Literal", "tuple[", "Annotated", "FieldInfo", "NoneType", "choice =",
                 "<class")
    for experiment_id in ids:
        text = invoke("show", experiment_id).stdout
        assert not [w for w in internals if w in text], experiment_id


def test_run_prints_the_directory_and_summary(dummy, tmp_path):
    out = tmp_path / "run"
    result = invoke("run", DUMMY_ID, "--set", "steps=5", "--set", "shape.kind=square",
                    "--seed", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"run directory: {out}" in result.stdout
    assert "within_band_verdict" in result.stdout
    assert json.loads((out / "summary.json").read_text())["kind"] == "square"


def test_run_with_a_config_file(dummy, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("steps: 3\nnoise:\n  level: 0.0\n")
    result = invoke("run", DUMMY_ID, "--config", str(path), "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nope"], "error: unknown experiment 'nope'; known experiments: "),
        (["show", "nope"], "error: unknown experiment 'nope'"),
        (["run", DUMMY_ID, "--set", "noise.level=1.5"],
         f"error: {DUMMY_ID}: noise.level must be a float in [0, 1]; got 1.5"),
        (["run", DUMMY_ID, "--set", "steps"],
         f"error: {DUMMY_ID}: --set must be written key=value"),
        (["run", DUMMY_ID, "--set", "shape.colour=red"],
         f"error: {DUMMY_ID}: shape.colour is not a key of this experiment"),
        (["run", DUMMY_ID, "--seed", "-1"],
         f"error: {DUMMY_ID}: seed must be an integer in [0, 4294967295]; got -1"),
        (["run", DUMMY_ID, "--config", "missing.yaml"],
         f"error: {DUMMY_ID}: --config must be a readable YAML file"),
        (["run", DUMMY_ID, "--seed", "abc"],
         "error: Invalid value for '--seed': must be an integer in [0, 4294967295]; got 'abc'"),
        (["run", DUMMY_ID, "--seed", str(2**64)],
         f"error: {DUMMY_ID}: seed must be an integer in [0, 4294967295]; got "),
        (["run", DUMMY_ID, "--bogus"], "error: No such option: --bogus"),
        (["nope"], "error: No such command 'nope'"),
        (["sweep", DUMMY_ID, "--workers", "many"], "error: Invalid value for '--workers'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_creates_nothing(dummy, tmp_path, args, message):
    out = tmp_path / "run"
    result = invoke(*args, "--out", str(out)) if args[0] in ("run", "sweep") else invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert not out.exists()


def test_ill_formed_yaml_exits_2(dummy, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("steps: [1,\n")
    result = invoke("run", DUMMY_ID, "--config", str(path), "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {DUMMY_ID}: --config must be a valid YAML file")
    assert not (tmp_path / "run").exists()


def test_failing_run_exits_1(failing, tmp_path):
    out = tmp_path / "run"
    result = invoke("run", FAILING_ID, "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith("run failed: RuntimeError: boom in the middle")
    assert "run.failed" in result.stderr  # the note says where the attempt is kept
    assert not out.exists()  # a run directory is complete or absent
    failed = tmp_path / "run.failed"
    assert (failed / "error.txt").exists() and not (failed / "summary.json").exists()


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEARNMECH_PROGRESS": "0"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, timeout=60)


def test_importing_the_cli_and_registry_stays_light():
    code = (
        "import sys, learnmech.cli, learnmech.runs, learnmech.report\n"
        "from learnmech.core.registry import all_experiments\n"
        "all_experiments()\n"
        "heavy = [m for m in ('matplotlib', 'numba', 'jinja2', 'scipy', 'torch') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    assert _python(code).stdout.strip() == ""


def test_help_and_list_answer_quickly():
    env = {**os.environ, "LEARNMECH_PROGRESS": "0"}
    for args in (["--help"], ["list"]):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "learnmech", *args], capture_output=True,
                              text=True, env=env, timeout=60)
        elapsed = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
        assert elapsed < 3.0, f"learnmech {args[0]} took {elapsed:.2f} s"  # well under 1 s idle


def test_python_dash_m_and_version():
    assert __version__ == "0.1.0"
    done = subprocess.run([sys.executable, "-m", "learnmech", "run", "nope"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("error: unknown experiment 'nope'")


def test_every_command_turns_input_errors_into_one_line(monkeypatch, tmp_path):
    """The group catches InputError in one place, whichever command raised it."""
    import learnmech.runs.rundir as rundir
    from learnmech.core.errors import InputError

    def refuse(*args, **kwargs):
        raise InputError("first line\nsecond line")

    monkeypatch.setattr(rundir, "run_experiment", refuse)
    result = invoke("run", DUMMY_ID, "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and result.stderr == "error: first line second line\n"


def test_an_input_error_after_work_began_is_a_failed_run(monkeypatch, tmp_path):
    import learnmech.runs.rundir as rundir
    from learnmech.core.errors import InputError

    def fails_midway(*args, **kwargs):
        exc = InputError("a theory function refused its argument")
        exc.add_note("run failed; the attempt is kept in somewhere.failed")
        raise exc

    monkeypatch.setattr(rundir, "run_experiment", fails_midway)
    result = invoke("run", DUMMY_ID, "--out", str(tmp_path / "x"))
    assert result.exit_code == 1 and result.stderr.startswith("run failed: InputError")


def test_the_sigterm_handler_is_restored_after_a_run(dummy, tmp_path):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    assert invoke("run", DUMMY_ID, "--set", "steps=2", "--out", str(tmp_path / "r")).exit_code == 0
    assert signal.getsignal(signal.SIGTERM) is before


# --------------------------------------------------------------------------- one quick flag


def test_run_quick_applies_the_quick_overrides_and_the_report_says_so(dummy, tmp_path):
    quick, full = tmp_path / "quick", tmp_path / "full"
    assert invoke("run", DUMMY_ID, "--quick", "--out", str(quick)).exit_code == 0
    assert invoke("run", DUMMY_ID, "--set", "steps=5", "--out", str(full)).exit_code == 0
    config = yaml.safe_load((quick / "config.yaml").read_text())
    assert config["steps"] == 12 and config["shape"]["width"] == 4  # DUMMY.smoke
    assert config["quick"] is True  # recorded by the run layer, read by the report
    assert yaml.safe_load((full / "config.yaml").read_text())["quick"] is False
    assert 'class="banner quick"' in (quick / "report.html").read_text()
    assert "banner quick" not in (full / "report.html").read_text()
    assert invoke("run", DUMMY_ID, "--quick", "--set", "steps=3",
                  "--out", str(tmp_path / "q")).exit_code == 0  # --set comes after --quick
    assert yaml.safe_load((tmp_path / "q" / "config.yaml").read_text())["steps"] == 3
    again = tmp_path / "again"  # repeated from the quick run's config.yaml: quick too
    assert invoke("run", DUMMY_ID, "--config", str(quick / "config.yaml"),
                  "--out", str(again)).exit_code == 0
    assert yaml.safe_load((again / "config.yaml").read_text())["quick"] is True
    assert 'class="banner quick"' in (again / "report.html").read_text()


def test_sweep_and_tune_take_quick_and_their_pages_say_so(dummy, tmp_path):
    sweep = invoke("sweep", DUMMY_ID, "--grid", "scale=1,2", "--quick", "--executor", "inline",
                   "--out", str(tmp_path / "s"))
    assert sweep.exit_code == 0, sweep.output
    assert json.loads((tmp_path / "s" / "sweep.json").read_text())["smoke"] is True
    assert 'class="banner quick"' in (tmp_path / "s" / "report.html").read_text()
    for config in (tmp_path / "s" / "runs").glob("*/config.yaml"):
        recorded = yaml.safe_load(config.read_text())
        assert recorded["quick"] is True and recorded["steps"] == 12, config
    tune = invoke("tune", DUMMY_ID, "--param", "scale=1:2", "--metric", "mean_noisy",
                  "--trials", "2", "--quick", "--executor", "inline", "--out", str(tmp_path / "t"))
    assert tune.exit_code == 0, tune.output
    assert json.loads((tmp_path / "t" / "tune.json").read_text())["smoke"] is True
    assert 'class="banner quick"' in (tmp_path / "t" / "report.html").read_text()
    assert "--smoke" not in sweep.stderr + tune.stderr


def test_the_old_smoke_flag_still_works_and_warns(dummy, tmp_path):
    sweep = invoke("sweep", DUMMY_ID, "--grid", "scale=1,2", "--smoke", "--executor", "inline",
                   "--out", str(tmp_path / "s"))
    assert sweep.exit_code == 0, sweep.output
    assert json.loads((tmp_path / "s" / "sweep.json").read_text())["smoke"] is True
    assert "warning: --smoke is now called --quick" in sweep.stderr


def test_every_command_names_the_quick_size_quick(monkeypatch, tmp_path):
    import learnmech.runs.compare as compare
    import learnmech.runs.verify as verify

    for command in ("run", "sweep", "tune", "compare", "verify"):
        text = invoke(command, "--help").stdout
        assert "--quick" in text and "--smoke" not in text, command
    sizes = []
    monkeypatch.setattr(verify, "verify",
                        lambda ids, size, out: sizes.append(size) or ([], tmp_path))
    monkeypatch.setattr(verify, "scorecard_text", lambda scores: "")
    for args in ([], ["--quick"], ["--full"]):
        assert invoke("verify", *args).exit_code == 0
    assert sizes == ["quick", "quick", "full"]
    asked = []
    monkeypatch.setattr(compare, "run_compare", lambda p, quick, out, seed: asked.append(quick))
    invoke("compare", "label-noise", "--quick")
    assert asked == [True]
