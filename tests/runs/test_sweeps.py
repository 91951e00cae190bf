"""Sweeps (learnmech.runs.sweep): parsing, executors agree, resume after SIGKILL, failures, CLI."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sweep_toy
from conftest import FAILING_ID
from typer.testing import CliRunner

from learnmech.cli import app
from learnmech.plots.intervals import mean_interval
from learnmech.runs.executors import DaskExecutor, InlineExecutor, LocalExecutor, make_executor
from learnmech.runs.sweep import (
    SweepError,
    is_finished,
    parse_grid,
    parse_seeds,
    plan_sweep,
    run_name,
    run_sweep,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- parsing


def test_parse_grid_reads_yaml_values_and_keeps_bracketed_commas():
    grid = parse_grid(["x=0,0.5,1", "label=a,bb", "sizes=[1,2],[3,4]"])
    assert grid == {"x": (0, 0.5, 1), "label": ("a", "bb"), "sizes": ([1, 2], [3, 4])}


@pytest.mark.parametrize("item, words", [
    ("x", "key=value1,value2"), ("=1,2", "key=value1,value2"), ("x=", "key=value1,value2"),
    ("x=1,,2", "empty value"), ("x=1,1", "repeated"), ("seed=1,2", "--seeds"),
])
def test_parse_grid_refuses_malformed_items(item, words):
    with pytest.raises(SweepError, match=words):
        parse_grid([item])


def test_parse_seeds_ranges_and_lists():
    assert parse_seeds("0-3") == (0, 1, 2, 3)
    assert parse_seeds("0-2,7") == (0, 1, 2, 7)
    assert parse_seeds("5") == (5,)
    for bad in ("", "3-1", "a", "-1", "0,0", "1-2-3"):
        with pytest.raises(SweepError):
            parse_seeds(bad)


def test_mean_interval_is_the_student_t_interval():
    mean, half, n = mean_interval([1.0, 2.0, 3.0, None, float("nan")])
    # t_{0.975, 2} = 4.302653; s = 1; sqrt(3)
    assert (mean, n) == (2.0, 3) and half == pytest.approx(4.302653 / 3 ** 0.5, rel=1e-6)
    assert mean_interval([4.0])[1] != mean_interval([4.0])[1]  # NaN half-width for one seed


def test_run_names_are_unique_and_safe():
    names = {run_name({"a": v}, 0) for v in ("x/y", "x_y", "x?y")}
    assert len(names) == 3 and all("/" not in n and "?" not in n for n in names)
    assert run_name({}, 3) == "seed3"


def test_plan_refuses_bad_values_before_any_work(tmp_path):
    from learnmech.core.config import ConfigError

    with pytest.raises(ConfigError, match="width"):
        plan_sweep(sweep_toy.TOY_ID, grid=["width=4,100"], out=tmp_path / "s")
    with pytest.raises(SweepError, match="both fixed"):
        plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1"], sets=["x=2"], out=tmp_path / "s")
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- execution


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """2 settings x 5 seeds on two local worker processes."""
    plan = plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1.5"], seeds="0-4",
                      out=tmp_path_factory.mktemp("local") / "sweep")
    with LocalExecutor(2) as executor:
        result = run_sweep(plan, executor)
    return plan, result


def test_sweep_writes_one_finished_run_per_setting_and_seed(local_sweep):
    plan, result = local_sweep
    assert (result.finished, result.skipped, result.failed) == (10, 0, [])
    rows = read_csv(plan.out / "sweep.csv")
    assert [r["run"] for r in rows] == [name for _, _, name in plan.runs()]
    assert {(r["x"], r["seed"]) for r in rows} == {(x, str(s)) for x in ("0", "1.5")
                                                   for s in range(5)}
    for row in rows:  # the sweep is the union of its runs
        summary = json.loads((plan.out / "runs" / row["run"] / "summary.json").read_text())
        assert float(row["loss"]) == summary["loss"]
    assert sorted(p.name for p in (plan.out / "figures").glob("*.png")) == [
        "draw.png", "loss.png", "small_agreement.png"]  # width is constant: no figure
    assert (plan.out / "report.html").exists()


def test_dask_local_cluster_gives_identical_sweep_csv(local_sweep, tmp_path):
    plan, _ = local_sweep
    dask_plan = plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1.5"], seeds="0-4",
                           out=tmp_path / "sweep")
    with DaskExecutor(workers=2, processes=False) as executor:
        result = run_sweep(dask_plan, executor)
    assert result.finished == 10
    local = (plan.out / "sweep.csv").read_text()
    assert (dask_plan.out / "sweep.csv").read_text() == local
    assert len(read_csv(plan.out / "sweep.csv")) == 10


@pytest.mark.slow
def test_dask_worker_processes_give_identical_sweep_csv(local_sweep, tmp_path):
    """As above with worker processes: the toy travels by reference and is imported there."""
    plan, _ = local_sweep
    dask_plan = plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1.5"], seeds="0-4",
                           out=tmp_path / "sweep")
    with DaskExecutor(workers=2, processes=True) as executor:
        run_sweep(dask_plan, executor)
    assert (dask_plan.out / "sweep.csv").read_text() == (plan.out / "sweep.csv").read_text()


def test_rerun_skips_finished_runs(local_sweep):
    plan, _ = local_sweep
    before = {p.name: (p / "config.yaml").read_text() for p in (plan.out / "runs").iterdir()}
    again = run_sweep(plan, InlineExecutor())
    assert (again.finished, again.skipped) == (0, 10)
    after = {p.name: (p / "config.yaml").read_text() for p in (plan.out / "runs").iterdir()}
    assert after == before


def test_sigkill_midway_then_resume_gives_every_run_exactly_once(tmp_path):
    out = tmp_path / "sweep"
    driver = ("import sys; sys.path[:0] = [{!r}, {!r}]; import sweep_toy; "
              "from learnmech.cli import main; sys.argv[0] = 'learnmech'; main()").format(
        str(HERE), str(ROOT / "tests"))
    args = [sys.executable, "-c", driver, "sweep", sweep_toy.TOY_ID, "--grid", "x=0,1",
            "--seeds", "0-3", "--set", "sleep=0.3", "--workers", "2", "--out", str(out)]
    env = {**os.environ, "LEARNMECH_PROGRESS": "0"}
    process = subprocess.Popen(args, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    runs = out / "runs"
    while time.monotonic() < deadline:
        done = [p for p in runs.glob("*") if is_finished(p)] if runs.exists() else []
        partial = list(runs.glob(".*.partial-*")) if runs.exists() else []
        if len(done) >= 2 and partial:
            break
        if process.poll() is not None:
            pytest.fail(f"the sweep ended before it could be killed: {process.stderr.read()}")
        time.sleep(0.05)
    else:
        pytest.fail("the sweep did not start in 60 s")
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker processes
    process.wait()
    process.stderr.close()

    visible = [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert visible and all(is_finished(p) for p in visible)  # nothing half-done looks done
    assert not (out / "sweep.csv").exists()
    kept = {p.name: (p / "config.yaml").read_text() for p in visible}
    assert 2 <= len(kept) < 8

    plan = plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1"], seeds="0-3", sets=["sleep=0.3"],
                      out=out)
    missing = next(n for _, _, n in plan.runs() if n not in kept)
    (runs / missing).mkdir()  # a stray unfinished directory under a run's name is redone
    (runs / missing / "config.yaml").write_text("stray: true\n")
    result = run_sweep(plan, InlineExecutor())  # resuming does not depend on the executor
    assert (result.skipped, result.finished, result.failed) == (len(kept), 8 - len(kept), [])
    assert sorted(p.name for p in runs.iterdir()) == sorted(n for _, _, n in plan.runs())
    assert all((runs / name / "config.yaml").read_text() == text for name, text in kept.items())
    assert is_finished(runs / missing)
    rows = read_csv(out / "sweep.csv")
    assert sorted(r["run"] for r in rows) == sorted(n for _, _, n in plan.runs())


def test_failed_runs_are_kept_aside_and_retried(failing, tmp_path):
    plan = plan_sweep(FAILING_ID, seeds="0-1", out=tmp_path / "sweep")
    with InlineExecutor() as executor:
        result = run_sweep(plan, executor)
        assert len(result.failed) == 2 and "boom in the middle" in result.failed[0].error
        assert sorted(p.name for p in (plan.out / "runs").iterdir()) == [
            "seed0.failed", "seed1.failed"]
        assert "RuntimeError" in (plan.out / "runs" / "seed0.failed" / "error.txt").read_text()
        again = run_sweep(plan, executor)
    assert len(again.failed) == 2 and again.skipped == 0
    assert (plan.out / "sweep.csv").read_text().strip() == "run,seed"


def test_a_directory_holding_another_sweep_is_refused(local_sweep):
    plan, _ = local_sweep
    other = plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1.5"], seeds="0-4", sets=["noise=0.5"],
                       out=plan.out)
    with pytest.raises(SweepError, match="other fixed settings"):
        run_sweep(other, make_executor("inline"))


# --------------------------------------------------------------------------- the command


runner = CliRunner()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("args, words", [
    (["nope.experiment"], "unknown experiment 'nope.experiment'"),
    ([sweep_toy.TOY_ID, "--grid", "x"], "--grid must be written key=value1,value2"),
    ([sweep_toy.TOY_ID, "--grid", "nokey=1,2"], "nokey is not a key of this experiment"),
    ([sweep_toy.TOY_ID, "--grid", "x=0,99"], "x must be a float in [-5, 5]; got 99"),
    ([sweep_toy.TOY_ID, "--seeds", "3-1"], "runs backwards"),
    ([sweep_toy.TOY_ID, "--executor", "mpi"], "--executor must be one of 'local', 'dask', "),
    ([sweep_toy.TOY_ID, "--workers", "0"], "--workers must be an integer >= 1"),
    ([sweep_toy.TOY_ID, "--address", "tcp://127.0.0.1:1"], "--address is for the dask"),
    ([sweep_toy.TOY_ID, "--executor", "dask", "--address", "tcp://127.0.0.1:{port}"],
     "cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}'"),
    ([sweep_toy.TOY_ID, "--executor", "dask", "--address", "tcp://"], "--address must look"),
])
def test_bad_input_is_one_line_and_exit_2(args, words, tmp_path):
    port = closed_port()
    args = [a.format(port=port) for a in args]
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert words.format(port=port) in lines[0]
    assert not out.exists()


@pytest.mark.slow
def test_ray_local_instance_gives_identical_sweep_csv(tmp_path):
    """Ray is an optional extra (not in dev): runs where `pip install 'learnmech[ray]'` was done.
    A registered experiment (Ray workers do not see the tests' toy module)."""
    pytest.importorskip("ray")
    from learnmech.runs.executors import LocalExecutor, make_executor

    def sweep(executor, name):
        plan = plan_sweep("theory.kernel-spectrum", grid=["d=5,6"], seeds="0-1", smoke=True,
                          out=tmp_path / name)
        with executor:
            run_sweep(plan, executor)
        return (plan.out / "sweep.csv").read_text()

    assert sweep(make_executor("ray", workers=2), "ray") == sweep(LocalExecutor(2), "local")


def test_ray_executor_names_the_extra_when_ray_is_missing(tmp_path):
    try:
        import ray  # noqa: F401
    except ImportError:
        result = runner.invoke(app, ["sweep", sweep_toy.TOY_ID, "--executor", "ray",
                                     "--out", str(tmp_path / "s")])
        assert result.exit_code == 2
        assert "pip install 'learnmech[ray]'" in result.stderr
    else:
        pytest.skip("ray is installed here; the missing-extra message is not reachable")


def test_sweep_command_prints_where_things_are(tmp_path):
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", sweep_toy.TOY_ID, "--grid", "label=a,bb", "--seeds",
                                 "0-1", "--smoke", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"sweep directory: {out}" in result.stdout
    assert "runs finished now: 4; already finished: 0; failed: 0" in result.stdout
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["smoke"] is True and manifest["command"].startswith("learnmech ")
    config = (out / "runs" / "label=a__seed1" / "config.yaml").read_text()
    assert "noise: 0.05" in config and "seed: 1" in config  # smoke override and the seed


def test_a_grid_too_large_is_refused_from_its_counts_alone():
    from learnmech.runs.sweep import SweepError, plan_sweep
    from learnmech.runs.sweep.plan import MAX_RUNS

    grid = {f"k{i}": list(range(10)) for i in range(9)}  # 10^9 settings: never built
    with pytest.raises(SweepError, match=f"at most {MAX_RUNS}"):
        plan_sweep(sweep_toy.TOY_ID, grid=grid, seeds="0-1")
