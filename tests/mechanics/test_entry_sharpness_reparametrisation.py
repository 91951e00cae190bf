"""sharpness-reparametrisation: a consistency check (an identity of ReLU homogeneity), with its
negative controls — a "rescaling" that forgets to divide W₂, and sharpness read off the
un-rescaled network."""

from __future__ import annotations

from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import sharpness_reparametrisation as entry


def _run(**overrides):
    return entry.run_reparametrisation(entry.ReparametrisationConfig(
        size="quick", steps=20, n_train=100, **overrides)).summary


def test_is_a_consistency_check_and_holds():
    assert entry.ENTRY.kind == "consistency check"
    s = _run()
    assert s["verdict"] == "holds" and s["kind"] == "consistency check"


def test_a_rescaling_that_changes_the_function_fails(monkeypatch):
    """Negative control: W₁ → cW₁ without W₂ → W₂/c changes the function (test loss moves)."""
    original = entry._rescaled

    def broken(model, c):
        out = original(model, c)
        out[2].weight.data.mul_(c)  # undo the division: W₂ unchanged
        return out

    monkeypatch.setattr(entry, "_rescaled", broken)
    s = _run()
    assert s["same_test_loss_verdict"] == "fails" and s["verdict"] == "fails"


def test_sharpness_of_the_unrescaled_net_fails(monkeypatch):
    """Negative control: measuring the original network at every c (frozen: slope 0)."""
    monkeypatch.setattr(entry, "_rescaled", lambda model, c: model)
    s = _run()
    assert abs(s["slope_large_c"]) < 0.1 and s["verdict"] == "fails"
