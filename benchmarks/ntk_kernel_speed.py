"""Speed of the infinite-width NTK Gram matrix against the floor of the minimal work, same run.

Depth-10 ReLU NTK (σ_w² = σ_b² = 1) of n = 10,000 points in d = 100, float64. The floor is the
least any implementation must do: one float64 Gram product X Xᵀ plus ``depth`` elementwise
passes over an n×n array (in-place multiply). Target: within 1.5x of the floor. Prints the
median over repeats (implementation and floor timed alternately; the ratio is the median of the
per-repeat ratios; the same for process CPU time, which other processes on a shared machine
do not inflate) for the numpy backend (fused numba kernel), the torch backend as
``fc_kernel(..., backend="torch")`` runs it on a CPU (the same fused kernel, zero-copy) and the
pure torch path (eager ops, what runs on a GPU), each with its own floor (numpy / torch GEMM).

Threads: one (OPENBLAS/OMP/MKL/NUMBA and torch) unless ``--threads``. ``--device cuda`` times
the torch backend on a GPU instead, in float64 and float32, eager and compiled
(``compile_kernel=True``), against the GPU floor (the same Gram product and passes in torch on
the device), synchronising before each clock read.
Usage: ``python benchmarks/ntk_kernel_speed.py [--n 10000] [--d 100] [--depth 10]
[--repeats 5] [--threads 1] [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _set_threads(threads: int) -> None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)


def seconds(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def paired(fn, floor, repeats: int) -> dict[str, float]:
    """Medians of ``fn`` and ``floor`` timed alternately, and of their per-repeat ratios.

    Alternating keeps the ratio honest on a shared machine whose load drifts during the run;
    the CPU-time ratio (one thread) is insensitive to time lost to other processes.
    """
    rows = []
    for _ in range(repeats):
        floor_wall, floor_cpu = seconds(floor)
        fn_wall, fn_cpu = seconds(fn)
        rows.append((fn_wall, floor_wall, fn_wall / floor_wall, fn_cpu, floor_cpu,
                     fn_cpu / floor_cpu))
    keys = ("wall", "floor_wall", "ratio", "cpu", "floor_cpu", "cpu_ratio")
    return {k: statistics.median(col) for k, col in zip(keys, zip(*rows, strict=True),
                                                        strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu (default) or a CUDA device")
    parser.add_argument("--skip-pure-torch", action="store_true",
                        help="skip the eager torch path (about 10x the floor on a CPU)")
    args = parser.parse_args()
    _set_threads(args.threads)
    import numpy as np
    import torch

    from learnmech.theory.kernels import fc_kernel
    from learnmech.theory.kernels.torch_backend import fc_kernel_torch

    torch.set_num_threads(args.threads)
    if args.device != "cpu":
        return gpu_rows(args, torch, fc_kernel)
    n, depth = args.n, args.depth
    X = np.random.default_rng(0).normal(size=(n, args.d))
    Xt = torch.as_tensor(X)
    kw = {"depth": depth, "activation": "relu", "kind": "ntk"}

    def floor_numpy() -> None:
        G = X @ X.T
        for _ in range(depth):
            np.multiply(G, 1.0000001, out=G)

    def floor_torch() -> None:
        G = Xt @ Xt.T
        for _ in range(depth):
            G.mul_(1.0000001)

    def pure_torch() -> None:
        fc_kernel_torch(Xt, sigma_w2=1.0, sigma_b2=1.0, cpu_fused=False, **kw)

    fc_kernel(X[:50], **kw)  # compile / load the numba cache outside the timings
    fc_kernel(Xt[:50], backend="torch", **kw)
    rows = [("numpy backend (fused numba)", lambda: fc_kernel(X, **kw), floor_numpy),
            ("torch backend, CPU (fused, zero-copy)",
             lambda: fc_kernel(Xt, backend="torch", **kw), floor_torch)]
    if not args.skip_pure_torch:
        rows.append(("pure torch ops (GPU path) on CPU", pure_torch, floor_torch))
    print(f"depth-{depth} ReLU NTK, n = {n}, d = {args.d}, float64, threads = {args.threads}, "
          f"median of {args.repeats}; {sys.platform}, numpy {np.__version__}, "
          f"torch {torch.__version__}")
    for name, fn, floor in rows:
        repeats = args.repeats if "pure" not in name else max(1, args.repeats // 3)
        t = paired(fn, floor, repeats)
        print(f"{name}: {t['wall']:.2f} s; floor (Gram + {depth} passes) {t['floor_wall']:.2f} s;"
              f" ratio {t['ratio']:.2f}x (target <= 1.5x); CPU time {t['cpu']:.2f} s vs "
              f"{t['floor_cpu']:.2f} s, ratio {t['cpu_ratio']:.2f}x", flush=True)


def gpu_rows(args, torch, fc_kernel) -> None:
    """The torch backend on ``args.device`` against the same-device floor, float64 and
    float32, eager and with ``compile_kernel=True`` (its first call, the compile, reported
    apart); each clock read after ``torch.cuda.synchronize``."""
    from learnmech.theory.kernels.torch_backend import fc_kernel_torch

    device, depth = torch.device(args.device), args.depth
    kw = {"depth": depth, "activation": "relu", "kind": "ntk", "sigma_w2": 1.0,
          "sigma_b2": 1.0, "device": device}

    def synced(fn):
        def call() -> None:
            fn()
            torch.cuda.synchronize(device)
        return call

    print(f"depth-{depth} ReLU NTK, n = {args.n}, d = {args.d}, on "
          f"{torch.cuda.get_device_name(device)}, median of {args.repeats}; "
          f"torch {torch.__version__}")
    for dtype in (torch.float64, torch.float32):
        X = torch.randn(args.n, args.d, generator=torch.Generator().manual_seed(0),
                        dtype=dtype).to(device)

        def floor(X=X) -> None:
            G = X @ X.T
            for _ in range(depth):
                G.mul_(1.0000001)

        for compiled in (False, True):
            def kernel(X=X, dtype=dtype, compiled=compiled) -> None:
                fc_kernel_torch(X, dtype=dtype, compile_kernel=compiled, **kw)

            first, _ = seconds(synced(kernel))  # warm-up: allocator, kernels, the compile
            t = paired(synced(kernel), synced(floor), args.repeats)
            print(f"torch backend on {device.type}, {str(dtype).removeprefix('torch.')}, "
                  f"{'compiled' if compiled else 'eager'}: {t['wall'] * 1e3:.1f} ms (first "
                  f"call {first:.2f} s); floor (Gram + {depth} passes) "
                  f"{t['floor_wall'] * 1e3:.1f} ms; ratio {t['ratio']:.2f}x", flush=True)

if __name__ == "__main__":
    main()
