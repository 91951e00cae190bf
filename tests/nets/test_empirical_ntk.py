"""Empirical NTK of vector outputs: the three forms agree, and equal brute force and hand cases."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learnmech.core.errors import InputError  # noqa: E402
from learnmech.nets.empirical import empirical_ntk_outputs  # noqa: E402
from learnmech.nets.ntk import NTKMLP, empirical_ntk  # noqa: E402

F64 = torch.float64


@pytest.fixture(autouse=True)
def _one_torch_thread() -> None:
    """The project's torch thread count (one unless LEARNMECH_TORCH_THREADS), as runs use."""
    from learnmech.nets.training import default_threads

    default_threads()


def _inputs(n: int, d: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(seed).normal(size=(n, d)))


def _tiny_net(k: int = 3) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(),
                               torch.nn.Linear(5, k)).double()


def _brute_force(model: torch.nn.Module, X1: torch.Tensor, X2: torch.Tensor) -> torch.Tensor:
    """Θ[i, j, a, b] from one autograd.grad call per (input, output): no torch.func."""
    params = [p for p in model.parameters() if p.requires_grad]

    def rows(X: torch.Tensor) -> torch.Tensor:
        out = []
        for x in X:
            f = model(x[None])[0]
            out.append(torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(
                f[a], params, retain_graph=True)]) for a in range(len(f))]))
        return torch.stack(out)  # (n, k, P)

    J1, J2 = rows(X1), rows(X2)
    return torch.einsum("akp,blp->abkl", J1, J2)


def test_full_equals_brute_force_jacobian() -> None:
    model = _tiny_net()
    X1, X2 = _inputs(5), _inputs(3, seed=1)
    expected = _brute_force(model, X1, X2)
    for chunk in (1, 2, 64):
        got = empirical_ntk_outputs(model, X1, X2, form="full", chunk=chunk)
        assert got.shape == (5, 3, 3, 3)
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_three_forms_agree() -> None:
    """trace = Σ_a full[a, a], diagonal = full[a, a]; X2 omitted = X2 given as X1 (symmetric)."""
    model = _tiny_net(4)
    X1, X2 = _inputs(6), _inputs(2, seed=2)
    for B in (None, X2):
        full = empirical_ntk_outputs(model, X1, B, form="full", chunk=4)
        diag = empirical_ntk_outputs(model, X1, B, form="diagonal", chunk=4)
        trace = empirical_ntk_outputs(model, X1, B, form="trace", chunk=4)
        torch.testing.assert_close(diag, torch.diagonal(full, dim1=2, dim2=3), rtol=1e-13,
                                   atol=1e-13)
        torch.testing.assert_close(trace, diag.sum(-1), rtol=1e-13, atol=1e-13)
    same = empirical_ntk_outputs(model, X1, form="full")
    torch.testing.assert_close(same, empirical_ntk_outputs(model, X1, X1.clone(), form="full"),
                               rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(same, same.permute(1, 0, 3, 2), rtol=1e-13, atol=1e-13)


def test_linear_model_hand_built() -> None:
    """f(x) = W x with W (k, d), no bias: ∂f_a/∂W_cd = δ_ac x_d, so Θ[a, b] = δ_ab x·x'."""
    k, d = 3, 4
    model = torch.nn.Linear(d, k, bias=False).double()
    X1, X2 = _inputs(4, d), _inputs(5, d, seed=3)
    expected = (X1 @ X2.T)[:, :, None, None] * torch.eye(k, dtype=F64)
    torch.testing.assert_close(empirical_ntk_outputs(model, X1, X2), expected, rtol=1e-13,
                               atol=1e-13)


def test_diagonal_of_ntkmlp_is_each_outputs_scalar_ntk() -> None:
    """Output a of an NTKMLP(output_dim=k) is the scalar NTKMLP whose readout row is row a:
    its structured (backprop-the-deltas) scalar NTK equals diagonal[..., a]."""
    kw = {"activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.2, "dtype": F64}
    wide = NTKMLP(4, 7, 3, output_dim=3, seed=5, **kw)
    X1, X2 = _inputs(5), _inputs(3, seed=4)
    diag = empirical_ntk_outputs(wide, X1, X2, form="diagonal")
    for a in range(3):
        single = NTKMLP(4, 7, 3, output_dim=1, seed=5, **kw)
        with torch.no_grad():
            for mine, theirs in zip(single.weights, wide.weights, strict=True):
                mine.copy_(theirs[a:a + 1] if theirs.shape[0] == 3 else theirs)
            for mine, theirs in zip(single.biases, wide.biases, strict=True):
                mine.copy_(theirs[a:a + 1] if theirs.shape[0] == 3 else theirs)
        expected = empirical_ntk(single, X1, X2, method="structured")
        torch.testing.assert_close(diag[..., a], expected, rtol=1e-12, atol=1e-12)


def test_scalar_and_shaped_outputs() -> None:
    """(n,) outputs are k = 1 (equal to empirical_ntk); (n, 2, 3) outputs flatten to k = 6."""
    m = NTKMLP(4, 6, 2, seed=1, dtype=F64)
    X = _inputs(4)
    full = empirical_ntk_outputs(m, X)
    assert full.shape == (4, 4, 1, 1)
    torch.testing.assert_close(full[..., 0, 0], empirical_ntk(m, X), rtol=1e-12, atol=1e-12)

    class Shaped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(4, 6).double()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lin(x).reshape(-1, 2, 3)

    shaped = Shaped()
    assert empirical_ntk_outputs(shaped, X, form="diagonal").shape == (4, 4, 6)
    # a dense layer with bias: Θ[a, b] = δ_ab (x·x' + 1)
    torch.testing.assert_close(empirical_ntk_outputs(shaped, X, form="trace"),
                               6 * (X @ X.T + 1), rtol=1e-13, atol=1e-13)


def test_refusals_are_input_errors() -> None:
    model = _tiny_net()
    X = _inputs(3)
    with pytest.raises(InputError, match="form must be one of"):
        empirical_ntk_outputs(model, X, form="sum")
    with pytest.raises(InputError, match="X2 must be of shape"):
        empirical_ntk_outputs(model, X, _inputs(2, d=5))
    with pytest.raises(InputError, match="chunk must be"):
        empirical_ntk_outputs(model, X, chunk=0)
    with pytest.raises(InputError, match="X1 must be a torch.Tensor"):
        empirical_ntk_outputs(model, X.numpy())


def test_ntkmlp_refuses_a_dtype_mismatch_clearly() -> None:
    """A float64 batch for a float32 model: an InputError naming both dtypes, from forward,
    empirical_ntk (both methods) and the vector NTK alike — not a torch matmul error."""
    model = NTKMLP(4, 8, 2, seed=0, dtype=torch.float32)
    X = _inputs(3)  # float64
    calls = [lambda: model(X), lambda: empirical_ntk(model, X, method="structured"),
             lambda: empirical_ntk(model, X, method="jacobian"),
             lambda: empirical_ntk_outputs(model, X)]
    for call in calls:
        with pytest.raises(InputError, match=r"dtype torch\.float32.*got dtype torch\.float64"):
            call()
    with pytest.raises(InputError, match=r"x must be of shape \(n, 4\)"):
        model(torch.ones(3, 5))
    assert model(X.float()).shape == (3,)
