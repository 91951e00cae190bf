"""The catalogue's registry (one module per entry, ORDER against the folder), verdict logic,
experiments and the ``verify`` command."""

from __future__ import annotations

import importlib
import json
import math
import pkgutil

import pytest
import yaml
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)
from typer.testing import CliRunner

from learnmech.cli import app
from learnmech.core.registry import get
from learnmech.mechanics import (
    KINDS,
    ORDER,
    VERDICTS,
    Tolerance,
    all_entries,
    catalogue,
    combine,
    decide,
    farthest_from_one,
    get_entry,
    judge,
    layout_problems,
    missing,
    standard_error,
)
from learnmech.runs.verify import VerifyError, scorecard_text, verify
from learnmech.theory.laws.deep_linear import deep_linear_half_time

CHEAP = ["deep-linear-modes", "plateau-scaling"]


def test_entries_follow_the_issue_order_and_are_complete_records():
    found = all_entries()
    assert [e.id for e in found] == list(ORDER)
    assert missing() == []
    for e in found:
        assert e.claim.endswith(".") and "\n" not in e.claim
        assert callable(e.formula) and e.references and e.figure
        assert e.tolerance.lo <= e.tolerance.hi and e.tolerance.text
        assert "size" in e.config_cls.model_fields
        assert get(f"mechanics.{e.id}").config_cls is e.config_cls
        assert e.kind in KINDS
    with pytest.raises(KeyError, match="known entries"):
        get_entry("no-such-entry")


def test_order_and_the_entries_folder_hold_the_same_ids():
    """One module per entry under mechanics/entries/, named after its id, each id in ORDER once:
    the one list to extend when adding an entry."""
    assert layout_problems() == []
    folder = importlib.import_module("learnmech.mechanics.entries").__path__
    files = sorted(info.name for info in pkgutil.iter_modules(folder)
                   if not info.name.startswith("_"))
    assert files == sorted(key.replace("-", "_") for key in ORDER)
    for entry in all_entries():
        module = importlib.import_module(catalogue.module_name_of(entry.id))
        assert module.ENTRY is entry


def test_an_entry_missing_from_order_is_listed_last_and_reported(monkeypatch):
    """Negative control: an ORDER without two ids disables nothing — every entry still runs and
    the two come last — while the layout check names both."""
    import learnmech.mechanics.entries as package

    short = tuple(key for key in ORDER if key not in ("deep-linear-modes", "catapult"))
    monkeypatch.setattr(package, "ORDER", short)
    monkeypatch.setattr(catalogue, "_ENTRIES", None)
    ids = [e.id for e in all_entries()]
    assert ids == [*short, "catapult", "deep-linear-modes"]
    from learnmech.experiments.mechanics import experiments  # what `learnmech list` reads

    assert [e.id for e in experiments()] == [f"mechanics.{key}" for key in ids]
    problems = layout_problems()
    assert len(problems) == 2 and all("is not in ORDER" in line for line in problems)
    monkeypatch.setattr(package, "ORDER", (*ORDER, "no-such-entry"))
    assert layout_problems() == ["ORDER lists 'no-such-entry', which no module defines"]
    monkeypatch.setattr(catalogue, "_ENTRIES", None)
    assert missing() == ["no-such-entry"]


def test_farthest_from_one():
    assert farthest_from_one([1.1, 0.8, 1.2]) == 0.8  # |ln 0.8| > |ln 1.2|
    assert farthest_from_one([[1.0, 2.0], [0.9, 1.5]]) == 2.0
    assert math.isnan(farthest_from_one([1.0, math.nan, 0.5]))
    with pytest.warns(RuntimeWarning):
        assert farthest_from_one([1.0, -2.0, 3.0]) == -2.0  # no logarithm: the farthest


def test_tolerance_and_judge():
    tol = Tolerance(0.8, 1.2, "ratio in [0.8, 1.2]")
    assert tol.contains(0.8) and tol.contains(1.2) and not tol.contains(1.21)
    assert not tol.contains(math.nan) and not tol.contains(None)
    assert judge(tol, 1.0) == "holds"
    assert judge(tol, 1.0, conditions={"order": False}) == "fails"
    assert judge(tol, 1.0, regime="diverged") == "out of regime"
    assert judge(Tolerance(-math.inf, 0.0, "negative"), -3.0) == "holds"
    assert VERDICTS == ("holds", "fails", "inconclusive", "out of regime")


def test_decide_weighs_the_standard_error():
    """holds only when agreement ± 2 SE is inside, fails only when it is wholly outside,
    inconclusive when it straddles a bound (issue 13, item 5)."""
    tol = Tolerance(-0.05, 0.05, "within 5 %")
    assert decide(tol, 0.01, 0.01) == "holds"
    assert decide(tol, 0.03, 0.06) == "inconclusive"  # learning-curve's 4-seed case
    assert decide(tol, 0.04, 0.006) == "inconclusive"  # inside, but 2 SE reach the bound
    assert decide(tol, 0.2, 0.01) == "fails" and decide(tol, -0.2, 0.01) == "fails"
    assert decide(tol, 0.06, 0.004) == "fails"
    assert decide(tol, 0.04) == "holds" and decide(tol, 0.06, 0.0) == "fails"  # no SE: point
    assert decide(tol, None, 0.01) == "fails" and decide(tol, math.nan) == "fails"
    assert decide(tol, 0.0, math.inf) == "inconclusive"
    one_sided = Tolerance(3.0, math.inf, "≥ 3")
    assert decide(one_sided, 10.0, 3.0) == "holds" and decide(one_sided, 4.0, 1.0) \
        == "inconclusive"
    assert judge(tol, 0.01, stderr=0.05) == "inconclusive"
    assert judge(tol, 0.01, stderr=0.001, conditions={"c": "inconclusive"}) == "inconclusive"
    assert judge(tol, 0.01, stderr=0.05, conditions={"c": False}) == "fails"


def test_combine_and_standard_error():
    assert combine("holds", True) == "holds"
    assert combine("holds", "inconclusive") == "inconclusive"
    assert combine("inconclusive", "fails") == "fails"
    assert combine("holds", "out of regime") == "holds"  # parts out of regime are not judged
    assert combine("out of regime", "out of regime") == "out of regime"
    with pytest.raises(ValueError, match="unknown verdicts"):
        combine("maybe")
    assert standard_error([1.0, 3.0]) == pytest.approx(1.0)
    assert math.isnan(standard_error([1.0]))
    assert standard_error([[1.0, 3.0], [2.0, 2.0]], axis=1) == pytest.approx([1.0, 0.0])


def test_every_entry_has_a_negative_control_in_its_tests():
    """Issue 13: each entry's tests hold a negative control (a broken measurement the check must
    judge fails). The test modules under tests/mechanics that import an entry's module must,
    between them, say "Negative control" — a check that cannot fail is a defect."""
    from pathlib import Path

    texts = [p.read_text(encoding="utf-8")
             for p in Path(__file__).parent.glob("test_entry_*.py")]
    for entry in all_entries():
        module = entry.id.replace("-", "_")
        found = [t for t in texts if f"entries import {module} as" in t
                 or f"entries.{module} import" in t or f"entries import {module}\n" in t]
        assert found, f"no test module imports the entry {entry.id}"
        assert any("Negative control" in t for t in found), entry.id


def test_sharpness_reparametrisation_is_a_consistency_check_in_the_scorecard(tmp_path):
    from learnmech.runs.verify import Score

    scores = [Score("a", "c", 1.0, "t", "holds", 1.0, tmp_path, stderr=0.1),
              Score("b", "c", 2.0, "t", "inconclusive", 1.0, tmp_path),
              Score("s", "c", 1.0, "t", "holds", 1.0, tmp_path, kind="consistency check")]
    text = scorecard_text(scores)
    assert "1 ± 0.1" in text and "s [check]" in text
    assert text.splitlines()[-1].startswith(
        "3 entries: 2 predictions: 1 holds, 0 fails, 1 inconclusive, 0 out of regime, 0 error; "
        "1 consistency check(s): 1 holds;")
    assert get_entry("sharpness-reparametrisation").kind == "consistency check"
    assert sum(e.kind == "consistency check" for e in all_entries()) == 1


def test_a_failing_measurement_is_judged_fails_not_hidden():
    """The deep-linear entry with the prediction deliberately off by 2x must fail: the verdict
    reads the measurement, it is not hard-wired."""
    entry = get_entry("deep-linear-modes")
    config = entry.config_cls(size="quick")
    result = entry.run(config)
    assert result.summary["verdict"] == "holds"
    ratio = result.summary["agreement"]
    assert judge(entry.tolerance, 2 * ratio) == "fails"
    half = deep_linear_half_time(3.0, 1e-5)
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
    assert all(s.verdict in VERDICTS for s in scores)
    for s in scores:
        summary = json.loads((out / s.id / "summary.json").read_text())
        assert summary["verdict"] == s.verdict and summary["tolerance"] == s.tolerance
        assert summary["agreement"] == pytest.approx(s.agreement)
    html = (out / "scorecard.html").read_text()
    assert "deep-linear-modes" in html and "data:image/png;base64," in html
    assert "Saxe, McClelland &amp; Ganguli" in html  # references in the scorecard
    notes = (out / "deep-linear-modes" / "notes.md").read_text()
    assert "References: Saxe, McClelland & Ganguli" in notes  # and in the run's report
    summary = json.loads((out / "deep-linear-modes" / "summary.json").read_text())
    assert summary["kind"] == "prediction" and "Saxe" in summary["references"]
    text = scorecard_text(scores)
    assert "plateau-scaling" in text and "2 entries" in text
    assert (out / "scorecard.csv").read_text().startswith("entry,agreement,stderr")
    with pytest.raises(VerifyError, match="not an empty directory"):
        verify(CHEAP, out=out, progress=False)
    with pytest.raises(VerifyError, match="unknown entries nope"):
        verify(["nope"], out=tmp_path / "w", progress=False)
    # `learnmech run mechanics.X --quick` is the scorecard's size: the same config and numbers
    from learnmech.runs.rundir import run_experiment

    assert get("mechanics.deep-linear-modes").quick_overrides == {"size": "quick"}
    alone = run_experiment("mechanics.deep-linear-modes", quick=True, out=tmp_path / "run")
    for name in ("summary.json", "metrics.csv"):
        assert (alone / name).read_text() == (out / "deep-linear-modes" / name).read_text()
    recorded = yaml.safe_load((alone / "config.yaml").read_text())
    assert recorded["quick"] is True and recorded["size"] == "quick"
    assert recorded == yaml.safe_load((out / "deep-linear-modes" / "config.yaml").read_text()) | {
        key: recorded[key] for key in ("timestamp", "command")}


def test_cli_verify(tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["verify", "--only", "plateau-scaling", "--out",
                               str(tmp_path / "cli")])
    assert done.exit_code == 0, done.output
    assert "plateau-scaling" in done.stdout and "scorecard:" in done.stdout
    bad = runner.invoke(app, ["verify", "--only", "plateau-scaling,bogus", "--out",
                              str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "error: --only: unknown entries bogus" in bad.stderr
