"""Relative similarity refuses to mislead on fitted examples; the multi-class targets.

S_rel divides row i by K_ii = ‖∇L_i‖² (target="loss"), which vanishes once example i is fitted.
Hand-built cases: an exactly fitted example (zero gradient), an example fitted far beyond the
others (the relative rule), and a 10-class CNN trained to zero loss (every example fitted: the
loss-gradient rule), where the true-class logit and the logit Jacobian still give finite,
checked values. No fitted row may come back unflagged and unmasked.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from learnmech.probes import (
    FITTED_GTOL,
    FITTED_RTOL,
    ProbeError,
    ProbeWarning,
    cluster_accuracy,
    elasticity_by_loop,
    elasticity_matrices,
    fitted_rows,
    gradient_gram,
    output_gradients,
    per_sample_scalar,
    relation_means,
)

torch.set_num_threads(1)


def _quiet(call, *args, **kwargs):
    """Run a probe that must not warn (a ProbeWarning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProbeWarning)
        return call(*args, **kwargs)


def _check_no_unflagged_fitted_row(E, model, X, y, loss, rtol=FITTED_RTOL, gtol=FITTED_GTOL):
    """The contract: every row is flagged and NaN, or its denominator and (target="loss") its
    loss gradient are above the thresholds and the row is the raw one."""
    scale = np.abs(E["scale"])
    g = output_gradients(model, X, y, loss=loss).norm(dim=1).numpy()
    ok = (scale > rtol * np.median(scale)) & (g > gtol)
    assert np.array_equal(E["fitted"], ~ok)
    assert np.isnan(E["S_rel"][E["fitted"]]).all()
    assert np.array_equal(E["S_rel"][ok], E["S_rel_unmasked"][ok])


# --------------------------------------------------------------------------- hand-built cases


def _linear_with_an_exactly_fitted_example():
    """A linear model under ½(f − t)²; example 0's target is its own output, so ∇L_0 = 0."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1).double()
    X = torch.randn(6, 3, dtype=torch.float64)
    with torch.no_grad():
        t = torch.randn(6, dtype=torch.float64)
        t[0] = model(X[:1])[0, 0]
    return model, X, t


def test_an_exactly_fitted_example_is_masked_and_warned():
    model, X, t = _linear_with_an_exactly_fitted_example()
    with pytest.warns(ProbeWarning, match=r"1 of 6 examples are fitted.*target='logit'"):
        E = elasticity_matrices(model, X, t, loss="mse")
    assert E["scale"][0] == 0.0 and E["fitted"].tolist() == [True] + [False] * 5
    assert np.isnan(E["S_rel"][0]).all() and not np.isfinite(E["S_rel_unmasked"][0]).all()
    assert np.isfinite(E["S_rel"][1:]).all() and np.allclose(np.diag(E["S_rel"])[1:], 1.0)
    assert np.all(E["S_ker"][0] == 0.0)  # a step on a fitted example moves nothing: kept
    _check_no_unflagged_fitted_row(E, model, X, t, "mse")
    # the zero denominator alone flags it, whatever the tolerances
    with pytest.warns(ProbeWarning, match="1 of 6"):
        E0 = elasticity_matrices(model, X, t, loss="mse", fitted_rtol=0.0, fitted_gtol=0.0)
    assert E0["fitted"].tolist() == E["fitted"].tolist()


def test_the_finite_step_protocol_flags_the_same_example():
    model, X, t = _linear_with_an_exactly_fitted_example()
    with pytest.warns(ProbeWarning, match="elasticity_by_loop: 1 of 6"):
        E = elasticity_by_loop(model, X, t, loss="mse", lr=1e-4)
    assert E["fitted"].tolist() == [True] + [False] * 5
    assert np.isnan(E["S_rel"][0]).all() and np.isfinite(E["S_rel"][1:]).all()
    with pytest.warns(ProbeWarning) as caught:
        via = elasticity_matrices(model, X, t, loss="mse", lr=1e-4)
    messages = [str(w.message) for w in caught]
    assert any("per-probe loop" in m for m in messages)
    assert any(m.startswith("elasticity_by_loop: 1 of 6") for m in messages)
    assert np.array_equal(via["fitted"], E["fitted"])


def _relu_mlp(seed=0):
    """Bias-free ReLU MLP: f(c x) = c f(x), so scaling an input scales its margin."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16, bias=False), nn.ReLU(),
                         nn.Linear(16, 10, bias=False)).double()


def test_one_example_fitted_far_beyond_the_others_is_caught_by_the_relative_rule():
    model = _relu_mlp()
    g = torch.Generator().manual_seed(3)
    X = torch.randn(12, 5, generator=g, dtype=torch.float64)
    y = torch.arange(12) % 10
    with torch.no_grad():
        top, second = model(X[:1])[0].topk(2).values
        y[0] = model(X[:1]).argmax()
        X[0] *= 40 / (top - second)  # its own class now wins by a logit margin of 40
    base = _quiet(elasticity_matrices, model, X[1:], y[1:])  # the others: none fitted
    assert not base["fitted"].any()
    # the relative rule alone (loss-gradient rule off): row 0 only
    with pytest.warns(ProbeWarning, match="1 of 12"):
        E = elasticity_matrices(model, X, y, fitted_gtol=0.0)
    assert E["fitted"].tolist() == [True] + [False] * 11
    assert E["scale"][0] < FITTED_RTOL * np.median(E["scale"][1:])
    assert np.nanmax(E["S_rel_unmasked"][0]) > 1e3  # what an unflagged row would have shown
    assert np.isnan(E["S_rel"][0]).all()
    assert np.array_equal(E["S_rel"][1:], E["S_rel_unmasked"][1:])
    assert np.nanmax(E["S_rel"]) < 30  # the rest is bounded (K_ij² ≤ K_ii K_jj)
    _check_no_unflagged_fitted_row(E, model, X, y, "ce", gtol=0.0)


def test_the_true_class_logit_gram_is_the_same_structured_or_by_vmap():
    model = _relu_mlp()
    X = torch.randn(9, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    y = torch.arange(9) % 10
    fast = gradient_gram(model, X, y, target="logit", method="structured")
    slow = gradient_gram(model, X, y, target="logit", method="vmap")
    assert torch.allclose(fast, slow, rtol=1e-10, atol=1e-12)
    with torch.no_grad():  # and s_i is the label's logit
        assert torch.equal(per_sample_scalar(model(X), y, target="logit"),
                           model(X)[torch.arange(9), y])


def test_fitted_rows_thresholds():
    scale = np.array([1.0, 2.0, 0.5, 1e-4, 0.0, np.nan, -1.0])  # median of finite |.|: 0.75
    assert fitted_rows(scale).tolist() == [False, False, False, True, True, True, False]
    assert fitted_rows(scale, rtol=0.0).tolist() == [False] * 4 + [True, True, False]
    assert fitted_rows(scale, rtol=0.9).tolist() == [False, False, True, True, True, True,
                                                     False]


def test_clustering_refuses_masked_rows_and_relation_means_skip_them():
    model, X, t = _linear_with_an_exactly_fitted_example()
    with pytest.warns(ProbeWarning):
        E = elasticity_matrices(model, X, t, loss="mse")
    labels = np.arange(6) % 2
    with pytest.raises(ProbeError, match="fitted examples masked"):
        cluster_accuracy(E["S_rel"], labels)
    keep = ~E["fitted"]
    assert 0 <= cluster_accuracy(E["S_rel"][np.ix_(keep, keep)], labels[keep]) <= 1
    means = relation_means(E["S_rel"], labels)
    off = ~np.eye(6, dtype=bool)
    rows = keep[:, None] & off & (labels[:, None] == labels[None, :])
    assert means["same"] == pytest.approx(E["S_rel"][rows].mean(), rel=1e-12)


# --------------------------------------------------------------------------- 10-class CNN


def _cnn(seed=0, act=nn.ReLU):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), act(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 10)).double()


def _cnn_data(n=30):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 1, 8, 8, generator=g, dtype=torch.float64), torch.arange(n) % 10


@pytest.fixture(scope="module")
def fitted_cnn():
    """A 10-class CNN trained to zero training loss on 30 random images (3 per class)."""
    model = _cnn()
    X, y = _cnn_data()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    with torch.no_grad():
        assert nn.functional.cross_entropy(model(X), y, reduction="none").max() < 1e-6
    return model, X, y


def test_a_cnn_fitted_to_zero_loss_has_every_loss_row_flagged(fitted_cnn):
    model, X, y = fitted_cnn
    with pytest.warns(ProbeWarning, match="30 of 30 examples are fitted"):
        E = elasticity_matrices(model, X, y, target="loss")
    assert E["fitted"].all() and np.isnan(E["S_rel"]).all()
    raw = relation_means(E["S_rel_unmasked"], y.numpy())
    # the misleading numbers the mask withholds: huge rows, a same/other ratio far below 1
    assert np.nanmax(E["S_rel_unmasked"]) > 1e3 and raw["ratio"] < 0.1
    assert np.isnan(relation_means(E["S_rel"], y.numpy())["ratio"])
    _check_no_unflagged_fitted_row(E, model, X, y, "ce")


def test_the_true_class_logit_target_is_finite_and_exact_on_the_fitted_cnn(fitted_cnn):
    model, X, y = fitted_cnn
    E = _quiet(elasticity_matrices, model, X, y, target="logit")
    J = []
    for i in range(len(X)):  # ∇θ f_{y_i}(x_i), one backward call each
        model.zero_grad()
        model(X[i:i + 1])[0, y[i]].backward()
        J.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    J = torch.stack(J).numpy()
    K = J @ J.T
    assert np.allclose(E["S_ker"], K, rtol=1e-10, atol=1e-12 * np.abs(K).max())
    assert not E["fitted"].any() and np.isfinite(E["S_rel"]).all()
    assert np.allclose(np.diag(E["S_rel"]), 1.0)
    bound = np.sqrt(np.diag(K)[None, :] / np.diag(K)[:, None])  # Cauchy–Schwarz
    assert np.all(E["S_rel"] <= bound * (1 + 1e-10))
    # sensible: raising one example's own-class logit raises same-class examples' more
    assert relation_means(E["S_rel"], y.numpy())["ratio"] > 1.5


def test_the_logit_jacobian_target_is_finite_on_the_fitted_cnn(fitted_cnn):
    model, X, y = fitted_cnn
    E = _quiet(elasticity_matrices, model, X, y, target="jacobian")
    assert not E["fitted"].any() and np.isfinite(E["S_rel"]).all()
    assert np.allclose(np.diag(E["S_rel"]), 1.0)
    # S_ker is the NTK traced over the 10 logits: Σ_c ∇f_c(x_i)·∇f_c(x_j)
    trace = np.zeros((len(X), len(X)))
    for c in range(10):
        E_c = elasticity_matrices(model, X, torch.full_like(y, c), target="logit")
        trace += E_c["S_ker"]
    assert np.allclose(E["S_ker"], trace, rtol=1e-10)


def test_the_logit_jacobian_s_rel_is_the_eta_to_zero_limit_of_an_sgd_step():
    """‖Δf_j‖ / ‖Δf_i‖ after one SGD step on the loss of i → S_rel(i, j), error O(η)."""
    model = _cnn(seed=2, act=nn.Tanh)  # at initialisation (nothing fitted); smooth, so no
    # ReLU kink is crossed by the finite step
    X, y = _cnn_data(n=12)
    S = _quiet(elasticity_matrices, model, X, y, target="jacobian")["S_rel"]
    params = list(model.parameters())
    saved = [p.detach().clone() for p in params]
    with torch.no_grad():
        before = model(X)
    for i in (0, 5, 11):
        loss_i = nn.functional.cross_entropy(model(X[i:i + 1]), y[i:i + 1])
        grads = torch.autograd.grad(loss_i, params)
        errors = []
        for eta in (1e-3, 1e-4):
            with torch.no_grad():
                for p, p0, gr in zip(params, saved, grads, strict=True):
                    p.copy_(p0 - eta * gr)
                moved = (model(X) - before).norm(dim=1).numpy()
                for p, p0 in zip(params, saved, strict=True):
                    p.copy_(p0)
            errors.append(np.max(np.abs(moved / moved[i] - S[i])))
        assert errors[-1] < 1e-3 * np.max(S[i]), errors
        assert 5 < errors[0] / errors[1] < 20, errors  # first order in η
