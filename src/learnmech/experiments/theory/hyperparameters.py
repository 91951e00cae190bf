"""theory.hyperparameters: choose a network from its kernel, then check the choice by training.

Cohen, Malka & Ringel claim the learning-curve prediction is good enough to choose
hyperparameters. Here Optuna (TPE, seeded) minimises the eigenlearning prediction of the test
MSE at a given n over (σ_w², σ_b², depth, activation) — each evaluation is a sphere spectrum
and a few sums. Then the chosen and the default networks are held to account twice on the same
training sets: by exact NTK regression (their infinite-width limit, many seeds) and by finite
NTK-parameterised networks trained by gradient descent (centred, MSE). The verdict says whether
theory's choice beats the default when trained.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from learnmech.core.config import ExperimentConfig
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.spec import Section
from learnmech.experiments.theory._common import (
    Activation,
    KernelSection,
    TargetSection,
    sphere_kernel,
    sphere_problem,
    train_centred_network,
)


class SearchSection(Section):
    """The search space and budget of the Optuna study."""

    trials: int = Field(60, ge=1, le=100_000, description="Optuna trials")
    activations: tuple[Activation, ...] = Field(("relu", "erf", "tanh"), min_length=1,
                                                description="activations searched")
    depth_max: int = Field(8, ge=2, le=32, description="depths searched: 2..depth_max")
    sigma_w2_range: tuple[float, float] = Field(
        (0.25, 4.0), description="σ_w² searched (log-uniform), 0 < low < high")
    sigma_b2_max: float = Field(2.0, ge=0.0, le=100.0, description="σ_b² searched in [0, max]")

    @model_validator(mode="after")
    def _check_range(self) -> SearchSection:
        low, high = self.sigma_w2_range
        if not 0 < low < high <= 100:
            raise ValueError(f"sigma_w2_range must satisfy 0 < low < high <= 100; got "
                             f"{[low, high]}")
        return self


class TrainSection(Section):
    """How the chosen and default networks are checked."""

    kernel_seeds: int = Field(40, ge=2, le=10_000,
                              description="training sets for exact NTK regression")
    width: int = Field(256, ge=1, le=100_000, description="width of the trained networks")
    network_seeds: int = Field(8, ge=0, le=1000,
                               description="trained networks per setting (0: none)")
    tol: float = Field(1e-3, gt=0.0, lt=1.0, description="relative residual aimed at")
    max_steps: int = Field(4000, ge=1, le=10**7, description="cap on gradient steps")
    n_test: int = Field(2000, ge=10, le=10**6, description="test points")


def _default_target() -> TargetSection:
    return TargetSection(degrees=(1, 2, 3), powers=(0.5, 0.3, 0.2))


class Config(ExperimentConfig):
    d: int = Field(20, ge=2, le=10_000, description="input dimension (sphere S^{d−1})")
    n: int = Field(200, ge=2, le=10**6, description="training-set size the choice is made for")
    lmax: int = Field(20, ge=1, le=200, description="highest degree eigenlearning keeps")
    target: TargetSection = Field(default_factory=_default_target, description="the target")
    default: KernelSection = Field(default_factory=KernelSection,
                                   description="the default network theory's choice must beat")
    search: SearchSection = Field(default_factory=SearchSection, description="the search")
    check: TrainSection = Field(default_factory=TrainSection, description="the check")


def predicted_mse(config: Config, kernel: KernelSection) -> float:
    """Eigenlearning's test MSE at n for this network's NTK."""
    from learnmech.theory import learning_curve

    k, _ = sphere_kernel(kernel, config.d)
    return float(learning_curve(kernel=k, d=config.d, target_power=config.target.power(),
                                n=[config.n], lmax=config.lmax, noise=config.target.noise)[0])


def search(config: Config):
    """(best KernelSection, list of (trial number, params, predicted MSE))."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    low, high = config.search.sigma_w2_range

    def objective(trial) -> float:
        kernel = KernelSection(
            depth=trial.suggest_int("depth", 2, config.search.depth_max),
            activation=trial.suggest_categorical("activation", list(config.search.activations)),
            sigma_w2=trial.suggest_float("sigma_w2", low, high, log=True),
            sigma_b2=trial.suggest_float("sigma_b2", 0.0, config.search.sigma_b2_max),
        )
        return predicted_mse(config, kernel)

    sampler = optuna.samplers.TPESampler(seed=config.seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    if config.default.activation in config.search.activations:  # the default is trial 0
        study.enqueue_trial({"depth": config.default.depth,
                             "activation": config.default.activation,
                             "sigma_w2": config.default.sigma_w2,
                             "sigma_b2": config.default.sigma_b2})
    study.optimize(objective, n_trials=config.search.trials)
    best = KernelSection(**study.best_params)
    history = [(t.number, t.params, t.value) for t in study.trials]
    return best, history


def check(config: Config, kernels: dict[str, KernelSection]):
    """name -> {"kernel": (kernel_seeds,), "network": (network_seeds,)} test MSEs.

    The same training sets (targets, inputs) for every network, so differences are paired.
    """
    import numpy as np

    from learnmech.core.progress import bar
    from learnmech.theory import ridge_coefficients

    def draw(s):
        rng = np.random.default_rng([config.seed, 5, s])
        return sphere_problem(config.d, config.target, rng, config.n, config.check.n_test)

    found = {name: {"kernel": [], "network": []} for name in kernels}
    for s in bar(range(config.check.kernel_seeds), desc="NTK regression", unit="seed"):
        X, y, X_test, f_test = draw(s)
        for name, kernel in kernels.items():
            _, gram = sphere_kernel(kernel.model_copy(update={"kind": "ntk"}), config.d)
            pred = gram(X_test, X) @ ridge_coefficients(gram(X, X), y, 0.0)
            found[name]["kernel"].append(float(np.mean((pred - f_test) ** 2)))
    jobs = [(s, name) for s in range(config.check.network_seeds) for name in kernels]
    for s, name in bar(jobs, desc="trained networks", unit="net"):
        X, y, X_test, f_test = draw(s)
        out = train_centred_network(kernels[name], X, y, X_test, f_test,
                                    width=config.check.width, tol=config.check.tol,
                                    max_steps=config.check.max_steps, torch_seed=1000 * s + 1)
        found[name]["network"].append(out["network_mse"])
    return {name: {k: np.array(v) for k, v in d.items()} for name, d in found.items()}


def run(config: Config) -> Result:
    import numpy as np

    best, history = search(config)
    kernels = {"theory": best, "default": config.default}
    predicted = {name: predicted_mse(config, k) for name, k in kernels.items()}
    measured = check(config, kernels)
    summary = {f"chosen_{key}": value for key, value in best.args().items() if key != "kind"}
    for name in kernels:
        summary[f"predicted_mse_{name}"] = predicted[name]
        for lens in ("kernel", "network"):
            values = measured[name][lens]
            summary[f"{lens}_mse_{name}"] = float(values.mean()) if values.size else None
    for lens in ("kernel", "network"):
        diff = measured["default"][lens] - measured["theory"][lens]  # paired, > 0: theory wins
        if diff.size >= 2:
            se = float(diff.std(ddof=1) / np.sqrt(diff.size))
            summary[f"{lens}_advantage"] = float(diff.mean())
            summary[f"{lens}_advantage_stderr"] = se
            summary[f"theory_choice_wins_{lens}_verdict"] = (
                "holds" if diff.mean() > 2 * se else "fails")
    summary["trials"] = len(history)
    rows = [{"trial": number, "metric": "predicted_mse", "value": value,
             **{k: v for k, v in params.items()}} for number, params, value in history]
    for name in kernels:
        for lens in ("kernel", "network"):
            rows += [{"seed": s, "setting": name, "metric": f"{lens}_mse", "value": float(v)}
                     for s, v in enumerate(measured[name][lens])]
    figures = _figures(config, history, predicted, measured)
    return Result(summary=summary, metrics=rows, figures=figures, notes=_notes(summary))


def _figures(config, history, predicted, measured) -> dict:
    """The search (each trial, best so far) and theory's choice against the default."""
    import numpy as np

    from learnmech.plots import PALETTE, clipped_error_bars, new_figure, place_legend, style

    with style():
        fig = new_figure((9.0, 3.4))
        left, right = fig.subplots(1, 2)
        values = np.array([v for _, _, v in history])
        acts = sorted({p["activation"] for _, p, _ in history})
        for i, act in enumerate(acts):
            picked = [(n, v) for n, p, v in history if p["activation"] == act]
            left.plot(*zip(*picked, strict=True), "o", ms=3, color=PALETTE[i % len(PALETTE)],
                      label=act)
        left.plot(np.arange(len(values)), np.minimum.accumulate(values), color="black", lw=1,
                  label="best so far")
        left.set_xlabel("trial number")
        left.set_ylabel(f"predicted test MSE at $n$ = {config.n}")
        left.set_title("Optuna search on the prediction")
        place_legend(fig, left, where="right")
        names = list(predicted)
        x = np.arange(len(names))
        right.bar(x - 0.25, [predicted[n] for n in names], 0.25, color=PALETTE[0],
                  label="predicted")
        for offset, lens, label, colour in (
                (0.0, "kernel", "NTK regression", PALETTE[1]),
                (0.25, "network", f"trained, width {config.check.width}", PALETTE[2])):
            vals = [measured[n][lens] for n in names]
            if all(v.size for v in vals):
                means = [v.mean() for v in vals]
                halves = [2 * v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0
                          for v in vals]
                right.bar(x + offset, means, 0.25, label=label, color=colour,
                          yerr=clipped_error_bars(means, halves, (0.0, None)))
        right.set_xticks(x, [f"{n}" for n in names])
        right.set_xlabel("hyperparameters")
        right.set_ylabel("test MSE")
        right.set_title("theory's choice against the default")
        place_legend(fig, right, where="right")
    return {"hyperparameters": fig}


def _notes(summary: dict) -> str:
    chosen = ", ".join(f"{k[7:]} = {summary[k]:.3g}" if isinstance(summary[k], float)
                       else f"{k[7:]} = {summary[k]}" for k in summary if k.startswith("chosen_"))
    lines = [f"Theory's choice ({chosen}) predicts {summary['predicted_mse_theory']:.4f} against "
             f"the default's {summary['predicted_mse_default']:.4f}."]
    for lens, label in (("kernel", "NTK regression"), ("network", "trained networks")):
        if f"{lens}_advantage" in summary:
            lines.append(
                f"{label}: default − theory = {summary[f'{lens}_advantage']:.4f} ± "
                f"{summary[f'{lens}_advantage_stderr']:.4f} (paired, 1 SE) — theory's choice "
                f"wins: {summary[f'theory_choice_wins_{lens}_verdict']}.")
    return "\n\n".join(lines)


EXPERIMENT = Experiment(
    id="theory.hyperparameters",
    description="choose σ_w², σ_b², depth and activation by the predicted error (Optuna); "
                "check by training",
    config_cls=Config,
    run=run,
    references=(
        "Cohen, Malka & Ringel, Learning curves for overparametrized deep neural networks: "
        "a field theory perspective, Physical Review Research 2021",
        "Simon, Dickens, Karkada & DeWeese, The eigenlearning framework: a conservation law "
        "perspective on kernel ridge regression and wide neural networks, TMLR 2023",
        "Jacot, Gabriel & Hongler, Neural tangent kernel: convergence and generalization in "
        "neural networks, NeurIPS 2018",
        "Akiba, Sano, Yanase, Ohta & Koyama, Optuna: a next-generation hyperparameter "
        "optimization framework, KDD 2019",
    ),
    smoke={"d": 6, "n": 20, "lmax": 8, "search.trials": 4, "search.activations": ["relu", "erf"],
           "search.depth_max": 3, "check.kernel_seeds": 3, "check.width": 16,
           "check.network_seeds": 2, "check.max_steps": 100, "check.n_test": 100},
)
