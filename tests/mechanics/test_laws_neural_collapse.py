"""``theory.laws.neural_collapse`` against independent computations: the simplex ETF against the
collapse probe."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.theory.laws.neural_collapse import simplex_etf_gram


def test_simplex_etf_gram_is_what_the_collapse_probe_calls_zero():
    from learnmech.probes.collapse import neural_collapse

    C = 5
    G = simplex_etf_gram(C)
    off = G[~np.eye(C, dtype=bool)]
    np.testing.assert_allclose(np.diag(G), 1.0)
    np.testing.assert_allclose(off, -1.0 / (C - 1))
    vals, vecs = np.linalg.eigh(G)
    means = vecs[:, 1:] * np.sqrt(vals[1:])  # (C, C−1) rows with Gram G
    labels = np.repeat(np.arange(C), 3)
    out = neural_collapse(means[labels], labels, means)
    assert out["nc1"] < 1e-20 and out["nc2"] < 1e-10 and out["nc3"] < 1e-10 and out["nc4"] == 0
