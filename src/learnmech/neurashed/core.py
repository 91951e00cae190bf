"""The fast core: numba kernels that advance amplitudes by many steps in one call.

Amplitudes are stored as λ_f = scale · μ_f. The uniform shrink of every step multiplies ``scale``
only, so a step costs O(|F_x| · K) for each batch example, independent of the total number of
features; μ is renormalised (μ ← scale·μ, scale ← 1) when scale falls below ``RENORM_BELOW``.
The update rules are stated once, in :mod:`learnmech.neurashed.dynamics`; this module implements
them and :func:`learnmech.neurashed.dynamics.dense_steps` is the straightforward reference.

Rule codes: 0 multiplicative, 1 additive, 2 fixed. Readout codes: 0 sum, 1 flow.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

RENORM_BELOW = 1e-100
RULES = {"multiplicative": 0, "additive": 1, "fixed": 2}
READOUTS = {"sum": 0, "flow": 1}


@njit(cache=True, inline="always")
def _softmax_residual(scores, label, out):
    """out[k] = 1[k = label] − softmax(scores)[k], of shape (K,)."""
    top = scores.max()
    total = 0.0
    for k in range(scores.shape[0]):
        out[k] = np.exp(scores[k] - top)
        total += out[k]
    for k in range(scores.shape[0]):
        out[k] = -out[k] / total
    out[label] += 1.0


@njit(cache=True, inline="always")
def _qualifies(wiring, f, label):
    """Fixed rule: W[label, f] is (one of) the largest entries of W[:, f] and is positive."""
    w = wiring[f, label]
    if w <= 0.0:
        return False
    for k in range(wiring.shape[1]):
        if wiring[f, k] > w:
            return False
    return True


@njit(cache=True)
def _gradient_sum(row, label, mu, scale, wiring, weight, scores, resid, grad):
    """grad[q] = ∂ log p_label / ∂λ_f for f = row[q] under the sum readout."""
    scores[:] = 0.0
    for q in range(row.shape[0]):
        f = row[q]
        w = weight[f] * mu[f] * scale
        for k in range(scores.shape[0]):
            scores[k] += w * wiring[f, k]
    _softmax_residual(scores, label, resid)
    for q in range(row.shape[0]):
        f = row[q]
        acc = 0.0
        for k in range(resid.shape[0]):
            acc += wiring[f, k] * resid[k]
        grad[q] = weight[f] * acc


@njit(cache=True)
def _gradient_flow(
    row, label, mu, scale, wiring, weight, level, top, child_ptr, child_idx, slot,
    scores, resid, grad, inflow, value,
):
    """grad[q] = ∂ log p_label / ∂λ_f under the flow readout (forward, then backward pass).

    v_f = λ_f · inflow_f, inflow_f = 1 at level 1, else Σ of v over the active children; scores
    s_k = Σ_{f active, top level} weight_f v_f W[k, f]. ``slot[f]`` is f's position in ``row``
    plus one while f is active, 0 otherwise; it is restored to 0 before returning.
    """
    n = row.shape[0]
    for q in range(n):
        slot[row[q]] = q + 1
    scores[:] = 0.0
    for q in range(n):  # rows are sorted by feature id, hence by level: children come first
        f = row[q]
        if level[f] == 1:
            inflow[q] = 1.0
        else:
            inflow[q] = 0.0
            for e in range(child_ptr[f], child_ptr[f + 1]):
                c = slot[child_idx[e]]
                if c > 0:
                    inflow[q] += value[c - 1]
        value[q] = scale * mu[f] * inflow[q]
        if level[f] == top:
            for k in range(scores.shape[0]):
                scores[k] += weight[f] * value[q] * wiring[f, k]
    _softmax_residual(scores, label, resid)
    for q in range(n):
        grad[q] = 0.0  # holds δ_f = ∂ log p / ∂v_f until turned into the gradient below
    for q in range(n - 1, -1, -1):  # parents before children
        f = row[q]
        if level[f] == top:
            acc = 0.0
            for k in range(resid.shape[0]):
                acc += wiring[f, k] * resid[k]
            grad[q] += weight[f] * acc
        lam = scale * mu[f]
        for e in range(child_ptr[f], child_ptr[f + 1]):
            c = slot[child_idx[e]]
            if c > 0:
                grad[c - 1] += grad[q] * lam
        grad[q] *= inflow[q]
    for q in range(n):
        slot[row[q]] = 0


@njit(cache=True)
def run_steps(
    mu, scale, indptr, indices, labels, wiring, weight, level, child_ptr, child_idx,
    batches, batch, rule, readout, eta, gamma, grow,
):
    """Advance one world by ``len(batches) // batch`` steps in place; returns the new scale.

    Parameters
    ----------
    mu : float64 array of shape (n_features,), modified in place (λ = scale · μ)
    indptr, indices, labels : the training examples (CSR rows, sorted feature ids)
    wiring : (n_features, n_classes); weight : (n_features,) = β ω_{l(f)}; level : (n_features,)
    batches : int64 array of shape (steps * batch,) — example index of each batch slot
    """
    n_classes = wiring.shape[1]
    top = level.max()
    shrink = 1.0 - eta * gamma
    max_row = 0
    for i in range(labels.shape[0]):
        max_row = max(max_row, indptr[i + 1] - indptr[i])
    scores = np.empty(n_classes)
    resid = np.empty(n_classes)
    grad = np.empty(max_row)
    inflow = np.empty(max_row)
    value = np.empty(max_row)
    slot = np.zeros(mu.shape[0], dtype=np.int64)
    acc = np.zeros(mu.shape[0])
    is_touched = np.zeros(mu.shape[0], dtype=np.bool_)
    touched = np.empty(batch * max_row, dtype=np.int64)
    n_steps = batches.shape[0] // batch
    for t in range(n_steps):
        n_touched = 0
        for j in range(batch):
            i = batches[t * batch + j]
            row = indices[indptr[i] : indptr[i + 1]]
            y = labels[i]
            if rule == 2:
                for q in range(row.shape[0]):
                    grad[q] = 1.0 if _qualifies(wiring, row[q], y) else 0.0
            elif readout == 0:
                _gradient_sum(row, y, mu, scale, wiring, weight, scores, resid, grad)
            else:
                _gradient_flow(
                    row, y, mu, scale, wiring, weight, level, top, child_ptr, child_idx,
                    slot, scores, resid, grad, inflow, value,
                )
            for q in range(row.shape[0]):
                f = row[q]
                if not is_touched[f]:
                    is_touched[f] = True
                    touched[n_touched] = f
                    n_touched += 1
                    acc[f] = 0.0
                acc[f] += grad[q]
        new_scale = scale * shrink
        for u in range(n_touched):
            f = touched[u]
            g = acc[f] / batch
            if rule == 0:
                mu[f] *= np.exp(eta * g)
            elif rule == 1:
                mu[f] = max(0.0, mu[f] + eta * g / new_scale)
            else:
                mu[f] *= (grow / shrink) ** g
            is_touched[f] = False
        scale = new_scale
        if scale < RENORM_BELOW:
            mu *= scale
            scale = 1.0
    return scale


@njit(cache=True, parallel=True)
def run_steps_many(
    mu, scale, indptr, indices, labels, wiring, weight, level, child_ptr, child_idx,
    batches, batch, rule, readout, eta, gamma, grow,
):
    """:func:`run_steps` for S worlds of equal shape at once (one per seed), seeds in parallel.

    Every array gains a leading seed axis: mu (S, F), scale (S,), indptr (S, n+1), indices
    (S, nnz_max) padded, labels (S, n), wiring (S, F, K), weight (S, F), level (S, F),
    child_ptr (S, F+1), child_idx (S, n_edges_max) padded, batches (S, steps·batch).
    ``scale`` is updated in place.
    """
    for s in prange(mu.shape[0]):
        scale[s] = run_steps(
            mu[s], scale[s], indptr[s], indices[s], labels[s], wiring[s], weight[s], level[s],
            child_ptr[s], child_idx[s], batches[s], batch, rule, readout, eta, gamma, grow,
        )
