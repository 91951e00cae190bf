"""Training wide networks in the kernel regime, where infinite-width theory makes predictions.

Two trainers for a scalar-output network f(x; θ) (e.g. :class:`learnmech.nets.ntk.NTKMLP`) on a
regression set (X (n, d), y (n,)), both full batch:

* :func:`train_gradient_flow` — gradient descent on the **centred** network
  g(x; θ) = f(x; θ) − f(x; θ₀) with loss L = (1/2n) Σ_i (g(x_i) − y_i)². As the width grows the
  trained g tends to kernel interpolation with the NTK (δ = 0): the prediction of
  :mod:`learnmech.theory.curves`. Centring removes the random initial function, whose NNGP
  variance would otherwise add to the test error. Heavy-ball momentum accelerates the slow
  directions; its iterates stay in the span of the gradients, so the limit (the minimum-change
  interpolant of the linearised model) is that of plain gradient descent.
* :func:`train_langevin` — Langevin dynamics on U(θ) = (1/2T) Σ_i (f(x_i) − y_i)² + ½|θ|²,
  whose stationary law is the Bayesian posterior with a standard-normal prior on every weight
  (the NTK-parameterised initialisation) and Gaussian likelihood of variance T: as the width
  grows, its time-averaged function tends to the NNGP posterior mean with noise δ = T.

Time units: steps of the discretised dynamics; ``lr`` is the step size of θ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HeavyBall:
    """Step size, momentum and step count of heavy-ball descent on curvatures in [μ, L].

    lr = safety/L keeps the stiffest direction well inside the stable range (a finite network's
    kernel is larger than its limit and moves); momentum β = (1 − √(lr μ))² is the critical
    damping of the slowest direction, which then shrinks by about 1 − √(lr μ) per step, so
    ``steps`` = ⌈1.5 ln(1/tol)/√(lr μ)⌉ reach a relative residual tol with a margin.
    """

    lr: float
    momentum: float
    steps: int


def heavy_ball_for_kernel(K: np.ndarray, *, tol: float = 1e-3, safety: float = 0.5) -> HeavyBall:
    """Settings for gradient descent on the linearised network whose NTK Gram matrix is K (n, n).

    The loss (1/2n)|g − y|² has curvatures the eigenvalues of K/n in function space.
    """
    eig = np.linalg.eigvalsh(K / len(K))
    top, bottom = float(eig[-1]), float(max(eig[0], eig[-1] * 1e-12))
    lr = safety / top
    rate = np.sqrt(lr * bottom)
    steps = int(np.ceil(1.5 * np.log(1.0 / tol) / rate))
    return HeavyBall(lr=float(lr), momentum=float((1 - rate) ** 2), steps=steps)


def _tensor(array, like):
    import torch

    return torch.as_tensor(np.asarray(array), dtype=like.dtype, device=like.device)


def _first_param(model):
    return next(model.parameters())


def train_gradient_flow(
    model, X, y, X_test, *, settings: HeavyBall, output_scale: float = 1.0,
    progress: bool = False,
) -> dict[str, np.ndarray | float]:
    """Train the centred network by full-batch heavy-ball descent; predictions on X_test.

    With ``output_scale`` α the trained function is g = α (f(θ) − f(θ₀)) and the step size is
    divided by α², so the function-space dynamics are unchanged while the weights move α times
    less: α → ∞ is Chizat & Bach's lazy limit, kernel regression with the network's empirical
    NTK at initialisation, at any width.

    Parameters
    ----------
    model : torch.nn.Module mapping (n, d) to (n,) or (n, 1); trained in place
    X, y, X_test : arrays (n, d), (n,), (m, d)
    settings : step size, momentum and number of steps (:func:`heavy_ball_for_kernel`)

    Returns
    -------
    dict with ``prediction`` (m,) of the centred network on X_test and ``train_loss`` (final L)
    """
    import torch

    from learnmech.core.progress import bar

    p0 = _first_param(model)
    Xt, yt, Xs = _tensor(X, p0), _tensor(y, p0), _tensor(X_test, p0)
    with torch.no_grad():
        f0_train, f0_test = model(Xt).reshape(-1), model(Xs).reshape(-1)
    alpha = float(output_scale)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr / alpha**2,
                                momentum=settings.momentum)
    loss = torch.tensor(float("nan"))
    steps = range(settings.steps)
    for _ in bar(steps, desc="gradient descent", unit="step") if progress else steps:
        optimizer.zero_grad(set_to_none=True)
        loss = 0.5 * ((alpha * (model(Xt).reshape(-1) - f0_train) - yt) ** 2).mean()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        prediction = (alpha * (model(Xs).reshape(-1) - f0_test)).cpu().double().numpy()
    return {"prediction": prediction, "train_loss": float(loss.detach())}


def train_langevin(
    model, X, y, X_test, *, temperature: float, lr: float, steps: int, burn_in: int,
    generator, progress: bool = False,
) -> dict[str, np.ndarray | float]:
    """Langevin dynamics θ ← θ − lr ∇U + √(2 lr) ξ; the time-averaged prediction on X_test.

    U(θ) = (1/2T) Σ_i (f(x_i) − y_i)² + ½|θ|² (T = ``temperature``); predictions are averaged
    over the steps after ``burn_in``. ``generator`` (torch.Generator) draws the noise ξ.

    Returns
    -------
    dict with ``prediction`` (m,) the posterior-mean estimate, ``train_loss`` the time-averaged
    (1/2n)|f − y|² after burn-in
    """
    import torch

    from learnmech.core.progress import bar

    if not 0 <= burn_in < steps:
        raise ValueError(f"burn_in must be in [0, steps); got {burn_in} with steps={steps}")
    p0 = _first_param(model)
    Xt, yt, Xs = _tensor(X, p0), _tensor(y, p0), _tensor(X_test, p0)
    params = [p for p in model.parameters() if p.requires_grad]
    noise_scale = float(np.sqrt(2.0 * lr))
    total = torch.zeros(len(Xs), dtype=torch.float64)
    loss_sum = 0.0
    iterations = range(steps)
    for step in bar(iterations, desc="Langevin", unit="step") if progress else iterations:
        residual = model(Xt).reshape(-1) - yt
        energy = 0.5 * (residual**2).sum() / temperature
        energy = energy + 0.5 * sum((p**2).sum() for p in params)
        grads = torch.autograd.grad(energy, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                noise = torch.randn(p.shape, generator=generator, dtype=p.dtype)
                p.add_(-lr * g + noise_scale * noise.to(p.device))
            if step >= burn_in:
                total += model(Xs).reshape(-1).double().cpu()
                loss_sum += 0.5 * float((residual**2).mean())
    kept = steps - burn_in
    return {"prediction": (total / kept).numpy(), "train_loss": loss_sum / kept}
