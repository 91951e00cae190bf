"""Depth-5 NTK of any activation: time against ReLU, error against high-precision quadrature.

Issue 14, item 3. One run times ``fc_kernel`` (numpy backend, float64) on n = 1000 points in
d = 20 (standard normal inputs, σ_w² = σ_b² = 1) for ReLU and every other activation — erf
and GELU (closed forms), tanh, softplus and sigmoid (tables with per-block surrogates) — each
the median of ``--repeats`` calls after a warm-up call (whose time, table loading or building
included, is printed apart), ReLU and the activation timed alternately; and it compares the
kernel on a random subset of ``--subset`` points (all their pairs) with
:func:`~learnmech.theory.kernels.recursion.reference_kernel`, every layer by quadrature with
96 nodes a piece (no closed form, table or surrogate). Targets: time within 5x of ReLU's,
relative error <= 1e-6. ``--large`` adds the same figures for inputs scaled so that the
first layer's variances lie in [50, 99] (the range where the old quadrature failed).

Threads: one (BLAS, numba, torch) unless ``--threads``. ``--torch`` adds the torch backend's
tabulated path run with torch ops on the CPU (``cpu_fused=False``, the GPU path), and
``--device cuda`` times that path on a GPU instead of the CPU.
Usage: ``python benchmarks/kernel_any_activation.py [--n 1000] [--d 20] [--depth 5]
[--repeats 5] [--subset 20] [--large] [--torch] [--device cpu|cuda] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

ACTIVATIONS = ("relu", "erf", "gelu", "tanh", "softplus", "sigmoid")


def _set_threads(threads: int) -> None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(fn, base, repeats: int) -> tuple[float, float, float]:
    """Medians of ``fn`` and ``base`` timed alternately, and of the per-repeat ratios."""
    rows = []
    for _ in range(repeats):
        b = seconds(base)
        f = seconds(fn)
        rows.append((f, b, f / b))
    return tuple(statistics.median(col) for col in zip(*rows, strict=True))


def max_errors(K, ref) -> tuple[float, float]:
    """(max |K − ref|/|ref|, max |K − ref|/√(ref_ii ref_jj)) — elementwise and scaled."""
    import numpy as np

    diff = np.abs(K - ref)
    scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
    return float(np.max(diff / np.abs(ref))), float(np.max(diff / scale))


def run(X, args, label: str, kernel, reference) -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    idx = np.sort(rng.choice(X.shape[0], size=min(args.subset, X.shape[0]), replace=False))
    kw = {"depth": args.depth, "kind": "ntk"}
    relu = lambda: kernel(X, activation="relu", **kw)  # noqa: E731
    relu()
    print(f"{label}: depth-{args.depth} NTK, n = {X.shape[0]}, d = {X.shape[1]}, "
          f"σ_w² = σ_b² = 1, float64; medians of {args.repeats}; error on all "
          f"{len(idx) * (len(idx) + 1) // 2} pairs of {len(idx)} random points")
    for name in ACTIVATIONS:
        fn = lambda name=name: kernel(X, activation=name, **kw)  # noqa: E731
        first = seconds(fn)
        t, t_relu, ratio = paired(fn, relu, args.repeats)
        K = np.asarray(fn())[np.ix_(idx, idx)]
        start = time.perf_counter()
        ref = reference(X[idx], name)
        t_ref = time.perf_counter() - start
        rel, scaled = max_errors(K, ref)
        print(f"  {name:9s} {t * 1e3:8.1f} ms (first call {first:5.2f} s)  ReLU "
              f"{t_relu * 1e3:6.1f} ms  ratio {ratio:5.2f}x (target <= 5)  max rel. error "
              f"{rel:.1e} (target <= 1e-6; scaled {scaled:.1e}; reference {t_ref:.0f} s)",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--subset", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--large", action="store_true", help="also inputs with variances 50-99")
    parser.add_argument("--torch", action="store_true", help="also the torch-ops path")
    parser.add_argument("--device", default="cpu", help="device of the torch-ops path")
    args = parser.parse_args()
    _set_threads(args.threads)
    import numpy as np

    from learnmech.theory.kernels import fc_kernel
    from learnmech.theory.kernels.recursion import reference_kernel

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.system()} {platform.machine()}, {_cpu_model()}, threads = {args.threads}, "
          f"load average {load:.2f}; numpy {np.__version__}")

    def reference(Z, name):
        return reference_kernel(Z, Z, name=name, depth=args.depth, w2=1.0, b2=1.0, kind="ntk")

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.d))
    run(X, args, "numpy backend, unit-scale inputs", fc_kernel, reference)
    if args.large:
        scale = np.sqrt(args.d * rng.uniform(50, 99, args.n)) / np.linalg.norm(X, axis=1)
        run(X * scale[:, None], args, "numpy backend, first-layer variances 50-99", fc_kernel,
            reference)
    if args.torch or args.device != "cpu":
        import torch

        from learnmech.theory.kernels.torch_backend import fc_kernel_torch

        torch.set_num_threads(args.threads)
        device = torch.device(args.device)

        def torch_kernel(Z, activation, depth, kind):
            K = fc_kernel_torch(torch.as_tensor(Z, device=device), depth=depth,
                                activation=activation, sigma_w2=1.0, sigma_b2=1.0, kind=kind,
                                cpu_fused=False)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            return K.cpu().numpy()

        run(X, args, f"torch ops on {device}, unit-scale inputs", torch_kernel, reference)


if __name__ == "__main__":
    main()
