"""The catalogue's registry, verdict logic, experiments and the ``verify`` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from learnmech.cli import app
from learnmech.core.registry import get
from learnmech.mechanics import (
    ORDER,
    Tolerance,
    entries,
    get_entry,
    judge,
    missing,
    scorecard_text,
    verify,
)
from learnmech.mechanics.runner import VerifyError
from learnmech.theory import dynamics

CHEAP = ["deep-linear-modes", "plateau-scaling"]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """One BLAS thread: small matrices, a shared machine (many threads thrash)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def test_entries_follow_the_issue_order_and_are_complete_records():
    found = entries()
    assert [e.id for e in found] == list(ORDER)
    assert len(found) == 24 and missing() == []
    for e in found:
        assert e.claim.endswith(".") and "\n" not in e.claim
        assert callable(e.formula) and e.references and e.figure
        assert e.tolerance.lo <= e.tolerance.hi and e.tolerance.text
        assert "size" in e.config_cls.model_fields
        assert get(f"mechanics.{e.id}").config_cls is e.config_cls
    with pytest.raises(KeyError, match="known entries"):
        get_entry("no-such-entry")


def test_tolerance_and_judge():
    tol = Tolerance(0.8, 1.2, "ratio in [0.8, 1.2]")
    assert tol.contains(0.8) and tol.contains(1.2) and not tol.contains(1.21)
    assert not tol.contains(math.nan) and not tol.contains(None)
    assert judge(tol, 1.0) == "holds"
    assert judge(tol, 1.0, conditions={"order": False}) == "fails"
    assert judge(tol, 1.0, regime="diverged") == "out of regime"
    assert judge(Tolerance(-math.inf, 0.0, "negative"), -3.0) == "holds"


def test_a_failing_measurement_is_judged_fails_not_hidden():
    """The deep-linear entry with the prediction deliberately off by 2x must fail: the verdict
    reads the measurement, it is not hard-wired."""
    entry = get_entry("deep-linear-modes")
    config = entry.config_cls(size="quick")
    result = entry.run(config)
    assert result.summary["verdict"] == "holds"
    ratio = result.summary["agreement"]
    assert judge(entry.tolerance, 2 * ratio) == "fails"
    half = dynamics.deep_linear_half_time(3.0, 1e-5)
    assert judge(entry.tolerance, (2 * half) / half) == "fails"


def test_size_is_validated_with_the_house_message():
    from learnmech.core.config import ConfigError, resolve_config

    entry = get_entry("plateau-scaling")
    with pytest.raises(ConfigError, match="size must be one of 'quick', 'full'"):
        resolve_config("mechanics.plateau-scaling", entry.config_cls, overrides={"size": "huge"})
    with pytest.raises(ConfigError, match="singular_values"):
        resolve_config("mechanics.plateau-scaling", entry.config_cls,
                       overrides={"singular_values": [1.0, -2.0]})


def test_verify_runs_entries_and_writes_the_scorecard(tmp_path):
    scores, out = verify(CHEAP, out=tmp_path / "v", progress=False)
    assert [s.id for s in scores] == CHEAP
    assert all(s.verdict in ("holds", "fails", "out of regime") for s in scores)
    for s in scores:
        summary = json.loads((out / s.id / "summary.json").read_text())
        assert summary["verdict"] == s.verdict and summary["tolerance"] == s.tolerance
        assert summary["agreement"] == pytest.approx(s.agreement)
    html = (out / "scorecard.html").read_text()
    assert "deep-linear-modes" in html and "data:image/png;base64," in html
    text = scorecard_text(scores)
    assert "plateau-scaling" in text and "2 entries" in text
    assert (out / "scorecard.csv").read_text().startswith("entry,agreement")
    with pytest.raises(VerifyError, match="not an empty directory"):
        verify(CHEAP, out=out, progress=False)
    with pytest.raises(VerifyError, match="unknown entries nope"):
        verify(["nope"], out=tmp_path / "w", progress=False)


def test_cli_verify(tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["verify", "--only", "plateau-scaling", "--out",
                               str(tmp_path / "cli")])
    assert done.exit_code == 0, done.output
    assert "plateau-scaling" in done.stdout and "scorecard:" in done.stdout
    bad = runner.invoke(app, ["verify", "--only", "plateau-scaling,bogus", "--out",
                              str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "error: --only: unknown entries bogus" in bad.stderr


def test_rescaled_sharpness_bounds_the_block_matrix():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 7))
    H = A @ A.T
    h11 = np.linalg.eigvalsh(H[:3, :3])[-1]
    h22 = np.linalg.eigvalsh(H[3:, 3:])[-1]
    for c in (0.01, 0.3, 1.0, 5.0, 100.0):
        S = np.diag([c ** -1] * 3 + [c] * 4)  # the Hessian of the rescaled net: S H S
        top = np.linalg.eigvalsh(S @ H @ S)[-1]
        bound = dynamics.rescaled_sharpness(c, h11, h22)
        assert top >= bound - 1e-9
        if c in (0.01, 100.0):
            assert top == pytest.approx(bound, rel=1e-3)
