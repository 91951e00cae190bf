"""Cost of logging the sampled example's logits during batch-size-1 training (target: < 20 %).

The LE-SDE estimators need, at every SGD step, the sampled example's logits before the update.
:func:`learnmech.lesde.network.train_logged` copies them from the forward pass it already
makes into a preallocated buffer. Timed, interleaved, in the same run (default: LeNet on
GeoShapes 32×32, 3 classes, 300 images per class, lr 0.01, one torch thread):

* **logged** — ``train_logged(..., log=True)``;
* **plain** — the same loop with ``log=False`` (no copy);
* **house** — :func:`learnmech.nets.training.train` with ``batch_size=1`` and no records, the
  project's ordinary training loop, for scale.

Prints the median wall time of each over ``--repeats`` runs and the ratios logged/plain and
logged/house. The acceptance is logged/plain < 1.20.

Usage: ``python benchmarks/lesde_logging_overhead.py [--steps 2000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from learnmech.lesde.network import lenet, load_lesde_data, train_logged
from learnmech.nets.training import default_threads, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    default_threads()
    data = load_lesde_data("geoshapes", n_per_class=300, n_test_per_class=50, seed=0)

    def logged():
        train_logged(lenet(1, 32, 3, seed=0), data, steps=args.steps, lr=0.01, seed=0,
                     log=True)

    def plain():
        train_logged(lenet(1, 32, 3, seed=0), data, steps=args.steps, lr=0.01, seed=0,
                     log=False)

    def house():
        train(lenet(1, 32, 3, seed=0), data, steps=args.steps, lr=0.01, batch_size=1, seed=0,
              record_at=[], progress=False)

    runs = {"logged": logged, "plain": plain, "house": house}
    for fn in runs.values():                                    # warm-up
        fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):                              # interleaved: drift cancels
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, value in med.items():
        print(f"{name:7s} median {value:7.3f} s  ({1e3 * value / args.steps:.3f} ms/step; "
              f"runs {', '.join(f'{t:.3f}' for t in times[name])})")
    print(f"ratio logged/plain = {med['logged'] / med['plain']:.3f}  (target < 1.20)")
    print(f"ratio logged/house = {med['logged'] / med['house']:.3f}")


if __name__ == "__main__":
    main()
