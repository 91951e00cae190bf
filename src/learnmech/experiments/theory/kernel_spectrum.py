"""theory.kernel-spectrum: eigenvalues against degree for depths and activations.

A dot-product kernel on S^{d−1} acts on degree-l spherical harmonics with eigenvalue λ_l (each of
multiplicity N(d, l)). Two facts set the "entropic" bias of wide networks to low degrees: λ_l
falls fast with l, and N(d, l) grows like d^l, so the modes of degree l cannot be learned before
n reaches about the number of modes of lower degree. This experiment computes λ_l by
Gauss–Gegenbauer quadrature for every (activation, depth), checks them against the eigenvalues
of an empirical Gram matrix K/n on n uniform points (which cluster at λ_l with multiplicity
N(d, l), shifted by the unresolved tail), and reports, from eigenlearning, the n at which each
degree is half learned (κ(n) = λ_l) against the cumulative multiplicity Σ_{l'≤l} N(d, l').
"""

from __future__ import annotations

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.spec import Section
from learnmech.experiments.theory._common import Activation, KernelSection, relative_error

GRAM_TOLERANCE = 0.05  # relative, per degree, Gram-cluster mean against λ_l (plus the floor)


class SweepSection(Section):
    """The networks compared."""

    depths: tuple[int, ...] = Field((2, 4, 8), min_length=1,
                                    description="depths (dense layers, each in [1, 64])")
    activations: tuple[Activation, ...] = Field(("relu", "erf", "tanh"), min_length=1,
                                                description="nonlinearities")


class Config(ExperimentConfig):
    d: int = Field(10, ge=2, le=10_000, description="input dimension (sphere S^{d−1})")
    lmax: int = Field(8, ge=1, le=200, description="highest degree shown")
    kernel: KernelSection = Field(
        default_factory=KernelSection,
        description="σ_w², σ_b², kind; its depth and activation are those of the Gram check")
    sweep: SweepSection = Field(default_factory=SweepSection, description="depths, activations")
    gram_n: int = Field(2000, ge=10, le=50_000,
                        description="points of the empirical Gram matrix check")
    gram_degrees: int = Field(3, ge=0, le=20,
                              description="degrees checked against the Gram matrix (0..this)")

    @model_validator(mode="after")
    def _check_gram(self) -> Config:
        """The Gram check needs its degrees computed and their modes fewer than its points."""
        from learnmech.theory import harmonic_multiplicity

        if self.gram_degrees > self.lmax:
            raise ValueError(f"gram_degrees: must be at most lmax = {self.lmax} (only degrees "
                             f"0..lmax are computed); got {self.gram_degrees}")
        modes = sum(int(harmonic_multiplicity(self.d, degree))
                    for degree in range(self.gram_degrees + 1))
        if modes > self.gram_n:
            raise ValueError(
                f"gram_n: must be at least the {modes} spherical-harmonic modes of degrees "
                f"0..gram_degrees = {self.gram_degrees} in d = {self.d} (raise gram_n, or lower "
                f"gram_degrees or d); got {self.gram_n}")
        return self


def spectrum(config: Config, activation: str, depth: int):
    """(λ (lmax+1,), N (lmax+1,), k(1)) with unresolved degrees set to 0."""
    import numpy as np

    from learnmech.theory import dot_product_kernel, harmonic_multiplicity, sphere_eigenvalues
    from learnmech.theory.curves import resolved_eigenvalues

    args = {**config.kernel.args(), "activation": activation, "depth": depth}

    def k(t):
        return dot_product_kernel(t, d=config.d, **args)

    mult = np.asarray(harmonic_multiplicity(config.d, np.arange(config.lmax + 1)), dtype=float)
    k1 = float(np.real(k(np.array(1.0))))
    lam = resolved_eigenvalues(sphere_eigenvalues(k, d=config.d, lmax=config.lmax), mult, k1)
    return lam, mult, k1


def half_learned_n(lam, mult, k1):
    """n at which eigenlearning's κ(n) = λ_l, per degree (tail mass as ridge): closed form.

    From Σ_i λ_i/(λ_i+κ) + δ/κ = n at κ = λ_l.
    """
    import numpy as np

    delta = max(k1 - float(np.sum(mult * lam)), 0.0)
    out = np.full(len(lam), np.inf)
    for l, kappa in enumerate(lam):
        if kappa > 0:
            out[l] = float(np.sum(mult * lam / (lam + kappa)) + delta / kappa)
    return out


def gram_check(config: Config):
    """(cluster means (L+1,), predicted (L+1,), sorted eigenvalues of K/n) for the default net.

    The top N(d,0)+…+N(d,L) eigenvalues of K/n are split into consecutive groups of sizes
    N(d, l); each group's mean is compared with λ_l + floor, floor = (k(1) − Σ_{l≤lmax} N λ_l)/n
    … the unresolved high-degree part of K is close to a multiple of the identity, (tail)·I,
    which adds tail/n to every eigenvalue of K/n.
    """
    import numpy as np

    from learnmech.theory import fc_kernel, uniform_sphere

    X = uniform_sphere(config.gram_n, config.d, seed=np.random.default_rng([config.seed, 7]))
    K = fc_kernel(X, X, **config.kernel.args())
    eig = np.sort(np.linalg.eigvalsh(K / config.gram_n))[::-1]
    lam, mult, k1 = spectrum(config, config.kernel.activation, config.kernel.depth)
    top = config.gram_degrees
    sizes = mult[: top + 1].astype(int)
    if sizes.sum() > config.gram_n:
        raise ValueError(f"gram_n = {config.gram_n} is below the {sizes.sum()} modes of degrees "
                         f"0..{top} in d = {config.d}; raise gram_n or lower gram_degrees")
    edges = np.concatenate([[0], np.cumsum(sizes)])
    measured = np.array([eig[a:b].mean() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    floor = (k1 - float(np.sum((mult * lam)[: top + 1]))) / config.gram_n
    return measured, lam[: top + 1] + floor, eig


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.core.progress import bar

    table, rows, summary = {}, [], {}
    combos = [(a, L) for a in config.sweep.activations for L in config.sweep.depths]
    for activation, depth in bar(combos, desc="spectra", unit="kernel"):
        lam, mult, k1 = spectrum(config, activation, depth)
        n_half = half_learned_n(lam, mult, k1)
        table[activation, depth] = (lam, mult, k1, n_half)
        tag = f"{activation}_L{depth}"
        summary[f"lambda1_over_lambda0_{tag}"] = float(lam[1] / lam[0])
        summary[f"mass_above_degree2_{tag}"] = float((k1 - np.sum((mult * lam)[:3])) / k1)
        for l in range(config.lmax + 1):
            rows += [{"degree": l, "activation": activation, "depth": depth, "metric": m,
                      "value": float(v)} for m, v in (("eigenvalue", lam[l]),
                                                      ("multiplicity", mult[l]),
                                                      ("half_learned_n", n_half[l]))]
    measured, predicted, eig = gram_check(config)
    err = relative_error(predicted, measured)
    summary["gram_max_rel_err"] = float(err.max())
    summary["gram_tolerance"] = GRAM_TOLERANCE
    summary["gram_verdict"] = "holds" if err.max() <= GRAM_TOLERANCE else "fails"
    rows += [{"degree": l, "metric": "gram_cluster_mean", "value": float(m)}
             for l, m in enumerate(measured)]
    # A provable floor (n ≥ Σ_{l'<l} N L + N_l/2 > cum_l / 2) — the entropic bias — over
    # every kernel of the sweep
    summary["half_learned_over_cumulative_min"] = min(
        _half_learned_over_cumulative(mult, n_half) for _, mult, _, n_half in table.values())
    decreasing = all(np.all(np.diff(t[0][t[0] > 0]) < 0) for t in table.values())
    summary["eigenvalues_decrease_with_degree"] = bool(decreasing)
    figures = _figures(config, table, measured, predicted, eig)
    return Result(summary=summary, metrics=rows, figures=figures, notes=_notes(summary, config))


def _figures(config, table, measured, predicted, eig) -> dict:
    """The eigenvalues by degree, the degree-by-degree learning floor and the Gram check."""
    return {"eigenvalues": _eigenvalue_figure(config, table),
            "half_learned": _half_learned_figure(table),
            "gram_spectrum": _gram_figure(config, table, predicted, eig)}


def _eigenvalue_figure(config, table):
    """λ_l against l, one panel per activation, one line per depth (log y)."""
    import numpy as np

    from learnmech.plots import new_figure, place_legend, series_style, style

    acts = config.sweep.activations
    degrees = np.arange(config.lmax + 1)
    with style():
        fig = new_figure((3.4 * len(acts), 3.2))
        axes = np.atleast_1d(fig.subplots(1, len(acts), sharey=True))
        for ax, activation in zip(axes, acts, strict=True):
            for i, depth in enumerate(config.sweep.depths):
                lam = table[activation, depth][0]
                keep = lam > 0
                ax.plot(degrees[keep], lam[keep], ms=3.5, label=f"depth {depth}",
                        **series_style(i))
            ax.set_yscale("log")
            ax.set_title(f"{activation} {config.kernel.kind.upper()}")
            ax.set_xlabel("degree $l$")
        axes[0].set_ylabel(rf"eigenvalue $\lambda_l$ on $S^{{{config.d - 1}}}$")
        place_legend(fig, axes[0])
    return fig


def _half_learned_figure(table):
    """The n at which each degree is half learned against the modes of lower degree."""
    import numpy as np

    from learnmech.plots import new_figure, place_legend, series_style, style

    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        for i, ((activation, depth), (_, mult, _, n_half)) in enumerate(table.items()):
            ok = np.isfinite(n_half)
            ax.plot(np.cumsum(mult)[ok], n_half[ok], ms=3, label=f"{activation}, depth {depth}",
                    **series_style(i))
        ax.set_xscale("log")
        ax.set_yscale("log")
        lims = np.array(ax.get_xlim())
        ax.plot(lims, lims / 2, color="black", ls=":", lw=1,
                label=r"floor $n = \frac{1}{2}\sum_{l' \leq l} N(d, l')$")
        ax.set_xlabel(r"modes of degree $\leq l$, $\sum_{l' \leq l} N(d, l')$")
        ax.set_ylabel("training-set size $n$ at which\ndegree $l$ is half learned")
        ax.set_title("the entropic bias: degree by degree")
        place_legend(fig, ax)
    return fig


def _gram_figure(config, table, predicted, eig):
    """The empirical Gram spectrum against λ_l + tail/n per degree."""
    import numpy as np

    from learnmech.plots import PALETTE, new_figure, place_legend, style

    _, mult, _, _ = table.get((config.kernel.activation, config.kernel.depth),
                              next(iter(table.values())))
    edges = np.concatenate([[0], np.cumsum(mult[: len(predicted)])])
    with style():
        fig = new_figure((4.8, 3.4))
        ax = fig.subplots()
        ax.plot(np.arange(1, len(eig) + 1), np.maximum(eig, 1e-300), ".", ms=2,
                color=PALETTE[0], label=f"eigenvalues of $K/n$, $n$ = {config.gram_n}")
        for l, value in enumerate(predicted):
            ax.hlines(value, edges[l] + 1, edges[l + 1], color=PALETTE[1], lw=2,
                      label=r"$\lambda_l$ + tail/$n$ (quadrature)" if l == 0 else None)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rank $i$ of the eigenvalue")
        ax.set_ylabel("eigenvalue")
        ax.set_title(f"{config.kernel.activation}, depth {config.kernel.depth}: "
                     "Gram matrix against the sphere spectrum")
        place_legend(fig, ax)
    return fig


def _half_learned_over_cumulative(mult, n_half) -> float:
    """min over degrees l of n_half(l) / Σ_{l' ≤ l} N(d, l'): shapes (lmax + 1,); degrees never
    half learned (n_half not finite) are skipped."""
    import numpy as np

    ok = np.isfinite(n_half)
    return float(np.min(n_half[ok] / np.cumsum(mult)[ok]))


def _notes(summary: dict, config: Config) -> str:
    return (
        f"Eigenvalues against degree for depths {list(config.sweep.depths)} and activations "
        f"{list(config.sweep.activations)} in d = {config.d}. The means of the empirical Gram "
        f"matrix's eigenvalue clusters match λ_l + tail/n within "
        f"{100 * summary['gram_max_rel_err']:.2f} % for degrees 0–{config.gram_degrees} "
        f"({summary['gram_verdict']} at {100 * GRAM_TOLERANCE:.0f} %). Each degree is half learned "
        f"only once n exceeds at least {summary['half_learned_over_cumulative_min']:.2f} × the "
        "number of modes of that and lower degrees, for every kernel of the sweep: wide "
        "networks learn degree by degree."
    )


EXPERIMENT = Experiment(
    id="theory.kernel-spectrum",
    description="sphere eigenvalues against degree for depths and activations; Gram-matrix check",
    config_cls=Config,
    run=run,
    references=(
        "Jacot, Gabriel & Hongler, Neural tangent kernel: convergence and generalization in "
        "neural networks, NeurIPS 2018",
        "Lee et al., Deep neural networks as Gaussian processes, ICLR 2018",
        "Simon, Dickens, Karkada & DeWeese, The eigenlearning framework: a conservation law "
        "perspective on kernel ridge regression and wide neural networks, TMLR 2023",
    ),
    smoke={"d": 5, "lmax": 4, "sweep.depths": [2, 3], "sweep.activations": ["relu", "erf"],
           "gram_n": 300, "gram_degrees": 2},
)
