"""The tutorials in examples/ run top to bottom (nbclient), committed without outputs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
#: Seconds a notebook may take at its small size, kernel start included (2 shared cores).
BUDGET = 120
#: The kernel the notebooks run on in the test (see :func:`_kernel_spec`).
KERNEL = "learnmech-tests"


def test_there_are_four_tutorials():
    names = [path.stem for path in NOTEBOOKS]
    assert len(names) == 4, names
    for topic in ("kernels", "probes", "neurashed", "sweep"):
        assert any(topic in name for name in names), (topic, names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code
    assert all(not cell["outputs"] and cell["execution_count"] is None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(_kernel_spec(tmp_path / "jupyter")))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=BUDGET, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(tmp_path)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any exception
    seconds = time.perf_counter() - started
    errors = [output for cell in notebook.cells for output in cell.get("outputs", ())
              if output.get("output_type") == "error"]
    assert not errors
    assert seconds < BUDGET, f"{path.name} took {seconds:.0f} s"


def _kernel_spec(folder: Path) -> Path:
    """A Jupyter data folder holding the kernel spec :data:`KERNEL`: an IPython kernel on this
    interpreter (the venv's), whatever other kernel specs the machine has."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "learnmech tests", "language": "python"}))
    return folder
