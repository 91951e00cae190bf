"""The wiring W[k, f]: the channels through which a feature's volume drains to the classes.

W[k, f] is the fraction of training examples containing feature f whose (observed) label is k,
and 0 for a feature that never occurs in training. It is fixed once the training set is drawn.
Stored transposed, as ``wiring[f, k]`` of shape (n_features, n_classes), so that one feature's
row is contiguous in memory (the fast core reads it once per occurrence).
"""

from __future__ import annotations

import numpy as np

from learnmech.neurashed.world import Examples


def make_wiring(examples: Examples, n_features: int, n_classes: int) -> np.ndarray:
    """Wiring of shape (n_features, n_classes); rows sum to 1 (or 0 for unseen features)."""
    counts = np.zeros((n_features, n_classes))
    rows = np.repeat(np.arange(examples.n), np.diff(examples.indptr))
    np.add.at(counts, (examples.indices, examples.labels[rows]), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
