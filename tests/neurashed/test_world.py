"""The world generator: taxonomy, feature layout, edges and example statistics."""

import numpy as np
import pytest

from learnmech.neurashed.spec import WorldSpec
from learnmech.neurashed.taxonomy import default_taxonomy, taxonomy_from_mapping
from learnmech.neurashed.world import (
    CLASS,
    GENERIC,
    NUISANCE,
    level_owner_depth,
    make_world,
    world_from_arrays,
)


def test_default_taxonomy_puts_class_k_in_superclass_k_mod_s():
    tax = default_taxonomy(6, 2)
    for k, node in enumerate(tax.class_nodes):
        assert tax.names[node] == f"class{k}"
        assert tax.names[tax.parent[node]] == f"super{k % 2}"
    rel = tax.relation()
    assert rel[0, 2] == 1 and rel[0, 1] == 2 and rel[3, 3] == 0


def test_any_tree_is_accepted_and_levels_map_to_depths():
    tree = {"a": {"a1": {"x": None, "y": None}, "a2": None}, "b": {"z": None}}
    tax = taxonomy_from_mapping(tree)
    assert tax.n_classes == 4 and tax.max_depth == 3
    assert level_owner_depth(tax, 4) == [0, 1, 2, -1]
    world = make_world(WorldSpec(taxonomy=tree, levels=4, features_per_owner=2, pool=5), seed=0)
    assert world.n_classes == 4
    assert (world.kind[world.level == 1] != CLASS).all()


def test_feature_counts_and_kinds_of_the_default_world():
    world = make_world(seed=0)
    m, pool = (8, 6, 4), 2000
    owners = (1, 2, 6)
    for level in (1, 2, 3):
        at = world.level == level
        assert (at & (world.kind != NUISANCE)).sum() == m[level - 1] * owners[level - 1]
        assert (at & (world.kind == NUISANCE)).sum() == pool
    assert (world.kind[world.level == 1][:8] == GENERIC).all()
    assert np.all(np.diff(world.level) >= 0)  # features ordered by level


def test_composition_edges_respect_ownership():
    world = make_world(WorldSpec(pool=30), seed=3)
    for parent, child in world.edges():
        assert world.level[child] == world.level[parent] - 1
        if world.kind[parent] == NUISANCE:
            assert world.kind[child] in (NUISANCE, GENERIC)
        else:
            assert world.owner[child] in world.taxonomy.ancestors(int(world.owner[parent]))
    assert np.all(np.diff(world.child_ptr)[world.level > 1] == 3)


def test_example_statistics_match_rho_delta_nu():
    spec = WorldSpec(examples_per_class=400, pool=500, rho=0.7, delta=0.1, nu=5)
    world = make_world(spec, seed=1)
    dense = world.train.to_sparse(world.n_features).toarray()
    labels = world.train.true_labels
    tax = world.taxonomy
    own = np.array([[world.owner[f] in tax.ancestors(int(tax.class_nodes[k]))
                     for f in range(world.n_features)] for k in range(world.n_classes)])
    semantic = world.kind != NUISANCE
    owned_rate = dense[own[labels] & semantic[None, :]].mean()
    other_rate = dense[~own[labels] & semantic[None, :]].mean()
    assert owned_rate == pytest.approx(0.7, abs=0.01)
    assert other_rate == pytest.approx(0.1, abs=0.01)
    for level in (1, 2, 3):
        per_example = dense[:, (world.kind == NUISANCE) & (world.level == level)].sum(axis=1)
        assert (per_example == 5).all()


def test_label_noise_flips_to_other_classes_at_the_set_rate():
    world = make_world(WorldSpec(examples_per_class=500, label_noise=0.3, pool=10), seed=2)
    flipped = world.train.flipped
    assert flipped.mean() == pytest.approx(0.3, abs=0.02)
    assert (world.test.labels == world.test.true_labels).all()


def test_downward_closure_adds_children():
    world = make_world(WorldSpec(closure=True, pool=40, rho=0.5), seed=4)
    for i in range(world.train.n):
        present = set(world.train.features(i).tolist())
        for f in present:
            kids = world.child_idx[world.child_ptr[f] : world.child_ptr[f + 1]]
            assert set(kids.tolist()) <= present


def test_same_seed_same_world_and_other_seed_other_world():
    a, b, c = make_world(seed=5), make_world(seed=5), make_world(seed=6)
    assert np.array_equal(a.train.indices, b.train.indices)
    assert np.array_equal(a.child_idx, b.child_idx)
    assert not np.array_equal(a.train.indices, c.train.indices)


def test_user_data_world_and_its_refusals():
    x = np.array([[1, 0, 1], [0, 1, 1]])
    world = world_from_arrays(x, [1, 1, 2], [0, 1], edges=[[2, 0]])
    assert world.n_features == 3 and world.n_classes == 2
    assert world.edges().tolist() == [[2, 0]]
    with pytest.raises(ValueError, match="binary"):
        world_from_arrays(x * 2, [1, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="ordered by level"):
        world_from_arrays(x, [2, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="one level below"):
        world_from_arrays(x, [1, 1, 2], [0, 1], edges=[[0, 1]])
    with pytest.raises(ValueError, match="both or neither"):
        world_from_arrays(x, [1, 1, 2], [0, 1], test_features=x)
    with pytest.raises(ValueError, match=r"test_labels: must be in \[0, 1\]"):
        world_from_arrays(x, [1, 1, 2], [0, 1], test_features=x, test_labels=[0, 5])
    with pytest.raises(ValueError, match="kinds"):
        world_from_arrays(x, [1, 1, 2], [0, 1], kinds=[0, 7, 1])


def test_spec_refuses_per_level_lists_of_the_wrong_length():
    with pytest.raises(ValueError, match="features_per_owner"):
        WorldSpec(levels=4)
    with pytest.raises(ValueError, match="rho"):
        WorldSpec(rho=(0.5, 1.5, 0.2))


def save_user_data(path):
    """A small binarised 'network' data set: 2 classes, class-specific level-2 features."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 10)
    low = rng.random((20, 6)) < 0.5
    high = np.zeros((20, 4), dtype=bool)
    high[labels == 0, :2] = True
    high[labels == 1, 2:] = True
    np.savez(path, features=np.hstack([low, high]).astype(int), levels=[1] * 6 + [2] * 4,
             labels=labels)
    return path


def test_world_data_file_replaces_the_generator(tmp_path):
    path = save_user_data(tmp_path / "acts.npz")
    world = make_world(WorldSpec(data=str(path)), seed=0)
    assert world.n_features == 10 and world.n_classes == 2 and world.train.n == 20
    with pytest.raises(ValueError, match="existing .npz"):
        WorldSpec(data=str(tmp_path / "missing.npz"))


def test_experiments_run_on_user_data_or_refuse_it(tmp_path):
    from learnmech.core.config import ConfigError
    from learnmech.runs import run_experiment

    path = str(save_user_data(tmp_path / "acts.npz"))
    sets = [f"world.data={path}", "seeds=2", "train.steps=500", "train.records=5"]
    out = run_experiment("neurashed.local-elasticity", sets=sets, out=tmp_path / "run")
    assert (out / "summary.json").is_file()
    with pytest.raises(ConfigError, match="world.data must be unset"):
        run_experiment("neurashed.implicit-regularization", sets=sets, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
