"""Laws for grokking on modular addition: the weight-decay clock and Fourier embeddings.

Delay (Power et al., arXiv 2201.02177, 2022; Liu, Michaud & Tegmark, "Omnigrok", ICLR 2023;
Nanda et al., ICLR 2023). With decoupled weight decay (AdamW: θ ← (1 − ηλ)θ, then the Adam
step) and no gradient, ‖θ‖ relaxes as (1 − ηλ)^t, an e-folding time
τ = −1/ln(1 − ηλ) ≈ 1/(ηλ) steps. Once the training set is memorised the cross-entropy gradient
is small and the slow drift from the memorising to the generalising (lower-norm) solution is
paced by this clock, so the delay before generalisation is predicted as t_grok = c/(ηλ) with
one constant c for every λ (and η).

Fourier embeddings: a network that adds mod p embeds token a as a few cos/sin(2π f a/p)
waves. For an embedding matrix E of shape (p, d), P(f) = Σ_j |Ê_{f j}|² with Ê the DFT along
the token axis; frequencies f and p − f are merged (real E); the constant f = 0 is dropped.
The concentration is the share of the remaining power on the k strongest frequencies: 1 for
an embedding built from ≤ k waves, about k/⌊p/2⌋ (a little more, the top-k of noise) for white
noise. numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fourier_concentration", "fourier_power", "grokking_delay", "weight_decay_time"]


def weight_decay_time(eta, weight_decay):
    """e-folding time (steps) of ‖θ‖ under decoupled decay θ ← (1 − ηλ)θ: −1/ln(1 − ηλ).

    ``eta`` η > 0, ``weight_decay`` λ > 0 with ηλ < 1 (arrays broadcast)."""
    return -1.0 / np.log1p(-np.asarray(eta, float) * np.asarray(weight_decay, float))


def grokking_delay(eta, weight_decay, c):
    """Predicted delay before generalisation c/(ηλ) steps (``c`` fitted once, dimensionless)."""
    return c / (np.asarray(eta, float) * np.asarray(weight_decay, float))


def fourier_power(embedding):
    """Power per frequency f = 1 … ⌊p/2⌋ (f and p − f merged) of an embedding (p, d).

    Returns an array of shape (⌊p/2⌋,): P(f) = Σ_j |Ê_{f j}|² (+ the same at p − f when
    p − f ≠ f)."""
    E = np.asarray(embedding, float)
    p = E.shape[0]
    power = (np.abs(np.fft.fft(E, axis=0)) ** 2).sum(axis=1)  # (p,)
    freqs = np.arange(1, p // 2 + 1)
    mirror = np.where(p - freqs != freqs, power[(p - freqs) % p], 0.0)
    return power[freqs] + mirror


def fourier_concentration(embedding, k):
    """Share of the non-constant embedding power on the ``k`` strongest frequencies, in [0, 1]."""
    P = np.sort(fourier_power(embedding))[::-1]
    total = P.sum()
    return float(P[:k].sum() / total) if total > 0 else float("nan")
