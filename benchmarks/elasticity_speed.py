"""Speed of the whole local-elasticity matrix from per-sample gradients vs the per-probe loop.

1,000 digits, an MLP 64-512-512-10 (float32, cross-entropy, target = the loss). The fast path
(:func:`learnmech.probes.elasticity_matrices`, η → 0) forms the n × n gradient Gram from one
forward and one backward pass (the structured factorisation of linear layers); the generic
vmap path (per-sample gradients, G Gᵀ) is timed with ``--vmap``. The reference is He & Su's
protocol — for each probe one SGD step on that example and one full evaluation of all n, then
restore — timed on a subset of probes and extrapolated linearly to n (every probe costs the
same). Target: ratio
≥ 20×. Also prints the agreement of the loop's rows (η = 1e-4) with the η → 0 matrix.

Usage: ``python benchmarks/elasticity_speed.py [--n 1000] [--probes 50] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from learnmech.nets import load_dataset, mlp
from learnmech.probes import elasticity_by_loop, elasticity_matrices


def median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=50, help="probes timed in the loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-4, help="η of the loop")
    parser.add_argument("--vmap", action="store_true",
                        help="also time the generic vmap path (holds n × P floats: 1.2 GB)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_dataset("digits", n_train=args.n, seed=0)
    X, y = torch.as_tensor(data.X_train), torch.as_tensor(data.y_train)
    model = mlp(64, (512, 512), 10, activation="relu", seed=0)

    fast = elasticity_matrices(model, X, y, loss="ce")
    t_fast = median_s(lambda: elasticity_matrices(model, X, y, loss="ce"), args.repeats)
    t_vmap = float("nan")
    if args.vmap:
        t_vmap = median_s(lambda: elasticity_matrices(model, X, y, loss="ce", method="vmap"), 1)
    probes = np.arange(args.probes)
    start = time.perf_counter()
    loop = elasticity_by_loop(model, X, y, loss="ce", lr=args.lr, probes=probes)
    t_subset = time.perf_counter() - start
    t_loop = t_subset * len(X) / len(probes)

    rows = fast["S_ker"][probes]
    err = np.max(np.abs(loop["S_ker"][probes] - rows)) / np.max(np.abs(rows))
    print(f"elasticity matrix, {len(X)} digits, MLP 64-512-512-10 "
          f"({sum(p.numel() for p in model.parameters()):,} parameters), one thread")
    print(f"fast (structured Gram): {t_fast:.3f} s; vmap per-sample gradients: {t_vmap:.3f} s")
    print(f"per-probe loop: {t_subset:.2f} s for {len(probes)} probes, extrapolated to "
          f"{len(X)}: {t_loop:.1f} s")
    print(f"ratio loop / fast: {t_loop / t_fast:.0f}x (target >= 20x); loop / vmap: "
          f"{t_loop / t_vmap:.1f}x")
    print(f"agreement on the timed rows: max |S_ker(loop, eta={args.lr:g}) - S_ker(eta->0)| / "
          f"max |S_ker| = {err:.1e}")


if __name__ == "__main__":
    main()
