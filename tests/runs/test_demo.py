"""``make demo`` (learnmech.demo): the flagship set as one sweep, then one report."""

from __future__ import annotations

import sweep_toy

from learnmech import demo


def test_demo_sweeps_the_flagship_set_and_prints_the_report(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(demo, "FLAGSHIP", (sweep_toy.TOY_ID,))
    assert demo.main([str(tmp_path), "--seeds", "0-1", "--workers", "1", "--quick"]) == 0
    printed = capsys.readouterr().out
    report = tmp_path / "index.html"
    assert str(report.resolve()) in printed and report.exists()
    assert sorted(p.name for p in (tmp_path / sweep_toy.TOY_ID / "runs").iterdir()) == [
        "seed0", "seed1"]
    assert f"{sweep_toy.TOY_ID}" in printed and "2 runs, ok" in printed


def test_the_flagship_ids_are_registered():
    from learnmech.core.registry import get

    assert all(get(experiment_id) for experiment_id in demo.FLAGSHIP)
