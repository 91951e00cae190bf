"""learnmech compare: verdict logic on synthetic summaries, and the command end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from learnmech.experiments.compare import (
    Claim,
    LensRun,
    Phenomenon,
    Series,
    Threshold,
    curves,
    judge,
)
from learnmech.runs import compare
from learnmech.runs.compare import (
    UnknownPhenomenonError,
    known_phenomena,
    load_phenomenon,
    read_metrics,
    run_compare,
)

LABEL_NOISE = load_phenomenon("label-noise")
CLEAN_FIRST = next(c for c in LABEL_NOISE.claims if c.name == "clean_first")
SHRINK = next(c for c in load_phenomenon("forgetting").claims
              if c.name == "shrinkage_speeds_forgetting")


def lens(summary, rows=()):
    return LensRun("x.y", Path("."), dict(summary), list(rows))


def test_every_phenomenon_has_a_module_with_claims_for_the_model_and_the_network():
    assert set(known_phenomena()) >= {"forgetting", "implicit-regularization",
                                      "information-bottleneck", "label-noise",
                                      "local-elasticity", "step-size-and-batch"}
    for name in known_phenomena():
        phenomenon = load_phenomenon(name)
        assert len(phenomenon.claims) >= 2
        assert all({"neurashed", "network"} <= set(c.readings) for c in phenomenon.claims)
        assert list(phenomenon.series)[:2] == ["neurashed", "network"]


def test_agree_when_both_lenses_say_the_same():
    model = lens({"steps_to_fit_clean": 100, "steps_to_fit_noisy": 900})
    network = lens({"steps_to_fit_clean": 50, "steps_to_fit_noisy": None, "total_steps": 500})
    found = judge(CLEAN_FIRST, {"neurashed": model, "network": network})
    assert found.verdict == "agree"
    assert found.readings["neurashed"].says and found.readings["network"].says
    assert found.readings["network"].value == 50 and "never" in found.readings["network"].detail


def test_disagree_when_they_differ():
    model = lens({"steps_to_fit_clean": 100, "steps_to_fit_noisy": 900})
    network = lens({"steps_to_fit_clean": 800, "steps_to_fit_noisy": 300})
    assert judge(CLEAN_FIRST, {"neurashed": model, "network": network}).verdict == "disagree"


def test_undecided_when_a_lens_or_a_number_is_missing():
    model = lens({"steps_to_fit_clean": 100, "steps_to_fit_noisy": 900})
    assert judge(CLEAN_FIRST, {"neurashed": model}).verdict == "undecided"
    assert judge(CLEAN_FIRST, {"neurashed": model, "network": lens({})}).verdict == "undecided"


def test_sign_of_a_trend():
    model = lens({"half_life_slope_vs_gamma": -0.9})
    network = lens({"half_life_slope_vs_weight_decay": 0.1})
    assert judge(SHRINK, {"neurashed": model, "network": network}).verdict == "disagree"
    network = lens({"half_life_slope_vs_weight_decay": -0.2})
    assert judge(SHRINK, {"neurashed": model, "network": network}).verdict == "agree"


def test_a_third_lens_joins_the_verdict():
    claim = Claim("c", "text", {"neurashed": Threshold("a", ">", 0, "a"),
                                "network": Threshold("a", ">", 0, "a"),
                                "lesde": Threshold("b", ">", 0, "b")})
    runs = {"neurashed": lens({"a": 1}), "network": lens({"a": 2})}
    assert judge(claim, runs).verdict == "undecided"
    assert judge(claim, {**runs, "lesde": lens({"b": 1})}).verdict == "agree"
    assert judge(claim, {**runs, "lesde": lens({"b": -1})}).verdict == "disagree"


def test_a_lens_read_must_be_one_compare_runs():
    claim = Claim("c", "text", {"lesde": Threshold("b", ">", 0, "b")})
    with pytest.raises(ValueError, match="lesde"):
        Phenomenon(claims=(claim,), series={})
    assert Phenomenon(claims=(claim,), series={}, lenses=("lesde",)).reads() == ("lesde",)


def test_series_mean_over_kept_rows_against_the_fraction_of_training():
    rows = [{"metric": "acc", "step": s, "width": w, "seed": k, "value": v}
            for s, w, k, v in [(0, 8, 0, 0.0), (5, 8, 0, 0.4), (10, 8, 0, 0.8), (10, 8, 1, 0.6),
                               (10, 4, 0, 0.1)]]
    from learnmech.experiments.compare import Largest

    [(label, frac, values)] = curves(lens({}, rows), [Series("acc", "acc",
                                                             {"width": Largest()})])
    assert label == "acc" and frac.tolist() == [0.5, 1.0]
    assert values.tolist() == [[0.4, 0.7]]


def test_read_metrics_parses_numbers_bools_and_empty_cells(tmp_path):
    (tmp_path / "metrics.csv").write_text("step,flag,name,metric,value\n"
                                          "3,True,,acc,0.5\n10,False,relu,acc,1e-3\n")
    assert read_metrics(tmp_path) == [
        {"step": 3, "flag": True, "name": None, "metric": "acc", "value": 0.5},
        {"step": 10, "flag": False, "name": "relu", "metric": "acc", "value": 0.001}]


def test_unknown_phenomenon_is_refused(tmp_path):
    with pytest.raises(UnknownPhenomenonError, match="phenomenon must be one of forgetting, "):
        run_compare("grokking", out=tmp_path / "c")
    with pytest.raises(UnknownPhenomenonError):
        load_phenomenon("_claims")
    done = subprocess.run([sys.executable, "-m", "learnmech", "compare", "grokking"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: phenomenon must be one of")
    assert not (tmp_path / "c").exists()


def test_compare_cli_end_to_end_quick(tmp_path):
    from typer.testing import CliRunner

    from learnmech.cli import app

    out = tmp_path / "cmp"
    done = CliRunner().invoke(app, ["compare", "label-noise", "--quick", "--out", str(out),
                                    "--seed", "1"])
    assert done.exit_code == 0, done.output
    summary = json.loads((out / "summary.json").read_text())
    for claim in LABEL_NOISE.claims:
        assert summary[f"{claim.name}_verdict"] in ("agree", "disagree", "undecided")
        assert f"{claim.name}_model" in summary and f"{claim.name}_network_value" in summary
    assert summary["lenses_run"] == "network, neurashed"
    assert summary["lenses_missing"] == "theory.label-noise"
    assert (out / "lenses" / "neurashed" / "summary.json").is_file()
    assert (out / "lenses" / "network" / "summary.json").is_file()
    assert (out / "figures" / "lenses_over_training.png").is_file()
    assert "clean_first" in (out / "report.html").read_text()
    assert "Verdict:" in done.output
    config = (out / "config.yaml").read_text()
    assert "experiment: compare.label-noise" in config and "seed: 1" in config
    assert "command: learnmech compare label-noise --quick" in config


def test_missing_lenses_are_named_and_claims_undecided(tmp_path, monkeypatch):
    """A lens a claim reads that is not registered: named in the notes, its claims undecided."""
    claim = Claim("c", "a claim", {"neurashed": Threshold("a", ">", 0, "a"),
                                   "nolens": Threshold("a", ">", 0, "a")})
    fake = Phenomenon(claims=(claim,), series={"nolens": ()},
                      lenses=("neurashed", "nolens", "theory"))
    monkeypatch.setattr(compare, "load_phenomenon", lambda name: fake)
    out = run_compare("forgetting", out=tmp_path / "c", lenses=("nolens", "theory"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["lenses_missing"] == "nolens.forgetting, theory.forgetting"
    assert summary["claims_undecided"] == 1 and summary["c_verdict"] == "undecided"
    assert summary["c_model"] is None and summary["c_nolens"] is None
    notes = (out / "notes.md").read_text()
    assert "Lenses not registered (their claims are undecided): nolens.forgetting." in notes
    assert "model: lens missing." in notes
    assert (out / "report.html").is_file()
