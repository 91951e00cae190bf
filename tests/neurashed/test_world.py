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


# --------------------------------------------------------------------------- world.data files


def _good_arrays():
    """A valid world.data: 20 examples of 2 classes, 6 level-1 and 4 level-2 features."""
    features = np.asarray(save_user_data_arrays()["features"])
    return {"features": features, "levels": np.array([1] * 6 + [2] * 4),
            "labels": np.repeat([0, 1], 10)}


def save_user_data_arrays():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 10)
    low = rng.random((20, 6)) < 0.5
    high = np.zeros((20, 4), dtype=bool)
    high[labels == 0, :2] = True
    high[labels == 1, 2:] = True
    return {"features": np.hstack([low, high]).astype(int)}


def _with(**changes):
    """The good arrays with some replaced (a value of None drops the array)."""
    arrays = {**_good_arrays(), **changes}
    return {k: v for k, v in arrays.items() if v is not None}


def _zip_member(path, name, payload: bytes):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for key, value in _good_arrays().items():
            if key != name:
                import io

                buffer = io.BytesIO()
                np.save(buffer, value)
                archive.writestr(f"{key}.npy", buffer.getvalue())
        archive.writestr(f"{name}.npy", payload)


def _huge_header() -> bytes:
    """An .npy header that claims a (10^6, 10^6) float64 array, with no data behind it."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    return buffer.getvalue()


F = np.asarray(save_user_data_arrays()["features"])
#: (case, how to write the file, the array named in the message or None, a phrase of it)
BAD_DATA = [
    ("missing features", lambda p: np.savez(p, **_with(features=None)), None, "lacks features"),
    ("missing levels", lambda p: np.savez(p, **_with(levels=None)), None, "lacks levels"),
    ("missing labels", lambda p: np.savez(p, **_with(labels=None)), None, "lacks labels"),
    ("extra array", lambda p: np.savez(p, **_with(), foo=np.ones(3)), None, "got also 'foo'"),
    ("pickled features", lambda p: np.savez(p, **_with(features=F.astype(object))),
     "features", "pickled Python objects"),
    ("pickled labels", lambda p: np.savez(p, **_with(labels=np.array([0, "a"] * 10,
                                                                     dtype=object))),
     "labels", "pickled Python objects"),
    ("string features", lambda p: np.savez(p, **_with(features=F.astype(str))), "features",
     "real numbers"),
    ("complex features", lambda p: np.savez(p, **_with(features=F + 0j)), "features",
     "real numbers"),
    ("NaN feature", lambda p: np.savez(p, **_with(features=np.where(F == 1, np.nan, 0.0))),
     "features", "finite"),
    ("inf feature", lambda p: np.savez(p, **_with(features=np.where(F == 1, np.inf, 0.0))),
     "features", "finite"),
    ("feature 2", lambda p: np.savez(p, **_with(features=F * 2)), "features", "0 or 1"),
    ("feature -1", lambda p: np.savez(p, **_with(features=-F)), "features", "0 or 1"),
    ("1-d features", lambda p: np.savez(p, **_with(features=F[0])), "features", "shape (10,)"),
    ("3-d features", lambda p: np.savez(p, **_with(features=F[None])), "features",
     "non-empty binary matrix"),
    ("no examples", lambda p: np.savez(p, **_with(features=F[:0])), "features",
     "non-empty binary matrix"),
    ("no features", lambda p: np.savez(p, **_with(features=F[:, :0])), "features",
     "non-empty binary matrix"),
    ("levels too short", lambda p: np.savez(p, **_with(levels=np.ones(9))), "levels",
     "shape (10,)"),
    ("2-d levels", lambda p: np.savez(p, **_with(levels=np.ones((10, 1)))), "levels",
     "shape (10,)"),
    ("level 0", lambda p: np.savez(p, **_with(levels=np.array([0] * 6 + [1] * 4))), "levels",
     "in [1, 100]"),
    ("unsorted levels", lambda p: np.savez(p, **_with(levels=np.array([2] * 4 + [1] * 6))),
     "levels", "ordered by level"),
    ("fractional level", lambda p: np.savez(p, **_with(levels=np.array([1.5] * 10))), "levels",
     "whole numbers"),
    ("NaN level", lambda p: np.savez(p, **_with(levels=np.array([np.nan] * 10))), "levels",
     "finite"),
    ("level gap", lambda p: np.savez(p, **_with(levels=np.array([1] * 6 + [3] * 4))), "levels",
     "no feature at level 2"),
    ("huge level", lambda p: np.savez(p, **_with(levels=np.array([1] * 9 + [10**6]))),
     "levels", "in [1, 100]"),
    ("labels too short", lambda p: np.savez(p, **_with(labels=np.zeros(19))), "labels",
     "shape (20,)"),
    ("negative label", lambda p: np.savez(p, **_with(labels=np.repeat([-1, 1], 10))),
     "labels", "in [0, 999]"),
    ("fractional label", lambda p: np.savez(p, **_with(labels=np.repeat([0.5, 1], 10))),
     "labels", "whole numbers"),
    ("NaN label", lambda p: np.savez(p, **_with(labels=np.repeat([np.nan, 1], 10))), "labels",
     "finite"),
    ("one class", lambda p: np.savez(p, **_with(labels=np.zeros(20, int))), "labels",
     "at least two classes"),
    ("a class without examples", lambda p: np.savez(p, **_with(labels=np.repeat([0, 2], 10))),
     "labels", "none of class 1"),
    ("too many classes", lambda p: np.savez(p, **_with(labels=np.repeat([0, 5000], 10))),
     "labels", "in [0, 999]"),
    ("test features alone", lambda p: np.savez(p, **_with(), test_features=F), None,
     "both or neither"),
    ("test labels alone", lambda p: np.savez(p, **_with(), test_labels=np.zeros(20)), None,
     "both or neither"),
    ("test features, wrong width", lambda p: np.savez(p, **_with(), test_features=F[:, :5],
                                                      test_labels=np.repeat([0, 1], 10)),
     "test_features", "10 columns"),
    ("test label out of range", lambda p: np.savez(p, **_with(), test_features=F,
                                                   test_labels=np.repeat([0, 7], 10)),
     "test_labels", "in [0, 1]"),
    ("non-binary test features", lambda p: np.savez(p, **_with(), test_features=F * 3,
                                                    test_labels=np.repeat([0, 1], 10)),
     "test_features", "0 or 1"),
    ("kind code 7", lambda p: np.savez(p, **_with(), kinds=np.full(10, 7)), "kinds",
     "in [-1, 3]"),
    ("kinds too short", lambda p: np.savez(p, **_with(), kinds=np.zeros(3)), "kinds",
     "shape (10,)"),
    ("edges of 3 columns", lambda p: np.savez(p, **_with(), edges=np.zeros((2, 3))), "edges",
     "shape (n_edges, 2)"),
    ("edge out of range", lambda p: np.savez(p, **_with(), edges=np.array([[99, 0]])), "edges",
     "in [0, 9]"),
    ("negative edge", lambda p: np.savez(p, **_with(), edges=np.array([[6, -1]])), "edges",
     "in [0, 9]"),
    ("edge within a level", lambda p: np.savez(p, **_with(), edges=np.array([[0, 1]])), "edges",
     "one level below"),
    ("edge twice", lambda p: np.savez(p, **_with(), edges=np.array([[6, 0], [6, 0]])), "edges",
     "twice"),
    ("fractional edge", lambda p: np.savez(p, **_with(), edges=np.array([[6.5, 0]])), "edges",
     "whole numbers"),
    ("not a zip", lambda p: p.write_text("features: [1, 0]\n"), None, "not one"),
    ("empty file", lambda p: p.write_bytes(b""), None, "not one"),
    (".npy under an .npz name", lambda p: np.save(open(p, "wb"), F), None, "not one"),
    ("truncated archive", lambda p: (np.savez(p, **_with()),
                                     p.write_bytes(p.read_bytes()[:300])), None, "not one"),
    ("corrupt member", lambda p: _zip_member(p, "labels", b"\x93NUMPY garbage"), "labels",
     "numpy array"),
    ("huge array header", lambda p: _zip_member(p, "features", _huge_header()), "features",
     "at most 2147483648 bytes"),
]


def test_the_table_of_bad_data_files_is_large():
    assert len(BAD_DATA) >= 36


@pytest.mark.parametrize(("case", "write", "array", "phrase"), BAD_DATA,
                         ids=[c[0] for c in BAD_DATA])
def test_bad_data_files_are_refused_naming_the_file_and_array(tmp_path, case, write, array,
                                                              phrase):
    from learnmech.core.config import ConfigError, resolve_config
    from learnmech.core.errors import InputError
    from learnmech.core.registry import get
    from learnmech.neurashed.world import read_data

    path = tmp_path / "acts.npz"
    write(path)
    with pytest.raises(InputError) as info:
        read_data(path)
    message = str(info.value)
    assert message.startswith(f"world.data: file {str(path)!r}"), message
    if array:
        assert f"array {array!r}" in message, message
    assert phrase in message, message
    assert len(message) < 400  # bounded, whatever the file holds
    experiment = get("neurashed.local-elasticity")  # and at config time, before any work
    with pytest.raises(ConfigError) as refused:
        resolve_config(experiment.id, experiment.config_cls, sets=[f"world.data={path}"])
    assert refused.value.key == "world.data" and phrase in str(refused.value)


@pytest.mark.parametrize("name", ["missing.npz", "folder.npz", "data.txt"])
def test_a_data_path_that_is_no_npz_file_is_refused(tmp_path, name):
    from learnmech.core.config import ConfigError, resolve_config
    from learnmech.core.registry import get

    (tmp_path / "folder.npz").mkdir()
    np.savez(tmp_path / "data.txt", **_good_arrays())
    experiment = get("neurashed.label-noise")
    with pytest.raises(ConfigError, match="world.data must be an existing .npz file"):
        resolve_config(experiment.id, experiment.config_cls,
                       sets=[f"world.data={tmp_path / name}"])


def test_a_bad_data_file_leaves_no_run(tmp_path):
    from learnmech.core.config import ConfigError
    from learnmech.runs import run_experiment

    path = tmp_path / "acts.npz"
    np.savez(path, **_with(labels=np.repeat([0, 1.5], 10)))
    with pytest.raises(ConfigError, match="world.data file .* array 'labels'"):
        run_experiment("neurashed.local-elasticity", sets=[f"world.data={path}"],
                       out=tmp_path / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acts.npz"]


def test_valid_data_files_load_the_same_arrays(tmp_path):
    from learnmech.neurashed.world import load_world, read_data

    arrays = _with(test_features=F[::-1], test_labels=np.repeat([1, 0], 10),
                   kinds=np.array([0] * 6 + [2] * 4), edges=np.array([[6, 0], [7, 1]]))
    np.savez(tmp_path / "ok.npz", **arrays)
    loaded = read_data(tmp_path / "ok.npz")
    assert sorted(loaded) == sorted(arrays)
    for name, value in arrays.items():
        assert np.array_equal(loaded[name], value), name
    world = load_world(tmp_path / "ok.npz")
    assert world.edges().tolist() == [[6, 0], [7, 1]] and world.test.n == 20
    np.savez(tmp_path / "bool.npz", **_with(features=F.astype(bool), labels=np.repeat([0., 1.],
                                                                                        10)))
    assert load_world(tmp_path / "bool.npz").train.indices.tolist() == \
        world.train.indices.tolist()


def test_omega_per_level_must_match_the_data_levels(tmp_path):
    from learnmech.core.config import ConfigError, resolve_config
    from learnmech.core.registry import get

    np.savez(tmp_path / "ok.npz", **_good_arrays())
    experiment = get("neurashed.local-elasticity")
    with pytest.raises(ConfigError, match=r"train.omega must be one value or 2 values"):
        resolve_config(experiment.id, experiment.config_cls,
                       sets=[f"world.data={tmp_path / 'ok.npz'}", "train.omega=[1, 1, 1]"])
    config = resolve_config(experiment.id, experiment.config_cls,
                            sets=[f"world.data={tmp_path / 'ok.npz'}", "train.omega=[0.5, 1]"])
    assert config.train.omega == (0.5, 1.0)
