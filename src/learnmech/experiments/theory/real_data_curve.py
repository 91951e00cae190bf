"""theory.real-data-curve: learning curves on real images predicted from an estimated spectrum.

On real data the eigenfunctions of the kernel are unknown, so the spectrum is estimated
(Bordelon, Canatar & Pehlevan 2020; :func:`learnmech.theory.estimate_spectrum`): on a pool of
M training images, the eigenvalues of K/M estimate the operator's eigenvalues λ_i, and the
target's power in mode i is
v_i² = Σ_c (u_iᵀ y_c)²/M (u_i the unit eigenvectors, y_c the one-hot column of class c). The
spectral formulas of :mod:`learnmech.theory.curves` then predict the test MSE of kernel
regression trained on n ≪ M pool images, which is measured on the held-out test split (MSE
summed over the C one-hot outputs, averaged over test images and seeds). KARE, which sees only
each training set, is reported beside it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.experiments.theory._common import (
    AGREEMENT_TOLERANCE,
    KernelSection,
    max_over,
    relative_error,
)

#: the pool stands in for the population only while n is a small part of it: the verdict is
#: taken for n <= SMALL_FRACTION × spectrum_n, the error beyond is reported beside it
SMALL_FRACTION = 0.05

RealData = Literal["digits", "fashion-mnist"]


class Config(ExperimentConfig):
    datasets: tuple[RealData, ...] = Field(("digits", "fashion-mnist"), min_length=1,
                                           description="image sets (Fashion-MNIST needs the "
                                                       "Debian package dataset-fashion-mnist)")
    kernel: KernelSection = Field(default_factory=KernelSection, description="the network")
    spectrum_n: int = Field(1300, ge=20, le=20_000,
                            description="pool of training images whose Gram matrix gives the "
                                        "spectrum (training sets are drawn from it)")
    n_min: int = Field(10, ge=2, le=10**5, description="smallest training-set size")
    n_max: int = Field(260, ge=3, le=10**5, description="largest training-set size")
    n_points: int = Field(8, ge=2, le=200, description="measured sizes (log-spaced)")
    seeds: int = Field(50, ge=2, le=1000, description="training sets per size")
    n_test: int = Field(2000, ge=10, le=100_000, description="test images (at most the split)")
    ridge: float = Field(1e-2, gt=0.0, le=1e6,
                         description="ridge δ of kernel regression (K + δI); KARE needs δ > 0")
    normalise: bool = Field(True, description="centre inputs and scale each to norm √d (the "
                                              "sphere convention of the theory lens)")

    @model_validator(mode="after")
    def _check_sizes(self) -> Config:
        if not self.n_min < self.n_max <= self.spectrum_n // 2:
            raise ValueError(f"need n_min < n_max <= spectrum_n / 2; got n_min = {self.n_min}, "
                             f"n_max = {self.n_max}, spectrum_n = {self.spectrum_n}")
        return self


def prepare(config: Config, name: str):
    """(pool inputs (M, D), pool one-hot (M, C), test inputs, test one-hot) as float64."""
    import numpy as np

    from learnmech.nets.data import load_dataset

    data = load_dataset(name, n_train=config.spectrum_n, n_test=config.n_test,
                        seed=config.seed).flat()
    if len(data.X_train) < config.spectrum_n:
        raise ValueError(f"{name} has only {len(data.X_train)} training images; "
                         f"lower spectrum_n (now {config.spectrum_n})")
    X, X_test = data.X_train.astype(np.float64), data.X_test.astype(np.float64)
    if config.normalise:
        mean = X.mean(axis=0)
        X, X_test = _on_sphere(X - mean), _on_sphere(X_test - mean)
    eye = np.eye(data.num_classes)
    return X, eye[data.y_train], X_test, eye[data.y_test]


def _on_sphere(X):
    """Rows scaled to norm √D (the radius where x·x'/D is a cosine)."""
    import numpy as np

    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, 1e-12) * np.sqrt(X.shape[1])


def measure(config: Config, K_pool, Y_pool, K_test_pool, Y_test, sizes):
    """(MSE (seeds, k), KARE (seeds, k)) of kernel regression on pool subsets."""
    import numpy as np

    from learnmech.theory import kare, ridge_coefficients

    rng = np.random.default_rng([config.seed, 11])
    mse = np.empty((config.seeds, len(sizes)))
    risk = np.empty_like(mse)
    for s in range(config.seeds):
        for j, n in enumerate(sizes):
            pick = rng.choice(len(K_pool), size=int(n), replace=False)
            K = K_pool[np.ix_(pick, pick)]
            alpha = ridge_coefficients(K, Y_pool[pick], config.ridge)
            residual = K_test_pool[:, pick] @ alpha - Y_test
            mse[s, j] = np.mean(np.sum(residual**2, axis=1))
            risk[s, j] = kare(K, Y_pool[pick], config.ridge / n)
    return mse, risk


def run(config: Config) -> Result:
    import numpy as np

    from learnmech.core.progress import bar
    from learnmech.theory import curve_from_spectrum, estimate_spectrum, fc_kernel

    sizes = np.unique(np.geomspace(config.n_min, config.n_max, config.n_points).round()
                      .astype(int))
    curve_n = np.geomspace(config.n_min, config.n_max, 200)
    summary, rows, found = {"tolerance": AGREEMENT_TOLERANCE}, [], {}
    for name in bar(config.datasets, desc="data sets", unit="set"):
        X, Y, X_test, Y_test = prepare(config, name)
        K_pool = fc_kernel(X, X, **config.kernel.args())
        K_test_pool = fc_kernel(X_test, X, **config.kernel.args())
        lam, power = estimate_spectrum(K_pool, Y)
        predicted = curve_from_spectrum(lam, power, sizes, ridge=config.ridge)
        curve = curve_from_spectrum(lam, power, curve_n, ridge=config.ridge)
        mse, risk = measure(config, K_pool, Y, K_test_pool, Y_test, sizes)
        mean, stderr = mse.mean(axis=0), mse.std(axis=0, ddof=1) / np.sqrt(config.seeds)
        tag = name.replace("-", "_")
        err = relative_error(predicted, mean)
        summary[f"max_rel_err_eigenlearning_{tag}"] = float(err.max())
        small = sizes <= config.spectrum_n * SMALL_FRACTION
        summary[f"max_rel_err_eigenlearning_small_n_{tag}"] = max_over(err, small)
        summary[f"max_rel_err_kare_{tag}"] = float(relative_error(risk.mean(axis=0), mean).max())
        summary[f"max_rel_stderr_{tag}"] = float((stderr / mean).max())
        summary[f"test_mse_n{sizes[-1]}_{tag}"] = float(mean[-1])
        within = summary[f"max_rel_err_eigenlearning_small_n_{tag}"]
        summary[f"eigenlearning_small_n_{tag}_verdict"] = (
            "holds" if within is not None and within <= AGREEMENT_TOLERANCE else "fails")
        found[name] = (curve, mean, stderr, risk.mean(axis=0), lam)
        for j, n in enumerate(sizes):
            rows += [{"n": int(n), "dataset": name, "metric": m, "value": float(v)} for m, v in
                     (("test_mse", mean[j]), ("test_mse_stderr", stderr[j]),
                      ("kare", risk[:, j].mean()), ("predicted_eigenlearning", predicted[j]))]
    figures = _figure(config, sizes, curve_n, found)
    return Result(summary=summary, metrics=rows, figures=figures, notes=_notes(summary, config))


def _figure(config, sizes, curve_n, found) -> dict:
    """The learning curve per data set and the estimated spectra."""
    return {"real_data_curve": _curve_figure(config, sizes, curve_n, found),
            "estimated_spectra": _spectra_figure(config, found)}


def _curve_figure(config, sizes, curve_n, found):
    """Predicted and measured test MSE against n, one panel per data set (log-log)."""
    import numpy as np

    from learnmech.plots import PALETTE, clipped_error_bars, new_figure, place_legend, style

    with style():
        fig = new_figure((3.8 * len(found), 3.3))
        axes = np.atleast_1d(fig.subplots(1, len(found)))
        for ax, (name, (curve, mean, stderr, risk, _)) in zip(axes, found.items(), strict=True):
            ax.plot(curve_n, curve, color=PALETTE[0], lw=1.6,
                    label="eigenlearning (estimated spectrum)")
            ax.errorbar(sizes, mean, yerr=clipped_error_bars(mean, 2 * stderr, (0.0, None)),
                        fmt="o", color="black", ms=4, capsize=2,
                        label=f"kernel regression ({config.seeds} seeds, ±2 SE)")
            ax.plot(sizes, risk, "x", color=PALETTE[1], label="KARE (training data only)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("training-set size $n$ (images)")
            ax.set_title(name)
        axes[0].set_ylabel("test MSE (one-hot, summed over classes)")
        place_legend(fig, axes[0])
    return fig


def _spectra_figure(config, found):
    """The eigenvalues of K/M by rank, one line per data set (log-log)."""
    import numpy as np

    from learnmech.plots import new_figure, place_legend, series_style, style

    with style():
        fig = new_figure((4.5, 3.2))
        ax = fig.subplots()
        for i, (name, (*_, lam)) in enumerate(found.items()):
            ranked = np.sort(lam)[::-1]
            sty = series_style(i)
            ax.plot(np.arange(1, len(ranked) + 1), np.maximum(ranked, 1e-300), label=name,
                    color=sty["color"], ls=sty["linestyle"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rank $i$ of the eigenvalue")
        ax.set_ylabel("eigenvalue of $K/M$")
        ax.set_title(f"estimated spectra ($M$ = {config.spectrum_n} images)")
        place_legend(fig, ax)
    return fig


def _notes(summary: dict, config: Config) -> str:
    lines = []
    for name in config.datasets:
        tag = name.replace("-", "_")
        small = summary[f"max_rel_err_eigenlearning_small_n_{tag}"]
        lines.append(
            f"{name}: eigenlearning from the spectrum of M = {config.spectrum_n} images is "
            f"within {'n/a' if small is None else f'{100 * small:.1f} %'} of measured kernel "
            f"regression for n <= {SMALL_FRACTION:g} M "
            f"({summary[f'eigenlearning_small_n_{tag}_verdict']} at 5 %) and within "
            f"{100 * summary[f'max_rel_err_eigenlearning_{tag}']:.1f} % up to n = {config.n_max}"
            f" (it turns optimistic as n approaches M: the pool stands in for the population); "
            f"KARE within {100 * summary[f'max_rel_err_kare_{tag}']:.1f} %.")
    return "\n\n".join(lines)


EXPERIMENT = Experiment(
    id="theory.real-data-curve",
    description="learning curves of kernel regression on digits and Fashion-MNIST from an "
                "estimated spectrum",
    config_cls=Config,
    run=run,
    references=(
        "Bordelon, Canatar & Pehlevan, Spectrum dependent learning curves in kernel "
        "regression and wide neural networks, ICML 2020",
        "Simon, Dickens, Karkada & DeWeese, The eigenlearning framework: a conservation law "
        "perspective on kernel ridge regression and wide neural networks, TMLR 2023",
        "Jacot, Şimşek, Spadaro, Hongler & Gabriel, Kernel alignment risk estimator: risk "
        "prediction from training data, NeurIPS 2020",
    ),
    smoke={"datasets": ["digits"], "spectrum_n": 200, "n_min": 10, "n_max": 60, "n_points": 3,
           "seeds": 2, "n_test": 100},
)
