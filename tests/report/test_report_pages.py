"""The report (learnmech.report.html): run, sweep, tune and index pages, in a real browser."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import DUMMY_ID
from typer.testing import CliRunner

from learnmech.cli import app
from learnmech.core import registry
from learnmech.report.html import ReportError, build_report, detect_kind
from learnmech.runs import run_experiment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
import sweep_toy  # noqa: E402  (the sweep tests' toy experiment)
from chromium import check_page, find_browser  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    """A run (the conftest dummy), a sweep and a tune of the toy, built once."""
    from conftest import DUMMY

    from learnmech.runs.executors import InlineExecutor
    from learnmech.runs.sweep import plan_sweep, run_sweep
    from learnmech.runs.tune import plan_tune, run_tune

    root = tmp_path_factory.mktemp("report")
    registry.register(DUMMY)
    try:
        run = run_experiment(DUMMY_ID, out=root / "run", overrides={"steps": 12})
    finally:
        registry.unregister(DUMMY_ID)
    executor = InlineExecutor()  # execution is tested in tests/runs; here only the pages
    sweep = run_sweep(plan_sweep(sweep_toy.TOY_ID, grid=["x=0,1", "label=a,bb"], seeds="0-1",
                                 out=root / "sweep"), executor).out
    tune = run_tune(plan_tune(sweep_toy.TOY_ID, params=["x=-1:1"], metric="loss", trials=4,
                              out=root / "tune"), executor).out
    return {"run": run, "sweep": sweep, "tune": tune, "root": root}


def images(html: str) -> list[str]:
    return re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)


def test_each_kind_is_detected(dirs, tmp_path):
    assert [detect_kind(dirs[k]) for k in ("run", "sweep", "tune")] == ["run", "sweep", "tune"]
    with pytest.raises(ReportError, match="not a run, sweep or tune directory"):
        detect_kind(tmp_path)


def test_sweep_page_has_verdict_counts_intervals_and_figures(dirs):
    html = (dirs["sweep"] / "report.html").read_text()
    assert "8 of 8 runs finished" in html
    assert "holds 2/2" in html  # the toy's verdict, per setting
    assert "x=1, label=bb" in html and "(n=2)" in html
    assert len(images(html)) == 3  # loss, draw, small_agreement; width is constant
    assert "Constant over every run" in html and "width" in html


def test_tune_page_names_the_best_trial(dirs):
    import json

    html = (dirs["tune"] / "report.html").read_text()
    best = json.loads((dirs["tune"] / "tune.json").read_text())["best"]
    assert "Best trial" in html and f"trials/trial-{best['number']:04d}" in html
    assert len(images(html)) == 2


def test_index_page_holds_every_item_inline(dirs):
    out = build_report([dirs["run"], dirs["sweep"], dirs["tune"]])
    assert out == dirs["root"] / "index.html"
    html = out.read_text()
    assert html.count('<section class="item"') == 3
    assert all(f'href="#item-{i}"' in html for i in (1, 2, 3))
    assert "within_band: holds" in html or "within_band: fails" in html
    assert len(images(html)) == 1 + 3 + 2
    assert "@media print" in html  # printable
    assert "<script" not in html and "<link" not in html  # self-contained, no JavaScript


def test_report_command_writes_the_page_and_refuses_bad_dirs(dirs, tmp_path):
    out = tmp_path / "page.html"
    result = runner.invoke(app, ["report", str(dirs["run"]), str(dirs["sweep"]), "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"report: {out}" and out.exists()
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    line, = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "not a run, sweep or tune directory" in line
    result = runner.invoke(app, ["report", str(dirs["run"]), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.stderr  # --out a folder
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(dirs["run"], damaged)
    (damaged / "summary.json").write_text("{not json")
    result = runner.invoke(app, ["report", str(damaged)])
    line, = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and "its files cannot be read (JSONDecodeError" in line


def test_the_index_page_renders_in_headless_chromium(dirs, tmp_path):
    if find_browser() is None:
        pytest.skip("no Chromium found on PATH (CI installs Debian's: apt-get install chromium)")
    page = build_report([dirs["run"], dirs["sweep"], dirs["tune"]], tmp_path / "index.html")
    seen = check_page(page)
    assert seen.errors == []
    assert len(seen.images) == 6
    assert all(done and width > 0 for _, done, width in seen.images), seen.images
    assert seen.title == "3 results — learnmech"
    assert seen.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(seen.screenshot[16:20], "big")
    height = int.from_bytes(seen.screenshot[20:24], "big")
    assert width == 1280 and height > 1500
    (tmp_path / "index.png").write_bytes(seen.screenshot)


def test_the_browser_check_sees_a_broken_image_and_a_console_error(tmp_path):
    if find_browser() is None:
        pytest.skip("no Chromium found on PATH (CI installs Debian's: apt-get install chromium)")
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>t</title></head><body>'
                    '<img alt="bad" src="data:image/png;base64,AAAA">'
                    '<script>console.error("boom")</script></body></html>')
    seen = check_page(page)
    assert seen.images == [("bad", True, 0)]
    assert any("boom" in e for e in seen.errors)


@pytest.mark.parametrize(("value", "css"), [
    ("holds", "holds"), ("fails", "fails"), ("inconclusive", "inconclusive"),
    ("out of regime", "out-of-regime"), ("agree", "holds"), ("disagree", "fails"),
    ("undecided", "undecided"), (None, "undecided")])
def test_each_verdict_has_its_own_colour(value, css):
    from learnmech.report.html import _summary_row

    assert _summary_row("agreement_verdict", value)["css"] == css
    style = (Path(__file__).resolve().parents[2] / "src/learnmech/report/templates/style.html")
    assert f".{css} " in style.read_text()


# --------------------------------------------------------------------------- quick size, references


def test_a_quick_run_carries_a_banner_on_its_page_and_in_the_index(tmp_path):
    import dataclasses

    from conftest import DUMMY

    cited = dataclasses.replace(DUMMY, references=("Author & Author, A paper, Venue 2020",))
    registry.register(cited)
    try:
        quick = run_experiment(DUMMY_ID, out=tmp_path / "quick", quick=True)
        plain = run_experiment(DUMMY_ID, out=tmp_path / "plain", overrides={"steps": 12})
        index = build_report([quick, plain]).read_text()
    finally:
        registry.unregister(DUMMY_ID)
    page = (quick / "report.html").read_text()
    assert 'class="banner quick"' in page and "Quick size." in page
    assert "Author &amp; Author, A paper, Venue 2020" in page  # the references, escaped
    assert "banner quick" not in (plain / "report.html").read_text()
    assert index.count('class="banner quick"') == 1 and index.count("quick size</span>") == 1


def test_what_makes_a_result_quick():
    from learnmech.report.experiment_facts import manifest_is_quick, run_is_quick

    assert run_is_quick({"size": "quick"})  # a catalogue entry at the scorecard's size
    assert not run_is_quick({"size": "full"}) and not run_is_quick({"steps": 3}, False)
    assert run_is_quick({"steps": 3}, True)  # config.yaml's `quick: true`
    assert manifest_is_quick({"smoke": True}) and not manifest_is_quick({"smoke": False})


def test_a_sweep_interval_never_leaves_the_quantitys_range():
    from learnmech.report.html import _interval_text

    assert _interval_text(5.0, 8.0, 3, (0.0, None)) == "5 [0, 13] (n=3)"
    assert _interval_text(5.0, 2.0, 3, (0.0, None)) == "5 ± 2 (n=3)"
    assert _interval_text(0.95, 0.1, 4, (0.0, 1.0)) == "0.95 [0.85, 1] (n=4)"
    assert _interval_text(-5.0, 8.0, 3) == "-5 ± 8 (n=3)"
