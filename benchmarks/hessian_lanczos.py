"""Top Hessian eigenvalue by Lanczos: accuracy against the number of Hessian–vector products.

An MLP 64-64-64-10 on 500 digits (float64, mean cross-entropy, ~9k parameters), at
initialisation and after 300 SGD steps. The reference top eigenvalue is a converged Lanczos run
(200 HVPs, full reorthogonalisation) cross-checked against scipy's ``eigsh(which="LA")`` on the
same HVP. Prints the relative error after m HVPs for several m, and what
``top_hessian_eigenvalues(iters=30, tol=1e-3)`` returns with its HVP count. Target: 1e-3
relative in ≤ 30 HVPs.

Usage: ``python benchmarks/hessian_lanczos.py``.
"""

from __future__ import annotations

import time

import torch

from learnmech.nets import load_dataset, mlp
from learnmech.probes import lanczos
from learnmech.probes.curvature import _numpy_hvp


def report(label: str, model, X, y) -> None:
    from scipy.sparse.linalg import LinearOperator, eigsh

    matvec, dim = _numpy_hvp(model, X, y, "ce")
    ref = lanczos(matvec, dim, k=1, iters=200, tol=1e-13, seed=1)
    top = ref.eigenvalues[0]
    op = LinearOperator((dim, dim), matvec=matvec, dtype=float)
    scipy_top = eigsh(op, k=1, which="LA", tol=1e-12)[0][0]
    print(f"{label}: P = {dim:,}; reference λ_max = {top:.10g} ({ref.matvecs} HVPs), scipy eigsh "
          f"{scipy_top:.10g} (relative difference {abs(scipy_top - top) / abs(top):.1e})")
    errors = []
    for m in (5, 10, 15, 20, 25, 30):
        found = lanczos(matvec, dim, k=1, iters=m, tol=0.0, seed=0).eigenvalues[0]
        errors.append(f"{m}: {abs(found - top) / abs(top):.1e}")
    print("  relative error after m HVPs  " + ", ".join(errors))
    start = time.perf_counter()
    res = lanczos(matvec, dim, k=1, iters=30, tol=1e-3, seed=0)
    took = time.perf_counter() - start
    err = abs(res.eigenvalues[0] - top) / abs(top)
    met = "met" if err <= 1e-3 and res.matvecs <= 30 else "missed"
    print(f"  top_hessian_eigenvalues(iters=30, tol=1e-3): {res.matvecs} HVPs, relative error "
          f"{err:.1e} (target 1e-3 in <= 30 HVPs: {met}), {took:.2f} s")


def main() -> None:
    torch.set_num_threads(1)
    data = load_dataset("digits", n_train=500, seed=0)
    X = torch.as_tensor(data.X_train, dtype=torch.float64)
    y = torch.as_tensor(data.y_train)
    model = mlp(64, (64, 64), 10, activation="relu", seed=0).double()
    report("at initialisation", model, X, y)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    report("after 300 full-batch SGD steps (lr 0.1)", model, X, y)


if __name__ == "__main__":
    main()
