"""The locally elastic SDE (LE-SDE) of Zhang, Wang & Su (NeurIPS 2021, arXiv 2110.05960).

Conventions, stated once for the whole package (everything else points here):

* **Features** are the logits: example i of class k has X_{k,i}(t) ∈ R^K, K classes, n examples
  per class. Arrays hold them as ``(trials, K, n, K)``: trial, class, example, logit.
* **Time** t counts SGD steps with batch size 1 (one sampled example per step). The
  **impacts** α(t) (same class) and β(t) (other class) are per step and include the learning
  rate; the impact matrix is E_{kk'}(t) = α(t) if k = k' else β(t). The **integrated impacts**
  are A(t) = Σ_{s<t} α(s), B(t) = Σ_{s<t} β(s) (the paper's ∫α, ∫β with dt = one step).
* **One step** at the sampled example (k', i'): every feature moves by the impact of that
  example's gradient step,

      X_{k,i}(t+1) = X_{k,i}(t) + E_{kk'}(t) · d(X_{k',i'}(t), k'),

  with the **drift direction** d (``drift=``):

  ``"ce"``  d = e_{k'} − softmax(X) = −∂ℓ/∂X for the cross-entropy ℓ (the paper's LE-SDE);
  ``"L"``   d = P_{k'} X, P_k the orthogonal projector on u_k = e_k − 𝟙/K (the paper's linear
            imitation model, "L"; its class means follow :func:`learnmech.lesde.ode.le_ode`);
  ``"I"``   d = X (the identity model, "I").

  Averaged over the uniformly sampled example, the mean step is the drift of the LE-SDE,
  (1/(nK)) Σ_{k',i'} E_{kk'} d(X_{k',i'}, k') — whence the 1/K in every class-mean equation.
* **Noise** (``noise=``): ``"sgd"`` samples one example per step and trial, as SGD does (the
  diffusion this produces is shared by all examples of a class); ``"gaussian"`` takes the mean
  step plus independent N(0, σ(t)²) per example and logit (the Euler–Maruyama step of the SDE
  with Σ = σ² I); ``"none"`` takes the mean step (the mean-field ODE).
* **Seeds**: every random choice (initial features, samples, noise) comes from one
  ``numpy.random.Generator``.

The phase transition (derived in docs/lesde.md and in :mod:`learnmech.lesde.ode`): the
features separate (loss → 0) iff A(t) − B(t) → ∞.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DRIFTS",
    "NOISES",
    "SDEPath",
    "cross_entropy",
    "drift_direction",
    "initial_features",
    "power_law",
    "record_steps",
    "schedule",
    "simulate",
    "softmax",
    "u_vectors",
]

DRIFTS = ("ce", "L", "I")
NOISES = ("sgd", "gaussian", "none")


@dataclass(frozen=True)
class SDEPath:
    """One simulation of the LE-SDE, recorded at ``steps``.

    Attributes
    ----------
    steps : np.ndarray of int64, shape (R,)
        Record steps (number of updates done), increasing, from 0 to the last step.
    loss : np.ndarray, shape (R, trials)
        Mean cross-entropy of the training features against their training labels, in nats.
    accuracy : np.ndarray, shape (R, trials)
        Share of training examples whose largest logit is their training label.
    class_accuracy : np.ndarray, shape (R, trials)
        Share whose largest logit is their class k (equal to ``accuracy`` without label
        noise): the features separate by class.
    class_means : np.ndarray, shape (R, trials, K, K)
        X̄_k(t): mean logits of class k (class, logit).
    final : np.ndarray, shape (trials, K, n, K)
        All features after the last step.
    log_labels : np.ndarray of int64, shape (trials, T) or None
        Training label of the example sampled at each step (``noise="sgd"``, ``log=True``).
    log_logits : np.ndarray, shape (trials, T, K) or None
        Its logits before the update — what :mod:`learnmech.lesde.network` logs for a network.
    """

    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    class_accuracy: np.ndarray
    class_means: np.ndarray
    final: np.ndarray
    log_labels: np.ndarray | None = None
    log_logits: np.ndarray | None = None


def u_vectors(num_classes: int) -> np.ndarray:
    """u_k = e_k − 𝟙/K for every class, shape (K, K) (row k is u_k); ‖u_k‖² = (K − 1)/K."""
    K = int(num_classes)
    return np.eye(K) - 1.0 / K


def softmax(X: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (stable), same shape as ``X``."""
    Z = X - X.max(axis=-1, keepdims=True)
    np.exp(Z, out=Z)
    return Z / Z.sum(axis=-1, keepdims=True)


def cross_entropy(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """−log softmax(X)[label] in nats; ``X`` (..., K), ``labels`` broadcastable to X[..., 0]."""
    top = X.max(axis=-1, keepdims=True)
    logsum = np.log(np.exp(X - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(X, np.broadcast_to(labels, X.shape[:-1])[..., None].astype(
        np.int64), axis=-1)[..., 0]
    return logsum - picked


def drift_direction(X: np.ndarray, labels: np.ndarray, drift: str) -> np.ndarray:
    """d(X, k) of the module docstring for features ``X`` (..., K) of classes ``labels`` (...)."""
    K = X.shape[-1]
    onehot = np.eye(K)[labels]                                   # (..., K)
    if drift == "ce":
        return onehot - softmax(X)
    if drift == "L":
        u = onehot - 1.0 / K                                     # u_label, (..., K)
        coef = (X * u).sum(-1, keepdims=True) / ((K - 1) / K)    # ⟨X, u⟩ / ‖u‖²
        return coef * u
    if drift == "I":
        return X.copy()
    raise ValueError(f"drift must be one of {DRIFTS}; got {drift!r}")


def power_law(scale: float, exponent: float, steps: int, offset: float = 1.0) -> np.ndarray:
    """scale · (t + offset)^(−exponent) for t = 0..steps−1, shape (steps,).

    The integrated impact of such a schedule diverges iff ``exponent <= 1`` (the tail index r
    of :func:`learnmech.lesde.estimate.tail_index`).
    """
    t = np.arange(int(steps), dtype=float)
    return float(scale) * (t + float(offset)) ** (-float(exponent))


def schedule(value, steps: int, trials: int, name: str = "value") -> np.ndarray:
    """A per-step, per-trial schedule of shape (steps, trials) from a scalar or an array.

    ``value`` may be a float, an array of shape (steps,) (the same for every trial), (trials,)
    given as shape (1, trials), or (steps, trials); a callable t -> value is evaluated at
    t = 0..steps−1. Non-finite values are refused.
    """
    if callable(value):
        value = np.asarray([value(t) for t in range(steps)], dtype=float)
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 1:
        if arr.shape[0] != steps:
            raise ValueError(f"{name}: a 1-d schedule must have one value per step ({steps}); "
                             f"got {arr.shape[0]}")
        arr = arr[:, None]
    try:
        out = np.broadcast_to(arr, (steps, trials))
    except ValueError:
        raise ValueError(f"{name}: must broadcast to (steps, trials) = ({steps}, {trials}); "
                         f"got shape {arr.shape}") from None
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: must be finite; got NaN or inf")
    return out


def initial_features(num_classes: int, per_class: int, trials: int, rng: np.random.Generator,
                     *, scale: float = 0.1, separation=0.0) -> np.ndarray:
    """Initial logits X(0) ~ a0_k·u_k + N(0, scale²), shape (trials, K, n, K).

    ``separation`` a0: a float puts every class mean at a0·u_k (the symmetric start of
    :func:`learnmech.lesde.ode.symmetric_solution`); an array of shape (K,) gives each class
    its own a0_k (a start with a second-direction component, as the "L" estimator needs).
    The default 0 starts from pure noise.
    """
    K, n = int(num_classes), int(per_class)
    a0 = np.broadcast_to(np.asarray(separation, dtype=float), (K,))
    X = rng.normal(0.0, float(scale), size=(int(trials), K, n, K))
    return X + (a0[:, None] * u_vectors(K))[None, :, None, :]


def record_steps(total: int, points: int = 60) -> np.ndarray:
    """Record steps: unique ints in [0, total], 0 and ``total`` included, log-spaced between."""
    total = int(total)
    if total <= 0:
        return np.zeros(1, dtype=np.int64)
    inner = np.geomspace(1, total, max(int(points) - 1, 1))
    return np.unique(np.concatenate([[0], np.round(inner).astype(np.int64), [total]]))


def simulate(alpha, beta, X0: np.ndarray, steps: int, rng: np.random.Generator, *,
             drift: str = "ce", noise: str = "sgd", sigma=0.0, label_noise: float = 0.0,
             record_at: Sequence[int] | None = None, log: bool = False,
             progress: Callable[[int], None] | None = None) -> SDEPath:
    """Simulate the LE-SDE for ``steps`` steps from ``X0``, many trials at once.

    Parameters
    ----------
    alpha, beta : float, array or callable
        Impacts per step (module docstring), see :func:`schedule` for the accepted shapes:
        a float, (steps,), (1, trials) or (steps, trials) — so one call can hold a whole grid
        of (α, β) pairs, one per trial.
    X0 : np.ndarray, shape (trials, K, n, K)
        Initial logits (e.g. from :func:`initial_features`).
    steps : int
        Number of updates T (>= 0).
    rng : numpy.random.Generator
        The one source of randomness (sampling and noise).
    drift : {"ce", "L", "I"}
        Drift direction (module docstring). Default "ce", the paper's LE-SDE.
    noise : {"sgd", "gaussian", "none"}
        Noise model (module docstring). Default "sgd".
    sigma : float or array
        Per-step noise scale σ(t) for ``noise="gaussian"`` (logit units); a schedule like
        ``alpha``.
    label_noise : float
        Share p in [0, 1) of each class's examples whose training label is corrupted: in every
        trial and class, round(p n) examples, drawn at random, get a uniformly drawn *other*
        label. The drift uses the training label; the impact E uses the class k (similar
        inputs stay similar). The class-mean target then has strength 1 − pK/(K − 1): it
        vanishes at p = (K − 1)/K.
    record_at : sequence of int, optional
        Steps at which loss, accuracy and class means are recorded (default
        :func:`record_steps` (T, 60)).
    log : bool
        Keep the sampled example's class and logits before every update (``noise="sgd"``).
    progress : callable, optional
        Called with the number of steps done, every 1000 steps.

    Returns
    -------
    SDEPath
    """
    X = np.array(X0, dtype=float, copy=True)
    if X.ndim != 4 or X.shape[1] != X.shape[3] or X.shape[1] < 2 or X.shape[2] < 1:
        raise ValueError(f"X0 must have shape (trials, K, n, K) with K >= 2, n >= 1; got "
                         f"{X.shape}")
    if drift not in DRIFTS:
        raise ValueError(f"drift must be one of {DRIFTS}; got {drift!r}")
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}; got {noise!r}")
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be an int >= 0; got {steps}")
    if log and noise != "sgd":
        raise ValueError("log=True needs noise='sgd' (only SGD samples one example per step)")
    trials, K, n, _ = X.shape
    a = schedule(alpha, steps, trials, "alpha")
    b = schedule(beta, steps, trials, "beta")
    s = schedule(sigma, steps, trials, "sigma") if noise == "gaussian" else None
    records = sorted({int(r) for r in (record_steps(steps) if record_at is None else record_at)
                      if 0 <= int(r) <= steps})
    if not 0.0 <= float(label_noise) < 1.0:
        raise ValueError(f"label_noise must be in [0, 1); got {label_noise}")
    classes = np.broadcast_to(np.arange(K)[None, :, None], (trials, K, n))
    labels = _corrupt(classes, float(label_noise), rng)          # training labels (trials, K, n)
    rec_loss, rec_acc, rec_cls, rec_means = [], [], [], []
    log_labels = np.empty((trials, steps), dtype=np.int64) if log else None
    log_logits = np.empty((trials, steps, K)) if log else None
    if noise == "sgd":
        picks_k = rng.integers(0, K, size=(steps, trials))
        picks_i = rng.integers(0, n, size=(steps, trials))
    rows = np.arange(trials)
    eye = np.eye(K)
    nxt = 0
    for t in range(steps + 1):
        if nxt < len(records) and t == records[nxt]:
            rec_loss.append(cross_entropy(X, labels).mean(axis=(1, 2)))
            top = X.argmax(-1)
            rec_acc.append((top == labels).mean(axis=(1, 2)))
            rec_cls.append((top == classes).mean(axis=(1, 2)))
            rec_means.append(X.mean(axis=2))
            nxt += 1
        if t == steps:
            break
        if noise == "sgd":
            kk, ii = picks_k[t], picks_i[t]
            x = X[rows, kk, ii]                                  # (trials, K) sampled features
            yy = labels[rows, kk, ii]                            # their training labels
            if log:
                log_labels[:, t], log_logits[:, t] = yy, x
            d = drift_direction(x, yy, drift)                    # (trials, K)
            # step of class k: E_{k k'} d = β d + (α − β) [k = k'] d,  shape (trials, K, K)
            step = b[t][:, None, None] * d[:, None, :] + \
                ((a[t] - b[t])[:, None] * eye[kk])[:, :, None] * d[:, None, :]
            X += step[:, :, None, :]
        else:
            d = drift_direction(X, labels, drift).mean(axis=2)
            # mean step of class k: (1/K) Σ_k' E_{kk'} d̄_k' = (1/K)[(α − β) d̄_k + β Σ_k' d̄_k']
            mean_step = ((a[t] - b[t])[:, None, None] * d +
                         b[t][:, None, None] * d.sum(axis=1, keepdims=True)) / K
            X += mean_step[:, :, None, :]
            if noise == "gaussian":
                X += s[t][:, None, None, None] * rng.standard_normal(X.shape)
        if progress is not None and (t + 1) % 1000 == 0:
            progress(t + 1)
    return SDEPath(steps=np.asarray(records, dtype=np.int64), loss=np.asarray(rec_loss),
                   accuracy=np.asarray(rec_acc), class_accuracy=np.asarray(rec_cls),
                   class_means=np.asarray(rec_means), final=X,
                   log_labels=log_labels, log_logits=log_logits)


def _corrupt(classes: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Training labels: per trial and class, round(rate·n) examples moved to another class."""
    labels = np.array(classes, dtype=np.int64)
    trials, K, n = labels.shape
    m = int(round(rate * n))
    if m == 0:
        return labels
    # m distinct examples per (trial, class): the first m of a random permutation
    order = np.argsort(rng.random((trials, K, n)), axis=-1)[..., :m]
    shift = rng.integers(1, K, size=(trials, K, m))              # never 0: always another
    picked = np.take_along_axis(labels, order, axis=-1)
    np.put_along_axis(labels, order, (picked + shift) % K, axis=-1)
    return labels
