"""signal-propagation: per-layer q and c decided with their standard errors; negative control:
networks drawn with σ_w² 15 % off the value the maps are computed for."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import signal_propagation as entry
from learnmech.theory.laws.signal_propagation import signal_propagation


def _judge(measured_sw2, predicted_sw2=1.2, nets=128, depth=6):
    rng = np.random.default_rng(0)
    d = 50
    u = rng.standard_normal((2, d))
    x = np.sqrt(d) * np.stack([u[0] / np.linalg.norm(u[0]),
                               entry._orthogonalised(u[0], u[1], 0.5)])
    q1, q2, c_pred = signal_propagation(x[0], x[1], depth=depth, activation="tanh",
                                        sigma_w2=predicted_sw2, sigma_b2=0.05)
    q, c = entry._random_net_qc(x, depth=depth, width=300, sigma_w2=measured_sw2,
                                sigma_b2=0.05, nets=nets, rng=rng)
    return entry.judge_layers(q, c, np.stack([q1, q2], 1), c_pred)


def test_random_nets_follow_the_maps():
    judged = _judge(1.2)
    assert judged["q"] == "holds" and judged["c"] == "holds"


def test_a_wrong_weight_variance_fails():
    """Negative control: nets with σ_w² = 1.38 judged against the maps for 1.2: q is 15 % off
    from the first layer on, far outside 5 % ± 2 s.e."""
    judged = _judge(1.38)
    assert judged["q"] == "fails" and judged["q_error"] > 0.1
