"""Speed of the eigenlearning prediction, against a per-n root-finding reference in the same run.

Prints the median time of a 200-point learning curve (lmax = 40, depth-4 ReLU NTK, d = 50,
spectrum included) — target under 20 ms — and the ratio against the straightforward
implementation that solves for κ with ``scipy.optimize.brentq`` once per n.

Usage: ``python benchmarks/learning_curve_speed.py [--repeats 21]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy.optimize import brentq

from learnmech.theory.curves import learning_curve, resolved_eigenvalues
from learnmech.theory.kernels import dot_product_kernel
from learnmech.theory.spectra import harmonic_multiplicity, sphere_eigenvalues

D, LMAX, POWER = 50, 40, {1: 0.5, 2: 0.5}


def kernel(t):
    return dot_product_kernel(t, d=D, depth=4, activation="relu", kind="ntk")


def reference_curve(n: np.ndarray) -> np.ndarray:
    """Eigenlearning with one brentq solve per n (same spectrum and tail handling)."""
    mult = np.asarray(harmonic_multiplicity(D, np.arange(LMAX + 1)), dtype=float)
    k1 = float(kernel(np.array(1.0)))
    lam = resolved_eigenvalues(sphere_eigenvalues(kernel, d=D, lmax=LMAX), mult, k1)
    delta = k1 - float(np.sum(mult * lam))
    power = np.zeros(LMAX + 1)
    for degree, value in POWER.items():
        power[degree] = value
    out = []
    for size in n:
        def excess(kappa, size=size):
            return float(np.sum(mult * lam / (lam + kappa)) + delta / kappa - size)
        kappa = brentq(excess, 1e-30, 1e30, xtol=1e-300, rtol=1e-14, maxiter=1000)
        learn = lam / (lam + kappa)
        e0 = size / (size - np.sum(mult * learn**2))
        out.append(e0 * np.sum((1 - learn) ** 2 * power))
    return np.array(out)


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    n = np.geomspace(50, 3500, 200)
    fast = learning_curve(kernel=kernel, d=D, target_power=POWER, n=n, lmax=LMAX)
    slow = reference_curve(n)
    agreement = float(np.max(np.abs(fast - slow) / slow))
    fast_ms = median_ms(lambda: learning_curve(kernel=kernel, d=D, target_power=POWER, n=n,
                                               lmax=LMAX), args.repeats)
    slow_ms = median_ms(lambda: reference_curve(n), max(3, args.repeats // 4))
    print(f"eigenlearning curve, 200 points, lmax = {LMAX}: {fast_ms:.1f} ms (target < 20 ms); "
          f"per-n brentq reference {slow_ms:.1f} ms; ratio {slow_ms / fast_ms:.1f}x; "
          f"max relative difference {agreement:.1e}")


if __name__ == "__main__":
    main()
