"""The neurashed world: features in levels, their owners, composition edges, and examples.

Features are numbered level by level (all level-1 features first), so an example's sorted feature
list is also in level order. Each feature has an owner: a taxonomy node (a *semantic* feature)
or nobody (a *nuisance* feature). Owner kinds are coded

    0 generic (owned by the root), 1 ancestor (an intermediate node), 2 class (a leaf),
    3 nuisance (owned by nobody), -1 unlabelled (user data).

Examples are stored as CSR rows (``indptr``, ``indices``) of the binary example-by-feature
matrix. See ``shared/design/neurashed.md`` §1 and ``docs/neurashed.md`` for the choices made
where the paper is silent.

A user's own data (``world.data``, an ``.npz``; :func:`read_data`, :func:`world_from_arrays`)
is validated in full before any work -- the arrays present and no others, their shapes and
dtypes, finite values, 0/1 features, integer levels, labels and edges in range, at least two
classes -- and every refusal is an :class:`~learnmech.core.errors.InputError` naming the file
and the array. Pickled objects are never loaded (``allow_pickle=False``), and sizes are read
from the array headers before any array is, so an oversized file costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from learnmech.core.errors import InputError
from learnmech.neurashed.spec import WorldSpec, per_level
from learnmech.neurashed.taxonomy import Taxonomy, default_taxonomy, taxonomy_from_mapping

KIND_NAMES = ("generic", "ancestor", "class", "nuisance")
GENERIC, ANCESTOR, CLASS, NUISANCE, UNLABELLED = 0, 1, 2, 3, -1

#: The arrays a ``world.data`` file may hold, and what each must be (n training examples,
#: F features, m test examples, K classes).
DATA_ARRAYS = {
    "features": "(n, F), 0/1: the features each training example has",
    "levels": "(F,), integers in [1, 100], non-decreasing, every level from 1 to the top used",
    "labels": "(n,), integers in [0, K): every class 0..K−1 present, 2 <= K <= 1000",
    "test_features": "(m, F), 0/1 (optional, with test_labels)",
    "test_labels": "(m,), integers in [0, K) (optional, with test_features)",
    "kinds": "(F,), owner-kind codes in {-1, 0, 1, 2, 3} (optional)",
    "edges": "(E, 2), (parent, child) feature ids in [0, F), the child one level below its "
             "parent, no edge twice (optional)",
}
#: The arrays a ``world.data`` file must hold.
REQUIRED_ARRAYS = ("features", "levels", "labels")
#: The most bytes the arrays of a ``world.data`` file may hold together (read from headers).
MAX_DATA_BYTES = 2**31
MAX_DATA_LEVELS = 100
MAX_DATA_CLASSES = 1000


@dataclass(frozen=True)
class Examples:
    """A set of examples: CSR rows of the binary example-by-feature matrix and labels.

    Attributes
    ----------
    indptr : ndarray of shape (n_examples + 1,), int64
    indices : ndarray of shape (nnz,), int64 — feature ids of each row, sorted ascending
    labels : ndarray of shape (n_examples,) — the label training sees (possibly flipped)
    true_labels : ndarray of shape (n_examples,) — the class the example was drawn from
    """

    indptr: np.ndarray
    indices: np.ndarray
    labels: np.ndarray
    true_labels: np.ndarray

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def flipped(self) -> np.ndarray:
        """Boolean mask of shape (n_examples,): label noise replaced the label."""
        return self.labels != self.true_labels

    def features(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def to_sparse(self, n_features: int):
        """The binary matrix as ``scipy.sparse.csr_matrix`` of shape (n_examples, n_features)."""
        from scipy.sparse import csr_matrix

        data = np.ones(len(self.indices))
        return csr_matrix((data, self.indices, self.indptr), shape=(self.n, n_features))


@dataclass(frozen=True)
class World:
    """Everything fixed before training starts.

    Attributes
    ----------
    taxonomy : Taxonomy
    level : ndarray of shape (n_features,), int64 — 1..L
    owner : ndarray of shape (n_features,), int64 — taxonomy node, or -1 for nuisance/unknown
    kind : ndarray of shape (n_features,), int64 — owner kind code (module docstring)
    child_ptr, child_idx : CSR of composition edges, feature → its children one level below
    train, test : Examples
    """

    taxonomy: Taxonomy
    level: np.ndarray
    owner: np.ndarray
    kind: np.ndarray
    child_ptr: np.ndarray
    child_idx: np.ndarray
    train: Examples
    test: Examples

    @property
    def n_features(self) -> int:
        return len(self.level)

    @property
    def n_classes(self) -> int:
        return self.taxonomy.n_classes

    @property
    def n_levels(self) -> int:
        return int(self.level.max())

    @property
    def semantic(self) -> np.ndarray:
        """Boolean mask of shape (n_features,): owned by a taxonomy node."""
        return (self.kind >= 0) & (self.kind != NUISANCE)

    def edges(self) -> np.ndarray:
        """Composition edges as an array of shape (n_edges, 2) of (parent, child)."""
        parents = np.repeat(np.arange(self.n_features), np.diff(self.child_ptr))
        return np.stack([parents, self.child_idx], axis=1)


def make_world(spec: WorldSpec | None = None, seed: int | np.random.Generator = 0) -> World:
    """Draw a world from ``spec`` (defaults if None); every random choice flows from ``seed``.

    With ``spec.data`` set, the user's data is loaded instead (:func:`load_world`).
    """
    spec = spec or WorldSpec()
    if spec.data is not None:
        return load_world(spec.data)
    rng = np.random.default_rng(seed)
    taxonomy = (
        taxonomy_from_mapping(spec.taxonomy)
        if spec.taxonomy
        else default_taxonomy(spec.classes, spec.superclasses)
    )
    level, owner = _features(taxonomy, spec)
    kind = _kinds(taxonomy, owner)
    child_ptr, child_idx = _composition_edges(taxonomy, level, owner, kind, spec.children, rng)
    sampler = _ExampleSampler(taxonomy, spec, level, owner, kind, child_ptr, child_idx)
    train = sampler.draw(spec.examples_per_class, rng, label_noise=spec.label_noise)
    test = sampler.draw(spec.test_per_class, rng, label_noise=0.0)
    return World(taxonomy, level, owner, kind, child_ptr, child_idx, train, test)


def world_from_arrays(
    features: np.ndarray,
    levels: np.ndarray,
    labels: np.ndarray,
    *,
    test_features: np.ndarray | None = None,
    test_labels: np.ndarray | None = None,
    kinds: np.ndarray | None = None,
    taxonomy: Taxonomy | None = None,
    edges: np.ndarray | None = None,
) -> World:
    """A world from the user's own data, e.g. binarised activations of a real network.

    Parameters
    ----------
    features : array of shape (n_examples, n_features), binary — which features each example has
    levels : array of shape (n_features,), ints in [1, 100] — each feature's level, non-decreasing,
        every level from 1 to the top used
    labels : array of shape (n_examples,), ints in [0, K) — without ``taxonomy``, K = max + 1,
        every class 0..K−1 present and K ≥ 2
    test_features, test_labels : optional held-out examples (default: the training examples)
    kinds : optional owner-kind codes of shape (n_features,) (default: -1, unlabelled)
    taxonomy : optional tree over the K classes (default: flat, every class under the root)
    edges : optional composition edges of shape (n_edges, 2), (parent, child), the child one
        level below its parent (used by the flow readout and the figures)

    Raises
    ------
    InputError
        Naming the array and what it must be (see :data:`DATA_ARRAYS`).
    """
    given = {"features": features, "levels": levels, "labels": labels,
             "test_features": test_features, "test_labels": test_labels, "kinds": kinds,
             "edges": edges}
    try:
        arrays = _checked_arrays({k: v for k, v in given.items() if v is not None}, taxonomy)
    except _BadArray as bad:
        raise InputError(f"{bad.name}: {bad.message}") from None
    return _world(arrays, taxonomy)


def read_data(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a ``world.data`` file, validated in full (see :data:`DATA_ARRAYS`).

    Nothing pickled is loaded, and the arrays' sizes are read from their headers first.

    Returns
    -------
    dict of str to ndarray
        The arrays by name (the keyword arguments of :func:`world_from_arrays`).

    Raises
    ------
    InputError
        ``"world.data: file '<path>'[, array '<name>']: must ...; got ..."``.
    """
    import zipfile

    shown = _shown_path(path)

    def refuse(message: str, name: str | None = None) -> InputError:
        where = f"file {shown}" + (f", array {name!r}" if name else "")
        return InputError(f"world.data: {where}: {message}")

    try:
        with zipfile.ZipFile(path) as archive:
            headers = _headers(archive)
    except _BadArray as bad:
        raise refuse(bad.message, bad.name) from None
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise refuse(f"must be an .npz archive (numpy.savez); got a file that is not one "
                     f"({_clip(str(exc))})") from None
    except OSError as exc:
        raise refuse(f"must be a readable file ({exc.strerror or exc})") from None
    names = set(headers)
    if missing := [n for n in REQUIRED_ARRAYS if n not in names]:
        raise refuse(f"must hold the arrays {', '.join(REQUIRED_ARRAYS)}; lacks "
                     f"{', '.join(missing)}")
    if extra := sorted(names - set(DATA_ARRAYS)):
        raise refuse(f"must hold only the arrays {', '.join(DATA_ARRAYS)}; got also "
                     f"{_clip(', '.join(repr(n) for n in extra))}")
    total = 0
    for name, (shape, dtype) in headers.items():
        if dtype.hasobject:
            raise refuse("must be a numeric array; got pickled Python objects (never loaded)",
                         name)
        size = math.prod(shape) * dtype.itemsize
        total += size
        if total > MAX_DATA_BYTES:
            raise refuse(f"must hold at most {MAX_DATA_BYTES} bytes of arrays in all; got "
                         f"shape {shape} of {dtype} ({size} bytes)", name)
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for name in headers:
                try:
                    arrays[name] = data[name]
                except Exception as exc:  # corrupt member: zlib, zip, format or EOF errors
                    raise refuse(f"must be readable; got {_clip(str(exc))}", name) from None
    except OSError as exc:
        raise refuse(f"must be a readable file ({exc.strerror or exc})") from None
    try:
        return _checked_arrays(arrays, None)
    except _BadArray as bad:
        raise refuse(bad.message, bad.name) from None


def load_world(path: str | Path) -> World:
    """A world from an .npz holding the arguments of :func:`world_from_arrays` by name.

    The file is validated in full first (:func:`read_data`).
    """
    return _world(read_data(path), None)


def level_owner_depth(taxonomy: Taxonomy, n_levels: int) -> list[int]:
    """The taxonomy depth whose nodes own each level's semantic features (level 1 first).

    Level 1 belongs to the root, level L to the classes, levels between to the internal nodes
    at depths spread evenly between 1 and the tree's depth − 1 (the root if the tree is flat).
    """
    top = taxonomy.max_depth
    depths = [0]
    for lvl in range(2, n_levels):
        d = round((lvl - 1) * top / (n_levels - 1))
        depths.append(min(max(d, 1), top - 1) if top >= 2 else 0)
    return depths + [-1]  # -1: the leaves, whatever their depth


def _owners_of_level(taxonomy: Taxonomy, depth: int) -> np.ndarray:
    if depth == -1:
        return taxonomy.class_nodes
    internal = ~taxonomy.is_leaf() | (taxonomy.depth == 0)
    return np.flatnonzero(internal & (taxonomy.depth == depth))


def _features(taxonomy: Taxonomy, spec: WorldSpec) -> tuple[np.ndarray, np.ndarray]:
    """Level and owner of every feature: per level, each owner's m_l features, then the pool."""
    m = per_level(spec.features_per_owner, spec.levels)
    pool = per_level(spec.pool, spec.levels)
    level, owner = [], []
    for lvl, depth in enumerate(level_owner_depth(taxonomy, spec.levels), start=1):
        owners = np.repeat(_owners_of_level(taxonomy, depth), m[lvl - 1])
        owner.append(np.concatenate([owners, np.full(pool[lvl - 1], -1)]))
        level.append(np.full(len(owner[-1]), lvl))
    return np.concatenate(level).astype(np.int64), np.concatenate(owner).astype(np.int64)


def _kinds(taxonomy: Taxonomy, owner: np.ndarray) -> np.ndarray:
    kind = np.full(len(owner), ANCESTOR, dtype=np.int64)
    kind[owner == 0] = GENERIC
    kind[np.isin(owner, taxonomy.class_nodes)] = CLASS
    kind[owner == -1] = NUISANCE
    return kind


def _composition_edges(taxonomy, level, owner, kind, n_children, rng):
    """Each feature above level 1 gets ``n_children`` distinct children one level below.

    A semantic feature's children are drawn among level-below features owned by its owner or
    the owner's ancestors; a nuisance feature's among level-below nuisance and generic features.
    Fewer candidates than ``n_children``: all of them.
    """
    counts = np.zeros(len(level), dtype=np.int64)
    chosen: list[np.ndarray] = []
    cache: dict[tuple[int, int], np.ndarray] = {}
    for f in np.flatnonzero(level > 1):
        key = (int(level[f]), int(owner[f]))
        if key not in cache:
            if kind[f] == NUISANCE:
                allowed = (kind == NUISANCE) | (kind == GENERIC)
            else:
                allowed = np.isin(owner, taxonomy.ancestors(int(owner[f])))
            cache[key] = np.flatnonzero((level == level[f] - 1) & allowed)
        candidates = cache[key]
        pick = rng.choice(candidates, size=min(n_children, len(candidates)), replace=False)
        chosen.append(np.sort(pick))
        counts[f] = len(pick)
    child_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    child_idx = np.concatenate(chosen).astype(np.int64) if chosen else np.zeros(0, np.int64)
    return child_ptr, child_idx


class _ExampleSampler:
    """Draws examples of given classes (spec §1 'Examples')."""

    def __init__(self, taxonomy, spec, level, owner, kind, child_ptr, child_idx):
        self.taxonomy, self.spec = taxonomy, spec
        self.level, self.kind = level, kind
        self.child_ptr, self.child_idx = child_ptr, child_idx
        rho = np.asarray(per_level(spec.rho, spec.levels), dtype=float)
        n_classes = taxonomy.n_classes
        # presence probability of each semantic feature for each class: shape (K, n_features)
        self.prob = np.zeros((n_classes, len(level)))
        for k, node in enumerate(taxonomy.class_nodes):
            own = np.isin(owner, taxonomy.ancestors(int(node)))
            self.prob[k] = np.where(
                own, rho[level - 1], np.where(kind == NUISANCE, 0.0, spec.delta)
            )
        self.pools = [
            np.flatnonzero((kind == NUISANCE) & (level == lv)) for lv in range(1, spec.levels + 1)
        ]

    def draw(self, per_class: int, rng: np.random.Generator, *, label_noise: float) -> Examples:
        n_classes = self.taxonomy.n_classes
        true_labels = np.repeat(np.arange(n_classes), per_class)
        rows = []
        for k in true_labels:
            present = np.flatnonzero(rng.random(len(self.level)) < self.prob[k])
            nuisance = [
                rng.choice(p, size=min(self.spec.nu, len(p)), replace=False) for p in self.pools
            ]
            row = np.union1d(present, np.concatenate(nuisance).astype(np.int64))
            rows.append(self._close(row) if self.spec.closure else row)
        labels = _flip_labels(true_labels, n_classes, label_noise, rng)
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
        indices = np.concatenate(rows).astype(np.int64)
        return Examples(indptr, indices, labels, true_labels)

    def _close(self, row: np.ndarray) -> np.ndarray:
        """Downward closure: add children of present features, top level first."""
        present = np.zeros(len(self.level), dtype=bool)
        present[row] = True
        for level in range(self.spec.levels, 1, -1):
            for f in np.flatnonzero(present & (self.level == level)):
                present[self.child_idx[self.child_ptr[f] : self.child_ptr[f + 1]]] = True
        return np.flatnonzero(present)


def _flip_labels(labels, n_classes, rate, rng):
    """With probability ``rate`` replace a label by a uniformly drawn *other* class."""
    flip = rng.random(len(labels)) < rate
    shift = rng.integers(1, n_classes, size=len(labels))
    return np.where(flip, (labels + shift) % n_classes, labels).astype(np.int64)


class _BadArray(Exception):
    """An array of user data was refused: its name and the message (``must ...; got ...``)."""

    def __init__(self, name: str, message: str):
        super().__init__(name, message)
        self.name, self.message = name, message


def _headers(archive) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array of an .npz archive, read from the headers only."""
    from numpy.lib import format as npformat

    found = {}
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        with archive.open(info) as stream:
            try:
                version = npformat.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = npformat.read_array_header_1_0(stream)
                else:
                    shape, _, dtype = npformat.read_array_header_2_0(stream)
            except (ValueError, EOFError, OSError) as exc:
                raise _BadArray(name, f"must be a numpy array (.npy); got a member that is "
                                      f"not one ({_clip(str(exc))})") from None
        found[name] = (tuple(shape), np.dtype(dtype))
    return found


def _checked_arrays(arrays: Mapping[str, object], taxonomy: Taxonomy | None
                    ) -> dict[str, np.ndarray]:
    """The user-data arrays, each checked against :data:`DATA_ARRAYS` (``_BadArray`` if not)."""
    out: dict[str, np.ndarray] = {}
    features = _binary("features", arrays["features"])
    n, n_features = features.shape
    out["features"] = features
    levels = _integers("levels", arrays["levels"], (n_features,), 1, MAX_DATA_LEVELS,
                       f"{n_features} ints ≥ 1, one per feature")
    if np.any(np.diff(levels) < 0):
        raise _BadArray("levels", "features must be ordered by level (sort the columns first)")
    unused = np.setdiff1d(np.arange(1, levels.max() + 1), levels)
    if unused.size:
        raise _BadArray("levels", f"must use every level from 1 to {levels.max()}; got no "
                                  f"feature at level {int(unused[0])}")
    out["levels"] = levels
    if taxonomy is None:
        labels = _integers("labels", arrays["labels"], (n,), 0, MAX_DATA_CLASSES - 1,
                           f"{n} integer class labels, one per example")
        present = np.unique(labels)
        if present.size < 2:
            raise _BadArray("labels", f"must hold at least two classes; got only class "
                                      f"{int(present[0])}")
        if present.size != labels.max() + 1:
            gap = int(np.setdiff1d(np.arange(labels.max() + 1), present)[0])
            raise _BadArray("labels", f"must give every class from 0 to {labels.max()} a "
                                      f"training example; got none of class {gap}")
        n_classes = int(labels.max()) + 1
    else:
        n_classes = taxonomy.n_classes
        labels = _integers("labels", arrays["labels"], (n,), 0, n_classes - 1,
                           f"{n} integer class labels, one per example")
    out["labels"] = labels
    if ("test_features" in arrays) != ("test_labels" in arrays):
        raise _BadArray("test_features, test_labels", "must be given both or neither")
    if "test_features" in arrays:
        test = _binary("test_features", arrays["test_features"])
        if test.shape[1] != n_features:
            raise _BadArray("test_features", f"must have {n_features} columns, like features; "
                                             f"got {test.shape[1]}")
        out["test_features"] = test
        out["test_labels"] = _integers("test_labels", arrays["test_labels"], (len(test),), 0,
                                       n_classes - 1, f"{len(test)} integer class labels, one "
                                       "per test example")
    if "kinds" in arrays:
        kinds = _integers("kinds", arrays["kinds"], (n_features,), -1, 3,
                          f"{n_features} codes in {{-1, 0, 1, 2, 3}}")
        out["kinds"] = kinds
    if "edges" in arrays:
        out["edges"] = _edges(arrays["edges"], levels)
    return out


def _numbers(name: str, value: object) -> np.ndarray:
    """``value`` as a real numeric array with finite entries (``_BadArray`` if not)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise _BadArray(name, f"must hold real numbers; got dtype {array.dtype}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        where = np.argwhere(~np.isfinite(array))[0]
        raise _BadArray(name, f"must be finite; got {array[tuple(where)]} at index "
                              f"{_index(where)}")
    return array


def _binary(name: str, value: object) -> np.ndarray:
    """A non-empty 0/1 matrix (examples by features)."""
    array = _numbers(name, value)
    if array.ndim != 2 or array.size == 0:
        raise _BadArray(name, f"must be a non-empty binary matrix (n_examples, n_features); got "
                              f"shape {array.shape}")
    bad = (array != 0) & (array != 1)
    if bad.any():
        where = np.argwhere(bad)[0]
        raise _BadArray(name, f"must be a binary matrix (every entry 0 or 1); got "
                              f"{array[tuple(where)]} at row {where[0]}, column {where[1]}")
    return array


def _integers(name: str, value: object, shape: tuple[int, ...], low: int, high: int,
              what: str) -> np.ndarray:
    """An int64 array of ``shape`` with whole values in [low, high]."""
    array = _numbers(name, value)
    if array.shape != shape:
        raise _BadArray(name, f"must be {what}, shape {shape}; got shape {array.shape}")
    if array.dtype.kind == "f" and np.any(array != np.round(array)):
        where = np.argwhere(array != np.round(array))[0]
        raise _BadArray(name, f"must be {what} (whole numbers); got {array[tuple(where)]} at "
                              f"index {_index(where)}")
    if array.size and (array.min() < low or array.max() > high):
        raise _BadArray(name, f"must be in [{low}, {high}]; got [{array.min()}, {array.max()}]")
    return array.astype(np.int64)


def _edges(value: object, levels: np.ndarray) -> np.ndarray:
    """Composition edges (E, 2): ids in range, the child one level below, none twice."""
    array = _numbers("edges", value)
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise _BadArray("edges", f"must be (parent, child) pairs, shape (n_edges, 2); got shape "
                                 f"{array.shape}")
    edges = _integers("edges", array, array.shape, 0, len(levels) - 1,
                      "feature ids (parent, child)")
    if not np.all(levels[edges[:, 0]] == levels[edges[:, 1]] + 1):
        raise _BadArray("edges", "each child must sit exactly one level below its parent")
    if len(np.unique(edges, axis=0)) != len(edges):
        raise _BadArray("edges", "must not hold the same (parent, child) edge twice")
    return edges


def _index(where: np.ndarray) -> str:
    return str(int(where[0])) if len(where) == 1 else str([int(i) for i in where])


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown_path(path: str | Path) -> str:
    return repr(_clip(str(path)))


def _world(arrays: Mapping[str, np.ndarray], taxonomy: Taxonomy | None) -> World:
    """The World of checked user-data arrays (see :func:`_checked_arrays`)."""
    features, levels, labels = arrays["features"], arrays["levels"], arrays["labels"]
    taxonomy = taxonomy or default_taxonomy(max(int(labels.max(initial=0)) + 1, 2), 1)
    test_features = arrays.get("test_features", features)
    test_labels = arrays.get("test_labels", labels)
    n_features = len(levels)
    kind = arrays.get("kinds", np.full(n_features, UNLABELLED))
    child_ptr, child_idx = _edges_to_csr(arrays.get("edges", np.zeros((0, 2))), levels)
    return World(
        taxonomy,
        levels,
        np.full(n_features, -1, dtype=np.int64),
        kind,
        child_ptr,
        child_idx,
        _examples_from_dense(features, labels),
        _examples_from_dense(test_features, test_labels),
    )


def _edges_to_csr(edges, levels) -> tuple[np.ndarray, np.ndarray]:
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    counts = np.bincount(edges[:, 0], minlength=len(levels))
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), edges[:, 1].copy()


def _examples_from_dense(features: np.ndarray, labels: np.ndarray) -> Examples:
    rows = [np.flatnonzero(r) for r in features]
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
    return Examples(indptr, indices, labels.astype(np.int64), labels.astype(np.int64))
