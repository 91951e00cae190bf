"""theory.learning-curve: predicted learning curves held against GP regression and trained networks.

Points drawn uniformly on S^{d−1}, a random harmonic target (chosen degrees and powers), the
infinite-width kernel of a deep fully connected network. Measured: the test MSE (against the
clean target) of exact kernel regression — the GP posterior mean, the infinite-width trained
network — averaged over seeds with its standard error; and of finite NTK-parameterised networks
trained by gradient descent from a centred initialisation, at several widths. Predicted, from
the kernel's sphere spectrum alone (:mod:`learnmech.theory.curves`): eigenlearning, Cohen et
al.'s equivalent kernel at leading order, and with the 1/n correction — both on the kernel
renormalised at Taylor order r, whose dropped mass acts as noise (their noiseless recipe).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.spec import Section
from learnmech.experiments.theory._common import (
    AGREEMENT_TOLERANCE,
    KernelSection,
    TargetSection,
    max_over,
    relative_error,
    sphere_kernel,
    sphere_problem,
    train_centred_network,
    train_langevin_network,
)

N_MIN_EIGENLEARNING = 200  # the regimes of the acceptance figures
N_MIN_EK = 1000
CURVE_POINTS = 200


class GPSection(Section):
    """Exact kernel (GP) regression: the measurement every prediction is held against."""

    seeds: int = Field(24, ge=2, le=10_000, description="independent draws (target, data)")
    n_test: int = Field(2000, ge=10, le=1_000_000, description="test points per seed")
    ridge: float = Field(0.0, ge=0.0, le=1e6, description="ridge δ (GP noise); 0 interpolates")


class NetworkSection(Section):
    """Finite NTK-parameterised networks: gradient descent (centred, MSE) when kernel.kind is
    ntk; Langevin dynamics at temperature T = gp.ridge (a posterior sample) when it is nngp.

    They learn the same kind of target on a sphere of their own dimension ``d``: at d = 50 the
    kernel's informative part (λ_1 N(d,1) ≈ 0.04 against k(1) ≈ 3.3) is far below the
    O(1/√width) fluctuations of any affordable network's kernel."""

    d: int = Field(10, ge=2, le=10_000, description="input dimension of the networks' sphere")
    output_scales: tuple[float, ...] = Field(
        (1.0, 30.0), min_length=1,
        description="output scales α trained (each > 0): g = α(f − f₀), step / α²; 1 is plain "
                    "NTK-parameterised descent, large α the lazy limit (Chizat & Bach)")
    widths: tuple[int, ...] = Field(
        (64, 256, 1024), description="hidden widths trained (empty: no networks; each >= 1)")
    n: tuple[int, ...] = Field((100,), min_length=1,
                               description="training-set sizes for the networks (each >= 2)")
    seeds: int = Field(2, ge=1, le=1000, description="draws per (width, n)")
    tol: float = Field(1e-3, gt=0.0, lt=1.0,
                       description="relative residual the step count aims at (heavy ball)")
    max_steps: int = Field(20_000, ge=1, le=10**7, description="cap on gradient steps")
    langevin_steps: int = Field(4000, ge=10, le=10**7,
                                description="Langevin steps (nngp; a fifth is burn-in)")

    @model_validator(mode="after")
    def _check_sizes(self) -> NetworkSection:
        if any(w < 1 for w in self.widths) or any(n < 2 for n in self.n):
            raise ValueError("widths must be >= 1 and n >= 2")
        if any(not a > 0 for a in self.output_scales):
            raise ValueError(f"output_scales must be > 0; got {list(self.output_scales)}")
        return self


class Config(ExperimentConfig):
    d: int = Field(50, ge=2, le=10_000, description="input dimension (points on S^{d−1})")
    kernel: KernelSection = Field(default_factory=KernelSection, description="the network")
    target: TargetSection = Field(default_factory=TargetSection, description="the target")
    n_min: int = Field(50, ge=1, le=10**6, description="smallest training-set size")
    n_max: int = Field(3500, ge=2, le=10**6, description="largest training-set size")
    n_points: int = Field(10, ge=2, le=1000, description="measured sizes (log-spaced)")
    lmax: int = Field(40, ge=1, le=500, description="highest degree eigenlearning keeps")
    r: int = Field(3, ge=0, le=50, description="Taylor order of Cohen et al.'s renormalised kernel")
    gp: GPSection = Field(default_factory=GPSection, description="GP regression")
    network: NetworkSection = Field(default_factory=NetworkSection, description="trained nets")

    @model_validator(mode="after")
    def _check_range(self) -> Config:
        if self.n_min >= self.n_max:
            raise ValueError(f"n_min must be < n_max; got {self.n_min} and {self.n_max}")
        if max(self.target.degrees) > self.lmax:
            raise ValueError(f"lmax must be >= the highest target degree; got {self.lmax}")
        if self.kernel.kind == "nngp" and self.network.widths and self.gp.ridge <= 0:
            raise ValueError("gp.ridge: Langevin networks (kernel.kind = nngp) sample at "
                             "temperature T = gp.ridge, which must be > 0; or set "
                             "network.widths to []")
        return self


#: Each prediction's name in a figure legend.
PREDICTION_NAMES = {"eigenlearning": "eigenlearning",
                    "ek": "equivalent kernel (leading order)",
                    "ek+1/n": "equivalent kernel + 1/n correction"}
#: reported name -> (learning_curve method, uses the renormalised kernel)
METHODS = {"eigenlearning": ("eigenlearning", False), "ek": ("ek", True),
           "ek+1/n": ("renormalized", True)}


def predictions(config: Config, n, d: int | None = None) -> dict:
    """Method name -> predicted test MSE at each n (array of shape n.shape), on S^{d−1}
    (d defaults to config.d)."""
    from learnmech.theory import learning_curve

    d = config.d if d is None else d
    k, _ = sphere_kernel(config.kernel, d)
    common = {"kernel": k, "d": d, "target_power": config.target.power(), "n": n}
    out = {}
    for name, (method, renormalised) in METHODS.items():
        if renormalised:
            out[name] = learning_curve(method=method, r=config.r, ridge=config.gp.ridge,
                                       **common)
        else:
            out[name] = learning_curve(method=method, lmax=config.lmax, ridge=config.gp.ridge,
                                       noise=config.target.noise, **common)
    return out


def measured_sizes(config: Config):
    """The log-spaced training-set sizes measured (unique ints)."""
    import numpy as np

    return np.unique(np.geomspace(config.n_min, config.n_max, config.n_points).round().astype(int))


def draw_problem(config: Config, rng, n: int, n_test: int, d: int | None = None):
    """:func:`sphere_problem` for this config (d defaults to config.d)."""
    return sphere_problem(config.d if d is None else d, config.target, rng, n, n_test)


def measure_gp(config: Config, sizes) -> tuple:
    """(mean (k,), standard error (k,), per-seed errors (seeds, k)) of kernel regression."""
    import numpy as np

    from learnmech.core.progress import bar
    from learnmech.theory.regression import kernel_regression_error

    _, gram = sphere_kernel(config.kernel, config.d)
    streams = [seed.spawn(len(sizes)) for seed in
               np.random.SeedSequence([config.seed, 1]).spawn(config.gp.seeds)]
    errors = np.empty((config.gp.seeds, len(sizes)))
    for s in bar(range(config.gp.seeds), desc="GP regression", unit="seed"):
        for j, n in enumerate(sizes):
            rng = np.random.default_rng(streams[s][j])
            X, y, X_test, f_test = draw_problem(config, rng, int(n), config.gp.n_test)
            errors[s, j] = kernel_regression_error(gram, X, y, X_test, f_test,
                                                   ridge=config.gp.ridge)
    return errors.mean(axis=0), errors.std(axis=0, ddof=1) / np.sqrt(len(errors)), errors


def output_scales(config: Config) -> tuple[float, ...]:
    """The output scales trained: Langevin (nngp) samples the plain network only."""
    return (1.0,) if config.kernel.kind == "nngp" else config.network.output_scales


def measure_networks(config: Config) -> list[dict]:
    """One row per (scale, width, n, seed): the trained network's and the kernel's test MSE."""
    from learnmech.core.progress import bar

    jobs = [(a, w, n, s) for a in output_scales(config) for w in config.network.widths
            for n in config.network.n for s in range(config.network.seeds)]
    return [train_one(config, *job) for job in bar(jobs, desc="trained networks", unit="net")]


def train_one(config: Config, scale: float, width: int, n: int, replicate: int) -> dict:
    """Train one network on a fresh draw (on the networks' sphere); its and the kernel
    regression's test MSE on the same data."""
    import numpy as np

    stream = np.random.SeedSequence([config.seed, 2, n, replicate])
    X, y, X_test, f_test = draw_problem(config, np.random.default_rng(stream), n,
                                        config.gp.n_test, d=config.network.d)
    torch_seed = int(stream.generate_state(1)[0]) + width
    if config.kernel.kind == "nngp":
        found = train_langevin_network(config.kernel, X, y, X_test, f_test, width=width,
                                       temperature=config.gp.ridge,
                                       steps=config.network.langevin_steps,
                                       torch_seed=torch_seed)
    else:
        found = train_centred_network(config.kernel, X, y, X_test, f_test, width=width,
                                      tol=config.network.tol,
                                      max_steps=config.network.max_steps, torch_seed=torch_seed,
                                      output_scale=scale)
    return {"scale": scale, "width": width, "n": n, "seed": replicate, **found}


def run(config: Config) -> Result:
    import numpy as np

    sizes = measured_sizes(config)
    curve_n = np.geomspace(config.n_min, config.n_max, CURVE_POINTS)
    predicted_curves = predictions(config, curve_n)
    predicted_at = predictions(config, sizes.astype(float))
    mean, stderr, per_seed = measure_gp(config, sizes)
    trained = measure_networks(config)
    summary = _summary(config, sizes, mean, stderr, predicted_at, trained)
    rows = _rows(sizes, mean, stderr, per_seed, predicted_at, trained)
    figures = _figures(config, curve_n, predicted_curves, sizes, mean, stderr, predicted_at,
                       trained)
    return Result(summary=summary, metrics=rows, figures=figures, notes=_notes(summary, config))


def network_means(config: Config, trained: list[dict]) -> dict:
    """(scale, width, n) -> (mean network MSE, mean kernel MSE) over seeds."""
    import numpy as np

    out = {}
    for r in trained:
        out.setdefault((r["scale"], r["width"], r["n"]), []).append(r)
    return {key: (float(np.mean([r["network_mse"] for r in rows])),
                  float(np.mean([r["kernel_mse"] for r in rows]))) for key, rows in out.items()}


def _scale_tag(scale: float) -> str:
    """'' for the plain network (α = 1), '_lazy{α}' otherwise (summary-key suffix)."""
    return "" if scale == 1.0 else f"_lazy{scale:g}"


def _summary(config: Config, sizes, mean, stderr, predicted_at, trained) -> dict:
    """Headline numbers and one verdict per method over its regime of n.

    Each measured n is decided by the catalogue's rule (:func:`learnmech.mechanics.catalogue.
    decide`): the signed relative error p/m − 1 against ±5 % with its standard error
    p·SE(m)/m² (the prediction p is exact; m is the seed mean). ``inconclusive`` when
    error ± 2 SE straddles ±5 % at some n and no n fails: too few seeds to decide."""
    import numpy as np

    from learnmech.mechanics.catalogue import Tolerance, combine, decide

    tolerance = Tolerance(-AGREEMENT_TOLERANCE, AGREEMENT_TOLERANCE,
                          f"within {AGREEMENT_TOLERANCE:.0%}")
    summary = {"gp_seeds": config.gp.seeds,
               "gp_max_rel_stderr": float(np.max(stderr / mean)),
               "tolerance": AGREEMENT_TOLERANCE}
    regimes = {"eigenlearning": ("eigenlearning", N_MIN_EIGENLEARNING),  # method: (key, n from)
               "ek+1/n": ("ek_correction", N_MIN_EK), "ek": ("ek", N_MIN_EK)}
    for name, (key, n_from) in regimes.items():
        predicted = np.asarray(predicted_at[name], float)
        signed = predicted / mean - 1.0
        err = relative_error(predicted, mean)
        err_se = predicted * stderr / mean ** 2  # SE of |p/m − 1| from the SE of m
        inside = sizes >= n_from
        summary[f"max_rel_err_{key}"] = max_over(err, inside)
        summary[f"max_rel_err_{key}_below_regime"] = max_over(err, sizes < n_from)
        summary[f"max_rel_err_{key}_stderr"] = (
            float(err_se[inside][np.argmax(err[inside])]) if inside.any() else None)
        summary[f"{key}_verdict"] = ("out of regime" if not inside.any() else combine(
            *(decide(tolerance, float(e), float(se))
              for e, se in zip(signed[inside], err_se[inside], strict=True))))
    if trained:
        summary.update(_network_summary(config, trained))
    return summary


def _network_summary(config: Config, trained: list[dict]) -> dict:
    """Per scale and width: the largest relative gap to the prediction and to the kernel."""
    import numpy as np

    ns = np.array(config.network.n, dtype=float)
    predicted = predictions(config, ns, d=config.network.d)["eigenlearning"]
    means = network_means(config, trained)
    widths, summary = config.network.widths, {}
    for scale in output_scales(config):
        tag = _scale_tag(scale)
        for width in widths:
            net = np.array([means[scale, width, n][0] for n in config.network.n])
            kern = np.array([means[scale, width, n][1] for n in config.network.n])
            summary[f"max_rel_err_network_w{width}{tag}"] = float(
                relative_error(net, predicted).max())
            summary[f"max_rel_gap_network_vs_kernel_w{width}{tag}"] = float(
                relative_error(net, kern).max())
        first, last = (summary[f"max_rel_gap_network_vs_kernel_w{w}{tag}"]
                       for w in (min(widths), max(widths)))
        spread = float(np.hypot(*(_gap_stderr(trained, scale, w)
                                  for w in (min(widths), max(widths)))))
        summary[f"networks{tag}_approach_gap_fall"] = first - last
        summary[f"networks{tag}_approach_gap_fall_stderr"] = spread
        summary[f"networks{tag}_approach_kernel_verdict"] = _approach_verdict(
            first - last, spread, len(widths))
    return summary


def _gap_stderr(trained: list[dict], scale: float, width: int) -> float:
    """Standard error over seeds of one seed's largest relative gap |net − kern| / kern (the
    largest over n); NaN with a single seed."""
    import numpy as np

    per_seed: dict[int, float] = {}
    for r in trained:
        if r["scale"] == scale and r["width"] == width:
            gap = float(relative_error(r["network_mse"], r["kernel_mse"]))
            per_seed[r["seed"]] = max(per_seed.get(r["seed"], 0.0), gap)
    gaps = np.array(list(per_seed.values()))
    return float(gaps.std(ddof=1) / np.sqrt(len(gaps))) if len(gaps) > 1 else float("nan")


def _approach_verdict(fall: float, stderr: float, widths: int) -> str:
    """Whether the gap to the kernel falls from the narrowest to the widest net: ``holds`` when
    it falls by more than 2 standard errors, ``fails`` when it does not fall at all (or there
    is one width), ``inconclusive`` in between (or with one seed: no standard error)."""
    if widths < 2 or fall <= 0:
        return "fails"
    return "holds" if fall > 2 * stderr else "inconclusive"


def _rows(sizes, mean, stderr, per_seed, predicted_at, trained) -> list[dict]:
    rows = []
    for j, n in enumerate(sizes):
        rows.append({"n": int(n), "metric": "gp_mse", "value": float(mean[j]),
                     "stderr": float(stderr[j])})
        rows += [{"n": int(n), "metric": "gp_mse_seed", "seed": s, "value": float(v)}
                 for s, v in enumerate(per_seed[:, j])]
        rows += [{"n": int(n), "metric": f"predicted_{name}", "value": float(curve[j])}
                 for name, curve in predicted_at.items()]
    for r in trained:
        for metric in ("network_mse", "kernel_mse", "train_loss"):
            rows.append({"n": r["n"], "width": r["width"], "output_scale": r["scale"],
                         "seed": r["seed"], "metric": metric, "value": r[metric]})
    return rows


def _figures(config, curve_n, curves, sizes, mean, stderr, predicted_at, trained) -> dict:
    """The curves against GP regression, their relative errors, and the trained networks."""
    figures = {"learning_curve": _curve_figure(config, curve_n, curves, sizes, mean, stderr),
               "relative_error": _error_figure(sizes, mean, stderr, predicted_at)}
    if trained:
        figures["network_approach"] = _network_figure(config, trained)
    return figures


def _curve_figure(config, curve_n, curves, sizes, mean, stderr):
    """Each prediction's test MSE against n, with GP regression ± 2 SE (log-log)."""
    from learnmech.plots import clipped_error_bars, new_figure, place_legend, series_style, style

    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        for i, (name, curve) in enumerate(curves.items()):
            sty = series_style(i)
            ax.plot(curve_n, curve, label=PREDICTION_NAMES.get(name, name), lw=1.6,
                    color=sty["color"], ls=sty["linestyle"])
        ax.errorbar(sizes, mean, yerr=clipped_error_bars(mean, 2 * stderr, (0.0, None)),
                    fmt="o", color="black", ms=4, capsize=2,
                    label=f"GP regression ({config.gp.seeds} seeds, ±2 SE)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training-set size $n$")
        ax.set_ylabel("test MSE (clean target)")
        ax.set_title(f"depth-{config.kernel.depth} {config.kernel.activation} "
                     f"{config.kernel.kind.upper()}, $d$ = {config.d}")
        place_legend(fig, ax)
    return fig


def _error_figure(sizes, mean, stderr, predicted_at):
    """(predicted − measured) / measured in % against n, with the measurement's ± 2 SE."""
    from learnmech.plots import new_figure, place_legend, series_style, style

    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        for i, (name, curve) in enumerate(predicted_at.items()):
            ax.plot(sizes, 100 * (curve - mean) / mean, label=PREDICTION_NAMES.get(name, name),
                    **series_style(i))
        ax.fill_between(sizes, -200 * stderr / mean, 200 * stderr / mean, color="0.85",
                        label="±2 SE of the measurement")
        ax.axhline(0, color="black", lw=0.8)
        for bound in (-100 * AGREEMENT_TOLERANCE, 100 * AGREEMENT_TOLERANCE):
            ax.axhline(bound, color="black", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("training-set size $n$")
        ax.set_ylabel("(predicted − measured) / measured (%)")
        ax.set_title(f"agreement with GP regression (dotted: ±{100 * AGREEMENT_TOLERANCE:g} %)")
        place_legend(fig, ax)
    return fig


def _network_figure(config: Config, trained: list[dict]):
    """Test MSE against width, per output scale and n, beside its infinite-width values."""
    import numpy as np

    from learnmech.plots import (
        PALETTE,
        clipped_error_bars,
        new_figure,
        place_legend,
        series_style,
        style,
    )

    ns = config.network.n
    predicted = predictions(config, np.array(ns, dtype=float), d=config.network.d)
    with style():
        fig = new_figure((3.8 * len(ns), 3.3))
        axes = np.atleast_1d(fig.subplots(1, len(ns), squeeze=False)[0])
        for ax, n, expected in zip(axes, ns, predicted["eigenlearning"], strict=True):
            for i, scale in enumerate(output_scales(config)):
                stats = []
                for width in config.network.widths:
                    v = np.array([r["network_mse"] for r in trained if r["scale"] == scale
                                  and r["width"] == width and r["n"] == n])
                    stats.append((width, v.mean(), v.std(ddof=1) / np.sqrt(v.size)
                                  if v.size > 1 else 0.0))
                w, m, se = (np.array(c) for c in zip(*stats, strict=True))
                label = "plain (α = 1)" if scale == 1.0 else f"lazy (α = {scale:g})"
                ax.errorbar(w, m, yerr=clipped_error_bars(m, 2 * se, (0.0, None)), capsize=2,
                            label=f"trained, {label}", **series_style(i))
            kernel = np.mean([r["kernel_mse"] for r in trained if r["n"] == n])
            ax.axhline(kernel, color="black", lw=1.2, label="NTK regression, same data")
            ax.axhline(expected, color=PALETTE[1], ls="--", lw=1.2, label="eigenlearning")
            ax.set_xscale("log")
            ax.set_xlabel("hidden width")
            ax.set_title(f"networks on $S^{{{config.network.d - 1}}}$, $n$ = {n}")
        axes[0].set_ylabel("test MSE")
        place_legend(fig, axes[0])
    return fig


def _notes(summary: dict, config: Config) -> str:
    def pct(value):
        return "n/a" if value is None else f"{100 * value:.1f} %"

    lines = [
        f"GP regression over {summary['gp_seeds']} seeds; the largest relative standard error "
        f"is {pct(summary['gp_max_rel_stderr'])}.",
        f"Eigenlearning: max relative error {pct(summary['max_rel_err_eigenlearning'])} for "
        f"n >= {N_MIN_EIGENLEARNING} ({summary['eigenlearning_verdict']} at 5 %, each n "
        "decided with 2 standard errors: inconclusive when the seeds cannot decide), "
        f"{pct(summary['max_rel_err_eigenlearning_below_regime'])} below.",
        f"Cohen et al. with the 1/n correction (kernel renormalised at r = {config.r}): "
        f"{pct(summary['max_rel_err_ek_correction'])} for n >= {N_MIN_EK} "
        f"({summary['ek_correction_verdict']}), "
        f"{pct(summary['max_rel_err_ek_correction_below_regime'])} below.",
        f"Leading-order equivalent kernel: {pct(summary['max_rel_err_ek'])} for n >= {N_MIN_EK}, "
        f"{pct(summary['max_rel_err_ek_below_regime'])} below — poor at small n, as expected.",
    ]
    for scale in output_scales(config):
        tag = _scale_tag(scale)
        for width in config.network.widths:
            key = f"max_rel_gap_network_vs_kernel_w{width}{tag}"
            if key in summary:
                lines.append(
                    f"Width {width}, output scale {scale:g} (d = {config.network.d}): network vs "
                    f"kernel regression on the same data {pct(summary[key])}; vs eigenlearning "
                    f"{pct(summary[f'max_rel_err_network_w{width}{tag}'])}.")
    return "\n\n".join(lines)


EXPERIMENT = Experiment(
    id="theory.learning-curve",
    description="learning-curve predictions (eigenlearning, Cohen et al.'s EK) vs GP regression "
                "and trained networks",
    config_cls=Config,
    run=run,
    references=(
        "Jacot, Gabriel & Hongler, Neural tangent kernel: convergence and generalization in "
        "neural networks, NeurIPS 2018",
        "Lee et al., Deep neural networks as Gaussian processes, ICLR 2018",
        "Simon, Dickens, Karkada & DeWeese, The eigenlearning framework: a conservation law "
        "perspective on kernel ridge regression and wide neural networks, TMLR 2023",
        "Canatar, Bordelon & Pehlevan, Spectral bias and task-model alignment explain "
        "generalization in kernel regression and infinitely wide neural networks, Nature "
        "Communications 2021",
        "Cohen, Malka & Ringel, Learning curves for overparametrized deep neural networks: "
        "a field theory perspective, Physical Review Research 2021",
    ),
    smoke={"d": 8, "n_min": 10, "n_max": 60, "n_points": 3, "lmax": 12, "gp.seeds": 3,
           "gp.n_test": 200, "network.d": 6, "network.widths": [16, 64], "network.n": [20],
           "network.seeds": 2, "network.max_steps": 200},
)
