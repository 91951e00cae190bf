"""The Python front door: ``lm.run``, ``lm.load``, ``lm.sweep``, the results, the lazy lens faces
and the one error family."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import DUMMY_ID
from typer.testing import CliRunner

import learnmech as lm
from learnmech.cli import app
from learnmech.core import registry
from learnmech.core.errors import InputError, LearnmechError, UnavailableError
from learnmech.runs import run_experiment

sys.path.insert(0, str(Path(__file__).resolve().parent / "runs"))
import sweep_toy  # noqa: E402  (the sweep tests' toy experiment)

REAL = "mechanics.double-descent"  # a real experiment (BLAS work), a second at n = 40
PNG = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- the package face


def test_import_is_light_and_a_lens_loads_on_first_use():
    code = ("import sys, learnmech as lm\n"
            "heavy = ('numpy', 'torch', 'pandas', 'scipy', 'matplotlib')\n"
            "print([m for m in heavy if m in sys.modules])\n"
            "lm.theory\n"
            "print('learnmech.theory' in sys.modules, 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True False"]


def test_lens_faces_reach_the_main_functions():
    from learnmech.nets.ntk import NTKMLP
    from learnmech.neurashed.world import load_world
    from learnmech.probes.curvature import top_hessian_eigenvalues
    from learnmech.theory.from_data import learning_curve_from_data
    from learnmech.theory.kernels import fc_kernel

    assert lm.theory.fc_kernel is fc_kernel
    assert lm.theory.learning_curve_from_data is learning_curve_from_data
    assert lm.probes.top_hessian_eigenvalues is top_hessian_eigenvalues
    assert lm.nets.NTKMLP is NTKMLP
    assert lm.neurashed.load_world is load_world
    assert callable(lm.lesde.simulate) and callable(lm.mechanics.all_entries)
    assert lm.runs.run_experiment is run_experiment
    assert {"run", "load", "sweep", "RunResult", "SweepTable", "InputError", "theory",
            "probes", "nets", "neurashed", "lesde", "mechanics"} <= set(dir(lm))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lm.nope  # noqa: B018


def test_every_refusal_class_is_an_input_error():
    """Walk every module: each exception class learnmech defines (warnings aside) joins the one
    family, and every one that refuses input is an InputError (the type the CLI catches)."""
    import learnmech

    for info in pkgutil.walk_packages(learnmech.__path__, "learnmech."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found = {cls for name, module in list(sys.modules.items()) if name.startswith("learnmech")
             for _, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, BaseException) and not issubclass(cls, Warning)
             and cls.__module__.startswith("learnmech")}
    public = {cls for cls in found if not cls.__name__.startswith("_")}
    assert len(public) >= 12, sorted(c.__name__ for c in public)
    outside = [c.__qualname__ for c in public if not issubclass(c, LearnmechError)]
    assert outside == []
    neither = [c.__qualname__ for c in public - {LearnmechError}
               if not issubclass(c, InputError | UnavailableError)]
    assert neither == []
    refusals = {"ConfigError", "UnknownExperimentError", "RunDirError", "SweepError",
                "TuneError", "ExecutorError", "VerifyError", "UnknownPhenomenonError",
                "ReportError", "LoadError"}
    by_name = {c.__name__: c for c in public}
    assert refusals <= set(by_name)
    assert all(issubclass(by_name[name], InputError) for name in refusals)


def test_no_config_key_shadows_a_parameter_of_run():
    parameters = set(inspect.signature(lm.run).parameters) - {"seed", "overrides"}
    for experiment in registry.all_experiments():
        clash = parameters & set(experiment.config_cls.model_fields)
        assert not clash, (experiment.id, clash)


# --------------------------------------------------------------------------- lm.run


def test_run_in_memory_gives_the_numbers_of_a_written_run(tmp_path, monkeypatch, dummy):
    monkeypatch.chdir(tmp_path)
    small = {"n": 40}  # the quick size, smaller still (an override after the quick ones)
    memory = lm.run(REAL, seed=5, quick=True, **small)
    assert memory.run_dir is None and list(tmp_path.iterdir()) == []  # no files
    assert memory.quick and memory.config["size"] == "quick" and memory.config["n"] == 40
    written = lm.run(REAL, seed=5, quick=True, out=tmp_path / "written", **small)
    assert written.run_dir == tmp_path / "written" and written.quick
    assert (written.run_dir / "report.html").is_file()
    assert memory.summary == written.summary
    assert memory.config == written.config and memory.seed == 5
    pd.testing.assert_frame_equal(memory.metrics, written.metrics)
    assert set(memory.figures) == set(written.figures)
    layer = run_experiment(REAL, seed=5, quick=True, overrides=small,
                           out=tmp_path / "layer")  # what `learnmech run --quick` calls
    assert json.loads((layer / "summary.json").read_text()) == memory.summary
    other = lm.run(REAL, seed=6, quick=True, **small)
    assert other.summary != memory.summary  # the seed matters
    assert "Quick size." in memory._repr_html_()
    assert not lm.run(DUMMY_ID, steps=9).quick


def test_the_command_line_writes_what_run_returns(tmp_path, dummy):
    result = CliRunner().invoke(app, ["run", DUMMY_ID, "--seed", "4", "--set", "steps=9",
                                      "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert lm.load(tmp_path / "cli").summary == lm.run(DUMMY_ID, seed=4, steps=9).summary


def test_run_computes_on_one_blas_thread():
    from conftest import DummyConfig, run_dummy
    from threadpoolctl import threadpool_info

    seen = []

    def record(config):
        import numpy  # noqa: F401 - its BLAS is what the run layer limits

        seen.extend(pool["num_threads"] for pool in threadpool_info())
        return run_dummy(config)

    registry.register(registry.Experiment(id="dummy.threads", description="records threads",
                                          config_cls=DummyConfig, run=record))
    try:
        lm.run("dummy.threads")
    finally:
        registry.unregister("dummy.threads")
    assert seen and set(seen) == {1}


def test_overrides_by_mapping_double_underscore_or_dotted_key(dummy):
    nested = lm.run(DUMMY_ID, shape={"width": 4, "kind": "square"})
    assert nested.config["shape"] == {"width": 4, "kind": "square"}
    assert lm.run(DUMMY_ID, shape__width=4, shape__kind="square").summary == nested.summary
    assert lm.run(DUMMY_ID, **{"shape.width": 4, "shape.kind": "square"}).summary \
        == nested.summary
    quick = lm.run(DUMMY_ID, quick=True)
    assert quick.config["steps"] == 12 and quick.config["shape"]["width"] == 4  # the smoke
    assert lm.run(DUMMY_ID, quick=True, steps=5).config["steps"] == 5  # yours win


@pytest.mark.parametrize(("args", "kwargs"), [
    (["run", "dummy.nope"], {"experiment": "dummy.nope"}),
    (["run", DUMMY_ID, "--set", "steps=-1"], {"steps": -1}),
    (["run", DUMMY_ID, "--set", "shape.kind=saw"], {"shape__kind": "saw"}),
    (["run", DUMMY_ID, "--set", "colour=1"], {"colour": 1}),
    (["run", DUMMY_ID, "--seed", "-3"], {"seed": -3}),
])
def test_bad_input_raises_the_error_the_command_line_prints(dummy, args, kwargs):
    kwargs = dict(kwargs)
    experiment = kwargs.pop("experiment", DUMMY_ID)
    with pytest.raises(InputError) as raised:
        lm.run(experiment, **kwargs)
    printed = CliRunner().invoke(app, args)
    assert printed.exit_code == 2
    assert printed.stderr.strip() == "error: " + " ".join(str(raised.value).split())


def test_an_unusable_out_is_refused_before_any_work(dummy, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("a file")
    with pytest.raises(InputError, match="exists and is not an empty directory"):
        lm.run(DUMMY_ID, out=taken)


# --------------------------------------------------------------------------- results


def test_a_result_holds_summary_metrics_figures_verdicts(dummy):
    result = lm.run(DUMMY_ID, seed=2, steps=6)
    assert result.summary["undefined"] is None  # NaN, as summary.json writes it
    assert type(result.summary["steps"]) is int  # numpy scalars as Python numbers
    assert result.verdicts == {"within_band": result.summary["within_band_verdict"],
                               "always_fails": "fails"}
    metrics = result.metrics
    assert isinstance(metrics, pd.DataFrame)
    assert list(metrics.columns) == ["step", "kind", "metric", "value"]
    assert len(metrics) == 12 and set(metrics["metric"]) == {"clean", "noisy"}
    figure = result.figures["signal"]
    assert figure.png.startswith(PNG) and figure._repr_png_() == figure.png
    html = result._repr_html_()
    assert DUMMY_ID in html and "always_fails: fails" in html
    assert html.count('src="data:image/png;base64,') == 1
    assert "seed=2" in repr(result) and "in memory" in repr(result)


def test_load_reads_back_what_run_wrote(dummy, tmp_path):
    written = lm.run(DUMMY_ID, seed=1, out=tmp_path / "run")
    loaded = lm.load(tmp_path / "run")
    assert loaded.experiment == DUMMY_ID and loaded.seed == 1
    assert loaded.summary == written.summary and loaded.config == written.config
    assert loaded.notes.startswith("A noisy waveform.")
    assert loaded.figures["signal"].png == (tmp_path / "run/figures/signal.png").read_bytes()
    assert str(tmp_path / "run") in loaded._repr_html_()


def test_load_refuses_what_is_not_a_run(tmp_path, dummy, failing):
    with pytest.raises(lm.LoadError, match="must be a finished run directory"):
        lm.load(tmp_path)
    with pytest.raises(Exception, match="boom"):
        lm.run("dummy.failing", out=tmp_path / "bad")
    with pytest.raises(InputError, match="must be a finished run directory"):
        lm.load(tmp_path / "bad.failed")


# --------------------------------------------------------------------------- lm.sweep


def test_sweep_returns_the_table_and_every_runs_metrics(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sweep = lm.sweep(sweep_toy.TOY_ID, grid={"x": [0.0, 1.0]}, seeds=[0, 1],
                     fixed={"noise": 0.0, "label": "abc"}, executor="inline")
    assert sweep.out is None and list(tmp_path.iterdir()) == []  # the temporary one removed
    table = sweep.table
    assert list(table.columns[:3]) == ["run", "x", "seed"] and len(table) == 4
    expected = (table["x"] - 0.3) ** 2 + 0.01 * 4 + 0.001 * 3  # noise fixed at 0
    assert (table["loss"] - expected).abs().max() < 1e-12
    assert table.groupby("x")["loss"].mean().to_dict() == pytest.approx(
        {0.0: 0.09 + 0.043, 1.0: 0.49 + 0.043})
    assert list(sweep.metrics.columns) == ["run", "x", "seed", "step", "metric", "value"]
    assert len(sweep.metrics) == 4
    assert sweep.verdicts == {"small": {"holds": 4}}
    kept = lm.sweep(sweep_toy.TOY_ID, grid={"x": [0.0, 1.0]}, seeds=[0, 1],
                    fixed={"noise": 0.0, "label": "abc"}, executor="inline",
                    out=tmp_path / "kept")
    assert kept.out == tmp_path / "kept"
    pd.testing.assert_frame_equal(kept.table, table)
    pd.testing.assert_frame_equal(lm.load(tmp_path / "kept").table, table)
    assert "4 runs" in kept._repr_html_()


def test_sweep_refuses_a_bad_grid_before_any_run(tmp_path):
    with pytest.raises(InputError, match="seed"):
        lm.sweep(sweep_toy.TOY_ID, grid={"x": [0.0]}, seeds="3-1", out=tmp_path / "s")
    with pytest.raises(InputError, match="x"):
        lm.sweep(sweep_toy.TOY_ID, grid={"x": [99.0]}, out=tmp_path / "s")
    with pytest.raises(InputError, match="list of integers"):  # not a TypeError
        lm.sweep(sweep_toy.TOY_ID, grid={"x": [0.0]}, seeds=2, out=tmp_path / "s")
    for values in (0.5, []):
        with pytest.raises(InputError, match=r"grid\['x'\] must be a non-empty list"):
            lm.sweep(sweep_toy.TOY_ID, grid={"x": values}, out=tmp_path / "s")
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- the quickstart


def test_the_quickstart_python_runs(tmp_path, monkeypatch):
    import re

    monkeypatch.chdir(tmp_path)
    text = (Path(__file__).resolve().parents[1] / "docs" / "quickstart.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/quickstart.md", "exec"), namespace)  # noqa: S102
    assert namespace["result"].verdicts == {"gram": "holds"}
    assert len(namespace["sweep"].table) == 4
