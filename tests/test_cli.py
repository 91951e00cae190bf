"""The ``learnmech`` command: exit codes, messages and import lightness (learnmech.cli)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
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
    assert "noise.level" in result.stdout and "must be a float in [0, 1]" in result.stdout
    assert "one of 'sine', 'square', 'flat'" in result.stdout
    assert "= 0.1" in result.stdout and "noise standard deviation" in result.stdout


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
        (["run", DUMMY_ID, "--seed", "abc"], "error: Invalid value for '--seed'"),
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
