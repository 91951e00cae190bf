"""sgd-stationary-noise (strands d, B2): near a minimum SGD is an Ornstein–Uhlenbeck process; on
linear regression its stationary excess loss follows the full noise balance.

Conventions: the loss per example is ½(xᵀw − y)², step size η, batch B. SGD samples a *fresh*
batch from the population at every step (online SGD), which the network lens's loop (a fixed
training set) cannot do: this entry has its own loop over many parallel chains
(:func:`_online_sgd`).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import Entry, MechanicsConfig, Tolerance, summary
from learnmech.theory.laws.sgd_noise import sgd_stationary_excess


class SgdNoiseConfig(MechanicsConfig):
    """Online SGD on Gaussian linear regression at several (η, B)."""

    dim: int = Field(10, ge=1, le=1000, description="input dimension d")
    curvature_min: float = Field(0.5, gt=0.0, le=100.0, description="smallest eigenvalue of H")
    curvature_max: float = Field(2.0, gt=0.0, le=100.0, description="largest eigenvalue of H")
    noise: float = Field(1.0, gt=0.0, le=100.0, description="label-noise variance σ²")
    steps: int = Field(12_000, ge=10, le=10 ** 7,
                       description="averaged steps after burn-in (full size; quick caps at 3000)")


#: (η, B) pairs: three share η/B = 0.02, three share η/B = 0.05
SGD_SETTINGS = ((0.02, 1), (0.04, 2), (0.08, 4), (0.05, 1), (0.1, 2), (0.2, 4))


def _online_sgd(h, lr: float, batch: int, noise: float, *, chains: int, burn: int, steps: int,
                rng):
    """Mean and standard error of the excess loss ½ δᵀHδ over chains and post-burn-in steps."""
    import numpy as np

    d = len(h)
    root = np.sqrt(h)
    delta = np.zeros((chains, d))
    total, total2, count = 0.0, 0.0, 0
    chain_means = np.zeros(chains)
    for step in range(burn + steps):
        x = rng.standard_normal((chains, batch, d)) * root  # (chains, B, d), x ~ N(0, H)
        eps = np.sqrt(noise) * rng.standard_normal((chains, batch))
        resid = np.einsum("cbd,cd->cb", x, delta) - eps  # xᵀw − y = xᵀδ − ε
        delta -= lr * np.einsum("cb,cbd->cd", resid, x) / batch
        if step >= burn:
            loss = 0.5 * (delta ** 2) @ h  # (chains,)
            chain_means += loss
            count += 1
    chain_means /= count
    total, total2 = chain_means.mean(), chain_means.std(ddof=1)
    return float(total), float(total2 / np.sqrt(chains))


def run_sgd_noise(config: SgdNoiseConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.laws.sgd_noise import sgd_stationary_excess_leading

    if not config.curvature_min <= config.curvature_max:
        raise ValueError("sgd-stationary-noise: curvature_min must be <= curvature_max")
    quick = config.size == "quick"
    chains, steps = (128, min(config.steps, 3000)) if quick else (256, config.steps)
    h = np.linspace(config.curvature_min, config.curvature_max, config.dim)
    rng = np.random.default_rng(config.seed)
    measured, errors, full, leading = [], [], [], []
    for lr, batch in SGD_SETTINGS:
        burn = int(10 / (2 * lr * h.min())) + 1  # ten relaxation times of the slowest mode
        m, se = _online_sgd(h, lr, batch, config.noise, chains=chains, burn=burn, steps=steps,
                            rng=rng)
        measured.append(m)
        errors.append(se)
        full.append(sgd_stationary_excess(h, lr, batch, config.noise))
        leading.append(sgd_stationary_excess_leading(h, lr, batch, config.noise))
    measured, errors, full, leading = (np.array(v) for v in (measured, errors, full, leading))
    rel = np.abs(measured - full) / full
    agreement = float(rel.max())
    # equal η/B, equal loss to leading order: the measured ratios within a group follow the
    # full formula's (so the residual is the predicted higher order), within 5 %
    ratio = np.array([lr / b for lr, b in SGD_SETTINGS])
    same_ok = True
    spread = {}
    for r in np.unique(ratio):
        group = ratio == r
        meas_ratio = measured[group] / measured[group][0]
        pred_ratio = full[group] / full[group][0]
        same_ok &= bool(np.all(np.abs(meas_ratio / pred_ratio - 1) <= 0.05))
        spread[f"spread_eta_over_b_{r:g}"] = float(measured[group].max() / measured[group].min())
    labels = [f"η={lr:g}, B={b}" for lr, b in SGD_SETTINGS]
    x = np.arange(len(SGD_SETTINGS))
    panel = Panel([Series(x, measured, "measured (± s.e.)", color=0, err=errors),
                   Series(x, full, "full noise balance", kind="predicted", color=1),
                   Series(x, leading, "leading order ησ²trH/(4B)", kind="predicted", color=2)],
                  "setting: " + "; ".join(f"{i}: {t}" for i, t in enumerate(labels)),
                  "stationary excess loss", title="SGD near a minimum: OU stationary state")
    rows = [{"lr": lr, "batch": b, "metric": m, "value": float(v)}
            for i, (lr, b) in enumerate(SGD_SETTINGS)
            for m, v in (("excess_measured", measured[i]), ("excess_se", errors[i]),
                         ("excess_full", full[i]), ("excess_leading", leading[i]))]
    out = summary(ENTRY, agreement, conditions={"eta_over_b": same_ok}, chains=chains,
                  steps=steps, **spread)
    return Result(summary=out, metrics=rows, figures={"sgd_stationary_noise": agreement_figure(
        [panel], ncols=1)})


ENTRY = Entry(
    id="sgd-stationary-noise", strand="d/B2",
    claim=("Near a minimum SGD is an Ornstein-Uhlenbeck process; on linear regression its "
           "stationary excess loss follows the full noise balance and depends on η/B to "
           "leading order."),
    formula=sgd_stationary_excess,
    measurement="time- and chain-averaged excess loss of online SGD, d = 10, six (η, B)",
    metric="largest relative error of the measured excess loss against the full formula",
    tolerance=Tolerance(0.0, 0.05, "within 5 % for every (η, B)"),
    references=("Mandt, Hoffman & Blei, JMLR 2017", "Jastrzębski et al., 2017"),
    figure="sgd_stationary_noise", config_cls=SgdNoiseConfig, run=run_sgd_noise,
    smoke={"size": "quick", "steps": 200})
