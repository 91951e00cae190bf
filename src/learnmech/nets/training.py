"""One training loop for every network experiment: optimiser, batches, schedule, noise, hooks.

Conventions (stated once; the experiments and probes point here):

* **Time** is counted in optimiser steps (updates). Step 0 is the initial network; a record at
  step t is taken after t updates. :func:`log_schedule` spaces records logarithmically.
* **Losses** (:func:`loss_function`): ``"ce"`` is the mean cross-entropy of the logits;
  ``"mse"`` is the mean over examples of ½‖f(x) − t‖², with t the one-hot label for a
  classification set and the scalar target (output of shape (n, 1) or (n,)) for regression.
* **Batches**: ``batch_size=None`` is full-batch gradient descent; otherwise each epoch visits a
  fresh random permutation of the training set in consecutive batches (the last short batch
  dropped when the set does not divide), drawn from the run's ``torch.Generator``.
* **Label noise** ε: ``round(ε n)`` training examples, chosen at random, get a label drawn
  uniformly from the *other* classes; the mask is ``History.flipped``. Test labels are clean.
* **Seeds**: one ``seed`` drives the flips (numpy) and the batches (torch). Initial weights are
  drawn when the model is built (``mlp(..., seed=)``), not here.
* **Threads**: :func:`default_threads` sets one torch thread unless ``LEARNMECH_TORCH_THREADS``
  says otherwise (small batches on 2 cores run 10–25× slower with two threads).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from learnmech.nets.data import Dataset

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "SCHEDULES",
    "History",
    "TrainState",
    "default_threads",
    "evaluate",
    "flip_labels",
    "log_schedule",
    "loss_function",
    "seed_everything",
    "sequential_tasks",
    "train",
]

LOSSES = ("ce", "mse")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "step")
EVAL_CHUNK = 4096  # examples per forward pass when evaluating


def default_threads() -> int:
    """Set torch's intra-op threads to ``LEARNMECH_TORCH_THREADS`` (default 1); return it."""
    text = os.environ.get("LEARNMECH_TORCH_THREADS", "1").strip()
    threads = int(text) if text.isdigit() and int(text) > 0 else 1
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's global RNG with ``seed`` and return a CPU ``torch.Generator`` seeded alike."""
    torch.manual_seed(int(seed))
    return torch.Generator().manual_seed(int(seed))


def log_schedule(total_steps: int, points: int) -> np.ndarray:
    """Record steps: unique ints in [0, total], log-spaced, always holding 0 and ``total``.

    Parameters
    ----------
    total_steps : int
        Last step (``>= 0``).
    points : int
        Requested number of records (``>= 2``); fewer come back when integers collide at
        small steps.

    Returns
    -------
    np.ndarray of int64, sorted, strictly increasing.
    """
    total, points = int(total_steps), int(points)
    if total < 0 or points < 2:
        raise ValueError(f"log_schedule: total_steps must be >= 0 and points >= 2; got "
                         f"{total_steps}, {points}")
    if total == 0:
        return np.zeros(1, dtype=np.int64)
    inner = np.geomspace(1, total, points - 1) if points > 2 else np.zeros(0)
    return np.unique(np.concatenate([[0], np.round(inner).astype(np.int64), [total]]))


def loss_function(loss: str, num_classes: int) -> Callable[[torch.Tensor, torch.Tensor],
                                                           torch.Tensor]:
    """``loss(outputs (n, C), labels (n,)) -> mean loss`` (see the module docstring)."""
    import torch.nn.functional as F

    if loss == "ce":
        if num_classes < 1:
            raise ValueError("loss='ce' needs a classification set (num_classes >= 1)")
        return F.cross_entropy
    if loss == "mse":
        def mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            if num_classes > 0:  # ½‖f − onehot‖², mean over examples
                target = F.one_hot(y, out.shape[-1]).to(out.dtype)
            else:
                out = out.reshape(len(y))
                target = y.to(out.dtype)
            return 0.5 * ((out - target) ** 2).reshape(len(y), -1).sum(1).mean()
        return mse
    raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}")


def flip_labels(y: np.ndarray, num_classes: int, rate: float, rng: np.random.Generator):
    """(noisy labels, flipped mask): ``round(rate n)`` labels moved to a uniform other class."""
    y = np.asarray(y, dtype=np.int64)
    if not 0.0 <= rate < 1.0 or num_classes < 2:
        raise ValueError(f"label_noise must be in [0, 1) on a set of >= 2 classes; got {rate}")
    flipped = np.zeros(len(y), dtype=bool)
    flipped[rng.choice(len(y), size=int(round(rate * len(y))), replace=False)] = True
    noisy = y.copy()
    shift = rng.integers(1, num_classes, size=int(flipped.sum()))  # never 0: always another
    noisy[flipped] = (y[flipped] + shift) % num_classes
    return noisy, flipped


@dataclass
class TrainState:
    """What a hook sees at a record (mutable; hooks should only read it).

    Attributes
    ----------
    step : int
        Updates done so far.
    lr : float
        Learning rate of the last update (the base ``lr`` at step 0).
    batch_loss : float
        Loss of the last mini-batch (NaN at step 0).
    tensors : tuple
        ``(X_train, y_train_used, X_test, y_test)`` on the device; ``y_train_used`` carries
        the flipped labels when there is label noise.
    optimizer : SGD, Adam or AdamW
        This module's optimiser (``.lr`` the current learning rate).
    loss_fn : callable
        ``loss_fn(outputs, labels)`` (see :func:`loss_function`).
    data : Dataset
        The data set as given.
    """

    step: int
    lr: float
    batch_loss: float
    tensors: tuple
    optimizer: Any
    loss_fn: Callable
    data: Dataset


Hook = Callable[[int, nn.Module, TrainState], dict[str, float]]


@dataclass
class History:
    """What :func:`train` recorded.

    Attributes
    ----------
    rows : list of dict
        Long format: ``{"step": int, "metric": str, "value": float}`` (plus any extra columns
        a caller adds).
    flipped : np.ndarray of bool, shape (n_train,), or None
        Which training labels were flipped (None without label noise).
    noisy_labels : np.ndarray of int64, shape (n_train,), or None
        The labels trained on, when some were flipped.
    diverged : bool
        Training stopped early because the loss became non-finite.
    """

    rows: list[dict] = field(default_factory=list)
    flipped: np.ndarray | None = None
    noisy_labels: np.ndarray | None = None
    diverged: bool = False

    def series(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps (T,), values (T,)) of one metric, in recording order."""
        found = [(r["step"], r["value"]) for r in self.rows if r["metric"] == metric]
        if not found:
            raise KeyError(f"metric {metric!r} was not recorded; recorded: "
                           f"{sorted({r['metric'] for r in self.rows})}")
        steps, values = zip(*found, strict=True)
        return np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=float)

    def final(self, metric: str) -> float:
        """The last recorded value of ``metric``."""
        return float(self.series(metric)[1][-1])


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn, *,
             classification: bool) -> dict[str, Any]:
    """Mean loss, accuracy and per-example correctness over ``X`` in chunks, without gradients.

    Returns ``{"loss": float, "acc": float | None, "correct": bool Tensor (n,) | None}``.
    """
    was_training = model.training
    model.eval()
    total, correct = 0.0, []
    with torch.no_grad():
        for start in range(0, len(X), EVAL_CHUNK):
            out = model(X[start:start + EVAL_CHUNK])
            yb = y[start:start + EVAL_CHUNK]
            total += float(loss_fn(out, yb)) * len(yb)
            if classification:
                correct.append(out.argmax(dim=-1) == yb)
    model.train(was_training)
    hits = torch.cat(correct) if correct else None
    return {"loss": total / max(len(X), 1),
            "acc": float(hits.float().mean()) if hits is not None and len(hits) else None,
            "correct": hits}


def train(model: nn.Module, data: Dataset, *, steps: int, lr: float,
          batch_size: int | None = None, optimizer: str = "sgd", momentum: float = 0.0,
          weight_decay: float = 0.0, loss: str = "ce", schedule: str = "constant",
          label_noise: float = 0.0, seed: int = 0, device: str = "cpu",
          record_at: Sequence[int] | None = None, hooks: Sequence[Hook] = (),
          progress: bool = True) -> History:
    """Train ``model`` in place on ``data`` and record metrics at ``record_at`` steps.

    Parameters
    ----------
    model : nn.Module
        Maps inputs of shape ``(n, *data.input_shape)`` to ``(n, C)``; moved to ``device``.
    data : Dataset
    steps : int
        Number of updates.
    lr : float
        Base learning rate (η).
    batch_size : int, optional
        None = full batch.
    optimizer : {"sgd", "adam", "adamw"}
    momentum, weight_decay : float
        SGD momentum (heavy ball); weight decay, coupled L2 (as ``torch.optim``) for "sgd"
        and "adam", decoupled (θ ← θ − η·wd·θ, as ``torch.optim.AdamW``) for "adamw".
    loss : {"ce", "mse"}
    schedule : {"constant", "cosine", "step"}
        η_t = η; η ½(1 + cos(π t / T)); η × 0.1 at 50% and again at 75% of the steps.
    label_noise : float
        Share ε of training labels flipped (module docstring).
    seed : int
        Flips and batches (not the initial weights).
    device : str
        ``"cpu"``, ``"cuda"``, ...
    record_at : sequence of int, optional
        Steps to record at (default ``log_schedule(steps, 30)``); outside [0, steps] ignored.
    hooks : sequence of callables
        ``hook(step, model, state) -> {metric: value}`` called at every record, after the
        built-in metrics.
    progress : bool
        Show a progress bar (also subject to ``LEARNMECH_PROGRESS``).

    Returns
    -------
    History
        Built-in metrics at each record: ``train_loss``, ``test_loss``, and for
        classification ``train_acc``, ``test_acc`` (train against the labels trained on); with
        label noise also ``train_acc_clean``, ``train_acc_flipped`` (flipped examples that
        predict their *flipped* label) and ``flipped_true_acc`` (that predict the original).
    """
    _check_train_args(steps=steps, lr=lr, batch_size=batch_size, optimizer=optimizer,
                      momentum=momentum, weight_decay=weight_decay, loss=loss,
                      schedule=schedule, label_noise=label_noise, n=len(data.X_train))
    default_threads()
    from learnmech.core.progress import bar

    model = model.to(device)
    Xtr, ytr, Xte, yte = data.to_torch(device)
    history = History()
    classification = data.is_classification
    if label_noise > 0:
        if not classification:
            raise ValueError("label_noise needs a classification set")
        noisy, flipped = flip_labels(data.y_train, data.num_classes, label_noise,
                                     np.random.default_rng(seed))
        history.flipped, history.noisy_labels = flipped, noisy
        ytr = torch.as_tensor(noisy, device=device)
    loss_fn = loss_function(loss, data.num_classes)
    opt = _optimizer(optimizer, model, lr=lr, momentum=momentum, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(int(seed))
    batches = _batches(len(Xtr), batch_size, generator)
    records = sorted({int(s) for s in (log_schedule(steps, 30) if record_at is None
                                       else record_at) if 0 <= int(s) <= steps})
    state = TrainState(step=0, lr=lr, batch_loss=math.nan, tensors=(Xtr, ytr, Xte, yte),
                       optimizer=opt, loss_fn=loss_fn, data=data)
    flipped_t = None if history.flipped is None else torch.as_tensor(history.flipped,
                                                                     device=device)
    true_ytr = data.to_torch(device)[1] if history.flipped is not None else None
    model.train()
    next_record = 0
    pbar = bar(total=steps, desc="train", unit="step") if progress else None
    for step in range(steps + 1):
        if next_record < len(records) and step == records[next_record]:
            state.step = step
            history.rows += _record(model, state, hooks, classification, flipped_t, true_ytr)
            next_record += 1
        if step == steps:
            break
        state.lr = _lr_at(schedule, lr, step, steps)
        opt.lr = state.lr
        idx = next(batches).to(device)
        opt.zero_grad(set_to_none=True)
        batch_loss = loss_fn(model(Xtr[idx]), ytr[idx])
        batch_loss.backward()
        opt.step()
        state.batch_loss = float(batch_loss.detach())
        if not math.isfinite(state.batch_loss):
            history.diverged = True
            state.step = step + 1
            history.rows.append({"step": step + 1, "metric": "diverged", "value": 1.0})
            break
        if pbar is not None:
            pbar.update(1)
    if pbar is not None:
        pbar.close()
    return history


def sequential_tasks(model: nn.Module, data: Dataset, tasks: Sequence[Sequence[int]], *,
                     steps_per_task: int, record_points: int = 30, hooks: Sequence[Hook] = (),
                     **train_kwargs) -> History:
    """Train on each task's classes in turn (class-incremental) and track every task.

    The output layer covers all ``data.num_classes`` classes and labels are not relabelled;
    task k trains only on the training examples whose class is in ``tasks[k]``, with a fresh
    optimiser. At every record, besides :func:`train`'s metrics on the task's own data, the
    test accuracy on every task's classes is logged as ``task_acc`` with a ``task`` column,
    and ``test_acc_all`` on the whole test set.

    Returns
    -------
    History
        Rows carry ``phase`` (the task being trained, 0-based) and ``step`` counted within the
        phase, plus ``global_step``.
    """
    if not data.is_classification:
        raise ValueError("sequential_tasks needs a classification set")
    parts = [data.subset_classes(t, relabel=False) for t in tasks]
    _, _, Xte, yte = data.to_torch(train_kwargs.get("device", "cpu"))
    masks = [torch.isin(yte, torch.as_tensor(list(t), device=yte.device)) for t in tasks]

    def per_task(step, net, state):
        net_was = net.training
        net.eval()
        with torch.no_grad():
            pred = torch.cat([net(Xte[s:s + EVAL_CHUNK]).argmax(-1)
                              for s in range(0, len(Xte), EVAL_CHUNK)])
        net.train(net_was)
        hits = (pred == yte).float()
        out = {f"task_acc_{k}": float(hits[m].mean()) for k, m in enumerate(masks)}
        out["test_acc_all"] = float(hits.mean())
        return out

    history = History()
    seed = int(train_kwargs.pop("seed", 0))
    for phase, part in enumerate(parts):
        found = train(model, part, steps=steps_per_task,
                      record_at=log_schedule(steps_per_task, record_points),
                      hooks=(per_task, *hooks), seed=seed + phase, **train_kwargs)
        for row in found.rows:
            row = {"phase": phase, "global_step": phase * steps_per_task + row["step"], **row}
            if row["metric"].startswith("task_acc_"):
                row["task"] = int(row["metric"].rsplit("_", 1)[1])
                row["metric"] = "task_acc"
            history.rows.append(row)
        history.diverged |= found.diverged
    return history


# --------------------------------------------------------------------------- internals


def _check_train_args(*, steps, lr, batch_size, optimizer, momentum, weight_decay, loss,
                      schedule, label_noise, n) -> None:
    """Refuse bad training arguments with a message naming the argument and its range."""
    checks = [
        ("steps", steps, isinstance(steps, int | np.integer) and steps >= 0, "an int >= 0"),
        ("lr", lr, isinstance(lr, int | float) and math.isfinite(lr) and lr > 0,
         "a finite float > 0"),
        ("batch_size", batch_size, batch_size is None or (
            isinstance(batch_size, int | np.integer) and 1 <= batch_size), "None or an int >= 1"),
        ("optimizer", optimizer, optimizer in OPTIMIZERS, f"one of {OPTIMIZERS}"),
        ("momentum", momentum, 0 <= momentum < 1, "a float in [0, 1)"),
        ("weight_decay", weight_decay, 0 <= weight_decay < math.inf, "a float >= 0"),
        ("loss", loss, loss in LOSSES, f"one of {LOSSES}"),
        ("schedule", schedule, schedule in SCHEDULES, f"one of {SCHEDULES}"),
        ("label_noise", label_noise, 0 <= label_noise < 1, "a float in [0, 1)"),
    ]
    for name, value, ok, accepted in checks:
        if not ok:
            raise ValueError(f"train: {name} must be {accepted}; got {value!r}")
    if n < 1:
        raise ValueError("train: the data set has no training examples")


def _optimizer(name, model, *, lr, momentum, weight_decay):
    params = [p for p in model.parameters() if p.requires_grad]
    cls = {"adam": Adam, "adamw": AdamW}.get(name, SGD)
    return cls(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


class SGD:
    """SGD with heavy-ball momentum and coupled weight decay, as ``torch.optim.SGD``.

    g = ∇L + wd·θ; b ← μ b + g (b = g at the first step); θ ← θ − η b. Written here because
    constructing a ``torch.optim`` optimiser imports ``torch._dynamo`` (seconds per process).
    """

    def __init__(self, params, *, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad.add(p, alpha=self.weight_decay) if self.weight_decay else p.grad
            if self.momentum:
                buf = self.buffers[i]
                buf = g.clone() if buf is None else buf.mul_(self.momentum).add_(g)
                self.buffers[i] = buf
                g = buf
            p.add_(g, alpha=-self.lr)


class Adam(SGD):
    """Adam (Kingma & Ba) with coupled weight decay, as ``torch.optim.Adam`` (β = 0.9, 0.999).

    g = ∇L + wd·θ; m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
    θ ← θ − η m̂ / (√v̂ + 1e−8) with m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t).
    """

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(self, params, *, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, momentum=0.0, weight_decay=weight_decay)
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            if p.grad is None:
                continue
            g = p.grad.add(p, alpha=self.weight_decay) if self.weight_decay else p.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v / (1 - b2 ** self.t)).sqrt_().add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / (1 - b1 ** self.t))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    θ ← θ − η·wd·θ, then the Adam step of :class:`Adam` on g = ∇L (no L2 term in g).
    ``betas`` default to torch's (0.9, 0.999).
    """

    def __init__(self, params, *, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999)):
        super().__init__(params, lr=lr, weight_decay=0.0)
        self.decoupled = weight_decay
        self.betas = (float(betas[0]), float(betas[1]))

    @torch.no_grad()
    def step(self) -> None:
        if self.decoupled:
            for p in self.params:
                if p.grad is not None:
                    p.mul_(1 - self.lr * self.decoupled)
        super().step()


def _lr_at(schedule: str, lr: float, step: int, steps: int) -> float:
    """η at update ``step`` of ``steps`` (see :func:`train`)."""
    if schedule == "cosine":
        return lr * 0.5 * (1 + math.cos(math.pi * step / max(steps, 1)))
    if schedule == "step":
        return lr * (0.1 ** ((step >= 0.5 * steps) + (step >= 0.75 * steps)))
    return lr


def _batches(n: int, batch_size: int | None, generator: torch.Generator):
    """Endless index tensors: the whole set (full batch) or epoch-wise shuffled batches."""
    if batch_size is None or batch_size >= n:
        everything = torch.arange(n)
        while True:
            yield everything
    per_epoch = n // batch_size
    while True:
        order = torch.randperm(n, generator=generator)
        for b in range(per_epoch):
            yield order[b * batch_size:(b + 1) * batch_size]


def _record(model, state: TrainState, hooks, classification, flipped, true_y) -> list[dict]:
    """Built-in metrics and the hooks' at ``state.step``."""
    Xtr, ytr, Xte, yte = state.tensors
    found = {}
    train_eval = evaluate(model, Xtr, ytr, state.loss_fn, classification=classification)
    test_eval = evaluate(model, Xte, yte, state.loss_fn, classification=classification)
    found["train_loss"], found["test_loss"] = train_eval["loss"], test_eval["loss"]
    if classification:
        found["train_acc"], found["test_acc"] = train_eval["acc"], test_eval["acc"]
        if flipped is not None:
            hits = train_eval["correct"].float()
            found["train_acc_clean"] = float(hits[~flipped].mean())
            if flipped.any():
                found["train_acc_flipped"] = float(hits[flipped].mean())
                with torch.no_grad():
                    was = model.training
                    model.eval()
                    pred = torch.cat([model(Xtr[s:s + EVAL_CHUNK]).argmax(-1)
                                      for s in range(0, len(Xtr), EVAL_CHUNK)])
                    model.train(was)
                found["flipped_true_acc"] = float((pred[flipped] == true_y[flipped]).float()
                                                  .mean())
    for hook in hooks:
        found.update(hook(state.step, model, state) or {})
    return [{"step": state.step, "metric": k, "value": float(v)} for k, v in found.items()
            if v is not None]
