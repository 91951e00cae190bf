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
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    combine,
    decide,
    entry_result,
    summary,
)
from learnmech.theory.laws.sgd_noise import sgd_stationary_excess

#: "equal η/B give equal loss": each member of a group within 5 % of the group's smallest-η
#: member (the spec's 5 %, the precision this entry asks of the full formula)
EQUAL_LOSS = Tolerance(-0.05, 0.05, "equal η/B: losses within 5 % of each other")


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
    judged = judge_sgd_noise(SGD_SETTINGS, measured, errors, full)
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
    out = summary(ENTRY, judged["agreement"], stderr=judged["stderr"],
                  conditions={"per_setting": judged["per_setting"],
                              "equal_eta_over_b": judged["equal_eta_over_b"]},
                  chains=chains, steps=steps, leading_order_max_rel_error=float(
                      np.max(np.abs(leading / measured - 1))), **judged["spreads"])
    notes = ("The agreement is the largest |measured/full − 1| over the six (η, B), each "
             "decided against ±5 % with its standard error over chains. equal_eta_over_b "
             "judges the spec's leading-order claim directly: within a group of equal η/B "
             "every loss within 5 % of the smallest-η one (± 2 s.e.); the full formula "
             "predicts the spread, the leading order ησ²trH/(4B) does not. Before an audit "
             "this condition compared measured ratios with the full formula's, which the "
             "main check already implied.")
    return entry_result(ENTRY, out, metrics=rows, figures={
        "sgd_stationary_noise": agreement_figure([panel], ncols=1)}, notes=notes)


def judge_sgd_noise(settings, measured, errors, full) -> dict:
    """The entry's verdicts from measured stationary losses (with standard errors) and the full
    formula, per (η, B) in ``settings``.

    Returns a dict: ``agreement`` (largest |measured/full − 1|) and its ``stderr``,
    ``per_setting`` (each signed error against ±5 % with its SE, combined),
    ``equal_eta_over_b`` (within each group of equal η/B, each loss against the group's
    smallest-η one, ±5 % with the SE of the ratio, combined) and ``spreads`` (max/min per
    group)."""
    import numpy as np

    measured, errors, full = (np.asarray(v, float) for v in (measured, errors, full))
    rel, rel_se = measured / full - 1, errors / full
    worst = int(np.argmax(np.abs(rel)))
    per_setting = combine(*(decide(ENTRY.tolerance, float(r), float(e))
                            for r, e in zip(rel, rel_se, strict=True)))
    ratio = np.array([lr / b for lr, b in settings])
    equal, spreads = [], {}
    for r in np.unique(ratio):
        group = np.flatnonzero(ratio == r)
        base = group[np.argmin([settings[i][0] for i in group])]
        here = []
        for i in group[group != base]:
            q = measured[i] / measured[base]
            q_se = q * np.hypot(errors[i] / measured[i], errors[base] / measured[base])
            here.append(decide(EQUAL_LOSS, float(q - 1), float(q_se)))
        equal += here
        spreads[f"spread_eta_over_b_{r:g}"] = float(measured[group].max()
                                                    / measured[group].min())
        spreads[f"equal_loss_eta_over_b_{r:g}"] = combine(*here)
    return {"agreement": float(np.abs(rel[worst])), "stderr": float(rel_se[worst]),
            "per_setting": per_setting, "equal_eta_over_b": combine(*equal),
            "spreads": spreads}



ENTRY = Entry(
    id="sgd-stationary-noise", strand="d/B2",
    claim=("Near a minimum SGD is an Ornstein-Uhlenbeck process; on linear regression its "
           "stationary excess loss follows the full noise balance and depends on η/B to "
           "leading order."),
    formula=sgd_stationary_excess,
    measurement="time- and chain-averaged excess loss of online SGD, d = 10, six (η, B)",
    metric="largest |measured/full − 1| of the excess loss over the six (η, B), each decided "
           "with its standard error over chains",
    tolerance=Tolerance(-0.05, 0.05, "within 5 % of the full formula for every (η, B); "
                                     "equal η/B give losses within 5 %"),
    references=("Mandt, Hoffman & Blei, JMLR 2017", "Jastrzębski et al., 2017"),
    figure="sgd_stationary_noise", config_cls=SgdNoiseConfig, run=run_sgd_noise,
    smoke={"size": "quick", "steps": 200})
