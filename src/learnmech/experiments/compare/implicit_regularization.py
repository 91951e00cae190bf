"""implicit-regularization: growing the model past what fits costs nothing, and it uses little of
what it has.

neurashed's "size" is the nuisance pool P; the network's is its width. neurashed's effective
feature count (Σλ)²/Σλ² is a participation ratio; its network counterpart is the participation
ratio of the last hidden representation.
"""

from __future__ import annotations

from learnmech.experiments.compare._claims import (
    NONZERO,
    Claim,
    Computed,
    Largest,
    LensRun,
    Needs,
    Phenomenon,
    Reading,
    Series,
    Threshold,
    number,
)

_POOL_ACC = "test_acc_final_P"


def _pool_change(run: LensRun) -> Reading:
    """neurashed: test accuracy at the largest pool minus at the smallest (with compression)."""
    found = {}
    for key in run.summary:
        if key.startswith(_POOL_ACC) and not key.endswith("no_compression"):
            try:
                found[int(key.removeprefix(_POOL_ACC))] = number(run.summary, key)
            except ValueError:
                continue
    found = {p: v for p, v in found.items() if v is not None}
    if len(found) < 2:
        return Reading(None, None, "fewer than two pools in the summary")
    lo, hi = min(found), max(found)
    d = found[hi] - found[lo]
    return Reading(d >= -0.02, d, f"test acc P={hi} − P={lo} = {found[hi]:.3f} − "
                   f"{found[lo]:.3f} = {d:+.3f} (harmless: ≥ −0.02)")


def _effective_features_slope(run: LensRun) -> Reading:
    """neurashed: log-slope of the final effective feature count (level 0) against the pool,
    at the largest γ, averaged over seeds."""
    import numpy as np

    gammas = {r.get("gamma") for r in run.rows if r.get("metric") == "effective_features"}
    gamma = max((g for g in gammas if isinstance(g, float | int)), default=None)
    last: dict[tuple, tuple] = {}
    for r in run.rows:
        if r.get("metric") == "effective_features" and r.get("gamma") == gamma and \
                r.get("level") in (0, 0.0):
            key = (r["pool"], r.get("seed"))
            if r["step"] >= last.get(key, (-1, 0))[0]:
                last[key] = (r["step"], r["value"])
    finals: dict[float, list[float]] = {}
    for (pool, _), (_, value) in last.items():
        finals.setdefault(pool, []).append(value)
    if len(finals) < 2:
        return Reading(None, None, "effective_features per pool not in metrics.csv")
    pools = sorted(finals)
    means = [float(np.mean(finals[p])) for p in pools]
    slope = float(np.polyfit(np.log(pools), np.log(means), 1)[0])
    return Reading(slope < 0.5, slope, f"log-slope of effective features vs pool P = "
                   f"{slope:.3f} over P = {pools} (sublinear: < 0.5)")


PHENOMENON = Phenomenon(
    claims=(
        Claim("overparameterisation_harmless",
              "growing the model far past what fits the data does not lower test accuracy", {
                  "neurashed": Computed(_pool_change, Needs.of(summary=(_POOL_ACC + "*",))),
                  "network": Threshold("test_acc_change_past_interpolation", ">=", -0.02,
                                       "widest minus first interpolating width; harmless"),
              }),
        Claim("capacity_used_sublinear",
              "the dimension the trained model uses grows sublinearly with its size", {
                  "neurashed": Computed(_effective_features_slope, Needs.of(rows={
                      "effective_features": ("gamma", "level", "pool", "seed", "step")})),
                  "network": Threshold("rep_participation_ratio_slope", "<", 0.5,
                                       "log-slope of the representation's participation ratio "
                                       "vs width"),
              }),
    ),
    series={
        "neurashed": (
            Series("test acc (largest pool, γ > 0)", "test_acc",
                   {"pool": Largest(), "gamma": NONZERO}),
            Series("train acc (largest pool, γ > 0)", "train_acc",
                   {"pool": Largest(), "gamma": NONZERO}),
        ),
        "network": (
            Series("test acc (widest)", "test_acc", {"width": Largest()}),
            Series("train acc (widest)", "train_acc", {"width": Largest()}),
        ),
    },
)
