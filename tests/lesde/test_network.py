"""Batch-size-1 logging of a real network, and the GeoShapes generator."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learnmech.lesde.geomnist import geoshapes, geoshapes_dataset  # noqa: E402
from learnmech.lesde.network import lenet, load_lesde_data, train_logged  # noqa: E402


@pytest.fixture(scope="module")
def shapes():
    return load_lesde_data("geoshapes", n_per_class=40, n_test_per_class=20, seed=3)


def test_geoshapes_shapes_balance_and_seed():
    X, y = geoshapes(10, np.random.default_rng(0))
    assert X.shape == (30, 1, 32, 32) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [10, 10, 10]
    X2, y2 = geoshapes(10, np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    clean, _ = geoshapes(10, np.random.default_rng(0), noise=0.0)
    assert clean.min() >= 0 and clean.max() <= 1
    area = clean.reshape(30, -1).mean(1)
    assert np.all(area > 0.05) and np.all(area < 0.6)      # a shape, inside the frame
    with pytest.raises(ValueError, match="n_per_class"):
        geoshapes(0, np.random.default_rng(0))


def test_logged_logits_are_the_forward_pass_before_each_update(shapes):
    """log[t] is the sampled example's logits under the weights after t updates."""
    run4 = train_logged(lenet(1, 32, 3, seed=0), shapes, steps=4, lr=0.05, seed=1)
    net3 = lenet(1, 32, 3, seed=0)
    run3 = train_logged(net3, shapes, steps=3, lr=0.05, seed=1)
    np.testing.assert_array_equal(run3.labels, run4.labels[:3])
    np.testing.assert_array_equal(run3.indices, run4.indices[:3])
    X = torch.as_tensor(shapes.X_train)
    with torch.no_grad():
        after3 = net3(X[run4.indices[3:4]]).numpy()[0]
        initial = lenet(1, 32, 3, seed=0)(X[run4.indices]).numpy()     # (4, 3)
    np.testing.assert_allclose(run4.logits[3], after3, atol=1e-6)
    np.testing.assert_allclose(run4.logits[0], initial[0], atol=1e-6)
    assert np.abs(after3 - initial[3]).max() > 1e-4                  # the weights did move


def test_logging_does_not_change_training(shapes):
    a, b = lenet(1, 32, 3, seed=2), lenet(1, 32, 3, seed=2)
    logged = train_logged(a, shapes, steps=30, lr=0.02, seed=4, log=True)
    plain = train_logged(b, shapes, steps=30, lr=0.02, seed=4, log=False)
    assert plain.logits is None and logged.logits.shape == (30, 3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_label_noise_and_evaluation(shapes):
    run = train_logged(lenet(1, 32, 3, seed=0), shapes, steps=600, lr=0.02, seed=5,
                       label_noise=0.5, eval_at=[0, 600, 9999])
    assert run.eval_steps.tolist() == [0, 600]
    flipped = np.mean(run.labels != run.true_labels)
    assert 0.3 < flipped < 0.7
    assert run.test_acc.shape == (2,)


def test_lenet_learns_geoshapes():
    """The generator's classes are learnable by the default network at the default rate."""
    data = geoshapes_dataset(100, 100, seed=0)
    mu, sd = data.X_train.mean(), data.X_train.std()
    from dataclasses import replace
    data = replace(data, X_train=(data.X_train - mu) / sd, X_test=(data.X_test - mu) / sd)
    run = train_logged(lenet(1, 32, 3, seed=1), data, steps=3000, lr=0.02, seed=0,
                       eval_at=[3000])
    assert run.test_acc[-1] > 0.7


@pytest.mark.parametrize("bad, match", [
    (dict(steps=0), "steps must be"),
    (dict(lr=-1.0), "lr must be"),
    (dict(label_noise=1.0), r"label_noise must be in \[0, 1\)"),
])
def test_bad_training_arguments(shapes, bad, match):
    args = dict(steps=5, lr=0.01)
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        train_logged(lenet(1, 32, 3, seed=0), shapes, **args)


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_lesde_data("cifar", n_per_class=5, n_test_per_class=5)


def test_digits_classes_as_images():
    data = load_lesde_data("digits", n_per_class=20, n_test_per_class=10, classes=(3, 5, 8))
    assert data.X_train.shape == (60, 1, 8, 8) and data.num_classes == 3
    net = lenet(1, 8, 3, seed=0)
    assert net(torch.as_tensor(data.X_train[:2])).shape == (2, 3)
