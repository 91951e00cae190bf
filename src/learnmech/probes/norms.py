"""Implicit-regularisation measures: norms, ranks, margins and participation ratio.

For a matrix M (weights (out, in) or representations (n, p)) with singular values σ_1 ≥ σ_2 ≥ …:

* stable rank ‖M‖_F² / ‖M‖_2² = Σσ² / σ_1² (Rudelson & Vershynin; ≤ rank, robust to tiny σ);
* effective rank exp(H(p)), p_k = σ_k / Σσ (Roy & Vetterli 2007; 1 for rank one, r for r
  equal singular values);
* participation ratio of features (n, p): (Σλ)² / Σλ² of the eigenvalues λ of their covariance
  (the effective number of directions the representation uses);
* margin of an example: f_y(x) − max_{c≠y} f_c(x) (> 0 when correctly classified).
"""

from __future__ import annotations

import numpy as np

from learnmech.probes.checks import ProbeError

__all__ = ["effective_rank", "margins", "participation_ratio", "stable_rank", "weight_norms"]


def stable_rank(M) -> float:
    """‖M‖_F² / ‖M‖_2² of a 2-D array (0 for the zero matrix)."""
    s = _singular_values(M)
    return float((s**2).sum() / s[0] ** 2) if s.size and s[0] > 0 else 0.0


def effective_rank(M) -> float:
    """exp of the Shannon entropy (nats) of the normalised singular values (Roy & Vetterli)."""
    s = _singular_values(M)
    total = s.sum()
    if total <= 0:
        return 0.0
    p = s[s > 0] / total
    return float(np.exp(-(p * np.log(p)).sum()))


def participation_ratio(features) -> float:
    """(Σλ)² / Σλ² of the covariance eigenvalues of features (n, p), rows = examples."""
    F = _np(features).reshape(len(features), -1)
    F = F - F.mean(axis=0)
    lam = np.linalg.svd(F, compute_uv=False) ** 2  # ∝ covariance eigenvalues
    denom = (lam**2).sum()
    return float(lam.sum() ** 2 / denom) if denom > 0 else 0.0


def weight_norms(model) -> dict[str, float]:
    """Per parameter: Frobenius norm ``<name>``, and for 2-D weights also ``<name>.spectral``,
    ``<name>.stable_rank``, ``<name>.effective_rank``; plus ``total`` (‖θ‖₂ of all)."""
    out: dict[str, float] = {}
    total = 0.0
    for name, p in model.named_parameters():
        w = p.detach().double().cpu().numpy()
        fro = float(np.linalg.norm(w))
        out[name] = fro
        total += fro**2
        if w.ndim == 2:
            out[f"{name}.spectral"] = float(_singular_values(w)[0])
            out[f"{name}.stable_rank"] = stable_rank(w)
            out[f"{name}.effective_rank"] = effective_rank(w)
    out["total"] = float(np.sqrt(total))
    return out


def margins(logits, y) -> np.ndarray:
    """f_y(x) − max_{c≠y} f_c(x) per example; logits (n, C), y (n,) → shape (n,)."""
    z = _np(logits)
    y = _np(y).astype(int)
    rows = np.arange(len(y))
    true = z[rows, y]
    rest = z.copy()
    rest[rows, y] = -np.inf
    return true - rest.max(axis=1)


def _singular_values(M) -> np.ndarray:
    A = _np(M)
    if A.ndim != 2:
        raise ProbeError(f"expected a 2-D matrix; got shape {A.shape}")
    return np.linalg.svd(A, compute_uv=False)


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)
