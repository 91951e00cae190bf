"""Neural collapse: the geometry of the class means in the terminal phase of training.

Sources: V. Papyan, X. Han, D. Donoho, "Prevalence of neural collapse during the terminal phase
of deep learning training" (PNAS 2020); Z. Zhu et al., "A geometric analysis of neural collapse
with unconstrained features" (NeurIPS 2021). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["simplex_etf_gram"]


def simplex_etf_gram(classes: int):
    """Gram matrix of the centred class means at neural collapse: a simplex equiangular tight
    frame, (C/(C−1)) (I − 11ᵀ/C) for unit-norm means (cosines −1/(C−1)); shape (C, C).

    Papyan, Han & Donoho (2020); the global minimisers of the unconstrained-features model
    with weight decay are of this form (Zhu et al. 2021).
    """
    C = int(classes)
    if C < 2:
        raise ValueError(f"simplex_etf_gram: classes must be >= 2; got {classes}")
    return C / (C - 1.0) * (np.eye(C) - np.ones((C, C)) / C)
