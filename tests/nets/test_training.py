"""The training loop: log schedule, loss goes down, label-noise mask, models, sequential tasks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from learnmech.nets import (
    flip_labels,
    hidden_layers,
    load_dataset,
    log_schedule,
    mlp,
    sequential_tasks,
    small_cnn,
    train,
)

torch.set_num_threads(1)


@settings(max_examples=60, deadline=None)
@given(total=st.integers(0, 10**7), points=st.integers(2, 200))
def test_log_schedule_properties(total, points):
    s = log_schedule(total, points)
    assert s[0] == 0 and s[-1] == total
    assert np.all(np.diff(s) > 0)
    assert len(s) <= max(points, 1)
    assert s.dtype == np.int64


def test_log_schedule_is_log_spaced():
    s = log_schedule(10**6, 25)
    ratios = s[-12:] / s[-13:-1]  # rounding to integers distorts only the first few
    assert len(s) == 25 and np.allclose(ratios, ratios[-1], rtol=0.01)


def test_training_reduces_loss_and_is_deterministic():
    data = load_dataset("digits", n_train=200, n_test=100)

    def once():
        model = mlp(64, [32], 10, seed=1)
        return train(model, data, steps=150, lr=0.1, batch_size=32, seed=2, progress=False)

    a, b = once(), once()
    steps, loss = a.series("train_loss")
    assert steps[0] == 0 and steps[-1] == 150
    assert loss[-1] < 0.5 * loss[0]
    assert a.final("train_acc") > 0.8
    assert a.rows == b.rows


@pytest.mark.parametrize("optimizer,schedule,loss", [("adam", "cosine", "mse"),
                                                      ("sgd", "step", "ce")])
def test_options_train(optimizer, schedule, loss):
    data = load_dataset("gaussian-mixture", n_train=100, n_test=50, k=3, separation=6.0)
    model = mlp(data.input_dim, [16], 3, activation="tanh", seed=0)
    h = train(model, data, steps=100, lr=0.01 if optimizer == "adam" else 0.1, batch_size=None,
              optimizer=optimizer, schedule=schedule, loss=loss, weight_decay=1e-4,
              momentum=0.0, progress=False)
    assert h.final("train_loss") < h.series("train_loss")[1][0]


def test_regression_on_the_sphere():
    data = load_dataset("sphere", n_train=100, n_test=50, d=5)
    model = mlp(5, [64], 1, seed=0)
    h = train(model, data, steps=200, lr=0.05, loss="mse", progress=False)
    assert h.final("train_loss") < h.series("train_loss")[1][0]
    assert not any(r["metric"] == "train_acc" for r in h.rows)


def test_flip_labels_mask_is_exact():
    y = np.repeat(np.arange(5), 20)
    noisy, flipped = flip_labels(y, 5, 0.3, np.random.default_rng(0))
    assert flipped.sum() == 30
    assert np.all(noisy[flipped] != y[flipped]) and np.all(noisy[~flipped] == y[~flipped])
    assert noisy.min() >= 0 and noisy.max() < 5


def test_label_noise_metrics_follow_the_mask():
    data = load_dataset("digits", n_train=100, n_test=50)
    seen = {}

    def hook(step, model, state):
        seen["labels"] = state.tensors[1].numpy().copy()
        return {"custom": 1.0}

    h = train(mlp(64, [16], 10, seed=0), data, steps=20, lr=0.1, label_noise=0.2,
              hooks=[hook], progress=False)
    assert h.flipped.sum() == 20
    np.testing.assert_array_equal(seen["labels"], h.noisy_labels)
    assert np.all(h.noisy_labels[h.flipped] != data.y_train[h.flipped])
    # train_acc is the share-weighted mix of the clean and flipped accuracies
    mix = 0.8 * h.final("train_acc_clean") + 0.2 * h.final("train_acc_flipped")
    assert h.final("train_acc") == pytest.approx(mix, abs=1e-6)
    assert h.final("custom") == 1.0


def test_bad_arguments_name_the_argument():
    data = load_dataset("digits", n_train=20, n_test=10)
    with pytest.raises(ValueError, match="train: lr must be"):
        train(mlp(64, [4], 10), data, steps=1, lr=-1.0, progress=False)
    with pytest.raises(ValueError, match="train: optimizer must be"):
        train(mlp(64, [4], 10), data, steps=1, lr=0.1, optimizer="rmsprop", progress=False)


def test_models_and_hidden_layers():
    net = mlp(10, [8, 6], 3, activation="linear", seed=0)
    assert len(hidden_layers(net)) == 2
    same = mlp(10, [8, 6], 3, activation="linear", seed=0)
    for p, q in zip(net.parameters(), same.parameters(), strict=True):
        assert torch.equal(p, q)
    cnn = small_cnn(1, 8, 10, seed=0)
    assert cnn(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert len(hidden_layers(cnn)) == 3
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp(3, [2], 1, activation="swish")


def test_sequential_tasks_forgets_the_first_task():
    data = load_dataset("digits", n_train=300, n_test=150)
    h = sequential_tasks(mlp(64, [32], 10, seed=0), data, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
                         steps_per_task=150, record_points=5, lr=0.1, batch_size=32,
                         progress=False)
    a = [r for r in h.rows if r["metric"] == "task_acc" and r["task"] == 0]
    end1 = [r["value"] for r in a if r["phase"] == 0][-1]
    end2 = [r["value"] for r in a if r["phase"] == 1][-1]
    assert end1 > 0.8 and end2 < end1 - 0.3


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_optimisers_match_torch_optim(name):
    from learnmech.nets.training import SGD, Adam

    mine_cls, kwargs = (SGD, {"momentum": 0.9}) if name == "sgd" else (Adam, {})
    torch_cls = torch.optim.SGD if name == "sgd" else torch.optim.Adam
    torch.manual_seed(0)
    a, b = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    b.load_state_dict(a.state_dict())
    mine = mine_cls(list(a.parameters()), lr=0.1, weight_decay=0.01, **kwargs)
    ref = torch_cls(b.parameters(), lr=0.1, weight_decay=0.01, **kwargs)
    x = torch.randn(20, 5)
    for _ in range(5):
        for net, opt in ((a, mine), (b, ref)):
            opt.zero_grad()
            (net(x) ** 2).mean().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_adamw_matches_torch_adamw():
    """The hand-written AdamW (decoupled decay) follows ``torch.optim.AdamW`` step by step."""
    from learnmech.nets.training import AdamW

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(32, 5, generator=gen), torch.randint(0, 3, (32,), generator=gen)
    ours, ref = mlp(5, [8], 3, seed=0), mlp(5, [8], 3, seed=0)
    opt_a = AdamW(list(ours.parameters()), lr=0.05, weight_decay=0.5, betas=(0.9, 0.98))
    opt_b = torch.optim.AdamW(ref.parameters(), lr=0.05, weight_decay=0.5, betas=(0.9, 0.98),
                              eps=1e-8)
    for _ in range(6):
        for model, opt in ((ours, opt_a), (ref, opt_b)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(X), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6, rtol=0)
    data = load_dataset("digits", n_train=100, n_test=50)
    h = train(mlp(64, [16], 10, seed=0), data, steps=20, lr=1e-2, optimizer="adamw",
              weight_decay=0.1, progress=False)
    assert h.final("train_loss") < h.series("train_loss")[1][0]
