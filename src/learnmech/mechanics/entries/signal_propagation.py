"""signal-propagation (strand b): at init, squared lengths and correlations follow deterministic
layer maps; order or chaos is set by χ₁.

Conventions: random tanh networks in the NTK convention of :mod:`learnmech.theory`
(z¹ = σ_w W x/√d + σ_b b, z^{l+1} = σ_w W φ(z^l)/√N + σ_b b, W, b ~ N(0, 1)). Networks *at
initialisation* are simulated here as matrix products in numpy, since no training is involved.
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
    standard_error,
    summary,
)
from learnmech.theory.laws.signal_propagation import signal_propagation

#: c's tolerance: absolute error within 0.05 at every layer
C_TOLERANCE = Tolerance(-0.05, 0.05, "c within 0.05")


class SignalPropagationConfig(MechanicsConfig):
    """Random tanh networks at init: q and c per layer, an ordered and a chaotic setting."""

    depth: int = Field(20, ge=2, le=200, description="layers L")
    width: int = Field(1000, ge=8, le=20_000, description="width N (full size)")
    sigma_b2: float = Field(0.05, ge=0.0, le=10.0, description="bias variance σ_b²")
    sigma_w2_ordered: float = Field(1.2, gt=0.0, le=20.0, description="σ_w² of the ordered net")
    sigma_w2_chaotic: float = Field(4.0, gt=0.0, le=20.0, description="σ_w² of the chaotic net")
    input_correlation: float = Field(0.5, gt=-1.0, lt=1.0,
                                     description="correlation c⁰ of the two inputs")
    nets: int = Field(128, ge=2, le=10_000, description=(
        "random networks averaged (both sizes; per-layer standard errors from their spread)"))


def _random_net_qc(x, *, depth, width, sigma_w2, sigma_b2, nets, rng):
    """q of each input and their correlation per layer, for ``nets`` independent tanh nets.

    x of shape (2, d); returns q (nets, depth, 2) and c (nets, depth).
    """
    import numpy as np

    d = x.shape[1]
    sw, sb = np.sqrt(sigma_w2), np.sqrt(sigma_b2)
    q = np.empty((nets, depth, 2))
    c = np.empty((nets, depth))
    for net in range(nets):
        h, fan_in = x.T, d  # (fan_in, 2) columns are the inputs
        for layer in range(depth):
            W = rng.standard_normal((width, fan_in), dtype=np.float32)
            b = rng.standard_normal((width, 1), dtype=np.float32)
            z = sw * (W @ h) / np.sqrt(fan_in) + sb * b  # (N, 2) pre-activations
            gram = z.T.astype(np.float64) @ z / width  # (2, 2)
            q[net, layer] = np.diag(gram)
            c[net, layer] = gram[0, 1] / np.sqrt(gram[0, 0] * gram[1, 1])
            h, fan_in = np.tanh(z), width
    return q, c


def run_signal_propagation(config: SignalPropagationConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.laws.signal_propagation import chi1

    quick = config.size == "quick"
    width, nets = (300 if quick else config.width), config.nets
    rng = np.random.default_rng(config.seed)
    d = 50
    u = rng.standard_normal((2, d))
    x = np.sqrt(d) * np.stack([u[0] / np.linalg.norm(u[0]),  # ‖x‖² = d: q¹ = σ_w² + σ_b²
                               _orthogonalised(u[0], u[1], config.input_correlation)])
    layers = np.arange(1, config.depth + 1)
    q_err, c_err, panels, rows, chis, verdicts, worst = [], [], [], [], {}, [], []
    for k, (name, sw2) in enumerate((("ordered", config.sigma_w2_ordered),
                                     ("chaotic", config.sigma_w2_chaotic))):
        q1, q2, c_pred = signal_propagation(x[0], x[1], depth=config.depth, activation="tanh",
                                            sigma_w2=sw2, sigma_b2=config.sigma_b2)
        q, c = _random_net_qc(x, depth=config.depth, width=width, sigma_w2=sw2,
                              sigma_b2=config.sigma_b2, nets=nets, rng=rng)
        q_mean, c_mean = q.mean(axis=0), c.mean(axis=0)
        judged = judge_layers(q, c, np.stack([q1, q2], 1), c_pred)
        verdicts.append(judged)
        q_err.append(judged["q_error"])
        c_err.append(judged["c_error"])
        worst.append((judged["q_error"], judged["q_error_se"]))
        chis[name] = chi1(q1[-1], activation="tanh", sigma_w2=sw2)
        panels.append(Panel([Series(layers, q_mean[:, 0], "q, measured", color=2 * k),
                             Series(layers, q1, "q map", kind="predicted", color=2 * k),
                             Series(layers, c_mean, "c, measured", color=2 * k + 1),
                             Series(layers, c_pred, "c map", kind="predicted", color=2 * k + 1)],
                            "layer l", "q^l and c^l",
                            title=f"{name}: σ_w² = {sw2:g}, χ₁ = {chis[name]:.2f}"))
        rows += [{"setting": name, "layer": int(layer), "metric": m, "value": float(v)}
                 for i, layer in enumerate(layers)
                 for m, v in (("q_measured", q_mean[i, 0]), ("q_predicted", q1[i]),
                              ("c_measured", c_mean[i]), ("c_predicted", c_pred[i]))]
    agreement, agreement_se = max(worst)
    regimes_ok = chis["ordered"] < 1.0 < chis["chaotic"]
    out = summary(ENTRY, agreement, stderr=agreement_se,
                  conditions={"q_per_layer": combine(*(v["q"] for v in verdicts)),
                              "correlation": combine(*(v["c"] for v in verdicts)),
                              "regimes": regimes_ok},
                  max_correlation_error=float(max(c_err)), chi1_ordered=chis["ordered"],
                  chi1_chaotic=chis["chaotic"], width=width, nets=nets)
    notes = ("Each layer, each input and both settings decided with the standard error over "
             f"the {nets} random networks: q's signed relative error against ±5 %, c's "
             "absolute error against ±0.05 (8 networks gave per-layer standard errors "
             "of 2.8–3.8 %, too many to decide a 5 % tolerance).")
    return entry_result(ENTRY, out, metrics=rows, figures={
        "signal_propagation": agreement_figure(panels, ncols=2)}, notes=notes)


def judge_layers(q, c, q_pred, c_pred) -> dict:
    """Verdicts of one setting from per-network q (nets, depth, 2) and c (nets, depth) against
    the maps' q_pred (depth, 2) and c_pred (depth,): each layer's mean decided with its standard
    error over networks. Returns q and c verdicts and the worst errors (with the SE of q's)."""
    import numpy as np

    q_rel = q.mean(axis=0) / q_pred - 1
    q_se = standard_error(q, axis=0) / q_pred
    c_abs = c.mean(axis=0) - c_pred
    c_se = standard_error(c, axis=0)
    worst = np.unravel_index(np.argmax(np.abs(q_rel)), q_rel.shape)
    return {"q": combine(*(decide(ENTRY.tolerance, float(v), float(e))
                           for v, e in zip(q_rel.ravel(), q_se.ravel(), strict=True))),
            "c": combine(*(decide(C_TOLERANCE, float(v), float(e))
                           for v, e in zip(c_abs, c_se, strict=True))),
            "q_error": float(abs(q_rel[worst])), "q_error_se": float(q_se[worst]),
            "c_error": float(np.max(np.abs(c_abs)))}


def _orthogonalised(a, b, c: float):
    """A unit vector whose cosine with ``a`` is exactly ``c`` (built from ``b``)."""
    import numpy as np

    a_hat = a / np.linalg.norm(a)
    perp = b - (b @ a_hat) * a_hat
    perp /= np.linalg.norm(perp)
    return c * a_hat + np.sqrt(1.0 - c * c) * perp


ENTRY = Entry(
    id="signal-propagation", strand="b",
    claim=("At init, squared lengths q and correlations c follow deterministic layer maps; "
           "order or chaos is set by χ₁."),
    formula=signal_propagation,
    measurement="q^l and c^l of 128 random tanh networks, 20 layers, N = 1000 (quick: 300)",
    metric="largest |relative error| of the mean q over layers, inputs and settings (each "
           "layer decided with its standard error; c: absolute error within 0.05)",
    tolerance=Tolerance(-0.05, 0.05, "q within 5 %, c within 0.05 over 20 layers"),
    references=("Poole et al., NeurIPS 2016", "Schoenholz et al., ICLR 2017"),
    figure="signal_propagation", config_cls=SignalPropagationConfig,
    run=run_signal_propagation, smoke={"size": "quick", "depth": 4, "nets": 4})
