"""``theory.laws.deep_linear`` against independent computations: the deep linear network: the mode
ODE, the balanced start, the plateau slope."""

from __future__ import annotations

import numpy as np
import pytest
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.deep_linear import (
    balanced_mode_strength,
    deep_linear_half_time,
    deep_linear_mode,
    plateau_slope,
)


def test_deep_linear_mode_solves_its_ode():
    from scipy.integrate import solve_ivp

    s, a0 = 1.7, 1e-3
    t = np.linspace(0, 6, 50)
    ode = solve_ivp(lambda _, a: 2 * a * (s - a), (0, 6), [a0], t_eval=t, rtol=1e-10,
                    atol=1e-12)
    np.testing.assert_allclose(deep_linear_mode(t, s, a0), ode.y[0], rtol=1e-6)
    half = deep_linear_half_time(s, a0)
    assert deep_linear_mode(half, s, a0) == pytest.approx(s / 2, rel=1e-12)


def test_balanced_strength_is_exact_for_an_aligned_start_and_matches_small_random_gd():
    from learnmech.mechanics.deep_linear import deep_linear_gd, linear_task

    rng = np.random.default_rng(0)
    s = np.array([2.0, 1.0])
    U, V, syx = linear_task(rng, s, 5, 5)
    q = np.zeros(8)
    q[3] = 1.0
    a0 = 0.01
    W1, W2 = np.sqrt(a0) * np.outer(q, V[:, 0]), np.sqrt(a0) * np.outer(U[:, 0], q)
    assert balanced_mode_strength(W1, W2, U[:, 0], V[:, 0]) == pytest.approx(a0)
    # small random start: in the linear phase a_k(t) ≈ a0_eff e^{2 s_k t}
    W1, W2 = 1e-6 * rng.standard_normal((8, 5)), 1e-6 * rng.standard_normal((5, 8))
    lr, steps = 1e-3, 3000
    strengths, _, _ = deep_linear_gd(W1, W2, syx, lr=lr, steps=steps, U=U, V=V)
    t = lr * steps
    for k in range(2):
        a_eff = balanced_mode_strength(W1, W2, U[:, k], V[:, k])
        growth = (1 + lr * s[k]) ** (2 * steps)  # the discrete e^{2 s t}
        assert strengths[-1, k] / growth == pytest.approx(a_eff, rel=0.05), (k, t)


def test_plateau_slope_is_the_derivative_of_the_half_time():
    s = np.array([0.5, 3.0])
    x1, x2 = 20.0, 21.0  # ln(1/a0)
    slope = (deep_linear_half_time(s, np.exp(-x2))
             - deep_linear_half_time(s, np.exp(-x1))) / (x2 - x1)
    np.testing.assert_allclose(slope, plateau_slope(s), rtol=1e-6)
