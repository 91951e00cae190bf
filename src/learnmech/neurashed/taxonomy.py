"""The concept tree whose leaves are the classes.

A taxonomy is a rooted tree. Node 0 is the root; the classes are the leaves, numbered 0..K-1 in
the order they are met depth-first. The default tree is root → S superclasses → K classes, class
k in superclass k mod S. Any tree is accepted as a nested mapping, e.g.
``{"animal": {"cat": None, "dog": None}, "vehicle": {"car": None, "truck": None}}`` (the root is
implicit; a leaf maps to ``None`` or ``{}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Taxonomy:
    """A rooted tree.

    Attributes
    ----------
    parent : ndarray of shape (n_nodes,)
        Parent of each node; ``parent[0] == -1`` (the root).
    depth : ndarray of shape (n_nodes,)
        Distance from the root.
    names : tuple of str, length n_nodes
    class_nodes : ndarray of shape (n_classes,)
        Node id of each class (leaf), in class order.
    """

    parent: np.ndarray
    depth: np.ndarray
    names: tuple[str, ...]
    class_nodes: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.parent)

    @property
    def n_classes(self) -> int:
        return len(self.class_nodes)

    @property
    def max_depth(self) -> int:
        return int(self.depth.max())

    def ancestors(self, node: int) -> list[int]:
        """The node itself and every node above it, up to the root."""
        chain = [node]
        while self.parent[chain[-1]] >= 0:
            chain.append(int(self.parent[chain[-1]]))
        return chain

    def is_leaf(self) -> np.ndarray:
        """Boolean mask of shape (n_nodes,)."""
        leaf = np.ones(self.n_nodes, dtype=bool)
        leaf[self.parent[self.parent >= 0]] = False
        return leaf

    def class_group(self) -> np.ndarray:
        """For each class, its parent node (the superclass), of shape (n_classes,)."""
        return self.parent[self.class_nodes]

    def relation(self) -> np.ndarray:
        """Relation of class pairs, shape (K, K): 0 same class, 1 same parent, 2 otherwise."""
        group = self.class_group()
        same_group = group[:, None] == group[None, :]
        rel = np.where(same_group, 1, 2)
        np.fill_diagonal(rel, 0)
        return rel


def default_taxonomy(classes: int, superclasses: int) -> Taxonomy:
    """root → S superclasses → K classes; class k in superclass k mod S (S = 1: a flat tree)."""
    tree: dict[str, Any] = {f"super{s}": {} for s in range(superclasses)}
    if superclasses == 1:
        tree = {f"class{k}": None for k in range(classes)}
    else:
        for k in range(classes):
            tree[f"super{k % superclasses}"][f"class{k}"] = None
        tree = {name: (children or None) for name, children in tree.items()}
    taxonomy = taxonomy_from_mapping(tree)
    by_name = {name: node for node, name in enumerate(taxonomy.names)}
    class_nodes = np.array([by_name[f"class{k}"] for k in range(classes)], dtype=np.int64)
    return Taxonomy(taxonomy.parent, taxonomy.depth, taxonomy.names, class_nodes)


def taxonomy_from_mapping(tree: dict[str, Any]) -> Taxonomy:
    """Build a :class:`Taxonomy` from a nested mapping (root implicit); needs ≥ 2 leaves."""
    parent, depth, names = [-1], [0], ["root"]

    def visit(mapping: dict[str, Any], node: int) -> None:
        for name, sub in mapping.items():
            parent.append(node)
            depth.append(depth[node] + 1)
            names.append(str(name))
            child = len(parent) - 1
            if sub:
                if not isinstance(sub, dict):
                    raise ValueError(
                        f"taxonomy: node {name!r} must map to a mapping or null; got {sub!r}"
                    )
                visit(sub, child)

    if not isinstance(tree, dict) or not tree:
        raise ValueError("taxonomy: must be a non-empty nested mapping {node: {child: ...}}")
    visit(tree, 0)
    parent_arr = np.asarray(parent, dtype=np.int64)
    taxonomy = Taxonomy(parent_arr, np.asarray(depth, dtype=np.int64), tuple(names), np.empty(0))
    leaves = np.flatnonzero(taxonomy.is_leaf())
    if len(leaves) < 2:
        raise ValueError(f"taxonomy: needs at least 2 leaves (classes); got {len(leaves)}")
    return Taxonomy(taxonomy.parent, taxonomy.depth, taxonomy.names, leaves)
