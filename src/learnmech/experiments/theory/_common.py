"""Pieces shared by the ``theory.*`` experiments: the kernel and target sections, the kernel as a
function on the sphere, and the relative-error helper every agreement uses.

Conventions are those of :mod:`learnmech.theory` (NTK parameterisation, depth = dense layers,
spectra against the uniform probability measure on S^{d−1}).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from learnmech.core.spec import Section

Activation = Literal["relu", "erf", "linear", "tanh", "gelu", "softplus", "sigmoid"]
AGREEMENT_TOLERANCE = 0.05  # relative, the 5 % on learning-curve predictions


class KernelSection(Section):
    """The infinite-width network whose kernel is used (see learnmech.theory conventions)."""

    depth: int = Field(4, ge=1, le=64, description="dense layers (depth − 1 nonlinearities)")
    activation: Activation = Field("relu", description="nonlinearity φ")
    sigma_w2: float = Field(1.0, gt=0.0, le=100.0, description="weight variance σ_w²")
    sigma_b2: float = Field(1.0, ge=0.0, le=100.0, description="bias variance σ_b²")
    kind: Literal["ntk", "nngp"] = Field(
        "ntk", description="NTK (gradient descent) or NNGP (Bayesian / Langevin)")

    def args(self) -> dict:
        """Keyword arguments of fc_kernel / dot_product_kernel."""
        return {"depth": self.depth, "activation": self.activation, "sigma_w2": self.sigma_w2,
                "sigma_b2": self.sigma_b2, "kind": self.kind}


class TargetSection(Section):
    """A random harmonic target on the sphere: chosen degrees with chosen powers."""

    degrees: tuple[int, ...] = Field(
        (1, 2), min_length=1, description="spherical-harmonic degrees of the target (each >= 0)")
    powers: tuple[float, ...] = Field(
        (0.5, 0.5), min_length=1, description="power (mean square) of each degree (each >= 0)")
    poles: int = Field(16, ge=1, le=10_000,
                       description="zonal harmonics per degree (spreads the power over modes)")
    noise: float = Field(0.0, ge=0.0, le=100.0,
                         description="variance ε² of Gaussian label noise on training targets")

    @model_validator(mode="after")
    def _check_lengths(self) -> TargetSection:
        if len(self.degrees) != len(self.powers):
            raise ValueError(f"degrees and powers must have the same length; got "
                             f"{len(self.degrees)} and {len(self.powers)}")
        if len(set(self.degrees)) != len(self.degrees):
            raise ValueError(f"degrees must be distinct; got {list(self.degrees)}")
        if any(l < 0 for l in self.degrees) or any(p < 0 for p in self.powers):
            raise ValueError("degrees and powers must be >= 0")
        return self

    def power(self) -> dict[int, float]:
        """degree -> power."""
        return dict(zip(self.degrees, self.powers, strict=True))


def sphere_problem(d: int, target: TargetSection, rng, n: int, n_test: int):
    """One draw of a regression problem on S^{d−1}: a random harmonic target, n training and
    n_test test points uniform on the sphere, label noise of variance target.noise.

    Returns (X (n, d), y (n,), X_test (n_test, d), f_test (n_test,) the clean target).
    """
    from learnmech.theory import make_harmonic_target, uniform_sphere

    f = make_harmonic_target(d, degrees=target.power(), seed=rng, poles=target.poles)
    X_test = uniform_sphere(n_test, d, seed=rng)
    X = uniform_sphere(n, d, seed=rng)
    y = f(X)
    if target.noise:
        y = y + rng.normal(0.0, target.noise**0.5, size=n)
    return X, y, X_test, f(X_test)


def sphere_kernel(kernel: KernelSection, d: int):
    """(t -> k(t) on S^{d−1}, (X1, X2) -> Gram matrix) for this network."""
    from learnmech.theory import dot_product_kernel, fc_kernel

    args = kernel.args()

    def of_t(t):
        return dot_product_kernel(t, d=d, **args)

    def gram(X1, X2):
        return fc_kernel(X1, X2, **args)

    return of_t, gram


def relative_error(predicted, measured):
    """|predicted − measured| / measured, elementwise (arrays or floats)."""
    import numpy as np

    return np.abs(np.asarray(predicted) - np.asarray(measured)) / np.asarray(measured)


def max_over(values, mask) -> float | None:
    """max of values[mask] as a float, or None when the mask selects nothing."""
    import numpy as np

    values = np.asarray(values)[np.asarray(mask)]
    return float(values.max()) if values.size else None


def train_centred_network(
    kernel: KernelSection, X, y, X_test, f_test, *, width: int, tol: float, max_steps: int,
    torch_seed: int, output_scale: float = 1.0,
) -> dict:
    """Train a finite NTK-parameterised network (centred, heavy-ball descent) on (X, y).

    Returns the network's test MSE against f_test, that of NTK regression (its infinite-width
    limit) on the same data, the final training loss and the number of steps.
    """
    import numpy as np
    import torch

    from learnmech.nets.kernel_regime import heavy_ball_for_kernel, train_gradient_flow
    from learnmech.nets.ntk import NTKMLP
    from learnmech.nets.training import default_threads
    from learnmech.theory.regression import ridge_coefficients

    default_threads()
    ntk = kernel.model_copy(update={"kind": "ntk"})
    _, gram = sphere_kernel(ntk, X.shape[1])
    K = gram(X, X)
    kernel_pred = gram(X_test, X) @ ridge_coefficients(K, y, 0.0)
    settings = heavy_ball_for_kernel(K, tol=tol)
    settings = type(settings)(settings.lr, settings.momentum, min(settings.steps, max_steps))
    with torch.random.fork_rng():
        torch.manual_seed(torch_seed)
        model = NTKMLP(X.shape[1], width, kernel.depth, activation=kernel.activation,
                       sigma_w2=kernel.sigma_w2, sigma_b2=kernel.sigma_b2)
    trained = train_gradient_flow(model, X, y, X_test, settings=settings,
                                  output_scale=output_scale)
    return {"network_mse": float(np.mean((trained["prediction"] - f_test) ** 2)),
            "kernel_mse": float(np.mean((kernel_pred - f_test) ** 2)),
            "train_loss": trained["train_loss"], "steps": settings.steps}


def train_langevin_network(
    kernel: KernelSection, X, y, X_test, f_test, *, width: int, temperature: float, steps: int,
    torch_seed: int, safety: float = 0.5,
) -> dict:
    """Sample a finite network's posterior by Langevin dynamics; time-averaged prediction.

    The step size is ``safety`` over the stiffest curvature, λ_max(NTK Gram)/T + 1 (the data
    term seen through the network's tangent kernel, plus the prior's 1). The network starts
    from a prior sample (its initialisation), so the directions the data do not constrain are
    already at equilibrium; a fifth of the steps is burn-in. Returns the network's test MSE,
    that of NNGP regression with noise δ = T (the infinite-width posterior mean) on the same
    data, and the time-averaged training loss.
    """
    import numpy as np
    import torch

    from learnmech.nets.kernel_regime import train_langevin
    from learnmech.nets.ntk import NTKMLP
    from learnmech.nets.training import default_threads
    from learnmech.theory.regression import ridge_coefficients

    default_threads()
    d = X.shape[1]
    _, ntk_gram = sphere_kernel(kernel.model_copy(update={"kind": "ntk"}), d)
    _, nngp_gram = sphere_kernel(kernel.model_copy(update={"kind": "nngp"}), d)
    stiffest = float(np.linalg.eigvalsh(ntk_gram(X, X))[-1]) / temperature + 1.0
    K = nngp_gram(X, X)
    kernel_pred = nngp_gram(X_test, X) @ ridge_coefficients(K, y, temperature)
    with torch.random.fork_rng():
        torch.manual_seed(torch_seed)
        model = NTKMLP(d, width, kernel.depth, activation=kernel.activation,
                       sigma_w2=kernel.sigma_w2, sigma_b2=kernel.sigma_b2)
    generator = torch.Generator().manual_seed(torch_seed + 1)
    found = train_langevin(model, X, y, X_test, temperature=temperature, lr=safety / stiffest,
                           steps=steps, burn_in=steps // 5, generator=generator)
    return {"network_mse": float(np.mean((found["prediction"] - f_test) ** 2)),
            "kernel_mse": float(np.mean((kernel_pred - f_test) ** 2)),
            "train_loss": found["train_loss"], "steps": steps}
