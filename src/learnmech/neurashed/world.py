"""The neurashed world: features in levels, their owners, composition edges, and examples.

Features are numbered level by level (all level-1 features first), so an example's sorted feature
list is also in level order. Each feature has an owner: a taxonomy node (a *semantic* feature)
or nobody (a *nuisance* feature). Owner kinds are coded

    0 generic (owned by the root), 1 ancestor (an intermediate node), 2 class (a leaf),
    3 nuisance (owned by nobody), -1 unlabelled (user data).

Examples are stored as CSR rows (``indptr``, ``indices``) of the binary example-by-feature
matrix. See ``shared/design/neurashed.md`` §1 and ``docs/neurashed.md`` for the choices made
where the paper is silent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnmech.neurashed.spec import WorldSpec, per_level
from learnmech.neurashed.taxonomy import Taxonomy, default_taxonomy, taxonomy_from_mapping

KIND_NAMES = ("generic", "ancestor", "class", "nuisance")
GENERIC, ANCESTOR, CLASS, NUISANCE, UNLABELLED = 0, 1, 2, 3, -1


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
    levels : array of shape (n_features,), ints ≥ 1 — each feature's level
    labels : array of shape (n_examples,), ints in [0, K)
    test_features, test_labels : optional held-out examples (default: the training examples)
    kinds : optional owner-kind codes of shape (n_features,) (default: -1, unlabelled)
    taxonomy : optional tree over the K classes (default: flat, every class under the root)
    edges : optional composition edges of shape (n_edges, 2), (parent, child), the child one
        level below its parent (used by the flow readout and the figures)
    """
    features = np.asarray(features)
    levels = np.asarray(levels, dtype=np.int64)
    labels = np.asarray(labels)
    if features.ndim != 2 or features.size == 0 or not np.isin(features, (0, 1)).all():
        raise ValueError("features: must be a non-empty binary matrix (n_examples, n_features)")
    n_examples, n_features = features.shape
    if levels.shape != (n_features,) or levels.min() < 1:
        raise ValueError(f"levels: must be {n_features} ints ≥ 1, one per feature")
    if np.any(np.diff(levels) < 0):
        raise ValueError("levels: features must be ordered by level (sort the columns first)")
    taxonomy = taxonomy or default_taxonomy(max(int(labels.max(initial=0)) + 1, 2), 1)
    _check_labels("labels", labels, n_examples, taxonomy.n_classes)
    if (test_features is None) != (test_labels is None):
        raise ValueError("test_features, test_labels: give both or neither")
    if test_features is None:
        test_features, test_labels = features, labels
    test_features, test_labels = np.asarray(test_features), np.asarray(test_labels)
    if test_features.ndim != 2 or test_features.shape[1] != n_features:
        raise ValueError(f"test_features: must have {n_features} columns, like features")
    _check_labels("test_labels", test_labels, len(test_features), taxonomy.n_classes)
    kind = np.full(n_features, UNLABELLED) if kinds is None else np.asarray(kinds, np.int64)
    if kind.shape != (n_features,) or not np.isin(kind, (UNLABELLED, *range(4))).all():
        raise ValueError(f"kinds: must be {n_features} codes in {{-1, 0, 1, 2, 3}}")
    child_ptr, child_idx = _edges_to_csr(np.zeros((0, 2)) if edges is None else edges, levels)
    return World(
        taxonomy,
        levels,
        np.full(len(levels), -1, dtype=np.int64),
        kind,
        child_ptr,
        child_idx,
        _examples_from_dense(features, labels.astype(np.int64)),
        _examples_from_dense(test_features, test_labels.astype(np.int64)),
    )


def load_world(path: str) -> World:
    """A world from an .npz holding the arguments of :func:`world_from_arrays` by name."""
    with np.load(path) as data:
        missing = {"features", "levels", "labels"} - set(data.files)
        if missing:
            raise ValueError(f"world.data: {path} lacks the arrays {sorted(missing)}")
        optional = ("test_features", "test_labels", "kinds", "edges")
        return world_from_arrays(
            data["features"], data["levels"], data["labels"],
            **{name: data[name] for name in optional if name in data.files},
        )


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


def _check_labels(name: str, labels: np.ndarray, n: int, n_classes: int) -> None:
    if labels.shape != (n,) or not np.all(np.mod(labels, 1) == 0):
        raise ValueError(f"{name}: must be {n} integer class labels, one per example")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"{name}: must be in [0, {n_classes - 1}] (the taxonomy's classes); "
                         f"got [{labels.min()}, {labels.max()}]")


def _edges_to_csr(edges, levels) -> tuple[np.ndarray, np.ndarray]:
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if len(edges) and not np.all(levels[edges[:, 0]] == levels[edges[:, 1]] + 1):
        raise ValueError("edges: each child must sit exactly one level below its parent")
    edges = edges[np.lexsort((edges[:, 1], edges[:, 0]))]
    counts = np.bincount(edges[:, 0], minlength=len(levels))
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), edges[:, 1].copy()


def _examples_from_dense(features: np.ndarray, labels: np.ndarray) -> Examples:
    rows = [np.flatnonzero(r) for r in features]
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
    return Examples(indptr, indices, labels.astype(np.int64), labels.astype(np.int64))
