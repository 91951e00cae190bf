"""robust-sample-complexity (B6): in the Gaussian model, ℓ∞-robust accuracy needs Ω(√d) samples
where standard accuracy needs O(1).

Conventions: the Gaussian model and the averaged classifier of
:mod:`learnmech.theory.laws.robustness`; accuracies are exact (no sampled test set).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    entry_result,
    summary,
)
from learnmech.theory.laws.robustness import robust_sample_size


class RobustSamplesConfig(MechanicsConfig):
    """Gaussian model x ~ N(yθ*, σ²I), σ = scale·d^{1/4}; averaged classifier; ℓ∞ attack ε."""

    eps: float = Field(0.7, gt=0.0, lt=1.0, description="ℓ∞ attack radius ε (θ* ∈ {±1}^d)")
    scale: float = Field(0.5, gt=0.0, le=10.0, description="σ = scale · d^(1/4)")
    target: float = Field(0.75, gt=0.5, lt=1.0, description="accuracy that counts as learned")
    repeats: int = Field(40, ge=2, le=1000, description="training sets averaged per (d, n)")
    d_min: int = Field(256, ge=16, le=65536, description="smallest dimension (a power of 2)")
    d_max: int = Field(65536, ge=64, le=65536, description="largest dimension (quick: 16384)")


def _accuracy(rng, theta, sigma, eps, n, repeats):
    """Mean exact robust accuracy of the averaged classifier over ``repeats`` training sets."""
    import numpy as np

    from learnmech.theory.laws.robustness import linear_robust_accuracy

    d = len(theta)
    acc = []
    for _ in range(repeats):
        y = rng.choice((-1.0, 1.0), size=n)
        x = y[:, None] * theta + sigma * rng.standard_normal((n, d))  # (n, d)
        w = (y[:, None] * x).mean(axis=0)
        acc.append(linear_robust_accuracy(w, theta, sigma, eps))
    return float(np.mean(acc))


def _samples_needed(rng, theta, sigma, eps, target, repeats, n_max=4096):
    """Smallest integer n (bisection on a monotone mean accuracy) reaching ``target``."""
    if _accuracy(rng, theta, sigma, eps, 1, repeats) >= target:
        return 1
    lo, hi = 1, 2
    while _accuracy(rng, theta, sigma, eps, hi, repeats) < target:
        lo, hi = hi, 2 * hi
        if hi > n_max:
            return float("inf")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _accuracy(rng, theta, sigma, eps, mid, repeats) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def run_robust_samples(config: RobustSamplesConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure

    quick = config.size == "quick"
    d_max = min(config.d_max, 16384) if quick else config.d_max
    dims = 2 ** np.arange(int(np.log2(config.d_min)), int(np.log2(d_max)) + 1)
    if len(dims) < 3:
        raise ValueError("robust-sample-complexity: d_max must be >= 4 d_min")
    repeats = min(config.repeats, 12) if quick else config.repeats
    rng = np.random.default_rng(config.seed)
    n_rob, n_std, pred_rob, pred_std = [], [], [], []
    for d in dims:
        theta = rng.choice((-1.0, 1.0), size=int(d))
        sigma = config.scale * d ** 0.25
        n_rob.append(_samples_needed(rng, theta, sigma, config.eps, config.target, repeats))
        n_std.append(_samples_needed(rng, theta, sigma, 0.0, config.target, repeats))
        pred_rob.append(robust_sample_size(d, sigma, config.eps, config.target))
        pred_std.append(robust_sample_size(d, sigma, 0.0, config.target))
    n_rob, n_std, pred_rob, pred_std = (np.array(v, float)
                                        for v in (n_rob, n_std, pred_rob, pred_std))
    ok = np.isfinite(n_rob)
    regime = None if ok.sum() >= 3 else "robust accuracy unreachable at most dimensions"
    exponent = float(np.polyfit(np.log(dims[ok]), np.log(n_rob[ok]), 1)[0]) if not regime else None
    pred_exponent = float(np.polyfit(np.log(dims), np.log(pred_rob), 1)[0])
    std_bounded = bool(np.all(n_std <= 4))
    panel = Panel([Series(dims, n_rob, f"robust n (ε = {config.eps:g}), slope "
                          f"{exponent if exponent is not None else np.nan:.2f}", color=0),
                   Series(dims, pred_rob, "large-d theory", kind="predicted", color=0),
                   Series(dims, n_std, "standard n", color=1),
                   Series(dims, np.maximum(pred_std, 1), "theory (ε = 0)", kind="predicted",
                          color=1)],
                  "dimension d", f"samples to {config.target:.0%} accuracy", logx=True,
                  logy=True, title="Robust accuracy needs ~√d samples")
    rows = [{"d": int(d), "metric": m, "value": float(v)}
            for i, d in enumerate(dims)
            for m, v in (("n_robust", n_rob[i]), ("n_standard", n_std[i]),
                         ("n_robust_theory", pred_rob[i]), ("n_standard_theory", pred_std[i]))]
    out = summary(ENTRY, exponent, conditions={"standard_O1": std_bounded}, regime=regime,
                  predicted_exponent=pred_exponent, n_standard_max=float(n_std.max()),
                  d_min=int(dims[0]), d_max=int(dims[-1]), repeats=repeats)
    return entry_result(ENTRY, out, metrics=rows, figures={"robust_sample_complexity":
                                                      agreement_figure([panel], ncols=1)})


ENTRY = Entry(
    id="robust-sample-complexity", strand="B6",
    claim=("In the Gaussian model, l-inf robust accuracy needs Omega(sqrt d) samples where "
           "standard accuracy needs O(1)."),
    formula=robust_sample_size,
    measurement="smallest n at which the averaged classifier's exact robust accuracy "
                "(mean over training sets) reaches the target, d = 64 ... d_max",
    metric="log-log slope of n_robust against d",
    tolerance=Tolerance(0.35, 0.65, "fitted exponent 0.5 +- 0.15; standard n stays O(1)"),
    references=("Schmidt, Santurkar, Tsipras, Talwar & Madry, NeurIPS 2018",),
    figure="robust_sample_complexity", config_cls=RobustSamplesConfig,
    run=run_robust_samples, smoke={"size": "quick", "d_max": 1024, "repeats": 3})
