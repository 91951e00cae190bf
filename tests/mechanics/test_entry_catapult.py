"""catapult: the bracketing of the two boundaries, and the η_max = 4/λ₀ check in the uv model
with its negative control (the sweep's step sizes computed from a λ₀ measured wrong by 1.5×)."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import catapult as entry
from learnmech.theory.laws.curvature import catapult_max_lr


def test_boundaries_bracket_the_phase_changes():
    ratios = [0.9, 1.1, 1.5, 2.0, 2.5]
    phase = ["lazy", "catapult", "catapult", "catapult", "diverged"]
    lazy_cat, eta_max = entry.boundaries(ratios, phase)
    assert lazy_cat == pytest.approx(np.sqrt(0.9 * 1.1))
    assert eta_max == pytest.approx(np.sqrt(2.0 * 2.5))
    assert entry.boundaries(ratios, ["lazy"] * 5) == (None, None)  # nothing to bracket


def _uv_eta_max(lam_error: float, width: int) -> float | None:
    """η_max/(4/λ₀) of the entry's uv model (at ``width``) whose grid is built on a λ₀
    measured as lam_error × the true one (None: no run diverged)."""
    from learnmech.nets import dataset_from_arrays
    from learnmech.nets.ntk import NTKMLP

    config = entry.CatapultConfig(size="quick", uv_width=width)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((config.n, config.dim))
    X *= np.sqrt(config.dim) / np.linalg.norm(X, axis=1, keepdims=True)
    y = 2 * np.tanh(X @ rng.standard_normal(config.dim) / np.sqrt(config.dim))
    data = dataset_from_arrays(X, y, X, y, name="t")
    net = NTKMLP(config.dim, config.uv_width, 2, activation="linear", sigma_w2=1.0,
                 sigma_b2=0.0, seed=0)
    Xt, yt, _, _ = data.to_torch()
    lam0 = entry._sharpness(net, Xt, yt, 0) * lam_error
    phase = entry._phases(config, net, data, entry.UV_RATIOS, 2.0 / lam0)[0]
    found = entry.boundaries(entry.UV_RATIOS, phase)[1]
    return None if found is None else found / 2.0


def test_a_wrongly_measured_lambda0_fails_the_four_over_lambda0_check():
    """Negative control: the uv-model sweep with λ₀ under-measured by 0.7× (the grid's step
    sizes are then 1/0.7 too large): η_max lands near 0.7 × the claimed 4/λ₀, outside 10 %."""
    assert catapult_max_lr(2.0) == 2.0
    broken = _uv_eta_max(0.7, 2048)
    assert broken is not None and broken < 0.8
    assert not entry.ETA_MAX_TOLERANCE.contains(broken)


@pytest.mark.slow
def test_uv_model_diverges_at_four_over_lambda0():
    """The paper's formula in the paper's model, at the entry's width (8192): within 10 %."""
    assert entry.ETA_MAX_TOLERANCE.contains(_uv_eta_max(1.0, entry.CatapultConfig().uv_width))
