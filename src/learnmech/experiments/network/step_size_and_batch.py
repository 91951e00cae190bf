"""network.step-size-and-batch: speed, sharpness and test accuracy against η and batch size.

Two one-dimensional sweeps of SGD on an MLP: step size η at the configured batch size, and
batch size b at the configured η (``train.lr``). Measured per run: the step (and epoch) at which
training accuracy first reaches 99% ("time to fit", the counterpart of neurashed's compression
time), the final test accuracy, and the sharpness — the top eigenvalue of the training-loss
Hessian at the end of training (Lanczos on Hessian–vector products over a fixed subset of the
training set; :func:`learnmech.probes.curvature.top_hessian_eigenvalues` when present). Full-
batch gradient descent is stable only while sharpness < 2/η (Cohen et al. 2021's edge of
stability); SGD with small batches settles in flatter regions (Keskar et al. 2017; Jastrzębski
et al. 2018: sharpness falls as η/b grows).
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.fitting import log_slope
from learnmech.core.registry import Experiment
from learnmech.core.result import Result
from learnmech.core.rows import with_columns
from learnmech.core.seeding import replicate_seed
from learnmech.core.types import BatchSize, StepSize
from learnmech.experiments.network._common import (
    DataSection,
    NetworkConfig,
    TrainSection,
    Width,
    first_step_at,
    load,
    mean_series,
    train_kwargs,
)

FIT_LEVEL = 0.95


class Config(NetworkConfig):
    data: DataSection = Field(default_factory=lambda: DataSection(n_train=500),
                              description="the data set")
    train: TrainSection = Field(default_factory=lambda: TrainSection(steps=3000, lr=0.1),
                                description="the optimiser (train.lr: η of the batch sweep)")
    width: Width = Field(128, description="hidden width (in [1, 65536])")
    etas: tuple[StepSize, ...] = Field(
        (0.01, 0.03, 0.1, 0.3), min_length=2,
        description="η swept at b = train.batch_size (each in (0, 100])")
    batches: tuple[BatchSize, ...] = Field(
        (8, 32, 128, 500), min_length=2, description="b swept at η = train.lr (each in [1, 10^5])")
    hessian_examples: int = Field(500, ge=10, le=100000,
                                  description="training examples the Hessian is taken over")
    lanczos_iters: int = Field(30, ge=5, le=1000, description="Lanczos iterations (sharpness)")


def run(config: Config) -> Result:
    from learnmech.core.progress import bar

    runs = [("eta", eta, eta, config.train.batch_size) for eta in config.etas]
    runs += [("batch", b, config.train.lr, b) for b in config.batches]
    rows = []
    for axis, value, eta, batch, rep in bar(
            [(*r, s) for r in runs for s in range(config.seeds)], desc="η and b sweep",
            unit="run"):
        rows += with_columns(_one_run(config, eta, batch, rep), sweep=axis, sweep_value=value,
                       seed=rep)
    summary = _summary(config, rows)
    return Result(summary=summary, metrics=rows, figures=_figures(config, summary),
                  notes=_notes(summary))


def _one_run(config: Config, eta: float, batch: int, rep: int) -> list[dict]:
    from learnmech.nets import log_schedule, mlp, train

    seed = replicate_seed(config.seed, rep)
    data = load(config, rep)
    model = mlp(data.input_dim, [config.width], data.num_classes,
                activation=config.activation, seed=seed)
    history = train(model, data, seed=seed,
                    record_at=log_schedule(config.train.steps, config.train.records),
                    **train_kwargs(config, lr=eta, batch_size=batch))
    Xtr, ytr, _, _ = data.to_torch(config.train.device)
    m = min(config.hessian_examples, len(Xtr))
    sharp = float("nan") if history.diverged else top_eigenvalue(
        model, Xtr[:m], ytr[:m], iters=config.lanczos_iters, seed=seed)
    last = config.train.steps
    return history.rows + [{"step": last, "metric": "sharpness", "value": sharp},
                           {"step": last, "metric": "n_train", "value": float(len(Xtr))}]


def top_eigenvalue(model, X, y, *, iters: int, seed: int) -> float:
    """Top eigenvalue of the Hessian of the mean cross-entropy on (X, y) at the current weights."""
    try:
        from learnmech.probes.curvature import top_hessian_eigenvalues
    except ImportError:
        top_hessian_eigenvalues = None
    if top_hessian_eigenvalues is not None:
        return float(top_hessian_eigenvalues(model, X, y, loss="ce", k=1, iters=iters,
                                             seed=seed)[0])
    return _lanczos_top(model, X, y, iters=iters, seed=seed)


def _lanczos_top(model, X, y, *, iters: int, seed: int) -> float:
    """Fallback: scipy ``eigsh`` (Lanczos, which='LA') on autograd Hessian–vector products."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from scipy.sparse.linalg import LinearOperator, eigsh

    params = [p for p in model.parameters() if p.requires_grad]
    loss = F.cross_entropy(model(X), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat = torch.cat([g.reshape(-1) for g in grads])
    n = flat.numel()

    def hvp(v):
        vec = torch.as_tensor(np.asarray(v, dtype=np.float32).ravel(), device=flat.device)
        out = torch.autograd.grad(flat @ vec, params, retain_graph=True)  # H v, per tensor
        return torch.cat([o.reshape(-1) for o in out]).double().cpu().numpy()

    v0 = np.random.default_rng(seed).standard_normal(n)
    value = eigsh(LinearOperator((n, n), matvec=hvp, dtype=np.float64), k=1, which="LA",
                  v0=v0, maxiter=iters * 10, tol=1e-3, ncv=min(n, max(iters, 20)),
                  return_eigenvectors=False)
    return float(value[0])


def _summary(config: Config, rows) -> dict:
    import numpy as np

    summary = {"total_steps": config.train.steps}
    for axis, values in (("eta", config.etas), ("batch", config.batches)):
        fit_steps, fit_epochs, sharp = [], [], []
        for v in values:
            chosen = [r for r in rows if r["sweep"] == axis and r["sweep_value"] == v]
            steps, acc = mean_series(chosen, "train_acc")
            found = first_step_at(steps, acc, FIT_LEVEL)
            n_train = next(r["value"] for r in chosen if r["metric"] == "n_train")
            batch = v if axis == "batch" else config.train.batch_size
            epochs = None if found is None else found * min(batch, n_train) / n_train
            s = float(np.nanmean([r["value"] for r in chosen if r["metric"] == "sharpness"]))
            _, test = mean_series(chosen, "test_acc")
            summary[f"steps_to_fit_{axis}_{v:g}"] = found
            summary[f"sharpness_{axis}_{v:g}"] = s
            summary[f"test_acc_{axis}_{v:g}"] = float(np.nanmean(test[:, -1]))
            fit_steps.append(found)
            fit_epochs.append(epochs)
            sharp.append(s)
        summary[f"fit_steps_slope_{axis}"] = log_slope(values, fit_steps)
        summary[f"sharpness_slope_{axis}"] = log_slope(values, sharp)
        if axis == "batch":
            summary["fit_epochs_slope_batch"] = log_slope(values, fit_epochs)
    etas = config.etas
    ratios = [summary[f"sharpness_eta_{e:g}"] * e / 2 for e in etas]
    summary["sharpness_times_eta_over_2_max"] = float(np.nanmax(ratios))
    slope_eta, slope_b = summary["sharpness_slope_eta"], summary["sharpness_slope_batch"]
    summary["larger_eta_flatter_verdict"] = "holds" if slope_eta is not None and \
        slope_eta < 0 else "fails"
    summary["larger_batch_sharper_verdict"] = "holds" if slope_b is not None and \
        slope_b > 0 else "fails"
    summary["below_edge_of_stability_verdict"] = "holds" if summary[
        "sharpness_times_eta_over_2_max"] <= 1.1 else "fails"
    return summary


def _figures(config: Config, summary) -> dict:
    import numpy as np

    from learnmech import plots as fig

    out = {}
    for axis, values, label in (("eta", config.etas, "step size η"),
                                ("batch", config.batches, "batch size b")):
        sharp = [summary[f"sharpness_{axis}_{v:g}"] for v in values]
        ys, labels = [sharp], [r"sharpness $\lambda_{\max}$ (end of training)"]
        if axis == "eta":
            ys.append([2 / e for e in values])
            labels.append("2/η (full-batch stability limit)")
        out[f"sharpness_vs_{axis}"] = fig.sweep_plot(
            values, ys, labels=labels, xlabel=label, ylabel="top Hessian eigenvalue",
            logx=True, logy=bool(np.nanmin(np.asarray(sharp, dtype=float)) > 0))
        steps = np.array([summary[f"steps_to_fit_{axis}_{v:g}"] or np.nan for v in values],
                         dtype=float)
        out[f"time_to_fit_vs_{axis}"] = fig.sweep_plot(
            values, [steps], labels=[f"steps to {FIT_LEVEL:.0%} train accuracy"], xlabel=label,
            ylabel="training steps (missing: not reached)", logx=True,
            logy=bool(np.any(np.isfinite(steps) & (steps > 0))))
        out[f"test_acc_vs_{axis}"] = fig.sweep_plot(
            values, [[summary[f"test_acc_{axis}_{v:g}"] for v in values]],
            labels=["final test accuracy"], xlabel=label, ylabel="accuracy", logx=True)
    return out


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _notes(summary) -> str:
    return (
        f"Time to {FIT_LEVEL:.0%} training accuracy scales with η with log-slope "
        f"{_fmt(summary['fit_steps_slope_eta'])} and with b with log-slope "
        f"{_fmt(summary['fit_steps_slope_batch'])} (in epochs: "
        f"{_fmt(summary['fit_epochs_slope_batch'])}). Sharpness at the end scales with η with "
        f"log-slope {_fmt(summary['sharpness_slope_eta'])} and with b with log-slope "
        f"{_fmt(summary['sharpness_slope_batch'])}; the largest λ_max·η/2 is "
        f"{summary['sharpness_times_eta_over_2_max']:.2f} (1 = edge of stability)."
    )


EXPERIMENT = Experiment(
    id="network.step-size-and-batch",
    description="network: time to fit, sharpness and test accuracy against η and batch size",
    config_cls=Config,
    run=run,
    references=(
        "Cohen, Kaur, Li, Kolter & Talwalkar, Gradient descent on neural networks typically "
        "occurs at the edge of stability, ICLR 2021",
        "Keskar et al., On large-batch training for deep learning: generalization gap and "
        "sharp minima, ICLR 2017",
        "Jastrzębski et al., Three factors influencing minima in SGD, arXiv 1711.04623 "
        "(2018)",
    ),
    smoke={"seeds": 1, "width": 32, "train.steps": 150, "train.records": 6,
           "etas": (0.05, 0.2), "batches": (16, 64), "data.n_train": 150, "data.n_test": 100,
           "hessian_examples": 100, "lanczos_iters": 10},
)
