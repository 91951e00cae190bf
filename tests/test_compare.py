"""learnmech compare: verdict logic on synthetic summaries, and the command end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from learnmech.runs.compare import CLAIMS, PHENOMENA, LensRun, judge, run_compare

CLEAN_FIRST = next(c for c in CLAIMS["label-noise"] if c.name == "clean_first")
SHRINK = next(c for c in CLAIMS["forgetting"] if c.name == "shrinkage_speeds_forgetting")


def lens(summary, rows=()):
    return LensRun("x.y", Path("."), dict(summary), list(rows))


def test_every_phenomenon_has_claims():
    assert set(CLAIMS) == set(PHENOMENA)
    assert all(len(CLAIMS[p]) >= 2 for p in PHENOMENA)


def test_agree_when_both_lenses_say_the_same():
    model = lens({"steps_to_fit_clean": 100, "steps_to_fit_noisy": 900})
    network = lens({"steps_to_fit_clean": 50, "steps_to_fit_noisy": None, "total_steps": 500})
    found = judge(CLEAN_FIRST, model, network)
    assert found["verdict"] == "agree"
    assert found["model"].says and found["network"].says
    assert found["network"].value == 50 and "never" in found["network"].detail


def test_disagree_when_they_differ():
    model = lens({"steps_to_fit_clean": 100, "steps_to_fit_noisy": 900})
    network = lens({"steps_to_fit_clean": 800, "steps_to_fit_noisy": 300})
    assert judge(CLEAN_FIRST, model, network)["verdict"] == "disagree"


def test_undecided_when_a_lens_or_a_number_is_missing():
    model = lens({"steps_to_fit_clean": 100, "steps_to_fit_noisy": 900})
    assert judge(CLEAN_FIRST, model, None)["verdict"] == "undecided"
    assert judge(CLEAN_FIRST, model, lens({}))["verdict"] == "undecided"


def test_sign_of_a_trend():
    model = lens({"half_life_slope_vs_gamma": -0.9})
    assert judge(SHRINK, model, lens({"half_life_slope_vs_weight_decay": 0.1}))[
        "verdict"] == "disagree"
    assert judge(SHRINK, model, lens({"half_life_slope_vs_weight_decay": -0.2}))[
        "verdict"] == "agree"


def test_unknown_phenomenon_is_refused(tmp_path):
    with pytest.raises(ValueError, match="phenomenon must be one of"):
        run_compare("grokking", out=tmp_path / "c")
    done = subprocess.run([sys.executable, "-m", "learnmech", "compare", "grokking"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: phenomenon must be one of")


def test_compare_cli_end_to_end_quick(tmp_path):
    from typer.testing import CliRunner

    from learnmech.cli import app

    out = tmp_path / "cmp"
    done = CliRunner().invoke(app, ["compare", "label-noise", "--quick", "--out", str(out),
                                    "--seed", "1"])
    assert done.exit_code == 0, done.output
    summary = json.loads((out / "summary.json").read_text())
    for claim in CLAIMS["label-noise"]:
        assert summary[f"{claim.name}_verdict"] in ("agree", "disagree", "undecided")
    assert summary["lenses_run"] == "network, neurashed"
    assert (out / "lenses" / "neurashed" / "summary.json").is_file()
    assert (out / "lenses" / "network" / "summary.json").is_file()
    assert (out / "figures" / "lenses_over_training.png").is_file()
    assert "clean_first" in (out / "report.html").read_text()
    assert "Verdict:" in done.output


def test_missing_lenses_are_named_and_claims_undecided(tmp_path):
    out = run_compare("forgetting", lenses=("nolens",), out=tmp_path / "c")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["lenses_missing"] == "nolens.forgetting"
    assert summary["claims_undecided"] == len(CLAIMS["forgetting"])
    assert "Lenses not registered (their claims are undecided): nolens.forgetting" in (
        out / "notes.md").read_text()
    assert (out / "report.html").is_file()
