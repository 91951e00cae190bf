"""A run directory is atomic as a whole (learnmech.runs.rundir, learnmech.core.atomic).

A run is built in a hidden partial folder beside its target and renamed when complete, so a
kill at any moment -- SIGKILL, SIGTERM or SIGINT -- leaves either no run directory or a complete
one, never a stray ``.tmp``; a partial folder left by SIGKILL is hidden and is removed by the
next run into the same target. An unusable ``--out`` is refused before any work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import DUMMY_ID, DummyConfig

from learnmech.core import registry
from learnmech.core.atomic import atomic_dir, clear_partials, is_partial, partial_dir
from learnmech.core.result import Result
from learnmech.runs import RunDirError, run_experiment

#: A real experiment at a size that runs in a few seconds, through the command line.
FAST = ["neurashed.local-elasticity", "--set", "seeds=1", "--set", "train.steps=200",
        "--set", "world.pool=50", "--set", "world.examples_per_class=4",
        "--set", "train.records=4"]
FAST_FILES = ("config.yaml", "summary.json", "metrics.csv", "notes.md", "report.html",
              "figures/similarity_by_relation.png", "figures/similarity_by_relation.svg",
              "figures/elasticity_ratio.png", "figures/class_matrix_final.png")


def _start(out):
    env = {**os.environ, "LEARNMECH_PROGRESS": "0", "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "learnmech", "run", *FAST, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _assert_absent_or_complete(out):
    """The target holds a complete run (report.html written last) or does not exist."""
    if not out.exists():
        return False
    for name in FAST_FILES:
        assert (out / name).is_file(), f"{out} lacks {name}"
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".") or p.suffix == ".tmp"], files
    last = (out / "report.html").stat().st_mtime_ns
    assert all(p.stat().st_mtime_ns <= last for p in files), "report.html is not the last file"
    return True


def _visible_leftovers(folder):
    """Anything under ``folder`` that is neither a complete run nor a hidden partial folder."""
    stray = []
    for path in folder.rglob("*"):
        inside_partial = any(is_partial(parent) for parent in [path, *path.parents])
        if not inside_partial and (path.suffix == ".tmp" or path.name.endswith(".failed")):
            stray.append(path)
    return stray


def test_kill_at_random_moments_leaves_nothing_or_a_complete_run(tmp_path):
    rng = np.random.default_rng(12)
    started = time.perf_counter()
    first = _start(tmp_path / "complete")
    assert first.wait(timeout=240) == 0, first.stderr.read().decode()
    duration = time.perf_counter() - started
    assert _assert_absent_or_complete(tmp_path / "complete")

    kills = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT] * 2
    target, used = tmp_path / "target-0", 0
    for i, sig in enumerate(kills):
        process = _start(target)
        time.sleep(rng.uniform(0.05, 1.1) * duration)
        process.send_signal(sig)
        process.wait(timeout=120)
        if _assert_absent_or_complete(target):  # finished before the kill: use a fresh target
            used += 1
            target = tmp_path / f"target-{used}"
        assert _visible_leftovers(tmp_path) == [], (i, sig)
        hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
        assert all(is_partial(tmp_path / name) for name in hidden), hidden
    last = _start(target)  # the next run into the same target clears what kills left
    assert last.wait(timeout=240) == 0, last.stderr.read().decode()
    assert _assert_absent_or_complete(target)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{target.name}.")]


@pytest.fixture
def interrupted():
    """An experiment whose run is interrupted (Ctrl-C) in the middle."""
    def run(config):
        raise KeyboardInterrupt

    experiment = registry.Experiment(id="dummy.interrupted", description="interrupted",
                                     config_cls=DummyConfig, run=run)
    registry.register(experiment)
    yield experiment
    registry.unregister(experiment.id)


def test_an_interrupt_leaves_nothing(interrupted, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_experiment("dummy.interrupted", out=tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_partial_folders_of_dead_processes_are_cleared(dummy, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = partial_dir(tmp_path / "run", gone.pid)
    (stale / "run" / "figures").mkdir(parents=True)
    (stale / "run" / "config.yaml").write_text("seed: 0\n")
    alive = partial_dir(tmp_path / "run", os.getppid())  # another live run: kept
    alive.mkdir()
    out = run_experiment(DUMMY_ID, sets=["steps=3"], out=tmp_path / "run")
    assert (out / "report.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", alive.name])
    assert clear_partials(tmp_path / "run") == []  # the live one stays


def test_a_target_filled_meanwhile_keeps_the_run_beside_it(tmp_path):
    target = tmp_path / "run"

    def run(config):
        target.mkdir()
        (target / "someone-else.txt").write_text("x")
        return Result(summary={"a": 1})

    experiment = registry.Experiment(id="dummy.raced", description="raced",
                                     config_cls=DummyConfig, run=run)
    registry.register(experiment)
    try:
        out = run_experiment("dummy.raced", out=target)
    finally:
        registry.unregister(experiment.id)
    assert out == tmp_path / "run-2" and (out / "report.html").is_file()
    assert (target / "someone-else.txt").read_text() == "x"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_atomic_dir_renames_when_done_and_removes_on_error(tmp_path):
    with atomic_dir(tmp_path / "d") as work:
        assert is_partial(work.parent) and work.name == "d"
        (work / "f").write_text("x")
        assert not (tmp_path / "d").exists()
    assert (tmp_path / "d" / "f").read_text() == "x"
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "e") as work:
        (work / "f").write_text("x")
        raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    long_name = "n" * 250  # the partial folder's name is shortened to fit the file system
    with atomic_dir(tmp_path / long_name) as work:
        assert len(work.parent.name) <= 255
    assert (tmp_path / long_name).is_dir()


RAN: list[int] = []


@pytest.fixture
def counted():
    """An experiment that records each run (none may happen after a refusal)."""
    def run(config):
        RAN.append(1)
        return Result(summary={})

    experiment = registry.Experiment(id="dummy.counted", description="counted",
                                     config_cls=DummyConfig, run=run)
    registry.register(experiment)
    RAN.clear()
    yield experiment
    registry.unregister(experiment.id)


def _unwritable(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere chmod allows nothing; /sys refuses mkdir
        return "/sys/learnmech-test/run"
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return locked / "run"


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("under-a-file", "which is a file, not a directory"),
        ("a-file", "exists and is not an empty directory"),
        ("not-empty", "exists and is not an empty directory"),
        ("dangling-link", "is a dangling symbolic link"),
        ("under-a-dangling-link", "lies under a dangling symbolic link"),
        ("name-too-long", "has a name of 300 bytes"),
        ("path-too-long", "is a path of"),
        ("unwritable", "cannot be created"),
        ("root", "must name a directory"),
    ],
)
def test_unusable_out_is_refused_before_any_work(counted, tmp_path, case, match):
    (tmp_path / "file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    out = {
        "under-a-file": tmp_path / "file" / "run",
        "a-file": tmp_path / "file",
        "not-empty": tmp_path / "full",
        "dangling-link": tmp_path / "dangling",
        "under-a-dangling-link": tmp_path / "dangling" / "run",
        "name-too-long": tmp_path / ("a" * 300),
        "path-too-long": tmp_path.joinpath(*["b"] * 2100),
        "unwritable": _unwritable(tmp_path),
        "root": "/",
    }[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RunDirError, match=match):
        run_experiment(counted.id, out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert RAN == []


def test_a_symlink_to_an_empty_directory_stands_for_it(dummy, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    out = run_experiment(DUMMY_ID, sets=["steps=2"], out=tmp_path / "link")
    assert (out / "report.html").is_file() and (tmp_path / "real" / "report.html").is_file()
    assert (tmp_path / "link").is_symlink()
