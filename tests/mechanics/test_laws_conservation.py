"""``theory.laws.conservation`` against independent computations: conservation laws: the decay
under weight decay against GD."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.conservation import conserved_decay


def test_conserved_decay_matches_gradient_flow_with_weight_decay():
    from learnmech.mechanics.deep_linear import deep_linear_gd, linear_task

    rng = np.random.default_rng(1)
    U, V, syx = linear_task(rng, np.array([1.0, 0.5]), 4, 4)
    W1, W2 = rng.standard_normal((6, 4)), 0.3 * rng.standard_normal((4, 6))
    lam, lr, steps = 0.1, 1e-4, 20_000
    _, V1, V2 = deep_linear_gd(W1, W2, syx, lr=lr, steps=steps, U=U, V=V, wd=lam)
    D0, DT = W2.T @ W2 - W1 @ W1.T, V2.T @ V2 - V1 @ V1.T
    np.testing.assert_allclose(DT, conserved_decay(lr * steps, lam) * D0, atol=2e-3)
