"""The estimators recover α, β from a simulated LE-SDE whose impacts are known.

The simulated runs are the linear LE-SDE ("L" or "I" drift) with SGD sampling noise, logged
exactly as a network is (sampled example's class and logits before each step), 32 runs
pooled. Tolerances, fixed before the tests were first run (seeds 11–14 were not used while
writing the estimators):

* α̂: median relative error <= 5 % over the central 80 % of the run; β̂ (a quarter of α,
  so its integral is four times noisier relative to its size): <= 10 %;
* Â(T) within 3 % of A(T);
* the tail index r̂ from Â within 0.1 of r (power-law impacts).

The starts have modes well above the noise (class separations 0.9, 0.5, 0.1 and a common
offset): each estimator divides by its modes at the reference step (docs/lesde.md says when
that fails).
"""

import numpy as np
import pytest

from learnmech.lesde import (
    class_means_from_log,
    imitation,
    impact_rates,
    initial_features,
    integrated_impacts,
    le_ode,
    power_law,
    simulate,
    tail_index,
    u_vectors,
)
from learnmech.lesde.estimate import judge_imitation

K, N, RUNS, T, WINDOW = 3, 50, 32, 6000, 200


def _logged(alpha, beta, drift, seed):
    rng = np.random.default_rng(seed)
    X0 = initial_features(K, N, RUNS, rng, scale=0.3, separation=[0.9, 0.5, 0.1])
    X0 = X0 + np.array([0.6, -0.3, 0.2])
    path = simulate(alpha, beta, X0, T, rng, drift=drift, log=True, record_at=[])
    return class_means_from_log(path.log_labels, path.log_logits, K, window=WINDOW)


CASES = {
    "constant": (np.full(T, 2e-3), np.full(T, 5e-4), 0.0),
    "power": (power_law(0.02, 0.4, T, 100), power_law(0.005, 0.4, T, 100), 0.4),
}


@pytest.mark.parametrize("drift, case, seed", [("L", "constant", 11), ("L", "power", 12),
                                               ("I", "constant", 13), ("I", "power", 14)])
def test_estimators_recover_the_impacts(drift, case, seed):
    alpha, beta, r = CASES[case]
    steps, Xbar, counts = _logged(alpha, beta, drift, seed)
    assert counts.min() > 1500
    A, B = integrated_impacts(Xbar, drift)
    a_hat, b_hat = impact_rates(A, B, steps)
    inner = slice(len(steps) // 10, len(steps) - len(steps) // 10)
    true_a, true_b = alpha[steps][inner], beta[steps][inner]
    assert np.median(np.abs(a_hat[inner] - true_a) / true_a) <= 0.05
    assert np.median(np.abs(b_hat[inner] - true_b) / true_b) <= 0.10
    A_true = np.cumsum(alpha)[steps - 1] - np.cumsum(alpha)[steps[0] - 1]
    assert A[-1] == pytest.approx(A_true[-1], rel=0.03)
    if r > 0:
        assert abs(tail_index(A, steps) - r) <= 0.1


@pytest.mark.parametrize("r", [0.3, 0.7, 1.0, 1.5])
def test_tail_index_reads_r_across_one(r):
    """Exact integrals of c t^{−r}: r̂ within 0.02, on either side of r = 1."""
    steps = np.arange(1, 20_001)
    A = np.cumsum(0.01 * steps.astype(float) ** (-r))
    assert tail_index(A, steps) == pytest.approx(r, abs=0.02)


def test_estimators_on_the_exact_ode_are_exact():
    """On the noise-free LE-ODE both estimators return A and B to O(rate²) per step."""
    Tn = 3000
    alpha, beta = power_law(0.01, 0.5, Tn), power_law(0.004, 0.5, Tn)
    X0 = 0.5 * np.array([0.9, 0.5, 0.1])[:, None] * u_vectors(K) + np.array([0.6, -0.3, 0.2])
    for model in ("L", "I"):
        path = le_ode(alpha, beta, X0, model)
        A, B = integrated_impacts(path, model)
        A_true = np.concatenate([[0.0], np.cumsum(alpha)])
        B_true = np.concatenate([[0.0], np.cumsum(beta)])
        np.testing.assert_allclose(A, A_true, atol=2e-3 * A_true[-1])
        np.testing.assert_allclose(B, B_true, atol=2e-3 * A_true[-1])


def test_imitation_of_a_linear_le_sde_holds():
    alpha, beta, _ = CASES["power"]
    steps, Xbar, _ = _logged(alpha, beta, "L", 15)
    A, B = integrated_impacts(Xbar, "L")
    a_hat, b_hat = impact_rates(A, B, steps)
    fit = imitation(steps, Xbar, a_hat, b_hat, model="L")
    assert fit.relative_error < 0.1
    assert judge_imitation(fit, noise_floor=0.01)["verdict"] == "holds"


def test_imitation_negative_control_fails():
    """Class means that rotate (class k drifts towards u_{k+1}) are no LE-ODE: verdict fails.

    The rotation keeps s̄ growing (so the estimators run and the case is in regime), but no
    pair (α, β) moves class k towards another class's direction.
    """
    G = 300
    steps = np.arange(G) * 20
    u = u_vectors(K)
    t = np.linspace(0, 1, G)[:, None, None]
    Xbar = (0.3 + 3 * t) * u[None] + 2.5 * t ** 2 * np.roll(u, -1, axis=0)[None] \
        + np.array([0.6, -0.3, 0.2])
    A, B = integrated_impacts(Xbar, "L")
    a_hat, b_hat = impact_rates(A, B, steps)
    fit = imitation(steps, Xbar, a_hat, b_hat, model="L")
    judged = judge_imitation(fit, noise_floor=0.0)
    assert judged["verdict"] == "fails", judged


def test_class_means_from_log_counts_and_shapes():
    labels = np.array([[0, 1, 2, 0, 1, 2, 0, 1]])
    logits = np.arange(24, dtype=float).reshape(1, 8, 3)
    steps, Xbar, counts = class_means_from_log(labels, logits, 3, window=3, grid=[1, 4])
    np.testing.assert_array_equal(counts, [[1, 1, 1], [1, 1, 1]])
    np.testing.assert_allclose(Xbar[0, 0], logits[0, 0])
    np.testing.assert_allclose(Xbar[1, 2], logits[0, 5])
    with pytest.raises(ValueError, match="window must be in"):
        class_means_from_log(labels, logits, 3, window=0)
    with pytest.raises(ValueError, match="labels must lie in"):
        class_means_from_log(labels + 1, logits, 3, window=2)
